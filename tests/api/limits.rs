//! CPU-heavy work is bounded and never stalls the server: deep bodies are refused at save and
//! rendered capped when already stored, large diffs fall back to line level, and while such work
//! runs `/healthz` and ordinary reads still answer promptly.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{Client, Server, assert_error};

/// What "promptly" means here: generous, far above a normal answer, far below the old stalls.
const PROMPT: Duration = Duration::from_secs(5);

fn nested_divs(n: usize) -> String {
    format!("{}深处{}", "<div>".repeat(n), "</div>".repeat(n))
}

/// Stores a document as an older release might have, without today's save checks.
async fn store_unchecked(
    srv: &Server,
    admin: &Client,
    space: &str,
    title: &str,
    body: String,
) -> String {
    let (_, me) = admin.get("/api/v1/me").await;
    let actor = hanlin::service::documents::Actor {
        id: me["user"]["id"].as_str().unwrap().to_owned(),
        name: "admin".into(),
        ip: None,
    };
    let doc = hanlin::service::documents::create(
        &srv.state.store,
        &actor,
        hanlin::service::documents::NewDoc {
            space_id: space.to_owned(),
            category_id: None,
            content: hanlin::service::documents::DocContent {
                title: title.into(),
                body,
                tags: vec![],
            },
            kind: hanlin::model::DocKind::Doc,
            record_type: None,
            needs_review: false,
            message: String::new(),
            import_key: None,
        },
    )
    .unwrap();
    doc.id
}

