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
    domain::{
        diff::TextChanges,
        permission::{Action, Decision, Scopes, Subject},
    },
    error::{Code, Error, Reason, Result},
    http::auth::CurrentUser,
    http::extract::{ApiJson, ApiPath, ApiQuery, check_id},
    http::openapi::INVALID_INPUT_422,
    markdown::{Rendered, TocEntry},
    model::{Doc, DocKind, DocStatus},
    service::access::{self, load_space},
    service::documents::{self as docs, Actor, DocContent, NewDoc, Update},
    service::documents::{published_view, user_names},
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

/// The actor of a change, from the request.
pub fn actor(who: &CurrentUser) -> Actor {
    Actor {
        id: who.user.id.clone(),
        name: who.user.username.clone(),
        ip: Some(who.ip.clone()),
    }
}

/// Does a new version in this place need a review before readers see it?
pub fn needs_review(store: &Store, space_id: &str, category_id: Option<&str>) -> Result<bool> {
    let chain = access::chain(store, category_id)?;
    for c in chain.iter().rev() {
        if let Some(p) = &c.review_policy {
            return Ok(!p.stages.is_empty());
        }
    }
    let space = load_space(store, space_id)?;
    Ok(space
        .review_policy
        .as_ref()
        .is_some_and(|p| !p.stages.is_empty()))
}

/// A document summary, as lists show it: the head for those who may edit it, else the published
/// version.
#[derive(Debug, Serialize, ToSchema)]
pub struct DocSummary {
    /// Document id.
    id: String,
    /// Document or record.
    kind: DocKind,
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
    /// Title.
    title: String,
    /// Body (Markdown).
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
    /// Sanitised HTML of the body (reads only, not write answers).
    #[serde(skip_serializing_if = "Option::is_none")]
    html: Option<String>,
    /// Table of contents (reads only, not write answers).
    #[serde(skip_serializing_if = "Option::is_none")]
    toc: Option<Vec<TocEntry>>,
}

/// Builds a summary of the head (for those who may see drafts) or of the published version.
fn summary(store: &Store, doc: &Doc) -> DocSummary {
    let (author, author_name) = user_names(store, &doc.updated_by);
    DocSummary {
        id: doc.id.clone(),
        kind: doc.kind,
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
    /// Title.
    title: String,
    /// Body (Markdown).
    #[serde(default)]
    body: String,
    /// Tags.
    #[serde(default)]
    tags: Vec<String>,
    /// Save message of version 1.
    #[serde(default)]
    message: Option<String>,
}

/// The answer for a space or category named in a request that does not exist. To anyone from
/// whom something may be hidden it is the 404 a hidden one gets, so that the two cannot be told
/// apart; an administrator, who sees everything, gets a plain validation error on the field.
fn no_such(who: &Subject, field: &str, what: &'static str) -> Error {
    if who.is_effective_admin(Utc::now()) {
        Error::invalid(field, format!("no such {what}")).because(Reason::NoSuch)
    } else {
        Error::NotFound(what)
    }
}

/// Checks that a category the caller may read exists in the given space. A category that does not
/// exist and one the caller may not read (in any space) answer alike: 404 `category` (see
/// [`no_such`]).
fn check_category(
    store: &Store,
    who: &Subject,
    space_id: &str,
    category_id: Option<&str>,
) -> Result<()> {
    if let Some(c) = category_id {
        let cat = access::load_category(store, c).map_err(|e| match e {
            Error::NotFound(_) => no_such(who, "category_id", "category"),
            e => e,
        })?;
        let space = load_space(store, &cat.space_id)?;
        if access::decide_at(store, who, Action::Read, &space, Some(&cat.id))? != Decision::Allow {
            return Err(Error::NotFound("category"));
        }
        if cat.space_id != space_id {
            return Err(
                Error::invalid("category_id", "the category belongs to another space")
                    .because(Reason::OtherSpace),
            );
        }
    }
    Ok(())
}

/// Create a document (version 1)
#[utoipa::path(
    post,
    path = "/documents",
    tag = "documents",
    operation_id = "create_document",
    request_body = CreateRequest,
    responses((status = 200, description = "The document (without `html` and `toc`)", body = DocView)),
    extensions(("x-error-codes" = json!([Code::NotFound, Code::Forbidden, INVALID_INPUT_422, Code::ServerBusy]))),
)]
async fn create(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiJson(req): ApiJson<CreateRequest>,
) -> Result<Json<DocView>> {
    // Validation parses the body and a save encodes it: CPU work, off the async workers.
    let (st, caller) = (state.clone(), who.clone());
    let doc = state.cpu.run(move || create_doc(&st, &caller, req)).await?;
    state.store.flush().await?;
    state.notify_indexer();
    Ok(Json(view(&state, &who, doc, true, None)?))
}

