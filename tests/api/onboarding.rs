//! Onboarding collections over HTTP: an intern assigned through `kind:intern` and a new member of
//! 研发部 see the collection; acknowledging moves progress; a 需重新确认 publish (direct or by
//! approval) asks again and a plain one does not; the owner's CSV; nobody outside the audience
//! sees it; an item the audience cannot read is refused at creation, naming it; an item hidden
//! later is unavailable without its title; reminders at the right times (the server's clock is
//! moved, never slept on); a department head sees their department only.

use chrono::{Duration, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{Client, Server, assert_error, ok, s};

/// Accounts, a department, a space everyone reads, three published documents and a
/// collection for interns and 研发部 (7 days).
struct World {
    srv: Server,
    admin: Client,
    space: String,
    rd: String,
    docs: Vec<String>,
    intern_id: String,
    intern: Client,
    dev_id: String,
    dev: Client,
    outsider: Client,
    collection: String,
}

async fn world() -> World {
    let srv = Server::start().await;
    let admin = srv.admin().await;
    let future = (Utc::now() + Duration::days(120)).to_rfc3339();
    let (intern_id, intern) = srv
        .user(
            &admin,
            "xiaoli",
            json!({"display_name": "小李", "kind": "intern", "expires_at": future}),
        )
        .await;
    let (dev_id, dev) = srv
        .user(&admin, "dev1", json!({"display_name": "开发一号"}))
        .await;
    let (_, outsider) = srv
        .user(&admin, "outsider", json!({"display_name": "局外人"}))
        .await;
    let g = ok(admin
        .post(
            "/api/v1/groups",
            json!({"name": "研发部", "members": [dev_id]}),
        )
        .await);
    let rd = s(&g["id"]);
    let space = admin.new_space("新人手册").await;
    ok(admin
        .put(
            &format!("/api/v1/spaces/{space}/grants"),
            json!([{"principal": "everyone", "role": "reader"}]),
        )
        .await);
    let mut docs = Vec::new();
    for (title, body) in [
        ("公司介绍", "我们是一家软件公司。\n"),
        ("信息安全守则", "密码不得外借。\n"),
        ("食堂指南", "午餐 11:30 开始。\n"),
    ] {
        docs.push(s(&admin.new_doc(&space, None, title, body).await["id"]));
    }
    let c = ok(admin
        .post(
            "/api/v1/collections",
            json!({
                "name": "新员工入职学习",
                "description": "第一周读完",
                "items": [
                    {"doc_id": docs[0], "required": true},
                    {"doc_id": docs[1], "required": true},
                    {"doc_id": docs[2], "required": false},
                ],
                "audience": ["kind:intern", format!("group:{rd}")],
                "due_days": 7,
            }),
        )
        .await);
    assert_eq!(c["role"], "manager", "{c}");
    assert_eq!(c["items"].as_array().unwrap().len(), 3, "{c}");
    let collection = s(&c["id"]);
    World {
        srv,
        admin,
        space,
        rd,
        docs,
        intern_id,
        intern,
        dev_id,
        dev,
        outsider,
        collection,
    }
}

fn assigned<'a>(list: &'a Value, id: &str) -> Option<&'a Value> {
    list["assigned"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
}

async fn detail(c: &Client, id: &str) -> Value {
    ok(c.get(&format!("/api/v1/collections/{id}")).await)
}

async fn ack(c: &Client, id: &str, doc: &str) -> Value {
    ok(c.post(
        &format!("/api/v1/collections/{id}/items/{doc}/ack"),
        json!({}),
    )
    .await)
}

async fn edit(admin: &Client, doc: &str, body: &str, reconfirm: Option<bool>) -> Value {
    let cur = ok(admin.get(&format!("/api/v1/documents/{doc}")).await);
    let mut req =
        json!({"title": cur["title"], "body": body, "tags": [], "base_version": cur["version"]});
    if let Some(r) = reconfirm {
        req["reconfirm"] = json!(r);
    }
    ok(admin.put(&format!("/api/v1/documents/{doc}"), req).await)
}

