//! Accounts, departments (groups) and the audit log. Admins manage accounts; users change their own
//! password and display name.

use axum::{
    Json, Router,
    extract::State,
    routing::{get, post, put},
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::{
    AppState,
    domain::permission::AccountKind,
    error::{Code, Error, Reason, Result},
    http::auth::CurrentUser,
    http::{
        extract::{ApiJson, ApiPath, ApiQuery},
        session::{Done, UserView},
    },
    model::{AuditEvent, Group, User},
    service::{accounts, audit, sessions},
    store::Store,
};

/// The operations of this module, for the API description.
#[derive(OpenApi)]
#[openapi(paths(
    list_users,
    create_user,
    read_user,
    update_user,
    change_own_password,
    list_groups,
    create_group,
    read_group,
    rename_group,
    set_members,
    audit
))]
pub struct ApiDoc;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/users", get(list_users).post(create_user))
        .route("/users/{id}", get(read_user).patch(update_user))
        .route("/me/password", post(change_own_password))
        .route("/groups", get(list_groups).post(create_group))
        .route("/groups/{id}", get(read_group).patch(rename_group))
        .route("/groups/{id}/members", put(set_members))
        .route("/audit", get(audit))
}

fn groups_by_user(store: &Store) -> Result<Vec<Group>> {
    Ok(store.catalog()?.groups.clone())
}

fn view(u: &User, groups: &[Group]) -> UserView {
    UserView::new(
        u,
        groups
            .iter()
            .filter(|g| g.members.contains(&u.id))
            .map(|g| g.id.clone())
            .collect(),
    )
}

/// The accounts.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserList {
    /// How many.
    total: usize,
    /// The accounts.
    items: Vec<UserView>,
}

/// List accounts (admins)
#[utoipa::path(
    get,
    path = "/users",
    tag = "accounts",
    operation_id = "list_users",
    responses((status = 200, body = UserList)),
    extensions(("x-error-codes" = json!([Code::Forbidden]))),
)]
async fn list_users(State(state): State<AppState>, who: CurrentUser) -> Result<Json<UserList>> {
    let store = &state.store;
    let users = accounts::list(store, &who)?;
    let groups = groups_by_user(store)?;
    let items: Vec<UserView> = users.iter().map(|u| view(u, &groups)).collect();
    Ok(Json(UserList {
        total: items.len(),
        items,
    }))
}

/// A new account.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateUser {
    /// Login name: 2 to 32 lower-case letters, digits, `.`, `_`, `-`.
    username: String,
    /// Name shown to others (default: the username).
    #[serde(default)]
    display_name: Option<String>,
    /// At least two of lower case, upper case, digits, symbols; not the username.
    password: String,
    /// Employee (default), intern or external guest.
    #[serde(default = "employee")]
    kind: AccountKind,
    /// End date: required for interns and external guests.
    #[serde(default)]
    expires_at: Option<DateTime<Utc>>,
    /// Administrator (never an external guest).
    #[serde(default)]
    is_admin: bool,
    /// Department ids.
    #[serde(default)]
    groups: Vec<String>,
}

fn employee() -> AccountKind {
    AccountKind::Employee
}

/// Create an account (admins)
#[utoipa::path(
    post,
    path = "/users",
    tag = "accounts",
    operation_id = "create_user",
    request_body = CreateUser,
    responses((status = 200, body = UserView)),
    extensions(("x-error-codes" = json!([Code::Forbidden, Code::UsernameTaken]))),
)]
async fn create_user(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiJson(req): ApiJson<CreateUser>,
) -> Result<Json<UserView>> {
    let store = &state.store;
    let checked = accounts::check_by(
        store,
        &who,
        accounts::NewAccount {
            username: req.username,
            display_name: req.display_name,
            password: req.password,
            kind: req.kind,
            expires_at: req.expires_at,
            is_admin: req.is_admin,
            groups: req.groups,
        },
    )?;
    let password = checked.password().to_owned();
    let hash = sessions::hashing(&state, move || sessions::hash_password(&password)).await??;
    let user = accounts::insert_by(store, &who, checked, hash)?;
    store.flush().await?;
    let groups = groups_by_user(store)?;
    Ok(Json(view(&user, &groups)))
}

