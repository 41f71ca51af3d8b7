//! The browser UI: files of `web/`, embedded in the binary (or read from `--web-dir` while developing).
//! Every file is served with an ETag and `Cache-Control: no-cache`, so browsers revalidate (a cheap
//! 304) and never mix modules of two versions after an upgrade.

use axum::{
    Router,
    extract::{Path, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use rust_embed::RustEmbed;
use sha2::Digest as _;

use crate::AppState;

#[derive(RustEmbed)]
#[folder = "web/"]
struct Assets;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(|s: State<AppState>, h: HeaderMap| async move { file(s, h, "index.html".into()).await }))
        .route("/{*path}", get(|s: State<AppState>, h: HeaderMap, Path(p): Path<String>| async move { file(s, h, p).await }))
}

async fn file(State(state): State<AppState>, headers: HeaderMap, path: String) -> Response {
    if path.starts_with("api/")
        || path
            .split('/')
            .any(|seg| seg == ".." || seg.starts_with('.'))
    {
        return crate::error::Error::NotFound("file").into_response();
    }
    let found: Option<(Vec<u8>, String)> = match &state.config.web_dir {
        Some(dir) => tokio::fs::read(dir.join(&path)).await.ok().map(|b| {
            let tag = hex::encode(&sha2::Sha256::digest(&b)[..16]);
            (b, tag)
        }),
        None => Assets::get(&path).map(|f| {
            (
                f.data.into_owned(),
                hex::encode(&f.metadata.sha256_hash()[..16]),
            )
        }),
    };
    let Some((bytes, tag)) = found else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    let etag = format!("\"{tag}\"");
    let mut resp = if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        == Some(etag.as_str())
    {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut r = bytes.into_response();
        let mime = mime_guess::from_path(&path).first_or_octet_stream();
        if let Ok(v) = HeaderValue::from_str(mime.as_ref()) {
            r.headers_mut().insert(header::CONTENT_TYPE, v);
        }
        r
    };
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    resp
}
