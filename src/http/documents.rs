//! Documents: create, read (the version this caller should see), save with conflict detection,
//! history, any version, diff, restore, trash, favourites, my drafts.

use axum::{
    Json, Router,
    extract::State,
    routing::{get, post, put},
};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::{
    AppState,
    domain::diff::TextChanges,
    error::{Code, Error, Reason, Result},
    http::auth::CurrentUser,
    http::extract::{ApiJson, ApiPath, ApiQuery, check_id},
    http::openapi::INVALID_INPUT_422,
    markdown::{Rendered, TocEntry},
    model::{Doc, DocKind, DocStatus},
    service::{
        actions,
        documents::{
            self as docs,
            checked::{self, CreateInput, ListFilter, SaveInput},
            user_names,
        },
        records, templates,
    },
    store::Store,
};

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/documents", post(create).get(list))
        .route("/documents/{id}", get(read).put(save).delete(trash))
        .route("/documents/{id}/undelete", post(undelete))
        .route("/documents/{id}/versions", get(versions))
        .route("/documents/{id}/versions/{n}", get(version))
        .route("/documents/{id}/diff", get(diff))
        .route("/documents/{id}/restore", post(restore))
        .route(
            "/documents/{id}/favourite",
            put(favourite).delete(unfavourite),
        )
        .route("/favourites", get(favourites))
        .route("/trash", get(trash_list))
        .route("/drafts", get(drafts))
}

/// The operations of this module, for the API description.
#[derive(OpenApi)]
#[openapi(paths(
    create,
    list,
    read,
    save,
    trash,
    undelete,
    versions,
    version,
    diff,
    restore,
    favourite,
    unfavourite,
    favourites,
    trash_list,
    drafts
))]
pub struct ApiDoc;

/// A document summary, as lists show it: the head for those who may edit it, else the published
/// version.
#[derive(Debug, Serialize, ToSchema)]
pub struct DocSummary {
    /// Document id.
    id: String,
    /// Document or record.
    kind: DocKind,
    /// A record's type.
    #[serde(skip_serializing_if = "Option::is_none")]
    record_type: Option<String>,
    /// Title.
    title: String,
    /// Tags.
    tags: Vec<String>,
    /// The space.
    space_id: String,
    /// The category, or none at the space root.
    category_id: Option<String>,
    /// The version summarised.
    version: u64,
    /// Where the head version stands.
    status: DocStatus,
    /// The version readers see, if any.
    published_version: Option<u64>,
    /// Login name of the version's author.
    author: String,
    /// Display name of the version's author.
    author_name: String,
    /// Time of the version.
    updated_at: DateTime<Utc>,
    /// In the trash since (trash lists only).
    #[serde(skip_serializing_if = "Option::is_none")]
    deleted_at: Option<DateTime<Utc>>,
}

/// A list of document summaries.
#[derive(Debug, Serialize, ToSchema)]
pub struct DocList {
    /// How many there are (`items` may be one page of them).
    total: usize,
    /// The summaries.
    items: Vec<DocSummary>,
}

impl DocList {
    fn of(items: Vec<DocSummary>) -> Self {
        DocList {
            total: items.len(),
            items,
        }
    }
}

