//! Record types over HTTP: the five forms of `schemas/`, with their Chinese names and labels.

use serde_json::{Value, json};

use crate::common::{Server, assert_error, ok, s};

#[tokio::test]
async fn every_signed_in_account_reads_the_five_record_types() {
    let srv = Server::start().await;
    let admin = srv.admin().await;
    let (_, reader) = srv
        .user(&admin, "reader", json!({"display_name": "读者"}))
        .await;
    let types = ok(reader.get("/api/v1/record-types").await);
    let list = types.as_array().unwrap();
    let names: Vec<(String, String)> = list
        .iter()
        .map(|t| (s(&t["type"]), s(&t["name"])))
        .collect();
    assert_eq!(
        names,
        vec![
            ("cross-department-sync".into(), "跨部门协作信息同步".into()),
            ("feedback".into(), "员工反馈处理记录".into()),
            ("meeting-minutes".into(), "会议纪要".into()),
            ("progress-tracker".into(), "项目进度跟踪".into()),
            ("requirement".into(), "需求登记".into()),
        ]
    );
    let tracker = list
        .iter()
        .find(|t| t["type"] == "progress-tracker")
        .unwrap();
    let status = &tracker["schema"]["properties"]["tasks"]["items"]["properties"]["status"];
    assert_eq!(status["x-enum-titles"]["in_progress"], "进行中", "{status}");
    assert_error(
        &srv.client().get("/api/v1/record-types").await,
        401,
        "unauthenticated",
    );
}

// ---- records, action items, templates (issue 12) ----------------------------------------------

/// A project space 项目甲 with editor 王芳 (wangfang) and reader 李娜 (lina), its restricted
/// category 内部 only 王芳 reads, a second space 项目乙 nobody else reads, and an external guest
/// who may submit requirements in 项目甲 only.
struct Project {
    srv: Server,
    admin: crate::common::Client,
    space: String,
    closed: String,
    other: String,
    wang: crate::common::Client,
    li: crate::common::Client,
    guest: crate::common::Client,
}

async fn project() -> Project {
    let srv = Server::start().await;
    let admin = srv.admin().await;
    let (wang_id, wang) = srv
        .user(&admin, "wangfang", json!({"display_name": "王芳"}))
        .await;
    let (li_id, li) = srv
        .user(&admin, "lina", json!({"display_name": "李娜"}))
        .await;
    let expires = (chrono::Utc::now() + chrono::Duration::days(30)).to_rfc3339();
    let (guest_id, guest) = srv
        .user(
            &admin,
            "client-zhao",
            json!({"display_name": "赵经理", "kind": "external", "expires_at": expires}),
        )
        .await;
    let (_, space) = admin
        .post(
            "/api/v1/spaces",
            json!({"name": "项目甲", "kind": "project"}),
        )
        .await;
    let space = s(&space["id"]);
    ok(admin
        .put(
            &format!("/api/v1/spaces/{space}/grants"),
            json!([
                {"principal": format!("user:{wang_id}"), "role": "editor"},
                {"principal": format!("user:{li_id}"), "role": "reader"},
                {"principal": format!("user:{guest_id}"), "role": "reader", "record_types": ["requirement"]},
            ]),
        )
        .await);
    let closed = admin.new_category(&space, "内部", None).await;
    ok(admin
        .put(
            &format!("/api/v1/categories/{closed}/grants"),
            json!({"inherit": false, "grants": [{"principal": format!("user:{wang_id}"), "role": "editor"}]}),
        )
        .await);
    let other = admin.new_space("项目乙").await;
    Project {
        srv,
        admin,
        space,
        closed,
        other,
        wang,
        li,
        guest,
    }
}

async fn todo(c: &crate::common::Client, query: &str) -> Vec<Value> {
    ok(c.get(&format!("/api/v1/action-items?{query}")).await)["items"]
        .as_array()
        .unwrap()
        .clone()
}

fn texts(items: &[Value]) -> Vec<String> {
    items.iter().map(|i| s(&i["text"])).collect()
}

