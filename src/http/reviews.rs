//! Reviews over HTTP: submit, queue, review view with the diff, approve / reject / withdraw, the
//! notification inbox, the sensitive-word list and re-review dates. The work is in
//! [`crate::service::reviews`]; handlers parse, call, flush and shape the answer.

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
        permission::Principal,
        review::{Quorum, Review, ReviewAction, ReviewState},
    },
    error::{Code, Error, Reason, Result},
    http::auth::CurrentUser,
    http::{
        documents::VersionDiff,
        extract::{ApiJson, ApiPath, ApiQuery},
    },
    model::{Doc, DocStatus, Group, User},
    service::documents as docs,
    service::documents::{Actor, user_names},
    service::reviews::{self, StoredReview},
    store::Store,
};

/// The operations of this module, for the API description.
#[derive(OpenApi)]
#[openapi(paths(
    submit,
    set_review_by,
    list,
    stale,
    read,
    approve,
    reject,
    withdraw,
    notifications,
    mark_read,
    get_words,
    put_words
))]
pub struct ApiDoc;

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

/// Where a review stands, as the API names it (`pending` while in review, as the queue filter
/// says).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = ReviewStatus)]
pub enum StateName {
    /// In review.
    Pending,
    /// Approved at every stage, published.
    Approved,
    /// Rejected.
    Rejected,
    /// Withdrawn by its author.
    Withdrawn,
    /// A later submission of the same document replaced it.
    Superseded,
}

impl StateName {
    fn of(s: ReviewState) -> Self {
        match s {
            ReviewState::InReview { .. } => StateName::Pending,
            ReviewState::Approved => StateName::Approved,
            ReviewState::Rejected => StateName::Rejected,
            ReviewState::Withdrawn => StateName::Withdrawn,
            ReviewState::Superseded => StateName::Superseded,
        }
    }
}

/// The API name of a review state.
fn state_name(s: ReviewState) -> &'static str {
    match StateName::of(s) {
        StateName::Pending => "pending",
        StateName::Approved => "approved",
        StateName::Rejected => "rejected",
        StateName::Withdrawn => "withdrawn",
        StateName::Superseded => "superseded",
    }
}

fn current_stage(r: &Review) -> (Option<usize>, Option<String>) {
    match r.current_stage() {
        Some((i, s)) => (Some(i), Some(s.name.clone())),
        None => (None, None),
    }
}

/// A review as the queue lists it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewSummary {
    /// Review id.
    id: String,
    /// The document.
    doc_id: String,
    /// Title of the submitted version.
    title: String,
    /// The same as `title`.
    doc_title: String,
    /// The submitted version.
    version: u64,
    /// Login name of the author.
    author: String,
    /// User id of the author.
    author_id: String,
    /// Display name of the author.
    author_name: String,
    /// Where it stands.
    state: StateName,
    /// The current stage (0-based), while pending.
    stage: Option<usize>,
    /// Its name.
    stage_name: Option<String>,
    /// How many stages the policy has.
    stages: usize,
    /// Submitted at.
    submitted_at: DateTime<Utc>,
    /// The same as `submitted_at`.
    created_at: DateTime<Utc>,
    /// How many flagged sensitive words the submitted version holds.
    flags: usize,
}

/// A review as the queue lists it.
fn summary(store: &Store, s: &StoredReview) -> ReviewSummary {
    let r = &s.review;
    let (author, author_name) = user_names(store, &r.author);
    let (stage, stage_name) = current_stage(r);
    ReviewSummary {
        id: r.id.clone(),
        doc_id: r.doc_id.clone(),
        title: s.title.clone(),
        doc_title: s.title.clone(),
        version: r.version,
        author,
        author_id: r.author.clone(),
        author_name,
        state: StateName::of(r.state),
        stage,
        stage_name,
        stages: r.policy.stages.len(),
        submitted_at: r.submitted_at,
        created_at: r.submitted_at,
        flags: s.flags.len(),
    }
}

/// What to submit.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = SubmitReview)]
struct SubmitRequest {
    /// The version (default: the head).
    #[serde(default)]
    version: Option<u64>,
    /// A note to the reviewers.
    #[serde(default)]
    message: Option<String>,
}

