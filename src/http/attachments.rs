//! Attachments over HTTP: upload (multipart, streamed to a temporary file and hashed on the
//! way, 413 past `--max-attachment-bytes`), list, read, download with the original name, delete.
//! The work and every check is in [`crate::service::attachments`]; handlers parse, stream and
//! shape.

use axum::{
    Json, Router,
    body::Body,
    extract::{DefaultBodyLimit, Multipart, State},
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;
use utoipa::{OpenApi, ToSchema};

use crate::{
    AppState,
    error::{Code, Error, Reason, Result},
    http::auth::CurrentUser,
    http::extract::{ApiPath, check_id},
    http::openapi::Binary,
    model::{Attachment, TextStatus},
    service::{
        attachments::{self, Upload},
        documents::user_names,
    },
};

/// Most files in one upload request.
const MAX_FILES: usize = 20;

/// The operations of this module, for the API description.
#[derive(OpenApi)]
#[openapi(paths(upload, list, read, content, text, remove, upload_documents))]
pub struct ApiDoc;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/documents/{id}/attachments",
            post(upload).get(list).layer(DefaultBodyLimit::disable()),
        )
        .route("/attachments/{id}", get(read).delete(remove))
        .route("/attachments/{id}/content", get(content))
        .route("/attachments/{id}/text", get(text))
        .route(
            "/spaces/{id}/upload",
            post(upload_documents).layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES)),
        )
}

/// Largest request of files that become documents.
const MAX_UPLOAD_BYTES: usize = 256 * 1024 * 1024;
/// Most files that become documents in one request.
const MAX_DOCUMENT_FILES: usize = 100;

/// A document made from a file.
#[derive(Debug, Serialize, ToSchema)]
pub struct UploadedDocument {
    /// Document id.
    id: String,
    /// Its title.
    title: String,
    /// The file it came from.
    filename: String,
}

/// A file that did not become a document.
#[derive(Debug, Serialize, ToSchema)]
pub struct UploadError {
    /// The file.
    filename: String,
    /// Stable code.
    code: String,
    /// Why.
    message: String,
}

/// What an upload made.
#[derive(Debug, Serialize, ToSchema)]
pub struct UploadReport {
    /// One per file that became a document.
    documents: Vec<UploadedDocument>,
    /// One per file that did not.
    errors: Vec<UploadError>,
}

/// Files that become documents (multipart `file` parts: .md, .markdown, .txt, .docx; optional `category_id`)
#[utoipa::path(
    post,
    path = "/spaces/{id}/upload",
    tag = "attachments",
    operation_id = "upload_documents",
    params(("id" = String, Path, description = "Space id")),
    request_body(content = String, content_type = "multipart/form-data", description = "`file` parts and an optional `category_id`"),
    responses((status = 200, body = UploadReport)),
    extensions(("x-error-codes" = json!([Code::Forbidden, Code::InvalidInput, Code::PayloadTooLarge, Code::ServerBusy]))),
)]
async fn upload_documents(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
    mut multipart: Multipart,
) -> Result<Json<UploadReport>> {
    check_id(&id, "space")?;
    // Before reading the files: a hidden space is 404. (Whether the caller may create there,
    // in the category named in the body, is checked once that is read.)
    crate::service::spaces::visible(&state.store, &who, &id)?;
    let mut files = Vec::new();
    let mut category_id = None;
    while let Some(field) = multipart.next_field().await.map_err(|e| {
        Error::invalid("file", format!("not a readable multipart body: {e}"))
            .because(Reason::Malformed)
    })? {
        match field.name() {
            Some("category_id") => {
                let v = field.text().await.map_err(|e| {
                    Error::invalid("category_id", format!("unreadable: {e}"))
                        .because(Reason::Malformed)
                })?;
                category_id = Some(v.trim().to_owned()).filter(|v| !v.is_empty());
            }
            Some("file") => {
                if files.len() >= MAX_DOCUMENT_FILES {
                    return Err(Error::invalid(
                        "file",
                        format!("at most {MAX_DOCUMENT_FILES} files at once"),
                    )
                    .because(Reason::TooMany)
                    .with("limit", MAX_DOCUMENT_FILES));
                }
                let filename = field.file_name().unwrap_or("").to_owned();
                let bytes = field.bytes().await.map_err(|e| match e.status().as_u16() {
                    413 => Error::PayloadTooLarge {
                        limit: MAX_UPLOAD_BYTES,
                    },
                    _ => Error::invalid("file", format!("the upload broke off: {e}"))
                        .because(Reason::Malformed),
                })?;
                files.push(crate::service::uploads::File {
                    filename,
                    bytes: bytes.to_vec(),
                });
            }
            _ => {}
        }
    }
    if files.is_empty() {
        return Err(
            Error::invalid("file", "no `file` part in the upload").because(Reason::Required)
        );
    }
    let (st, caller) = (state.clone(), who.clone());
    // Mostly waiting on the extraction worker (a .docx): a blocking thread, not the CPU pool.
    let (made, failed) = tokio::task::spawn_blocking(move || {
        crate::service::uploads::upload(
            &st.store,
            &st.blobs,
            &st.extract_worker(),
            &caller,
            &id,
            category_id,
            files,
            st.config.max_body_bytes,
        )
    })
    .await
    .map_err(Error::internal)??;
    state.store.flush().await?;
    state.notify_indexer();
    Ok(Json(UploadReport {
        documents: made
            .into_iter()
            .map(|m| UploadedDocument {
                id: m.id,
                title: m.title,
                filename: m.filename,
            })
            .collect(),
        errors: failed
            .into_iter()
            .map(|f| UploadError {
                filename: f.filename,
                code: f.code,
                message: f.message,
            })
            .collect(),
    }))
}