#[tokio::test]
async fn minutes_from_the_template_give_each_owner_their_action_items() {
    let p = project().await;
    // The template's variables are resolved for the caller.
    let t = ok(p
        .wang
        .get(&format!(
            "/api/v1/templates/builtin-meeting-minutes?space_id={}",
            p.space
        ))
        .await);
    let today = chrono::Utc::now()
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap())
        .format("%Y-%m-%d")
        .to_string();
    assert_eq!(t["fields"]["date"], today, "{t}");
    assert_eq!(t["fields"]["host"], "王芳", "{t}");
    assert_eq!(t["fields"]["title"], format!("项目甲 会议 {today}"), "{t}");
    // Created from the template with two action items for two people.
    let d = ok(p
        .wang
        .post(
            "/api/v1/documents",
            json!({"space_id": p.space, "template_id": "builtin-meeting-minutes", "fields": {
                "attendees": ["wangfang", "lina"],
                "decisions": ["周四上线"],
                "action_items": [
                    {"task": "整理部署文档", "owner": "wangfang", "due": "2026-12-20", "status": "open"},
                    {"task": "通知客户", "owner": "lina", "due": "2026-12-10", "status": "open"}
                ]}}),
        )
        .await);
    let id = s(&d["id"]);
    assert_eq!(d["kind"], "record");
    assert_eq!(d["record_type"], "meeting-minutes");
    assert_eq!(d["record_name"], "会议纪要");
    assert_eq!(d["fields"]["date"], today);
    let body = s(&d["body"]);
    assert!(
        body.contains("整理部署文档") && body.contains("王芳"),
        "{body}"
    );
    assert!(
        !body.contains("hanlin-record"),
        "the fields block is not shown: {body}"
    );
    // Each sees theirs.
    let mine = todo(&p.wang, "").await;
    assert_eq!(texts(&mine), vec!["整理部署文档"]);
    assert_eq!(mine[0]["assignee"], "wangfang");
    assert_eq!(mine[0]["doc_id"], id.as_str());
    assert_eq!(mine[0]["source"], "record");
    let hers = todo(&p.li, "").await;
    assert_eq!(texts(&hers), vec!["通知客户"]);
    assert_eq!(hers[0]["due"], "2026-12-10");
    // 李娜 was told; 王芳 assigned herself and was not.
    let inbox = ok(p.li.get("/api/v1/notifications").await);
    assert!(
        inbox["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["kind"] == "action_assigned" && s(&n["text"]).contains("通知客户")),
        "{inbox}"
    );
    let inbox = ok(p.wang.get("/api/v1/notifications").await);
    assert!(
        !inbox["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["kind"] == "action_assigned"),
        "{inbox}"
    );
    // A task line in a category 李娜 cannot read is not listed for her, even under `all`.
    let hidden = ok(p
        .wang
        .post(
            "/api/v1/documents",
            json!({"space_id": p.space, "category_id": p.closed, "title": "内部计划",
                   "body": "- [ ] 复核合同 @lina 截止:2026-12-05\n- [ ] 预算 @wangfang\n"}),
        )
        .await);
    let all = todo(&p.li, "assignee=all").await;
    assert_eq!(texts(&all), vec!["通知客户", "整理部署文档"], "{all:?}");
    let wang_all = todo(&p.wang, &format!("assignee=all&space_id={}", p.space)).await;
    assert_eq!(wang_all.len(), 4, "{wang_all:?}");
    assert_eq!(
        wang_all[0]["text"], "复核合同",
        "soonest first: {wang_all:?}"
    );
    // Ticking marks it done in a new version (the owner, a reader of the record, may).
    let r = ok(p
        .li
        .patch(
            &format!("/api/v1/action-items/{}", s(&hers[0]["id"])),
            json!({"done": true}),
        )
        .await);
    assert_eq!(r["done"], true, "{r}");
    let d2 = ok(p.wang.get(&format!("/api/v1/documents/{id}")).await);
    assert_eq!(d2["version"], 2);
    assert_eq!(d2["fields"]["action_items"][1]["status"], "done");
    assert_eq!(d2["fields"]["action_items"][0]["status"], "open");
    assert!(todo(&p.li, "").await.is_empty());
    assert_eq!(texts(&todo(&p.li, "status=done").await), vec!["通知客户"]);
    // The diff names the field that changed.
    let diff = ok(p
        .wang
        .get(&format!("/api/v1/documents/{id}/diff?from=1&to=2"))
        .await);
    let fc = diff["field_changes"].as_array().unwrap();
    assert_eq!(fc.len(), 1, "{diff}");
    assert_eq!(fc[0]["path"], "/action_items/1/status");
    assert_eq!(fc[0]["label"], "待办事项 第 2 项 · 状态");
    assert_eq!(
        (s(&fc[0]["before"]), s(&fc[0]["after"])),
        ("待开始".into(), "已完成".into())
    );
    // 李娜 may not tick someone else's item (she only reads), nor see the hidden one.
    let wang_item = s(&mine[0]["id"]);
    assert_error(
        &p.li
            .patch(
                &format!("/api/v1/action-items/{wang_item}"),
                json!({"done": true}),
            )
            .await,
        403,
        "forbidden",
    );
    let hidden_item = wang_all
        .iter()
        .find(|i| i["text"] == "复核合同")
        .map(|i| s(&i["id"]))
        .unwrap();
    assert_error(
        &p.li
            .patch(
                &format!("/api/v1/action-items/{hidden_item}"),
                json!({"done": true}),
            )
            .await,
        404,
        "not_found",
    );
    // A task line ticked by its editor: `[x]` in the new body.
    ok(p.wang
        .patch(
            &format!("/api/v1/action-items/{hidden_item}"),
            json!({"done": true}),
        )
        .await);
    let h = ok(p
        .wang
        .get(&format!("/api/v1/documents/{}", s(&hidden["id"])))
        .await);
    assert!(s(&h["body"]).starts_with("- [x] 复核合同 @lina"), "{h}");
    drop(p.srv);
}

#[tokio::test]
async fn bad_fields_are_refused_with_their_paths_and_nothing_is_stored() {
    let p = project().await;
    let r = p
        .wang
        .post(
            "/api/v1/documents",
            json!({"space_id": p.space, "record_type": "meeting-minutes", "fields": {
                "title": "周会", "date": "下周三", "attendees": ["wangfang"],
                "action_items": [{"task": "x", "owner": "lina", "due": "2026-13-01", "status": "open"},
                                 {"owner": "lina", "status": "open"}]}}),
        )
        .await;
    assert_error(&r, 422, "invalid_record");
    let errors = r.1["error"]["errors"].as_array().unwrap();
    let paths: Vec<String> = errors.iter().map(|e| s(&e["path"])).collect();
    for want in ["/date", "/action_items/0/due", "/action_items/1/task"] {
        assert!(paths.contains(&want.to_owned()), "{want} in {paths:?}");
    }
    let date = errors.iter().find(|e| e["path"] == "/date").unwrap();
    assert!(s(&date["message"]).contains("YYYY-MM-DD"), "{date}");
    let missing = errors
        .iter()
        .find(|e| e["path"] == "/action_items/1/task")
        .unwrap();
    assert_eq!(missing["message"], "必填");
    // A missing required field and an unknown type.
    let r = p
        .wang
        .post(
            "/api/v1/documents",
            json!({"space_id": p.space, "record_type": "requirement", "fields": {"title": "导出"}}),
        )
        .await;
    assert_error(&r, 422, "invalid_record");
    let paths: Vec<String> = r.1["error"]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| s(&e["path"]))
        .collect();
    assert!(paths.contains(&"/requester".to_owned()), "{paths:?}");
    assert_error(
        &p.wang
            .post(
                "/api/v1/documents",
                json!({"space_id": p.space, "record_type": "no-such", "fields": {}}),
            )
            .await,
        422,
        "invalid_input",
    );
    let list = ok(p
        .wang
        .get(&format!("/api/v1/records?space_id={}", p.space))
        .await);
    assert_eq!(list["total"], 0, "{list}");
    // A record is saved with its fields; a document with its body.
    let d = ok(p
        .wang
        .post(
            "/api/v1/documents",
            json!({"space_id": p.space, "record_type": "progress-tracker", "fields": {
                "project": "翰林", "tasks": [{"task": "附件", "owner": "wangfang", "status": "in_progress", "percent": 50}]}}),
        )
        .await);
    let id = s(&d["id"]);
    assert_eq!(d["title"], "翰林 项目进度跟踪");
    // A tracker's task without a due date is a plan, not an action item.
    assert!(
        !texts(&todo(&p.wang, "").await).contains(&"附件".to_owned()),
        "no due date, no item"
    );
    assert_error(
        &p.wang
            .put(
                &format!("/api/v1/documents/{id}"),
                json!({"title": "x", "body": "改写", "base_version": 1}),
            )
            .await,
        422,
        "invalid_input",
    );
    let bad = p
        .wang
        .put(
            &format!("/api/v1/documents/{id}"),
            json!({"fields": {"project": "翰林", "tasks": [{"task": "附件", "owner": "wangfang", "status": "in_progress", "percent": 150}]}, "base_version": 1}),
        )
        .await;
    assert_error(&bad, 422, "invalid_record");
    assert_eq!(bad.1["error"]["errors"][0]["path"], "/tasks/0/percent");
    let now = ok(p.wang.get(&format!("/api/v1/documents/{id}")).await);
    assert_eq!(now["version"], 1);
    assert_eq!(now["fields"]["tasks"][0]["percent"], 50);
    // Saved with new fields: version 2, and two editors changing different fields both stay.
    let mut f = now["fields"].clone();
    f["summary"] = json!("本周进展顺利");
    ok(p.wang
        .put(
            &format!("/api/v1/documents/{id}"),
            json!({"fields": f, "base_version": 1}),
        )
        .await);
    let mut g = now["fields"].clone();
    g["period"] = json!("2026-W49");
    let merged = ok(p
        .admin
        .put(
            &format!("/api/v1/documents/{id}"),
            json!({"fields": g, "base_version": 1, "merge": true}),
        )
        .await);
    assert_eq!(merged["merged"], true, "{merged}");
    assert_eq!(merged["fields"]["summary"], "本周进展顺利");
    assert_eq!(merged["fields"]["period"], "2026-W49");
}