/// Polls `/healthz` and an ordinary document until `busy` says the heavy work is over (at most
/// `rounds` times), asserting every answer comes within [`PROMPT`]. Returns the slowest answer.
async fn stays_responsive(
    srv: &Server,
    reader: &Client,
    doc: &str,
    busy: impl Fn() -> bool,
    rounds: usize,
) -> Duration {
    let http = reqwest::Client::new();
    let mut slowest = Duration::ZERO;
    for _ in 0..rounds {
        let t = Instant::now();
        let health = tokio::time::timeout(PROMPT, http.get(format!("{}/healthz", srv.base)).send())
            .await
            .expect("/healthz answers promptly while heavy work runs")
            .unwrap();
        assert_eq!(health.status(), StatusCode::OK);
        let (st, d) = tokio::time::timeout(PROMPT, reader.get(&format!("/api/v1/documents/{doc}")))
            .await
            .expect("an ordinary document answers promptly while heavy work runs");
        assert_eq!(st, StatusCode::OK, "{d}");
        assert_eq!(d["title"], "普通文档");
        slowest = slowest.max(t.elapsed());
        if !busy() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    slowest
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deep_bodies_are_refused_at_save_naming_the_limit() {
    let srv = Server::start().await;
    let admin = srv.admin().await;
    let space = admin.first_space().await;
    for body in [
        nested_divs(50_000),
        format!("{}深处\n", "> ".repeat(50_000)),
        format!("{}深处\n", "- ".repeat(50_000)),
    ] {
        let t = Instant::now();
        let r = admin
            .post(
                "/api/v1/documents",
                json!({"space_id": space, "title": "深", "body": body}),
            )
            .await;
        eprintln!("deep body refused in {:?}", t.elapsed());
        assert_error(&r, 422, "invalid_input");
        assert_eq!(r.1["error"]["field"], "body");
        assert!(
            r.1["error"]["message"].as_str().unwrap().contains("100"),
            "names the limit: {}",
            r.1
        );
    }
    // A save of an existing document is refused too, and leaves it as it was.
    let doc = admin.new_doc(&space, None, "浅", "正文").await;
    let id = doc["id"].as_str().unwrap();
    let r = admin
        .put(
            &format!("/api/v1/documents/{id}"),
            json!({"title": "浅", "body": nested_divs(200), "base_version": 1}),
        )
        .await;
    assert_error(&r, 422, "invalid_input");
    let (_, now) = admin.get(&format!("/api/v1/documents/{id}")).await;
    assert_eq!(
        (now["version"].as_u64(), now["body"].as_str()),
        (Some(1), Some("正文"))
    );
    // Up to the limit is fine.
    let ok = admin
        .put(
            &format!("/api/v1/documents/{id}"),
            json!({"title": "浅", "body": nested_divs(90), "base_version": 1}),
        )
        .await;
    assert_eq!(ok.0, StatusCode::OK, "{}", ok.1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stored_deep_documents_render_capped_while_the_server_stays_responsive() {
    let srv = Server::start().await;
    let admin = srv.admin().await;
    let space = admin.first_space().await;
    let plain = admin
        .new_doc(&space, None, "普通文档", "# 普通\n\n正文")
        .await;
    let plain = plain["id"].as_str().unwrap().to_owned();
    let deep = [
        store_unchecked(&srv, &admin, &space, "深 div", nested_divs(50_000)).await,
        store_unchecked(
            &srv,
            &admin,
            &space,
            "深列表",
            format!("{}深处\n", "- ".repeat(50_000)),
        )
        .await,
    ];
    // Two first reads at once (nothing cached), as in the stall that was reported.
    let started = Instant::now();
    let reads: Vec<_> = deep
        .iter()
        .map(|id| {
            let (c, id) = (admin.clone(), id.clone());
            tokio::spawn(async move {
                let t = Instant::now();
                let r = c.get(&format!("/api/v1/documents/{id}")).await;
                (r, t.elapsed())
            })
        })
        .collect();
    let slowest = stays_responsive(
        &srv,
        &admin,
        &plain,
        || reads.iter().any(|r| !r.is_finished()),
        500,
    )
    .await;
    let mut answers: Vec<(Value, Duration)> = Vec::new();
    for r in reads {
        let ((st, d), took) = r.await.unwrap();
        assert_eq!(st, StatusCode::OK, "{d}");
        answers.push((d, took));
    }
    eprintln!(
        "two deep first reads: {:?} and {:?} (all done in {:?}); slowest /healthz + plain read meanwhile: {slowest:?}",
        answers[0].1,
        answers[1].1,
        started.elapsed()
    );
    let html = answers[0].0["html"].as_str().unwrap();
    assert!(html.matches("<div>").count() <= 100, "capped");
    assert!(html.contains("&lt;div&gt;深处"), "the rest shown as text");
    let html = answers[1].0["html"].as_str().unwrap();
    assert!(html.matches("<li>").count() <= 100, "capped");
    assert!(html.contains("深处"));
    for (_, took) in &answers {
        assert!(*took < Duration::from_secs(30), "bounded: {took:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_diffs_answer_at_line_level_while_the_server_stays_responsive() {
    let srv = Server::start().await;
    let admin = srv.admin().await;
    let space = admin.first_space().await;
    let plain = admin.new_doc(&space, None, "普通文档", "正文").await;
    let plain = plain["id"].as_str().unwrap().to_owned();
    // Two 4 MB bodies, every other line changed.
    let (mut old, mut new) = (String::new(), String::new());
    let mut lines: usize = 0;
    while old.len() < 4 * 1024 * 1024 {
        old.push_str(&format!(
            "第{lines}行 集群扩容与备份恢复的步骤说明 旧 words here\n"
        ));
        let v = if lines.is_multiple_of(2) {
            "新"
        } else {
            "旧"
        };
        new.push_str(&format!(
            "第{lines}行 集群扩容与备份恢复的步骤说明 {v} words here\n"
        ));
        lines += 1;
    }
    let doc = admin.new_doc(&space, None, "大文档", &old).await;
    let id = doc["id"].as_str().unwrap().to_owned();
    let (st, saved) = admin
        .put(
            &format!("/api/v1/documents/{id}"),
            json!({"title": "大文档", "body": new, "base_version": 1}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{saved}");
    let c = admin.clone();
    let diff = tokio::spawn(async move {
        let t = Instant::now();
        let r = c
            .get(&format!("/api/v1/documents/{id}/diff?from=1&to=2"))
            .await;
        (r, t.elapsed())
    });
    let slowest = stays_responsive(&srv, &admin, &plain, || !diff.is_finished(), 1000).await;
    let ((st, d), took) = diff.await.unwrap();
    eprintln!(
        "diff of two 4 MB bodies: {took:?}; slowest /healthz + plain read meanwhile: {slowest:?}"
    );
    assert_eq!(st, StatusCode::OK);
    assert_eq!(d["words_omitted"], true, "past the word-marking limits");
    let changed = lines.div_ceil(2);
    assert_eq!(
        (d["insertions"].as_u64(), d["deletions"].as_u64()),
        (Some(changed as u64), Some(changed as u64))
    );
    let shown: usize = d["hunks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["lines"].as_array().unwrap().len())
        .sum();
    assert!(shown >= 2 * changed, "every changed line is shown: {shown}");
    assert!(
        d["unified"]
            .as_str()
            .unwrap()
            .contains("+第0行 集群扩容与备份恢复的步骤说明 新")
    );
    // A small diff is still marked word by word.
    let small = admin.new_doc(&space, None, "小", "部署集群很简单\n").await;
    let sid = small["id"].as_str().unwrap();
    admin
        .put(
            &format!("/api/v1/documents/{sid}"),
            json!({"title": "小", "body": "扩容集群很简单\n", "base_version": 1}),
        )
        .await;
    let (_, d) = admin
        .get(&format!("/api/v1/documents/{sid}/diff?from=1&to=2"))
        .await;
    assert_eq!(d["words_omitted"], false);
    assert!(d["hunks"][0]["lines"][1]["words"].is_array(), "{d}");
}
