//! Documents: create, read (the version this caller should see), save with conflict detection,
//! history, any version, diff, restore, trash, favourites, my drafts.

use axum::{
    Json, Router,
    extract::State,
    routing::{get, post, put},
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::{
    AppState,
    domain::permission::{Action, Decision, Scopes, Subject},
    error::{Error, Reason, Result},
    http::auth::CurrentUser,
    http::extract::{ApiJson, ApiPath, ApiQuery, check_id},
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

/// A document summary, as lists show it.
#[derive(Debug, Serialize)]
pub struct DocSummary {
    id: String,
    kind: DocKind,
    title: String,
    tags: Vec<String>,
    space_id: String,
    category_id: Option<String>,
    version: u64,
    status: DocStatus,
    published_version: Option<u64>,
    author: String,
    author_name: String,
    updated_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    deleted_at: Option<DateTime<Utc>>,
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateRequest {
    space_id: String,
    #[serde(default)]
    category_id: Option<String>,
    title: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    tags: Vec<String>,
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

async fn create(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiJson(req): ApiJson<CreateRequest>,
) -> Result<Json<Value>> {
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
) -> Result<Value> {
    let store = &state.store;
    let (author, author_name) = user_names(store, &doc.updated_by);
    let favourite = store.favourites.contains(who.id(), &doc.id)?;
    let mut v = json!({
        "id": doc.id,
        "kind": doc.kind,
        "title": doc.title,
        "body": doc.body,
        "tags": doc.tags,
        "space_id": doc.space_id,
        "category_id": doc.category_id,
        "version": doc.version,
        "status": doc.status,
        "published_version": doc.published_version,
        "author": author,
        "author_name": author_name,
        "created_at": doc.created_at,
        "updated_at": doc.updated_at,
        "favourite": favourite,
        "can_edit": may_edit,
        "review_by": doc.review_by,
        // Approvals belong to the published version: shown only when that is the version shown.
        "approved_by": if doc.published_version == Some(doc.version) {
            doc.approved_by.iter().map(|u| user_names(store, u).1).collect::<Vec<_>>()
        } else {
            Vec::new()
        },
    });
    if let Some(rendered) = rendered {
        let toc: &[TocEntry] = &rendered.toc;
        v["html"] = json!(rendered.html.as_str());
        v["toc"] = json!(toc);
    }
    Ok(v)
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
async fn rendered_view(state: &AppState, who: &CurrentUser, id: &str) -> Result<Value> {
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

async fn read(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Value>> {
    Ok(Json(rendered_view(&state, &who, &id).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SaveRequest {
    title: String,
    body: String,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default, with = "crate::http::extract::double_option")]
    category_id: Option<Option<String>>,
    base_version: u64,
    #[serde(default)]
    message: Option<String>,
}

async fn save(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<SaveRequest>,
) -> Result<Json<Value>> {
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
        },
    )
}

async fn trash(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Value>> {
    check_id(&id, "document")?;
    let store = &state.store;
    let doc = docs::load_meta(store, &id)?;
    access::require_seen_doc(store, &who.subject(), Action::Delete, &doc)?;
    let doc = docs::set_deleted(store, &actor(&who), &id, true)?;
    store.flush().await?;
    state.notify_indexer();
    Ok(Json(
        json!({"id": doc.id, "deleted": true, "deleted_at": doc.deleted.map(|d| d.at)}),
    ))
}

async fn undelete(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Value>> {
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

async fn versions(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Value>> {
    let (head, limit) = visible_limit(&state, &who, &id)?;
    let subject = who.subject();
    let mut places = access::VersionPlaces::new(&state.store, &subject, &head)?;
    let mut list = Vec::new();
    for v in docs::history(&state.store, &id)? {
        if v.version <= limit && places.may_read(v.category_id.as_deref())? {
            list.push(v);
        }
    }
    let items: Vec<Value> = list
        .into_iter()
        .map(|v| {
            let (author, author_name) = user_names(&state.store, &v.author);
            json!({
                "version": v.version, "author": author, "author_name": author_name,
                "created_at": v.created_at, "message": v.message, "size": v.size, "title": v.title,
            })
        })
        .collect();
    Ok(Json(Value::Array(items)))
}

async fn version(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath((id, n)): ApiPath<(String, String)>,
) -> Result<Json<Value>> {
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
    Ok(Json(json!({
        "id": id, "version": v.version, "title": v.title, "body": v.body, "tags": v.tags,
        "category_id": v.category_id, "author": author, "author_name": author_name,
        "created_at": v.created_at, "message": v.message, "hash": v.hash,
        "html": html.html.as_str(),
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DiffQuery {
    from: String,
    to: String,
}

async fn diff(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<DiffQuery>,
) -> Result<Json<Value>> {
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
            let d = docs::diff_versions(&a, &b, &crate::text::words);
            serde_json::to_value(d).map_err(Error::internal)
        })
        .await?;
    Ok(Json(d))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RestoreRequest {
    version: u64,
    #[serde(default)]
    base_version: Option<u64>,
}

async fn restore(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<RestoreRequest>,
) -> Result<Json<Value>> {
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
        },
    )
}

async fn favourite(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Value>> {
    load_visible(&state, &who, &id)?;
    docs::set_favourite(&state.store, &who, &id, true)?;
    state.store.flush().await?;
    Ok(Json(json!({"id": id, "favourite": true})))
}

async fn unfavourite(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Value>> {
    check_id(&id, "document")?;
    docs::set_favourite(&state.store, &who, &id, false)?;
    state.store.flush().await?;
    Ok(Json(json!({"id": id, "favourite": false})))
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

async fn favourites(State(state): State<AppState>, who: CurrentUser) -> Result<Json<Value>> {
    let ids = state
        .store
        .favourites
        .of_user(who.id())?
        .into_iter()
        .map(|(doc, _)| doc)
        .collect::<Vec<_>>();
    let items = visible_summaries(&state, &who, ids.into_iter())?;
    Ok(Json(json!({"total": items.len(), "items": items})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    #[serde(default)]
    space_id: Option<String>,
    #[serde(default)]
    category_id: Option<String>,
    #[serde(default)]
    limit: Option<usize>,
    #[serde(default)]
    offset: Option<usize>,
    #[serde(default)]
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

async fn list(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Value>> {
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
    Ok(Json(json!({"total": total, "items": items})))
}

async fn trash_list(State(state): State<AppState>, who: CurrentUser) -> Result<Json<Value>> {
    let store = &state.store;
    let subject = who.subject();
    let mut items = Vec::new();
    for d in scan_docs(store, |d| d.deleted.is_some())? {
        if access::allowed_doc(store, &subject, Action::Delete, &d)? {
            items.push(summary(store, &d));
        }
    }
    items.sort_by_key(|d| std::cmp::Reverse(d.deleted_at));
    Ok(Json(json!({"total": items.len(), "items": items})))
}

async fn drafts(State(state): State<AppState>, who: CurrentUser) -> Result<Json<Value>> {
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
    Ok(Json(json!({"total": items.len(), "items": items})))
}
