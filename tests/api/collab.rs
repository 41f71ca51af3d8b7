//! Working together over HTTP: two editors changing different paragraphs both keep their changes
//! (`merge: true`), overlapping ones get 409 with the conflicting parts and nothing is written;
//! comments in threads with @mentions that notify only readers and reveal nothing to others; a
//! reader who may not see the document gets 404 for its comments; watchers get one grouped
//! notice for several publishes; who else is editing.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{Client, Server, assert_error, ok, s};

/// A space everyone reads, editors 张伟 and 李娜, reader bob, and a restricted category only the
/// editors see.
struct World {
    _srv: Server,
    admin: Client,
    space: String,
    zhang: Client,
    li: Client,
    bob_id: String,
    bob: Client,
    closed: String,
}

async fn world() -> World {
    let srv = Server::start().await;
    let admin = srv.admin().await;
    let (zhang_id, zhang) = srv
        .user(&admin, "zhangwei", json!({"display_name": "张伟"}))
        .await;
    let (li_id, li) = srv
        .user(&admin, "lina", json!({"display_name": "李娜"}))
        .await;
    let (bob_id, bob) = srv
        .user(&admin, "bob", json!({"display_name": "鲍勃"}))
        .await;
    let space = admin.new_space("协作空间").await;
    ok(admin
        .put(
            &format!("/api/v1/spaces/{space}/grants"),
            json!([
                {"principal": "everyone", "role": "reader"},
                {"principal": format!("user:{zhang_id}"), "role": "editor"},
                {"principal": format!("user:{li_id}"), "role": "editor"},
            ]),
        )
        .await);
    let closed = admin.new_category(&space, "内部", None).await;
    ok(admin
        .put(
            &format!("/api/v1/categories/{closed}/grants"),
            json!({"inherit": false, "grants": [
                {"principal": format!("user:{zhang_id}"), "role": "editor"},
                {"principal": format!("user:{li_id}"), "role": "editor"},
            ]}),
        )
        .await);
    World {
        _srv: srv,
        admin,
        space,
        zhang,
        li,
        bob_id,
        bob,
        closed,
    }
}

const BASE: &str = "# 发布流程\n\n第一段：提交申请。\n\n第二段：主管审批。\n\n第三段：上线。\n";

async fn save(c: &Client, id: &str, body: &str, base: u64, merge: bool) -> (StatusCode, Value) {
    c.put(
        &format!("/api/v1/documents/{id}"),
        json!({"title": "发布流程", "body": body, "tags": [], "base_version": base, "merge": merge}),
    )
    .await
}

