//! `POST /api/v1/render` and `POST /api/v1/diff`: the editor's preview and conflict view use the
//! server's Markdown and diff, so they show what a published page and the history show.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{Server, assert_error};

const BODY: &str = "# 任务清单\n\n- [x] 已完成的事\n- [ ] 还没做的事\n- 普通条目\n\n\
| 项目 | 数量 | 状态 |\n|:-----|-----:|:----:|\n| 报销 | 3 | 完成 |\n\n\
正文引用了脚注[^说明]。\n\n[^说明]: 这是脚注的内容。\n";

#[tokio::test]
async fn render_answers_what_the_document_page_shows() {
    let srv = Server::start().await;
    let admin = srv.admin().await;
    let space = admin.new_space("渲染空间").await;
    let doc = admin.new_doc(&space, None, "任务清单", BODY).await;
    let (st, page) = admin
        .get(&format!(
            "/api/v1/documents/{}",
            doc["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(st, StatusCode::OK, "{page}");
    // Any signed-in account may preview, even one that can read nothing.
    let (_, nobody) = srv.user(&admin, "zhangsan", json!({})).await;
    for client in [&admin, &nobody] {
        let (st, r) = client.post("/api/v1/render", json!({"body": BODY})).await;
        assert_eq!(st, StatusCode::OK, "{r}");
        assert_eq!(
            r["html"], page["html"],
            "the same HTML as the document view"
        );
        assert_eq!(r["toc"], page["toc"]);
        assert_eq!(r.as_object().unwrap().len(), 2, "only html and toc: {r}");
    }
    let html = page["html"].as_str().unwrap();
    for want in [
        "<li class=\"task\"><input disabled=\"\" type=\"checkbox\" checked=\"\">",
        "<li class=\"task\"><input disabled=\"\" type=\"checkbox\">",
        "<li>普通条目</li>",
        "<th class=\"align-left\">项目</th>",
        "<th class=\"align-right\">数量</th>",
        "<th class=\"align-center\">状态</th>",
        "<td class=\"align-right\">3</td>",
        "<sup class=\"footnote-reference\"><a href=\"#说明\"",
        "<div class=\"footnote-definition\" id=\"说明\">",
        "这是脚注的内容。",
    ] {
        assert!(html.contains(want), "{want} missing from {html}");
    }
    assert!(!html.contains("style="), "no inline style (CSP): {html}");
    assert_eq!(
        page["toc"],
        json!([{"level": 1, "text": "任务清单", "anchor": "任务清单"}])
    );
}

#[tokio::test]
async fn render_strips_scripts_handlers_and_form_fields() {
    let srv = Server::start().await;
    let admin = srv.admin().await;
    let body = "正文\n\n<script>alert(1)</script>\n\n<img src=x onerror=\"alert(2)\">\n\n\
[链接](javascript:alert(3))\n\n<input type=\"password\" name=\"pw\" autofocus onfocus=\"alert(4)\">\n\n\
<td style=\"color:red\">x</td>\n";
    let (st, r) = admin.post("/api/v1/render", json!({"body": body})).await;
    assert_eq!(st, StatusCode::OK, "{r}");
    let html = r["html"].as_str().unwrap().to_lowercase();
    for bad in [
        "<script",
        "alert(1)",
        "onerror",
        "javascript:",
        "password",
        "name=",
        "onfocus",
        "autofocus",
        "style=",
    ] {
        assert!(!html.contains(bad), "{bad} in {html}");
    }
    assert!(html.contains("<p>正文</p>"), "{html}");
    assert!(html.contains("type=\"checkbox\""), "{html}");
}

#[tokio::test]
async fn render_refuses_what_a_save_refuses() {
    let srv = Server::start_with(|c| c.max_body_bytes = 64 * 1024).await;
    let admin = srv.admin().await;
    let space = admin.new_space("限制").await;
    let deep = format!("{}深处{}", "<div>".repeat(150), "</div>".repeat(150));
    let r = admin.post("/api/v1/render", json!({"body": deep})).await;
    assert_error(&r, 422, "invalid_input");
    assert_eq!(r.1["error"]["field"], "body", "{}", r.1);
    assert_eq!(r.1["error"]["limit"], 100, "{}", r.1);
    // The same body is refused on save with the same answer.
    let saved = admin
        .post(
            "/api/v1/documents",
            json!({"space_id": space, "title": "深", "body": deep}),
        )
        .await;
    assert_eq!(saved.1, r.1, "preview and save refuse alike");
    let quotes = format!("{}深处\n", "> ".repeat(150));
    assert_error(
        &admin.post("/api/v1/render", json!({"body": quotes})).await,
        422,
        "invalid_input",
    );
    // Bigger than a document body may be.
    let big = "字".repeat(64 * 1024 / 3 + 1);
    assert_error(
        &admin.post("/api/v1/render", json!({"body": big})).await,
        413,
        "payload_too_large",
    );
    assert_error(
        &admin
            .post("/api/v1/diff", json!({"from": "", "to": big}))
            .await,
        413,
        "payload_too_large",
    );
    // Just under the limit is fine.
    let fits = "字".repeat(64 * 1024 / 3 - 1);
    let (st, _) = admin.post("/api/v1/render", json!({"body": fits})).await;
    assert_eq!(st, StatusCode::OK);
    // Unknown or missing fields are named.
    let r = admin
        .post("/api/v1/render", json!({"body": "x", "title": "t"}))
        .await;
    assert_error(&r, 400, "invalid_input");
    assert_eq!(r.1["error"]["field"], "title", "{}", r.1);
    let r = admin.post("/api/v1/diff", json!({"from": "x"})).await;
    assert_error(&r, 400, "invalid_input");
    assert_eq!(r.1["error"]["field"], "to", "{}", r.1);
}

#[tokio::test]
async fn render_and_diff_need_a_signed_in_caller_and_csrf_for_cookies() {
    let srv = Server::start().await;
    let anon = srv.client();
    for (path, body) in [
        ("/api/v1/render", json!({"body": "# 标题"})),
        ("/api/v1/diff", json!({"from": "a\n", "to": "b\n"})),
    ] {
        assert_error(&anon.post(path, body.clone()).await, 401, "unauthenticated");
        // A cookie session must echo the CSRF token on these POSTs too.
        let mut cookie = srv.admin().await;
        cookie.token = None;
        let (_, me) = cookie.get("/api/v1/me").await;
        let csrf = me["csrf_token"].as_str().unwrap().to_owned();
        assert_error(&cookie.post(path, body.clone()).await, 403, "csrf_failed");
        let resp = cookie
            .http
            .request(Method::POST, format!("{}{path}", cookie.base))
            .header("x-csrf-token", csrf)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        let v: Value = resp.json().await.unwrap();
        assert!(v.get("html").is_some() || v.get("hunks").is_some(), "{v}");
    }
}

#[tokio::test]
async fn diff_of_two_texts_has_the_shape_of_the_document_diff() {
    let srv = Server::start().await;
    let admin = srv.admin().await;
    let space = admin.new_space("对比").await;
    let old = "# 标题\n\n首先下载安装包，然后运行安装程序。\n\n不变的一行\n";
    let new =
        "# 标题\n\n首先从内网下载最新的安装包，然后运行安装程序。\n\n不变的一行\n新增的一行\n";
    let (st, d) = admin
        .post("/api/v1/diff", json!({"from": old, "to": new}))
        .await;
    assert_eq!(st, StatusCode::OK, "{d}");
    assert_eq!(d["insertions"], 2, "{d}");
    assert_eq!(d["deletions"], 1, "{d}");
    assert_eq!(d["words_omitted"], false);
    let hunks = d["hunks"].as_array().unwrap();
    assert_eq!(hunks.len(), 1, "{d}");
    let lines = hunks[0]["lines"].as_array().unwrap();
    let ins: Vec<&Value> = lines.iter().filter(|l| l["op"] == "insert").collect();
    assert_eq!(
        ins[0]["text"],
        "首先从内网下载最新的安装包，然后运行安装程序。"
    );
    let marked: Vec<&str> = ins[0]["words"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["op"] == "insert")
        .map(|w| w["text"].as_str().unwrap())
        .collect();
    assert!(
        marked.iter().any(|w| w.contains("内网")),
        "Chinese marked as words: {marked:?}"
    );
    assert!(!marked.iter().any(|w| w.contains("安装程序")), "{marked:?}");
    assert!(
        d["unified"].as_str().unwrap().contains("+新增的一行"),
        "{d}"
    );
    // The same texts as two stored versions diff the same way.
    let doc = admin.new_doc(&space, None, "对比文档", old).await;
    let id = doc["id"].as_str().unwrap();
    let (st, saved) = admin
        .put(
            &format!("/api/v1/documents/{id}"),
            json!({"title": "对比文档", "body": new, "base_version": 1}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{saved}");
    let (st, stored) = admin
        .get(&format!("/api/v1/documents/{id}/diff?from=1&to=2"))
        .await;
    assert_eq!(st, StatusCode::OK, "{stored}");
    for k in ["hunks", "insertions", "deletions", "words_omitted"] {
        assert_eq!(d[k], stored[k], "{k}");
    }
    // Identical texts: no hunks.
    let (_, same) = admin
        .post("/api/v1/diff", json!({"from": old, "to": old}))
        .await;
    assert_eq!(same["hunks"], json!([]), "{same}");
    assert_eq!(same["insertions"], 0);
}
