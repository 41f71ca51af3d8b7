//! Downloads: a space (or a category) as a zip of Markdown, one document as Markdown, HTML or Word.

use axum::{
    Router,
    extract::State,
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
    routing::get,
};
use serde::Deserialize;
use utoipa::{IntoParams, OpenApi};

use crate::{
    AppState,
    error::{Code, Result},
    http::{
        auth::CurrentUser,
        extract::{ApiPath, ApiQuery},
        openapi::Binary,
    },
    service::export::{self, Download, Format},
};

/// The operations of this module, for the API description.
#[derive(OpenApi)]
#[openapi(paths(space, document))]
pub struct ApiDoc;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/spaces/{id}/export", get(space))
        .route("/documents/{id}/export", get(document))
}

/// `Content-Disposition` for a UTF-8 file name: an ASCII fallback and the RFC 5987 form.
pub(crate) fn disposition(name: &str) -> HeaderValue {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b".-_~".contains(&b) {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    HeaderValue::from_str(&format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

fn download(d: Download) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(d.content_type),
            ),
            (header::CONTENT_DISPOSITION, disposition(&d.file_name)),
        ],
        d.bytes,
    )
        .into_response()
}

/// What to export of a space.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct SpaceExport {
    /// Only this category (and its children).
    #[serde(default)]
    category_id: Option<String>,
}

/// The space (or ?category_id= one category) as a zip of Markdown with front matter, as the importer takes it back (managers)
#[utoipa::path(
    get,
    path = "/spaces/{id}/export",
    tag = "documents",
    operation_id = "export_space",
    params(("id" = String, Path, description = "Space id"), SpaceExport),
    responses((
        status = 200,
        description = "A zip the importer takes back unchanged",
        content_type = "application/zip",
        body = inline(Binary),
        headers(("Content-Disposition" = String, description = "attachment, with the file name")),
    )),
    extensions(("x-error-codes" = json!([Code::Forbidden, Code::ServerBusy]))),
)]
async fn space(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<SpaceExport>,
) -> Result<Response> {
    let (st, caller) = (state.clone(), who.caller.clone());
    let d = state
        .cpu
        .run(move || export::space_zip(&st.store, &caller, &id, q.category_id.as_deref()))
        .await?;
    Ok(download(d))
}

/// The format of a document download.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct DocExport {
    /// `md` (default, also `markdown`), `html` or `docx`.
    #[serde(default)]
    format: Option<String>,
}

/// One document, in the version the caller may read: ?format=md|html|docx
#[utoipa::path(
    get,
    path = "/documents/{id}/export",
    tag = "documents",
    operation_id = "export_document",
    params(("id" = String, Path, description = "Document id"), DocExport),
    responses((
        status = 200,
        description = "The file",
        content(
            (inline(Binary) = "text/markdown; charset=utf-8"),
            (inline(Binary) = "text/html; charset=utf-8"),
            (inline(Binary) = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ),
        headers(("Content-Disposition" = String, description = "attachment, with the file name")),
    )),
    extensions(("x-error-codes" = json!([Code::ServerBusy]))),
)]
async fn document(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<DocExport>,
) -> Result<Response> {
    let format = Format::parse(q.format.as_deref())?;
    let (st, caller) = (state.clone(), who.caller.clone());
    let d = state
        .cpu
        .run(move || export::document(&st.store, &caller, &id, format))
        .await?;
    Ok(download(d))
}

#[cfg(test)]
mod tests {
    #[test]
    fn chinese_file_names_survive_the_header() {
        let v = super::disposition("季度报告 v2.docx");
        let s = v.to_str().unwrap();
        assert!(s.contains("filename*=UTF-8''%E5%AD%A3"), "{s}");
        assert!(s.contains("filename=\"_____v2.docx\""), "{s}");
    }
}
