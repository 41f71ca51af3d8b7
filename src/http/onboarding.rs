//! Onboarding collections over HTTP: create and change them, list mine, read one with my
//! acknowledgements, acknowledge an item, and progress (JSON or CSV). The work is in
//! [`crate::service::onboarding`]; handlers parse, run it on the CPU pool (it checks every
//! person against every item), flush and shape the answer.

use axum::{
    Json, Router,
    extract::State,
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::{
    AppState,
    error::{Code, Error, Reason, Result},
    http::auth::CurrentUser,
    http::extract::{ApiJson, ApiPath, ApiQuery},
    http::openapi::Binary,
    model::{Collection, CollectionItem},
    service::onboarding::{self as ob, Draft, ItemState, Role, Row, View},
};

/// The operations of this module, for the API description.
#[derive(OpenApi)]
#[openapi(paths(create, list, read, replace, ack, progress))]
pub struct ApiDoc;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/collections", get(list).post(create))
        .route("/collections/{id}", get(read).put(replace))
        .route("/collections/{id}/items/{doc_id}/ack", post(ack))
        .route("/collections/{id}/progress", get(progress))
}

// ---- shapes -----------------------------------------------------------------------------------

/// One document of a new or changed collection.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CollectionItemInput)]
struct ItemInput {
    /// The document (its published version is what people read).
    doc_id: String,
    /// Counts towards completion (default true).
    #[serde(default = "yes")]
    required: bool,
}

fn yes() -> bool {
    true
}

/// A new collection, or the whole of a changed one.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CollectionInput)]
struct CollectionBody {
    /// Name (1 to 100 characters).
    name: String,
    /// Description (at most 2000 characters).
    #[serde(default)]
    description: String,
    /// The documents in reading order (1 to 200); every person of the audience must be able to
    /// read each (else 422 `item_not_readable`).
    items: Vec<ItemInput>,
    /// `group:<id>`, `user:<id>`, `kind:employee`, `kind:intern`, `kind:external` (1 to 100),
    /// resolved whenever asked.
    audience: Vec<String>,
    /// Days after each person's assignment by which they should be done (1 to 365, default 14).
    #[serde(default = "two_weeks")]
    due_days: u32,
}

fn two_weeks() -> u32 {
    14
}

impl CollectionBody {
    fn draft(self) -> Draft {
        Draft {
            name: self.name,
            description: self.description,
            items: self
                .items
                .into_iter()
                .map(|i| CollectionItem {
                    doc_id: i.doc_id,
                    required: i.required,
                })
                .collect(),
            audience: self.audience,
            due_days: self.due_days,
        }
    }
}

/// How the caller stands towards a collection.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CollectionRole {
    /// Owner or administrator: sees everyone's progress and may change it.
    Manager,
    /// Heads a department with people in it: sees their progress.
    DepartmentHead,
    /// In the audience.
    Member,
}

impl From<Role> for CollectionRole {
    fn from(r: Role) -> Self {
        match r {
            Role::Manager => CollectionRole::Manager,
            Role::Head => CollectionRole::DepartmentHead,
            Role::Member => CollectionRole::Member,
        }
    }
}

/// An audience entry and how it reads.
#[derive(Debug, Serialize, ToSchema)]
pub struct AudienceEntry {
    /// `group:<id>`, `user:<id>` or `kind:<kind>`.
    principal: String,
    /// The department's or account's name, or 全体实习生 and the like.
    label: String,
}

/// One item as the caller sees it. An item the caller cannot read (deleted, unpublished, hidden
/// since) is `available: false`, without its id or title.
#[derive(Debug, Serialize, ToSchema)]
pub struct ItemView {
    /// Position in the reading order (0-based).
    position: usize,
    /// The document, when available.
    doc_id: Option<String>,
    /// Its title at the published version, when available.
    title: Option<String>,
    /// Counts towards completion.
    required: bool,
    /// Whether the caller can read it.
    available: bool,
    /// The published version, when available.
    published_version: Option<u64>,
    /// The version the caller acknowledged, if any.
    acknowledged_version: Option<u64>,
    /// When.
    acknowledged_at: Option<DateTime<Utc>>,
    /// The caller (in the audience) must acknowledge it, for the first time or again.
    needs_ack: bool,
}

