//! The HTTP API: one module per resource, each owning its `router()`; this module merges them and
//! adds the middleware (request spans, body limit, security headers).

pub mod documents;
pub mod extract;
pub mod import;
pub mod openapi;
pub mod reviews;
pub mod search;
pub mod session;
pub mod spaces;
pub mod users;
pub mod web;

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

use crate::{AppState, error::Error};

/// The Content-Security-Policy of every response: no inline script, nothing from elsewhere.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/// All routes with middleware.
pub fn router(state: AppState) -> Router {
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
        .fallback(|| async { Error::NotFound("route") });
    Router::new()
        .nest("/api/v1", api)
        .route("/healthz", get(|| async { axum::Json(serde_json::json!({"status": "ok"})) }))
        .merge(web::router())
        .layer(axum::extract::DefaultBodyLimit::max(request_limit))
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
