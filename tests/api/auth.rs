//! Authentication, sessions and accounts (issue 4): login and its audit trail, cookie sessions with
//! CSRF, bearer tokens, logout, throttling, expiry, disabling, password changes, admin-only routes,
//! bad input, and the audit log itself.

use chrono::{Duration, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{ADMIN_PASSWORD, Client, Server, assert_error};

const PASSWORD: &str = "Passw0rd-long";

async fn login_raw(srv: &Server, user: &str, password: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}/api/v1/session", srv.base))
        .json(&json!({"username": user, "password": password}))
        .send()
        .await
        .unwrap()
}

/// A client authenticated by its session cookie alone (no bearer token), and its CSRF token.
async fn cookie_client(srv: &Server, user: &str, password: &str) -> (Client, String) {
    let mut c = srv.login(user, password).await;
    c.token = None;
    let (st, me) = c.get("/api/v1/me").await;
    assert_eq!(st, StatusCode::OK, "cookie alone authenticates a GET: {me}");
    (c, me["csrf_token"].as_str().unwrap().to_owned())
}

async fn send_csrf(
    c: &Client,
    method: Method,
    path: &str,
    body: Value,
    csrf: Option<&str>,
) -> (StatusCode, Value) {
    let mut rb = c
        .http
        .request(method, format!("{}{}", c.base, path))
        .json(&body);
    if let Some(t) = csrf {
        rb = rb.header("X-CSRF-Token", t);
    }
    let resp = rb.send().await.unwrap();
    let st = resp.status();
    let text = resp.text().await.unwrap();
    (
        st,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn audit(admin: &Client, query: &str) -> Vec<Value> {
    let (st, r) = admin.get(&format!("/api/v1/audit?limit=500{query}")).await;
    assert_eq!(st, StatusCode::OK, "{r}");
    r["items"].as_array().unwrap().clone()
}

fn future(days: i64) -> String {
    (Utc::now() + Duration::days(days)).to_rfc3339()
}

#[tokio::test]
async fn login_success_and_failure_are_audited() {
    let srv = Server::start().await;
    let admin = srv.admin().await;
    let (uid, _) = srv.user(&admin, "alice", json!({})).await;
    let r = login_raw(&srv, "alice", "Wrong-Pass-999").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_credentials", "{body}");
    // An unknown user gets exactly the same answer.
    let r = login_raw(&srv, "nobody-here", "Wrong-Pass-999").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let unknown: Value = r.json().await.unwrap();
    assert_eq!(unknown["error"], body["error"]);
    // Success: token, CSRF token, the user, and an HttpOnly SameSite cookie; no password hash.
    let r = login_raw(&srv, "Alice", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::OK);
    let cookie = r
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.starts_with("hanlin_session="), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite"),
        "{cookie}"
    );
    assert_eq!(r.headers().get("cache-control").unwrap(), "no-store");
    let ok: Value = r.json().await.unwrap();
    assert!(ok["token"].as_str().is_some_and(|t| t.len() >= 32), "{ok}");
    assert!(ok["csrf_token"].as_str().is_some(), "{ok}");
    assert_eq!(ok["user"]["id"], uid);
    assert!(!ok.to_string().contains("argon2"), "{ok}");

    let events = audit(&admin, "&action=session.login").await;
    assert!(
        events.iter().all(|e| e["action"] == "session.login"),
        "filter: {events:?}"
    );
    let failed: Vec<&Value> = events.iter().filter(|e| e["outcome"] == "failed").collect();
    assert_eq!(failed.len(), 2, "{events:?}");
    assert!(
        failed
            .iter()
            .any(|e| e["target"] == format!("user:{uid}") && e["actor_name"] == "alice"),
        "{failed:?}"
    );
    assert!(
        failed
            .iter()
            .any(|e| e["actor_name"] == "nobody-here" && e["target"] == "user:unknown"),
        "{failed:?}"
    );
    let okev = events
        .iter()
        .find(|e| e["outcome"] == "ok" && e["actor"] == uid)
        .expect("success audited");
    assert_eq!(okev["ip"], "127.0.0.1");
    assert_eq!(okev["target"], format!("user:{uid}"));
    assert!(okev["at"].as_str().is_some());
    // The failure-only view.
    let only_failed = audit(&admin, "&action=session.login&outcome=failed").await;
    assert_eq!(only_failed.len(), 2);
    // Over-long login names are refused before any work.
    let r = login_raw(&srv, &"x".repeat(65), "whatever").await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn cookie_writes_need_the_csrf_token_bearer_writes_do_not() {
    let srv = Server::start().await;
    let (c, csrf) = cookie_client(&srv, "admin", ADMIN_PASSWORD).await;
    let body = json!({"name": "饼干空间"});
    assert_error(
        &send_csrf(&c, Method::POST, "/api/v1/spaces", body.clone(), None).await,
        403,
        "csrf_failed",
    );
    assert_error(
        &send_csrf(
            &c,
            Method::POST,
            "/api/v1/spaces",
            body.clone(),
            Some("not-the-token"),
        )
        .await,
        403,
        "csrf_failed",
    );
    assert_error(
        &send_csrf(&c, Method::POST, "/api/v1/spaces", body.clone(), Some("")).await,
        403,
        "csrf_failed",
    );
    // Nothing was created by the refused attempts.
    let (_, spaces) = c.get("/api/v1/spaces").await;
    assert!(!spaces.to_string().contains("饼干空间"), "{spaces}");
    let (st, r) = send_csrf(&c, Method::POST, "/api/v1/spaces", body, Some(&csrf)).await;
    assert_eq!(st, StatusCode::OK, "{r}");
    // Other write methods too.
    let id = r["id"].as_str().unwrap();
    assert_error(
        &send_csrf(
            &c,
            Method::PATCH,
            &format!("/api/v1/spaces/{id}"),
            json!({"description": "x"}),
            None,
        )
        .await,
        403,
        "csrf_failed",
    );
    assert_error(
        &send_csrf(&c, Method::DELETE, "/api/v1/session", json!({}), None).await,
        403,
        "csrf_failed",
    );
    // Bearer: no cookie, no CSRF token needed.
    let mut bearer = srv.admin().await;
    bearer.http = reqwest::Client::new();
    let (st, r) = bearer
        .post("/api/v1/spaces", json!({"name": "令牌空间"}))
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    // Another session's CSRF token does not work for this one.
    let (_, other_csrf) = cookie_client(&srv, "admin", ADMIN_PASSWORD).await;
    assert_ne!(other_csrf, csrf);
    assert_error(
        &send_csrf(
            &c,
            Method::POST,
            "/api/v1/spaces",
            json!({"name": "别人的"}),
            Some(&other_csrf),
        )
        .await,
        403,
        "csrf_failed",
    );
}

#[tokio::test]
async fn logout_revokes_the_token_and_the_cookie() {
    let srv = Server::start().await;
    // Bearer.
    let c = srv.admin().await;
    let token = c.token.clone().unwrap();
    let (st, _) = c.delete("/api/v1/session").await;
    assert_eq!(st, StatusCode::OK);
    assert_error(&c.get("/api/v1/me").await, 401, "unauthenticated");
    // The same token as a cookie is dead too.
    let (st, _) = {
        let r = reqwest::Client::new()
            .get(format!("{}/api/v1/me", srv.base))
            .header("cookie", format!("hanlin_session={token}"))
            .send()
            .await
            .unwrap();
        (r.status(), ())
    };
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    // Cookie: logout clears the cookie and revokes the session behind it.
    let (c, csrf) = cookie_client(&srv, "admin", ADMIN_PASSWORD).await;
    let resp = c
        .http
        .delete(format!("{}/api/v1/session", c.base))
        .header("X-CSRF-Token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let cleared = resp
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    assert_error(&c.get("/api/v1/me").await, 401, "unauthenticated");
    // Other sessions of the same account are unaffected.
    let other = srv.admin().await;
    assert_eq!(other.get("/api/v1/me").await.0, StatusCode::OK);
    // Logout is audited.
    let events = audit(&other, "&action=session.logout").await;
    assert_eq!(events.len(), 2, "{events:?}");
    // No credentials at all.
    assert_error(
        &srv.client().get("/api/v1/me").await,
        401,
        "unauthenticated",
    );
    let mut junk = srv.client();
    junk.token = Some("not-a-token".into());
    assert_error(&junk.get("/api/v1/me").await, 401, "unauthenticated");
}

#[tokio::test]
async fn repeated_bad_passwords_are_throttled_for_a_while_only() {
    let srv = Server::start().await;
    let admin = srv.admin().await;
    srv.user(&admin, "victim", json!({})).await;
    srv.user(&admin, "bystander", json!({})).await;
    for i in 0..5 {
        let r = login_raw(&srv, "victim", &format!("Guess-{i}-wrong")).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    // Locked: even the right password is refused for now, with a Retry-After.
    let r = login_raw(&srv, "victim", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = r
        .headers()
        .get("retry-after")
        .expect("Retry-After")
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (1..=30).contains(&retry),
        "the first lock is short: {retry}"
    );
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "too_many_requests", "{body}");
    // The lock is per (account, address): another account from the same address is not blocked
    // (the per-address budget is far larger).
    let r = login_raw(&srv, "bystander", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::OK);
    // The throttled attempt is audited as denied.
    let denied = audit(&admin, "&action=session.login&outcome=denied").await;
    assert!(
        denied
            .iter()
            .any(|e| e["detail"]["reason"] == "throttled" && e["actor_name"] == "victim"),
        "{denied:?}"
    );
    // The lock is temporary: after Retry-After the real user gets in.
    tokio::time::sleep(
        std::time::Duration::from_secs(retry) + std::time::Duration::from_millis(300),
    )
    .await;
    let r = login_raw(&srv, "victim", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::OK, "still locked after {retry}s");
}

#[tokio::test]
async fn expired_accounts_are_refused_at_login_and_lose_their_sessions() {
    let srv = Server::start().await;
    let admin = srv.admin().await;
    // An intern whose end date arrives on its own.
    let soon = (Utc::now() + Duration::seconds(2)).to_rfc3339();
    let (_, intern) = srv
        .user(
            &admin,
            "intern-soon",
            json!({"kind": "intern", "expires_at": soon}),
        )
        .await;
    assert_eq!(intern.get("/api/v1/me").await.0, StatusCode::OK);
    tokio::time::sleep(std::time::Duration::from_millis(2300)).await;
    assert_error(&intern.get("/api/v1/me").await, 401, "unauthenticated");
    let r = login_raw(&srv, "intern-soon", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "account_inactive", "{body}");
    // An external guest whose end date an admin moves into the past.
    let (gid, guest) = srv
        .user(
            &admin,
            "guest-x",
            json!({"kind": "external", "expires_at": future(10)}),
        )
        .await;
    assert_eq!(guest.get("/api/v1/me").await.0, StatusCode::OK);
    let past = (Utc::now() - Duration::hours(1)).to_rfc3339();
    let (st, b) = admin
        .patch(&format!("/api/v1/users/{gid}"), json!({"expires_at": past}))
        .await;
    assert_eq!(st, StatusCode::OK, "{b}");
    assert_error(&guest.get("/api/v1/me").await, 401, "unauthenticated");
    assert_eq!(
        login_raw(&srv, "guest-x", PASSWORD).await.status(),
        StatusCode::FORBIDDEN
    );
    // Extending the date lets the account log in again.
    let (st, _) = admin
        .patch(
            &format!("/api/v1/users/{gid}"),
            json!({"expires_at": future(5)}),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(
        login_raw(&srv, "guest-x", PASSWORD).await.status(),
        StatusCode::OK
    );
    // The refusals are audited.
    let denied = audit(&admin, "&action=session.login&outcome=denied").await;
    assert_eq!(denied.len(), 2, "{denied:?}");
    // Interns and externals need an end date; new ones need a future one.
    assert_error(
        &admin
            .post(
                "/api/v1/users",
                json!({"username": "no-end", "password": PASSWORD, "kind": "intern"}),
            )
            .await,
        400,
        "invalid_input",
    );
    assert_error(
        &admin
            .post(
                "/api/v1/users",
                json!({"username": "no-end2", "password": PASSWORD, "kind": "external"}),
            )
            .await,
        400,
        "invalid_input",
    );
    assert_error(&admin.post("/api/v1/users", json!({"username": "ended", "password": PASSWORD, "kind": "intern", "expires_at": past})).await, 400, "invalid_input");
    assert_error(&admin.post("/api/v1/users", json!({"username": "ext-admin", "password": PASSWORD, "kind": "external", "expires_at": future(3), "is_admin": true})).await, 400, "invalid_input");
}

#[tokio::test]
async fn disabling_an_account_revokes_its_sessions() {
    let srv = Server::start().await;
    let admin = srv.admin().await;
    let (id, c) = srv.user(&admin, "leaver", json!({})).await;
    let (c2, _) = cookie_client(&srv, "leaver", PASSWORD).await;
    let (st, _) = admin
        .patch(&format!("/api/v1/users/{id}"), json!({"disabled": true}))
        .await;
    assert_eq!(st, StatusCode::OK);
    assert_error(&c.get("/api/v1/me").await, 401, "unauthenticated");
    assert_error(&c2.get("/api/v1/me").await, 401, "unauthenticated");
    let r = login_raw(&srv, "leaver", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Re-enabled: a new login works; the old sessions stay dead.
    let (st, _) = admin
        .patch(&format!("/api/v1/users/{id}"), json!({"disabled": false}))
        .await;
    assert_eq!(st, StatusCode::OK);
    let fresh = srv.login("leaver", PASSWORD).await;
    assert_eq!(fresh.get("/api/v1/me").await.0, StatusCode::OK);
    assert_error(&c.get("/api/v1/me").await, 401, "unauthenticated");
    // An admin cannot disable or demote themselves.
    let (_, me) = admin.get("/api/v1/me").await;
    let admin_id = me["user"]["id"].as_str().unwrap();
    assert_error(
        &admin
            .patch(
                &format!("/api/v1/users/{admin_id}"),
                json!({"disabled": true}),
            )
            .await,
        400,
        "invalid_input",
    );
    assert_error(
        &admin
            .patch(
                &format!("/api/v1/users/{admin_id}"),
                json!({"is_admin": false}),
            )
            .await,
        400,
        "invalid_input",
    );
    // An admin password reset also ends the user's sessions.
    let (st, _) = admin
        .patch(
            &format!("/api/v1/users/{id}"),
            json!({"password": "Reset-Pass-456"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    assert_error(&fresh.get("/api/v1/me").await, 401, "unauthenticated");
    assert_eq!(
        login_raw(&srv, "leaver", "Reset-Pass-456").await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn changing_ones_password_ends_the_other_sessions() {
    let srv = Server::start().await;
    let admin = srv.admin().await;
    let (_, here) = srv.user(&admin, "bob", json!({})).await;
    let elsewhere = srv.login("bob", PASSWORD).await;
    assert_error(
        &here
            .post(
                "/api/v1/me/password",
                json!({"current_password": "Not-It-123", "new_password": "New-Pass-789"}),
            )
            .await,
        400,
        "invalid_input",
    );
    assert_error(
        &here
            .post(
                "/api/v1/me/password",
                json!({"current_password": PASSWORD, "new_password": "short"}),
            )
            .await,
        400,
        "invalid_input",
    );
    // Both sessions still work after the refused attempts.
    assert_eq!(elsewhere.get("/api/v1/me").await.0, StatusCode::OK);
    let (st, r) = here
        .post(
            "/api/v1/me/password",
            json!({"current_password": PASSWORD, "new_password": "New-Pass-789"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(
        here.get("/api/v1/me").await.0,
        StatusCode::OK,
        "the session that changed it continues"
    );
    assert_error(&elsewhere.get("/api/v1/me").await, 401, "unauthenticated");
    assert_eq!(
        login_raw(&srv, "bob", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        login_raw(&srv, "bob", "New-Pass-789").await.status(),
        StatusCode::OK
    );
    // Users cannot change their own password through the admin route, nor other admin-only fields.
    let (_, me) = here.get("/api/v1/me").await;
    let id = me["user"]["id"].as_str().unwrap();
    assert_error(
        &here
            .patch(
                &format!("/api/v1/users/{id}"),
                json!({"password": "Other-Pass-321"}),
            )
            .await,
        403,
        "forbidden",
    );
    assert_error(
        &here
            .patch(&format!("/api/v1/users/{id}"), json!({"is_admin": true}))
            .await,
        403,
        "forbidden",
    );
    let (st, _) = here
        .patch(
            &format!("/api/v1/users/{id}"),
            json!({"display_name": "鲍勃"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    let events = audit(&admin, "&action=user").await;
    assert!(
        events
            .iter()
            .any(|e| e["action"] == "user.password_change" && e["target"] == format!("user:{id}")),
        "{events:?}"
    );
}

#[tokio::test]
async fn admin_only_routes_refuse_everyone_else() {
    let srv = Server::start().await;
    let admin = srv.admin().await;
    let (_, user) = srv.user(&admin, "plain", json!({})).await;
    let (_, guest) = srv
        .user(
            &admin,
            "guest",
            json!({"kind": "external", "expires_at": future(3)}),
        )
        .await;
    let (st, g) = admin
        .post("/api/v1/groups", json!({"name": "研发部"}))
        .await;
    assert_eq!(st, StatusCode::OK, "{g}");
    let gid = g["id"].as_str().unwrap();
    for c in [&user, &guest] {
        assert_error(&c.get("/api/v1/users").await, 403, "forbidden");
        assert_error(
            &c.post(
                "/api/v1/users",
                json!({"username": "sneaky", "password": PASSWORD, "is_admin": true}),
            )
            .await,
            403,
            "forbidden",
        );
        assert_error(
            &c.post("/api/v1/groups", json!({"name": "黑客部"})).await,
            403,
            "forbidden",
        );
        assert_error(
            &c.get(&format!("/api/v1/groups/{gid}")).await,
            403,
            "forbidden",
        );
        assert_error(
            &c.patch(&format!("/api/v1/groups/{gid}"), json!({"name": "改名"}))
                .await,
            403,
            "forbidden",
        );
        assert_error(
            &c.put(
                &format!("/api/v1/groups/{gid}/members"),
                json!({"members": []}),
            )
            .await,
            403,
            "forbidden",
        );
        assert_error(&c.get("/api/v1/audit").await, 403, "forbidden");
        assert_error(
            &c.get("/api/v1/audit?action=session.login").await,
            403,
            "forbidden",
        );
        assert_error(
            &c.post("/api/v1/spaces", json!({"name": "自建"})).await,
            403,
            "forbidden",
        );
    }
    // Nothing was created.
    assert_eq!(
        login_raw(&srv, "sneaky", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let (_, groups) = admin.get("/api/v1/groups").await;
    assert_eq!(groups["total"], 1, "{groups}");
    assert_error(
        &srv.client().get("/api/v1/audit").await,
        401,
        "unauthenticated",
    );
}

#[tokio::test]
async fn bad_account_group_grant_and_category_input_is_refused_whole() {
    let srv = Server::start().await;
    let admin = srv.admin().await;
    let (uid, _) = srv.user(&admin, "carol", json!({})).await;
    // Duplicate usernames (case-insensitively), over-long names.
    assert_error(
        &admin
            .post(
                "/api/v1/users",
                json!({"username": "carol", "password": PASSWORD}),
            )
            .await,
        409,
        "username_taken",
    );
    assert_error(
        &admin
            .post(
                "/api/v1/users",
                json!({"username": "CAROL", "password": PASSWORD}),
            )
            .await,
        409,
        "username_taken",
    );
    let r = admin
        .post(
            "/api/v1/users",
            json!({"username": "a".repeat(33), "password": PASSWORD}),
        )
        .await;
    assert_error(&r, 400, "invalid_input");
    assert_eq!(r.1["error"]["field"], "username");
    let r = admin
        .post(
            "/api/v1/users",
            json!({"username": "dave", "password": PASSWORD, "display_name": "名".repeat(65)}),
        )
        .await;
    assert_error(&r, 400, "invalid_input");
    assert_eq!(r.1["error"]["field"], "display_name");
    assert_error(
        &admin
            .post(
                "/api/v1/users",
                json!({"username": "dave", "password": "weak"}),
            )
            .await,
        400,
        "invalid_input",
    );
    assert_error(
        &admin
            .post(
                "/api/v1/users",
                json!({"username": "dave", "password": PASSWORD, "groups": ["nope"]}),
            )
            .await,
        400,
        "invalid_input",
    );
    assert_error(
        &admin
            .post("/api/v1/spaces", json!({"name": "空".repeat(101)}))
            .await,
        400,
        "invalid_input",
    );
    assert_error(
        &admin
            .post("/api/v1/groups", json!({"name": "部".repeat(65)}))
            .await,
        400,
        "invalid_input",
    );
    // Nothing half-written: dave does not exist.
    let (_, users) = admin.get("/api/v1/users").await;
    assert!(!users.to_string().contains("dave"), "{users}");

    // Grants: an external guest can only be a reader; unknown principals are refused.
    let space = admin.new_space("授权测试").await;
    let (gid, _) = srv
        .user(
            &admin,
            "guest",
            json!({"kind": "external", "expires_at": future(3)}),
        )
        .await;
    let (_, before) = admin.get(&format!("/api/v1/spaces/{space}/grants")).await;
    let bad = [
        json!([{"principal": format!("user:{uid}"), "role": "reader"}, {"principal": format!("user:{gid}"), "role": "editor"}]),
        json!([{"principal": format!("user:{gid}"), "role": "manager"}]),
        json!([{"principal": "user:01a1fdc5498976168a4d50c0746e9c3f", "role": "reader"}]),
        json!([{"principal": "group:01a1fdc5498976168a4d50c0746e9c3f", "role": "reader"}]),
        json!([{"principal": "somebody", "role": "reader"}]),
        json!([{"principal": "everyone", "role": "owner"}]),
    ];
    for g in bad {
        let r = admin
            .put(&format!("/api/v1/spaces/{space}/grants"), g.clone())
            .await;
        assert_error(&r, 400, "invalid_input");
    }
    let (_, after) = admin.get(&format!("/api/v1/spaces/{space}/grants")).await;
    assert_eq!(
        before, after,
        "refused grant changes leave the grants as they were"
    );
    let cat = admin.new_category(&space, "父", None).await;
    let r = admin.put(&format!("/api/v1/categories/{cat}/grants"), json!({"inherit": false, "grants": [{"principal": format!("user:{gid}"), "role": "editor"}]})).await;
    assert_error(&r, 400, "invalid_input");
    let (_, c) = admin.get(&format!("/api/v1/categories/{cat}")).await;
    assert_eq!(c["inherit"], true, "nothing half-written: {c}");
    // A guest as reader by name is fine.
    let (st, _) = admin
        .put(
            &format!("/api/v1/spaces/{space}/grants"),
            json!([{"principal": format!("user:{gid}"), "role": "reader"}]),
        )
        .await;
    assert_eq!(st, StatusCode::OK);

    // Category cycles.
    let child = admin.new_category(&space, "子", Some(&cat)).await;
    let grandchild = admin.new_category(&space, "孙", Some(&child)).await;
    for target in [&child, &grandchild, &cat] {
        let r = admin
            .patch(
                &format!("/api/v1/categories/{cat}"),
                json!({"parent_id": target}),
            )
            .await;
        assert_error(&r, 400, "invalid_input");
        assert_eq!(r.1["error"]["field"], "parent_id");
    }
    let (_, c) = admin.get(&format!("/api/v1/categories/{cat}")).await;
    assert_eq!(c["parent_id"], Value::Null);
    assert_error(
        &admin
            .post(
                &format!("/api/v1/spaces/{space}/categories"),
                json!({"name": "类".repeat(101)}),
            )
            .await,
        400,
        "invalid_input",
    );
    assert_error(
        &admin
            .post(
                &format!("/api/v1/spaces/{space}/categories"),
                json!({"name": "子", "parent_id": cat}),
            )
            .await,
        409,
        "name_taken",
    );

    // An expired intern cannot join a department, by any route.
    let (iid, _) = srv
        .user(
            &admin,
            "intern",
            json!({"kind": "intern", "expires_at": future(3)}),
        )
        .await;
    let past = (Utc::now() - Duration::days(1)).to_rfc3339();
    let (st, _) = admin
        .patch(&format!("/api/v1/users/{iid}"), json!({"expires_at": past}))
        .await;
    assert_eq!(st, StatusCode::OK);
    let (st, g) = admin
        .post(
            "/api/v1/groups",
            json!({"name": "实习部", "members": [uid]}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{g}");
    let group = g["id"].as_str().unwrap();
    assert_error(
        &admin
            .put(
                &format!("/api/v1/groups/{group}/members"),
                json!({"members": [uid, iid]}),
            )
            .await,
        400,
        "invalid_input",
    );
    assert_error(
        &admin
            .post(
                "/api/v1/groups",
                json!({"name": "实习二部", "members": [iid]}),
            )
            .await,
        400,
        "invalid_input",
    );
    assert_error(
        &admin
            .patch(&format!("/api/v1/users/{iid}"), json!({"groups": [group]}))
            .await,
        400,
        "invalid_input",
    );
    assert_error(
        &admin
            .put(
                &format!("/api/v1/groups/{group}/members"),
                json!({"members": ["no-such-user"]}),
            )
            .await,
        400,
        "invalid_input",
    );
    let (_, g) = admin.get(&format!("/api/v1/groups/{group}")).await;
    assert_eq!(g["members"], json!([uid]), "nothing half-written: {g}");
    assert_error(
        &admin
            .post("/api/v1/groups", json!({"name": "实习部"}))
            .await,
        409,
        "name_taken",
    );
}

#[tokio::test]
async fn the_audit_log_records_who_did_what_from_where() {
    let srv = Server::start().await;
    let admin = srv.admin().await;
    let (_, me) = admin.get("/api/v1/me").await;
    let admin_id = me["user"]["id"].as_str().unwrap().to_owned();
    let (uid, user) = srv.user(&admin, "erin", json!({})).await;
    admin
        .patch(
            &format!("/api/v1/users/{uid}"),
            json!({"display_name": "艾琳"}),
        )
        .await;
    let (_, g) = admin
        .post("/api/v1/groups", json!({"name": "审计部"}))
        .await;
    let gid = g["id"].as_str().unwrap().to_owned();
    admin
        .put(
            &format!("/api/v1/groups/{gid}/members"),
            json!({"members": [uid]}),
        )
        .await;
    admin
        .patch(
            &format!("/api/v1/groups/{gid}"),
            json!({"name": "审计一部"}),
        )
        .await;
    let space = admin.new_space("审计空间").await;
    let (st, _) = admin
        .put(
            &format!("/api/v1/spaces/{space}/grants"),
            json!([{"principal": format!("group:{gid}"), "role": "editor"}]),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    let cat = admin.new_category(&space, "分类", None).await;
    admin
        .put(
            &format!("/api/v1/categories/{cat}/grants"),
            json!({"inherit": true, "grants": []}),
        )
        .await;
    // Document life cycle, by the user.
    let d = user
        .new_doc(&space, Some(&cat), "审计文档", "第一版\n")
        .await;
    let doc = d["id"].as_str().unwrap().to_owned();
    let (st, _) = user
        .put(
            &format!("/api/v1/documents/{doc}"),
            json!({"title": "审计文档", "body": "第二版\n", "base_version": 1}),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    let (st, _) = user
        .post(
            &format!("/api/v1/documents/{doc}/restore"),
            json!({"version": 1}),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(
        user.delete(&format!("/api/v1/documents/{doc}")).await.0,
        StatusCode::OK
    );
    assert_eq!(
        user.post(&format!("/api/v1/documents/{doc}/undelete"), json!({}))
            .await
            .0,
        StatusCode::OK
    );
    // A refused change is not logged as done.
    let (_, outsider) = srv.user(&admin, "frank", json!({})).await;
    assert_eq!(
        outsider
            .put(
                &format!("/api/v1/documents/{doc}"),
                json!({"title": "x", "body": "y", "base_version": 4})
            )
            .await
            .0,
        StatusCode::NOT_FOUND
    );

    let all = audit(&admin, "").await;
    let find = |action: &str, target: &str| -> Value {
        all.iter()
            .find(|e| e["action"] == action && e["target"] == target)
            .unwrap_or_else(|| panic!("no {action} on {target} in {all:?}"))
            .clone()
    };
    for (action, target, actor) in [
        ("user.create", format!("user:{uid}"), &admin_id),
        ("user.update", format!("user:{uid}"), &admin_id),
        ("group.create", format!("group:{gid}"), &admin_id),
        ("group.members", format!("group:{gid}"), &admin_id),
        ("group.rename", format!("group:{gid}"), &admin_id),
        ("space.create", format!("space:{space}"), &admin_id),
        ("space.grants", format!("space:{space}"), &admin_id),
        ("category.create", format!("category:{cat}"), &admin_id),
        ("category.grants", format!("category:{cat}"), &admin_id),
        ("document.create", format!("document:{doc}"), &uid),
        ("document.update", format!("document:{doc}"), &uid),
        ("document.restore", format!("document:{doc}"), &uid),
        ("document.delete", format!("document:{doc}"), &uid),
        ("document.undelete", format!("document:{doc}"), &uid),
    ] {
        let e = find(action, &target);
        assert_eq!(&e["actor"], actor, "{e}");
        assert_eq!(e["outcome"], "ok", "{e}");
        assert_eq!(e["ip"], "127.0.0.1", "{e}");
        assert!(e["at"].as_str().is_some(), "{e}");
    }
    let frank_edits = all
        .iter()
        .filter(|e| e["action"] == "document.update" && e["actor_name"] == "frank")
        .count();
    assert_eq!(frank_edits, 0);
    // Newest first; filters and paging.
    let seqs: Vec<u64> = all.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] > w[1]), "{seqs:?}");
    let docs = audit(&admin, &format!("&action=document&actor={uid}")).await;
    let actions: Vec<&str> = docs.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        [
            "document.undelete",
            "document.delete",
            "document.restore",
            "document.update",
            "document.create"
        ],
        "{docs:?}"
    );
    let by_actor = audit(&admin, &format!("&actor={uid}")).await;
    assert!(
        !by_actor.is_empty() && by_actor.iter().all(|e| e["actor"] == uid.as_str()),
        "{by_actor:?}"
    );
    let (_, page) = admin.get("/api/v1/audit?limit=2&offset=1").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    assert_eq!(page["items"][0]["seq"], all[1]["seq"]);
    let since = (Utc::now() + Duration::hours(1)).to_rfc3339();
    let (st, none) = admin
        .get(&format!(
            "/api/v1/audit?since={}",
            crate::common::urlencode(&since)
        ))
        .await;
    assert_eq!(st, StatusCode::OK, "{none}");
    assert_eq!(none["total"], 0);
    assert_error(
        &admin.get("/api/v1/audit?since=yesterday").await,
        400,
        "invalid_input",
    );
    assert_error(
        &user.get("/api/v1/audit?action=session.login").await,
        403,
        "forbidden",
    );
}

#[tokio::test]
async fn external_guests_see_no_departments() {
    let srv = Server::start().await;
    let admin = srv.admin().await;
    let (st, g) = admin
        .post("/api/v1/groups", json!({"name": "研发部"}))
        .await;
    assert_eq!(st, StatusCode::OK, "{g}");
    let until = (chrono::Utc::now() + chrono::Duration::days(30)).to_rfc3339();
    let (_, guest) = srv
        .user(
            &admin,
            "guest-depts",
            json!({"kind": "external", "expires_at": until}),
        )
        .await;
    let (st, list) = guest.get("/api/v1/groups").await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(list["total"], 0);
    assert!(!list.to_string().contains("研发部"), "{list}");
    let (_, employee) = srv.user(&admin, "emp-depts", json!({})).await;
    let (_, list) = employee.get("/api/v1/groups").await;
    assert_eq!(list["items"][0]["name"], "研发部");
    assert!(
        list["items"][0].get("members").is_none(),
        "members are for admins: {list}"
    );
}