fn item_view(i: &ItemState, member: bool) -> ItemView {
    let (doc_id, title, published) = match &i.readable {
        Some((v, t)) => (Some(i.item.doc_id.clone()), Some(t.clone()), Some(*v)),
        None => (None, None, None),
    };
    ItemView {
        position: i.position,
        doc_id,
        title,
        required: i.item.required,
        available: i.readable.is_some(),
        published_version: published,
        acknowledged_version: i.ack.as_ref().map(|a| a.version),
        acknowledged_at: i.ack.as_ref().map(|a| a.at),
        needs_ack: member && i.needs_ack,
    }
}

/// The caller's own standing.
#[derive(Debug, Serialize, ToSchema)]
pub struct MyProgress {
    /// In the audience (assigned).
    assigned: bool,
    /// When assigned.
    assigned_at: Option<DateTime<Utc>>,
    /// Due.
    due: Option<DateTime<Utc>>,
    /// Past due and not done.
    overdue: bool,
    /// Required items the caller can read.
    required: usize,
    /// Of those, acknowledged.
    done: usize,
    /// The first item still to acknowledge, in reading order.
    next: Option<NextItem>,
}

/// The next item to read.
#[derive(Debug, Serialize, ToSchema)]
pub struct NextItem {
    /// Position (0-based).
    position: usize,
    /// The document.
    doc_id: String,
    /// Its title.
    title: String,
}

fn my_progress(row: Option<&Row>, items: &[ItemState], now: DateTime<Utc>) -> MyProgress {
    let next = row.and_then(|_| {
        items
            .iter()
            .find(|i| i.needs_ack && i.item.required)
            .or_else(|| items.iter().find(|i| i.needs_ack))
            .and_then(|i| {
                i.readable.as_ref().map(|(_, t)| NextItem {
                    position: i.position,
                    doc_id: i.item.doc_id.clone(),
                    title: t.clone(),
                })
            })
    });
    MyProgress {
        assigned: row.is_some(),
        assigned_at: row.map(|r| r.assigned_at),
        due: row.map(|r| r.due),
        overdue: row.is_some_and(|r| r.overdue(now)),
        required: row.map_or(0, |r| r.standing.required),
        done: row.map_or(0, |r| r.standing.done),
        next,
    }
}

/// A collection with its items as the caller sees them.
#[derive(Debug, Serialize, ToSchema)]
pub struct CollectionView {
    /// Collection id.
    id: String,
    /// Name.
    name: String,
    /// Description.
    description: String,
    /// Days to complete after assignment.
    due_days: u32,
    /// Owner (user id).
    owner: String,
    /// Owner's display name.
    owner_name: String,
    /// How the caller stands towards it.
    role: CollectionRole,
    /// The audience (managers only).
    #[serde(skip_serializing_if = "Option::is_none")]
    audience: Option<Vec<AudienceEntry>>,
    /// The items in reading order.
    items: Vec<ItemView>,
    /// The caller's own standing.
    me: MyProgress,
    /// Created.
    created_at: DateTime<Utc>,
    /// Last changed.
    updated_at: DateTime<Utc>,
}

