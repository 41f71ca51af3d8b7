//! Group robots over HTTP: a receiver on 127.0.0.1 stands in for DingTalk, WeCom and Feishu. A
//! direct publish and a final approval each post one message in the robot's format (DingTalk's
//! signature checked here); a failing robot is retried with backoff; a slow one never slows a
//! save; a document `everyone` may not read sends nothing; the secret is never answered; only
//! managers list and change robots; bad input is 422 with a stable reason.

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use axum::{Json, Router, extract::State, http::Uri, routing::post};
use base64::Engine;
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::Sha256;
use tokio::sync::mpsc;

use crate::common::{Client, Server, assert_error, ok, s, urlencode};

/// One request a receiver got.
#[derive(Debug)]
struct Got {
    /// Path and query.
    target: String,
    body: Value,
}

struct Shared {
    /// Answers in turn (status, body); the last one repeats.
    script: Vec<(u16, Value)>,
    /// How long to wait before answering.
    delay: Duration,
    seen: AtomicUsize,
    answered: AtomicUsize,
    tx: mpsc::UnboundedSender<Got>,
}

/// A stand-in robot on 127.0.0.1:0.
struct Receiver {
    base: String,
    shared: Arc<Shared>,
    rx: tokio::sync::Mutex<mpsc::UnboundedReceiver<Got>>,
}

async fn robot(
    State(st): State<Arc<Shared>>,
    uri: Uri,
    Json(body): Json<Value>,
) -> (StatusCode, Json<Value>) {
    let n = st.seen.fetch_add(1, Ordering::SeqCst);
    let _ = st.tx.send(Got {
        target: uri.to_string(),
        body,
    });
    tokio::time::sleep(st.delay).await;
    let (status, answer) = st.script[n.min(st.script.len() - 1)].clone();
    st.answered.fetch_add(1, Ordering::SeqCst);
    (StatusCode::from_u16(status).unwrap(), Json(answer))
}

impl Receiver {
    async fn start(script: Vec<(u16, Value)>, delay: Duration) -> Receiver {
        let (tx, rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            script,
            delay,
            seen: AtomicUsize::new(0),
            answered: AtomicUsize::new(0),
            tx,
        });
        let app = Router::new()
            .fallback(post(robot))
            .with_state(shared.clone());
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", l.local_addr().unwrap());
        tokio::spawn(async move {
            let _ = axum::serve(l, app).await;
        });
        Receiver {
            base,
            shared,
            rx: tokio::sync::Mutex::new(rx),
        }
    }

    async fn ok_robot() -> Receiver {
        Self::start(
            vec![(200, json!({"errcode": 0, "errmsg": "ok"}))],
            Duration::ZERO,
        )
        .await
    }

    /// The next request it gets (within 10 s).
    async fn next(&self) -> Got {
        let mut rx = self.rx.lock().await;
        tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .expect("the robot got no message within 10 s")
            .unwrap()
    }

    /// Whether another request came (waiting up to `wait`).
    async fn quiet_for(&self, wait: Duration) -> bool {
        let mut rx = self.rx.lock().await;
        tokio::time::timeout(wait, rx.recv()).await.is_err()
    }

    fn answered(&self) -> usize {
        self.shared.answered.load(Ordering::SeqCst)
    }
}

/// A server (fast retries, a public address), a space everyone reads, a manager, an editor.
struct World {
    srv: Server,
    admin: Client,
    space: String,
    manager: Client,
    editor: Client,
    editor_id: String,
}

async fn world() -> World {
    world_with(50).await
}

async fn world_with(retry_base_ms: u64) -> World {
    let srv = Server::start_with(|c| {
        c.webhook_retry_base_ms = retry_base_ms;
        c.webhook_allow_loopback = true;
        c.public_url = Some("https://kb.example.com/".into());
    })
    .await;
    let admin = srv.admin().await;
    let space = admin.new_space("研发知识库").await;
    let (mgr_id, manager) = srv
        .user(&admin, "mgr", json!({"display_name": "王经理"}))
        .await;
    let (editor_id, editor) = srv
        .user(&admin, "editor", json!({"display_name": "小李"}))
        .await;
    ok(admin
        .put(
            &format!("/api/v1/spaces/{space}/grants"),
            json!([
                {"principal": "everyone", "role": "reader"},
                {"principal": format!("user:{mgr_id}"), "role": "manager"},
                {"principal": format!("user:{editor_id}"), "role": "editor"},
            ]),
        )
        .await);
    World {
        srv,
        admin,
        space,
        manager,
        editor,
        editor_id,
    }
}