/// A document as this caller should see it: the head for those who may edit it, else the
/// published version.
#[derive(Debug, Serialize, ToSchema)]
pub struct DocView {
    /// Document id.
    id: String,
    /// Document or record.
    kind: DocKind,
    /// A record's type (`meeting-minutes`…).
    #[serde(skip_serializing_if = "Option::is_none")]
    record_type: Option<String>,
    /// A record type's Chinese name (会议纪要…).
    #[serde(skip_serializing_if = "Option::is_none")]
    record_name: Option<String>,
    /// A record's fields at this version.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    fields: Option<serde_json::Value>,
    /// Title.
    title: String,
    /// Body (Markdown; a record's is rendered from its fields).
    body: String,
    /// Tags.
    tags: Vec<String>,
    /// The space.
    space_id: String,
    /// The category, or none at the space root.
    category_id: Option<String>,
    /// The version shown.
    version: u64,
    /// Where the head version stands.
    status: DocStatus,
    /// The version readers see, if any.
    published_version: Option<u64>,
    /// Login name of the version's author.
    author: String,
    /// Display name of the version's author.
    author_name: String,
    /// Creation time.
    created_at: DateTime<Utc>,
    /// Time of the version.
    updated_at: DateTime<Utc>,
    /// Whether it is among the caller's favourites.
    favourite: bool,
    /// Whether the caller may edit it.
    can_edit: bool,
    /// Date by which it should be reviewed again.
    review_by: Option<NaiveDate>,
    /// Display names of those who approved the published version, when that is the version shown.
    approved_by: Vec<String>,
    /// How often it was read (opened by an account; a refresh within 30 minutes counts once).
    read_count: u64,
    /// The categories from the space root down to the document's that the caller may read,
    /// root-most first (breadcrumbs without loading the space's categories).
    category_path: Vec<CategoryRef>,
    /// Sanitised HTML of the body (reads only, not write answers).
    #[serde(skip_serializing_if = "Option::is_none")]
    html: Option<String>,
    /// Table of contents (reads only, not write answers).
    #[serde(skip_serializing_if = "Option::is_none")]
    toc: Option<Vec<TocEntry>>,
    /// On a save answer: the save was merged three-way with versions saved since its base.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    merged: bool,
    /// Whether the caller watches it (directly or through its space).
    watching: bool,
    /// Comments shown under it (deleted ones not counted).
    comment_count: usize,
    /// Others who have its editor open now.
    editing: Vec<crate::http::collab::EditorView>,
}

/// A category named on a document.
#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryRef {
    /// Category id.
    id: String,
    /// Its name.
    name: String,
}

/// Builds a summary of the head (for those who may see drafts) or of the published version.
fn summary(store: &Store, doc: &Doc) -> DocSummary {
    let (author, author_name) = user_names(store, &doc.updated_by);
    DocSummary {
        id: doc.id.clone(),
        kind: doc.kind,
        record_type: doc.record_type.clone(),
        title: doc.title.clone(),
        tags: doc.tags.clone(),
        space_id: doc.space_id.clone(),
        category_id: doc.category_id.clone(),
        version: doc.version,
        status: doc.status,
        published_version: doc.published_version,
        author,
        author_name,
        updated_at: doc.updated_at,
        deleted_at: doc.deleted.as_ref().map(|d| d.at),
    }
}

/// A new document.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CreateDocument)]
struct CreateRequest {
    /// The space.
    space_id: String,
    /// The category, or none at the space root.
    #[serde(default)]
    category_id: Option<String>,
    /// Title (a record's defaults to its title, item or project field).
    #[serde(default)]
    title: Option<String>,
    /// Body (Markdown).
    #[serde(default)]
    body: String,
    /// Tags.
    #[serde(default)]
    tags: Vec<String>,
    /// Save message of version 1.
    #[serde(default)]
    message: Option<String>,
    /// Makes a record of this type (`GET /record-types`), its body rendered from `fields`.
    #[serde(default)]
    record_type: Option<String>,
    /// A record's fields (422 `invalid_record` with `errors` when they do not follow the type).
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    fields: Option<serde_json::Value>,
    /// Start from this template (`GET /templates`): its variables resolved; `fields` given too
    /// replace the template's top-level fields, a `title` its title.
    #[serde(default)]
    template_id: Option<String>,
}