/// One account (admins, or oneself)
#[utoipa::path(
    get,
    path = "/users/{id}",
    tag = "accounts",
    operation_id = "read_user",
    params(("id" = String, Path, description = "User id")),
    responses((status = 200, body = UserView)),
)]
async fn read_user(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<UserView>> {
    let store = &state.store;
    let u = accounts::get(store, &who, &id)?;
    let groups = groups_by_user(store)?;
    Ok(Json(view(&u, &groups)))
}

/// Changes to an account; absent fields stay.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct UpdateUser {
    /// Name shown to others (oneself or admins).
    #[serde(default)]
    display_name: Option<String>,
    /// A new password (admins; the account's sessions end).
    #[serde(default)]
    password: Option<String>,
    /// Account kind (admins).
    #[serde(default)]
    kind: Option<AccountKind>,
    /// End date (`null`: none) (admins).
    #[serde(default, with = "crate::http::extract::double_option")]
    expires_at: Option<Option<DateTime<Utc>>>,
    /// Administrator (admins; not one's own).
    #[serde(default)]
    is_admin: Option<bool>,
    /// Disabled: cannot log in, sessions end (admins; not one's own).
    #[serde(default)]
    disabled: Option<bool>,
    /// Department ids (admins).
    #[serde(default)]
    groups: Option<Vec<String>>,
}

/// Edit, disable, reset the password of an account (admins); display name (oneself)
#[utoipa::path(
    patch,
    path = "/users/{id}",
    tag = "accounts",
    operation_id = "update_user",
    params(("id" = String, Path, description = "User id")),
    request_body = UpdateUser,
    responses((status = 200, body = UserView)),
    extensions(("x-error-codes" = json!([Code::Forbidden]))),
)]
async fn update_user(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<UpdateUser>,
) -> Result<Json<UserView>> {
    let store = &state.store;
    let pending = accounts::check_change(
        store,
        &who,
        &id,
        accounts::AccountChange {
            display_name: req.display_name,
            password: req.password,
            kind: req.kind,
            expires_at: req.expires_at,
            is_admin: req.is_admin,
            disabled: req.disabled,
            groups: req.groups,
        },
    )?;
    let hash = match pending.password() {
        Some(p) => {
            let p = p.to_owned();
            Some(sessions::hashing(&state, move || sessions::hash_password(&p)).await??)
        }
        None => None,
    };
    let u = accounts::apply_change(store, &who, pending, hash)?;
    store.flush().await?;
    let groups = groups_by_user(store)?;
    Ok(Json(view(&u, &groups)))
}

/// One's own new password.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ChangePassword {
    /// The password now.
    current_password: String,
    /// The new one (the same rules as for a new account).
    new_password: String,
}

/// Change one's own password (other sessions end)
#[utoipa::path(
    post,
    path = "/me/password",
    tag = "session",
    operation_id = "change_own_password",
    request_body = ChangePassword,
    responses((status = 200, body = Done)),
)]
async fn change_own_password(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiJson(req): ApiJson<ChangePassword>,
) -> Result<Json<Done>> {
    let store = &state.store;
    let (cur, hash) = (req.current_password.clone(), who.user.password_hash.clone());
    let ok = sessions::hashing(&state, move || sessions::verify_password(&cur, &hash)).await?;
    if !ok {
        return Err(
            Error::invalid("current_password", "the current password is wrong")
                .because(Reason::WrongPassword),
        );
    }
    accounts::check_new_password(&who, &req.new_password)?;
    let p = req.new_password.clone();
    let hash = sessions::hashing(&state, move || sessions::hash_password(&p)).await??;
    accounts::set_own_password(store, &who, &who.token_key, who.session.clone(), hash)?;
    store.flush().await?;
    Ok(Json(Done { ok: true }))
}

/// A department.
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupView {
    /// Group id.
    id: String,
    /// Its name.
    name: String,
    /// Member user ids (absent in lists for non-admins).
    #[serde(skip_serializing_if = "Option::is_none")]
    members: Option<Vec<String>>,
    /// Department heads (absent in lists for non-admins).
    #[serde(skip_serializing_if = "Option::is_none")]
    heads: Option<Vec<String>>,
    /// Creation time (absent in lists for non-admins).
    #[serde(skip_serializing_if = "Option::is_none")]
    created_at: Option<DateTime<Utc>>,
}

fn group_view(g: &Group) -> GroupView {
    GroupView {
        id: g.id.clone(),
        name: g.name.clone(),
        members: Some(g.members.clone()),
        heads: Some(g.heads.clone()),
        created_at: Some(g.created_at),
    }
}

/// The departments.
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupList {
    /// How many.
    total: usize,
    /// The departments.
    items: Vec<GroupView>,
}

/// List departments
#[utoipa::path(
    get,
    path = "/groups",
    tag = "accounts",
    operation_id = "list_groups",
    responses((status = 200, description = "Members and creation times for admins only", body = GroupList)),
)]
async fn list_groups(State(state): State<AppState>, who: CurrentUser) -> Result<Json<GroupList>> {
    let groups = accounts::groups(&state.store, &who)?;
    let items: Vec<GroupView> = groups
        .items
        .iter()
        .map(|g| {
            if groups.with_members {
                group_view(g)
            } else {
                GroupView {
                    id: g.id.clone(),
                    name: g.name.clone(),
                    members: None,
                    heads: None,
                    created_at: None,
                }
            }
        })
        .collect();
    Ok(Json(GroupList {
        total: items.len(),
        items,
    }))
}

