//! Working together over HTTP: comments and their threads, watching documents and spaces, the
//! editing heartbeat, and the mention picker. The work and every check is in
//! [`crate::service::collab`] and [`crate::service::presence`]; handlers parse, flush and shape.

use axum::{
    Json, Router,
    extract::State,
    routing::{get, patch, post, put},
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::{
    AppState,
    error::{Code, Error, Result},
    http::auth::CurrentUser,
    http::extract::{ApiJson, ApiPath, ApiQuery, check_id},
    model::Comment,
    service::collab::{self, CommentChange, NewComment, Rights},
    service::documents::user_names,
};

/// The operations of this module, for the API description.
#[derive(OpenApi)]
#[openapi(paths(
    list_comments,
    add_comment,
    change_comment,
    delete_comment,
    watch_doc,
    unwatch_doc,
    watch_space,
    unwatch_space,
    editing,
    stop_editing,
    mentionable
))]
pub struct ApiDoc;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/documents/{id}/comments",
            get(list_comments).post(add_comment),
        )
        .route(
            "/comments/{id}",
            patch(change_comment).delete(delete_comment),
        )
        .route("/documents/{id}/watch", put(watch_doc).delete(unwatch_doc))
        .route("/spaces/{id}/watch", put(watch_space).delete(unwatch_space))
        .route(
            "/documents/{id}/editing",
            post(editing).delete(stop_editing),
        )
        .route("/documents/{id}/mentionable", get(mentionable))
}

// ---- comments ---------------------------------------------------------------------------------

/// A comment as a reader sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommentView {
    /// Comment id.
    id: String,
    /// The thread's first comment, for a reply.
    parent_id: Option<String>,
    /// Author's login.
    author: String,
    /// Author's display name.
    author_name: String,
    /// Markdown (empty when deleted).
    body: String,
    /// Sanitised HTML of the body (the document view's renderer).
    html: String,
    /// The passage it refers to.
    quote: Option<String>,
    /// Written at.
    created_at: DateTime<Utc>,
    /// Last edited at.
    edited_at: Option<DateTime<Utc>>,
    /// The thread is resolved (first comments only).
    resolved: bool,
    /// Who resolved it.
    resolved_by: Option<String>,
    /// Deleted (shown while it has replies).
    deleted: bool,
    /// The caller wrote it (may edit and delete it).
    mine: bool,
    /// The caller may delete it.
    can_delete: bool,
    /// The caller may resolve or reopen its thread (first comments only).
    can_resolve: bool,
}

/// A document's comments.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommentsView {
    /// Oldest first; replies carry `parent_id`.
    items: Vec<CommentView>,
    /// Comments not deleted.
    count: usize,
    /// The caller may comment.
    can_comment: bool,
}

fn comment_view(state: &AppState, who: &CurrentUser, c: Comment, rights: Rights) -> CommentView {
    let (author, author_name) = user_names(&state.store, &c.author);
    let mine = c.author == who.id();
    let html = if c.deleted.is_some() {
        String::new()
    } else {
        crate::markdown::render(&c.body).html
    };
    CommentView {
        parent_id: c.parent_id.clone(),
        author,
        author_name,
        html,
        quote: c.quote,
        created_at: c.created_at,
        edited_at: c.edited_at,
        resolved: c.resolved.is_some(),
        resolved_by: c.resolved.map(|s| user_names(&state.store, &s.by).1),
        deleted: c.deleted.is_some(),
        can_delete: c.deleted.is_none() && (mine || rights.delete),
        can_resolve: c.parent_id.is_none() && c.deleted.is_none() && (mine || rights.resolve),
        mine,
        body: c.body,
        id: c.id,
    }
}

/// The comments of a document
#[utoipa::path(
    get,
    path = "/documents/{id}/comments",
    tag = "collaboration",
    operation_id = "list_comments",
    params(("id" = String, Path, description = "Document id")),
    responses((status = 200, body = CommentsView)),
    extensions(("x-error-codes" = json!([Code::NotFound]))),
)]
async fn list_comments(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<CommentsView>> {
    check_id(&id, "document")?;
    let (st, caller) = (state.clone(), who.clone());
    let view = state
        .cpu
        .run(move || {
            let list = collab::list(&st.store, &caller, &id)?;
            let rights = list.rights;
            let items: Vec<CommentView> = list
                .comments
                .into_iter()
                .map(|c| comment_view(&st, &caller, c, rights))
                .collect();
            Ok::<_, Error>(CommentsView {
                count: items.iter().filter(|c| !c.deleted).count(),
                items,
                can_comment: list.rights.comment,
            })
        })
        .await?;
    Ok(Json(view))
}

/// A new comment.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewCommentInput {
    /// Markdown; `@login` notifies that account if it may read the document.
    body: String,
    /// Reply to this comment (its thread).
    #[serde(default)]
    parent_id: Option<String>,
    /// The passage of the document it refers to.
    #[serde(default)]
    quote: Option<String>,
}