#[tokio::test]
async fn an_external_guest_submits_a_requirement_and_nothing_more() {
    let p = project().await;
    let sp = ok(p.guest.get(&format!("/api/v1/spaces/{}", p.space)).await);
    assert_eq!(sp["can_create"], false, "{sp}");
    // Nowhere to write documents: the browser offers no 新建文档 (the editor has somewhere).
    assert_eq!(ok(p.guest.get("/api/v1/me").await)["can_create"], false);
    assert_eq!(ok(p.li.get("/api/v1/me").await)["can_create"], false);
    assert_eq!(ok(p.wang.get("/api/v1/me").await)["can_create"], true);
    assert_eq!(sp["record_types_allowed"], json!(["requirement"]));
    let doc = p
        .wang
        .new_doc(&p.space, None, "交付计划", "十二月交付。")
        .await;
    let req = ok(p
        .guest
        .post(
            "/api/v1/documents",
            json!({"space_id": p.space, "record_type": "requirement", "fields": {
                "title": "月报导出为 Excel", "party": "external", "requester": "赵经理",
                "description": "希望月报可以导出为 Excel。", "status": "new"}}),
        )
        .await);
    assert_eq!(req["record_type"], "requirement");
    // The team sees it in the list of requirements, filtered by field.
    let list = ok(p
        .wang
        .get(&format!(
            "/api/v1/records?space_id={}&type=requirement&field.party=external",
            p.space
        ))
        .await);
    assert_eq!(list["total"], 1, "{list}");
    assert_eq!(list["items"][0]["fields"]["requester"], "赵经理");
    let none = ok(p
        .wang
        .get(&format!(
            "/api/v1/records?space_id={}&type=requirement&field.party=internal",
            p.space
        ))
        .await);
    assert_eq!(none["total"], 0);
    let paged = ok(p
        .wang
        .get(&format!(
            "/api/v1/records?space_id={}&limit=1&offset=1",
            p.space
        ))
        .await);
    assert_eq!(paged["total"], 1, "{paged}");
    assert!(paged["items"].as_array().unwrap().is_empty(), "{paged}");
    assert_error(
        &p.wang.get("/api/v1/records?limit=9999").await,
        400,
        "invalid_input",
    );
    // Nothing more: no other record type, no document, no edit, no other space.
    assert_error(
        &p.guest
            .post(
                "/api/v1/documents",
                json!({"space_id": p.space, "record_type": "feedback", "fields": {
                    "title": "x", "type": "other", "submitter": "赵", "received": "2026-12-01",
                    "content": "x", "status": "new"}}),
            )
            .await,
        403,
        "forbidden",
    );
    assert_error(
        &p.guest
            .post(
                "/api/v1/documents",
                json!({"space_id": p.space, "title": "我的文档", "body": "x"}),
            )
            .await,
        403,
        "forbidden",
    );
    assert_error(
        &p.guest
            .put(
                &format!("/api/v1/documents/{}", s(&doc["id"])),
                json!({"title": "改", "body": "改", "base_version": 1}),
            )
            .await,
        403,
        "forbidden",
    );
    assert_error(
        &p.guest
            .put(
                &format!("/api/v1/documents/{}", s(&req["id"])),
                json!({"fields": req["fields"], "base_version": 1}),
            )
            .await,
        403,
        "forbidden",
    );
    assert_error(
        &p.guest.get(&format!("/api/v1/spaces/{}", p.other)).await,
        404,
        "not_found",
    );
    assert_error(
        &p.guest
            .post(
                "/api/v1/documents",
                json!({"space_id": p.other, "record_type": "requirement", "fields": {
                    "title": "x", "party": "external", "requester": "赵", "description": "x", "status": "new"}}),
            )
            .await,
        404,
        "not_found",
    );
    assert_error(
        &p.guest
            .get(&format!("/api/v1/people?space_id={}", p.other))
            .await,
        404,
        "not_found",
    );
    // A record grant naming a type that does not exist is refused.
    assert_error(
        &p.admin
            .put(
                &format!("/api/v1/spaces/{}/grants", p.other),
                json!([{"principal": "everyone", "role": "reader", "record_types": ["nope"]}]),
            )
            .await,
        400,
        "invalid_input",
    );
}

