//! The knowledge dashboard (`GET /api/v1/admin/stats`): its figures match what the test did
//! (documents created, searches that found nothing, reads, reviews, stale documents); read counts
//! on documents; space managers see only their spaces and never a title they may not read; plain
//! employees are refused; the search log keeps 90 days.

use chrono::{Days, Utc};
use hanlin::store::stats::SearchTally;
use serde_json::{Value, json};

use crate::common::{Client, Server, assert_error, urlencode};

fn s(v: &Value) -> String {
    v.as_str().unwrap().to_owned()
}

fn this_month() -> String {
    Utc::now().format("%Y-%m").to_string()
}

async fn ok(c: &Client, path: &str) -> Value {
    let (st, v) = c.get(path).await;
    assert_eq!(st, 200, "GET {path}: {v}");
    v
}

/// The month entry of `dash` for the current month.
fn month<'a>(dash: &'a Value, m: &str) -> &'a Value {
    dash["documents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["month"] == m)
        .unwrap_or_else(|| panic!("no month {m} in {}", dash["documents"]))
}

fn by_space(month: &Value, space: &str) -> (u64, u64) {
    month["by_space"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["space_id"] == space)
        .map_or((0, 0), |x| {
            (
                x["created"].as_u64().unwrap(),
                x["updated"].as_u64().unwrap(),
            )
        })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_counts_documents_searches_reads_and_reviews() {
    let srv = Server::start().await;
    let admin = srv.admin().await;
    let (_, me) = admin.get("/api/v1/me").await;
    let admin_id = s(&me["user"]["id"]);
    let a = admin.new_space("运维知识库").await;
    let b = admin.new_space("产品知识库").await;
    let (reader_id, reader) = srv.user(&admin, "reader1", json!({})).await;
    let (editor_id, editor) = srv.user(&admin, "editor1", json!({})).await;
    let (st, g) = admin
        .put(
            &format!("/api/v1/spaces/{a}/grants"),
            json!([
                {"principal": format!("user:{reader_id}"), "role": "reader"},
                {"principal": format!("user:{editor_id}"), "role": "editor"},
            ]),
        )
        .await;
    assert_eq!(st, 200, "{g}");

    // Two documents in A, one in B, this month; one of A's is saved again.
    let d1 = admin
        .new_doc(&a, None, "服务器巡检手册", "# 巡检\n\n每天检查磁盘。\n")
        .await;
    let d1_id = s(&d1["id"]);
    admin
        .new_doc(&a, None, "值班交接说明", "交接班时登记。\n")
        .await;
    admin
        .new_doc(&b, None, "产品路线图", "明年的计划。\n")
        .await;
    let (st, v) = admin
        .put(
            &format!("/api/v1/documents/{d1_id}"),
            json!({"title": "服务器巡检手册", "body": "# 巡检\n\n每天检查磁盘和内存。\n", "tags": [], "base_version": 1}),
        )
        .await;
    assert_eq!(st, 200, "{v}");

    // A search that finds nothing, twice with other spacing and case; one that finds something.
    for q in ["  ZQXJ  蓝鲸潜艇 ", "zqxj 蓝鲸潜艇"] {
        let r = ok(&reader, &format!("/api/v1/search?q={}", urlencode(q))).await;
        assert_eq!(r["total"], 0, "{r}");
    }
    admin.search_until("巡检手册", &d1_id, true).await;
    let r = ok(
        &reader,
        &format!("/api/v1/search?q={}", urlencode("  服务器   巡检 ")),
    )
    .await;
    assert!(r["total"].as_u64().unwrap() > 0, "{r}");

    // Reads: the reader's first read counts, a refresh does not, the admin's read does.
    let r1 = ok(&reader, &format!("/api/v1/documents/{d1_id}")).await;
    assert_eq!(r1["read_count"], 1, "{r1}");
    let r2 = ok(&reader, &format!("/api/v1/documents/{d1_id}")).await;
    assert_eq!(r2["read_count"], 1, "a refresh within the window: {r2}");
    let r3 = ok(&admin, &format!("/api/v1/documents/{d1_id}")).await;
    assert_eq!(r3["read_count"], 2, "{r3}");

    // A review: the editor submits in a category with a policy, the admin approves.
    let cat = admin.new_category(&a, "制度", None).await;
    let (st, v) = admin
        .put(
            &format!("/api/v1/categories/{cat}/review-policy"),
            json!({"stages": [{"name": "审核", "reviewers": [format!("user:{admin_id}")], "quorum": "any"}]}),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    let draft = editor
        .new_doc(&a, Some(&cat), "请假制度", "请假需提前申请。\n")
        .await;
    let (st, review) = editor
        .post(
            &format!("/api/v1/documents/{}/submit", s(&draft["id"])),
            json!({}),
        )
        .await;
    assert_eq!(st, 200, "{review}");
    let (st, v) = admin
        .post(
            &format!("/api/v1/reviews/{}/approve", s(&review["id"])),
            json!({}),
        )
        .await;
    assert_eq!(st, 200, "{v}");

    // A document past its review-by date.
    let (st, v) = admin
        .put(
            &format!("/api/v1/documents/{d1_id}/review-by"),
            json!({"date": "2020-01-01"}),
        )
        .await;
    assert_eq!(st, 200, "{v}");

    let dash = ok(&admin, "/api/v1/admin/stats").await;
    assert_eq!(dash["monthly_target"], 50);
    let m = month(&dash, &this_month());
    assert_eq!(
        by_space(m, &a),
        (3, 1),
        "A: three created, one updated: {m}"
    );
    assert_eq!(by_space(m, &b), (1, 0), "B: {m}");
    assert!(m["created"].as_u64().unwrap() >= 4, "{m}");
    assert_eq!(m["edits"], 1, "d1's second version: {m}");

    let searches = &dash["searches"];
    let zero = searches["zero_result_queries"].as_array().unwrap();
    let found: Vec<(&str, u64)> = zero
        .iter()
        .map(|z| (z["query"].as_str().unwrap(), z["count"].as_u64().unwrap()))
        .collect();
    assert!(
        found.contains(&("zqxj 蓝鲸潜艇", 2)),
        "normalised and counted twice: {found:?}"
    );
    assert!(
        !found.iter().any(|(q, _)| *q == "服务器 巡检"),
        "a search with results is no zero-result search: {found:?}"
    );
    assert!(searches["total"].as_u64().unwrap() >= 3, "{searches}");

    let most = dash["most_read"].as_array().unwrap();
    assert_eq!(most[0]["id"], d1_id.as_str(), "{most:?}");
    assert_eq!(most[0]["title"], "服务器巡检手册");
    assert_eq!(most[0]["reads"], 2);

    let today = Utc::now().date_naive().to_string();
    let daily = dash["active_users"]["daily"].as_array().unwrap();
    let last = daily.last().unwrap();
    assert_eq!(last["date"], today.as_str());
    assert_eq!(
        last["users"], 2,
        "the reader and the admin read today: {last}"
    );
    let monthly = dash["active_users"]["monthly"].as_array().unwrap();
    assert_eq!(monthly.last().unwrap()["users"], 2);

    let reviews = &dash["reviews"];
    assert_eq!(reviews["decided"], 1, "{reviews}");
    assert_eq!(reviews["approved"], 1, "{reviews}");
    assert!(
        reviews["median_hours"].as_f64().unwrap() >= 0.0,
        "{reviews}"
    );

    let stale = dash["stale"]["items"].as_array().unwrap();
    assert!(
        stale
            .iter()
            .any(|x| x["id"] == d1_id.as_str() && x["reason"] == "review_overdue"),
        "{stale:?}"
    );
    assert_eq!(dash["stale"]["months"], 6);
    assert_eq!(dash["required_reading"]["available"], false);
    assert_eq!(dash["required_reading"]["required"], 0);
    // No backup has been taken: overdue.
    assert_eq!(dash["backups"]["overdue"], true, "{}", dash["backups"]);
    assert_eq!(dash["backups"]["last_success_at"], Value::Null);

    // One space only; N configurable; bad input refused.
    let only_b = ok(
        &admin,
        &format!("/api/v1/admin/stats?space_id={b}&stale_months=3"),
    )
    .await;
    assert_eq!(only_b["spaces"].as_array().unwrap().len(), 1);
    assert_eq!(only_b["stale"]["months"], 3);
    assert!(only_b["most_read"].as_array().unwrap().is_empty());
    assert_eq!(month(&only_b, &this_month())["created"], 1);
    assert_error(
        &admin.get("/api/v1/admin/stats?stale_months=0").await,
        400,
        "invalid_input",
    );
    assert_error(
        &admin
            .get("/api/v1/admin/stats?from=2026-05-01&to=2026-04-01")
            .await,
        400,
        "invalid_input",
    );
    assert_error(
        &admin.get("/api/v1/admin/stats?from=yesterday").await,
        400,
        "invalid_input",
    );

    // A backup now: no longer overdue.
    let (st, v) = admin.post("/api/v1/admin/backups", json!({})).await;
    assert_eq!(st, 200, "{v}");
    let dash = ok(&admin, "/api/v1/admin/stats").await;
    assert_eq!(dash["backups"]["overdue"], false, "{}", dash["backups"]);
    // The list reads the time from the file name (milliseconds).
    let t = |x: &Value| chrono::DateTime::parse_from_rfc3339(x.as_str().unwrap()).unwrap();
    let gap = t(&v["created_at"]) - t(&dash["backups"]["last_success_at"]);
    assert!(gap.num_milliseconds().abs() <= 1, "{gap}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_space_manager_sees_only_their_spaces_and_employees_are_refused() {
    let srv = Server::start().await;
    let admin = srv.admin().await;
    let mine = admin.new_space("研发知识库").await;
    let readable = admin.new_space("行政知识库").await;
    let hidden = admin.new_space("财务机密库").await;
    let (mgr_id, mgr) = srv.user(&admin, "mgr1", json!({})).await;
    let (emp_id, emp) = srv.user(&admin, "emp1", json!({})).await;
    for (space, grants) in [
        (
            &mine,
            json!([{"principal": format!("user:{mgr_id}"), "role": "manager"}, {"principal": format!("user:{emp_id}"), "role": "reader"}]),
        ),
        (
            &readable,
            json!([{"principal": format!("user:{mgr_id}"), "role": "reader"}]),
        ),
    ] {
        let (st, v) = admin
            .put(&format!("/api/v1/spaces/{space}/grants"), grants)
            .await;
        assert_eq!(st, 200, "{v}");
    }
    // In the manager's own space, a category they manage but may not read.
    let closed = admin.new_category(&mine, "人事档案", None).await;
    let (st, v) = admin
        .put(
            &format!("/api/v1/categories/{closed}/grants"),
            json!({"inherit": false, "grants": []}),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    let open = admin.new_doc(&mine, None, "研发规范", "代码评审。\n").await;
    let secret_here = admin
        .new_doc(&mine, Some(&closed), "机密标题甲", "薪资。\n")
        .await;
    let secret_there = admin.new_doc(&hidden, None, "机密标题乙", "预算。\n").await;
    for d in [&open, &secret_here, &secret_there] {
        ok(&admin, &format!("/api/v1/documents/{}", s(&d["id"]))).await;
    }
    ok(&mgr, &format!("/api/v1/documents/{}", s(&open["id"]))).await;
    // The manager cannot read the closed category's document.
    assert_error(
        &mgr.get(&format!("/api/v1/documents/{}", s(&secret_here["id"])))
            .await,
        404,
        "not_found",
    );

    let (st, dash) = mgr.get("/api/v1/admin/stats").await;
    assert_eq!(st, 200, "{dash}");
    let spaces: Vec<String> = dash["spaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| s(&x["id"]))
        .collect();
    assert_eq!(spaces, vec![mine.clone()], "only the managed space");
    let m = month(&dash, &this_month());
    assert_eq!(
        by_space(m, &mine).0,
        2,
        "both documents of the space count: {m}"
    );
    assert_eq!(by_space(m, &hidden), (0, 0), "{m}");
    assert_eq!(m["created"], 2, "{m}");
    let most: Vec<String> = dash["most_read"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| s(&x["id"]))
        .collect();
    assert_eq!(most, vec![s(&open["id"])], "only what the manager may read");
    let text = dash.to_string();
    for secret in ["机密标题甲", "机密标题乙", "财务机密库", "行政知识库"] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
    assert_eq!(
        dash["searches"],
        Value::Null,
        "queries are not the manager's"
    );
    assert_eq!(dash["backups"], Value::Null);
    // Active users: the manager and the admin read in the manager's space today.
    assert_eq!(
        dash["active_users"]["daily"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()["users"],
        2
    );

    // Their own space by id; a space they read but do not manage: 403; one they cannot see: 404.
    ok(&mgr, &format!("/api/v1/admin/stats?space_id={mine}")).await;
    assert_error(
        &mgr.get(&format!("/api/v1/admin/stats?space_id={readable}"))
            .await,
        403,
        "forbidden",
    );
    assert_error(
        &mgr.get(&format!("/api/v1/admin/stats?space_id={hidden}"))
            .await,
        404,
        "not_found",
    );
    // A plain employee manages nothing.
    assert_error(&emp.get("/api/v1/admin/stats").await, 403, "forbidden");
    assert_error(
        &emp.get(&format!("/api/v1/admin/stats?space_id={mine}"))
            .await,
        403,
        "forbidden",
    );
    assert_error(
        &srv.client().get("/api/v1/admin/stats").await,
        401,
        "unauthenticated",
    );
    // Nor does reading count for someone who may not read: the manager's refused read of the
    // closed document counted nothing.
    let (_, d) = admin
        .get(&format!("/api/v1/documents/{}", s(&secret_here["id"])))
        .await;
    assert_eq!(d["read_count"], 1, "{d}");
}

#[tokio::test]
async fn the_search_log_keeps_ninety_days() {
    let srv = Server::start().await;
    let admin = srv.admin().await;
    let store = &srv.state.store;
    let today = Utc::now().date_naive();
    let tally = SearchTally {
        searches: 3,
        zero: 3,
        results: 0,
    };
    // The oldest day kept is today and the 89 before it.
    for (days, q) in [
        (120, "很久以前的查询"),
        (90, "刚过期的查询"),
        (89, "最后一天的查询"),
        (3, "最近的查询"),
    ] {
        store
            .put_search_log(today - Days::new(days), q, tally)
            .unwrap();
    }
    let from = today - Days::new(200);
    let dash = ok(&admin, &format!("/api/v1/admin/stats?from={from}")).await;
    let queries: Vec<&str> = dash["searches"]["zero_result_queries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|z| z["query"].as_str().unwrap())
        .collect();
    assert!(queries.contains(&"最近的查询"), "{queries:?}");
    assert!(queries.contains(&"最后一天的查询"), "{queries:?}");
    assert!(!queries.contains(&"刚过期的查询"), "{queries:?}");
    assert!(!queries.contains(&"很久以前的查询"), "{queries:?}");
    assert_eq!(dash["searches"]["kept_days"], 90);
    // Gone from the store, not only from the answer.
    assert_eq!(
        store.stats.oldest_search_day().unwrap(),
        Some(today - Days::new(89))
    );
    let all = store
        .stats
        .searches_between(from, today)
        .unwrap()
        .into_iter()
        .map(|(_, q, _)| q)
        .collect::<Vec<_>>();
    assert_eq!(
        all,
        vec!["最后一天的查询".to_owned(), "最近的查询".to_owned()]
    );
}