/// An attachment.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentView {
    /// Attachment id.
    id: String,
    /// The name it was uploaded under.
    filename: String,
    /// Bytes.
    size: u64,
    /// Its type.
    content_type: String,
    /// SHA-256 of the bytes.
    sha256: String,
    /// `pending`, `ok`, `no_text` or `failed`.
    text_status: TextStatus,
    /// Why extraction failed or found no text (Chinese).
    #[serde(skip_serializing_if = "Option::is_none")]
    text_error: Option<String>,
    /// Pages (PDF), slides or sheets of its text.
    pages: u32,
    /// Whether it opens in the browser (PDF, raster images); else it downloads.
    inline: bool,
    /// The document.
    doc_id: String,
    /// Uploaded at.
    created_at: DateTime<Utc>,
    /// Login of the uploader.
    uploaded_by: String,
    /// Name of the uploader.
    uploaded_by_name: String,
}

fn view(state: &AppState, a: Attachment) -> AttachmentView {
    let (login, name) = user_names(&state.store, &a.uploaded_by);
    AttachmentView {
        id: a.id,
        filename: a.filename,
        size: a.size,
        content_type: a.content_type,
        sha256: a.sha256,
        text_status: a.text_status,
        text_error: a.text_error,
        pages: a.pages,
        inline: a.inline,
        doc_id: a.doc_id,
        created_at: a.created_at,
        uploaded_by: login,
        uploaded_by_name: name,
    }
}

/// Attachments.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentList {
    /// Oldest first.
    attachments: Vec<AttachmentView>,
}

/// Writes one multipart field to a temporary blob file, hashing it, 413 past `limit`.
async fn receive(
    state: &AppState,
    field: &mut axum::extract::multipart::Field<'_>,
    filename: String,
    limit: u64,
) -> Result<Upload> {
    let blobs = state.blobs.clone();
    let (tmp, f) = tokio::task::spawn_blocking(move || blobs.temp())
        .await
        .map_err(Error::internal)??;
    let mut file = tokio::fs::File::from_std(f);
    let mut hash = Sha256::new();
    let mut size: u64 = 0;
    let mut head = Vec::new();
    let r: Result<()> = async {
        while let Some(chunk) = field.chunk().await.map_err(|e| {
            Error::invalid("file", format!("the upload broke off: {e}")).because(Reason::Malformed)
        })? {
            size += chunk.len() as u64;
            if size > limit {
                return Err(Error::PayloadTooLarge {
                    limit: usize::try_from(limit).unwrap_or(usize::MAX),
                });
            }
            if head.len() < 16 {
                head.extend_from_slice(&chunk[..chunk.len().min(16 - head.len())]);
            }
            hash.update(&chunk);
            file.write_all(&chunk)
                .await
                .map_err(|e| Error::internal(format!("cannot write an upload: {e}")))?;
        }
        file.sync_all()
            .await
            .map_err(|e| Error::internal(format!("cannot sync an upload: {e}")))
    }
    .await;
    if let Err(e) = r {
        let _ = tokio::fs::remove_file(&tmp).await;
        return Err(e);
    }
    Ok(Upload {
        filename,
        tmp,
        sha256: hex::encode(hash.finalize()),
        size,
        head,
    })
}