#[tokio::test]
async fn an_intern_and_a_new_member_of_the_department_see_it_and_acknowledging_moves_progress() {
    let w = world().await;
    let id = &w.collection;
    // The intern, through kind:intern.
    let list = ok(w.intern.get("/api/v1/collections").await);
    let mine = assigned(&list, id).unwrap_or_else(|| panic!("not assigned: {list}"));
    assert_eq!(mine["me"]["required"], 2, "{mine}");
    assert_eq!(mine["me"]["done"], 0);
    assert_eq!(mine["me"]["next"]["doc_id"], w.docs[0].as_str());
    assert_eq!(mine["me"]["next"]["title"], "公司介绍");
    assert_eq!(list["managed"].as_array().unwrap().len(), 0, "{list}");
    assert_eq!(list["can_create"], false);
    // A member of 研发部.
    assert!(assigned(&ok(w.dev.get("/api/v1/collections").await), id).is_some());

    // Someone who joins 研发部 later is assigned then, with that time.
    let (new_id, newbie) = w
        .srv
        .user(&w.admin, "newbie", json!({"display_name": "新同事"}))
        .await;
    assert!(assigned(&ok(newbie.get("/api/v1/collections").await), id).is_none());
    let joined = Utc::now();
    ok(w.admin
        .put(
            &format!("/api/v1/groups/{}/members", w.rd),
            json!({"members": [w.dev_id, new_id]}),
        )
        .await);
    let d = detail(&newbie, id).await;
    let at: chrono::DateTime<Utc> = d["me"]["assigned_at"].as_str().unwrap().parse().unwrap();
    assert!(
        at >= joined - Duration::seconds(1),
        "assigned {at}, joined {joined}"
    );
    let due: chrono::DateTime<Utc> = d["me"]["due"].as_str().unwrap().parse().unwrap();
    assert_eq!(due - at, Duration::days(7));

    // Acknowledging moves progress, item by item.
    let a = ack(&w.intern, id, &w.docs[0]).await;
    assert_eq!(a["version"], 1, "{a}");
    assert_eq!(a["me"]["done"], 1);
    assert_eq!(a["me"]["next"]["doc_id"], w.docs[1].as_str());
    let d = detail(&w.intern, id).await;
    assert_eq!(d["items"][0]["acknowledged_version"], 1, "{d}");
    assert_eq!(d["items"][0]["needs_ack"], false);
    assert_eq!(d["items"][1]["needs_ack"], true);
    assert!(d["items"][1]["acknowledged_version"].is_null());
    assert_eq!(d["me"]["done"], 1);
    assert!(
        d.get("audience").is_none(),
        "a member does not see the audience: {d}"
    );
    ack(&w.intern, id, &w.docs[1]).await;
    let d = detail(&w.intern, id).await;
    assert_eq!(d["me"]["done"], 2);
    assert_eq!(
        d["me"]["next"]["doc_id"],
        w.docs[2].as_str(),
        "the optional one is next"
    );

    // Who acknowledged which version when, in the audit log.
    let audit = ok(w.admin.get("/api/v1/audit?action=collection.ack").await);
    let ev: Vec<&Value> = audit["items"].as_array().unwrap().iter().collect();
    assert_eq!(ev.len(), 2, "{audit}");
    assert!(ev.iter().all(|e| e["actor"] == w.intern_id.as_str()));
    assert!(
        ev.iter()
            .any(|e| e["detail"]["doc_id"] == w.docs[0].as_str()
                && e["detail"]["version"] == 1
                && e["detail"]["acknowledged_at"].is_string())
    );

    // The owner sees everyone's progress.
    let p = ok(w
        .admin
        .get(&format!("/api/v1/collections/{id}/progress"))
        .await);
    let rows = p["people"].as_array().unwrap();
    let names: Vec<&str> = rows
        .iter()
        .map(|r| r["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["dev1", "newbie", "xiaoli"], "{p}");
    let intern = rows.iter().find(|r| r["username"] == "xiaoli").unwrap();
    assert_eq!(
        (intern["required"].as_u64(), intern["done"].as_u64()),
        (Some(2), Some(2))
    );
    assert_eq!(intern["items_done"], json!([true, true, false]));
    assert!(intern["completed_at"].is_string() && intern["last_activity"].is_string());
    assert_eq!(rows[0]["done"], 0);
    assert!(rows[0]["last_activity"].is_null());

    // A plain person sees only their own row.
    let p = ok(w
        .dev
        .get(&format!("/api/v1/collections/{id}/progress"))
        .await);
    assert_eq!(p["people"].as_array().unwrap().len(), 1, "{p}");
    assert_eq!(p["people"][0]["username"], "dev1");
    assert_eq!(p["role"], "member");

    // Disabled accounts drop out.
    ok(w.admin
        .patch(
            &format!("/api/v1/users/{}", w.dev_id),
            json!({"disabled": true}),
        )
        .await);
    let p = ok(w
        .admin
        .get(&format!("/api/v1/collections/{id}/progress"))
        .await);
    let names: Vec<&str> = p["people"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["newbie", "xiaoli"], "{p}");
}

#[tokio::test]
async fn nobody_outside_the_audience_sees_it() {
    let w = world().await;
    let id = &w.collection;
    let list = ok(w.outsider.get("/api/v1/collections").await);
    assert_eq!(list["assigned"], json!([]), "{list}");
    assert_eq!(list["managed"], json!([]), "{list}");
    assert!(!list.to_string().contains("新员工入职学习"));
    for path in [
        format!("/api/v1/collections/{id}"),
        format!("/api/v1/collections/{id}/progress"),
        format!("/api/v1/collections/{id}/progress?format=csv"),
    ] {
        assert_error(&w.outsider.get(&path).await, 404, "not_found");
    }
    let r = w
        .outsider
        .post(
            &format!("/api/v1/collections/{id}/items/{}/ack", w.docs[0]),
            json!({}),
        )
        .await;
    assert_error(&r, 404, "not_found");
    // The same answer as for a collection that does not exist.
    let nothing = w
        .outsider
        .get("/api/v1/collections/0123456789abcdef0123456789abcdef")
        .await;
    assert_eq!(
        w.outsider.get(&format!("/api/v1/collections/{id}")).await,
        nothing
    );
    // Nor may they change it.
    let r = w
        .outsider
        .put(
            &format!("/api/v1/collections/{id}"),
            json!({"name": "改名", "items": [{"doc_id": w.docs[0]}], "audience": ["kind:intern"]}),
        )
        .await;
    assert_error(&r, 404, "not_found");
    // A member may not change it either, and an item outside the collection is not there.
    let r = w
        .intern
        .put(
            &format!("/api/v1/collections/{id}"),
            json!({"name": "改名", "items": [{"doc_id": w.docs[0]}], "audience": ["kind:intern"]}),
        )
        .await;
    assert_error(&r, 403, "forbidden");
    let other = s(&w
        .admin
        .new_doc(&w.space, None, "不在合集里", "正文\n")
        .await["id"]);
    let r = w
        .intern
        .post(
            &format!("/api/v1/collections/{id}/items/{other}/ack"),
            json!({}),
        )
        .await;
    assert_error(&r, 404, "not_found");
}

#[tokio::test]
async fn a_reconfirm_publish_asks_again_and_a_plain_publish_does_not() {
    let w = world().await;
    let id = &w.collection;
    let doc = &w.docs[1];
    ack(&w.intern, id, doc).await;
    // A typo fix published plainly resets nobody.
    edit(&w.admin, doc, "密码不得外借。\n（修正错别字）\n", None).await;
    let d = detail(&w.intern, id).await;
    assert_eq!(d["items"][1]["published_version"], 2, "{d}");
    assert_eq!(d["items"][1]["acknowledged_version"], 1);
    assert_eq!(d["items"][1]["needs_ack"], false);
    assert_eq!(d["me"]["done"], 1);
    // 需重新确认: everyone who acknowledged an older version must again.
    edit(
        &w.admin,
        doc,
        "密码不得外借，且每 90 天更换。\n",
        Some(true),
    )
    .await;
    let d = detail(&w.intern, id).await;
    assert_eq!(d["items"][1]["published_version"], 3, "{d}");
    assert_eq!(d["items"][1]["acknowledged_version"], 1);
    assert_eq!(d["items"][1]["needs_ack"], true);
    assert_eq!(d["me"]["done"], 0);
    // Another plain publish after it does not undo the request.
    edit(
        &w.admin,
        doc,
        "密码不得外借，且每 90 天更换。\n\n附录。\n",
        Some(false),
    )
    .await;
    assert_eq!(detail(&w.intern, id).await["items"][1]["needs_ack"], true);
    let a = ack(&w.intern, id, doc).await;
    assert_eq!(a["version"], 4);
    let d = detail(&w.intern, id).await;
    assert_eq!(d["items"][1]["needs_ack"], false);
    assert_eq!(d["me"]["done"], 1);

    // Through review: the approval that publishes carries it.
    let cat = w.admin.new_category(&w.space, "制度", None).await;
    let (rev_id, reviewer) = w.srv.user(&w.admin, "rev", json!({})).await;
    let (author_id, author) = w.srv.user(&w.admin, "author", json!({})).await;
    ok(w.admin
        .put(
            &format!("/api/v1/spaces/{}/grants", w.space),
            json!([
                {"principal": "everyone", "role": "reader"},
                {"principal": format!("user:{author_id}"), "role": "editor"},
                {"principal": format!("user:{rev_id}"), "role": "reviewer"},
            ]),
        )
        .await);
    ok(w.admin
        .put(
            &format!("/api/v1/categories/{cat}/review-policy"),
            json!({"stages": [{"name": "审核", "reviewers": [format!("user:{rev_id}")], "quorum": "any"}]}),
        )
        .await);
    let publish = |body: &'static str, reconfirm: Option<bool>, doc: Option<String>| {
        let (author, reviewer, space, cat) = (
            author.clone(),
            reviewer.clone(),
            w.space.clone(),
            cat.clone(),
        );
        async move {
            let doc = match doc {
                None => s(&ok(author
                    .post(
                        "/api/v1/documents",
                        json!({"space_id": space, "category_id": cat, "title": "报销制度", "body": body}),
                    )
                    .await)["id"]),
                Some(doc) => {
                    let cur = ok(author.get(&format!("/api/v1/documents/{doc}")).await);
                    ok(author
                        .put(
                            &format!("/api/v1/documents/{doc}"),
                            json!({"title": "报销制度", "body": body, "base_version": cur["version"]}),
                        )
                        .await);
                    doc
                }
            };
            let r = ok(author
                .post(&format!("/api/v1/documents/{doc}/submit"), json!({}))
                .await);
            let mut body = json!({"comment": "同意"});
            if let Some(x) = reconfirm {
                body["reconfirm"] = json!(x);
            }
            let r = ok(reviewer
                .post(&format!("/api/v1/reviews/{}/approve", s(&r["id"])), body)
                .await);
            assert_eq!(r["state"], "approved", "{r}");
            doc
        }
    };
    let policy = publish("第一版\n", None, None).await;
    ok(w.admin
        .put(
            &format!("/api/v1/collections/{id}"),
            json!({
                "name": "新员工入职学习",
                "items": [{"doc_id": w.docs[0]}, {"doc_id": w.docs[1]}, {"doc_id": policy}],
                "audience": ["kind:intern", format!("group:{}", w.rd)],
                "due_days": 7,
            }),
        )
        .await);
    ack(&w.intern, id, &policy).await;
    publish("第一版\n（标点）\n", Some(false), Some(policy.clone())).await;
    let d = detail(&w.intern, id).await;
    assert_eq!(d["items"][2]["published_version"], 2, "{d}");
    assert_eq!(
        d["items"][2]["needs_ack"], false,
        "a plain approval resets nobody"
    );
    publish("第二版：报销需附发票\n", Some(true), Some(policy.clone())).await;
    let d = detail(&w.intern, id).await;
    assert_eq!(d["items"][2]["published_version"], 3, "{d}");
    assert_eq!(d["items"][2]["acknowledged_version"], 1);
    assert_eq!(d["items"][2]["needs_ack"], true, "需重新确认 asks again");
}

/// The CSV of the progress, through the raw client: (status, content type, bytes).
async fn csv(c: &Client, id: &str) -> (StatusCode, String, Vec<u8>) {
    let r = c
        .http
        .get(format!(
            "{}/api/v1/collections/{id}/progress?format=csv",
            c.base
        ))
        .bearer_auth(c.token.as_deref().unwrap())
        .send()
        .await
        .unwrap();
    let ty = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (r.status(), ty, r.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn the_owners_csv_lists_each_person_with_the_right_counts() {
    let w = world().await;
    let id = &w.collection;
    ack(&w.intern, id, &w.docs[0]).await;
    ack(&w.intern, id, &w.docs[2]).await; // optional: does not count
    ack(&w.dev, id, &w.docs[0]).await;
    ack(&w.dev, id, &w.docs[1]).await;
    let (st, ty, bytes) = csv(&w.admin, id).await;
    assert_eq!(st, StatusCode::OK);
    assert!(ty.starts_with("text/csv"), "{ty}");
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF", "UTF-8 byte-order mark first");
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert_eq!(
        lines[0],
        "用户ID,用户名,姓名,必读,已完成,截止时间,是否逾期,最近活动"
    );
    let dev: Vec<&str> = lines[1].split(',').collect();
    assert_eq!(
        &dev[..5],
        [w.dev_id.as_str(), "dev1", "开发一号", "2", "2"],
        "{text}"
    );
    assert_eq!(dev[6], "否");
    assert!(!dev[7].is_empty());
    let intern: Vec<&str> = lines[2].split(',').collect();
    assert_eq!(
        &intern[..5],
        [w.intern_id.as_str(), "xiaoli", "小李", "2", "1"],
        "{text}"
    );
    // A person's CSV holds their own row only; outsiders get 404.
    let (_, _, bytes) = csv(&w.intern, id).await;
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(text.contains("xiaoli") && !text.contains("dev1"));
    assert_eq!(csv(&w.outsider, id).await.0, StatusCode::NOT_FOUND);
    // The dashboard's required-reading figure counts the same: 4 required items assigned (2
    // people x 2), 3 acknowledged (the optional one does not count).
    let (st, dash) = w.admin.get("/api/v1/admin/stats").await;
    assert_eq!(st, StatusCode::OK, "{dash}");
    assert_eq!(
        dash["required_reading"],
        json!({"available": true, "required": 4, "done": 3}),
        "{dash}"
    );
    assert_error(
        &w.admin
            .get(&format!("/api/v1/collections/{id}/progress?format=xls"))
            .await,
        400,
        "invalid_input",
    );
}

#[tokio::test]
async fn an_item_the_audience_cannot_read_is_refused_at_creation_naming_it() {
    let w = world().await;
    let secret_space = w.admin.new_space("人事机密").await;
    let secret = s(&w
        .admin
        .new_doc(&secret_space, None, "薪酬结构", "保密\n")
        .await["id"]);
    let body = json!({
        "name": "实习生必读",
        "items": [{"doc_id": w.docs[0]}, {"doc_id": secret}],
        "audience": ["kind:intern"],
        "due_days": 5,
    });
    let r = w.admin.post("/api/v1/collections", body.clone()).await;
    assert_error(&r, 422, "item_not_readable");
    let e = &r.1["error"];
    assert_eq!(e["doc_id"], secret.as_str(), "{e}");
    assert_eq!(e["title"], "薪酬结构");
    assert_eq!(e["index"], 1);
    assert_eq!(e["count"], 1);
    assert_eq!(e["names"], json!(["小李（xiaoli）"]));
    let msg = s(&e["message"]);
    assert!(msg.contains("薪酬结构") && msg.contains("小李"), "{msg}");
    // Nothing was created.
    let list = ok(w.intern.get("/api/v1/collections").await);
    assert!(!list.to_string().contains("实习生必读"), "{list}");
    // Granting read access makes it acceptable.
    ok(w.admin
        .put(
            &format!("/api/v1/spaces/{secret_space}/grants"),
            json!([{"principal": format!("user:{}", w.intern_id), "role": "reader"}]),
        )
        .await);
    ok(w.admin.post("/api/v1/collections", body).await);

    // Who may create: admins and space managers, not a plain employee.
    let (mgr_id, mgr) = w.srv.user(&w.admin, "mgr", json!({})).await;
    ok(w.admin
        .put(
            &format!("/api/v1/spaces/{}/grants", w.space),
            json!([
                {"principal": "everyone", "role": "reader"},
                {"principal": format!("user:{mgr_id}"), "role": "manager"},
            ]),
        )
        .await);
    let mine = json!({"name": "空间新人", "items": [{"doc_id": w.docs[2]}], "audience": [format!("user:{}", w.intern_id)]});
    let c = ok(mgr.post("/api/v1/collections", mine.clone()).await);
    assert_eq!(c["owner"], mgr_id.as_str());
    assert_eq!(c["due_days"], 14);
    assert_eq!(ok(mgr.get("/api/v1/collections").await)["can_create"], true);
    assert_error(
        &w.dev.post("/api/v1/collections", mine).await,
        403,
        "forbidden",
    );
    // A document the creator cannot read is no document to them; bad audience entries.
    let r = mgr
        .post(
            "/api/v1/collections",
            json!({"name": "x", "items": [{"doc_id": secret}], "audience": ["kind:intern"]}),
        )
        .await;
    assert_error(&r, 400, "invalid_input");
    assert_eq!(r.1["error"]["field"], "items[0].doc_id");
    assert!(!r.1.to_string().contains("薪酬结构"));
    for (aud, reason) in [
        ("kind:boss", "not_one_of"),
        (
            "group:0123456789abcdef0123456789abcdef",
            "unknown_principal",
        ),
    ] {
        let r = w
            .admin
            .post(
                "/api/v1/collections",
                json!({"name": "x", "items": [{"doc_id": w.docs[0]}], "audience": [aud]}),
            )
            .await;
        assert_error(&r, 400, "invalid_input");
        assert_eq!(r.1["error"]["reason"], reason, "{}", r.1);
    }
}

#[tokio::test]
async fn an_item_hidden_later_is_unavailable_without_its_title() {
    let w = world().await;
    let id = &w.collection;
    ok(w.admin
        .delete(&format!("/api/v1/documents/{}", w.docs[1]))
        .await);
    let d = detail(&w.intern, id).await;
    let item = &d["items"][1];
    assert_eq!(item["available"], false, "{d}");
    assert!(item["title"].is_null() && item["doc_id"].is_null());
    assert_eq!(item["needs_ack"], false);
    let text = d.to_string();
    assert!(
        !text.contains("信息安全守则") && !text.contains(&w.docs[1]),
        "{d}"
    );
    assert_eq!(d["me"]["required"], 1);
    let r = w
        .intern
        .post(
            &format!("/api/v1/collections/{id}/items/{}/ack", w.docs[1]),
            json!({}),
        )
        .await;
    assert_error(&r, 404, "not_found");
}

/// The intern's onboarding notices: (kind, text).
async fn notices(c: &Client) -> Vec<(String, String)> {
    let inbox = ok(c.get("/api/v1/notifications?limit=100").await);
    inbox["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"].as_str().unwrap().starts_with("collection_"))
        .map(|n| (s(&n["kind"]), s(&n["text"])))
        .rev()
        .collect()
}

#[tokio::test]
async fn reminders_arrive_when_assigned_three_days_before_and_when_overdue_once_each() {
    let w = world().await;
    let clock = &w.srv.state.clock;
    let start = clock.now();
    let n = notices(&w.intern).await;
    assert_eq!(n.len(), 1, "{n:?}");
    assert_eq!(n[0].0, "collection_assigned");
    assert!(n[0].1.contains("新员工入职学习"), "{n:?}");
    // The dev finishes everything required: no reminders for them later.
    ack(&w.dev, &w.collection, &w.docs[0]).await;
    ack(&w.dev, &w.collection, &w.docs[1]).await;

    // Day 3: nothing new (due on day 7).
    clock.set(start + Duration::days(3));
    assert_eq!(notices(&w.intern).await.len(), 1);
    // Day 4.5: three days before the due date.
    clock.set(start + Duration::days(4) + Duration::hours(12));
    let n = notices(&w.intern).await;
    assert_eq!(n.len(), 2, "{n:?}");
    assert_eq!(n[1].0, "collection_due_soon");
    assert!(n[1].1.contains("还有 2 篇"), "{n:?}");
    // Once only, however often asked.
    ok(w.intern.get("/api/v1/collections").await);
    assert_eq!(notices(&w.intern).await.len(), 2);
    // Day 7 and a bit: overdue.
    clock.set(start + Duration::days(7) + Duration::hours(1));
    let d = detail(&w.intern, &w.collection).await;
    assert_eq!(d["me"]["overdue"], true, "{d}");
    let n = notices(&w.intern).await;
    assert_eq!(n.len(), 3, "{n:?}");
    assert_eq!(n[2].0, "collection_overdue");
    clock.set(start + Duration::days(9));
    assert_eq!(notices(&w.intern).await.len(), 3);
    let p = ok(w
        .admin
        .get(&format!("/api/v1/collections/{}/progress", w.collection))
        .await);
    let row = |u: &str| {
        p["people"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["username"] == u)
            .cloned()
            .unwrap()
    };
    assert_eq!(row("xiaoli")["overdue"], true, "{p}");
    assert_eq!(row("dev1")["overdue"], false);
    let l = ok(w.admin.get("/api/v1/collections").await);
    assert_eq!(l["managed"][0]["overdue"], 1, "{l}");
    assert_eq!(l["managed"][0]["complete"], 1);
    // The one who was done heard only of the assignment.
    let n = notices(&w.dev).await;
    assert_eq!(n.len(), 1, "{n:?}");

    // Someone who joins late is due later, counted from when they joined.
    let (late_id, late) = w.srv.user(&w.admin, "late", json!({})).await;
    ok(w.admin
        .put(
            &format!("/api/v1/groups/{}/members", w.rd),
            json!({"members": [w.dev_id, late_id]}),
        )
        .await);
    let d = detail(&late, &w.collection).await;
    assert_eq!(d["me"]["overdue"], false, "{d}");
    let due: chrono::DateTime<Utc> = d["me"]["due"].as_str().unwrap().parse().unwrap();
    assert!(due > start + Duration::days(15), "{due}");
    assert_eq!(notices(&late).await.len(), 1);
}

#[tokio::test]
async fn a_department_head_sees_only_their_department() {
    let w = world().await;
    let (lead_id, lead) = w
        .srv
        .user(&w.admin, "lead", json!({"display_name": "研发主管"}))
        .await;
    let (mkt_id, mkt) = w.srv.user(&w.admin, "mkt1", json!({})).await;
    let g = ok(w
        .admin
        .post(
            "/api/v1/groups",
            json!({"name": "市场部", "members": [mkt_id]}),
        )
        .await);
    let mkt_group = s(&g["id"]);
    let g = ok(w
        .admin
        .put(
            &format!("/api/v1/groups/{}/members", w.rd),
            json!({"members": [w.dev_id, lead_id], "heads": [lead_id]}),
        )
        .await);
    assert_eq!(g["heads"], json!([lead_id]), "{g}");
    // A head must be a member.
    let r = w
        .admin
        .put(
            &format!("/api/v1/groups/{mkt_group}/members"),
            json!({"members": [mkt_id], "heads": [lead_id]}),
        )
        .await;
    assert_error(&r, 400, "invalid_input");
    let c = ok(w
        .admin
        .post(
            "/api/v1/collections",
            json!({
                "name": "全员安全培训",
                "items": [{"doc_id": w.docs[1]}],
                "audience": [format!("group:{}", w.rd), format!("group:{mkt_group}")],
                "due_days": 10,
            }),
        )
        .await);
    let id = s(&c["id"]);
    ack(&mkt, &id, &w.docs[1]).await;
    let p = ok(lead
        .get(&format!("/api/v1/collections/{id}/progress"))
        .await);
    assert_eq!(p["role"], "department_head", "{p}");
    let names: Vec<&str> = p["people"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["dev1", "lead"], "{p}");
    assert!(!p.to_string().contains("mkt1"));
    let (_, _, bytes) = csv(&lead, &id).await;
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    assert_eq!(text.lines().count(), 3, "{text}");
    assert!(!text.contains("mkt1"));
    let l = ok(lead.get("/api/v1/collections").await);
    let managed: Vec<&Value> = l["managed"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["id"] == id.as_str())
        .collect();
    assert_eq!(managed.len(), 1, "{l}");
    assert_eq!(managed[0]["role"], "department_head");
    assert_eq!(managed[0]["people"], 2);
    // The market person sees only themselves; the owner sees all three.
    let p = ok(mkt.get(&format!("/api/v1/collections/{id}/progress")).await);
    assert_eq!(p["people"].as_array().unwrap().len(), 1);
    assert_eq!(p["people"][0]["done"], 1);
    let p = ok(w
        .admin
        .get(&format!("/api/v1/collections/{id}/progress"))
        .await);
    assert_eq!(p["people"].as_array().unwrap().len(), 3, "{p}");
    // The head may not change the collection.
    let r = lead
        .put(
            &format!("/api/v1/collections/{id}"),
            json!({"name": "改", "items": [{"doc_id": w.docs[1]}], "audience": ["kind:intern"]}),
        )
        .await;
    assert_error(&r, 403, "forbidden");
}
