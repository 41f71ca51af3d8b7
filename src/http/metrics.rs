//! `GET /metrics` in the Prometheus text format, recorded with the `metrics` facade and rendered by
//! `metrics-exporter-prometheus`: requests and their latency by route template and status, search
//! latency, and gauges read at scrape time (indexer lag, backup age, store and index size, process
//! memory). Admins only (bearer token or session), or unauthenticated on the separate
//! `--metrics-bind` address, which is meant for a private network.

use std::{sync::OnceLock, time::Instant};

use axum::{
    Router,
    extract::{MatchedPath, Request, State},
    http::header,
    response::{IntoResponse, Response},
    routing::get,
};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use utoipa::OpenApi;

use crate::{
    AppState,
    error::{Code, Result},
    http::auth::CurrentUser,
    service::gauges::{self, Gauges},
};

/// The operations of this module, for the API description.
#[derive(OpenApi)]
#[openapi(paths(scrape))]
pub struct ApiDoc;

/// Latency buckets, in seconds (1 ms to 10 s).
const BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The process's recorder (installed once: the `metrics` facade has one global recorder).
fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), BUCKETS)
            .and_then(|b| b.install_recorder())
            .unwrap_or_else(|e| {
                // Another recorder was installed first (an embedding program): render an empty
                // registry of our own rather than fail.
                tracing::warn!(error = %e, "metrics recorder not installed");
                PrometheusBuilder::new().build_recorder().handle()
            })
    })
}

/// Installs the recorder (at start-up, so the first requests are counted).
pub fn install() {
    handle();
}

/// Middleware: counts each request and its latency by method, route template and status.
pub async fn track(req: Request, next: axum::middleware::Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
        // Unmatched paths are not labels: one series for all of them, whatever clients send.
        .unwrap_or_else(|| "unmatched".into());
    let method = req.method().as_str().to_owned();
    let started = Instant::now();
    let resp = next.run(req).await;
    let status = resp.status().as_u16().to_string();
    let labels = [("method", method), ("route", route), ("status", status)];
    metrics::counter!("hanlin_http_requests_total", &labels).increment(1);
    metrics::histogram!("hanlin_http_request_duration_seconds", &labels)
        .record(started.elapsed().as_secs_f64());
    resp
}

/// Records one search's latency.
pub fn search_took(started: Instant) {
    metrics::histogram!("hanlin_search_duration_seconds").record(started.elapsed().as_secs_f64());
}

/// Sets the gauges read at scrape time, then renders the registry.
fn render(g: &Gauges) -> String {
    metrics::gauge!("hanlin_indexer_outbox_entries").set(g.outbox_entries as f64);
    metrics::gauge!("hanlin_store_bytes").set(g.store_bytes as f64);
    metrics::gauge!("hanlin_index_bytes").set(g.index_bytes as f64);
    metrics::gauge!("hanlin_process_resident_bytes").set(g.resident_bytes as f64);
    metrics::gauge!("hanlin_backup_age_seconds")
        .set(g.backup_age_seconds.map_or(-1.0, |a| a as f64));
    metrics::gauge!("hanlin_backup_overdue").set(if g.backup_overdue { 1.0 } else { 0.0 });
    handle().render()
}

fn text(body: String) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
        .into_response()
}

/// Prometheus metrics (admins; or unauthenticated on --metrics-bind)
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "meta",
    operation_id = "metrics",
    responses((
        status = 200,
        description = "The Prometheus text format",
        content_type = "text/plain; version=0.0.4; charset=utf-8",
        body = String,
    )),
    extensions(("x-error-codes" = json!([Code::Forbidden]))),
)]
async fn scrape(State(state): State<AppState>, who: CurrentUser) -> Result<Response> {
    // Reading the gauges stats files: blocking work, off the async workers.
    let body = tokio::task::spawn_blocking(move || {
        let g = gauges::read_as(
            &who,
            &state.store,
            &state.config.data_dir.join("index"),
            &state.config.backups(),
        )?;
        Ok::<_, crate::error::Error>(render(&g))
    })
    .await
    .map_err(crate::error::Error::internal)??;
    Ok(text(body))
}

/// Routes of this module (outside `/api/v1`, like `/healthz`).
pub fn router() -> Router<AppState> {
    Router::new().route("/metrics", get(scrape))
}

/// The router of the separate `--metrics-bind` address: `/metrics` without authentication, and
/// nothing else (every other path is 404).
pub fn private_router(state: AppState) -> Router {
    Router::new()
        .fallback(|State(state): State<AppState>, req: Request| async move {
            if req.uri().path() != "/metrics" {
                return crate::error::Error::NotFound("route").into_response();
            }
            let body = tokio::task::spawn_blocking(move || {
                render(&gauges::read(
                    &state.store,
                    &state.config.data_dir.join("index"),
                    &state.config.backups(),
                ))
            })
            .await
            .unwrap_or_default();
            text(body)
        })
        .with_state(state)
}