/// Create a document (version 1)
#[utoipa::path(
    post,
    path = "/documents",
    tag = "documents",
    operation_id = "create_document",
    request_body = CreateRequest,
    responses((status = 200, description = "The document (without `html` and `toc`)", body = DocView)),
    extensions(("x-error-codes" = json!([Code::NotFound, Code::Forbidden, INVALID_INPUT_422, Code::InvalidRecord, Code::ServerBusy]))),
)]
async fn create(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiJson(req): ApiJson<CreateRequest>,
) -> Result<Json<DocView>> {
    // Validation parses the body and a save encodes it: CPU work, off the async workers.
    let (st, caller) = (state.clone(), who.clone());
    let now = state.clock.now();
    let doc = state
        .cpu
        .run(move || {
            let max = st.config.max_body_bytes;
            let store = &st.store;
            let mut req = req;
            if let Some(t) = req.template_id.take() {
                let d = templates::apply(
                    store,
                    &caller,
                    &t,
                    &req.space_id,
                    templates::Draft {
                        title: req.title.take(),
                        body: std::mem::take(&mut req.body),
                        record_type: req.record_type.take(),
                        fields: req.fields.take(),
                    },
                    now,
                )?;
                (req.title, req.body, req.record_type, req.fields) =
                    (d.title, d.body, d.record_type, d.fields);
            }
            let content = match (&req.record_type, &req.fields) {
                (Some(kind), Some(fields)) => {
                    records::content(store, kind, fields, req.title.as_deref(), &req.tags, max)?
                }
                (Some(_), None) => {
                    return Err(Error::invalid("fields", "a record needs its fields")
                        .because(Reason::Required)
                        .unprocessable());
                }
                (None, Some(_)) => {
                    return Err(Error::invalid("record_type", "fields need a record type")
                        .because(Reason::Required)
                        .unprocessable());
                }
                (None, None) => docs::validate(
                    req.title.as_deref().unwrap_or(""),
                    &req.body,
                    &req.tags,
                    max,
                )?,
            };
            let message = docs::validate_message(req.message.as_deref())?;
            let doc = checked::create(
                store,
                &caller,
                CreateInput {
                    space_id: req.space_id,
                    category_id: req.category_id,
                    content,
                    message,
                    record_type: req.record_type,
                    id: None,
                },
            )?;
            actions::refresh(store, &doc.id)?;
            Ok(doc)
        })
        .await?;
    state.store.flush().await?;
    state.notify_indexer();
    Ok(Json(view(&state, &who, doc, true, None)?))
}

/// The view of a document at the version given in `doc` (head or published). Reads pass its
/// rendering (`html` and `toc` are included); write answers pass None: the saved fields only,
/// rendering is the next read's business (it costs about 0.8 ms for 20 KB, a third of a save).
fn view(
    state: &AppState,
    who: &CurrentUser,
    doc: Doc,
    may_edit: bool,
    rendered: Option<&Rendered>,
) -> Result<DocView> {
    let store = &state.store;
    let (author, author_name) = user_names(store, &doc.updated_by);
    let favourite = store.favourites.contains(who.id(), &doc.id)?;
    // Approvals belong to the published version: shown only when that is the version shown.
    let approved_by = if doc.published_version == Some(doc.version) {
        doc.approved_by
            .iter()
            .map(|u| user_names(store, u).1)
            .collect()
    } else {
        Vec::new()
    };
    let read_count = crate::service::stats::read_count(store, &doc.id)?;
    let watching = crate::service::collab::watching(store, who, &doc)?;
    let comment_count = crate::service::collab::count(store, &doc.id)?;
    let doc_id = doc.id.clone();
    let category_path = checked::readable_category_path(store, who, doc.category_id.as_deref())?
        .into_iter()
        .map(|c| CategoryRef {
            id: c.id,
            name: c.name,
        })
        .collect();
    let fields = records::fields_of(&doc).map(|(_, f)| f);
    let body = records::shown_body(&doc).to_owned();
    let record_name = doc
        .record_type
        .as_deref()
        .and_then(|t| crate::records::schemas().get(t).ok())
        .map(|t| t.title.clone());
    Ok(DocView {
        id: doc.id,
        kind: doc.kind,
        record_type: doc.record_type,
        record_name,
        fields,
        title: doc.title,
        body,
        tags: doc.tags,
        space_id: doc.space_id,
        category_id: doc.category_id,
        version: doc.version,
        status: doc.status,
        published_version: doc.published_version,
        author,
        author_name,
        created_at: doc.created_at,
        updated_at: doc.updated_at,
        favourite,
        can_edit: may_edit,
        review_by: doc.review_by,
        approved_by,
        read_count,
        category_path,
        html: rendered.map(|r| r.html.clone()),
        toc: rendered.map(|r| r.toc.clone()),
        merged: false,
        watching,
        comment_count,
        editing: crate::http::collab::editors(state, &doc_id, who.id()),
    })
}