/// Comment on a document
#[utoipa::path(
    post,
    path = "/documents/{id}/comments",
    tag = "collaboration",
    operation_id = "add_comment",
    params(("id" = String, Path, description = "Document id")),
    request_body = NewCommentInput,
    responses((status = 200, body = CommentView)),
    extensions(("x-error-codes" = json!([Code::NotFound, Code::Forbidden, Code::InvalidInput]))),
)]
async fn add_comment(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<NewCommentInput>,
) -> Result<Json<CommentView>> {
    check_id(&id, "document")?;
    let (st, caller) = (state.clone(), who.clone());
    // Rendering the comment is CPU work: on the pool with the write.
    let view = state
        .cpu
        .run(move || {
            let new = NewComment {
                body: req.body,
                parent_id: req.parent_id,
                quote: req.quote,
            };
            let (c, rights) = collab::add(&st.store, &caller, &id, new)?;
            Ok::<_, Error>(comment_view(&st, &caller, c, rights))
        })
        .await?;
    state.store.flush().await?;
    state.notify_indexer();
    Ok(Json(view))
}

/// A change to a comment.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CommentChangeInput {
    /// New text (the author only).
    #[serde(default)]
    body: Option<String>,
    /// Resolve the thread (or reopen it), on its first comment.
    #[serde(default)]
    resolved: Option<bool>,
}

/// Edit a comment or resolve its thread
#[utoipa::path(
    patch,
    path = "/comments/{id}",
    tag = "collaboration",
    operation_id = "change_comment",
    params(("id" = String, Path, description = "Comment id")),
    request_body = CommentChangeInput,
    responses((status = 200, body = CommentView)),
    extensions(("x-error-codes" = json!([Code::NotFound, Code::Forbidden, Code::InvalidInput]))),
)]
async fn change_comment(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<CommentChangeInput>,
) -> Result<Json<CommentView>> {
    check_id(&id, "comment")?;
    let (st, caller) = (state.clone(), who.clone());
    let view = state
        .cpu
        .run(move || {
            let ch = CommentChange {
                body: req.body,
                resolved: req.resolved,
            };
            let (c, rights) = collab::change(&st.store, &caller, &id, ch)?;
            Ok::<_, Error>(comment_view(&st, &caller, c, rights))
        })
        .await?;
    state.store.flush().await?;
    state.notify_indexer();
    Ok(Json(view))
}

/// Delete a comment
#[utoipa::path(
    delete,
    path = "/comments/{id}",
    tag = "collaboration",
    operation_id = "delete_comment",
    params(("id" = String, Path, description = "Comment id")),
    responses((status = 200, body = CommentDeleted)),
    extensions(("x-error-codes" = json!([Code::NotFound, Code::Forbidden]))),
)]
async fn delete_comment(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<CommentDeleted>> {
    check_id(&id, "comment")?;
    collab::delete(&state.store, &who, &id)?;
    state.store.flush().await?;
    state.notify_indexer();
    Ok(Json(CommentDeleted { ok: true }))
}

/// CommentDeleted.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommentDeleted {
    /// Always true.
    ok: bool,
}

// ---- watching ---------------------------------------------------------------------------------

/// Whether the caller watches something now.
#[derive(Debug, Serialize, ToSchema)]
pub struct Watching {
    /// Watching.
    watching: bool,
}