fn collection_view(
    state: &AppState,
    who: &CurrentUser,
    c: Collection,
    view: &View,
    dir: &ob::Directory,
) -> Result<CollectionView> {
    let store = &state.store;
    let now = state.clock.now();
    let items = ob::Items::load(store, &c)?;
    let (a, st) = ob::my_standing(store, who, &c, &items)?;
    let row = a.filter(|_| view.member).map(|a| Row {
        user: who.user.clone(),
        assigned_at: a.assigned_at,
        due: ob::due(&c, &a),
        standing: st.clone(),
    });
    let audience = (view.role == Role::Manager).then(|| {
        c.audience
            .iter()
            .map(|p| AudienceEntry {
                principal: p.clone(),
                label: dir.label(p),
            })
            .collect()
    });
    let owner_name = dir
        .user(&c.owner)
        .map_or_else(|| c.owner.clone(), |u| u.display_name.clone());
    Ok(CollectionView {
        me: my_progress(row.as_ref(), &st.items, now),
        items: st.items.iter().map(|i| item_view(i, view.member)).collect(),
        id: c.id,
        name: c.name,
        description: c.description,
        due_days: c.due_days,
        owner: c.owner,
        owner_name,
        role: view.role.into(),
        audience,
        created_at: c.created_at,
        updated_at: c.updated_at,
    })
}

// ---- handlers ---------------------------------------------------------------------------------

/// Create an onboarding collection (admins and space managers)
#[utoipa::path(
    post,
    path = "/collections",
    tag = "onboarding",
    operation_id = "create_collection",
    request_body = CollectionBody,
    responses((status = 200, description = "The collection as its owner sees it", body = CollectionView)),
    extensions(("x-error-codes" = json!([Code::Forbidden, Code::ItemNotReadable, Code::ServerBusy]))),
)]
async fn create(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiJson(body): ApiJson<CollectionBody>,
) -> Result<Json<CollectionView>> {
    save(state, who, None, body).await
}

/// Change a collection: name, description, items, audience, due days (its owner and admins)
#[utoipa::path(
    put,
    path = "/collections/{id}",
    tag = "onboarding",
    operation_id = "replace_collection",
    params(("id" = String, Path, description = "Collection id")),
    request_body = CollectionBody,
    responses((status = 200, description = "The collection after the change", body = CollectionView)),
    extensions(("x-error-codes" = json!([Code::Forbidden, Code::ItemNotReadable, Code::ServerBusy]))),
)]
async fn replace(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<CollectionBody>,
) -> Result<Json<CollectionView>> {
    save(state, who, Some(id), body).await
}

/// Creates (no id) or replaces a collection on the CPU pool, and answers it as the caller sees
/// it afterwards.
async fn save(
    state: AppState,
    who: CurrentUser,
    id: Option<String>,
    body: CollectionBody,
) -> Result<Json<CollectionView>> {
    let (st, caller) = (state.clone(), who.clone());
    let view = state
        .cpu
        .run(move || {
            let now = st.clock.now();
            let c = match id {
                None => ob::create(&st.store, &caller, body.draft(), now)?,
                Some(id) => ob::replace(&st.store, &caller, &id, body.draft(), now)?,
            };
            let (c, view, dir) = ob::load_visible(&st.store, &caller, &c.id, now)?;
            collection_view(&st, &caller, c, &view, &dir)
        })
        .await?;
    state.store.flush().await?;
    Ok(Json(view))
}

/// A collection assigned to the caller.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssignedCollection {
    /// Collection id.
    id: String,
    /// Name.
    name: String,
    /// Description.
    description: String,
    /// Items in all.
    items: usize,
    /// The caller's standing (with the next item to read).
    me: MyProgress,
}

/// A collection the caller manages or whose department progress they see.
#[derive(Debug, Serialize, ToSchema)]
pub struct ManagedCollection {
    /// Collection id.
    id: String,
    /// Name.
    name: String,
    /// Description.
    description: String,
    /// Items in all.
    items: usize,
    /// Days to complete.
    due_days: u32,
    /// Manager or department head.
    role: CollectionRole,
    /// People whose progress the caller sees.
    people: usize,
    /// Of them, done.
    complete: usize,
    /// Of them, overdue.
    overdue: usize,
}

/// The caller's collections.
#[derive(Debug, Serialize, ToSchema)]
pub struct CollectionList {
    /// Assigned to me, with my progress (newest first).
    assigned: Vec<AssignedCollection>,
    /// Those I manage, or whose progress I see as a department head.
    managed: Vec<ManagedCollection>,
    /// Whether I may create collections.
    can_create: bool,
}