/// The rendered view of a document as the caller should see it. A cached rendering of the head is
/// answered at once; rebuilding an older published version and rendering run on the CPU pool.
async fn rendered_view(state: &AppState, who: &CurrentUser, id: &str) -> Result<DocView> {
    check_id(id, "document")?;
    let r = checked::readable(&state.store, who, id)?;
    if r.visible == r.head.version
        && let Some(html) = state.renders.cached(&r.head.id, r.head.version)
    {
        return view(state, who, r.head, r.may_edit, Some(&html));
    }
    let (st, caller) = (state.clone(), who.clone());
    state
        .cpu
        .run(move || {
            let (doc, may_edit) = r.into_view(&st.store)?;
            let html = st
                .renders
                .get(&doc.id, doc.version, records::shown_body(&doc));
            view(&st, &caller, doc, may_edit, Some(&html))
        })
        .await
}

/// The version this caller should see, with sanitised HTML and a table of contents
#[utoipa::path(
    get,
    path = "/documents/{id}",
    tag = "documents",
    operation_id = "read_document",
    params(("id" = String, Path, description = "Document id")),
    responses((status = 200, description = "The document, rendered", body = DocView)),
    extensions(("x-error-codes" = json!([Code::ServerBusy]))),
)]
async fn read(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<DocView>> {
    let mut v = rendered_view(&state, &who, &id).await?;
    v.read_count =
        crate::service::stats::record_read(&state.store, &who, &v.id, &v.space_id, Utc::now())?;
    Ok(Json(v))
}

/// A new version.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = SaveDocument)]
struct SaveRequest {
    /// Title (required for documents; a record's defaults to one taken from its fields).
    #[serde(default)]
    title: Option<String>,
    /// Body (Markdown; documents only).
    #[serde(default)]
    body: Option<String>,
    /// A record's fields (records only, instead of `body`).
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    fields: Option<serde_json::Value>,
    /// Tags.
    #[serde(default)]
    tags: Vec<String>,
    /// Move to this category (`null`: the space root); absent: stay.
    #[serde(default, with = "crate::http::extract::double_option")]
    category_id: Option<Option<String>>,
    /// The version this one was edited from: a stale one answers 409 `edit_conflict`.
    base_version: u64,
    /// Save message.
    #[serde(default)]
    message: Option<String>,
    /// When the save publishes directly: readers who acknowledged an older version in an
    /// onboarding collection must acknowledge again (需重新确认).
    #[serde(default)]
    reconfirm: bool,
    /// With a stale `base_version`: merge three-way with the versions saved since when the edits
    /// touch different lines (the answer says `merged: true`); overlapping edits answer 409
    /// `edit_conflict` with `conflicts`, `parts`, `fields` and `current`.
    #[serde(default)]
    merge: bool,
}

/// Save a new version on top of base_version (409 edit_conflict when stale)
#[utoipa::path(
    put,
    path = "/documents/{id}",
    tag = "documents",
    operation_id = "save_document",
    params(("id" = String, Path, description = "Document id")),
    request_body = SaveRequest,
    responses((status = 200, description = "The document (without `html` and `toc`)", body = DocView)),
    extensions(("x-error-codes" = json!([Code::Forbidden, Code::EditConflict, INVALID_INPUT_422, Code::InvalidRecord, Code::ServerBusy]))),
)]
async fn save(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<SaveRequest>,
) -> Result<Json<DocView>> {
    check_id(&id, "document")?;
    let (st, caller) = (state.clone(), who.clone());
    let saved = state
        .cpu
        .run(move || {
            let max = st.config.max_body_bytes;
            let (content, record) = match req.fields {
                // A record's content is built from its fields once the caller may edit it.
                Some(fields) => {
                    if req.body.is_some() {
                        return Err(Error::invalid("body", "a record is saved with its fields")
                            .because(Reason::BadValue)
                            .unprocessable());
                    }
                    let tags = docs::validate_fields("-", "", &req.tags, max)?.tags;
                    (
                        docs::DocContent {
                            title: req.title.clone().unwrap_or_default(),
                            body: String::new(),
                            tags,
                        },
                        Some(checked::RecordInput {
                            fields,
                            title_given: req.title.as_deref().is_some_and(|t| !t.trim().is_empty()),
                        }),
                    )
                }
                None => {
                    let body = req.body.ok_or_else(|| {
                        Error::invalid("body", "the body is missing").because(Reason::Required)
                    })?;
                    let title = req.title.unwrap_or_default();
                    (docs::validate(&title, &body, &req.tags, max)?, None)
                }
            };
            let message = docs::validate_message(req.message.as_deref())?;
            let saved = checked::save(
                &st.store,
                &caller,
                &id,
                SaveInput {
                    content,
                    category_id: req.category_id,
                    base_version: req.base_version,
                    message,
                    reconfirm: req.reconfirm,
                    merge: req.merge,
                    max_body_bytes: max,
                    record,
                },
            )?;
            if saved.changed {
                actions::refresh(&st.store, &id)?;
            }
            Ok(saved)
        })
        .await?;
    if saved.changed {
        state.store.flush().await?;
        state.notify_indexer();
    }
    let merged = saved.merged;
    Ok(Json(DocView {
        merged,
        ..view(&state, &who, saved.doc, true, None)?
    }))
}

