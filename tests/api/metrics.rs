//! `GET /metrics`: Prometheus text, admins only on the main address, open on `--metrics-bind`.

use serde_json::json;

use crate::common::{Server, assert_error};

/// The value of the series whose line starts with `prefix` (0 when absent).
fn series(text: &str, prefix: &str) -> f64 {
    text.lines()
        .filter(|l| l.starts_with(prefix))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_refuse_non_admins() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let srv = Server::start_with(|c| {
        c.metrics_bind = Some(format!("127.0.0.1:{port}").parse().unwrap());
    })
    .await;
    let admin = srv.admin().await;
    let (_, reader) = srv.user(&admin, "metrics_reader", json!({})).await;
    assert_error(&srv.client().get("/metrics").await, 401, "unauthenticated");
    assert_error(&reader.get("/metrics").await, 403, "forbidden");

    let (st, before) = admin.get("/metrics").await;
    assert_eq!(st, 200);
    let before = before.as_str().unwrap().to_owned();
    let route =
        r#"hanlin_http_requests_total{method="GET",route="/api/v1/documents/{id}",status="404"}"#;
    let n0 = series(&before, route);
    for _ in 0..3 {
        let _ = admin
            .get("/api/v1/documents/00000000000000000000000000000000")
            .await;
    }
    let (_, q) = admin.get("/api/v1/search?q=%E6%AC%A2%E8%BF%8E").await;
    assert!(q["total"].is_number(), "{q}");
    let (_, after) = admin.get("/metrics").await;
    let after = after.as_str().unwrap().to_owned();
    // At least ours (other tests in this process share the one recorder and may add to it).
    assert!(series(&after, route) - n0 >= 3.0, "{after}");
    // Latency as a histogram with buckets, search latency, and the scrape-time gauges.
    assert!(
        after.contains("hanlin_http_request_duration_seconds_bucket{"),
        "{after}"
    );
    assert!(
        series(&after, "hanlin_search_duration_seconds_count") >= 1.0,
        "{after}"
    );
    for g in [
        "hanlin_indexer_outbox_entries",
        "hanlin_store_bytes",
        "hanlin_index_bytes",
        "hanlin_process_resident_bytes",
        "hanlin_backup_age_seconds",
    ] {
        assert!(
            after.lines().any(|l| l.starts_with(g)),
            "{g} missing:\n{after}"
        );
    }
    assert!(series(&after, "hanlin_store_bytes") > 0.0);
    // Ids never become labels: a junk path is one `unmatched` series.
    assert!(!after.contains("00000000000000000000000000000000"));

    // The private address needs no token.
    let text = reqwest::get(format!("http://127.0.0.1:{port}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.contains("hanlin_http_requests_total"), "{text}");
    let other = reqwest::get(format!("http://127.0.0.1:{port}/api/v1/me"))
        .await
        .unwrap();
    assert_eq!(
        other.status(),
        404,
        "the private address serves only /metrics"
    );
}