impl World {
    async fn hooks(&self, body: Value) -> Value {
        ok(self
            .manager
            .put(&format!("/api/v1/spaces/{}/webhooks", self.space), body)
            .await)
    }

    async fn listed(&self) -> Value {
        ok(self
            .manager
            .get(&format!("/api/v1/spaces/{}/webhooks", self.space))
            .await)
    }

    /// Polls the list until robot 0's last result satisfies `done` (bounded: 10 s).
    async fn last_until(&self, done: impl Fn(&Value) -> bool) -> Value {
        for _ in 0..400 {
            let l = self.listed().await;
            if done(&l[0]["last"]) {
                return l;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("the last result never matched: {}", self.listed().await);
    }
}

fn query_param(target: &str, name: &str) -> String {
    let q = target.split_once('?').map_or("", |(_, q)| q);
    q.split('&')
        .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} in {target}"))
        .to_owned()
}

#[tokio::test]
async fn a_direct_publish_posts_a_signed_dingtalk_message() {
    let w = world().await;
    let r = Receiver::ok_robot().await;
    let secret = "SEC0123456789abcdef";
    let listed = w
        .hooks(json!([{
            "kind": "dingtalk",
            "url": format!("{}/robot/send?access_token=tok0123456789", r.base),
            "secret": secret,
        }]))
        .await;
    assert_eq!(listed[0]["has_secret"], true, "{listed}");
    assert!(!listed.to_string().contains(secret), "{listed}");
    assert!(!listed.to_string().contains("tok0123456789"), "{listed}");

    let d = w
        .editor
        .new_doc(&w.space, None, "发布流程说明", "正文\n")
        .await;
    assert_eq!(d["status"], "published", "{d}");
    let id = s(&d["id"]);

    let got = r.next().await;
    assert!(
        got.target
            .starts_with("/robot/send?access_token=tok0123456789&timestamp="),
        "{}",
        got.target
    );
    // The signature, computed here as DingTalk does: HMAC-SHA256 keyed by the secret over
    // "{timestamp}\n{secret}", Base64, URL-encoded.
    let ts = query_param(&got.target, "timestamp");
    let ms: i64 = ts.parse().unwrap();
    assert!((chrono::Utc::now().timestamp_millis() - ms).abs() < 60_000);
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{ts}\n{secret}").as_bytes());
    let expected = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    assert_eq!(query_param(&got.target, "sign"), urlencode(&expected));

    assert_eq!(got.body["msgtype"], "markdown", "{}", got.body);
    assert_eq!(got.body["markdown"]["title"], "《发布流程说明》");
    let text = s(&got.body["markdown"]["text"]);
    assert!(
        text.contains("《发布流程说明》发布了版本 1（小李）"),
        "{text}"
    );
    assert!(
        text.contains(&format!("(https://kb.example.com/#/doc/{id})")),
        "{text}"
    );

    // A second version is a second message; its result is recorded on the robot.
    ok(w.editor
        .put(
            &format!("/api/v1/documents/{id}"),
            json!({"title": "发布流程说明", "body": "改过的正文\n", "base_version": 1}),
        )
        .await);
    let got = r.next().await;
    assert!(s(&got.body["markdown"]["text"]).contains("发布了版本 2"));
    let l = w
        .last_until(|last| last["ok"] == true && last["title"] == "发布流程说明")
        .await;
    assert_eq!(l[0]["last"]["attempts"], 1, "{l}");
    assert_eq!(l[0]["last"]["status"], 200, "{l}");
    assert!(!l.to_string().contains(secret));
    assert!(r.quiet_for(Duration::from_millis(200)).await);
}

#[tokio::test]
async fn a_final_approval_posts_a_wecom_message_and_the_draft_posts_nothing() {
    let w = world().await;
    let r = Receiver::ok_robot().await;
    let (reviewer_id, reviewer) = w
        .srv
        .user(&w.admin, "reviewer", json!({"display_name": "审核人老张"}))
        .await;
    let cat = w.admin.new_category(&w.space, "制度", None).await;
    ok(w.admin
        .put(
            &format!("/api/v1/categories/{cat}/grants"),
            json!({"inherit": true, "grants": [
                {"principal": format!("user:{reviewer_id}"), "role": "reviewer"},
            ]}),
        )
        .await);
    ok(w.admin
        .put(
            &format!("/api/v1/categories/{cat}/review-policy"),
            json!({"stages": [
                {"name": "审核", "reviewers": [format!("user:{reviewer_id}")], "quorum": "any"},
            ]}),
        )
        .await);
    w.hooks(json!([{
        "kind": "wecom",
        "url": format!("{}/cgi-bin/webhook/send?key=0123-4567-89ab", r.base),
    }]))
    .await;

    let d = w
        .editor
        .new_doc(&w.space, Some(&cat), "请假制度", "正文\n")
        .await;
    assert_eq!(d["status"], "draft", "{d}");
    let id = s(&d["id"]);
    let review = ok(w
        .editor
        .post(&format!("/api/v1/documents/{id}/submit"), json!({}))
        .await);
    // Neither the draft nor the submission is announced.
    assert!(r.quiet_for(Duration::from_millis(300)).await);
    let decided = ok(reviewer
        .post(
            &format!("/api/v1/reviews/{}/approve", s(&review["id"])),
            json!({}),
        )
        .await);
    assert_eq!(decided["state"], "approved", "{decided}");

    let got = r.next().await;
    assert_eq!(got.target, "/cgi-bin/webhook/send?key=0123-4567-89ab");
    assert_eq!(got.body["msgtype"], "markdown", "{}", got.body);
    let content = s(&got.body["markdown"]["content"]);
    assert!(
        content.contains("《请假制度》版本 1 审核通过并发布（作者 小李，审核 审核人老张）"),
        "{content}"
    );
    assert!(content.contains(&format!("https://kb.example.com/#/doc/{id}")));
    let _ = &w.editor_id;
}

#[tokio::test]
async fn a_failing_robot_is_retried_until_it_accepts() {
    let w = world().await;
    let r = Receiver::start(
        vec![
            (500, json!({"error": "busy"})),
            (
                200,
                json!({"code": 19021, "msg": "sign match fail or timestamp is not within one hour from current time"}),
            ),
            (200, json!({"code": 0, "msg": "success"})),
        ],
        Duration::ZERO,
    )
    .await;
    let secret = "feishu-secret";
    w.hooks(json!([{
        "kind": "feishu",
        "url": format!("{}/open-apis/bot/v2/hook/0123456789abcdef0123", r.base),
        "secret": secret,
    }]))
    .await;
    w.editor.new_doc(&w.space, None, "值班表", "正文\n").await;

    let first = r.next().await;
    assert_eq!(first.body["msg_type"], "text", "{}", first.body);
    assert!(s(&first.body["content"]["text"]).contains("《值班表》发布了版本 1（小李）"));
    // Feishu's signature: HMAC-SHA256 keyed by "{timestamp}\n{secret}" over nothing, Base64.
    let ts = s(&first.body["timestamp"]);
    let mut mac = Hmac::<Sha256>::new_from_slice(format!("{ts}\n{secret}").as_bytes()).unwrap();
    mac.update(b"");
    assert_eq!(
        s(&first.body["sign"]),
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    );
    r.next().await;
    r.next().await;
    let l = w.last_until(|last| last["ok"] == true).await;
    let last = &l[0]["last"];
    assert_eq!(last["attempts"], 3, "{l}");
    assert_eq!(last["retrying"], false, "{l}");
    assert_eq!(last["error"], Value::Null, "{l}");
    // Delivered: nothing waits, and nothing more comes.
    assert!(r.quiet_for(Duration::from_millis(400)).await);
    assert!(w.srv.state.store.webhook_queue.is_empty());
    assert!(!l.to_string().contains(secret));
}

#[tokio::test]
async fn a_robot_that_keeps_failing_is_given_up_with_its_error_shown() {
    let w = world().await;
    let r = Receiver::start(vec![(503, json!({}))], Duration::ZERO).await;
    w.hooks(json!([{"kind": "wecom", "url": format!("{}/hook?key=abcdef", r.base)}]))
        .await;
    w.editor.new_doc(&w.space, None, "坏机器人", "正文\n").await;
    let l = w
        .last_until(|last| last["retrying"] == false && last["attempts"] == 6)
        .await;
    let last = &l[0]["last"];
    assert_eq!(last["ok"], false, "{l}");
    assert_eq!(last["status"], 503, "{l}");
    assert_eq!(last["error"], "HTTP 503", "{l}");
    assert!(w.srv.state.store.webhook_queue.is_empty());
    assert_eq!(r.shared.seen.load(Ordering::SeqCst), 6);
}

#[tokio::test]
async fn a_slow_robot_does_not_slow_a_save() {
    let w = world().await;
    let r = Receiver::start(vec![(200, json!({"errcode": 0}))], Duration::from_secs(3)).await;
    w.hooks(
        json!([{"kind": "dingtalk", "url": format!("{}/robot/send?access_token=slow", r.base)}]),
    )
    .await;
    let d = w.editor.new_doc(&w.space, None, "慢机器人", "正文\n").await;
    assert_eq!(r.answered(), 0, "the create waited for the robot");
    // The robot now holds the first message for 3 s; a save meanwhile is answered before it is.
    r.next().await;
    ok(w.editor
        .put(
            &format!("/api/v1/documents/{}", s(&d["id"])),
            json!({"title": "慢机器人", "body": "第二版\n", "base_version": 1}),
        )
        .await);
    assert_eq!(r.answered(), 0, "the save waited for the robot");
    // Both are delivered in the end (bounded by last_until's 10 s).
    r.next().await;
    let l = w
        .last_until(|last| last["ok"] == true && r.answered() == 2)
        .await;
    assert_eq!(l[0]["last"]["attempts"], 1, "{l}");
}

#[tokio::test]
async fn what_everyone_may_not_read_is_never_sent() {
    let w = world().await;
    let r = Receiver::ok_robot().await;
    let secret_cat = w.admin.new_category(&w.space, "薪酬", None).await;
    ok(w.admin
        .put(
            &format!("/api/v1/categories/{secret_cat}/grants"),
            json!({"inherit": false, "grants": [
                {"principal": format!("user:{}", w.editor_id), "role": "editor"},
            ]}),
        )
        .await);
    w.hooks(json!([{"kind": "dingtalk", "url": format!("{}/robot/send?access_token=x", r.base)}]))
        .await;
    let hidden = w
        .editor
        .new_doc(&w.space, Some(&secret_cat), "2026 年调薪方案", "正文\n")
        .await;
    assert_eq!(hidden["status"], "published", "{hidden}");
    // A document everyone reads, published after it, is the first and only message.
    w.editor.new_doc(&w.space, None, "公开周报", "正文\n").await;
    let got = r.next().await;
    let text = s(&got.body["markdown"]["text"]);
    assert!(text.contains("公开周报"), "{text}");
    assert!(r.quiet_for(Duration::from_millis(400)).await);
    assert!(w.srv.state.store.webhook_queue.is_empty());

    // A space `everyone` cannot read sends nothing at all.
    let closed = w.admin.new_space("闭门空间").await;
    ok(w.admin
        .put(
            &format!("/api/v1/spaces/{closed}/grants"),
            json!([{"principal": format!("user:{}", w.editor_id), "role": "manager"}]),
        )
        .await);
    ok(w.editor
        .put(
            &format!("/api/v1/spaces/{closed}/webhooks"),
            json!([{"kind": "wecom", "url": format!("{}/closed?key=y", r.base)}]),
        )
        .await);
    w.editor
        .new_doc(&closed, None, "闭门会议纪要", "正文\n")
        .await;
    assert!(r.quiet_for(Duration::from_millis(400)).await);
}

#[tokio::test]
async fn only_managers_see_and_change_robots_and_the_secret_never_shows() {
    let w = world().await;
    let path = format!("/api/v1/spaces/{}/webhooks", w.space);
    // An editor of the space sees it but does not manage it: 403. Someone who cannot see the
    // space: 404, as for a space that does not exist.
    assert_error(&w.editor.get(&path).await, 403, "forbidden");
    assert_error(
        &w.editor
            .put(
                &path,
                json!([{"kind": "wecom", "url": "https://qyapi.weixin.qq.com/x?key=1"}]),
            )
            .await,
        403,
        "forbidden",
    );
    let other = w.admin.new_space("别的空间").await;
    ok(w.admin
        .put(&format!("/api/v1/spaces/{other}/grants"), json!([]))
        .await);
    assert_error(
        &w.manager
            .get(&format!("/api/v1/spaces/{other}/webhooks"))
            .await,
        404,
        "not_found",
    );
    assert_error(
        &w.manager
            .get("/api/v1/spaces/0123456789abcdef0123456789abcdef/webhooks")
            .await,
        404,
        "not_found",
    );

    // Bad input: 422 invalid_input with the field and a stable reason.
    let bad = w
        .manager
        .put(
            &path,
            json!([{"kind": "slack", "url": "https://x.example/"}]),
        )
        .await;
    assert_error(&bad, 422, "invalid_input");
    assert_eq!(bad.1["error"]["reason"], "not_one_of", "{}", bad.1);
    assert_eq!(bad.1["error"]["field"], "[0].kind");
    for url in [
        "ftp://example.com/hook",
        "not a url",
        "https://",
        "javascript:alert(1)",
    ] {
        let bad = w
            .manager
            .put(&path, json!([{"kind": "dingtalk", "url": url}]))
            .await;
        assert_error(&bad, 422, "invalid_input");
        assert_eq!(bad.1["error"]["reason"], "bad_url", "{url}: {}", bad.1);
        assert_eq!(bad.1["error"]["field"], "[0].url");
    }
    let eleven: Vec<Value> = (0..11)
        .map(|i| json!({"kind": "wecom", "url": format!("https://qyapi.weixin.qq.com/send?key={i}")}))
        .collect();
    let bad = w.manager.put(&path, json!(eleven)).await;
    assert_error(&bad, 422, "invalid_input");
    assert_eq!(bad.1["error"]["reason"], "too_many");
    let bad = w
        .manager
        .put(&path, json!([{"kind": "feishu", "url": "https://open.feishu.cn/h", "secret": "x".repeat(201)}]))
        .await;
    assert_eq!(bad.1["error"]["reason"], "too_long", "{}", bad.1);
    assert!(
        ok(w.manager.get(&path).await)
            .as_array()
            .unwrap()
            .is_empty()
    );

    // Set, then keep by id: the secret stays without being sent back, and is never answered.
    let set = ok(w
        .manager
        .put(
            &path,
            json!([{
                "kind": "dingtalk",
                "url": "https://oapi.dingtalk.com/robot/send?access_token=abcdef0123456789",
                "secret": "SECtopsecret",
            }]),
        )
        .await);
    assert_eq!(
        set[0]["url"],
        "https://oapi.dingtalk.com/robot/send?access_token=abcd****"
    );
    let id = s(&set[0]["id"]);
    let kept = ok(w
        .manager
        .put(&path, json!([{"id": id, "kind": "dingtalk"}]))
        .await);
    assert_eq!(kept[0]["id"], id.as_str());
    assert_eq!(kept[0]["has_secret"], true, "{kept}");
    let stored = w.srv.state.store.webhooks.get(&w.space).unwrap().unwrap();
    assert_eq!(stored.hooks[0].secret.as_deref(), Some("SECtopsecret"));
    assert!(stored.hooks[0].url.ends_with("abcdef0123456789"));
    for listed in [ok(w.manager.get(&path).await), ok(w.admin.get(&path).await)] {
        assert!(!listed.to_string().contains("SECtopsecret"), "{listed}");
        assert!(!listed.to_string().contains("abcdef0123456789"), "{listed}");
    }
    let cleared = ok(w
        .manager
        .put(&path, json!([{"id": id, "kind": "dingtalk", "secret": ""}]))
        .await);
    assert_eq!(cleared[0]["has_secret"], false);
    assert_error(
        &w.manager
            .put(
                &path,
                json!([{"id": "0123456789abcdef0123456789abcdef", "kind": "dingtalk"}]),
            )
            .await,
        422,
        "invalid_input",
    );
    // The change is audited, without the secret or the token.
    let (_, audit) = w.admin.get("/api/v1/audit?action=space.webhooks").await;
    let text = audit.to_string();
    assert!(text.contains("space.webhooks"), "{text}");
    assert!(!text.contains("SECtopsecret") && !text.contains("abcdef0123456789"));
}

#[tokio::test]
async fn pending_deliveries_survive_a_restart() {
    // The robot answers 500 at first; the retry is due only after a minute.
    let w = world_with(60_000).await;
    let r = Receiver::start(
        vec![(500, json!({})), (200, json!({"errcode": 0}))],
        Duration::ZERO,
    )
    .await;
    let World {
        srv,
        editor,
        space,
        manager,
        ..
    } = w;
    ok(manager
        .put(
            &format!("/api/v1/spaces/{space}/webhooks"),
            json!([{"kind": "dingtalk", "url": format!("{}/robot/send?access_token=z", r.base)}]),
        )
        .await);
    editor.new_doc(&space, None, "重启之前", "正文\n").await;
    r.next().await;
    let mut queued = false;
    for _ in 0..200 {
        let q = srv.state.store.webhook_queue.all().unwrap();
        if q.iter().any(|(_, d)| d.attempts == 1) {
            queued = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(queued, "the failed attempt was not rescheduled");
    let dir = srv.stop().await;
    // Restarted with the retry due at once: the message is delivered.
    let srv = Server::start_in(dir, |c| {
        c.webhook_retry_base_ms = 50;
        c.webhook_allow_loopback = true;
    })
    .await;
    let st = srv.state.store.clone();
    let mut waiting = st.webhook_queue.all().unwrap();
    assert_eq!(waiting.len(), 1, "{waiting:?}");
    for (_, d) in &mut waiting {
        d.next_at = chrono::Utc::now();
    }
    st.transact(|tx| {
        for (seq, d) in &waiting {
            tx.webhook_queue.put(*seq, d)?;
        }
        Ok(())
    })
    .unwrap();
    st.webhook_queue.wake();
    let got = r.next().await;
    assert!(s(&got.body["markdown"]["text"]).contains("《重启之前》"));
    for _ in 0..400 {
        if st.webhook_queue.is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the resumed delivery never completed");
}

/// Without `--webhook-allow-loopback`, a robot may not point at this machine or at a link-local
/// address (where cloud metadata answers); a private-network address is allowed.
#[tokio::test]
async fn robots_may_not_point_at_this_machine_unless_allowed() {
    let srv = Server::start().await;
    let admin = srv.admin().await;
    let space = admin.new_space("机器人地址").await;
    let url = format!("/api/v1/spaces/{space}/webhooks");
    for bad in [
        "http://127.0.0.1:8080/robot",
        "http://localhost/robot",
        "http://[::1]/robot",
        "http://169.254.169.254/latest/meta-data",
        "http://0.0.0.0/robot",
        "http://[::ffff:127.0.0.1]/robot",
    ] {
        let r = admin
            .put(&url, serde_json::json!([{"kind": "wecom", "url": bad}]))
            .await;
        assert_error(&r, 422, "invalid_input");
        assert_eq!(r.1["error"]["reason"], "local_address", "{bad}: {}", r.1);
        assert_eq!(r.1["error"]["field"], "[0].url", "{bad}: {}", r.1);
    }
    let list = ok(admin.get(&url).await);
    assert_eq!(list.as_array().unwrap().len(), 0, "nothing stored: {list}");
    ok(admin
        .put(
            &url,
            serde_json::json!([{"kind": "wecom", "url": "http://10.1.2.3/cgi-bin/webhook/send?key=abc"}]),
        )
        .await);
}

#[tokio::test]
async fn an_overdue_action_item_is_posted_once_to_the_spaces_robot() {
    let w = world().await;
    let r = Receiver::ok_robot().await;
    w.hooks(json!([{
        "kind": "feishu",
        "url": format!("{}/open-apis/bot/v2/hook/abc", r.base),
    }]))
    .await;
    let clock = &w.srv.state.clock;
    let due = clock.now().date_naive() + chrono::Duration::days(1);
    let d = w
        .editor
        .new_doc(
            &w.space,
            None,
            "上线清单",
            &format!("- [ ] 准备回滚脚本 @mgr 截止:{due}\n"),
        )
        .await;
    // The publish itself is announced first.
    let got = r.next().await;
    assert!(
        s(&got.body["content"]["text"]).contains("《上线清单》发布了版本 1"),
        "{}",
        got.body
    );
    // Not overdue yet: nothing more.
    ok(w.manager.get("/api/v1/action-items").await);
    assert!(r.quiet_for(Duration::from_millis(300)).await);
    clock.set(clock.now() + chrono::Duration::days(3));
    let items = ok(w.manager.get("/api/v1/action-items").await);
    assert_eq!(items["items"][0]["overdue"], true, "{items}");
    let got = r.next().await;
    let text = s(&got.body["content"]["text"]);
    assert!(
        text.contains("《上线清单》的待办已逾期：准备回滚脚本（王经理，截止"),
        "{text}"
    );
    assert!(text.contains(&s(&d["id"])), "{text}");
    // Once only.
    ok(w.manager.get("/api/v1/action-items").await);
    ok(w.manager.get("/api/v1/notifications").await);
    assert!(r.quiet_for(Duration::from_millis(300)).await);
}