/// Submit a version for review
#[utoipa::path(
    post,
    path = "/documents/{id}/submit",
    tag = "reviews",
    operation_id = "submit_review",
    params(("id" = String, Path, description = "Document id")),
    request_body = SubmitRequest,
    responses((status = 200, description = "The new review", body = ReviewDetail)),
    extensions(("x-error-codes" = json!([
        Code::Forbidden, Code::NoReviewPolicy, Code::VersionElsewhere, Code::AlreadyPublished,
        Code::SensitiveWords, Code::InvalidPolicy, Code::NoEligibleReviewer, Code::ServerBusy,
    ]))),
)]
async fn submit(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<SubmitRequest>,
) -> Result<Json<ReviewDetail>> {
    let store = &state.store;
    let stored = reviews::submit(
        store,
        &who,
        &Actor::of(&who),
        &id,
        req.version,
        req.message.as_deref(),
    );
    // A refused submission may have written its audit event.
    store.flush().await?;
    let stored = stored?;
    Ok(Json(detail_on_pool(&state, &who, stored).await?))
}

/// Filters and page of the review queue.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// `pending` (default), `approved`, `rejected`, `withdrawn`, `superseded` or `all`.
    #[serde(default)]
    #[param(pattern = "^(pending|approved|rejected|withdrawn|superseded|all)$")]
    state: Option<String>,
    /// `me`: reviews waiting on the caller (closed ones: those the caller was named in or
    /// decided).
    #[serde(default)]
    #[param(pattern = "^(me)?$")]
    assigned: Option<String>,
    /// Only the caller's own submissions.
    #[serde(default)]
    mine: Option<bool>,
    /// Only reviews of this document.
    #[serde(default)]
    doc_id: Option<String>,
    /// Page size, 1 to 200 (default 50).
    #[serde(default)]
    limit: Option<usize>,
    /// Reviews to skip.
    #[serde(default)]
    offset: Option<usize>,
}

/// A page of the review queue.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewList {
    /// How many match.
    total: usize,
    /// Newest submission first.
    items: Vec<ReviewSummary>,
    /// The page size used.
    limit: usize,
    /// The offset used.
    offset: usize,
}

/// Sends due `waiting_too_long` notifications (lazily, on queue and inbox reads).
async fn catch_up_waiting(state: &AppState) -> Result<()> {
    let sent = reviews::notify_waiting(&state.store, Utc::now())?
        + crate::service::onboarding::catch_up(&state.store, state.clock.now())?
        + crate::service::actions::remind_due(
            &state.store,
            &state.actions_reminded,
            state.clock.now(),
        )?;
    if sent > 0 {
        state.store.flush().await?;
    }
    Ok(())
}

/// Review queue (?state=pending&assigned=me, mine=true)
#[utoipa::path(
    get,
    path = "/reviews",
    tag = "reviews",
    operation_id = "list_reviews",
    params(ListQuery),
    responses((status = 200, body = ReviewList)),
)]
async fn list(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<ReviewList>> {
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
    let items = items
        .iter()
        .skip(offset)
        .take(limit)
        .map(|s| summary(store, s))
        .collect();
    Ok(Json(ReviewList {
        total,
        items,
        limit,
        offset,
    }))
}

/// A reviewer entry of a stage, with a name to show.
#[derive(Debug, Serialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ReviewerView {
    /// One account.
    User {
        /// `user:<id>`.
        principal: String,
        /// User id.
        id: String,
        /// Login name (null when the account is gone).
        username: Option<String>,
        /// Display name (the id when the account is gone).
        display_name: String,
    },
    /// The members of a department.
    Group {
        /// `group:<id>`.
        principal: String,
        /// Group id.
        id: String,
        /// Its name (the id when it is gone).
        display_name: String,
    },
    /// Every signed-in account.
    Everyone {
        /// `everyone`.
        principal: String,
        /// 所有人.
        display_name: String,
    },
}