async fn inbox(c: &Client) -> Vec<Value> {
    ok(c.get("/api/v1/notifications?limit=100").await)["items"]
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn two_editors_changing_different_paragraphs_both_keep_their_changes() {
    let w = world().await;
    let d = w.zhang.new_doc(&w.space, None, "发布流程", BASE).await;
    let id = s(&d["id"]);
    // Both open version 1; 张伟 saves first.
    let zhang_body = BASE.replace("第一段：提交申请。", "第一段：在 OA 提交申请。");
    let r = ok(save(&w.zhang, &id, &zhang_body, 1, false).await);
    assert_eq!(r["version"], 2);
    // 李娜's stale save without merge is the old 409, with no parts.
    let li_body = BASE.replace("第三段：上线。", "第三段：周四晚上线。");
    let r = save(&w.li, &id, &li_body, 1, false).await;
    assert_error(&r, 409, "edit_conflict");
    assert_eq!(r.1["error"]["current_version"], 2, "{}", r.1);
    assert!(r.1["error"].get("parts").is_none(), "{}", r.1);
    // With merge, both changes stay, as version 3 by 李娜.
    let r = ok(save(&w.li, &id, &li_body, 1, true).await);
    assert_eq!(r["merged"], true, "{r}");
    assert_eq!(r["version"], 3, "{r}");
    let body = s(&r["body"]);
    assert!(body.contains("在 OA 提交申请"), "{body}");
    assert!(body.contains("周四晚上线"), "{body}");
    let doc = ok(w.zhang.get(&format!("/api/v1/documents/{id}")).await);
    assert_eq!(doc["body"], body);
    // The history shows both authors.
    let h = ok(w
        .zhang
        .get(&format!("/api/v1/documents/{id}/versions"))
        .await);
    let items = h
        .as_array()
        .or_else(|| h["items"].as_array())
        .unwrap()
        .clone();
    let authors: Vec<String> = items.iter().map(|v| s(&v["author"])).collect();
    assert_eq!(authors, vec!["lina", "zhangwei", "zhangwei"], "{h}");
    assert_eq!(items.len(), 3, "{h}");
    assert!(s(&items[0]["message"]).contains("合并"), "{h}");
    // A normal save answer does not carry `merged`.
    let r = ok(save(&w.li, &id, &format!("{body}\n补充。\n"), 3, true).await);
    assert!(r.get("merged").is_none(), "{r}");
}

#[tokio::test]
async fn overlapping_edits_answer_the_conflicting_parts_and_write_nothing() {
    let w = world().await;
    let id = s(&w.zhang.new_doc(&w.space, None, "发布流程", BASE).await["id"]);
    ok(save(
        &w.zhang,
        &id,
        &BASE.replace("主管审批", "部门主管审批"),
        1,
        false,
    )
    .await);
    let r = save(&w.li, &id, &BASE.replace("主管审批", "总监审批"), 1, true).await;
    assert_error(&r, 409, "edit_conflict");
    let e = &r.1["error"];
    assert_eq!(e["current_version"], 2, "{e}");
    assert_eq!(e["base_version"], 1, "{e}");
    assert_eq!(e["conflicts"], 1, "{e}");
    assert_eq!(e["current"]["author_name"], "张伟", "{e}");
    assert!(e["current"]["updated_at"].is_string(), "{e}");
    let parts = e["parts"].as_array().unwrap();
    let conflict = parts.iter().find(|p| p["kind"] == "conflict").unwrap();
    assert_eq!(conflict["theirs"], "第二段：部门主管审批。\n", "{e}");
    assert_eq!(conflict["mine"], "第二段：总监审批。\n", "{e}");
    assert_eq!(conflict["base"], "第二段：主管审批。\n", "{e}");
    // The clean parts around it are the unchanged text.
    let text: String = parts
        .iter()
        .map(|p| {
            if p["kind"] == "clean" {
                s(&p["text"])
            } else {
                s(&p["theirs"])
            }
        })
        .collect();
    assert_eq!(text, BASE.replace("主管审批", "部门主管审批"));
    // Nothing was written.
    let doc = ok(w.zhang.get(&format!("/api/v1/documents/{id}")).await);
    assert_eq!(doc["version"], 2);
    assert!(s(&doc["body"]).contains("部门主管审批"));
    // Titles changed differently are a conflict of the field.
    let r = w
        .li
        .put(
            &format!("/api/v1/documents/{id}"),
            json!({"title": "上线流程", "body": BASE, "tags": [], "base_version": 1, "merge": true}),
        )
        .await;
    // Only 李娜 changed the title and the body is the base: merges cleanly, keeps 张伟's body.
    let r = ok(r);
    assert_eq!(r["title"], "上线流程");
    assert!(s(&r["body"]).contains("部门主管审批"), "{r}");
    let r = w
        .zhang
        .put(
            &format!("/api/v1/documents/{id}"),
            json!({"title": "审批流程", "body": BASE, "tags": [], "base_version": 2, "merge": true}),
        )
        .await;
    assert_error(&r, 409, "edit_conflict");
    assert_eq!(r.1["error"]["fields"][0]["field"], "title", "{}", r.1);
    assert_eq!(r.1["error"]["fields"][0]["theirs"], "上线流程", "{}", r.1);
}

#[tokio::test]
async fn a_mention_notifies_a_reader_once_and_nobody_who_cannot_read() {
    let w = world().await;
    let open = s(&w
        .zhang
        .new_doc(&w.space, None, "值班表", "本周值班。\n")
        .await["id"]);
    let hidden = s(&w
        .zhang
        .new_doc(&w.space, Some(&w.closed), "内部薪酬调整", "机密。\n")
        .await["id"]);
    // bob reads the open document: mentioned, he is told, once, with a link.
    let c = ok(w
        .zhang
        .post(
            &format!("/api/v1/documents/{open}/comments"),
            json!({"body": "@bob 请确认周六的班，@bob", "quote": "本周值班"}),
        )
        .await);
    assert_eq!(c["author_name"], "张伟");
    assert!(s(&c["html"]).contains("<p>"), "{c}");
    assert_eq!(c["quote"], "本周值班");
    let notes = inbox(&w.bob).await;
    let mentions: Vec<&Value> = notes.iter().filter(|n| n["kind"] == "mentioned").collect();
    assert_eq!(mentions.len(), 1, "{notes:?}");
    assert!(s(&mentions[0]["text"]).contains("值班表"), "{notes:?}");
    assert!(s(&mentions[0]["link"]).contains(&open), "{notes:?}");
    // Editing the comment does not tell him again.
    let cid = s(&c["id"]);
    ok(w.zhang
        .patch(
            &format!("/api/v1/comments/{cid}"),
            json!({"body": "@bob 请确认周六的班（已改）"}),
        )
        .await);
    assert_eq!(
        inbox(&w.bob)
            .await
            .iter()
            .filter(|n| n["kind"] == "mentioned")
            .count(),
        1
    );
    // On the hidden document, mentioning bob notifies nobody and reveals nothing.
    let before = inbox(&w.bob).await.len();
    ok(w.zhang
        .post(
            &format!("/api/v1/documents/{hidden}/comments"),
            json!({"body": "@bob 你看不到这篇"}),
        )
        .await);
    let after = inbox(&w.bob).await;
    assert_eq!(after.len(), before, "{after:?}");
    assert!(
        !after.iter().any(|n| s(&n["text"]).contains("薪酬")),
        "{after:?}"
    );
    // bob gets 404 for the hidden document's comments, as for the document; and the same for a
    // comment id on it.
    assert_error(
        &w.bob
            .get(&format!("/api/v1/documents/{hidden}/comments"))
            .await,
        404,
        "not_found",
    );
    let hidden_comments = ok(w
        .li
        .get(&format!("/api/v1/documents/{hidden}/comments"))
        .await);
    let hid = s(&hidden_comments["items"][0]["id"]);
    assert_error(
        &w.bob
            .patch(
                &format!("/api/v1/comments/{hid}"),
                json!({"resolved": true}),
            )
            .await,
        404,
        "not_found",
    );
    assert_error(
        &w.bob.delete(&format!("/api/v1/comments/{hid}")).await,
        404,
        "not_found",
    );
    // The picker lists bob for the open document but not for the hidden one.
    let p = ok(w
        .zhang
        .get(&format!("/api/v1/documents/{open}/mentionable?q=bo"))
        .await);
    assert_eq!(p["items"][0]["username"], "bob", "{p}");
    let p = ok(w
        .zhang
        .get(&format!("/api/v1/documents/{hidden}/mentionable?q=bo"))
        .await);
    assert_eq!(p["items"].as_array().unwrap().len(), 0, "{p}");
    // Pinyin initials find 李娜.
    let p = ok(w
        .zhang
        .get(&format!("/api/v1/documents/{open}/mentionable?q=ln"))
        .await);
    assert_eq!(p["items"][0]["display_name"], "李娜", "{p}");
}

#[tokio::test]
async fn threads_replies_resolving_and_who_may_change_what() {
    let w = world().await;
    let id = s(&w.zhang.new_doc(&w.space, None, "FAQ", "问答。\n").await["id"]);
    let root = ok(w
        .bob
        .post(
            &format!("/api/v1/documents/{id}/comments"),
            json!({"body": "这里写错了？"}),
        )
        .await);
    let root_id = s(&root["id"]);
    let reply = ok(w
        .li
        .post(
            &format!("/api/v1/documents/{id}/comments"),
            json!({"body": "已改，谢谢", "parent_id": root_id}),
        )
        .await);
    // A reply to a reply joins the thread.
    let reply2 = ok(w
        .bob
        .post(
            &format!("/api/v1/documents/{id}/comments"),
            json!({"body": "好的", "parent_id": reply["id"]}),
        )
        .await);
    assert_eq!(reply2["parent_id"], root_id);
    // bob may not edit 李娜's reply, nor delete it.
    let rid = s(&reply["id"]);
    assert_error(
        &w.bob
            .patch(&format!("/api/v1/comments/{rid}"), json!({"body": "改掉"}))
            .await,
        403,
        "forbidden",
    );
    assert_error(
        &w.bob.delete(&format!("/api/v1/comments/{rid}")).await,
        403,
        "forbidden",
    );
    // An editor resolves the thread.
    let r = ok(w
        .zhang
        .patch(
            &format!("/api/v1/comments/{root_id}"),
            json!({"resolved": true}),
        )
        .await);
    assert_eq!(r["resolved"], true);
    assert_eq!(r["resolved_by"], "张伟");
    // Script in a comment is not rendered.
    let x = ok(w
        .bob
        .post(
            &format!("/api/v1/documents/{id}/comments"),
            json!({"body": "<script>alert(1)</script><img src=x onerror=alert(1)> 看看"}),
        )
        .await);
    assert!(!s(&x["html"]).contains("<script"), "{x}");
    assert!(!s(&x["html"]).contains("onerror"), "{x}");
    // Empty comments are refused with a stable code.
    let r = w
        .bob
        .post(
            &format!("/api/v1/documents/{id}/comments"),
            json!({"body": "   "}),
        )
        .await;
    assert_error(&r, 400, "invalid_input");
    assert_eq!(r.1["error"]["field"], "body");
    // The author deletes the thread's first comment: it stays as deleted while replies remain.
    ok(w.bob.delete(&format!("/api/v1/comments/{root_id}")).await);
    let list = ok(w.bob.get(&format!("/api/v1/documents/{id}/comments")).await);
    let first = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == root_id)
        .unwrap()
        .clone();
    assert_eq!(first["deleted"], true);
    assert_eq!(first["body"], "");
    assert_eq!(list["count"], 3, "{list}");
    // Trashing the document hides its comments.
    ok(w.zhang.delete(&format!("/api/v1/documents/{id}")).await);
    assert_error(
        &w.bob.get(&format!("/api/v1/documents/{id}/comments")).await,
        404,
        "not_found",
    );
    // A space with comments turned off refuses new ones (403) but still lists them.
    let id2 = s(&w.zhang.new_doc(&w.space, None, "公告", "通知。\n").await["id"]);
    ok(w.admin
        .patch(
            &format!("/api/v1/spaces/{}", w.space),
            json!({"comments": false}),
        )
        .await);
    let r = w
        .bob
        .post(
            &format!("/api/v1/documents/{id2}/comments"),
            json!({"body": "评论"}),
        )
        .await;
    assert_error(&r, 403, "forbidden");
    let list = ok(w
        .bob
        .get(&format!("/api/v1/documents/{id2}/comments"))
        .await);
    assert_eq!(list["can_comment"], false);
}

