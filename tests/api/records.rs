//! Record types over HTTP: the five forms of `schemas/`, with their Chinese names and labels.

use serde_json::json;

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