/// A reviewer entry with a name to show.
fn principal_view(store: &Store, p: &Principal) -> ReviewerView {
    match p {
        Principal::User(id) => {
            let u: Option<User> = store.users.get(id).ok().flatten();
            ReviewerView::User {
                principal: p.to_string(),
                id: id.clone(),
                username: u.as_ref().map(|u| u.username.clone()),
                display_name: u.map(|u| u.display_name).unwrap_or_else(|| id.clone()),
            }
        }
        Principal::Group(id) => {
            let g: Option<Group> = store.groups.get(id).ok().flatten();
            ReviewerView::Group {
                principal: p.to_string(),
                id: id.clone(),
                display_name: g.map(|g| g.name).unwrap_or_else(|| id.clone()),
            }
        }
        Principal::Everyone => ReviewerView::Everyone {
            principal: "everyone".into(),
            display_name: "所有人".into(),
        },
    }
}

/// Where a stage stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StageStatus {
    /// Passed.
    Done,
    /// Waiting for its reviewers.
    Current,
    /// Not reached.
    Waiting,
}

/// One stage of a review.
#[derive(Debug, Serialize, ToSchema)]
pub struct StageView {
    /// 0-based.
    index: usize,
    /// Its name.
    name: String,
    /// How many of its reviewers must approve.
    quorum: Quorum,
    /// Who reviews at this stage.
    reviewers: Vec<ReviewerView>,
    /// Where it stands.
    status: StageStatus,
    /// Whether `status` is `done`.
    done: bool,
    /// The entries still to approve (`user:<id>`, `group:<id>`, `everyone`), at the current
    /// stage; empty at the others.
    waiting_on: Vec<String>,
}

/// One reviewer's decision.
#[derive(Debug, Serialize, ToSchema)]
pub struct DecisionView {
    /// The stage (0-based).
    stage: usize,
    /// Its name.
    stage_name: Option<String>,
    /// The reviewer's user id.
    reviewer: String,
    /// The reviewer's login name.
    reviewer_username: String,
    /// The reviewer's display name.
    reviewer_name: String,
    /// Approved (`true`) or rejected.
    approve: bool,
    /// The comment (always present on a rejection).
    comment: Option<String>,
    /// When.
    at: DateTime<Utc>,
    /// The stage entries this decision covers (`user:<id>`, `group:<id>`, `everyone`).
    counts_for: Vec<String>,
}

/// What a listed sensitive word does to a submission containing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WordAction {
    /// The submission is refused, with the positions shown.
    Block,
    /// The submission goes through; the reviewers see the word flagged.
    Flag,
}

impl From<reviews::WordAction> for WordAction {
    fn from(a: reviews::WordAction) -> Self {
        match a {
            reviews::WordAction::Block => WordAction::Block,
            reviews::WordAction::Flag => WordAction::Flag,
        }
    }
}

impl From<WordAction> for reviews::WordAction {
    fn from(a: WordAction) -> Self {
        match a {
            WordAction::Block => reviews::WordAction::Block,
            WordAction::Flag => reviews::WordAction::Flag,
        }
    }
}

/// Where a listed word occurs in a submitted version.
#[derive(Debug, Serialize, ToSchema)]
pub struct WordMatch {
    /// The listed word.
    word: String,
    /// `title` or `body`.
    field: String,
    /// 1-based line (always 1 in the title).
    line: usize,
    /// 1-based column, in characters.
    column: usize,
    /// The word's action.
    action: WordAction,
}

impl From<&reviews::WordMatch> for WordMatch {
    fn from(m: &reviews::WordMatch) -> Self {
        // Whole, so that a field added there cannot be left out here.
        let reviews::WordMatch {
            word,
            field,
            line,
            column,
            action,
        } = m;
        WordMatch {
            word: word.clone(),
            field: field.clone(),
            line: *line,
            column: *column,
            action: (*action).into(),
        }
    }
}

