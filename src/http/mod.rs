//! The HTTP API: one module per resource, each owning its `router()`; this module merges them and
//! adds the middleware (request spans, body limit, security headers).

pub mod attachments;
pub mod auth;
pub mod backups;
pub mod collab;
pub mod documents;
pub mod export;
pub mod extract;
pub mod import;
pub mod metrics;
pub mod onboarding;
pub mod openapi;
pub mod records;
pub mod render;
pub mod reviews;
pub mod search;
pub mod session;
pub mod spaces;
pub mod stats;
pub mod users;
pub mod web;
pub mod webhooks;

use std::time::Duration;

use axum::{
    Router,
    extract::{MatchedPath, Request},
    http::{HeaderName, HeaderValue, header},
    routing::get,
};
use tower_http::{
    compression::CompressionLayer, set_header::SetResponseHeaderLayer, trace::TraceLayer,
};
use tracing::Span;

use crate::{
    AppState,
    error::{Code, Error},
};

/// Longest request target (path and query) answered normally; longer ones get 414 in the API's
/// error shape. hyper's own hard limits (about 400 KB of head) stay behind this one.
pub const MAX_URI_BYTES: usize = 32 * 1024;
/// Largest total size of the request headers; larger ones get 431 in the API's error shape.
pub const MAX_HEADER_BYTES: usize = 32 * 1024;

fn method_not_allowed() -> Error {
    Error::rule(
        Code::MethodNotAllowed,
        "this method is not allowed on this path",
    )
}

/// Refuses, in the JSON error shape, what a server must refuse before routing: over-long targets,
/// oversized headers, and paths that do not decode to UTF-8 (404: they name nothing).
async fn protocol_limits(req: Request, next: axum::middleware::Next) -> axum::response::Response {
    use axum::response::IntoResponse;
    let target = req.uri().path_and_query().map_or(0, |p| p.as_str().len());
    if target > MAX_URI_BYTES {
        return Error::rule(
            Code::UriTooLong,
            format!("the request address is longer than {MAX_URI_BYTES} bytes"),
        )
        .with("limit", MAX_URI_BYTES)
        .into_response();
    }
    let header_bytes: usize = req
        .headers()
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len() + 4)
        .sum();
    if header_bytes > MAX_HEADER_BYTES {
        return Error::rule(
            Code::HeadersTooLarge,
            format!("the request headers are larger than {MAX_HEADER_BYTES} bytes"),
        )
        .with("limit", MAX_HEADER_BYTES)
        .into_response();
    }
    if !path_decodes(req.uri().path()) {
        // Like any junk id: it names nothing.
        return Error::NotFound("resource").into_response();
    }
    next.run(req).await
}

/// Whether a percent-encoded path decodes to UTF-8.
fn path_decodes(path: &str) -> bool {
    let b = path.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    std::str::from_utf8(&out).is_ok()
}

/// The Content-Security-Policy of every response: no inline script, nothing from elsewhere.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/// The answer of `/healthz`.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Health {
    /// Always `ok`.
    status: &'static str,
}

/// Liveness (no authentication)
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "meta",
    operation_id = "healthz",
    security(()),
    responses((status = 200, body = Health)),
)]
async fn healthz() -> axum::Json<Health> {
    axum::Json(Health { status: "ok" })
}

/// The router of the separate `--metrics-bind` address (only `GET /metrics`, no authentication).
pub fn metrics_router(state: AppState) -> Router {
    metrics::install();
    metrics::private_router(state)
}

/// All routes with middleware.
pub fn router(state: AppState) -> Router {
    // The recorder exists before the first request is counted.
    metrics::install();
    // JSON escaping can grow a body; the document body itself is checked against the exact limit.
    let request_limit = state
        .config
        .max_body_bytes
        .saturating_mul(2)
        .saturating_add(64 * 1024);
    let api = Router::new()
        .merge(session::router())
        .merge(documents::router())
        .merge(spaces::router())
        .merge(search::router())
        .merge(users::router())
        .merge(import::router())
        .merge(openapi::router())
        .merge(reviews::router())
        .merge(render::router())
        .merge(backups::router())
        .merge(export::router())
        .merge(stats::router())
        .merge(onboarding::router())
        .merge(collab::router())
        .merge(records::router())
        .merge(attachments::router())
        .merge(webhooks::router())
        .fallback(|| async { Error::NotFound("route") })
        .method_not_allowed_fallback(|| async { method_not_allowed() })
        // Answers about accounts and documents must not stay in shared or browser caches.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ));
    Router::new()
        .nest("/api/v1", api)
        .route("/healthz", get(healthz))
        .merge(metrics::router())
        .merge(web::router())
        .method_not_allowed_fallback(|| async { method_not_allowed() })
        .layer(axum::middleware::from_fn(metrics::track))
        .layer(axum::extract::DefaultBodyLimit::max(request_limit))
        .layer(axum::middleware::from_fn(protocol_limits))
        .layer(CompressionLayer::new())
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("x-frame-options"),
            HeaderValue::from_static("DENY"),
        ))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request| {
                    let route = req
                        .extensions()
                        .get::<MatchedPath>()
                        .map(|m| m.as_str().to_owned())
                        .unwrap_or_else(|| "unmatched".into());
                    tracing::info_span!("request", method = %req.method(), route = %route, status = tracing::field::Empty)
                })
                .on_request(())
                .on_response(|resp: &axum::response::Response, latency: Duration, span: &Span| {
                    span.record("status", resp.status().as_u16());
                    tracing::info!(status = resp.status().as_u16(), latency_us = latency.as_micros() as u64, "response");
                })
                .on_failure(()),
        )
        .with_state(state)
}
