//! Search over HTTP: freshness, permission filtering inside totals and facets, bad queries,
//! outbox replay after a crash, synonyms edited by admins.

use reqwest::StatusCode;
use serde_json::json;

use crate::common::{Server, assert_error, urlencode};

#[tokio::test]
async fn saved_document_is_found_highlighted_within_a_second() {
    let srv = Server::start().await;
    let admin = srv.admin().await;
    let space = admin.first_space().await;
    let d = admin
        .new_doc(
            &space,
            None,
            "数据库慢查询排查",
            "当查询特别慢的时候，先看慢日志，再看执行计划。\n",
        )
        .await;
    let id = d["id"].as_str().unwrap();
    let started = std::time::Instant::now();
    let r = admin.search_until("查询特别慢怎么排查", id, true).await;
    assert!(
        started.elapsed() < std::time::Duration::from_secs(1),
        "took {:?}",
        started.elapsed()
    );
    let hit = &r["hits"][0];
    assert_eq!(hit["id"], id);
    assert!(hit["snippet"].as_str().unwrap().contains("<mark>"), "{hit}");
    assert!(
        hit["title_html"].as_str().unwrap().contains("<mark>"),
        "{hit}"
    );
    // An edit is reflected; the old text no longer matches.
    admin.put(&format!("/api/v1/documents/{id}"), json!({"title": "缓存命中率", "body": "命中率下降时检查淘汰策略。\n", "base_version": 1})).await;
    admin.search_until("淘汰策略", id, true).await;
    admin.search_until("执行计划", id, false).await;
    // Trash removes it from search; undelete brings it back.
    admin.delete(&format!("/api/v1/documents/{id}")).await;
    admin.search_until("淘汰策略", id, false).await;
    admin
        .post(&format!("/api/v1/documents/{id}/undelete"), json!({}))
        .await;
    admin.search_until("淘汰策略", id, true).await;
}