#[tokio::test]
async fn a_watcher_gets_one_grouped_notice_for_several_publishes_and_others_nothing() {
    let w = world().await;
    let id = s(&w.zhang.new_doc(&w.space, None, "周报模板", "v1\n").await["id"]);
    let hidden = s(&w
        .zhang
        .new_doc(&w.space, Some(&w.closed), "内部计划", "x\n")
        .await["id"]);
    // bob watches the document; he may not watch the hidden one (404).
    let r = ok(w
        .bob
        .put(&format!("/api/v1/documents/{id}/watch"), json!({}))
        .await);
    assert_eq!(r["watching"], true);
    assert_error(
        &w.bob
            .put(&format!("/api/v1/documents/{hidden}/watch"), json!({}))
            .await,
        404,
        "not_found",
    );
    let doc = ok(w.bob.get(&format!("/api/v1/documents/{id}")).await);
    assert_eq!(doc["watching"], true);
    // One publish: one notice, with the message and a link to the diff.
    let r = w
        .zhang
        .put(
            &format!("/api/v1/documents/{id}"),
            json!({"title": "周报模板", "body": "v2\n", "tags": [], "base_version": 1, "message": "加了本周重点"}),
        )
        .await;
    ok(r);
    let notes: Vec<Value> = inbox(&w.bob)
        .await
        .into_iter()
        .filter(|n| n["kind"] == "published")
        .collect();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(s(&notes[0]["text"]).contains("加了本周重点"), "{notes:?}");
    assert!(s(&notes[0]["link"]).contains("history"), "{notes:?}");
    // Three more quick publishes: still one notice, counting four.
    for v in 2..5 {
        ok(save(&w.zhang, &id, &format!("v{}\n", v + 1), v, false).await);
    }
    let notes: Vec<Value> = inbox(&w.bob)
        .await
        .into_iter()
        .filter(|n| n["kind"] == "published")
        .collect();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert_eq!(notes[0]["count"], 4, "{notes:?}");
    // The author, who watches automatically, is not told of his own saves; 李娜 watches
    // nothing and hears nothing.
    assert!(
        inbox(&w.zhang)
            .await
            .iter()
            .all(|n| n["kind"] != "published")
    );
    assert!(inbox(&w.li).await.iter().all(|n| n["kind"] != "published"));
    // A comment by bob reaches the author, who watches as author.
    ok(w.bob
        .post(
            &format!("/api/v1/documents/{id}/comments"),
            json!({"body": "收到"}),
        )
        .await);
    let z = inbox(&w.zhang).await;
    assert!(
        z.iter()
            .any(|n| n["kind"] == "commented" && s(&n["text"]).contains("鲍勃")),
        "{z:?}"
    );
    // Unwatching stops the notices.
    ok(w.bob.delete(&format!("/api/v1/documents/{id}/watch")).await);
    ok(w.bob.post("/api/v1/notifications/read", json!({})).await);
    ok(save(&w.zhang, &id, "v9\n", 5, false).await);
    let notes: Vec<Value> = inbox(&w.bob)
        .await
        .into_iter()
        .filter(|n| n["kind"] == "published" && n["read"] == false)
        .collect();
    assert!(notes.is_empty(), "{notes:?}");
    // A space watch covers a new document there, but not one in a category bob cannot read.
    ok(w.bob
        .put(&format!("/api/v1/spaces/{}/watch", w.space), json!({}))
        .await);
    let _ = w.bob_id.clone();
    w.li.new_doc(&w.space, Some(&w.closed), "保密新品", "x\n")
        .await;
    w.li.new_doc(&w.space, None, "公开新品", "x\n").await;
    let fresh: Vec<Value> = inbox(&w.bob)
        .await
        .into_iter()
        .filter(|n| n["kind"] == "published" && n["read"] == false)
        .collect();
    assert_eq!(fresh.len(), 1, "{fresh:?}");
    assert!(s(&fresh[0]["text"]).contains("公开新品"), "{fresh:?}");
}