/// A whole review: stages, decisions, flags and the diff against the published version.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewDetail {
    /// Review id.
    id: String,
    /// The document.
    doc_id: String,
    /// Title of the submitted version.
    title: String,
    /// The same as `title`.
    doc_title: String,
    /// The submitted version.
    version: u64,
    /// The version `diff` compares against (none: against an empty text).
    base_version: Option<u64>,
    /// Login name of the author.
    author: String,
    /// User id of the author.
    author_id: String,
    /// Display name of the author.
    author_name: String,
    /// The author's note to the reviewers.
    message: String,
    /// Where it stands.
    state: StateName,
    /// The current stage (0-based), while pending.
    current_stage: Option<usize>,
    /// Its name.
    stage_name: Option<String>,
    /// Submitted at.
    submitted_at: DateTime<Utc>,
    /// The same as `submitted_at`.
    created_at: DateTime<Utc>,
    /// The stages of the policy snapshotted at submission.
    stages: Vec<StageView>,
    /// Every decision so far, in order.
    decisions: Vec<DecisionView>,
    /// Flagged sensitive words in the submitted version.
    flags: Vec<WordMatch>,
    /// The submitted version against `base_version`.
    diff: VersionDiff,
    /// Whether the caller may approve or reject now.
    can_decide: bool,
    /// Whether the caller may withdraw it.
    can_withdraw: bool,
    /// Where the document's head version stands.
    doc_status: DocStatus,
    /// The document's published version.
    published_version: Option<u64>,
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
async fn detail_on_pool(
    state: &AppState,
    who: &CurrentUser,
    s: StoredReview,
) -> Result<ReviewDetail> {
    let (st, caller) = (state.clone(), who.clone());
    state.cpu.run(move || detail(&st.store, &caller, &s)).await
}

/// The whole review: stages, decisions, flags and the diff against the published version.
fn detail(store: &Store, who: &CurrentUser, s: &StoredReview) -> Result<ReviewDetail> {
    let r = &s.review;
    let doc: Doc = docs::load(store, &r.doc_id)?;
    let (author, author_name) = user_names(store, &r.author);
    let (stage, stage_name) = current_stage(r);
    let waiting: Vec<String> = r.waiting_on().iter().map(|p| p.to_string()).collect();
    let stages = r
        .policy
        .stages
        .iter()
        .enumerate()
        .map(|(i, st)| {
            let status = if stage_done(r, i) {
                StageStatus::Done
            } else if stage == Some(i) {
                StageStatus::Current
            } else {
                StageStatus::Waiting
            };
            StageView {
                index: i,
                name: st.name.clone(),
                quorum: st.quorum,
                reviewers: st
                    .reviewers
                    .iter()
                    .map(|p| principal_view(store, p))
                    .collect(),
                status,
                done: status == StageStatus::Done,
                waiting_on: if stage == Some(i) {
                    waiting.clone()
                } else {
                    Vec::new()
                },
            }
        })
        .collect();
    let decisions = r
        .decisions
        .iter()
        .map(|d| {
            let (username, name) = user_names(store, &d.reviewer);
            DecisionView {
                stage: d.stage,
                stage_name: r.policy.stages.get(d.stage).map(|s| s.name.clone()),
                reviewer: d.reviewer.clone(),
                reviewer_username: username,
                reviewer_name: name,
                approve: d.approve,
                comment: d.comment.clone(),
                at: d.at,
                counts_for: d.counts_for.iter().map(|p| p.to_string()).collect(),
            }
        })
        .collect();
    // Compare against what readers see: the published version now while open, else the one
    // published when it was submitted; but never against a version that lived where this caller
    // may not read (a document moved out of a restricted category): then the one published at
    // submission, if readable, else nothing.
    let base = reviews::comparison_base(store, who, &doc, s)?;
    let to = docs::version(store, &doc, r.version)?;
    let from = match base {
        Some(p) => docs::version(store, &doc, p)?,
        None => reviews::empty_version(r.submitted_at),
    };
    let diff = docs::diff_versions(&from, &to, &crate::text::words);
    Ok(ReviewDetail {
        id: r.id.clone(),
        doc_id: r.doc_id.clone(),
        title: s.title.clone(),
        doc_title: s.title.clone(),
        version: r.version,
        base_version: base,
        author,
        author_id: r.author.clone(),
        author_name,
        message: s.message.clone(),
        state: StateName::of(r.state),
        current_stage: stage,
        stage_name,
        submitted_at: r.submitted_at,
        created_at: r.submitted_at,
        stages,
        decisions,
        flags: s.flags.iter().map(WordMatch::from).collect(),
        diff: diff.into(),
        can_decide: reviews::awaits(store, who, r, &doc)?,
        can_withdraw: r.state.is_open() && r.author == who.id(),
        doc_status: doc.status,
        published_version: doc.published_version,
    })
}