#[tokio::test]
async fn hidden_documents_never_count_in_totals_facets_or_snippets() {
    let srv = Server::start().await;
    let admin = srv.admin().await;
    let open_space = admin.new_space("公开空间").await;
    let secret_space = admin.new_space("机密空间").await;
    let open_cat = admin.new_category(&open_space, "产品文档", None).await;
    let secret_cat = admin.new_category(&secret_space, "绝密", None).await;
    let (uid, reader) = srv.user(&admin, "reader1", json!({})).await;
    let (st, b) = admin
        .put(
            &format!("/api/v1/spaces/{open_space}/grants"),
            json!([{"principal": format!("user:{uid}"), "role": "reader"}]),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{b}");
    let mut pub_id = String::new();
    for i in 0..3 {
        let d = admin.post("/api/v1/documents", json!({"space_id": open_space, "category_id": open_cat, "title": format!("部署手册 {i}"), "body": "部署步骤说明", "tags": ["公开标签"]})).await.1;
        pub_id = d["id"].as_str().unwrap().to_owned();
    }
    let mut secret_id = String::new();
    for i in 0..2 {
        let d = admin.post("/api/v1/documents", json!({"space_id": secret_space, "category_id": secret_cat, "title": format!("部署机密计划 {i}"), "body": "部署 机密代号青龙", "tags": ["机密标签"]})).await.1;
        secret_id = d["id"].as_str().unwrap().to_owned();
    }
    let all = admin.search_until("部署", &secret_id, true).await;
    assert_eq!(all["total"], 5);
    let r = reader.search_until("部署", &pub_id, true).await;
    assert_eq!(r["total"], 3, "{r}");
    let text = r.to_string();
    for leak in [
        "机密",
        "青龙",
        secret_cat.as_str(),
        secret_space.as_str(),
        secret_id.as_str(),
    ] {
        assert!(!text.contains(leak), "reader's results leak {leak}: {text}");
    }
    assert_eq!(r["facets"]["tags"], json!({"公开标签": 3}));
    assert_eq!(r["facets"]["spaces"], json!({ open_space.clone(): 3 }));
    // Filters cannot pry either.
    let (_, r) = reader
        .get(&format!("/api/v1/search?q={}", urlencode("#机密标签")))
        .await;
    assert_eq!(r["total"], 0);
    let (_, r) = reader
        .get(&format!("/api/v1/search?q={}", urlencode("青龙")))
        .await;
    assert_eq!(r["total"], 0);
    assert_eq!(r["hits"], json!([]));
    // Direct reads of the hidden document: 404, not 403.
    assert_error(
        &reader.get(&format!("/api/v1/documents/{secret_id}")).await,
        404,
        "not_found",
    );
    assert_error(
        &reader
            .get(&format!("/api/v1/documents/{secret_id}/versions"))
            .await,
        404,
        "not_found",
    );
}

#[tokio::test]
async fn bad_queries_give_results_or_400_never_500() {
    let srv = Server::start().await;
    let admin = srv.admin().await;
    let space = admin.first_space().await;
    admin.new_doc(&space, None, "测试文档", "内容").await;
    let long = format!("{}{}", "知识".repeat(500), "kb ".repeat(3000));
    let queries = [
        "\"unbalanced",
        "\"\"",
        "-",
        "--",
        "#",
        "tag:",
        "space:",
        "before:",
        "after:2020-13-45",
        "before:notadate",
        "((((",
        ")))",
        "*",
        "?",
        "AND OR NOT",
        "\u{0001}\u{0007}控制字符",
        "😀🎉",
        "-\"\"",
        "\\",
        "'",
        "%",
        "k8s -k8s",
        long.as_str(),
        "category:\"不存在\"",
        "author:nobody",
        "type:weird",
    ];
    for q in queries {
        let (st, body) = admin
            .get(&format!("/api/v1/search?q={}", urlencode(q)))
            .await;
        assert!(
            st == StatusCode::OK || st == StatusCode::BAD_REQUEST,
            "{q:?}: {st} {body}"
        );
        if st == StatusCode::BAD_REQUEST {
            assert_eq!(body["error"]["code"], "invalid_query", "{q:?}: {body}");
        } else {
            assert!(body["total"].is_number(), "{q:?}: {body}");
        }
    }
    assert_error(
        &admin.get("/api/v1/search?q=x&limit=abc").await,
        400,
        "invalid_input",
    );
    assert_error(
        &admin.get("/api/v1/search?q=x&limit=1000").await,
        400,
        "invalid_input",
    );
    assert_error(
        &admin.get("/api/v1/search?q=x&sort=sideways").await,
        400,
        "invalid_input",
    );
}

#[tokio::test]
async fn pagination_sorting_and_facets() {
    let srv = Server::start().await;
    let admin = srv.admin().await;
    let space = admin.new_space("分页").await;
    let mut last = String::new();
    for i in 0..12 {
        let tag = if i % 3 == 0 { "甲" } else { "乙" };
        let d = admin.post("/api/v1/documents", json!({"space_id": space, "title": format!("集群运维 {i:02}"), "body": "集群运维手册", "tags": [tag]})).await.1;
        last = d["id"].as_str().unwrap().to_owned();
    }
    admin.search_until("集群运维", &last, true).await;
    let (_, p1) = admin
        .get(&format!(
            "/api/v1/search?q={}&limit=5&offset=0&sort=recent",
            urlencode("集群运维")
        ))
        .await;
    let (_, p3) = admin
        .get(&format!(
            "/api/v1/search?q={}&limit=5&offset=10&sort=recent",
            urlencode("集群运维")
        ))
        .await;
    assert_eq!(p1["total"], 12);
    assert_eq!(p1["hits"].as_array().unwrap().len(), 5);
    assert_eq!(p3["hits"].as_array().unwrap().len(), 2);
    assert_eq!(p1["hits"][0]["id"], last, "recent first");
    assert_eq!(
        p1["facets"]["tags"],
        json!({"甲": 4, "乙": 8}),
        "facets count all matches, not the page"
    );
    let (_, t) = admin
        .get(&format!("/api/v1/search?q={}", urlencode("集群运维 #甲")))
        .await;
    assert_eq!(t["total"], 4);
}

#[tokio::test]
async fn outbox_left_by_a_crash_is_replayed_at_start() {
    let srv = Server::start().await;
    let admin = srv.admin().await;
    let space = admin.first_space().await;
    let dir = srv.stop().await;
    // Simulate a crash after the store write and before the index commit: write through the store
    // directly (document + outbox entry in one transaction) with no indexer running.
    let id = {
        let store = hanlin::store::Store::open(&dir.path().join("db")).unwrap();
        let actor = hanlin::service::documents::Actor {
            id: "x".into(),
            name: "x".into(),
            ip: None,
        };
        let content =
            hanlin::service::documents::validate("崩溃后重放", "重放的文档正文", &[], usize::MAX)
                .unwrap();
        let d = hanlin::service::documents::create(
            &store,
            &actor,
            hanlin::service::documents::NewDoc {
                space_id: space.clone(),
                category_id: None,
                content,
                kind: hanlin::model::DocKind::Doc,
                record_type: None,
                needs_review: false,
                message: String::new(),
                import_key: None,
            },
        )
        .unwrap();
        store.flush_blocking().unwrap();
        assert_eq!(store.outbox.len(), 1);
        d.id
    };
    let srv = Server::start_in(dir, |_| {}).await;
    let admin = srv.admin().await;
    let (_, r) = admin
        .get(&format!("/api/v1/search?q={}", urlencode("崩溃后重放")))
        .await;
    assert_eq!(r["hits"][0]["id"], id, "found right after start: {r}");
    assert_eq!(srv.state.store.outbox.len(), 0, "outbox drained");
}

#[tokio::test]
async fn admin_synonyms_take_effect() {
    let srv = Server::start().await;
    let admin = srv.admin().await;
    let space = admin.first_space().await;
    let d = admin
        .new_doc(&space, None, "报销流程", "差旅费用的报销需要主管审批。\n")
        .await;
    let id = d["id"].as_str().unwrap();
    admin.search_until("报销", id, true).await;
    let (_, r) = admin
        .get(&format!("/api/v1/search?q={}", urlencode("青鸾单")))
        .await;
    assert!(!r["hits"].as_array().unwrap().iter().any(|h| h["id"] == id));
    let (st, b) = admin
        .put(
            "/api/v1/admin/synonyms",
            json!({"groups": [["青鸾单", "报销"]]}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{b}");
    let (_, r) = admin
        .get(&format!("/api/v1/search?q={}", urlencode("青鸾单")))
        .await;
    assert_eq!(r["hits"][0]["id"], id, "{r}");
    assert_error(
        &admin
            .put("/api/v1/admin/synonyms", json!({"groups": [["孤单"]]}))
            .await,
        400,
        "invalid_input",
    );
    let (_, reader) = srv.user(&admin, "syn-reader", json!({})).await;
    assert_error(
        &reader.get("/api/v1/admin/synonyms").await,
        403,
        "forbidden",
    );
}

#[tokio::test]
async fn what_the_page_drops_is_not_searchable() {
    let srv = Server::start().await;
    let admin = srv.admin().await;
    let space = admin.first_space().await;
    let body = "安装说明 KIWIVISIBLE 见下 <script>alert(\"MANGOSCRIPT\")</script> 完毕\n\n\
                样式 <style>.MANGOSTYLE{color:red}</style> 之后 \
                <img src=x onerror=\"alert('MANGOIMG')\"> 图片\n\n\
                <script>\nalert(\"MANGOBLOCK\")\n</script>\n";
    let d = admin.new_doc(&space, None, "部署手册", body).await;
    let id = d["id"].as_str().unwrap();
    // The page shows none of it.
    let page = admin.get(&format!("/api/v1/documents/{id}")).await.1;
    let html = page["html"].as_str().unwrap();
    assert!(html.contains("KIWIVISIBLE"), "{html}");
    assert!(!html.contains("MANGO"), "{html}");
    // Search finds the document by what the page shows...
    let r = admin.search_until("KIWIVISIBLE", id, true).await;
    let hit = &r["hits"][0];
    assert_eq!(hit["id"], id);
    let snippet = hit["snippet"].as_str().unwrap().to_lowercase();
    assert!(snippet.contains("kiwivisible"), "{hit}");
    for gone in ["script", "alert", "mango", "onerror", "style", "color"] {
        assert!(!snippet.contains(gone), "{gone:?} in the snippet: {hit}");
    }
    // ...and never by what the sanitiser dropped.
    for q in [
        "MANGOSCRIPT",
        "MANGOSTYLE",
        "MANGOIMG",
        "MANGOBLOCK",
        "alert",
    ] {
        let (st, r) = admin
            .get(&format!("/api/v1/search?q={}", urlencode(q)))
            .await;
        assert_eq!(st, StatusCode::OK, "{r}");
        assert_eq!(r["total"], 0, "{q} found: {r}");
    }
}

/// A word found in one section of a long page: the hit names that section, its snippet comes
/// from it, and its anchor is the id the rendered page gives the heading (`toc`).
#[tokio::test]
async fn hit_names_the_best_section_with_the_page_anchor() {
    let srv = Server::start().await;
    let admin = srv.admin().await;
    let space = admin.first_space().await;
    let filler = "这一节介绍别的内容，与问题无关。".repeat(20);
    let body = format!(
        "# 计算属性\n\n{filler}\n\n## 基础示例\n\n{filler}\n\n## Getter 不应有副作用 {{#getter}}\n\n{filler}\n\n## 获取上一个值\n\n在 getter 的第一个参数中可以获取计算属性返回的上一个值，用来比较新旧结果。\n\n## 可写计算属性\n\n{filler}\n"
    );
    let d = admin.new_doc(&space, None, "计算属性", &body).await;
    let id = d["id"].as_str().unwrap();
    let r = admin.search_until("getter 获取上一个值", id, true).await;
    let hit = &r["hits"][0];
    assert_eq!(hit["id"], id, "{r}");
    assert_eq!(hit["section"]["heading"], "获取上一个值", "{hit}");
    let (st, page) = admin.get(&format!("/api/v1/documents/{id}")).await;
    assert_eq!(st, StatusCode::OK);
    let anchor = page["toc"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["text"] == "获取上一个值")
        .map(|t| t["anchor"].clone())
        .unwrap();
    assert_eq!(hit["section"]["anchor"], anchor, "{hit} {page}");
    let snippet = hit["snippet"].as_str().unwrap();
    assert!(snippet.contains("<mark>getter</mark>"), "{snippet}");
    assert!(!snippet.contains("无关"), "{snippet}");
    // A given `{#id}` is the anchor, as on the page.
    let r = admin.search_until("副作用", id, true).await;
    assert_eq!(r["hits"][0]["section"]["anchor"], "getter", "{r}");
}

/// A question about something the knowledge base does not hold finds nothing and says which
/// words matched nothing; a word only hidden documents hold counts as matching nothing.
#[tokio::test]
async fn words_that_match_nothing_empty_the_answer_and_are_named() {
    let srv = Server::start().await;
    let admin = srv.admin().await;
    let space = admin.first_space().await;
    let d = admin
        .new_doc(&space, None, "查询优化", "慢查询的排查与优化，查询计划。\n")
        .await;
    let id = d["id"].as_str().unwrap();
    admin.search_until("查询", id, true).await;
    let (st, r) = admin
        .get(&format!("/api/v1/search?q={}", urlencode("工资条查询")))
        .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(r["total"], 0, "{r}");
    assert_eq!(r["hits"].as_array().unwrap().len(), 0, "{r}");
    assert_eq!(r["partial"], true, "{r}");
    assert_eq!(r["unmatched"], json!(["工资条"]), "{r}");
    let (_, r) = admin
        .get(&format!("/api/v1/search?q={}", urlencode("慢查询 排查")))
        .await;
    assert_eq!(r["partial"], false, "{r}");
    assert_eq!(r["unmatched"], json!([]), "{r}");
}

#[tokio::test]
async fn quick_open_and_related_documents_show_only_what_the_caller_may_read() {
    let srv = Server::start().await;
    let admin = srv.admin().await;
    let open_space = admin.new_space("运维空间").await;
    let secret_space = admin.new_space("内部空间").await;
    let (uid, reader) = srv.user(&admin, "reader1", json!({})).await;
    let (st, b) = admin
        .put(
            &format!("/api/v1/spaces/{open_space}/grants"),
            json!([{"principal": format!("user:{uid}"), "role": "reader"}]),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{b}");
    let body = "TiDB 集群扩容时先用 TiUP 检查 TiKV 节点，扩容后观察 Region 调度。TiKV 扩容。";
    let mut ids = Vec::new();
    for (space, title) in [
        (&open_space, "TiDB 集群扩容"),
        (&open_space, "TiKV 节点扩容"),
        (&secret_space, "扩容审批机密"),
    ] {
        let d = admin
            .post(
                "/api/v1/documents",
                json!({"space_id": space, "title": title, "body": body}),
            )
            .await
            .1;
        ids.push(d["id"].as_str().unwrap().to_owned());
    }
    for (space, title, text) in [
        (&open_space, "年度团建安排", "团建安排在春天。团建报名。"),
        (&open_space, "食堂菜单", "本周食堂菜单。食堂开放时间。"),
        (&open_space, "报销流程", "报销需要发票。报销审批。"),
    ] {
        admin
            .post(
                "/api/v1/documents",
                json!({"space_id": space, "title": title, "body": text}),
            )
            .await;
    }
    admin.search_until("扩容审批机密", &ids[2], true).await;
    let titles = |v: &serde_json::Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["title"].as_str().unwrap().to_owned())
            .collect()
    };
    // By words, full pinyin and initials; the admin sees all three, the reader only their two.
    for q in ["扩容", "kuorong", "kr"] {
        let (st, all) = admin
            .get(&format!("/api/v1/search/suggest?q={}", urlencode(q)))
            .await;
        assert_eq!(st, StatusCode::OK, "{all}");
        assert_eq!(
            titles(&all),
            ["扩容审批机密", "TiDB 集群扩容", "TiKV 节点扩容"],
            "{q}"
        );
        let (_, mine) = reader
            .get(&format!("/api/v1/search/suggest?q={}", urlencode(q)))
            .await;
        assert_eq!(titles(&mine), ["TiDB 集群扩容", "TiKV 节点扩容"], "{q}");
        assert!(!mine.to_string().contains(&ids[2]));
    }
    let (_, first) = reader.get("/api/v1/search/suggest?q=tidb").await;
    assert_eq!(first["items"][0]["id"], ids[0]);
    assert_eq!(first["items"][0]["space_id"], open_space.as_str());
    assert_error(
        &reader
            .get(&format!("/api/v1/search/suggest?q={}", "k".repeat(101)))
            .await,
        400,
        "invalid_input",
    );
    // Related: the other scale-out pages, not the unrelated ones, never itself, never hidden.
    let (st, rel) = admin
        .get(&format!("/api/v1/documents/{}/related", ids[0]))
        .await;
    assert_eq!(st, StatusCode::OK, "{rel}");
    let t = titles(&rel);
    assert!(
        t.contains(&"TiKV 节点扩容".to_owned()) && t.contains(&"扩容审批机密".to_owned()),
        "{rel}"
    );
    assert!(
        !t.contains(&"TiDB 集群扩容".to_owned()) && !t.contains(&"食堂菜单".to_owned()),
        "{rel}"
    );
    let (_, rel) = reader
        .get(&format!("/api/v1/documents/{}/related", ids[0]))
        .await;
    assert_eq!(titles(&rel), ["TiKV 节点扩容"], "{rel}");
    // The hidden document's own related list is as hidden as the document.
    assert_error(
        &reader
            .get(&format!("/api/v1/documents/{}/related", ids[2]))
            .await,
        404,
        "not_found",
    );
}