/// The answer to moving a document to the trash.
#[derive(Debug, Serialize, ToSchema)]
pub struct Trashed {
    /// Document id.
    id: String,
    /// Always true.
    deleted: bool,
    /// In the trash since.
    deleted_at: Option<DateTime<Utc>>,
}

/// Move to the trash
#[utoipa::path(
    delete,
    path = "/documents/{id}",
    tag = "documents",
    operation_id = "trash_document",
    params(("id" = String, Path, description = "Document id")),
    responses((status = 200, body = Trashed)),
    extensions(("x-error-codes" = json!([Code::Forbidden]))),
)]
async fn trash(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Trashed>> {
    check_id(&id, "document")?;
    let store = &state.store;
    let doc = checked::trash(store, &who, &id)?;
    store.flush().await?;
    state.notify_indexer();
    Ok(Json(Trashed {
        id: doc.id,
        deleted: true,
        deleted_at: doc.deleted.map(|d| d.at),
    }))
}

/// Bring back from the trash
#[utoipa::path(
    post,
    path = "/documents/{id}/undelete",
    tag = "documents",
    operation_id = "undelete_document",
    params(("id" = String, Path, description = "Document id")),
    responses((status = 200, description = "The document, rendered", body = DocView)),
    extensions(("x-error-codes" = json!([Code::Forbidden, Code::NotInTrash, Code::ServerBusy]))),
)]
async fn undelete(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<DocView>> {
    check_id(&id, "document")?;
    let store = &state.store;
    checked::undelete(store, &who, &id)?;
    store.flush().await?;
    state.notify_indexer();
    Ok(Json(rendered_view(&state, &who, &id).await?))
}

/// A version in the history.
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionItem {
    /// Number.
    version: u64,
    /// Login name of the author.
    author: String,
    /// Display name of the author.
    author_name: String,
    /// Saved at.
    created_at: DateTime<Utc>,
    /// Save message.
    message: String,
    /// Body size in bytes.
    size: u64,
    /// Title at this version.
    title: String,
}

/// History, newest first
#[utoipa::path(
    get,
    path = "/documents/{id}/versions",
    tag = "documents",
    operation_id = "document_versions",
    params(("id" = String, Path, description = "Document id")),
    responses((status = 200, description = "The versions the caller may read", body = Vec<VersionItem>)),
)]
async fn versions(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Vec<VersionItem>>> {
    check_id(&id, "document")?;
    let list = checked::history(&state.store, &who, &id)?;
    let items = list
        .into_iter()
        .map(|v| {
            let (author, author_name) = user_names(&state.store, &v.author);
            VersionItem {
                version: v.version,
                author,
                author_name,
                created_at: v.created_at,
                message: v.message,
                size: v.size,
                title: v.title,
            }
        })
        .collect();
    Ok(Json(items))
}

/// One version, whole and rendered.
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionView {
    /// Document id.
    id: String,
    /// Number.
    version: u64,
    /// Title at this version.
    title: String,
    /// Body (Markdown) at this version.
    body: String,
    /// Tags at this version.
    tags: Vec<String>,
    /// Category at this version.
    category_id: Option<String>,
    /// Login name of the author.
    author: String,
    /// Display name of the author.
    author_name: String,
    /// Saved at.
    created_at: DateTime<Utc>,
    /// Save message.
    message: String,
    /// SHA-256 over title, tags and body.
    hash: String,
    /// Sanitised HTML of the body.
    html: String,
}

/// One version, whole
#[utoipa::path(
    get,
    path = "/documents/{id}/versions/{n}",
    tag = "documents",
    operation_id = "document_version",
    params(
        ("id" = String, Path, description = "Document id"),
        ("n" = u64, Path, description = "Version number"),
    ),
    responses((status = 200, body = VersionView)),
    extensions(("x-error-codes" = json!([Code::ServerBusy]))),
)]
async fn version(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath((id, n)): ApiPath<(String, String)>,
) -> Result<Json<VersionView>> {
    let n: u64 = n.parse().map_err(|_| Error::NotFound("version"))?;
    check_id(&id, "document")?;
    // Checked first, so that a version the caller may not read costs no rebuild.
    let head = checked::readable_versions(&state.store, &who, &id, &[n])?;
    // Rebuilding a version and rendering it are CPU work.
    let st = state.clone();
    let (v, html) = state
        .cpu
        .run(move || {
            let v = docs::version(&st.store, &head, n)?;
            let r = st.renders.get(&head.id, v.version, &v.body);
            Ok((v, r))
        })
        .await?;
    let (author, author_name) = user_names(&state.store, &v.author);
    Ok(Json(VersionView {
        id,
        version: v.version,
        title: v.title,
        body: v.body,
        tags: v.tags,
        category_id: v.category_id,
        author,
        author_name,
        created_at: v.created_at,
        message: v.message,
        hash: v.hash,
        html: html.html.clone(),
    }))
}

