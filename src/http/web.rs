//! The browser UI: files of `web/`, embedded in the binary (or read from `--web-dir` while developing).

use axum::{
    Router,
    extract::{Path, State},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use rust_embed::RustEmbed;

use crate::AppState;

#[derive(RustEmbed)]
#[folder = "web/"]
struct Assets;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(|s: State<AppState>| async move { file(s, "index.html".into()).await }))
        .route("/{*path}", get(|s: State<AppState>, Path(p): Path<String>| async move { file(s, p).await }))
}

async fn file(State(state): State<AppState>, path: String) -> Response {
    if path.starts_with("api/") || path.split('/').any(|seg| seg == ".." || seg.starts_with('.')) {
        return crate::error::Error::NotFound("file").into_response();
    }
    let bytes: Option<Vec<u8>> = match &state.config.web_dir {
        Some(dir) => tokio::fs::read(dir.join(&path)).await.ok(),
        None => Assets::get(&path).map(|f| f.data.into_owned()),
    };
    let Some(bytes) = bytes else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    let mime = mime_guess::from_path(&path).first_or_octet_stream();
    let cache = if path == "index.html" { "no-cache" } else { "public, max-age=300" };
    let mut resp = bytes.into_response();
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(mime.as_ref()) {
        h.insert(header::CONTENT_TYPE, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    resp
}
