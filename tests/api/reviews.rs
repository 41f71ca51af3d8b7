//! The review workflow over HTTP: the two-stage path (部门负责人 -> 知识管理员) with a rejection and
//! a resubmission, separation of duties, out-of-order approval, quorum `all`, what readers see
//! during a review (documents and search), sensitive words, the inbox, the queue, withdraw,
//! supersede and re-review dates.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{Client, Server, assert_error};

#[track_caller]
fn ok(resp: (StatusCode, Value)) -> Value {
    assert_eq!(resp.0, StatusCode::OK, "{}", resp.1);
    resp.1
}

fn s(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("not a string: {v}"))
        .to_owned()
}

/// A space whose category 人事制度 needs 部门负责人 (group, any) then 知识管理员 (km, any).
struct World {
    srv: Server,
    admin: Client,
    space: String,
    cat: String,
    group: String,
    author_id: String,
    author: Client,
    head_id: String,
    head: Client,
    km_id: String,
    km: Client,
    reader_id: String,
    reader: Client,
}

async fn world() -> World {
    let srv = Server::start().await;
    let admin = srv.admin().await;
    let space = admin.new_space("制度库").await;
    let cat = admin.new_category(&space, "人事制度", None).await;
    let (author_id, author) = srv
        .user(&admin, "author", json!({"display_name": "作者小王"}))
        .await;
    let (head_id, head) = srv
        .user(&admin, "head", json!({"display_name": "李主任"}))
        .await;
    let (km_id, km) = srv
        .user(&admin, "km", json!({"display_name": "老张"}))
        .await;
    let (reader_id, reader) = srv.user(&admin, "reader", json!({})).await;
    let g = ok(admin
        .post(
            "/api/v1/groups",
            json!({"name": "部门负责人", "members": [head_id]}),
        )
        .await);
    let group = s(&g["id"]);
    ok(admin
        .put(
            &format!("/api/v1/spaces/{space}/grants"),
            json!([
                {"principal": format!("user:{author_id}"), "role": "editor"},
                {"principal": format!("group:{group}"), "role": "reviewer"},
                {"principal": format!("user:{km_id}"), "role": "reviewer"},
                {"principal": format!("user:{reader_id}"), "role": "reader"},
            ]),
        )
        .await);
    ok(admin
        .put(
            &format!("/api/v1/categories/{cat}/review-policy"),
            json!({"stages": [
                {"name": "部门负责人", "reviewers": [format!("group:{group}")], "quorum": "any"},
                {"name": "知识管理员", "reviewers": [format!("user:{km_id}")], "quorum": "any"},
            ]}),
        )
        .await);
    World {
        srv,
        admin,
        space,
        cat,
        group,
        author_id,
        author,
        head_id,
        head,
        km_id,
        km,
        reader_id,
        reader,
    }
}

impl World {
    async fn new_doc(&self, title: &str, body: &str) -> String {
        let d = self
            .author
            .new_doc(&self.space, Some(&self.cat), title, body)
            .await;
        assert_eq!(d["status"], "draft", "{d}");
        assert_eq!(d["published_version"], Value::Null, "{d}");
        s(&d["id"])
    }

    async fn submit(&self, doc: &str) -> String {
        let r = ok(self
            .author
            .post(&format!("/api/v1/documents/{doc}/submit"), json!({}))
            .await);
        assert_eq!(r["state"], "pending", "{r}");
        s(&r["id"])
    }

    /// Takes a submission through both stages.
    async fn approve_all(&self, review: &str) -> Value {
        let r = ok(self
            .head
            .post(&format!("/api/v1/reviews/{review}/approve"), json!({}))
            .await);
        assert_eq!(r["current_stage"], 1, "{r}");
        let r = ok(self
            .km
            .post(&format!("/api/v1/reviews/{review}/approve"), json!({}))
            .await);
        assert_eq!(r["state"], "approved", "{r}");
        r
    }

    async fn save(&self, doc: &str, title: &str, body: &str, base: u64) -> Value {
        ok(self
            .author
            .put(
                &format!("/api/v1/documents/{doc}"),
                json!({"title": title, "body": body, "base_version": base}),
            )
            .await)
    }