/// Attach files (multipart `file` parts; 413 past the size limit); their text is extracted in the background
#[utoipa::path(
    post,
    path = "/documents/{id}/attachments",
    tag = "attachments",
    operation_id = "upload_attachments",
    params(("id" = String, Path, description = "Document id")),
    request_body(content = String, content_type = "multipart/form-data", description = "`file` parts"),
    responses((status = 200, body = AttachmentList)),
    extensions(("x-error-codes" = json!([Code::Forbidden, Code::InvalidInput, Code::PayloadTooLarge]))),
)]
async fn upload(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
    mut multipart: Multipart,
) -> Result<Json<AttachmentList>> {
    check_id(&id, "document")?;
    // Before reading a byte: may the caller attach here at all?
    attachments::may_attach(&state.store, &who, &id)?;
    let limit = state.config.max_attachment_bytes;
    let mut out = Vec::new();
    while let Some(mut field) = multipart.next_field().await.map_err(|e| {
        Error::invalid("file", format!("not a readable multipart body: {e}"))
            .because(Reason::Malformed)
    })? {
        if field.name() != Some("file") {
            continue;
        }
        if out.len() >= MAX_FILES {
            return Err(
                Error::invalid("file", format!("at most {MAX_FILES} files at once"))
                    .because(Reason::TooMany)
                    .with("limit", MAX_FILES),
            );
        }
        let filename = attachments::clean_filename(field.file_name().unwrap_or(""))?;
        let up = receive(&state, &mut field, filename, limit).await?;
        let (st, caller, doc) = (state.clone(), who.clone(), id.clone());
        let a = tokio::task::spawn_blocking(move || {
            attachments::add(&st.store, &st.blobs, &caller, &doc, up)
        })
        .await
        .map_err(Error::internal)??;
        out.push(a);
    }
    if out.is_empty() {
        return Err(
            Error::invalid("file", "no `file` part in the upload").because(Reason::Required)
        );
    }
    state.store.flush().await?;
    state.extract_wake.notify_one();
    Ok(Json(AttachmentList {
        attachments: out.into_iter().map(|a| view(&state, a)).collect(),
    }))
}

/// The attachments of a document
#[utoipa::path(
    get,
    path = "/documents/{id}/attachments",
    tag = "attachments",
    operation_id = "list_attachments",
    params(("id" = String, Path, description = "Document id")),
    responses((status = 200, body = AttachmentList)),
)]
async fn list(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<AttachmentList>> {
    check_id(&id, "document")?;
    let list = attachments::list(&state.store, &who, &id)?;
    Ok(Json(AttachmentList {
        attachments: list.into_iter().map(|a| view(&state, a)).collect(),
    }))
}

/// One attachment
#[utoipa::path(
    get,
    path = "/attachments/{id}",
    tag = "attachments",
    operation_id = "read_attachment",
    params(("id" = String, Path, description = "Attachment id")),
    responses((status = 200, body = AttachmentView)),
)]
async fn read(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<AttachmentView>> {
    check_id(&id, "attachment")?;
    let a = attachments::get(&state.store, &who, &id)?;
    Ok(Json(view(&state, a)))
}

/// `Content-Disposition` with the original name: an ASCII fallback and the UTF-8 name
/// (RFC 6266 / 5987 `filename*`), so Chinese names survive every browser.
fn disposition(inline: bool, name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' && c != '%' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = url::form_urlencoded::byte_serialize(name.as_bytes())
        .collect::<String>()
        .replace('+', "%20");
    format!(
        "{}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}",
        if inline { "inline" } else { "attachment" }
    )
}

/// The bytes, with the original file name; only PDFs and raster images open inline, anything else (HTML, SVG…) downloads
#[utoipa::path(
    get,
    path = "/attachments/{id}/content",
    tag = "attachments",
    operation_id = "attachment_content",
    params(("id" = String, Path, description = "Attachment id")),
    responses((status = 200, description = "The file", body = inline(Binary), content_type = "application/octet-stream")),
)]
async fn content(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Response> {
    check_id(&id, "attachment")?;
    let (a, f) = attachments::open(&state.store, &state.blobs, &who, &id)?;
    let stream = tokio_util::io::ReaderStream::new(tokio::fs::File::from_std(f));
    let mut resp = Body::from_stream(stream).into_response();
    let h = resp.headers_mut();
    let ct = if a.inline {
        a.content_type.as_str()
    } else {
        "application/octet-stream"
    };
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(ct).unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(a.size));
    if let Ok(v) = HeaderValue::from_str(&disposition(a.inline, &a.filename)) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    Ok(resp)
}