/// The two versions to compare.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct DiffQuery {
    /// The older version.
    #[param(value_type = u64)]
    from: String,
    /// The newer version.
    #[param(value_type = u64)]
    to: String,
}

/// The diff between two versions of a document (their bodies; title and tag changes beside).
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionDiff {
    /// Older side.
    from: u64,
    /// Newer side.
    to: u64,
    /// Title change, if any: [old, new].
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(min_items = 2, max_items = 2)]
    title: Option<[String; 2]>,
    /// Tags added.
    tags_added: Vec<String>,
    /// Tags removed.
    tags_removed: Vec<String>,
    /// The body changes.
    #[serde(flatten)]
    changes: TextChanges,
    /// A record's changed fields, in form order (the body changes are those of the Markdown
    /// rendered from them).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    field_changes: Vec<crate::records::FieldChange>,
}

impl From<docs::VersionDiff> for VersionDiff {
    fn from(d: docs::VersionDiff) -> Self {
        // Whole, so that a field added there cannot be left out here.
        let docs::VersionDiff {
            from,
            to,
            title,
            tags_added,
            tags_removed,
            changes,
        } = d;
        VersionDiff {
            from,
            to,
            title,
            tags_added,
            tags_removed,
            changes,
            field_changes: Vec::new(),
        }
    }
}

