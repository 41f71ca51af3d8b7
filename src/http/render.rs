//! Stateless rendering for the editor: Markdown to the HTML a published page shows, and the diff of
//! two texts (unsaved text against the current version). The browser has no Markdown or diff of its
//! own, so what the editor previews is exactly what readers will see.

use axum::{Json, Router, extract::State, routing::post};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use crate::{
    AppState,
    domain::diff::{self, TextChanges},
    error::{Code, Error, Result},
    http::auth::CurrentUser,
    http::extract::ApiJson,
    http::openapi::INVALID_INPUT_422,
    markdown::{self, TocEntry},
};

/// The operations of this module, for the API description.
#[derive(OpenApi)]
#[openapi(paths(render, diff_texts))]
pub struct ApiDoc;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/render", post(render))
        .route("/diff", post(diff_texts))
}

/// Markdown to render.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = RenderMarkdown)]
struct RenderRequest {
    /// A document body (Markdown), at most as large as a document body may be.
    body: String,
}

/// Markdown rendered as a document page shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct RenderedBody {
    /// Sanitised HTML.
    html: String,
    /// Headings in order.
    toc: Vec<TocEntry>,
}

/// A text the caller sends must fit where a document body fits.
fn check_size(state: &AppState, text: &str) -> Result<()> {
    let limit = state.config.max_body_bytes;
    if text.len() > limit {
        return Err(Error::PayloadTooLarge { limit });
    }
    Ok(())
}

/// Render a Markdown body as a document page would ({body} -> {html, toc}); the editor preview
///
/// The same rendering as `GET /documents/{id}`, and the same limits as saving a body (size: 413;
/// nesting past [`markdown::MAX_NESTING`]: 422).
#[utoipa::path(
    post,
    path = "/render",
    tag = "documents",
    operation_id = "render",
    request_body = RenderRequest,
    responses((status = 200, body = RenderedBody)),
    extensions(("x-error-codes" = json!([INVALID_INPUT_422, Code::ServerBusy]))),
)]
async fn render(
    State(state): State<AppState>,
    _who: CurrentUser,
    ApiJson(req): ApiJson<RenderRequest>,
) -> Result<Json<RenderedBody>> {
    check_size(&state, &req.body)?;
    let out = state
        .cpu
        .run(move || {
            let (r, capped) = markdown::render_capped(&req.body);
            if capped {
                return Err(crate::service::documents::too_deep());
            }
            Ok(RenderedBody {
                html: r.html,
                toc: r.toc,
            })
        })
        .await?;
    Ok(Json(out))
}

/// Two texts to compare.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = DiffTexts)]
struct DiffRequest {
    /// The older text.
    from: String,
    /// The newer text.
    to: String,
}

/// Diff two texts ({from, to}) as the document diff does; the editor's conflict view
///
/// `{unified, hunks, insertions, deletions, words_omitted}`, as in `GET /documents/{id}/diff`
/// (bounded the same way: see [`diff`]).
#[utoipa::path(
    post,
    path = "/diff",
    tag = "documents",
    operation_id = "diff_texts",
    request_body = DiffRequest,
    responses((status = 200, body = TextChanges)),
    extensions(("x-error-codes" = json!([Code::ServerBusy]))),
)]
async fn diff_texts(
    State(state): State<AppState>,
    _who: CurrentUser,
    ApiJson(req): ApiJson<DiffRequest>,
) -> Result<Json<TextChanges>> {
    check_size(&state, &req.from)?;
    check_size(&state, &req.to)?;
    let out = state
        .cpu
        .run(move || {
            Ok(diff::diff(
                &req.from,
                &req.to,
                "from",
                "to",
                &crate::text::words,
            ))
        })
        .await?;
    Ok(Json(out))
}