    /// Waits until the indexer has drained the outbox (so an absent hit means absent).
    async fn indexed(&self) {
        for _ in 0..200 {
            if self.srv.state.store.outbox.is_empty() {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("the indexer never drained the outbox");
    }
}

async fn queue(c: &Client) -> Vec<Value> {
    let r = ok(c.get("/api/v1/reviews?state=pending&assigned=me").await);
    r["items"].as_array().unwrap().clone()
}

async fn inbox(c: &Client) -> Value {
    ok(c.get("/api/v1/notifications?limit=100").await)
}

fn kinds(inbox: &Value) -> Vec<String> {
    inbox["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| s(&n["kind"]))
        .collect()
}

#[tokio::test]
async fn two_stage_path_with_rejection_and_resubmission() {
    let w = world().await;
    let doc = w.new_doc("请假制度", "员工请假需提前申请。\n").await;
    // Never published: readers cannot see it at all.
    assert_error(
        &w.reader.get(&format!("/api/v1/documents/{doc}")).await,
        404,
        "not_found",
    );

    let r1 = w.submit(&doc).await;
    let d = ok(w.author.get(&format!("/api/v1/documents/{doc}")).await);
    assert_eq!(d["status"], "in_review");

    // The queue: the department head has it, the knowledge manager not yet.
    let q = queue(&w.head).await;
    assert_eq!(q.len(), 1, "{q:?}");
    assert_eq!(q[0]["id"], r1.as_str());
    assert_eq!(q[0]["doc_title"], "请假制度");
    assert_eq!(q[0]["version"], 1);
    assert_eq!(q[0]["author_name"], "作者小王");
    assert_eq!(q[0]["stage_name"], "部门负责人");
    assert!(q[0]["submitted_at"].is_string());
    assert!(queue(&w.km).await.is_empty());
    assert!(
        queue(&w.author).await.is_empty(),
        "authors do not review their own submission"
    );

    // Stage 1 approves with a comment; stage 2 is now waiting on km.
    let r = ok(w
        .head
        .post(
            &format!("/api/v1/reviews/{r1}/approve"),
            json!({"comment": "同意"}),
        )
        .await);
    assert_eq!(r["state"], "pending");
    assert_eq!(r["current_stage"], 1);
    assert_eq!(r["stage_name"], "知识管理员");
    assert_eq!(r["stages"][0]["done"], true);
    assert_eq!(r["stages"][1]["status"], "current");
    assert!(queue(&w.head).await.is_empty());
    assert_eq!(queue(&w.km).await.len(), 1);
    assert!(kinds(&inbox(&w.author).await).contains(&"stage_advanced".to_owned()));
    assert!(kinds(&inbox(&w.km).await).contains(&"review_requested".to_owned()));

    // Stage 2 rejects: back to the author with the comment; nothing published.
    let r = ok(w
        .km
        .post(
            &format!("/api/v1/reviews/{r1}/reject"),
            json!({"comment": "缺少审批流程图"}),
        )
        .await);
    assert_eq!(r["state"], "rejected");
    assert_eq!(r["decisions"][1]["comment"], "缺少审批流程图");
    assert_eq!(r["decisions"][1]["reviewer_name"], "老张");
    assert_eq!(r["decisions"][1]["approve"], false);
    let d = ok(w.author.get(&format!("/api/v1/documents/{doc}")).await);
    assert_eq!(d["status"], "draft");
    assert_eq!(d["published_version"], Value::Null);
    assert_error(
        &w.reader.get(&format!("/api/v1/documents/{doc}")).await,
        404,
        "not_found",
    );
    let ib = inbox(&w.author).await;
    let rejected = ib["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["kind"] == "rejected")
        .expect("rejected notice");
    assert!(
        s(&rejected["text"]).contains("缺少审批流程图"),
        "{rejected}"
    );
    assert_eq!(rejected["link"], format!("#/reviews/{r1}"));
    // A closed review cannot be decided again.
    assert_error(
        &w.km
            .post(&format!("/api/v1/reviews/{r1}/approve"), json!({}))
            .await,
        409,
        "not_pending",
    );

    // The author fixes it and resubmits: a new review, from the first stage.
    w.save(
        &doc,
        "请假制度",
        "员工请假需提前申请。\n\n附：审批流程图。\n",
        1,
    )
    .await;
    let r2 = w.submit(&doc).await;
    assert_ne!(r1, r2);
    let r = w.approve_all(&r2).await;
    assert_eq!(r["version"], 2);
    assert_eq!(r["decisions"].as_array().unwrap().len(), 2);
    let d = ok(w.author.get(&format!("/api/v1/documents/{doc}")).await);
    assert_eq!(
        (d["status"].clone(), d["published_version"].clone()),
        (json!("published"), json!(2))
    );
    let d = ok(w.reader.get(&format!("/api/v1/documents/{doc}")).await);
    assert_eq!(d["version"], 2);
    assert!(s(&d["body"]).contains("审批流程图"));
    assert_eq!(
        d["approved_by"],
        json!(["李主任", "老张"]),
        "who approved, in stage order"
    );
    let ib = inbox(&w.author).await;
    let approved = ib["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["kind"] == "approved")
        .expect("approved notice");
    assert_eq!(approved["link"], format!("#/doc/{doc}"));

    // The first review keeps its history.
    let old = ok(w.author.get(&format!("/api/v1/reviews/{r1}")).await);
    assert_eq!(old["state"], "rejected");
    assert_eq!(old["decisions"][0]["comment"], "同意");
    // Never published before: the diff is against nothing.
    let r = ok(w.head.get(&format!("/api/v1/reviews/{r2}")).await);
    assert_eq!(r["base_version"], Value::Null);
    assert_eq!(r["diff"]["to"], 2);
    assert!(
        r["diff"]["unified"]
            .as_str()
            .unwrap()
            .contains("审批流程图"),
        "{}",
        r["diff"]
    );
    assert_eq!(r["stages"][0]["reviewers"][0]["display_name"], "部门负责人");
    assert_eq!(r["stages"][1]["reviewers"][0]["display_name"], "老张");

    // Every submission and decision is audited.
    let audit = ok(w.admin.get("/api/v1/audit?action=review&limit=100").await);
    let actions: Vec<String> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| s(&e["action"]))
        .collect();
    let count = |a: &str| actions.iter().filter(|x| *x == a).count();
    assert_eq!(
        (
            count("review.submit"),
            count("review.approve"),
            count("review.reject")
        ),
        (2, 3, 1),
        "{actions:?}"
    );
    let rej = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "review.reject")
        .unwrap();
    assert_eq!(rej["target"], format!("review:{r1}"));
    assert_eq!(rej["actor"], w.km_id.as_str());
    assert_eq!(rej["detail"]["comment"], "缺少审批流程图");
}

#[tokio::test]
async fn readers_keep_the_published_version_during_a_review() {
    let w = world().await;
    let doc = w.new_doc("报销流程", "报销需要提交发票原件。\n").await;
    let r = w.submit(&doc).await;
    w.approve_all(&r).await;
    w.reader.search_until("发票原件", &doc, true).await;

    // v2 goes into review: it mentions a word that is nowhere else.
    w.save(&doc, "报销流程（新）", "改用星辰平台在线上传。\n", 1)
        .await;
    let r2 = w.submit(&doc).await;

    let d = ok(w.reader.get(&format!("/api/v1/documents/{doc}")).await);
    assert_eq!(
        (d["version"].clone(), d["status"].clone()),
        (json!(1), json!("published")),
        "{d}"
    );
    assert_eq!(d["title"], "报销流程");
    assert!(s(&d["body"]).contains("发票原件") && !s(&d["body"]).contains("星辰"));
    let versions = ok(w
        .reader
        .get(&format!("/api/v1/documents/{doc}/versions"))
        .await);
    assert_eq!(versions.as_array().unwrap().len(), 1, "{versions}");
    assert_error(
        &w.reader
            .get(&format!("/api/v1/documents/{doc}/versions/2"))
            .await,
        404,
        "not_found",
    );
    // The author and the reviewers see the draft under review.
    for who in [&w.author, &w.head, &w.km] {
        let d = ok(who.get(&format!("/api/v1/documents/{doc}")).await);
        assert_eq!(
            (d["version"].clone(), d["status"].clone()),
            (json!(2), json!("in_review")),
            "{d}"
        );
        assert!(s(&d["body"]).contains("星辰"));
    }
    // The reader cannot open the review either.
    assert_error(
        &w.reader.get(&format!("/api/v1/reviews/{r2}")).await,
        404,
        "not_found",
    );
    // The reviewers' diff is against the published version.
    let rv = ok(w.head.get(&format!("/api/v1/reviews/{r2}")).await);
    assert_eq!(
        (
            rv["base_version"].clone(),
            rv["diff"]["from"].clone(),
            rv["diff"]["to"].clone()
        ),
        (json!(1), json!(1), json!(2))
    );
    assert_eq!(rv["diff"]["title"], json!(["报销流程", "报销流程（新）"]));

    // Search keeps the published text.
    w.indexed().await;
    let hits = ok(w.reader.get("/api/v1/search?q=星辰").await);
    assert_eq!(hits["total"], 0, "{hits}");
    w.reader.search_until("发票原件", &doc, true).await;

    // Approval publishes v2 for everybody, in reads and in search.
    w.approve_all(&r2).await;
    let d = ok(w.reader.get(&format!("/api/v1/documents/{doc}")).await);
    assert_eq!(d["version"], 2);
    assert!(s(&d["body"]).contains("星辰"));
    w.reader.search_until("星辰", &doc, true).await;
    w.reader.search_until("发票原件", &doc, false).await;
}

#[tokio::test]
async fn nobody_approves_their_own_submission_not_even_an_admin() {
    let w = world().await;
    // The author (an editor) cannot decide on their own submission.
    let doc = w.new_doc("考勤规定", "九点上班。\n").await;
    let r = w.submit(&doc).await;
    for action in ["approve", "reject"] {
        let resp = w
            .author
            .post(
                &format!("/api/v1/reviews/{r}/{action}"),
                json!({"comment": "自己批"}),
            )
            .await;
        assert_error(&resp, 403, "self_approval");
    }

    // An administrator listed as the reviewer of a category submits there: still refused.
    let me = ok(w.admin.get("/api/v1/me").await);
    let admin_id = s(&me["user"]["id"]);
    let cat = w.admin.new_category(&w.space, "财务制度", None).await;
    ok(w.admin
        .put(
            &format!("/api/v1/categories/{cat}/review-policy"),
            json!({"stages": [{"name": "知识管理员", "reviewers": [format!("user:{admin_id}"), format!("user:{}", w.km_id)], "quorum": "any"}]}),
        )
        .await);
    let d = w
        .admin
        .new_doc(&w.space, Some(&cat), "差旅标准", "高铁二等座。\n")
        .await;
    let doc = s(&d["id"]);
    let rv = ok(w
        .admin
        .post(&format!("/api/v1/documents/{doc}/submit"), json!({}))
        .await);
    let rid = s(&rv["id"]);
    assert_eq!(rv["can_decide"], false);
    assert_error(
        &w.admin
            .post(&format!("/api/v1/reviews/{rid}/approve"), json!({}))
            .await,
        403,
        "self_approval",
    );
    assert_error(
        &w.admin
            .post(
                &format!("/api/v1/reviews/{rid}/reject"),
                json!({"comment": "x"}),
            )
            .await,
        403,
        "self_approval",
    );
    let d = ok(w.admin.get(&format!("/api/v1/documents/{doc}")).await);
    assert_eq!(
        (d["status"].clone(), d["published_version"].clone()),
        (json!("in_review"), Value::Null)
    );
    // The other listed reviewer may.
    let rv = ok(w
        .km
        .post(&format!("/api/v1/reviews/{rid}/approve"), json!({}))
        .await);
    assert_eq!(rv["state"], "approved");
}

#[tokio::test]
async fn stages_are_approved_in_order_and_only_by_their_reviewers() {
    let w = world().await;
    let doc = w.new_doc("入职流程", "第一天领电脑。\n").await;
    let r = w.submit(&doc).await;
    // The stage-2 reviewer acting during stage 1.
    assert_error(
        &w.km
            .post(&format!("/api/v1/reviews/{r}/approve"), json!({}))
            .await,
        403,
        "not_a_reviewer",
    );
    assert_error(
        &w.km
            .post(
                &format!("/api/v1/reviews/{r}/reject"),
                json!({"comment": "不行"}),
            )
            .await,
        403,
        "not_a_reviewer",
    );
    // An administrator who is not listed is not a reviewer.
    assert_error(
        &w.admin
            .post(&format!("/api/v1/reviews/{r}/approve"), json!({}))
            .await,
        403,
        "not_a_reviewer",
    );
    // A reader cannot even see the review.
    assert_error(
        &w.reader
            .post(&format!("/api/v1/reviews/{r}/approve"), json!({}))
            .await,
        404,
        "not_found",
    );
    let rv = ok(w.head.get(&format!("/api/v1/reviews/{r}")).await);
    assert_eq!(
        (rv["state"].clone(), rv["current_stage"].clone()),
        (json!("pending"), json!(0))
    );
    assert!(rv["decisions"].as_array().unwrap().is_empty());
    // Stage 1 passes; now its reviewer cannot act again, and km can.
    ok(w.head
        .post(&format!("/api/v1/reviews/{r}/approve"), json!({}))
        .await);
    assert_error(
        &w.head
            .post(&format!("/api/v1/reviews/{r}/approve"), json!({}))
            .await,
        403,
        "not_a_reviewer",
    );
    let rv = ok(w
        .km
        .post(&format!("/api/v1/reviews/{r}/approve"), json!({}))
        .await);
    assert_eq!(rv["state"], "approved");
}

#[tokio::test]
async fn rejection_needs_a_comment() {
    let w = world().await;
    let doc = w.new_doc("加班制度", "加班需审批。\n").await;
    let r = w.submit(&doc).await;
    assert_error(
        &w.head
            .post(&format!("/api/v1/reviews/{r}/reject"), json!({}))
            .await,
        422,
        "comment_required",
    );
    assert_error(
        &w.head
            .post(
                &format!("/api/v1/reviews/{r}/reject"),
                json!({"comment": "  \n "}),
            )
            .await,
        422,
        "comment_required",
    );
    let rv = ok(w.head.get(&format!("/api/v1/reviews/{r}")).await);
    assert_eq!(rv["state"], "pending");
    assert!(rv["decisions"].as_array().unwrap().is_empty());
    let d = ok(w.author.get(&format!("/api/v1/documents/{doc}")).await);
    assert_eq!(d["status"], "in_review");
}

#[tokio::test]
async fn quorum_all_needs_every_listed_entry() {
    let w = world().await;
    let cat = w.admin.new_category(&w.space, "会签制度", None).await;
    ok(w.admin
        .put(
            &format!("/api/v1/categories/{cat}/review-policy"),
            json!({"stages": [{"name": "会签", "reviewers": [format!("user:{}", w.km_id), format!("group:{}", w.group)], "quorum": "all"}]}),
        )
        .await);
    let d = w
        .author
        .new_doc(&w.space, Some(&cat), "采购流程", "三家比价。\n")
        .await;
    let doc = s(&d["id"]);
    let r = w.submit(&doc).await;
    assert_eq!(queue(&w.km).await.len(), 1);
    assert_eq!(queue(&w.head).await.len(), 1);
    let rv = ok(w
        .km
        .post(&format!("/api/v1/reviews/{r}/approve"), json!({}))
        .await);
    assert_eq!(rv["state"], "pending");
    assert_eq!(
        rv["stages"][0]["waiting_on"],
        json!([format!("group:{}", w.group)])
    );
    assert_error(
        &w.km
            .post(&format!("/api/v1/reviews/{r}/approve"), json!({}))
            .await,
        409,
        "already_decided",
    );
    assert_error(
        &w.reader.get(&format!("/api/v1/documents/{doc}")).await,
        404,
        "not_found",
    );
    let rv = ok(w
        .head
        .post(&format!("/api/v1/reviews/{r}/approve"), json!({}))
        .await);
    assert_eq!(rv["state"], "approved");
    let d = ok(w.reader.get(&format!("/api/v1/documents/{doc}")).await);
    assert_eq!(d["version"], 1);
}

#[tokio::test]
async fn sensitive_words_block_with_positions_or_flag_for_reviewers() {
    let w = world().await;
    let words =
        json!({"words": [{"word": "绝密", "action": "block"}, {"word": "VPN", "action": "flag"}]});
    assert_error(
        &w.author
            .put("/api/v1/admin/sensitive-words", words.clone())
            .await,
        403,
        "forbidden",
    );
    assert_error(
        &w.author.get("/api/v1/admin/sensitive-words").await,
        403,
        "forbidden",
    );
    let bad = w
        .admin
        .put(
            "/api/v1/admin/sensitive-words",
            json!({"words": [{"word": " ", "action": "block"}]}),
        )
        .await;
    assert_error(&bad, 400, "invalid_input");
    assert_eq!(bad.1["error"]["field"], "words[0].word");
    let long = w
        .admin
        .put(
            "/api/v1/admin/sensitive-words",
            json!({"words": [{"word": "字".repeat(51), "action": "flag"}]}),
        )
        .await;
    assert_error(&long, 400, "invalid_input");
    ok(w.admin.put("/api/v1/admin/sensitive-words", words).await);
    let got = ok(w.admin.get("/api/v1/admin/sensitive-words").await);
    assert_eq!(got["words"][1], json!({"word": "VPN", "action": "flag"}));

    // Block: refused with the positions; the document stays a draft, nothing is queued.
    let doc = w.new_doc("网络说明", "第一行\n这里有绝密内容\n").await;
    let resp = w
        .author
        .post(&format!("/api/v1/documents/{doc}/submit"), json!({}))
        .await;
    assert_error(&resp, 422, "sensitive_words");
    assert_eq!(
        resp.1["error"]["matches"],
        json!([{"word": "绝密", "field": "body", "line": 2, "column": 4, "action": "block"}])
    );
    let d = ok(w.author.get(&format!("/api/v1/documents/{doc}")).await);
    assert_eq!(d["status"], "draft");
    assert!(queue(&w.head).await.is_empty());
    let audit = ok(w
        .admin
        .get("/api/v1/audit?action=review.submit&outcome=denied")
        .await);
    assert_eq!(audit["items"][0]["target"], format!("document:{doc}"));

    // Flag: goes through, and the reviewers see the flag (ASCII case ignored).
    w.save(&doc, "网络说明", "请连接 vpn 后访问\n", 1).await;
    let rv = ok(w
        .author
        .post(&format!("/api/v1/documents/{doc}/submit"), json!({}))
        .await);
    assert_eq!(
        rv["flags"],
        json!([{"word": "VPN", "field": "body", "line": 1, "column": 5, "action": "flag"}])
    );
    let q = queue(&w.head).await;
    assert_eq!(q[0]["flags"], 1);
    let seen = ok(w
        .head
        .get(&format!("/api/v1/reviews/{}", s(&rv["id"])))
        .await);
    assert_eq!(seen["flags"][0]["word"], "VPN");
}

#[tokio::test]
async fn the_inbox_counts_unread_and_marks_read() {
    let w = world().await;
    let doc = w.new_doc("门禁管理", "刷卡进门。\n").await;
    let r = w.submit(&doc).await;
    let ib = inbox(&w.head).await;
    assert_eq!(ib["unread"], 1, "{ib}");
    let n = &ib["items"][0];
    assert_eq!(n["kind"], "review_requested");
    assert_eq!(n["link"], format!("#/reviews/{r}"));
    assert_eq!(n["read"], false);
    assert!(
        s(&n["text"]).contains("门禁管理") && s(&n["text"]).contains("作者小王"),
        "{n}"
    );
    // Nothing for the author or the reader.
    assert_eq!(inbox(&w.reader).await["unread"], 0);

    // Someone else cannot mark it read.
    ok(w.km
        .post("/api/v1/notifications/read", json!({"ids": [n["id"]]}))
        .await);
    assert_eq!(inbox(&w.head).await["unread"], 1);
    let marked = ok(w
        .head
        .post(
            "/api/v1/notifications/read",
            json!({"ids": [n["id"], "junk"]}),
        )
        .await);
    assert_eq!(marked["unread"], 0);
    assert_eq!(inbox(&w.head).await["items"][0]["read"], true);

    // Waiting too long: once the stage has waited over three days, the reviewers still waited on
    // are told, once.
    ok(w.head
        .post(&format!("/api/v1/reviews/{r}/approve"), json!({}))
        .await);
    let store = &w.srv.state.store;
    let mut stored: Value = serde_json::to_value(store.reviews.get(&r).unwrap().unwrap()).unwrap();
    let past = (chrono::Utc::now() - chrono::Duration::days(4)).to_rfc3339();
    stored["review"]["decisions"][0]["at"] = json!(past);
    let stored: hanlin::model::StoredReview = serde_json::from_value(stored).unwrap();
    store.transact(|tx| tx.reviews.put(&r, &stored)).unwrap();
    let ib = inbox(&w.km).await;
    assert_eq!(kinds(&ib), ["waiting_too_long", "review_requested"], "{ib}");
    assert!(s(&ib["items"][0]["text"]).contains("知识管理员"));
    assert_eq!(ib["unread"], 2);
    assert_eq!(queue(&w.km).await.len(), 1);
    assert_eq!(kinds(&inbox(&w.km).await).len(), 2, "sent once per stage");
    assert!(!kinds(&inbox(&w.head).await).contains(&"waiting_too_long".to_owned()));

    // Paging, newest first; then mark all read.
    let page = ok(w.km.get("/api/v1/notifications?limit=1&offset=1").await);
    assert_eq!(
        (page["total"].clone(), page["items"][0]["kind"].clone()),
        (json!(2), json!("review_requested"))
    );
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    let marked = ok(w.km.post("/api/v1/notifications/read", json!({})).await);
    assert_eq!(
        (marked["marked"].clone(), marked["unread"].clone()),
        (json!(2), json!(0))
    );
}

#[tokio::test]
async fn queue_withdraw_and_supersede() {
    let w = world().await;
    let doc = w.new_doc("保密协议", "不得外传。\n").await;
    let r1 = w.submit(&doc).await;
    // Only the author may withdraw.
    assert_error(
        &w.head
            .post(&format!("/api/v1/reviews/{r1}/withdraw"), json!({}))
            .await,
        403,
        "not_author",
    );
    let rv = ok(w
        .author
        .post(&format!("/api/v1/reviews/{r1}/withdraw"), json!({}))
        .await);
    assert_eq!(rv["state"], "withdrawn");
    assert!(queue(&w.head).await.is_empty());
    let d = ok(w.author.get(&format!("/api/v1/documents/{doc}")).await);
    assert_eq!(d["status"], "draft");
    assert_error(
        &w.head
            .post(&format!("/api/v1/reviews/{r1}/approve"), json!({}))
            .await,
        409,
        "not_pending",
    );

    // A new submission supersedes an older pending one.
    let r2 = w.submit(&doc).await;
    w.save(&doc, "保密协议", "不得外传，违者追责。\n", 1).await;
    let d = ok(w.author.get(&format!("/api/v1/documents/{doc}")).await);
    assert_eq!(
        d["status"], "draft",
        "a save after submitting is a new draft"
    );
    let r3 = w.submit(&doc).await;
    let q = queue(&w.head).await;
    assert_eq!(
        q.iter().map(|x| s(&x["id"])).collect::<Vec<_>>(),
        [r3.as_str()]
    );
    assert_eq!(q[0]["version"], 2);
    assert_eq!(
        ok(w.author.get(&format!("/api/v1/reviews/{r2}")).await)["state"],
        "superseded"
    );

    // My submissions, every state, newest first.
    let mine = ok(w.author.get("/api/v1/reviews?state=all&mine=true").await);
    let states: Vec<String> = mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| s(&x["state"]))
        .collect();
    assert_eq!(states, ["pending", "superseded", "withdrawn"]);
    assert_eq!(
        ok(w.head.get("/api/v1/reviews?state=all&mine=true").await)["total"],
        0
    );
    assert_eq!(
        ok(w.reader.get("/api/v1/reviews?state=all").await)["total"],
        0,
        "readers see no reviews"
    );
    assert_error(
        &w.head.get("/api/v1/reviews?state=bogus").await,
        400,
        "invalid_input",
    );

    // Approving the older version after a newer save publishes it, the head stays a draft.
    w.save(
        &doc,
        "保密协议",
        "不得外传，违者追责；离职后两年有效。\n",
        2,
    )
    .await;
    w.approve_all(&r3).await;
    let d = ok(w.author.get(&format!("/api/v1/documents/{doc}")).await);
    assert_eq!(
        (
            d["version"].clone(),
            d["status"].clone(),
            d["published_version"].clone()
        ),
        (json!(3), json!("draft"), json!(2))
    );
    let d = ok(w.reader.get(&format!("/api/v1/documents/{doc}")).await);
    assert_eq!(d["version"], 2);
    // Submitting what is already published is refused.
    let resp = w
        .author
        .post(
            &format!("/api/v1/documents/{doc}/submit"),
            json!({"version": 2}),
        )
        .await;
    assert_error(&resp, 409, "already_published");
    assert_error(
        &w.author
            .post(
                &format!("/api/v1/documents/{doc}/submit"),
                json!({"version": 9}),
            )
            .await,
        400,
        "invalid_input",
    );
}

#[tokio::test]
async fn review_by_dates_list_stale_documents_for_reviewers() {
    let w = world().await;
    // Outside any policy: saving publishes and submitting has nothing to do.
    let d = w
        .author
        .new_doc(&w.space, None, "旧版手册", "内容过时。\n")
        .await;
    let doc = s(&d["id"]);
    assert_eq!(d["status"], "published");
    assert_error(
        &w.author
            .post(&format!("/api/v1/documents/{doc}/submit"), json!({}))
            .await,
        400,
        "no_review_policy",
    );

    assert_error(
        &w.reader
            .put(
                &format!("/api/v1/documents/{doc}/review-by"),
                json!({"date": "2020-01-01"}),
            )
            .await,
        403,
        "forbidden",
    );
    let bad = w
        .author
        .put(
            &format!("/api/v1/documents/{doc}/review-by"),
            json!({"date": "2020-13-01"}),
        )
        .await;
    assert_error(&bad, 400, "invalid_input");
    let set = ok(w
        .author
        .put(
            &format!("/api/v1/documents/{doc}/review-by"),
            json!({"date": "2020-01-01"}),
        )
        .await);
    assert_eq!(set["review_by"], "2020-01-01");
    let fresh = w
        .author
        .new_doc(&w.space, None, "新手册", "内容新。\n")
        .await;
    ok(w.author
        .put(
            &format!("/api/v1/documents/{}/review-by", s(&fresh["id"])),
            json!({"date": "2999-01-01"}),
        )
        .await);

    for who in [&w.head, &w.km, &w.admin] {
        let st = ok(who.get("/api/v1/reviews/stale").await);
        let ids: Vec<String> = st["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| s(&x["id"]))
            .collect();
        assert_eq!(ids, [doc.as_str()]);
        assert_eq!(st["items"][0]["review_by"], "2020-01-01");
    }
    assert_eq!(ok(w.reader.get("/api/v1/reviews/stale").await)["total"], 0);
    assert_eq!(ok(w.author.get("/api/v1/reviews/stale").await)["total"], 0);

    // Clearing the date takes it off the list.
    ok(w.author
        .put(
            &format!("/api/v1/documents/{doc}/review-by"),
            json!({"date": null}),
        )
        .await);
    assert_eq!(ok(w.km.get("/api/v1/reviews/stale").await)["total"], 0);
    let d = ok(w.author.get(&format!("/api/v1/documents/{doc}")).await);
    assert_eq!(d["review_by"], Value::Null);
    let _ = (&w.author_id, &w.head_id);
}

#[tokio::test]
async fn a_reader_named_in_a_stage_sees_and_decides_it() {
    let w = world().await;
    // The reader (role reader in the space) is named by id in one category, and by a group of
    // readers in another.
    let named = w.admin.new_category(&w.space, "读者审阅", None).await;
    ok(w.admin
        .put(
            &format!("/api/v1/categories/{named}/review-policy"),
            json!({"stages": [{"name": "读者复核", "reviewers": [format!("user:{}", w.reader_id)], "quorum": "any"}]}),
        )
        .await);
    let d = w
        .author
        .new_doc(&w.space, Some(&named), "值班表", "周一张三。\n")
        .await;
    let doc = s(&d["id"]);
    let r = w.submit(&doc).await;
    // In the reader's queue, with the diff, decidable; and announced to them.
    let q = queue(&w.reader).await;
    assert_eq!(q.len(), 1, "{q:?}");
    assert_eq!(q[0]["id"], r.as_str());
    let rv = ok(w.reader.get(&format!("/api/v1/reviews/{r}")).await);
    assert_eq!(rv["can_decide"], true, "{rv}");
    assert!(rv["diff"].to_string().contains("周一张三"), "{rv}");
    let n = inbox(&w.reader).await;
    assert!(
        n["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["kind"] == "review_requested" && x["review_id"] == r.as_str()),
        "{n}"
    );
    // A reviewer of the space who is not named still may not decide it.
    assert_error(
        &w.km
            .post(&format!("/api/v1/reviews/{r}/approve"), json!({}))
            .await,
        404,
        "not_found",
    );
    let rv = ok(w
        .reader
        .post(
            &format!("/api/v1/reviews/{r}/approve"),
            json!({"comment": "无误"}),
        )
        .await);
    assert_eq!(rv["state"], "approved", "{rv}");
    let d = ok(w.reader.get(&format!("/api/v1/documents/{doc}")).await);
    assert_eq!(
        (d["version"].clone(), d["status"].clone()),
        (json!(1), json!("published"))
    );
    assert!(queue(&w.reader).await.is_empty());

    // Named through a department of readers.
    let g = ok(w
        .admin
        .post(
            "/api/v1/groups",
            json!({"name": "校对组", "members": [w.reader_id]}),
        )
        .await);
    let proof = s(&g["id"]);
    let by_group = w.admin.new_category(&w.space, "校对", None).await;
    ok(w.admin
        .put(
            &format!("/api/v1/categories/{by_group}/grants"),
            json!({"inherit": true, "grants": [{"principal": format!("group:{proof}"), "role": "reader"}]}),
        )
        .await);
    ok(w.admin
        .put(
            &format!("/api/v1/categories/{by_group}/review-policy"),
            json!({"stages": [{"name": "校对", "reviewers": [format!("group:{proof}")], "quorum": "all"}]}),
        )
        .await);
    let d = w
        .author
        .new_doc(&w.space, Some(&by_group), "校对稿", "待校对。\n")
        .await;
    let r = w.submit(&s(&d["id"])).await;
    assert_eq!(queue(&w.reader).await.len(), 1);
    let rv = ok(w
        .reader
        .post(&format!("/api/v1/reviews/{r}/approve"), json!({}))
        .await);
    assert_eq!(rv["state"], "approved", "{rv}");

    // `everyone` still means those holding the reviewer role: a reader is not among them.
    let open = w.admin.new_category(&w.space, "全员审", None).await;
    ok(w.admin
        .put(
            &format!("/api/v1/categories/{open}/review-policy"),
            json!({"stages": [{"name": "任一审核人", "reviewers": ["everyone"], "quorum": "any"}]}),
        )
        .await);
    let d = w
        .author
        .new_doc(&w.space, Some(&open), "全员稿", "全员。\n")
        .await;
    let r = w.submit(&s(&d["id"])).await;
    assert!(queue(&w.reader).await.is_empty());
    assert_error(
        &w.reader
            .post(&format!("/api/v1/reviews/{r}/approve"), json!({}))
            .await,
        404,
        "not_found",
    );
    assert_eq!(queue(&w.km).await.len(), 1);
}

#[tokio::test]
async fn a_policy_naming_someone_who_cannot_read_there_is_refused() {
    let w = world().await;
    let (guest_id, _) = w
        .srv
        .user(
            &w.admin,
            "guest",
            json!({"kind": "external", "expires_at": (chrono::Utc::now() + chrono::Duration::days(30)).to_rfc3339()}),
        )
        .await;
    let (outsider_id, _) = w
        .srv
        .user(&w.admin, "outsider", json!({"display_name": "局外人"}))
        .await;
    let g = ok(w
        .admin
        .post(
            "/api/v1/groups",
            json!({"name": "外部门", "members": [outsider_id]}),
        )
        .await);
    let other_group = s(&g["id"]);
    // A closed category only the author may read.
    let closed = w.admin.new_category(&w.space, "闭门", None).await;
    ok(w.admin
        .put(
            &format!("/api/v1/categories/{closed}/grants"),
            json!({"inherit": false, "grants": [{"principal": format!("user:{}", w.author_id), "role": "editor"}]}),
        )
        .await);
    let stage = |name: &str, who: String| {
        json!({"stages": [
            {"name": "初审", "reviewers": ["everyone"], "quorum": "any"},
            {"name": name, "reviewers": [who], "quorum": "any"},
        ]})
    };
    let cases = [
        (closed.clone(), format!("user:{}", w.km_id), "老张"),
        (closed.clone(), format!("group:{}", w.group), "部门负责人"),
        (w.cat.clone(), format!("user:{outsider_id}"), "局外人"),
        (w.cat.clone(), format!("group:{other_group}"), "外部门"),
        (w.cat.clone(), format!("user:{guest_id}"), "guest"),
    ];
    for (cat, principal, name) in &cases {
        let url = format!("/api/v1/categories/{cat}/review-policy");
        let r = w.admin.put(&url, stage("终审", principal.clone())).await;
        assert_error(&r, 400, "invalid_input");
        assert_eq!(r.1["error"]["field"], "stages", "{}", r.1);
        let msg = r.1["error"]["message"].as_str().unwrap();
        for part in [principal.as_str(), *name, "stage 2", "终审"] {
            assert!(msg.contains(part), "{msg:?} does not name {part:?}");
        }
    }
    // Nothing was stored: the closed category still has no policy, 人事制度 keeps its own.
    let c = ok(w.admin.get(&format!("/api/v1/categories/{closed}")).await);
    assert_eq!(c["review_policy"], Value::Null, "{c}");
    let c = ok(w.admin.get(&format!("/api/v1/categories/{}", w.cat)).await);
    assert_eq!(c["review_policy"]["stages"][0]["name"], "部门负责人", "{c}");
    // The space policy too: the outsider cannot read the space.
    let r = w
        .admin
        .put(
            &format!("/api/v1/spaces/{}/review-policy", w.space),
            stage("终审", format!("user:{outsider_id}")),
        )
        .await;
    assert_error(&r, 400, "invalid_input");
    assert!(
        r.1["error"]["message"]
            .as_str()
            .unwrap()
            .contains(&outsider_id),
        "{}",
        r.1
    );
    // Those who can read there are accepted.
    ok(w.admin
        .put(
            &format!("/api/v1/categories/{closed}/review-policy"),
            stage("终审", "everyone".into()),
        )
        .await);
    ok(w.admin
        .put(
            &format!("/api/v1/spaces/{}/review-policy", w.space),
            stage("终审", format!("user:{}", w.reader_id)),
        )
        .await);
}

#[tokio::test]
async fn stale_shows_a_named_reader_only_what_they_may_read() {
    let w = world().await;
    let cat = w.admin.new_category(&w.space, "值班制度", None).await;
    // Published directly (no policy yet), due for re-review long ago.
    let d = w
        .author
        .new_doc(&w.space, Some(&cat), "值班制度旧版", "每周轮换。\n")
        .await;
    assert_eq!(d["status"], "published", "{d}");
    let doc = s(&d["id"]);
    ok(w.author
        .put(
            &format!("/api/v1/documents/{doc}/review-by"),
            json!({"date": "2020-01-01"}),
        )
        .await);
    // Now the reader is named as its reviewer, and the author drafts a new title.
    ok(w.admin
        .put(
            &format!("/api/v1/categories/{cat}/review-policy"),
            json!({"stages": [{"name": "复核", "reviewers": [format!("user:{}", w.reader_id)], "quorum": "any"}]}),
        )
        .await);
    let v2 = w
        .save(&doc, "值班制度草稿DRAFTTITLE", "每天轮换。\n", 1)
        .await;
    assert_eq!(v2["status"], "draft", "{v2}");
    // The reader sees the published version, as everywhere else.
    let seen = ok(w.reader.get(&format!("/api/v1/documents/{doc}")).await);
    assert_eq!(seen["title"], "值班制度旧版");
    let st = ok(w.reader.get("/api/v1/reviews/stale").await);
    assert_eq!(st["total"], 1, "{st}");
    let item = &st["items"][0];
    assert_eq!(item["id"], doc.as_str());
    assert_eq!(
        (item["title"].clone(), item["version"].clone()),
        (json!("值班制度旧版"), json!(1)),
        "{item}"
    );
    assert!(!st.to_string().contains("DRAFTTITLE"), "{st}");
    // A reviewer of the space, who may edit it, sees the head.
    let st = ok(w.km.get("/api/v1/reviews/stale").await);
    assert_eq!(st["items"][0]["title"], "值班制度草稿DRAFTTITLE", "{st}");
    assert_eq!(st["items"][0]["version"], 2, "{st}");
}