/// Watch a document
#[utoipa::path(
    put,
    path = "/documents/{id}/watch",
    tag = "collaboration",
    operation_id = "watch_document",
    params(("id" = String, Path, description = "Document id")),
    responses((status = 200, body = Watching)),
    extensions(("x-error-codes" = json!([Code::NotFound]))),
)]
async fn watch_doc(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Watching>> {
    check_id(&id, "document")?;
    let watching = collab::watch_doc(&state.store, &who, &id, true)?;
    state.store.flush().await?;
    Ok(Json(Watching { watching }))
}

/// Stop watching a document (also switches off the automatic watch of authors and commenters)
#[utoipa::path(
    delete,
    path = "/documents/{id}/watch",
    tag = "collaboration",
    operation_id = "unwatch_document",
    params(("id" = String, Path, description = "Document id")),
    responses((status = 200, body = Watching)),
    extensions(("x-error-codes" = json!([Code::NotFound]))),
)]
async fn unwatch_doc(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Watching>> {
    check_id(&id, "document")?;
    let watching = collab::watch_doc(&state.store, &who, &id, false)?;
    state.store.flush().await?;
    Ok(Json(Watching { watching }))
}

/// Watch a space (every document in it the caller may read)
#[utoipa::path(
    put,
    path = "/spaces/{id}/watch",
    tag = "collaboration",
    operation_id = "watch_space",
    params(("id" = String, Path, description = "Space id")),
    responses((status = 200, body = Watching)),
    extensions(("x-error-codes" = json!([Code::NotFound]))),
)]
async fn watch_space(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Watching>> {
    check_id(&id, "space")?;
    collab::watch_space(&state.store, &who, &id)?;
    state.store.flush().await?;
    Ok(Json(Watching { watching: true }))
}

/// Stop watching a space
#[utoipa::path(
    delete,
    path = "/spaces/{id}/watch",
    tag = "collaboration",
    operation_id = "unwatch_space",
    params(("id" = String, Path, description = "Space id")),
    responses((status = 200, body = Watching)),
    extensions(("x-error-codes" = json!([Code::NotFound]))),
)]
async fn unwatch_space(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Watching>> {
    check_id(&id, "space")?;
    collab::unwatch_space(&state.store, &who, &id)?;
    state.store.flush().await?;
    Ok(Json(Watching { watching: false }))
}

// ---- editing ----------------------------------------------------------------------------------

/// Someone else with the editor open.
#[derive(Debug, Serialize, ToSchema)]
pub struct EditorView {
    /// Login.
    user: String,
    /// Display name.
    display_name: String,
    /// Editing since.
    since: DateTime<Utc>,
}

/// Who else is editing.
#[derive(Debug, Serialize, ToSchema)]
pub struct EditingView {
    /// Others with the editor open now (heartbeat within the last minute).
    editing: Vec<EditorView>,
}

/// The people editing a document now, as others see them.
pub fn editors(state: &AppState, doc_id: &str, me: &str) -> Vec<EditorView> {
    state
        .presence
        .editing(doc_id, me)
        .into_iter()
        .map(|e| EditorView {
            user: user_names(&state.store, &e.user).0,
            display_name: e.display_name,
            since: e.since,
        })
        .collect()
}

/// Heartbeat while the editor is open
#[utoipa::path(
    post,
    path = "/documents/{id}/editing",
    tag = "collaboration",
    operation_id = "editing_heartbeat",
    params(("id" = String, Path, description = "Document id")),
    responses((status = 200, body = EditingView)),
    extensions(("x-error-codes" = json!([Code::NotFound, Code::Forbidden]))),
)]
async fn editing(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<EditingView>> {
    check_id(&id, "document")?;
    state.presence.beat(&state.store, &who, &id)?;
    Ok(Json(EditingView {
        editing: editors(&state, &id, who.id()),
    }))
}

/// The editor was closed
#[utoipa::path(
    delete,
    path = "/documents/{id}/editing",
    tag = "collaboration",
    operation_id = "editing_done",
    params(("id" = String, Path, description = "Document id")),
    responses((status = 200, body = EditingView)),
)]
async fn stop_editing(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<EditingView>> {
    check_id(&id, "document")?;
    state.presence.leave(&state.store, &who, &id)?;
    Ok(Json(EditingView {
        editing: Vec::new(),
    }))
}

// ---- mention picker ---------------------------------------------------------------------------

/// The picker's query.
#[derive(Deserialize, IntoParams)]
struct PickerQuery {
    /// Login, name, full pinyin or initials (may start with `@`).
    #[serde(default)]
    q: String,
}

/// Someone who may be mentioned.
#[derive(Debug, Serialize, ToSchema)]
pub struct MentionableView {
    /// Login (what `@` writes).
    username: String,
    /// Display name.
    display_name: String,
}

/// The accounts.
#[derive(Debug, Serialize, ToSchema)]
pub struct MentionableList {
    /// At most ten, only accounts who may read the document.
    items: Vec<MentionableView>,
}

/// Accounts who may read the document, for the `@` picker
#[utoipa::path(
    get,
    path = "/documents/{id}/mentionable",
    tag = "collaboration",
    operation_id = "mentionable",
    params(("id" = String, Path, description = "Document id"), PickerQuery),
    responses((status = 200, body = MentionableList)),
    extensions(("x-error-codes" = json!([Code::NotFound]))),
)]
async fn mentionable(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<PickerQuery>,
) -> Result<Json<MentionableList>> {
    check_id(&id, "document")?;
    let (st, caller) = (state.clone(), who.clone());
    let items = state
        .cpu
        .run(move || collab::mentionable(&st.store, &caller, &id, &q.q))
        .await?
        .into_iter()
        .map(|m| MentionableView {
            username: m.username,
            display_name: m.display_name,
        })
        .collect();
    Ok(Json(MentionableList { items }))
}