/// A review: stages, decisions, diff against the published version
#[utoipa::path(
    get,
    path = "/reviews/{id}",
    tag = "reviews",
    operation_id = "read_review",
    params(("id" = String, Path, description = "Review id")),
    responses((status = 200, body = ReviewDetail)),
    extensions(("x-error-codes" = json!([Code::ServerBusy]))),
)]
async fn read(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<ReviewDetail>> {
    let (stored, _) = reviews::load_visible(&state.store, &who, &id)?;
    Ok(Json(detail_on_pool(&state, &who, stored).await?))
}

/// A decision's comment.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ReviewComment)]
struct CommentBody {
    /// At most 2000 characters; required to reject.
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

/// An approval's comment, and whether the version it publishes asks readers to acknowledge it
/// again.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ReviewApproval)]
struct ApproveBody {
    /// At most 2000 characters.
    #[serde(default)]
    comment: Option<String>,
    /// 需重新确认: once this review publishes, everyone who acknowledged an older version in an
    /// onboarding collection must acknowledge again.
    #[serde(default)]
    reconfirm: bool,
}

async fn act(
    state: &AppState,
    who: &CurrentUser,
    id: &str,
    action: ReviewAction,
    reconfirm: bool,
) -> Result<Json<ReviewDetail>> {
    let store = &state.store;
    // A decision that publishes rebuilds versions and tells watchers and robots: CPU work, so
    // on the pool.
    let (st, caller, id_owned) = (state.clone(), who.clone(), id.to_owned());
    let decided = state
        .cpu
        .run(move || {
            reviews::decide_with(
                &st.store,
                &caller,
                &Actor::of(&caller),
                &id_owned,
                action,
                reconfirm,
            )
        })
        .await?;
    store.flush().await?;
    if decided.published {
        state.notify_indexer();
    }
    Ok(Json(detail_on_pool(state, who, decided.review).await?))
}

/// Approve the current stage
#[utoipa::path(
    post,
    path = "/reviews/{id}/approve",
    tag = "reviews",
    operation_id = "approve_review",
    params(("id" = String, Path, description = "Review id")),
    request_body = ApproveBody,
    responses((status = 200, description = "The review after the decision", body = ReviewDetail)),
    extensions(("x-error-codes" = json!([
        Code::Forbidden, Code::SelfApproval, Code::NotAReviewer, Code::AlreadyDecided,
        Code::NotPending, Code::DocDeleted, Code::ReviewBusy, Code::InvalidPolicy,
        Code::NoEligibleReviewer, Code::ServerBusy,
    ]))),
)]
async fn approve(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<ApproveBody>,
) -> Result<Json<ReviewDetail>> {
    let comment = check_comment(body.comment)?;
    act(
        &state,
        &who,
        &id,
        ReviewAction::Approve { comment },
        body.reconfirm,
    )
    .await
}

/// Reject with a comment
#[utoipa::path(
    post,
    path = "/reviews/{id}/reject",
    tag = "reviews",
    operation_id = "reject_review",
    params(("id" = String, Path, description = "Review id")),
    request_body = CommentBody,
    responses((status = 200, description = "The review after the decision", body = ReviewDetail)),
    extensions(("x-error-codes" = json!([
        Code::Forbidden, Code::SelfApproval, Code::NotAReviewer, Code::AlreadyDecided,
        Code::NotPending, Code::CommentRequired, Code::ReviewBusy, Code::InvalidPolicy,
        Code::ServerBusy,
    ]))),
)]
async fn reject(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<CommentBody>,
) -> Result<Json<ReviewDetail>> {
    // A missing comment is the domain's `comment_required`, like a blank one.
    let comment = check_comment(body.comment)?.unwrap_or_default();
    act(&state, &who, &id, ReviewAction::Reject { comment }, false).await
}

