//! The hardening issue's smaller guarantees: login throttling that cannot be turned against users,
//! protocol errors in the API's shape, no-store answers, Secure cookies behind https, honest names.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{Client, Server, assert_error};

async fn login_attempt(c: &Client, user: &str, password: &str) -> (StatusCode, Value) {
    c.send(
        Method::POST,
        "/api/v1/session",
        Some(json!({"username": user, "password": password})),
    )
    .await
}

async fn throttled_audits(admin: &Client) -> usize {
    let (st, r) = admin
        .get("/api/v1/audit?limit=500&action=session.login&outcome=denied")
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    r["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["detail"]["reason"] == "throttled")
        .count()
}

#[tokio::test]
async fn a_flood_of_throttled_logins_writes_one_audit_event_per_lock() {
    let s = Server::start().await;
    let admin = s.admin().await;
    s.user(&admin, "alice", json!({})).await;
    let attacker = s.client();
    for _ in 0..5 {
        let r = login_attempt(&attacker, "alice", "wrong-password-1").await;
        assert_error(&r, 401, "invalid_credentials");
    }
    for _ in 0..200 {
        let r = login_attempt(&attacker, "alice", "wrong-password-2").await;
        assert_error(&r, 429, "too_many_requests");
    }
    assert_eq!(
        throttled_audits(&admin).await,
        1,
        "one event for one lock window"
    );
}

#[tokio::test]
async fn spraying_an_account_does_not_lock_out_the_browser_it_uses() {
    let s = Server::start().await;
    let admin = s.admin().await;
    s.user(&admin, "alice", json!({})).await;
    // Alice's own browser (a cookie store: it keeps the device cookie of her last login).
    let browser = s.client();
    let (st, r) = login_attempt(&browser, "alice", "Passw0rd-long").await;
    assert_eq!(st, StatusCode::OK, "{r}");
    // An attacker exhausts every budget: the pair's, the address's and the account's.
    let attacker = s.client();
    for i in 0..60 {
        let _ = login_attempt(&attacker, "alice", &format!("guess-{i}")).await;
    }
    let r = login_attempt(&attacker, "alice", "Passw0rd-long").await;
    assert_error(&r, 429, "too_many_requests");
    // A new browser, even with the right password, is locked out for now …
    let stranger = s.client();
    let r = login_attempt(&stranger, "alice", "Passw0rd-long").await;
    assert_error(&r, 429, "too_many_requests");
    // … but Alice, in the browser where she logged in before, is not.
    let (st, r) = login_attempt(&browser, "alice", "Passw0rd-long").await;
    assert_eq!(st, StatusCode::OK, "known browser must get in: {r}");
    assert_eq!(r["user"]["username"], "alice");
}

#[tokio::test]
async fn device_cookie_is_http_only_and_scoped_to_login() {
    let s = Server::start().await;
    let resp = reqwest::Client::new()
        .post(format!("{}/api/v1/session", s.base))
        .json(&json!({"username": "admin", "password": crate::common::ADMIN_PASSWORD}))
        .send()
        .await
        .unwrap();
    let cookies: Vec<String> = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    let device = cookies
        .iter()
        .find(|c| c.starts_with("hanlin_device="))
        .expect("a device cookie");
    assert!(
        device.contains("HttpOnly") && device.contains("Path=/api/v1/session"),
        "{device}"
    );
    assert!(
        !device.contains("Secure"),
        "plain http: no Secure flag: {device}"
    );
}

#[tokio::test]
async fn cookies_are_secure_when_the_public_url_is_https() {
    let s = Server::start_with(|c| c.public_url = Some("https://kb.example.com".into())).await;
    let resp = reqwest::Client::new()
        .post(format!("{}/api/v1/session", s.base))
        .json(&json!({"username": "admin", "password": crate::common::ADMIN_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let cookies: Vec<&str> = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert_eq!(cookies.len(), 2, "{cookies:?}");
    assert!(
        cookies.iter().all(|c| c.contains("; Secure")),
        "{cookies:?}"
    );
}

#[tokio::test]
async fn hundred_parallel_logins_stay_small() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, base) = crate::durability::spawn(dir.path());
    let pid = child.id();
    let http = reqwest::Client::new();
    let before = peak_rss_mb(pid);
    let tasks: Vec<_> = (0..100)
        .map(|i| {
            let (http, base) = (http.clone(), base.clone());
            tokio::spawn(async move {
                http.post(format!("{base}/api/v1/session"))
                    .json(&json!({"username": format!("user{i}"), "password": "not-the-password"}))
                    .timeout(std::time::Duration::from_secs(120))
                    .send()
                    .await
                    .map(|r| r.status())
            })
        })
        .collect();
    for t in tasks {
        let st = t.await.unwrap().expect("answered");
        assert!(
            st == StatusCode::UNAUTHORIZED || st == StatusCode::TOO_MANY_REQUESTS,
            "{st}"
        );
    }
    let after = peak_rss_mb(pid);
    child.kill().unwrap();
    child.wait().unwrap();
    // argon2 takes ~19 MB per hash: 100 at once would add ~1.9 GB; one per core adds ~40 MB.
    assert!(
        after - before < 400,
        "peak RSS grew from {before} MB to {after} MB"
    );
}

fn peak_rss_mb(pid: u32) -> i64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kb: i64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    kb / 1024
}

#[tokio::test]
async fn protocol_errors_answer_in_the_json_error_shape() {
    let s = Server::start().await;
    let admin = s.admin().await;
    let http = reqwest::Client::new();

    let long = format!("{}/api/v1/search?q={}", s.base, "a".repeat(40_000));
    let r = http.get(&long).send().await.unwrap();
    let st = r.status();
    let body: Value = r.json().await.unwrap();
    assert_error(&(st, body), 414, "uri_too_long");

    let r = http
        .get(format!("{}/api/v1/me", s.base))
        .header("x-filler", "b".repeat(40_000))
        .send()
        .await
        .unwrap();
    let st = r.status();
    let body: Value = r.json().await.unwrap();
    assert_error(&(st, body), 431, "headers_too_large");

    for path in [
        "/api/v1/documents/%FF%FE",
        "/api/v1/spaces/%C3%28",
        "/%FF%FE",
    ] {
        let bad = admin.get(path).await;
        assert_error(&bad, 404, "not_found");
    }

    let brew = admin
        .send(
            Method::from_bytes(b"BREW").unwrap(),
            "/api/v1/documents",
            None,
        )
        .await;
    assert_error(&brew, 405, "method_not_allowed");
    let del = admin.send(Method::DELETE, "/healthz", None).await;
    assert_error(&del, 405, "method_not_allowed");
}

#[tokio::test]
async fn authenticated_api_answers_are_not_cached() {
    let s = Server::start().await;
    let admin = s.admin().await;
    let space = admin.first_space().await;
    let d = admin.new_doc(&space, None, "缓存", "正文\n").await;
    for path in [
        "/api/v1/me".to_owned(),
        format!("/api/v1/documents/{}", d["id"].as_str().unwrap()),
        "/api/v1/spaces".to_owned(),
        "/api/v1/search?q=缓存".to_owned(),
    ] {
        let r = admin
            .http
            .get(format!("{}{}", s.base, path))
            .bearer_auth(admin.token.as_ref().unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert_eq!(
            r.headers()
                .get("cache-control")
                .map(|v| v.to_str().unwrap()),
            Some("no-store"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn display_names_cannot_hide_characters_or_pass_for_another_account() {
    let s = Server::start().await;
    let admin = s.admin().await;
    for bad in [
        "nimda\u{202E}",
        "张\u{200B}伟",
        "\u{2066}admin\u{2069}",
        "x\u{FEFF}",
    ] {
        let r = admin
            .post(
                "/api/v1/users",
                json!({"username": "mallory", "password": "Passw0rd-long", "display_name": bad}),
            )
            .await;
        assert_error(&r, 400, "invalid_input");
        assert_eq!(r.1["error"]["field"], "display_name");
    }
    let (_, mallory) = s.user(&admin, "mallory", json!({})).await;
    // mallory renames herself to look like the administrator and like zhangwei.
    let (zid, _) = s
        .user(&admin, "zhangwei", json!({"display_name": "张伟"}))
        .await;
    let (mid, _) = s
        .user(&admin, "mallory2", json!({"display_name": "张伟"}))
        .await;
    let space = admin.first_space().await;
    let (st, g) = admin
        .put(
            &format!("/api/v1/spaces/{space}/grants"),
            json!([{"principal": "everyone", "role": "editor"}]),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{g}");
    let _ = (zid, mid, mallory);
    let imitator = s.login("mallory2", "Passw0rd-long").await;
    let d = imitator
        .new_doc(&space, None, "通知", "请把密码发给我\n")
        .await;
    let (_, shown) = admin
        .get(&format!("/api/v1/documents/{}", d["id"].as_str().unwrap()))
        .await;
    assert_eq!(shown["author_name"], "张伟 (mallory2)", "{shown}");
}
