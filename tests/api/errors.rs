//! Error answers carry their parameters as fields (so a client can say them in its own language),
//! beside the English `message`, and their statuses come from the one table of codes.

use serde_json::{Value, json};

use crate::common::{Server, assert_error};

/// The error object of an answer, for whole-object comparisons without the English message.
fn params(resp: &(reqwest::StatusCode, Value)) -> Value {
    let mut e = resp.1["error"].clone();
    let message = e["message"].as_str().unwrap_or("").to_owned();
    assert!(!message.is_empty(), "a message for scripts: {}", resp.1);
    e.as_object_mut().unwrap().remove("message");
    e
}

#[tokio::test]
async fn weak_passwords_say_why_and_the_limit() {
    let srv = Server::start().await;
    let admin = srv.admin().await;
    let cases = [
        (
            "Ab1",
            json!({"code": "invalid_input", "field": "password", "reason": "too_short", "limit": 10}),
        ),
        (
            "alllowercaseletters",
            json!({"code": "invalid_input", "field": "password", "reason": "weak_password"}),
        ),
        (
            "Dave-Passw0rd",
            json!({"code": "invalid_input", "field": "password", "reason": "password_is_username"}),
        ),
    ];
    for (password, want) in cases {
        let r = admin
            .post(
                "/api/v1/users",
                json!({"username": "dave-passw0rd", "password": password}),
            )
            .await;
        assert_error(&r, 400, "invalid_input");
        assert_eq!(params(&r), want, "{password}");
    }
    // Nothing was created by the refusals.
    let (_, users) = admin.get("/api/v1/users").await;
    assert!(!users.to_string().contains("dave-passw0rd"), "{users}");
    let me = srv.admin().await;
    let r = me
        .post(
            "/api/v1/me/password",
            json!({"current_password": "wrong-Password-1", "new_password": "Another-Pass-9"}),
        )
        .await;
    assert_error(&r, 400, "invalid_input");
    assert_eq!(
        params(&r),
        json!({"code": "invalid_input", "field": "current_password", "reason": "wrong_password"})
    );
}

#[tokio::test]
async fn duplicate_names_name_the_name() {
    let srv = Server::start().await;
    let admin = srv.admin().await;
    admin.new_space("产品文档").await;
    let r = admin
        .post("/api/v1/spaces", json!({"name": " 产品文档 "}))
        .await;
    assert_error(&r, 409, "name_taken");
    assert_eq!(
        params(&r),
        json!({"code": "name_taken", "name": "产品文档"})
    );

    let (_, _) = srv.user(&admin, "carol", json!({})).await;
    let r = admin
        .post(
            "/api/v1/users",
            json!({"username": "carol", "password": "Passw0rd-long"}),
        )
        .await;
    assert_error(&r, 409, "username_taken");
    assert_eq!(
        params(&r),
        json!({"code": "username_taken", "name": "carol"})
    );

    let ok = admin
        .post("/api/v1/groups", json!({"name": "财务部"}))
        .await;
    assert_eq!(ok.0, 200, "{}", ok.1);
    let r = admin
        .post("/api/v1/groups", json!({"name": "财务部"}))
        .await;
    assert_error(&r, 409, "name_taken");
    assert_eq!(params(&r), json!({"code": "name_taken", "name": "财务部"}));
}

#[tokio::test]
async fn limits_and_reasons_of_document_fields() {
    let srv = Server::start().await;
    let admin = srv.admin().await;
    let space = admin.first_space().await;
    let cases = [
        (
            json!({"title": "  "}),
            json!({"code": "invalid_input", "field": "title", "reason": "required"}),
        ),
        (
            json!({"title": "长".repeat(201)}),
            json!({"code": "invalid_input", "field": "title", "reason": "too_long", "limit": 200}),
        ),
        (
            json!({"title": "t", "tags": ["a,b"]}),
            json!({"code": "invalid_input", "field": "tags", "reason": "bad_characters"}),
        ),
    ];
    for (extra, want) in cases {
        let mut body = json!({"space_id": space, "title": "t", "body": "正文", "tags": []});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        let r = admin.post("/api/v1/documents", body).await;
        assert_error(&r, 400, "invalid_input");
        assert_eq!(params(&r), want);
    }
    // The 422 form keeps its status with the same shape.
    let deep = format!("{}x", "> ".repeat(150));
    let r = admin
        .post(
            "/api/v1/documents",
            json!({"space_id": space, "title": "深", "body": deep, "tags": []}),
        )
        .await;
    assert_error(&r, 422, "invalid_input");
    assert_eq!(
        params(&r),
        json!({"code": "invalid_input", "field": "body", "reason": "too_deep", "limit": 100})
    );
    // A bad sort names the values allowed.
    let r = admin.get("/api/v1/documents?sort=size").await;
    assert_error(&r, 400, "invalid_input");
    assert_eq!(
        params(&r),
        json!({"code": "invalid_input", "field": "sort", "reason": "not_one_of", "allowed": ["recent", "title"]})
    );
}

