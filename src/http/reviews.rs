//! Reviews over HTTP: submit, queue, review view with the diff, approve / reject / withdraw, the
//! notification inbox, the sensitive-word list and re-review dates. The work is in
//! [`crate::service::reviews`]; handlers parse, call, flush and shape the answer.

use axum::{
    Json, Router,
    extract::State,
    routing::{get, post, put},
};
use chrono::Utc;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{
    AppState,
    domain::{
        permission::Principal,
        review::{Quorum, Review, ReviewAction, ReviewState},
    },
    error::{Error, Reason, Result},
    http::auth::CurrentUser,
    http::{
        documents::actor,
        extract::{ApiJson, ApiPath, ApiQuery},
    },
    model::{Doc, Group, User},
    service::access,
    service::documents as docs,
    service::documents::user_names,
    service::reviews::{self, SensitiveWord, StoredReview},
    store::Store,
};

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/documents/{id}/submit", post(submit))
        .route("/documents/{id}/review-by", put(set_review_by))
        .route("/reviews", get(list))
        .route("/reviews/stale", get(stale))
        .route("/reviews/{id}", get(read))
        .route("/reviews/{id}/approve", post(approve))
        .route("/reviews/{id}/reject", post(reject))
        .route("/reviews/{id}/withdraw", post(withdraw))
        .route("/notifications", get(notifications))
        .route("/notifications/read", post(mark_read))
        .route("/admin/sensitive-words", get(get_words).put(put_words))
}

/// The API name of a review state (`pending` while in review, as the queue filter says).
fn state_name(s: ReviewState) -> &'static str {
    match s {
        ReviewState::InReview { .. } => "pending",
        ReviewState::Approved => "approved",
        ReviewState::Rejected => "rejected",
        ReviewState::Withdrawn => "withdrawn",
        ReviewState::Superseded => "superseded",
    }
}

fn current_stage(r: &Review) -> (Option<usize>, Option<&str>) {
    match r.current_stage() {
        Some((i, s)) => (Some(i), Some(s.name.as_str())),
        None => (None, None),
    }
}