#[tokio::test]
async fn records_are_found_by_field_values_and_templates_fill_their_variables() {
    let p = project().await;
    let d = ok(p
        .wang
        .post(
            "/api/v1/documents",
            json!({"space_id": p.space, "record_type": "feedback", "fields": {
                "title": "食堂排队太久", "type": "suggestion", "submitter": "赵强", "received": "2026-11-30",
                "content": "中午排队超过二十分钟。", "department": "行政部", "handler": "wangfang",
                "satisfaction": "dissatisfied", "status": "handling"}}),
        )
        .await);
    let id = s(&d["id"]);
    // By a field's value, by its Chinese label, by the type's name.
    p.wang.search_until("行政部", &id, true).await;
    p.wang.search_until("不满意", &id, true).await;
    p.wang.search_until("员工反馈处理记录", &id, true).await;
    let r = p.wang.search_until("type:record 排队", &id, true).await;
    assert_eq!(r["hits"][0]["id"], id.as_str());
    // Not the JSON block's keys.
    let r = ok(p.wang.get("/api/v1/search?q=satisfaction").await);
    assert!(r["hits"].as_array().unwrap().is_empty(), "{r}");
    // Templates: built-in ones for documents too, a manager's own for the space.
    let list = ok(p
        .wang
        .get(&format!("/api/v1/templates?space_id={}", p.space))
        .await);
    let names: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|t| s(&t["name"]))
        .collect();
    for want in [
        "会议纪要",
        "周报",
        "项目总结",
        "操作手册",
        "故障复盘",
        "项目进度跟踪表",
    ] {
        assert!(names.contains(&want.to_owned()), "{want} in {names:?}");
    }
    assert_error(
        &p.wang
            .post(
                "/api/v1/templates",
                json!({"name": "日报", "space_id": p.space, "body": "x"}),
            )
            .await,
        403,
        "forbidden",
    );
    let t = ok(p
        .admin
        .post(
            "/api/v1/templates",
            json!({"name": "项目日报", "space_id": p.space, "title": "{space} 日报 {date}",
                   "body": "作者：{author}\n\n部门：{department}\n\n周：{week}\n"}),
        )
        .await);
    let list = ok(p
        .li
        .get(&format!("/api/v1/templates?space_id={}", p.space))
        .await);
    assert_eq!(list[0]["name"], "项目日报", "the space's own first: {list}");
    let other = ok(p
        .admin
        .get(&format!("/api/v1/templates?space_id={}", p.other))
        .await);
    assert!(
        !other
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["name"] == "项目日报"),
        "{other}"
    );
    let weekly = ok(p
        .wang
        .post(
            "/api/v1/documents",
            json!({"space_id": p.space, "template_id": s(&t["id"])}),
        )
        .await);
    let now = chrono::Utc::now().with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap());
    assert_eq!(
        weekly["title"],
        format!("项目甲 日报 {}", now.format("%Y-%m-%d"))
    );
    let body = s(&weekly["body"]);
    assert!(body.contains("作者：王芳"), "{body}");
    let week = chrono::Datelike::iso_week(&now);
    assert!(
        body.contains(&format!("周：{}-W{:02}", week.year(), week.week())),
        "{body}"
    );
    assert!(!body.contains('{'), "{body}");
    let w = ok(p
        .wang
        .post(
            "/api/v1/documents",
            json!({"space_id": p.space, "template_id": "builtin-weekly"}),
        )
        .await);
    assert!(s(&w["title"]).starts_with("王芳 周报 "), "{w}");
    // A template of a space he does not see is hidden from the guest; his own space's he uses.
    ok(p.guest
        .get(&format!("/api/v1/templates/{}", s(&t["id"])))
        .await);
    let elsewhere = ok(p
        .admin
        .post(
            "/api/v1/templates",
            json!({"name": "乙方周报", "space_id": p.other, "body": "x"}),
        )
        .await);
    assert_error(
        &p.guest
            .get(&format!("/api/v1/templates/{}", s(&elsewhere["id"])))
            .await,
        404,
        "not_found",
    );
    assert_error(
        &p.admin.delete("/api/v1/templates/builtin-weekly").await,
        403,
        "forbidden",
    );
    ok(p.admin
        .delete(&format!("/api/v1/templates/{}", s(&t["id"])))
        .await);
}

