//! Documents and versions over HTTP: the foundation issue.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{Server, assert_error};

fn paragraph(i: usize, edit: usize) -> String {
    format!(
        "第{i}段（修改{edit}）：翰林知识库把每次保存都记为一个版本，历史可以对比与恢复。Mixed English text {i}.\n"
    )
}

#[tokio::test]
async fn create_edit_history_every_version_byte_identical() {
    let srv = Server::start().await;
    let admin = srv.admin().await;
    let space = admin.first_space().await;
    let mut bodies: Vec<String> = Vec::new();
    let first: String = (0..20).map(|i| paragraph(i, 0)).collect();
    let d = admin.new_doc(&space, None, "版本测试", &first).await;
    let id = d["id"].as_str().unwrap().to_owned();
    assert_eq!(d["version"], 1);
    assert_eq!(d["status"], "published");
    bodies.push(first);
    // 30 edits, each changing one paragraph; some with CRLF and emoji.
    for n in 1..=30 {
        let mut paras: Vec<String> = (0..20).map(|i| paragraph(i, 0)).collect();
        for k in 1..=n {
            paras[k % 20] = paragraph(k % 20, k);
        }
        if n % 7 == 0 {
            paras.push("结尾 😀 with CRLF\r\n".into());
        }
        let body: String = paras.concat();
        let (st, r) = admin
            .put(
                &format!("/api/v1/documents/{id}"),
                json!({"title": "版本测试", "body": body, "tags": ["测试"], "base_version": n}),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{r}");
        assert_eq!(r["version"], n + 1);
        bodies.push(body);
    }
    let (st, hist) = admin.get(&format!("/api/v1/documents/{id}/versions")).await;
    assert_eq!(st, StatusCode::OK);
    let hist = hist.as_array().unwrap();
    assert_eq!(hist.len(), 31);
    assert_eq!(hist[0]["version"], 31, "newest first");
    assert_eq!(hist[0]["author"], "admin");
    for (i, expected) in bodies.iter().enumerate() {
        let (st, v) = admin
            .get(&format!("/api/v1/documents/{id}/versions/{}", i + 1))
            .await;
        assert_eq!(st, StatusCode::OK, "{v}");
        assert_eq!(
            v["body"].as_str().unwrap(),
            expected,
            "version {} differs",
            i + 1
        );
        assert_eq!(v["version"], i + 1);
    }
    assert_error(
        &admin
            .get(&format!("/api/v1/documents/{id}/versions/32"))
            .await,
        404,
        "not_found",
    );
    assert_error(
        &admin
            .get(&format!("/api/v1/documents/{id}/versions/0"))
            .await,
        404,
        "not_found",
    );
    assert_error(
        &admin
            .get(&format!("/api/v1/documents/{id}/versions/abc"))
            .await,
        404,
        "not_found",
    );
}

#[tokio::test]
async fn saving_unchanged_content_makes_no_version() {
    let srv = Server::start().await;
    let admin = srv.admin().await;
    let space = admin.first_space().await;
    let d = admin.new_doc(&space, None, "不变", "正文\n").await;
    let id = d["id"].as_str().unwrap();
    let (st, r) = admin
        .put(
            &format!("/api/v1/documents/{id}"),
            json!({"title": "不变", "body": "正文\n", "tags": [], "base_version": 1}),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(r["version"], 1);
}

#[tokio::test]
async fn stale_base_version_is_a_conflict_and_nothing_is_overwritten() {
    let srv = Server::start().await;
    let admin = srv.admin().await;
    let space = admin.first_space().await;
    let d = admin.new_doc(&space, None, "并发", "原文\n").await;
    let id = d["id"].as_str().unwrap();
    let (st, _) = admin
        .put(
            &format!("/api/v1/documents/{id}"),
            json!({"title": "并发", "body": "甲的修改\n", "base_version": 1}),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    let r = admin
        .put(
            &format!("/api/v1/documents/{id}"),
            json!({"title": "并发", "body": "乙的修改\n", "base_version": 1}),
        )
        .await;
    assert_error(&r, 409, "edit_conflict");
    assert_eq!(r.1["error"]["current_version"], 2);
    let (_, now) = admin.get(&format!("/api/v1/documents/{id}")).await;
    assert_eq!(now["body"], "甲的修改\n");
    assert_eq!(now["version"], 2);
}

#[tokio::test]
async fn concurrent_saves_on_one_base_exactly_one_wins() {
    let srv = Server::start().await;
    let admin = srv.admin().await;
    let space = admin.first_space().await;
    let d = admin.new_doc(&space, None, "竞争", "原文\n").await;
    let id = d["id"].as_str().unwrap().to_owned();
    let mut tasks = Vec::new();
    for i in 0..8 {
        let c = admin.clone();
        let id = id.clone();
        tasks.push(tokio::spawn(async move {
            c.put(
                &format!("/api/v1/documents/{id}"),
                json!({"title": "竞争", "body": format!("写者{i}\n"), "base_version": 1}),
            )
            .await
        }));
    }
    let mut ok = 0;
    for t in tasks {
        let (st, body) = t.await.unwrap();
        match st.as_u16() {
            200 => ok += 1,
            409 => assert_eq!(body["error"]["code"], "edit_conflict"),
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(ok, 1, "exactly one writer wins");
    let (_, hist) = admin.get(&format!("/api/v1/documents/{id}/versions")).await;
    assert_eq!(hist.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn diff_marks_chinese_words_and_restore_makes_a_new_version() {
    let srv = Server::start().await;
    let admin = srv.admin().await;
    let space = admin.first_space().await;
    let d = admin
        .new_doc(
            &space,
            None,
            "差异",
            "# 标题\n\n我们使用数据库集群存储数据。\n\n结尾\n",
        )
        .await;
    let id = d["id"].as_str().unwrap();
    admin.put(&format!("/api/v1/documents/{id}"), json!({"title": "差异（新）", "body": "# 标题\n\n我们使用缓存集群存储数据。\n\n结尾\n", "tags": ["新"], "base_version": 1})).await;
    let (st, diff) = admin
        .get(&format!("/api/v1/documents/{id}/diff?from=1&to=2"))
        .await;
    assert_eq!(st, StatusCode::OK, "{diff}");
    assert_eq!(diff["from"], 1);
    assert_eq!(diff["to"], 2);
    assert!(
        diff["unified"]
            .as_str()
            .unwrap()
            .contains("-我们使用数据库集群存储数据。")
    );
    assert!(
        diff["unified"]
            .as_str()
            .unwrap()
            .contains("+我们使用缓存集群存储数据。")
    );
    assert_eq!(diff["title"], json!(["差异", "差异（新）"]));
    assert_eq!(diff["tags_added"], json!(["新"]));
    let lines = diff["hunks"][0]["lines"].as_array().unwrap();
    let ins = lines.iter().find(|l| l["op"] == "insert").unwrap();
    let words = ins["words"].as_array().unwrap();
    let inserted: Vec<&str> = words
        .iter()
        .filter(|w| w["op"] == "insert")
        .map(|w| w["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        inserted,
        vec!["缓存"],
        "word-level change, not the whole line: {words:?}"
    );
    // Bad diff parameters.
    assert_error(
        &admin
            .get(&format!("/api/v1/documents/{id}/diff?from=1&to=9"))
            .await,
        404,
        "not_found",
    );
    assert_error(
        &admin
            .get(&format!("/api/v1/documents/{id}/diff?from=x&to=2"))
            .await,
        400,
        "invalid_input",
    );
    assert_error(
        &admin
            .get(&format!("/api/v1/documents/{id}/diff?from=1"))
            .await,
        400,
        "invalid_input",
    );
    // Restore version 1 -> version 3 equal to version 1.
    let (st, r) = admin
        .post(
            &format!("/api/v1/documents/{id}/restore"),
            json!({"version": 1}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["version"], 3);
    assert_eq!(r["title"], "差异");
    assert_eq!(
        r["body"],
        "# 标题\n\n我们使用数据库集群存储数据。\n\n结尾\n"
    );
    assert_eq!(r["tags"], json!([]));
    let (_, hist) = admin.get(&format!("/api/v1/documents/{id}/versions")).await;
    assert_eq!(hist[0]["message"], "恢复到版本 1");
    assert_error(
        &admin
            .post(
                &format!("/api/v1/documents/{id}/restore"),
                json!({"version": 7}),
            )
            .await,
        400,
        "invalid_input",
    );
}

#[tokio::test]
async fn trash_and_undelete() {
    let srv = Server::start().await;
    let admin = srv.admin().await;
    let space = admin.first_space().await;
    let d = admin.new_doc(&space, None, "回收站", "内容\n").await;
    let id = d["id"].as_str().unwrap();
    let (st, _) = admin.delete(&format!("/api/v1/documents/{id}")).await;
    assert_eq!(st, StatusCode::OK);
    assert_error(
        &admin.get(&format!("/api/v1/documents/{id}")).await,
        404,
        "not_found",
    );
    assert_error(
        &admin.delete(&format!("/api/v1/documents/{id}")).await,
        404,
        "not_found",
    );
    let (_, trash) = admin.get("/api/v1/trash").await;
    assert!(
        trash["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["id"] == id)
    );
    let (_, list) = admin
        .get(&format!("/api/v1/documents?space_id={space}"))
        .await;
    assert!(
        !list["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["id"] == id),
        "trashed docs are not listed"
    );
    let (st, r) = admin
        .post(&format!("/api/v1/documents/{id}/undelete"), json!({}))
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["body"], "内容\n");
    assert_error(
        &admin
            .post(&format!("/api/v1/documents/{id}/undelete"), json!({}))
            .await,
        409,
        "not_in_trash",
    );
    let (_, trash) = admin.get("/api/v1/trash").await;
    assert!(
        !trash["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["id"] == id)
    );
}

#[tokio::test]
async fn bad_input_gets_clear_errors_and_writes_nothing() {
    let srv = Server::start_with(|c| c.max_body_bytes = 10_000).await;
    let admin = srv.admin().await;
    let space = admin.first_space().await;
    let d = admin.new_doc(&space, None, "好文档", "内容\n").await;
    let id = d["id"].as_str().unwrap();
    let url = format!("/api/v1/documents/{id}");
    // Malformed JSON.
    let r = admin
        .raw(
            Method::PUT,
            &url,
            "application/json",
            b"{\"title\": ".to_vec(),
        )
        .await;
    assert_error(&r, 400, "invalid_input");
    // Not JSON at all.
    let r = admin
        .raw(
            Method::POST,
            "/api/v1/documents",
            "text/plain",
            b"hello".to_vec(),
        )
        .await;
    assert_error(&r, 400, "invalid_input");
    // Unknown field.
    let r = admin
        .put(
            &url,
            json!({"title": "t", "body": "b", "base_version": 1, "colour": "red"}),
        )
        .await;
    assert_error(&r, 400, "invalid_input");
    assert_eq!(r.1["error"]["field"], "colour");
    // Missing field.
    let r = admin.put(&url, json!({"title": "t", "body": "b"})).await;
    assert_error(&r, 400, "invalid_input");
    assert_eq!(r.1["error"]["field"], "base_version");
    // Empty and over-long titles.
    let r = admin
        .put(
            &url,
            json!({"title": "   ", "body": "b", "base_version": 1}),
        )
        .await;
    assert_error(&r, 400, "invalid_input");
    assert_eq!(r.1["error"]["field"], "title");
    let r = admin
        .put(
            &url,
            json!({"title": "长".repeat(201), "body": "b", "base_version": 1}),
        )
        .await;
    assert_error(&r, 400, "invalid_input");
    let (st, _) = admin
        .put(
            &url,
            json!({"title": "长".repeat(200), "body": "内容\n", "base_version": 1}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "200 characters is allowed");
    // Body over the limit.
    let r = admin
        .put(
            &url,
            json!({"title": "t", "body": "字".repeat(4000), "base_version": 2}),
        )
        .await;
    assert_error(&r, 413, "payload_too_large");
    // A request far over the limit is stopped before parsing.
    let r = admin
        .put(
            &url,
            json!({"title": "t", "body": "x".repeat(100_000), "base_version": 2}),
        )
        .await;
    assert_error(&r, 413, "payload_too_large");
    // Bad tags.
    let r = admin
        .put(
            &url,
            json!({"title": "t", "body": "b", "tags": [""], "base_version": 2}),
        )
        .await;
    assert_error(&r, 400, "invalid_input");
    // Invalid ids.
    assert_error(
        &admin.get("/api/v1/documents/not-an-id").await,
        404,
        "not_found",
    );
    assert_error(
        &admin
            .get("/api/v1/documents/0123456789abcdef0123456789abcdef")
            .await,
        404,
        "not_found",
    );
    assert_error(
        &admin
            .put(
                "/api/v1/documents/%00%ff",
                json!({"title": "t", "body": "b", "base_version": 1}),
            )
            .await,
        404,
        "not_found",
    );
    // Unknown space or category on create.
    let r = admin
        .post(
            "/api/v1/documents",
            json!({"space_id": "nope", "title": "t", "body": ""}),
        )
        .await;
    assert_error(&r, 400, "invalid_input");
    let r = admin.post("/api/v1/documents", json!({"space_id": space, "category_id": "0123456789abcdef0123456789abcdef", "title": "t", "body": ""})).await;
    assert_error(&r, 400, "invalid_input");
    // Unknown route.
    assert_error(&admin.get("/api/v1/nothing-here").await, 404, "not_found");
    // Nothing half-written: still exactly two versions, content of the last good save.
    let (_, hist) = admin.get(&format!("{url}/versions")).await;
    assert_eq!(hist.as_array().unwrap().len(), 2);
    let (_, now) = admin.get(&url).await;
    assert_eq!(now["body"], "内容\n");
}

#[tokio::test]
async fn stored_scripts_never_reach_html() {
    let srv = Server::start().await;
    let admin = srv.admin().await;
    let space = admin.first_space().await;
    let body = "# 安全\n\n<script>alert(1)</script>\n\n<img src=x onerror=\"alert(1)\">\n\n[链接](javascript:alert(1))\n\n- [x] 任务\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n~~删除~~ 脚注[^1]\n\n[^1]: 说明\n";
    let created = admin.new_doc(&space, None, "脚本", body).await;
    assert!(
        created.get("html").is_none(),
        "write answers carry no rendering"
    );
    let (_, d) = admin
        .get(&format!(
            "/api/v1/documents/{}",
            created["id"].as_str().unwrap()
        ))
        .await;
    let html = d["html"].as_str().unwrap().to_lowercase();
    assert!(!html.contains("<script"), "{html}");
    assert!(!html.contains("onerror"), "{html}");
    assert!(!html.contains("javascript:"), "{html}");
    assert!(
        html.contains("<table>") && html.contains("checkbox") && html.contains("<del>"),
        "{html}"
    );
    assert_eq!(
        d["body"], body,
        "the stored Markdown itself is kept as written"
    );
    assert_eq!(d["toc"][0]["text"], "安全");
}

#[tokio::test]
async fn anonymous_requests_are_refused_and_health_is_open() {
    let srv = Server::start().await;
    let anon = srv.client();
    assert_error(&anon.get("/api/v1/documents").await, 401, "unauthenticated");
    assert_error(&anon.get("/api/v1/me").await, 401, "unauthenticated");
    assert_error(
        &anon.get("/api/v1/search?q=x").await,
        401,
        "unauthenticated",
    );
    let (st, h) = anon.get("/healthz").await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(h["status"], "ok");
}

#[tokio::test]
async fn first_start_welcome_space_and_second_start_changes_nothing() {
    let srv = Server::start().await;
    let admin = srv.admin().await;
    let (_, spaces) = admin.get("/api/v1/spaces").await;
    assert_eq!(spaces.as_array().unwrap().len(), 1);
    assert_eq!(spaces[0]["name"], "欢迎");
    let (_, docs) = admin.get("/api/v1/documents").await;
    assert_eq!(docs["total"], 1);
    assert!(docs["items"][0]["title"].as_str().unwrap().contains("欢迎"));
    let dir = srv.stop().await;
    // Restart on the same directory, with a different admin password: nothing changes.
    let srv = Server::start_in(dir, |c| c.admin_password = Some("Other-Pass-999".into())).await;
    let admin = srv.admin().await;
    let (_, spaces) = admin.get("/api/v1/spaces").await;
    assert_eq!(spaces.as_array().unwrap().len(), 1);
    let (_, docs) = admin.get("/api/v1/documents").await;
    assert_eq!(docs["total"], 1);
    let _: Value = docs;
}