#[tokio::test]
async fn bad_query_dates_name_the_filter_and_value() {
    let srv = Server::start().await;
    let admin = srv.admin().await;
    let r = admin.get("/api/v1/search?q=after%3A2024-13-01").await;
    assert_error(&r, 400, "invalid_query");
    assert_eq!(
        params(&r),
        json!({"code": "invalid_query", "filter": "after", "value": "2024-13-01", "expected": "YYYY-MM-DD"})
    );
    let r = admin.get("/api/v1/search?q=type%3Avideo").await;
    assert_error(&r, 400, "invalid_query");
    assert_eq!(r.1["error"]["filter"], "type");
    assert_eq!(r.1["error"]["value"], "video");
}

#[tokio::test]
async fn sensitive_words_give_the_first_line_and_column() {
    let srv = Server::start().await;
    let admin = srv.admin().await;
    let space = admin.new_space("制度库").await;
    let cat = admin.new_category(&space, "人事", None).await;
    let policy = admin
        .put(
            &format!("/api/v1/categories/{cat}/review-policy"),
            json!({"stages": [{"name": "终审", "reviewers": ["everyone"], "quorum": "any"}]}),
        )
        .await;
    assert_eq!(policy.0, 200, "{}", policy.1);
    let words = admin
        .put(
            "/api/v1/admin/sensitive-words",
            json!({"words": [{"word": "绝密", "action": "block"}, {"word": "机密", "action": "block"}]}),
        )
        .await;
    assert_eq!(words.0, 200, "{}", words.1);
    let doc = admin
        .new_doc(&space, Some(&cat), "说明", "第一行\n这里有绝密和机密\n")
        .await;
    let id = doc["id"].as_str().unwrap();
    let r = admin
        .post(&format!("/api/v1/documents/{id}/submit"), json!({}))
        .await;
    assert_error(&r, 422, "sensitive_words");
    let e = &r.1["error"];
    assert_eq!(
        (&e["word"], &e["field"], &e["line"], &e["column"]),
        (&json!("绝密"), &json!("body"), &json!(2), &json!(4)),
        "{e}"
    );
    assert_eq!(e["words"], json!(["机密", "绝密"]));
    assert_eq!(e["matches"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn permission_refusals_say_which_rule() {
    let srv = Server::start().await;
    let admin = srv.admin().await;
    let space = admin.new_space("公告").await;
    let (uid, user) = srv.user(&admin, "reader", json!({})).await;
    let grants = admin
        .put(
            &format!("/api/v1/spaces/{space}/grants"),
            json!([{"principal": format!("user:{uid}"), "role": "reader"}]),
        )
        .await;
    assert_eq!(grants.0, 200, "{}", grants.1);
    let r = user
        .post(
            "/api/v1/documents",
            json!({"space_id": space, "title": "t", "body": "b", "tags": []}),
        )
        .await;
    assert_error(&r, 403, "forbidden");
    assert_eq!(
        params(&r),
        json!({"code": "forbidden", "reason": "role_too_low"})
    );
    // Grants naming nobody say whom.
    let r = admin
        .put(
            &format!("/api/v1/spaces/{space}/grants"),
            json!([{"principal": "user:ghost", "role": "reader"}]),
        )
        .await;
    assert_error(&r, 400, "invalid_input");
    assert_eq!(
        params(&r),
        json!({"code": "invalid_input", "field": "grants[0]", "reason": "unknown_principal", "name": "user:ghost"})
    );
}

#[tokio::test]
async fn review_policy_refusals_name_the_stage() {
    let srv = Server::start().await;
    let admin = srv.admin().await;
    let space = admin.new_space("制度库").await;
    let cat = admin.new_category(&space, "人事", None).await;
    let (guest, _) = srv
        .user(
            &admin,
            "guest",
            json!({"display_name": "访客小李", "kind": "external", "expires_at": "2099-01-01T00:00:00Z"}),
        )
        .await;
    let url = format!("/api/v1/categories/{cat}/review-policy");
    let r = admin
        .put(
            &url,
            json!({"stages": [
                {"name": "初审", "reviewers": ["everyone"], "quorum": "any"},
                {"name": "终审", "reviewers": [], "quorum": "any"},
            ]}),
        )
        .await;
    assert_error(&r, 400, "invalid_input");
    assert_eq!(
        params(&r),
        json!({"code": "invalid_input", "field": "stages[1].reviewers", "reason": "required", "stage": 2})
    );
    let r = admin
        .put(
            &url,
            json!({"stages": [{"name": "终审", "reviewers": [format!("user:{guest}")], "quorum": "any"}]}),
        )
        .await;
    assert_error(&r, 400, "invalid_input");
    assert_eq!(
        params(&r),
        json!({"code": "invalid_input", "field": "stages", "reason": "external_reviewer",
               "stage": 1, "stage_name": "终审", "name": "访客小李"})
    );
    // Nothing was stored.
    let (_, c) = admin.get(&format!("/api/v1/categories/{cat}")).await;
    assert_eq!(c["review_policy"], Value::Null, "{c}");
}