#[tokio::test]
async fn owners_are_reminded_before_and_after_the_due_date_once_each() {
    let p = project().await;
    let clock = &p.srv.state.clock;
    let today = clock.now().date_naive();
    let due = today + chrono::Duration::days(5);
    ok(p.wang
        .post(
            "/api/v1/documents",
            json!({"space_id": p.space, "title": "上线准备",
                   "body": format!("- [ ] 准备回滚方案 @lina 截止:{due}\n")}),
        )
        .await);
    let kinds = |inbox: &Value| -> Vec<String> {
        inbox["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| s(&n["kind"]))
            .collect()
    };
    let inbox = ok(p.li.get("/api/v1/notifications").await);
    assert_eq!(kinds(&inbox), vec!["action_assigned"], "{inbox}");
    clock.set(clock.now() + chrono::Duration::days(3));
    let inbox = ok(p.li.get("/api/v1/notifications").await);
    assert_eq!(
        kinds(&inbox),
        vec!["action_due_soon", "action_assigned"],
        "{inbox}"
    );
    ok(p.li.get("/api/v1/notifications").await);
    clock.set(clock.now() + chrono::Duration::days(3));
    let items = todo(&p.li, "").await;
    assert_eq!(items[0]["overdue"], true, "{items:?}");
    let inbox = ok(p.li.get("/api/v1/notifications").await);
    assert_eq!(
        kinds(&inbox),
        vec!["action_overdue", "action_due_soon", "action_assigned"],
        "{inbox}"
    );
}