/// A new department.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CreateGroup)]
struct GroupBody {
    /// Its name (unique).
    name: String,
    /// Member user ids.
    #[serde(default)]
    members: Vec<String>,
}

/// Create a department (admins)
#[utoipa::path(
    post,
    path = "/groups",
    tag = "accounts",
    operation_id = "create_group",
    request_body = GroupBody,
    responses((status = 200, body = GroupView)),
    extensions(("x-error-codes" = json!([Code::Forbidden, Code::NameTaken]))),
)]
async fn create_group(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiJson(req): ApiJson<GroupBody>,
) -> Result<Json<GroupView>> {
    let store = &state.store;
    let g = accounts::create_group(store, &who, &req.name, &req.members)?;
    store.flush().await?;
    Ok(Json(group_view(&g)))
}

/// One department with its members (admins)
#[utoipa::path(
    get,
    path = "/groups/{id}",
    tag = "accounts",
    operation_id = "read_group",
    params(("id" = String, Path, description = "Group id")),
    responses((status = 200, body = GroupView)),
    extensions(("x-error-codes" = json!([Code::Forbidden]))),
)]
async fn read_group(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<GroupView>> {
    Ok(Json(group_view(&accounts::group(&state.store, &who, &id)?)))
}

/// A department's new name.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = RenameGroup)]
struct Rename {
    /// Its name (unique).
    name: String,
}

/// Rename a department (admins)
#[utoipa::path(
    patch,
    path = "/groups/{id}",
    tag = "accounts",
    operation_id = "rename_group",
    params(("id" = String, Path, description = "Group id")),
    request_body = Rename,
    responses((status = 200, body = GroupView)),
    extensions(("x-error-codes" = json!([Code::Forbidden, Code::NameTaken]))),
)]
async fn rename_group(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<Rename>,
) -> Result<Json<GroupView>> {
    let store = &state.store;
    let g = accounts::rename_group(store, &who, &id, &req.name)?;
    store.flush().await?;
    Ok(Json(group_view(&g)))
}

/// A department's members.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = GroupMembers)]
struct Members {
    /// Member user ids (the whole list).
    members: Vec<String>,
    /// Department heads (members; they see their department's onboarding progress). Absent:
    /// the heads who stay members stay heads.
    #[serde(default)]
    heads: Option<Vec<String>>,
}

/// Set a department's members (admins)
#[utoipa::path(
    put,
    path = "/groups/{id}/members",
    tag = "accounts",
    operation_id = "set_group_members",
    params(("id" = String, Path, description = "Group id")),
    request_body = Members,
    responses((status = 200, body = GroupView)),
    extensions(("x-error-codes" = json!([Code::Forbidden]))),
)]
async fn set_members(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<Members>,
) -> Result<Json<GroupView>> {
    let store = &state.store;
    let g = accounts::set_members(store, &who, &id, &req.members, req.heads.as_deref())?;
    store.flush().await?;
    Ok(Json(group_view(&g)))
}

/// Filters and page of the audit log.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct AuditQuery {
    /// Login name of the actor.
    #[serde(default)]
    actor: Option<String>,
    /// An action (`user.update`) or a family of them (`user`).
    #[serde(default)]
    action: Option<String>,
    /// From this time on.
    #[serde(default)]
    since: Option<DateTime<Utc>>,
    /// Up to this time.
    #[serde(default)]
    until: Option<DateTime<Utc>>,
    /// `ok`, `denied` or `failed`.
    #[serde(default)]
    outcome: Option<String>,
    /// Page size, 1 to 500 (default 50).
    #[serde(default)]
    limit: Option<usize>,
    /// Events to skip.
    #[serde(default)]
    offset: Option<usize>,
}

/// A page of the audit log.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    /// How many events match.
    total: usize,
    /// Newest first.
    items: Vec<AuditEvent>,
}

/// Audit events, newest first, filtered by actor, action, outcome, since, until (admins)
#[utoipa::path(
    get,
    path = "/audit",
    tag = "accounts",
    operation_id = "audit",
    params(AuditQuery),
    responses((status = 200, body = AuditPage)),
    extensions(("x-error-codes" = json!([Code::Forbidden]))),
)]
async fn audit(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> Result<Json<AuditPage>> {
    let limit = q.limit.unwrap_or(50).clamp(1, 500);
    let offset = q.offset.unwrap_or(0);
    let filter = audit::AuditFilter {
        actor: q.actor,
        action: q.action,
        since: q.since,
        until: q.until,
        outcome: q.outcome,
    };
    let (total, items) = audit::query(&state.store, &who, &filter, limit, offset)?;
    Ok(Json(AuditPage { total, items }))
}