/// A review as the queue lists it.
fn summary(store: &Store, s: &StoredReview) -> Value {
    let r = &s.review;
    let (author, author_name) = user_names(store, &r.author);
    let (stage, stage_name) = current_stage(r);
    json!({
        "id": r.id,
        "doc_id": r.doc_id,
        "title": s.title,
        "doc_title": s.title,
        "version": r.version,
        "author": author,
        "author_id": r.author,
        "author_name": author_name,
        "state": state_name(r.state),
        "stage": stage,
        "stage_name": stage_name,
        "stages": r.policy.stages.len(),
        "submitted_at": r.submitted_at,
        "created_at": r.submitted_at,
        "flags": s.flags.len(),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SubmitRequest {
    #[serde(default)]
    version: Option<u64>,
    #[serde(default)]
    message: Option<String>,
}

async fn submit(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<SubmitRequest>,
) -> Result<Json<Value>> {
    let store = &state.store;
    let stored = reviews::submit(
        store,
        &who,
        &actor(&who),
        &id,
        req.version,
        req.message.as_deref(),
    );
    // A refused submission may have written its audit event.
    store.flush().await?;
    let stored = stored?;
    Ok(Json(detail_on_pool(&state, &who, stored).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    assigned: Option<String>,
    #[serde(default)]
    mine: Option<bool>,
    #[serde(default)]
    doc_id: Option<String>,
    #[serde(default)]
    limit: Option<usize>,
    #[serde(default)]
    offset: Option<usize>,
}

/// Sends due `waiting_too_long` notifications (lazily, on queue and inbox reads).
async fn catch_up_waiting(state: &AppState) -> Result<()> {
    if reviews::notify_waiting(&state.store, Utc::now())? > 0 {
        state.store.flush().await?;
    }
    Ok(())
}

async fn list(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Value>> {
    let store = &state.store;
    catch_up_waiting(&state).await?;
    let wanted = q.state.as_deref().unwrap_or("pending");
    let states = [
        "pending",
        "approved",
        "rejected",
        "withdrawn",
        "superseded",
        "all",
    ];
    if !states.contains(&wanted) {
        return Err(Error::invalid(
            "state",
            "state is pending, approved, rejected, withdrawn, superseded or all",
        )
        .because(Reason::NotOneOf)
        .with("allowed", states));
    }
    let assigned = match q.assigned.as_deref() {
        None | Some("") => false,
        Some("me") => true,
        Some(_) => {
            return Err(Error::invalid("assigned", "assigned takes the value `me`")
                .because(Reason::NotOneOf)
                .with("allowed", ["me"]));
        }
    };
    let mine = q.mine.unwrap_or(false);
    let limit = q.limit.unwrap_or(50).clamp(1, 200);
    let offset = q.offset.unwrap_or(0);
    let mut items: Vec<StoredReview> = Vec::new();
    for s in reviews::all(store)? {
        let r = &s.review;
        if wanted != "all" && state_name(r.state) != wanted {
            continue;
        }
        if q.doc_id.as_deref().is_some_and(|d| d != r.doc_id) {
            continue;
        }
        if mine && r.author != who.id() {
            continue;
        }
        let doc = match docs::load_meta(store, &r.doc_id) {
            Ok(d) => d,
            Err(Error::NotFound(_)) => continue,
            Err(e) => return Err(e),
        };
        if assigned {
            let hit = if r.state.is_open() {
                reviews::awaits(store, &who, r, &doc)?
            } else {
                r.author != who.id()
                    && (reviews::listed(r, &who)
                        || r.decisions.iter().any(|d| d.reviewer == who.id()))
            };
            if !hit {
                continue;
            }
        }
        if reviews::can_view(store, &who, r, &doc)? {
            items.push(s);
        }
    }
    items.sort_by_key(|s| std::cmp::Reverse(s.review.submitted_at));
    let total = items.len();
    let page: Vec<Value> = items
        .iter()
        .skip(offset)
        .take(limit)
        .map(|s| summary(store, s))
        .collect();
    Ok(Json(
        json!({"total": total, "items": page, "limit": limit, "offset": offset}),
    ))
}

/// A reviewer entry with a name to show.
fn principal_view(store: &Store, p: &Principal) -> Value {
    match p {
        Principal::User(id) => {
            let u: Option<User> = store.users.get(id).ok().flatten();
            json!({
                "principal": p.to_string(), "kind": "user", "id": id,
                "username": u.as_ref().map(|u| u.username.clone()),
                "display_name": u.map(|u| u.display_name).unwrap_or_else(|| id.clone()),
            })
        }
        Principal::Group(id) => {
            let g: Option<Group> = store.groups.get(id).ok().flatten();
            json!({
                "principal": p.to_string(), "kind": "group", "id": id,
                "display_name": g.map(|g| g.name).unwrap_or_else(|| id.clone()),
            })
        }
        Principal::Everyone => {
            json!({"principal": "everyone", "kind": "everyone", "display_name": "所有人"})
        }
    }
}

/// Whether stage `i` is passed, for display (closed reviews included).
fn stage_done(r: &Review, i: usize) -> bool {
    match r.state {
        ReviewState::Approved => true,
        ReviewState::InReview { stage } => i < stage,
        _ => {
            let Some(stage) = r.policy.stages.get(i) else {
                return false;
            };
            let approvals: Vec<_> = r.decisions_at(i).filter(|d| d.approve).collect();
            !approvals.is_empty()
                && match stage.quorum {
                    Quorum::Any => true,
                    Quorum::All => stage
                        .reviewers
                        .iter()
                        .filter(|p| !matches!(p, Principal::User(u) if *u == r.author))
                        .all(|p| approvals.iter().any(|d| d.counts_for.contains(p))),
                }
        }
    }
}

/// [`detail`] on the CPU pool: rebuilding two versions and diffing them is CPU work.
async fn detail_on_pool(state: &AppState, who: &CurrentUser, s: StoredReview) -> Result<Value> {
    let (st, caller) = (state.clone(), who.clone());
    state.cpu.run(move || detail(&st.store, &caller, &s)).await
}

/// The whole review: stages, decisions, flags and the diff against the published version.
fn detail(store: &Store, who: &CurrentUser, s: &StoredReview) -> Result<Value> {
    let r = &s.review;
    let doc: Doc = docs::load(store, &r.doc_id)?;
    let (author, author_name) = user_names(store, &r.author);
    let (stage, stage_name) = current_stage(r);
    let waiting: Vec<String> = r.waiting_on().iter().map(|p| p.to_string()).collect();
    let stages: Vec<Value> = r
        .policy
        .stages
        .iter()
        .enumerate()
        .map(|(i, st)| {
            let status = if stage_done(r, i) {
                "done"
            } else if stage == Some(i) {
                "current"
            } else {
                "waiting"
            };
            json!({
                "index": i,
                "name": st.name,
                "quorum": st.quorum,
                "reviewers": st.reviewers.iter().map(|p| principal_view(store, p)).collect::<Vec<_>>(),
                "status": status,
                "done": status == "done",
                "waiting_on": if stage == Some(i) { waiting.clone() } else { Vec::new() },
            })
        })
        .collect();
    let decisions: Vec<Value> = r
        .decisions
        .iter()
        .map(|d| {
            let (username, name) = user_names(store, &d.reviewer);
            json!({
                "stage": d.stage,
                "stage_name": r.policy.stages.get(d.stage).map(|s| s.name.clone()),
                "reviewer": d.reviewer,
                "reviewer_username": username,
                "reviewer_name": name,
                "approve": d.approve,
                "comment": d.comment,
                "at": d.at,
                "counts_for": d.counts_for.iter().map(|p| p.to_string()).collect::<Vec<_>>(),
            })
        })
        .collect();
    // Compare against what readers see: the published version now while open, else the one
    // published when it was submitted; but never against a version that lived where this caller
    // may not read (a document moved out of a restricted category): then the one published at
    // submission, if readable, else nothing.
    let subject = who.subject();
    let mut places = access::VersionPlaces::new(store, &subject, &doc)?;
    let candidates = if r.state.is_open() {
        [doc.published_version, s.base_version]
    } else {
        [s.base_version, None]
    };
    let mut base = None;
    for p in candidates.into_iter().flatten().filter(|p| *p < r.version) {
        if places.may_read_version(&doc.id, p)? {
            base = Some(p);
            break;
        }
    }
    let to = docs::version(store, &doc, r.version)?;
    let from = match base {
        Some(p) => docs::version(store, &doc, p)?,
        None => reviews::empty_version(r.submitted_at),
    };
    let diff = docs::diff_versions(&from, &to, &crate::text::words);
    Ok(json!({
        "id": r.id,
        "doc_id": r.doc_id,
        "title": s.title,
        "doc_title": s.title,
        "version": r.version,
        "base_version": base,
        "author": author,
        "author_id": r.author,
        "author_name": author_name,
        "message": s.message,
        "state": state_name(r.state),
        "current_stage": stage,
        "stage_name": stage_name,
        "submitted_at": r.submitted_at,
        "created_at": r.submitted_at,
        "stages": stages,
        "decisions": decisions,
        "flags": s.flags,
        "diff": diff,
        "can_decide": reviews::awaits(store, who, r, &doc)?,
        "can_withdraw": r.state.is_open() && r.author == who.id(),
        "doc_status": doc.status,
        "published_version": doc.published_version,
    }))
}

async fn read(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Value>> {
    let (stored, _) = reviews::load_visible(&state.store, &who, &id)?;
    Ok(Json(detail_on_pool(&state, &who, stored).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CommentBody {
    #[serde(default)]
    comment: Option<String>,
}

/// Longest review comment, in characters.
const MAX_COMMENT_CHARS: usize = 2000;

fn check_comment(c: Option<String>) -> Result<Option<String>> {
    if c.as_ref()
        .is_some_and(|c| c.chars().count() > MAX_COMMENT_CHARS)
    {
        return Err(Error::invalid(
            "comment",
            format!("the comment is longer than {MAX_COMMENT_CHARS} characters"),
        )
        .because(Reason::TooLong)
        .with("limit", MAX_COMMENT_CHARS));
    }
    Ok(c.map(|c| c.trim().to_owned()))
}

async fn act(
    state: &AppState,
    who: &CurrentUser,
    id: &str,
    action: ReviewAction,
) -> Result<Json<Value>> {
    let store = &state.store;
    let decided = reviews::decide(store, who, &actor(who), id, action)?;
    store.flush().await?;
    if decided.published {
        state.notify_indexer();
    }
    Ok(Json(detail_on_pool(state, who, decided.review).await?))
}

async fn approve(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<CommentBody>,
) -> Result<Json<Value>> {
    let comment = check_comment(body.comment)?;
    act(&state, &who, &id, ReviewAction::Approve { comment }).await
}

async fn reject(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<CommentBody>,
) -> Result<Json<Value>> {
    // A missing comment is the domain's `comment_required`, like a blank one.
    let comment = check_comment(body.comment)?.unwrap_or_default();
    act(&state, &who, &id, ReviewAction::Reject { comment }).await
}

async fn withdraw(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Value>> {
    act(&state, &who, &id, ReviewAction::Withdraw).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReviewByBody {
    #[serde(default)]
    date: Option<chrono::NaiveDate>,
}

async fn set_review_by(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<ReviewByBody>,
) -> Result<Json<Value>> {
    let store = &state.store;
    let doc = reviews::set_review_by(store, &who, &actor(&who), &id, body.date)?;
    store.flush().await?;
    Ok(Json(json!({"id": doc.id, "review_by": doc.review_by})))
}

async fn stale(State(state): State<AppState>, who: CurrentUser) -> Result<Json<Value>> {
    let store = &state.store;
    let today = Utc::now().date_naive();
    let docs = reviews::stale(store, &who, today)?;
    let items: Vec<Value> = docs
        .iter()
        .map(|d| {
            let (author, author_name) = user_names(store, &d.updated_by);
            json!({
                "id": d.id, "title": d.title, "space_id": d.space_id, "category_id": d.category_id,
                "review_by": d.review_by,
                "days_overdue": d.review_by.map(|r| (today - r).num_days()),
                "version": d.version, "published_version": d.published_version, "status": d.status,
                "author": author, "author_name": author_name, "updated_at": d.updated_at,
            })
        })
        .collect();
    Ok(Json(json!({"total": items.len(), "items": items})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InboxQuery {
    #[serde(default)]
    limit: Option<usize>,
    #[serde(default)]
    offset: Option<usize>,
}

async fn notifications(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiQuery(q): ApiQuery<InboxQuery>,
) -> Result<Json<Value>> {
    catch_up_waiting(&state).await?;
    let limit = q.limit.unwrap_or(20).clamp(1, 100);
    let offset = q.offset.unwrap_or(0);
    let inbox = reviews::inbox(&state.store, who.id(), limit, offset)?;
    Ok(Json(json!({
        "unread": inbox.unread, "total": inbox.total, "items": inbox.items, "limit": limit, "offset": offset,
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReadBody {
    #[serde(default)]
    ids: Option<Vec<String>>,
}

async fn mark_read(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiJson(body): ApiJson<ReadBody>,
) -> Result<Json<Value>> {
    if body.ids.as_ref().is_some_and(|ids| ids.len() > 1000) {
        return Err(Error::invalid("ids", "at most 1,000 ids at once")
            .because(Reason::TooMany)
            .with("limit", 1000));
    }
    let store = &state.store;
    let changed = reviews::mark_read(store, who.id(), body.ids.as_deref())?;
    store.flush().await?;
    let unread = reviews::inbox(store, who.id(), 0, 0)?.unread;
    Ok(Json(json!({"marked": changed, "unread": unread})))
}

async fn get_words(State(state): State<AppState>, who: CurrentUser) -> Result<Json<Value>> {
    who.require_admin()?;
    Ok(Json(json!({"words": reviews::stored_words(&state.store)?})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WordsBody {
    words: Vec<SensitiveWord>,
}

async fn put_words(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiJson(body): ApiJson<WordsBody>,
) -> Result<Json<Value>> {
    let words = reviews::set_words(&state.store, &who, &body.words)?;
    let store = &state.store;
    store.flush().await?;
    Ok(Json(json!({"words": words})))
}