/// Text shown of an attachment, at most (the whole text stays searchable).
const MAX_SHOWN_TEXT: usize = 2 * 1024 * 1024;

/// An attachment's extracted text.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentTextView {
    /// Where extraction stands.
    text_status: TextStatus,
    /// The plain text (the first 2 MB).
    text: String,
    /// Byte offsets in `text` where pages 2, 3… start.
    pages: Vec<usize>,
    /// Whether `text` was cut.
    truncated: bool,
    /// A Word file as sanitised HTML (headings, lists, tables; images left out).
    #[serde(skip_serializing_if = "Option::is_none")]
    html: Option<String>,
}

/// The text extracted from an attachment (a Word file also as HTML), for reading it in the browser
#[utoipa::path(
    get,
    path = "/attachments/{id}/text",
    tag = "attachments",
    operation_id = "attachment_text",
    params(("id" = String, Path, description = "Attachment id")),
    responses((status = 200, body = AttachmentTextView)),
    extensions(("x-error-codes" = json!([Code::ServerBusy]))),
)]
async fn text(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<AttachmentTextView>> {
    check_id(&id, "attachment")?;
    let (a, t) = attachments::text(&state.store, &who, &id)?;
    let Some(t) = t else {
        return Ok(Json(AttachmentTextView {
            text_status: a.text_status,
            text: String::new(),
            pages: Vec::new(),
            truncated: false,
            html: None,
        }));
    };
    // Rendering a converted Word file is CPU work.
    let view = state
        .cpu
        .run(move || {
            let truncated = t.text.len() > MAX_SHOWN_TEXT;
            let mut text = t.text;
            if truncated {
                let mut cut = MAX_SHOWN_TEXT;
                while !text.is_char_boundary(cut) {
                    cut -= 1;
                }
                text.truncate(cut);
            }
            let html = t.markdown.as_deref().map(|md| {
                // Its images were not kept with an attached file: their alternative text only.
                let md = md.replace("](attachment:", "](#");
                crate::markdown::render(&md).html
            });
            Ok(AttachmentTextView {
                text_status: a.text_status,
                pages: t.pages.into_iter().filter(|p| *p <= text.len()).collect(),
                text,
                truncated,
                html,
            })
        })
        .await?;
    Ok(Json(view))
}

/// The answer to removing an attachment.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentRemoved {
    /// Always true.
    removed: bool,
}

/// Remove an attachment (those who may edit its document)
#[utoipa::path(
    delete,
    path = "/attachments/{id}",
    tag = "attachments",
    operation_id = "delete_attachment",
    params(("id" = String, Path, description = "Attachment id")),
    responses((status = 200, body = AttachmentRemoved)),
    extensions(("x-error-codes" = json!([Code::Forbidden]))),
)]
async fn remove(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<AttachmentRemoved>> {
    check_id(&id, "attachment")?;
    let (st, caller) = (state.clone(), who.clone());
    tokio::task::spawn_blocking(move || attachments::delete(&st.store, &st.blobs, &caller, &id))
        .await
        .map_err(Error::internal)??;
    state.store.flush().await?;
    state.notify_indexer();
    Ok(Json(AttachmentRemoved { removed: true }))
}

#[cfg(test)]
mod tests {
    use super::disposition;

    #[test]
    fn chinese_names_survive_in_content_disposition() {
        assert_eq!(
            disposition(false, "报告 \"终稿\".docx"),
            "attachment; filename=\"__ ____.docx\"; filename*=UTF-8''%E6%8A%A5%E5%91%8A%20%22%E7%BB%88%E7%A8%BF%22.docx"
        );
        assert!(disposition(true, "a.pdf").starts_with("inline; filename=\"a.pdf\""));
    }
}