fn create_doc(state: &AppState, who: &CurrentUser, req: CreateRequest) -> Result<Doc> {
    let store = &state.store;
    let content = docs::validate(
        &req.title,
        &req.body,
        &req.tags,
        state.config.max_body_bytes,
    )?;
    let message = docs::validate_message(req.message.as_deref())?;
    // A space or category that does not exist and one hidden from the caller answer alike.
    let subject = who.subject();
    let space = load_space(store, &req.space_id).map_err(|e| match e {
        Error::NotFound(_) => no_such(&subject, "space_id", "space"),
        e => e,
    })?;
    let scopes = access::readable_scopes(store, &subject)?;
    if !access::space_visible(store, &subject, &space, &scopes)? {
        return Err(Error::NotFound("space"));
    }
    check_category(store, &subject, &space.id, req.category_id.as_deref())?;
    access::require_at(
        store,
        &subject,
        Action::Create,
        &space,
        req.category_id.as_deref(),
        if req.category_id.is_some() {
            "category"
        } else {
            "space"
        },
    )?;
    let needs_review = needs_review(store, &space.id, req.category_id.as_deref())?;
    docs::create(
        store,
        &actor(who),
        NewDoc {
            space_id: space.id.clone(),
            category_id: req.category_id,
            content,
            kind: DocKind::Doc,
            needs_review,
            message,
            import_key: None,
        },
    )
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
    Ok(DocView {
        id: doc.id,
        kind: doc.kind,
        title: doc.title,
        body: doc.body,
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
        html: rendered.map(|r| r.html.clone()),
        toc: rendered.map(|r| r.toc.clone()),
    })
}

/// Checks that the caller may see a document ([`access::seen`]) and returns its head, whether the
/// caller may edit it, and the newest version the caller may see (the head for editors, else the
/// published one). Hidden, trashed, never published or published elsewhere (for readers) -> 404.
fn load_readable(state: &AppState, who: &CurrentUser, id: &str) -> Result<(Doc, bool, u64)> {
    check_id(id, "document")?;
    let store = &state.store;
    let doc = docs::load(store, id)?;
    let seen = access::seen(store, &who.subject(), &doc)?.ok_or(Error::NotFound("document"))?;
    Ok((doc, seen.may_edit, seen.version))
}

/// Loads a document the caller may read, as the caller should see it: the head for those who may
/// edit it, else the published version. Hidden, trashed or never-published -> 404.
pub fn load_visible(state: &AppState, who: &CurrentUser, id: &str) -> Result<(Doc, bool)> {
    let (doc, may_edit, visible) = load_readable(state, who, id)?;
    if visible == doc.version {
        return Ok((doc, may_edit));
    }
    Ok((published_view(&state.store, doc, visible)?, false))
}