/// My onboarding collections: assigned to me, and managed by me
#[utoipa::path(
    get,
    path = "/collections",
    tag = "onboarding",
    operation_id = "list_collections",
    responses((status = 200, body = CollectionList)),
    extensions(("x-error-codes" = json!([Code::ServerBusy]))),
)]
async fn list(State(state): State<AppState>, who: CurrentUser) -> Result<Json<CollectionList>> {
    let (st, caller) = (state.clone(), who.clone());
    let answer = state
        .cpu
        .run(move || {
            let now = st.clock.now();
            let store = &st.store;
            let mut assigned = Vec::new();
            let mut managed = Vec::new();
            for l in ob::list(store, &caller, now)? {
                let c = &l.collection;
                if let Some(row) = &l.mine {
                    assigned.push(AssignedCollection {
                        id: c.id.clone(),
                        name: c.name.clone(),
                        description: c.description.clone(),
                        items: c.items.len(),
                        me: my_progress(Some(row), &row.standing.items, now),
                    });
                }
                if l.view.role != Role::Member {
                    managed.push(ManagedCollection {
                        id: c.id.clone(),
                        name: c.name.clone(),
                        description: c.description.clone(),
                        items: c.items.len(),
                        due_days: c.due_days,
                        role: l.view.role.into(),
                        people: l.counts.0,
                        complete: l.counts.1,
                        overdue: l.counts.2,
                    });
                }
            }
            Ok(CollectionList {
                assigned,
                managed,
                can_create: ob::may_curate(store, &caller)?,
            })
        })
        .await?;
    state.store.flush().await?;
    Ok(Json(answer))
}

/// One collection: items in order, and for me per item acknowledged_version and needs_ack
#[utoipa::path(
    get,
    path = "/collections/{id}",
    tag = "onboarding",
    operation_id = "read_collection",
    params(("id" = String, Path, description = "Collection id")),
    responses((status = 200, body = CollectionView)),
    extensions(("x-error-codes" = json!([Code::ServerBusy]))),
)]
async fn read(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<CollectionView>> {
    let (st, caller) = (state.clone(), who.clone());
    let view = state
        .cpu
        .run(move || {
            let (c, view, dir) = ob::load_visible(&st.store, &caller, &id, st.clock.now())?;
            collection_view(&st, &caller, c, &view, &dir)
        })
        .await?;
    state.store.flush().await?;
    Ok(Json(view))
}

/// An acknowledgement.
#[derive(Debug, Serialize, ToSchema)]
pub struct Acknowledged {
    /// The collection.
    collection_id: String,
    /// The document.
    doc_id: String,
    /// The published version acknowledged.
    version: u64,
    /// When.
    acknowledged_at: DateTime<Utc>,
    /// My standing after it.
    me: MyProgress,
}

/// I have read and understood the published version of this item (我已阅读并理解)
#[utoipa::path(
    post,
    path = "/collections/{id}/items/{doc_id}/ack",
    tag = "onboarding",
    operation_id = "acknowledge_item",
    params(
        ("id" = String, Path, description = "Collection id"),
        ("doc_id" = String, Path, description = "Document id of the item"),
    ),
    responses((status = 200, body = Acknowledged)),
    extensions(("x-error-codes" = json!([Code::Forbidden, Code::ServerBusy]))),
)]
async fn ack(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath((id, doc_id)): ApiPath<(String, String)>,
) -> Result<Json<Acknowledged>> {
    let (st, caller) = (state.clone(), who.clone());
    let answer = state
        .cpu
        .run(move || {
            let now = st.clock.now();
            let store = &st.store;
            let (c, a) = ob::acknowledge(store, &caller, &id, &doc_id, now)?;
            let items = ob::Items::load(store, &c)?;
            let (assignment, standing) = ob::my_standing(store, &caller, &c, &items)?;
            let row = assignment.map(|x| Row {
                user: caller.user.clone(),
                assigned_at: x.assigned_at,
                due: ob::due(&c, &x),
                standing: standing.clone(),
            });
            Ok(Acknowledged {
                collection_id: c.id.clone(),
                doc_id,
                version: a.version,
                acknowledged_at: a.at,
                me: my_progress(row.as_ref(), &standing.items, now),
            })
        })
        .await?;
    state.store.flush().await?;
    Ok(Json(answer))
}

