//! Stateless rendering for the editor: Markdown to the HTML a published page shows, and the diff of
//! two texts (unsaved text against the current version). The browser has no Markdown or diff of its
//! own, so what the editor previews is exactly what readers will see.

use axum::{Json, Router, extract::State, routing::post};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{
    AppState,
    domain::diff,
    error::{Error, Result},
    http::auth::CurrentUser,
    http::extract::ApiJson,
    markdown,
};

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/render", post(render))
        .route("/diff", post(diff_texts))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RenderRequest {
    body: String,
}

/// A text the caller sends must fit where a document body fits.
fn check_size(state: &AppState, text: &str) -> Result<()> {
    let limit = state.config.max_body_bytes;
    if text.len() > limit {
        return Err(Error::PayloadTooLarge { limit });
    }
    Ok(())
}

/// `POST /render {"body"}` -> `{"html", "toc"}`: the same rendering as `GET /documents/{id}`, and
/// the same limits as saving a body (size: 413; nesting past [`markdown::MAX_NESTING`]: 422).
async fn render(
    State(state): State<AppState>,
    _who: CurrentUser,
    ApiJson(req): ApiJson<RenderRequest>,
) -> Result<Json<Value>> {
    check_size(&state, &req.body)?;
    let out = state
        .cpu
        .run(move || {
            let (r, capped) = markdown::render_capped(&req.body);
            if capped {
                return Err(crate::service::documents::too_deep());
            }
            Ok(json!({"html": r.html, "toc": r.toc}))
        })
        .await?;
    Ok(Json(out))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DiffRequest {
    from: String,
    to: String,
}

/// `POST /diff {"from", "to"}` -> `{unified, hunks, insertions, deletions, words_omitted}`, as in
/// `GET /documents/{id}/diff` (bounded the same way: see [`diff`]).
async fn diff_texts(
    State(state): State<AppState>,
    _who: CurrentUser,
    ApiJson(req): ApiJson<DiffRequest>,
) -> Result<Json<Value>> {
    check_size(&state, &req.from)?;
    check_size(&state, &req.to)?;
    let out = state
        .cpu
        .run(move || {
            let d = diff::diff(&req.from, &req.to, "from", "to", &crate::text::words);
            serde_json::to_value(d).map_err(Error::internal)
        })
        .await?;
    Ok(Json(out))
}
