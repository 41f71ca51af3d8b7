//! `POST /api/v1/spaces/{id}/import`: the folder import of `hanlin import`, through the API, from a
//! zip archive of Markdown files (sub-folders become categories). Zip-slip and zip-bomb defended.
//! The whole archive is checked before anything is written, then written in one transaction: a bad
//! archive writes nothing and answers every problem (`"problems": [{"entry", "code", "message"}]`).

use axum::{Json, Router, body::Bytes, extract::State, http::HeaderMap, routing::post};
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

use crate::{
    AppState,
    error::{Code, Error, Reason, Result},
    http::auth::CurrentUser,
    http::{
        extract::{ApiPath, check_id},
        openapi::Binary,
    },
    service::import::{self, ZipLimits},
};

/// Largest zip upload accepted.
pub const MAX_ZIP_BYTES: usize = 64 * 1024 * 1024;
/// An import is one transaction holding every body (and its first version): these bound it.
const LIMITS: ZipLimits = ZipLimits {
    max_entries: 20_000,
    max_total: 64 * 1024 * 1024,
    max_file: 5 * 1024 * 1024,
};

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().route(
        "/spaces/{id}/import",
        post(import_zip).layer(axum::extract::DefaultBodyLimit::max(MAX_ZIP_BYTES)),
    )
}

/// The operations of this module, for the API description.
#[derive(OpenApi)]
#[openapi(paths(import_zip))]
pub struct ApiDoc;

/// What an import did.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportReport {
    /// Documents created.
    created: u64,
    /// Documents that got a new version.
    updated: u64,
    /// Files whose content was unchanged.
    unchanged: u64,
    /// Entries not imported (not Markdown).
    skipped: Vec<String>,
    /// Categories created.
    categories: u64,
}

impl From<import::ImportReport> for ImportReport {
    fn from(r: import::ImportReport) -> Self {
        // Whole, so that a field added there cannot be left out here.
        let import::ImportReport {
            created,
            updated,
            unchanged,
            skipped,
            categories,
        } = r;
        ImportReport {
            created,
            updated,
            unchanged,
            skipped,
            categories,
        }
    }
}

/// Import a zip of Markdown files; sub-folders become categories (managers)
///
/// The whole archive is checked before anything is written: a bad one writes nothing and answers
/// 400 `invalid_input` with `reason` `bad_entries` and every problem (`problems`).
#[utoipa::path(
    post,
    path = "/spaces/{id}/import",
    tag = "documents",
    operation_id = "import_zip",
    params(("id" = String, Path, description = "Space id")),
    request_body(
        content = inline(Binary),
        content_type = "application/zip",
        description = "A zip archive (also accepted as application/octet-stream)"
    ),
    responses((status = 200, body = ImportReport)),
    extensions(("x-error-codes" = json!([
        Code::Forbidden, Code::InvalidInput, Code::ImportConflict, Code::ServerBusy,
    ]))),
)]
async fn import_zip(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Json<ImportReport>> {
    check_id(&id, "space")?;
    // Refused before the body is looked at; checked again where the import is written.
    import::target_space(&state.store, &who, &id)?;
    let ct = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !(ct.starts_with("application/zip") || ct.starts_with("application/octet-stream")) {
        return Err(Error::invalid(
            "file",
            "send a zip archive with Content-Type: application/zip",
        )
        .because(Reason::NotZip));
    }
    let body = body.map_err(|_| Error::PayloadTooLarge {
        limit: MAX_ZIP_BYTES,
    })?;
    let (st, caller) = (state.clone(), who.caller.clone());
    // Unpacking, parsing every file and encoding the versions: CPU work, on the pool.
    let report = state
        .cpu
        .run(move || {
            import::import_zip(
                &st.store,
                &caller,
                &id,
                &body,
                &LIMITS,
                st.config.max_body_bytes,
            )
        })
        .await?;
    state.store.flush().await?;
    state.notify_indexer();
    Ok(Json(report.into()))
}