/// How to answer progress.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ProgressQuery {
    /// `json` (default) or `csv` (UTF-8 with a byte-order mark, for Excel).
    #[serde(default)]
    format: Option<String>,
}

/// One person's progress.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProgressRow {
    /// User id.
    user: String,
    /// Login name.
    username: String,
    /// Display name.
    display_name: String,
    /// Required items they can read.
    required: usize,
    /// Of those, acknowledged at a version that still counts.
    done: usize,
    /// When assigned.
    assigned_at: DateTime<Utc>,
    /// Due.
    due: DateTime<Utc>,
    /// Past due and not done.
    overdue: bool,
    /// Their last acknowledgement.
    last_activity: Option<DateTime<Utc>>,
    /// When they finished (all required items acknowledged).
    completed_at: Option<DateTime<Utc>>,
    /// Per item, in order: acknowledged at a version that still counts.
    items_done: Vec<bool>,
}

/// Progress of the people the caller may see.
#[derive(Debug, Serialize, ToSchema)]
pub struct Progress {
    /// Collection id.
    collection_id: String,
    /// Name.
    name: String,
    /// How the caller stands towards it (managers see everyone, a department head their
    /// department, a person themselves).
    role: CollectionRole,
    /// The items, as the caller sees them.
    items: Vec<ItemView>,
    /// One row per person, by login.
    people: Vec<ProgressRow>,
}

/// Progress per person (?format=csv for Excel)
#[utoipa::path(
    get,
    path = "/collections/{id}/progress",
    tag = "onboarding",
    operation_id = "collection_progress",
    params(("id" = String, Path, description = "Collection id"), ProgressQuery),
    responses(
        (status = 200, description = "Per person; CSV with ?format=csv", content(
            (Progress = "application/json"),
            (inline(Binary) = "text/csv"),
        )),
    ),
    extensions(("x-error-codes" = json!([Code::ServerBusy]))),
)]
async fn progress(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<ProgressQuery>,
) -> Result<Response> {
    let csv = match q.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(_) => {
            return Err(Error::invalid("format", "json or csv")
                .because(Reason::NotOneOf)
                .with("allowed", ["json", "csv"]));
        }
    };
    let (st, caller) = (state.clone(), who.clone());
    let (c, view, items, rows, now) = state
        .cpu
        .run(move || {
            let now = st.clock.now();
            let (c, view, items, rows) = ob::progress(&st.store, &caller, &id, now)?;
            let mine = ob::items_for(&st.store, &caller, &items)?;
            Ok((c, view, mine, rows, now))
        })
        .await?;
    state.store.flush().await?;
    if csv {
        let name: String = format!("{}-进度.csv", c.name);
        return Ok((
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/csv; charset=utf-8"),
                ),
                (
                    header::CONTENT_DISPOSITION,
                    crate::http::export::disposition(&name),
                ),
            ],
            ob::csv(&rows, now),
        )
            .into_response());
    }
    Ok(Json(Progress {
        collection_id: c.id,
        name: c.name,
        role: view.role.into(),
        items: items.items.iter().map(|i| item_view(i, false)).collect(),
        people: rows
            .iter()
            .map(|r| ProgressRow {
                user: r.user.id.clone(),
                username: r.user.username.clone(),
                display_name: r.user.display_name.clone(),
                required: r.standing.required,
                done: r.standing.done,
                assigned_at: r.assigned_at,
                due: r.due,
                overdue: r.overdue(now),
                last_activity: r.standing.last_activity,
                completed_at: r.standing.completed_at,
                items_done: r
                    .standing
                    .items
                    .iter()
                    .map(|i| i.readable.is_some() && !i.needs_ack)
                    .collect(),
            })
            .collect(),
    })
    .into_response())
}
