//! Many clients at once: writes and logins never hang, and every acknowledged write survives kill -9.
//!
//! Bounded: a fixed number of tasks, each looping until a deadline, each request with a timeout,
//! all on loopback.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use reqwest::StatusCode;
use serde_json::json;

use crate::durability::{login, spawn};

const WRITERS: usize = 64;
const LOGINS: usize = 64;
const RUN: Duration = Duration::from_secs(20);
/// Far above any honest answer time on a loaded 2-core machine; a request this slow is a hang.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Default)]
struct Tally {
    /// (doc id, title) of every acknowledged create.
    acked: Mutex<Vec<(String, String)>>,
    /// Writes acknowledged in the last quarter of the run: proof that writes did not stop.
    late_writes: AtomicU64,
    logins_ok: AtomicU64,
    logins_refused: AtomicU64,
    /// Requests that got no HTTP answer in time (the hang this test exists for), with what failed.
    unanswered: Mutex<Vec<String>>,
    /// Answers that were neither success nor an expected refusal.
    unexpected: Mutex<Vec<String>>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_four_writers_and_logins_never_hang_and_acked_writes_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, base) = spawn(dir.path());
    let admin = login(&base).await;
    let space = admin.first_space().await;
    let (st, u) = admin
        .post(
            "/api/v1/users",
            json!({"username": "zhangwei", "password": "Passw0rd-long", "display_name": "张伟"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{u}");

    let http = reqwest::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .pool_max_idle_per_host(256)
        .build()
        .unwrap();
    let token = admin.token.clone().unwrap();
    let tally = Arc::new(Tally::default());
    let start = Instant::now();
    let deadline = start + RUN;
    let late = start + RUN * 3 / 4;
    let mut tasks = Vec::new();
    for w in 0..WRITERS {
        let (http, base, token, space, tally) = (
            http.clone(),
            base.clone(),
            token.clone(),
            space.clone(),
            tally.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut i = 0;
            while Instant::now() < deadline {
                let title = format!("并发写入 {w}-{i}");
                let r = http
                    .post(format!("{base}/api/v1/documents"))
                    .bearer_auth(&token)
                    .json(&json!({"space_id": space, "title": title, "body": format!("正文 {w} {i}\n"), "tags": []}))
                    .send()
                    .await;
                match r {
                    Ok(resp) if resp.status() == StatusCode::OK => {
                        let v: serde_json::Value = resp.json().await.unwrap();
                        let id = v["id"].as_str().unwrap().to_owned();
                        tally.acked.lock().unwrap().push((id, title));
                        if Instant::now() >= late {
                            tally.late_writes.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    Ok(resp) => {
                        let what = format!("write {}: {}", resp.status(), resp.text().await.unwrap_or_default());
                        tally.unexpected.lock().unwrap().push(what);
                    }
                    Err(e) => tally.unanswered.lock().unwrap().push(format!("write: {e}")),
                }
                i += 1;
            }
        }));
    }
    for l in 0..LOGINS {
        let (http, base, tally) = (http.clone(), base.clone(), tally.clone());
        tasks.push(tokio::spawn(async move {
            let mut i = 0;
            while Instant::now() < deadline {
                // Half the clients are the real user, half guess passwords of unknown accounts.
                let body = if l % 2 == 0 {
                    json!({"username": "zhangwei", "password": "Passw0rd-long"})
                } else {
                    json!({"username": format!("nobody{l}"), "password": format!("guess-{i}")})
                };
                match http
                    .post(format!("{base}/api/v1/session"))
                    .json(&body)
                    .send()
                    .await
                {
                    Ok(resp) => match resp.status() {
                        StatusCode::OK => {
                            tally.logins_ok.fetch_add(1, Ordering::Relaxed);
                        }
                        StatusCode::UNAUTHORIZED | StatusCode::TOO_MANY_REQUESTS => {
                            tally.logins_refused.fetch_add(1, Ordering::Relaxed);
                        }
                        s => {
                            let what =
                                format!("login {s}: {}", resp.text().await.unwrap_or_default());
                            tally.unexpected.lock().unwrap().push(what);
                        }
                    },
                    Err(e) => tally.unanswered.lock().unwrap().push(format!("login: {e}")),
                }
                i += 1;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let acked = tally.acked.lock().unwrap().clone();
    let unanswered = tally.unanswered.lock().unwrap().clone();
    let unexpected = tally.unexpected.lock().unwrap().clone();
    eprintln!(
        "{} writes acknowledged ({} in the last quarter), {} logins ok, {} refused, in {:?}",
        acked.len(),
        tally.late_writes.load(Ordering::Relaxed),
        tally.logins_ok.load(Ordering::Relaxed),
        tally.logins_refused.load(Ordering::Relaxed),
        start.elapsed()
    );
    assert!(
        unanswered.is_empty(),
        "requests without an answer: {:?}",
        &unanswered[..unanswered.len().min(5)]
    );
    assert!(
        unexpected.is_empty(),
        "unexpected answers: {:?}",
        &unexpected[..unexpected.len().min(5)]
    );
    assert!(
        acked.len() >= WRITERS,
        "every writer got through at least once: {}",
        acked.len()
    );
    assert!(
        tally.late_writes.load(Ordering::Relaxed) > 0,
        "writes still succeed at the end of the run"
    );
    assert!(
        tally.logins_ok.load(Ordering::Relaxed) > 0,
        "the real user could log in"
    );

    // Every acknowledged write is on disk: kill -9 and look for each one.
    child.kill().unwrap();
    child.wait().unwrap();
    let (mut child, base) = spawn(dir.path());
    let c = login(&base).await;
    let mut missing = Vec::new();
    for (id, title) in &acked {
        let (st, d) = c.get(&format!("/api/v1/documents/{id}")).await;
        if st != StatusCode::OK || d["title"] != title.as_str() {
            missing.push((id.clone(), st));
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged writes lost: {:?}",
        missing.len(),
        acked.len(),
        &missing[..missing.len().min(5)]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_creations_of_one_name_let_exactly_one_through() {
    let s = crate::common::Server::start().await;
    let admin = s.admin().await;
    let space = admin.first_space().await;
    // Spaces, categories (siblings) and departments: 16 clients race for each name.
    let routes = [
        ("/api/v1/spaces".to_owned(), json!({"name": "竞争空间"})),
        (
            format!("/api/v1/spaces/{space}/categories"),
            json!({"name": "竞争分类"}),
        ),
        ("/api/v1/groups".to_owned(), json!({"name": "竞争部门"})),
    ];
    for (path, body) in routes {
        let tasks: Vec<_> = (0..16)
            .map(|_| {
                let (admin, path, body) = (admin.clone(), path.clone(), body.clone());
                tokio::spawn(async move { admin.post(&path, body).await })
            })
            .collect();
        let mut ok = 0;
        for t in tasks {
            let (st, b) = t.await.unwrap();
            match st {
                StatusCode::OK => ok += 1,
                StatusCode::CONFLICT => assert_eq!(b["error"]["code"], "name_taken", "{b}"),
                other => panic!("{path}: {other} {b}"),
            }
        }
        assert_eq!(ok, 1, "{path}: exactly one creation wins");
    }
    // And the loser may not rename into the name either (case-insensitive).
    let other = admin.new_space("另一个").await;
    let r = admin
        .patch(
            &format!("/api/v1/spaces/{other}"),
            json!({"name": "竞争空间"}),
        )
        .await;
    crate::common::assert_error(&r, 409, "name_taken");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_submissions_leave_one_open_review_and_check_agrees() {
    let s = crate::common::Server::start().await;
    let admin = s.admin().await;
    let space = admin.first_space().await;
    let cat = admin.new_category(&space, "需审核", None).await;
    let (km, km_client) = s.user(&admin, "km", json!({})).await;
    let (st, g) = admin
        .put(
            &format!("/api/v1/spaces/{space}/grants"),
            json!([{"principal": format!("user:{km}"), "role": "reviewer"}, {"principal": "everyone", "role": "reader"}]),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{g}");
    let (st, p) = admin
        .put(
            &format!("/api/v1/categories/{cat}/review-policy"),
            json!({"stages": [{"name": "终审", "reviewers": [format!("user:{km}")], "quorum": "any"}]}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{p}");
    let d = admin
        .new_doc(&space, Some(&cat), "并发提交", "第一版\n")
        .await;
    let id = d["id"].as_str().unwrap().to_owned();
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (admin, id) = (admin.clone(), id.clone());
            tokio::spawn(async move {
                admin
                    .post(&format!("/api/v1/documents/{id}/submit"), json!({}))
                    .await
            })
        })
        .collect();
    let mut submitted = 0;
    for t in tasks {
        let (st, b) = t.await.unwrap();
        assert!(st.is_success() || st == StatusCode::CONFLICT, "{st} {b}");
        if st.is_success() {
            submitted += 1;
        }
    }
    assert!(submitted >= 1);
    let (st, q) = km_client
        .get("/api/v1/reviews?state=pending&assigned=me")
        .await;
    assert_eq!(st, StatusCode::OK, "{q}");
    let open: Vec<_> = q["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["doc_id"] == id.as_str())
        .collect();
    assert_eq!(open.len(), 1, "exactly one review stays open: {q}");
    // The reviewer approves it; afterwards none is open and the index agrees with the reviews.
    let rid = open[0]["id"].as_str().unwrap().to_owned();
    let (st, a) = km_client
        .post(
            &format!("/api/v1/reviews/{rid}/approve"),
            json!({"comment": "好"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{a}");
    let problems = hanlin::service::reviews::verify_open_index(&s.state.store).unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    assert!(s.state.store.open_reviews.is_empty());
}