#[tokio::test]
async fn who_else_is_editing_is_shown_to_editors_and_on_the_page() {
    let w = world().await;
    let id = s(&w.zhang.new_doc(&w.space, None, "草稿", "x\n").await["id"]);
    let url = format!("/api/v1/documents/{id}/editing");
    let r = ok(w.zhang.post(&url, json!({})).await);
    assert_eq!(r["editing"].as_array().unwrap().len(), 0, "{r}");
    let r = ok(w.li.post(&url, json!({})).await);
    assert_eq!(r["editing"][0]["display_name"], "张伟", "{r}");
    assert_eq!(r["editing"][0]["user"], "zhangwei", "{r}");
    // The document page shows it to a reader too; a reader may not send heartbeats.
    let d = ok(w.bob.get(&format!("/api/v1/documents/{id}")).await);
    let names: Vec<String> = d["editing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| s(&e["display_name"]))
        .collect();
    assert_eq!(names, vec!["张伟", "李娜"], "{d}");
    assert_error(&w.bob.post(&url, json!({})).await, 403, "forbidden");
    // Closing the editor removes the entry.
    ok(w.zhang.delete(&url).await);
    let r = ok(w.li.post(&url, json!({})).await);
    assert_eq!(r["editing"].as_array().unwrap().len(), 0, "{r}");
    // A hidden document answers 404.
    let hidden = s(&w
        .zhang
        .new_doc(&w.space, Some(&w.closed), "内部", "x\n")
        .await["id"]);
    assert_error(
        &w.bob
            .post(&format!("/api/v1/documents/{hidden}/editing"), json!({}))
            .await,
        404,
        "not_found",
    );
    let _ = &w.admin;
}

#[tokio::test]
async fn comments_are_found_by_search_only_by_those_who_may_read_the_document() {
    let w = world().await;
    let open = s(&w
        .zhang
        .new_doc(&w.space, None, "会议室预订", "会议室在三楼。\n")
        .await["id"]);
    let hidden = s(&w
        .zhang
        .new_doc(&w.space, Some(&w.closed), "内部评审", "评审安排。\n")
        .await["id"]);
    ok(w.bob
        .post(
            &format!("/api/v1/documents/{open}/comments"),
            json!({"body": "投影仪坏了，请找行政部报修"}),
        )
        .await);
    let c = ok(w
        .li
        .post(
            &format!("/api/v1/documents/{hidden}/comments"),
            json!({"body": "投影仪预算需要财务审批"}),
        )
        .await);
    // bob finds the open document by its comment, in the comments section; not the hidden one.
    let r = w.bob.search_until("投影仪", &open, true).await;
    let ids: Vec<String> = r["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| s(&h["id"]))
        .collect();
    assert!(!ids.contains(&hidden), "{r}");
    assert!(!r.to_string().contains("财务审批"), "{r}");
    let hit = r["hits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["id"] == open)
        .unwrap()
        .clone();
    assert_eq!(hit["section"]["anchor"], "comments", "{hit}");
    // 李娜 may read the hidden one: she finds it.
    w.li.search_until("财务审批", &hidden, true).await;
    // A deleted comment is no longer found.
    ok(w.li
        .delete(&format!("/api/v1/comments/{}", s(&c["id"])))
        .await);
    w.li.search_until("财务审批", &hidden, false).await;
}