/// Withdraw one's own submission
#[utoipa::path(
    post,
    path = "/reviews/{id}/withdraw",
    tag = "reviews",
    operation_id = "withdraw_review",
    params(("id" = String, Path, description = "Review id")),
    responses((status = 200, description = "The review, withdrawn", body = ReviewDetail)),
    extensions(("x-error-codes" = json!([
        Code::NotAuthor, Code::NotPending, Code::ReviewBusy, Code::ServerBusy,
    ]))),
)]
async fn withdraw(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<ReviewDetail>> {
    act(&state, &who, &id, ReviewAction::Withdraw, false).await
}

/// The re-review date to set.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = SetReviewBy)]
struct ReviewByBody {
    /// The date (`YYYY-MM-DD`); absent or null: none.
    #[serde(default)]
    date: Option<chrono::NaiveDate>,
}

/// A document's re-review date, after a change.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewBy {
    /// Document id.
    id: String,
    /// The date by which it should be reviewed again.
    review_by: Option<NaiveDate>,
}

/// Set or clear the date by which the document should be reviewed again
#[utoipa::path(
    put,
    path = "/documents/{id}/review-by",
    tag = "reviews",
    operation_id = "set_review_by",
    params(("id" = String, Path, description = "Document id")),
    request_body = ReviewByBody,
    responses((status = 200, body = ReviewBy)),
    extensions(("x-error-codes" = json!([Code::Forbidden]))),
)]
async fn set_review_by(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<ReviewByBody>,
) -> Result<Json<ReviewBy>> {
    let store = &state.store;
    let doc = reviews::set_review_by(store, &who, &Actor::of(&who), &id, body.date)?;
    store.flush().await?;
    Ok(Json(ReviewBy {
        id: doc.id,
        review_by: doc.review_by,
    }))
}

/// A published document past its review-by date.
#[derive(Debug, Serialize, ToSchema)]
pub struct StaleDoc {
    /// Document id.
    id: String,
    /// Title.
    title: String,
    /// The space.
    space_id: String,
    /// The category, or none at the space root.
    category_id: Option<String>,
    /// The date passed.
    review_by: Option<NaiveDate>,
    /// Days since that date.
    days_overdue: Option<i64>,
    /// Head version.
    version: u64,
    /// The version readers see.
    published_version: Option<u64>,
    /// Where the head version stands.
    status: DocStatus,
    /// Login name of the head version's author.
    author: String,
    /// Display name of the head version's author.
    author_name: String,
    /// Time of the head version.
    updated_at: DateTime<Utc>,
}

/// Documents past their review-by date.
#[derive(Debug, Serialize, ToSchema)]
pub struct StaleList {
    /// How many.
    total: usize,
    /// The documents.
    items: Vec<StaleDoc>,
}

/// Published documents past their review-by date
#[utoipa::path(
    get,
    path = "/reviews/stale",
    tag = "reviews",
    operation_id = "stale_documents",
    responses((status = 200, description = "In places where the caller reviews", body = StaleList)),
)]
async fn stale(State(state): State<AppState>, who: CurrentUser) -> Result<Json<StaleList>> {
    let store = &state.store;
    let today = Utc::now().date_naive();
    let docs = reviews::stale(store, &who, today)?;
    let items: Vec<StaleDoc> = docs
        .iter()
        .map(|d| {
            let (author, author_name) = user_names(store, &d.updated_by);
            StaleDoc {
                id: d.id.clone(),
                title: d.title.clone(),
                space_id: d.space_id.clone(),
                category_id: d.category_id.clone(),
                review_by: d.review_by,
                days_overdue: d.review_by.map(|r| (today - r).num_days()),
                version: d.version,
                published_version: d.published_version,
                status: d.status,
                author,
                author_name,
                updated_at: d.updated_at,
            }
        })
        .collect();
    Ok(Json(StaleList {
        total: items.len(),
        items,
    }))
}

/// A page of the inbox.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct InboxQuery {
    /// Page size, 1 to 100 (default 20).
    #[serde(default)]
    limit: Option<usize>,
    /// Notifications to skip.
    #[serde(default)]
    offset: Option<usize>,
}