/// Diff between two versions (?from=&to=): line hunks with word-level changes
#[utoipa::path(
    get,
    path = "/documents/{id}/diff",
    tag = "documents",
    operation_id = "document_diff",
    params(("id" = String, Path, description = "Document id"), DiffQuery),
    responses((status = 200, body = VersionDiff)),
    extensions(("x-error-codes" = json!([Code::ServerBusy]))),
)]
async fn diff(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<DiffQuery>,
) -> Result<Json<VersionDiff>> {
    let parse = |s: &str, field: &str| -> Result<u64> {
        s.parse::<u64>().map_err(|_| {
            Error::invalid(field, "a version number is expected").because(Reason::BadValue)
        })
    };
    let (from, to) = (parse(&q.from, "from")?, parse(&q.to, "to")?);
    check_id(&id, "document")?;
    let head = checked::readable_versions(&state.store, &who, &id, &[from, to])?;
    // Rebuilding both versions and diffing them are CPU work (bounded: see `domain::diff`).
    let st = state.clone();
    let d = state
        .cpu
        .run(move || {
            let mut a = docs::version(&st.store, &head, from)?;
            let mut b = docs::version(&st.store, &head, to)?;
            if head.kind != DocKind::Record {
                return Ok(docs::diff_versions(&a, &b, &crate::text::words).into());
            }
            // A record: the rendered Markdown line by line, and its fields one by one.
            let (ta, fa) = crate::records::split(&a.body);
            let (tb, fb) = crate::records::split(&b.body);
            let field_changes =
                match (fa, fb, head.record_type.as_deref()) {
                    (Some((_, x)), Some((_, y)), Some(t)) => crate::records::schemas()
                        .get(t)?
                        .changes(&x, &y, &records::names(&st.store)),
                    _ => Vec::new(),
                };
            (a.body, b.body) = (ta.to_owned(), tb.to_owned());
            Ok(VersionDiff {
                field_changes,
                ..docs::diff_versions(&a, &b, &crate::text::words).into()
            })
        })
        .await?;
    Ok(Json(d))
}

/// Which version to restore.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = RestoreDocument)]
struct RestoreRequest {
    /// The old version to make current again.
    version: u64,
    /// The head version the caller saw (default: the head now); a stale one answers 409
    /// `edit_conflict`.
    #[serde(default)]
    base_version: Option<u64>,
}

/// Make a new version equal to an old one
#[utoipa::path(
    post,
    path = "/documents/{id}/restore",
    tag = "documents",
    operation_id = "restore_document",
    params(("id" = String, Path, description = "Document id")),
    request_body = RestoreRequest,
    responses((status = 200, description = "The document (without `html` and `toc`)", body = DocView)),
    extensions(("x-error-codes" = json!([Code::Forbidden, Code::EditConflict, Code::ServerBusy]))),
)]
async fn restore(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<RestoreRequest>,
) -> Result<Json<DocView>> {
    check_id(&id, "document")?;
    let (st, caller) = (state.clone(), who.clone());
    // Rebuilding the old version is CPU work: on the pool.
    let saved = state
        .cpu
        .run(move || {
            let saved = checked::restore(&st.store, &caller, &id, req.version, req.base_version)?;
            if saved.changed {
                actions::refresh(&st.store, &id)?;
            }
            Ok(saved)
        })
        .await?;
    if saved.changed {
        state.store.flush().await?;
        state.notify_indexer();
    }
    let merged = saved.merged;
    Ok(Json(DocView {
        merged,
        ..view(&state, &who, saved.doc, true, None)?
    }))
}

/// Whether a document is among the caller's favourites, after a change.
#[derive(Debug, Serialize, ToSchema)]
pub struct Favourite {
    /// Document id.
    id: String,
    /// Whether it is a favourite now.
    favourite: bool,
}