/// The rendered view of a document as the caller should see it. A cached rendering of the head is
/// answered at once; rebuilding an older published version and rendering run on the CPU pool.
async fn rendered_view(state: &AppState, who: &CurrentUser, id: &str) -> Result<DocView> {
    let (doc, may_edit, visible) = load_readable(state, who, id)?;
    if visible == doc.version
        && let Some(r) = state.renders.cached(&doc.id, doc.version)
    {
        return view(state, who, doc, may_edit, Some(&r));
    }
    let (st, caller) = (state.clone(), who.clone());
    state
        .cpu
        .run(move || {
            let (doc, may_edit) = if visible == doc.version {
                (doc, may_edit)
            } else {
                (published_view(&st.store, doc, visible)?, false)
            };
            let r = st.renders.get(&doc.id, doc.version, &doc.body);
            view(&st, &caller, doc, may_edit, Some(&r))
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
    Ok(Json(rendered_view(&state, &who, &id).await?))
}

/// A new version.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = SaveDocument)]
struct SaveRequest {
    /// Title.
    title: String,
    /// Body (Markdown).
    body: String,
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
    extensions(("x-error-codes" = json!([Code::Forbidden, Code::EditConflict, INVALID_INPUT_422, Code::ServerBusy]))),
)]
async fn save(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<SaveRequest>,
) -> Result<Json<DocView>> {
    let (st, caller) = (state.clone(), who.clone());
    let saved = state
        .cpu
        .run(move || save_doc(&st, &caller, &id, req))
        .await?;
    if saved.changed {
        state.store.flush().await?;
        state.notify_indexer();
    }
    Ok(Json(view(&state, &who, saved.doc, true, None)?))
}

fn save_doc(
    state: &AppState,
    who: &CurrentUser,
    id: &str,
    req: SaveRequest,
) -> Result<docs::Saved> {
    check_id(id, "document")?;
    let store = &state.store;
    let doc = docs::load_meta(store, id)?;
    let subject = who.subject();
    access::require_seen_doc(store, &subject, Action::Edit, &doc)?;
    let content = docs::validate(
        &req.title,
        &req.body,
        &req.tags,
        state.config.max_body_bytes,
    )?;
    let message = docs::validate_message(req.message.as_deref())?;
    let target_category = req
        .category_id
        .clone()
        .unwrap_or_else(|| doc.category_id.clone());
    if target_category != doc.category_id {
        check_category(store, &subject, &doc.space_id, target_category.as_deref())?;
        let space = load_space(store, &doc.space_id)?;
        access::require_at(
            store,
            &subject,
            Action::Create,
            &space,
            target_category.as_deref(),
            "category",
        )?;
    }
    let needs_review = needs_review(store, &doc.space_id, target_category.as_deref())?;
    docs::update(
        store,
        &actor(who),
        id,
        Update {
            content,
            category_id: req.category_id,
            base_version: req.base_version,
            message,
            needs_review,
            action: "document.update",
            reconfirm: req.reconfirm,
        },
    )
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
    let doc = docs::load_meta(store, &id)?;
    access::require_seen_doc(store, &who.subject(), Action::Delete, &doc)?;
    let doc = docs::set_deleted(store, &actor(&who), &id, true)?;
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
    let doc = docs::load_meta(store, &id)?;
    let subject = who.subject();
    // A trashed document is hidden from those who may not see the trash there, and one not in
    // the trash from those who may not see it: either way 404, like an id that names nothing.
    if doc.deleted.is_some() {
        access::require_trashed_doc(store, &subject, Action::Delete, &doc)?;
    } else {
        access::require_seen_doc(store, &subject, Action::Delete, &doc)?;
    }
    docs::set_deleted(store, &actor(&who), &id, false)?;
    store.flush().await?;
    state.notify_indexer();
    Ok(Json(rendered_view(&state, &who, &id).await?))
}

/// The newest version this caller may see (head for editors, else the published one).
fn visible_limit(state: &AppState, who: &CurrentUser, id: &str) -> Result<(Doc, u64)> {
    let (head, _, visible) = load_readable(state, who, id)?;
    Ok((head, visible))
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
    let (head, limit) = visible_limit(&state, &who, &id)?;
    let subject = who.subject();
    let mut places = access::VersionPlaces::new(&state.store, &subject, &head)?;
    let mut list = Vec::new();
    for v in docs::history(&state.store, &id)? {
        if v.version <= limit && places.may_read(v.category_id.as_deref())? {
            list.push(v);
        }
    }
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
    let (head, limit) = visible_limit(&state, &who, &id)?;
    let subject = who.subject();
    let mut places = access::VersionPlaces::new(&state.store, &subject, &head)?;
    if n == 0 || n > limit || !places.may_read_version(&id, n)? {
        return Err(Error::NotFound("version"));
    }
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
    let (head, limit) = visible_limit(&state, &who, &id)?;
    let subject = who.subject();
    let mut places = access::VersionPlaces::new(&state.store, &subject, &head)?;
    for n in [from, to] {
        if n == 0 || n > limit || !places.may_read_version(&id, n)? {
            return Err(Error::NotFound("version"));
        }
    }
    // Rebuilding both versions and diffing them are CPU work (bounded: see `domain::diff`).
    let st = state.clone();
    let d = state
        .cpu
        .run(move || {
            let a = docs::version(&st.store, &head, from)?;
            let b = docs::version(&st.store, &head, to)?;
            Ok(docs::diff_versions(&a, &b, &crate::text::words))
        })
        .await?;
    Ok(Json(d.into()))
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
    let (st, caller) = (state.clone(), who.clone());
    let saved = state
        .cpu
        .run(move || restore_doc(&st, &caller, &id, req))
        .await?;
    if saved.changed {
        state.store.flush().await?;
        state.notify_indexer();
    }
    Ok(Json(view(&state, &who, saved.doc, true, None)?))
}

/// Restores an old version as a new one (rebuilding it is CPU work: run on the pool).
fn restore_doc(
    state: &AppState,
    who: &CurrentUser,
    id: &str,
    req: RestoreRequest,
) -> Result<docs::Saved> {
    check_id(id, "document")?;
    let store = &state.store;
    let head = docs::load(store, id)?;
    let subject = who.subject();
    access::require_seen_doc(store, &subject, Action::Edit, &head)?;
    // A version that lived where the caller may not read is, to them, no version at all.
    if req.version == 0
        || req.version > head.version
        || !access::VersionPlaces::new(store, &subject, &head)?.may_read_version(id, req.version)?
    {
        return Err(Error::invalid("version", "no such version").because(Reason::NoSuch));
    }
    let old = docs::version(store, &head, req.version)?;
    let category_id = old
        .category_id
        .clone()
        .filter(|c| access::load_category(store, c).is_ok());
    if category_id != head.category_id {
        // Restoring moves the document back to its old category: the same right as a move on save.
        let space = load_space(store, &head.space_id)?;
        access::require_at(
            store,
            &subject,
            Action::Create,
            &space,
            category_id.as_deref(),
            "category",
        )?;
    }
    let content = DocContent {
        title: old.title,
        body: old.body,
        tags: old.tags,
    };
    let needs_review = needs_review(store, &head.space_id, category_id.as_deref())?;
    docs::update(
        store,
        &actor(who),
        id,
        Update {
            content,
            category_id: Some(category_id),
            base_version: req.base_version.unwrap_or(head.version),
            message: format!("恢复到版本 {}", req.version),
            needs_review,
            action: "document.restore",
            reconfirm: false,
        },
    )
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
    load_visible(&state, &who, &id)?;
    docs::set_favourite(&state.store, &who, &id, true)?;
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
    docs::set_favourite(&state.store, &who, &id, false)?;
    state.store.flush().await?;
    Ok(Json(Favourite {
        id,
        favourite: false,
    }))
}

/// Summaries of the documents with these ids that the caller may read (published view for readers).
fn visible_summaries(
    state: &AppState,
    who: &CurrentUser,
    ids: impl Iterator<Item = String>,
) -> Result<Vec<DocSummary>> {
    let mut out = Vec::new();
    for id in ids {
        match load_visible(state, who, &id) {
            Ok((doc, _)) => out.push(summary(&state.store, &doc)),
            Err(Error::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(out)
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
    let ids = state
        .store
        .favourites
        .of_user(who.id())?
        .into_iter()
        .map(|(doc, _)| doc)
        .collect::<Vec<_>>();
    let items = visible_summaries(&state, &who, ids.into_iter())?;
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

/// Every document record (metadata only) matching a predicate.
fn scan_docs(store: &Store, mut keep: impl FnMut(&Doc) -> bool) -> Result<Vec<Doc>> {
    let mut out = Vec::new();
    for d in store.docs.values() {
        let d = d?;
        if keep(&d) {
            out.push(d);
        }
    }
    Ok(out)
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
    let scopes = access::readable_scopes(store, &who.subject())?;
    let mut docs = scan_docs(store, |d| {
        d.deleted.is_none()
            && q.space_id.as_deref().is_none_or(|s| s == d.space_id)
            && q.category_id
                .as_deref()
                .is_none_or(|c| Some(c) == d.category_id.as_deref())
            && scopes.contains(&access::scope_of(d))
    })?;
    // Readers see only published documents; editors also their drafts.
    let subject = who.subject();
    let mut visible = Vec::with_capacity(docs.len());
    for d in docs.drain(..) {
        let sees_head = d.published_version == Some(d.version)
            || matches!(*scopes, Scopes::All)
            || access::allowed_doc(store, &subject, Action::Edit, &d)?;
        if sees_head {
            visible.push(d);
        } else if let Some(p) = d.published_version {
            // The published version may have lived where this reader may not read.
            if !access::VersionPlaces::new(store, &subject, &d)?.may_read_version(&d.id, p)? {
                continue;
            }
            let full = docs::load(store, &d.id)?;
            visible.push(published_view(store, full, p)?);
        }
    }
    if by_title {
        visible.sort_by(|a, b| a.title.cmp(&b.title));
    } else {
        visible.sort_by_key(|d| std::cmp::Reverse(d.updated_at));
    }
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
    let subject = who.subject();
    let mut items = Vec::new();
    for d in scan_docs(store, |d| d.deleted.is_some())? {
        if access::allowed_doc(store, &subject, Action::Delete, &d)? {
            items.push(summary(store, &d));
        }
    }
    items.sort_by_key(|d| std::cmp::Reverse(d.deleted_at));
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
    let me = who.id().to_owned();
    let mut docs = scan_docs(store, |d| {
        d.deleted.is_none() && d.updated_by == me && d.status != DocStatus::Published
    })?;
    // A draft stays listed only while its author may still edit it where it lies.
    let subject = who.subject();
    let mut mine = Vec::with_capacity(docs.len());
    for d in docs.drain(..) {
        if access::allowed_doc(store, &subject, Action::Edit, &d)? {
            mine.push(d);
        }
    }
    let mut docs = mine;
    docs.sort_by_key(|d| std::cmp::Reverse(d.updated_at));
    let items: Vec<DocSummary> = docs.iter().map(|d| summary(store, d)).collect();
    Ok(Json(DocList::of(items)))
}