/// What a notification announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// A submission reached a stage you review.
    ReviewRequested,
    /// Your submission passed a stage.
    StageAdvanced,
    /// Your submission passed every stage and is published.
    Approved,
    /// Your submission was rejected (the text carries the comment).
    Rejected,
    /// A review you are waited on has been pending too long.
    WaitingTooLong,
    /// You were assigned an onboarding collection.
    CollectionAssigned,
    /// An onboarding collection of yours is due in three days.
    CollectionDueSoon,
    /// An onboarding collection of yours is overdue.
    CollectionOverdue,
    /// Someone mentioned you in a comment or a document.
    Mentioned,
    /// Someone commented on a document you watch.
    Commented,
    /// A document you watch has a newly published version.
    Published,
    /// An action item was assigned to you.
    ActionAssigned,
    /// An action item of yours is due in three days.
    ActionDueSoon,
    /// An action item of yours is overdue.
    ActionOverdue,
}

impl From<reviews::NotificationKind> for NotificationKind {
    fn from(k: reviews::NotificationKind) -> Self {
        match k {
            reviews::NotificationKind::ReviewRequested => NotificationKind::ReviewRequested,
            reviews::NotificationKind::StageAdvanced => NotificationKind::StageAdvanced,
            reviews::NotificationKind::Approved => NotificationKind::Approved,
            reviews::NotificationKind::Rejected => NotificationKind::Rejected,
            reviews::NotificationKind::WaitingTooLong => NotificationKind::WaitingTooLong,
            reviews::NotificationKind::CollectionAssigned => NotificationKind::CollectionAssigned,
            reviews::NotificationKind::CollectionDueSoon => NotificationKind::CollectionDueSoon,
            reviews::NotificationKind::CollectionOverdue => NotificationKind::CollectionOverdue,
            reviews::NotificationKind::Mentioned => NotificationKind::Mentioned,
            reviews::NotificationKind::Commented => NotificationKind::Commented,
            reviews::NotificationKind::Published => NotificationKind::Published,
            reviews::NotificationKind::ActionAssigned => NotificationKind::ActionAssigned,
            reviews::NotificationKind::ActionDueSoon => NotificationKind::ActionDueSoon,
            reviews::NotificationKind::ActionOverdue => NotificationKind::ActionOverdue,
        }
    }
}

/// One in-app notification.
#[derive(Debug, Serialize, ToSchema)]
pub struct Notification {
    /// The id to send back to mark it read.
    id: String,
    /// What it announces.
    kind: NotificationKind,
    /// The message (Chinese).
    text: String,
    /// Where the web app goes, e.g. `#/reviews/<id>` or `#/doc/<id>`.
    link: String,
    /// When.
    created_at: DateTime<Utc>,
    /// Whether it has been read.
    read: bool,
    /// The review concerned.
    review_id: Option<String>,
    /// The document concerned.
    doc_id: Option<String>,
    /// The onboarding collection concerned.
    collection_id: Option<String>,
    /// How many events it stands for when quick ones were grouped (e.g. ten saves in a row).
    #[serde(skip_serializing_if = "is_single")]
    count: u32,
}

fn is_single(n: &u32) -> bool {
    *n <= 1
}

impl From<reviews::Notification> for Notification {
    fn from(n: reviews::Notification) -> Self {
        // Whole, so that a field added there cannot be left out here.
        let reviews::Notification {
            id,
            kind,
            text,
            link,
            created_at,
            read,
            review_id,
            doc_id,
            collection_id,
            count,
        } = n;
        Notification {
            id,
            kind: kind.into(),
            text,
            link,
            created_at,
            read,
            review_id,
            doc_id,
            collection_id,
            count,
        }
    }
}

/// A page of the caller's notifications.
#[derive(Debug, Serialize, ToSchema)]
pub struct Inbox {
    /// Unread, in all.
    unread: usize,
    /// Notifications, in all.
    total: usize,
    /// Newest first.
    items: Vec<Notification>,
    /// The page size used.
    limit: usize,
    /// The offset used.
    offset: usize,
}