/// Add to favourites
#[utoipa::path(
    put,
    path = "/documents/{id}/favourite",
    tag = "documents",
    operation_id = "add_favourite",
    params(("id" = String, Path, description = "Document id")),
    responses((status = 200, body = Favourite)),
)]
async fn favourite(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Favourite>> {
    check_id(&id, "document")?;
    checked::set_favourite(&state.store, &who, &id, true)?;
    state.store.flush().await?;
    Ok(Json(Favourite {
        id,
        favourite: true,
    }))
}

/// Remove from favourites
#[utoipa::path(
    delete,
    path = "/documents/{id}/favourite",
    tag = "documents",
    operation_id = "remove_favourite",
    params(("id" = String, Path, description = "Document id")),
    responses((status = 200, body = Favourite)),
)]
async fn unfavourite(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Favourite>> {
    check_id(&id, "document")?;
    checked::set_favourite(&state.store, &who, &id, false)?;
    state.store.flush().await?;
    Ok(Json(Favourite {
        id,
        favourite: false,
    }))
}

/// The caller's favourites
#[utoipa::path(
    get,
    path = "/favourites",
    tag = "documents",
    operation_id = "favourites",
    responses((status = 200, body = DocList)),
)]
async fn favourites(State(state): State<AppState>, who: CurrentUser) -> Result<Json<DocList>> {
    let store = &state.store;
    let items = checked::favourites(store, &who)?
        .iter()
        .map(|d| summary(store, d))
        .collect();
    Ok(Json(DocList::of(items)))
}

/// Filters and page of the document list.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// Only this space.
    #[serde(default)]
    space_id: Option<String>,
    /// Only this category (not its children).
    #[serde(default)]
    category_id: Option<String>,
    /// Page size, 1 to 100 (default 20).
    #[serde(default)]
    limit: Option<usize>,
    /// Documents to skip.
    #[serde(default)]
    offset: Option<usize>,
    /// `recent` (default: last changed first) or `title`.
    #[serde(default)]
    #[param(pattern = "^(recent|title)$")]
    sort: Option<String>,
}

/// List documents the caller may read (filters: space_id, category_id; sort recent or title)
#[utoipa::path(
    get,
    path = "/documents",
    tag = "documents",
    operation_id = "list_documents",
    params(ListQuery),
    responses((status = 200, description = "One page; `total` counts them all", body = DocList)),
)]
async fn list(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<DocList>> {
    let store = &state.store;
    let limit = q.limit.unwrap_or(20).clamp(1, 100);
    let offset = q.offset.unwrap_or(0);
    let by_title = match q.sort.as_deref() {
        None | Some("recent") => false,
        Some("title") => true,
        Some(_) => {
            return Err(Error::invalid("sort", "sort is `recent` or `title`")
                .because(Reason::NotOneOf)
                .with("allowed", ["recent", "title"]));
        }
    };
    let visible = checked::list(
        store,
        &who,
        &ListFilter {
            space_id: q.space_id.as_deref(),
            category_id: q.category_id.as_deref(),
            by_title,
        },
    )?;
    let total = visible.len();
    let items: Vec<DocSummary> = visible
        .iter()
        .skip(offset)
        .take(limit)
        .map(|d| summary(store, d))
        .collect();
    Ok(Json(DocList { total, items }))
}

/// Documents in the trash the caller may restore
#[utoipa::path(
    get,
    path = "/trash",
    tag = "documents",
    operation_id = "trash",
    responses((status = 200, description = "Most recently deleted first", body = DocList)),
)]
async fn trash_list(State(state): State<AppState>, who: CurrentUser) -> Result<Json<DocList>> {
    let store = &state.store;
    let items = checked::trash_list(store, &who)?
        .iter()
        .map(|d| summary(store, d))
        .collect();
    Ok(Json(DocList::of(items)))
}

/// The caller's drafts and documents under review
#[utoipa::path(
    get,
    path = "/drafts",
    tag = "documents",
    operation_id = "drafts",
    responses((status = 200, description = "Most recently changed first", body = DocList)),
)]
async fn drafts(State(state): State<AppState>, who: CurrentUser) -> Result<Json<DocList>> {
    let store = &state.store;
    let items = checked::drafts(store, &who)?
        .iter()
        .map(|d| summary(store, d))
        .collect();
    Ok(Json(DocList::of(items)))
}