/// In-app inbox with the unread count
#[utoipa::path(
    get,
    path = "/notifications",
    tag = "reviews",
    operation_id = "notifications",
    params(InboxQuery),
    responses((status = 200, body = Inbox)),
)]
async fn notifications(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiQuery(q): ApiQuery<InboxQuery>,
) -> Result<Json<Inbox>> {
    catch_up_waiting(&state).await?;
    let limit = q.limit.unwrap_or(20).clamp(1, 100);
    let offset = q.offset.unwrap_or(0);
    let inbox = reviews::inbox(&state.store, who.id(), limit, offset)?;
    Ok(Json(Inbox {
        unread: inbox.unread,
        total: inbox.total,
        items: inbox.items.into_iter().map(Notification::from).collect(),
        limit,
        offset,
    }))
}

/// Which notifications to mark read.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = MarkRead)]
struct ReadBody {
    /// At most 1,000 ids; absent or null: all of them.
    #[serde(default)]
    ids: Option<Vec<String>>,
}

/// The inbox after marking notifications read.
#[derive(Debug, Serialize, ToSchema)]
pub struct Marked {
    /// How many changed from unread to read.
    marked: usize,
    /// Unread now.
    unread: usize,
}

/// Mark notifications read
#[utoipa::path(
    post,
    path = "/notifications/read",
    tag = "reviews",
    operation_id = "mark_notifications_read",
    request_body = ReadBody,
    responses((status = 200, body = Marked)),
)]
async fn mark_read(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiJson(body): ApiJson<ReadBody>,
) -> Result<Json<Marked>> {
    if body.ids.as_ref().is_some_and(|ids| ids.len() > 1000) {
        return Err(Error::invalid("ids", "at most 1,000 ids at once")
            .because(Reason::TooMany)
            .with("limit", 1000));
    }
    let store = &state.store;
    let changed = reviews::mark_read(store, who.id(), body.ids.as_deref())?;
    store.flush().await?;
    let unread = reviews::inbox(store, who.id(), 0, 0)?.unread;
    Ok(Json(Marked {
        marked: changed,
        unread,
    }))
}

/// One entry of the sensitive-word list.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SensitiveWord {
    /// The word (matched case-insensitively for ASCII letters).
    word: String,
    /// Block or flag.
    action: WordAction,
}

impl From<reviews::SensitiveWord> for SensitiveWord {
    fn from(w: reviews::SensitiveWord) -> Self {
        // Whole, so that a field added there cannot be left out here.
        let reviews::SensitiveWord { word, action } = w;
        SensitiveWord {
            word,
            action: action.into(),
        }
    }
}

impl From<SensitiveWord> for reviews::SensitiveWord {
    fn from(w: SensitiveWord) -> Self {
        let SensitiveWord { word, action } = w;
        reviews::SensitiveWord {
            word,
            action: action.into(),
        }
    }
}

/// The sensitive-word list (asked for, sent, or as stored after a change).
#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = SensitiveWordList)]
pub struct WordsBody {
    /// The words.
    words: Vec<SensitiveWord>,
}

impl WordsBody {
    fn of(words: Vec<reviews::SensitiveWord>) -> Self {
        WordsBody {
            words: words.into_iter().map(SensitiveWord::from).collect(),
        }
    }
}

/// The sensitive-word list (admins)
#[utoipa::path(
    get,
    path = "/admin/sensitive-words",
    tag = "admin",
    operation_id = "sensitive_words",
    responses((status = 200, body = WordsBody)),
    extensions(("x-error-codes" = json!([Code::Forbidden]))),
)]
async fn get_words(State(state): State<AppState>, who: CurrentUser) -> Result<Json<WordsBody>> {
    Ok(Json(WordsBody::of(reviews::words_for(&state.store, &who)?)))
}

/// Replace the sensitive-word list (admins)
#[utoipa::path(
    put,
    path = "/admin/sensitive-words",
    tag = "admin",
    operation_id = "set_sensitive_words",
    request_body = WordsBody,
    responses((status = 200, description = "The list as stored", body = WordsBody)),
    extensions(("x-error-codes" = json!([Code::Forbidden]))),
)]
async fn put_words(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiJson(body): ApiJson<WordsBody>,
) -> Result<Json<WordsBody>> {
    let sent: Vec<reviews::SensitiveWord> = body.words.into_iter().map(Into::into).collect();
    let words = reviews::set_words(&state.store, &who, &sent)?;
    let store = &state.store;
    store.flush().await?;
    Ok(Json(WordsBody::of(words)))
}
