//! Accounts, departments (groups) and the audit log. Admins manage accounts; users change their own
//! password and display name.

use axum::{
    Json, Router,
    extract::State,
    routing::{get, post, put},
};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{
    AppState,
    domain::permission::AccountKind,
    error::{Error, Reason, Result},
    http::auth::CurrentUser,
    http::{
        documents::actor,
        extract::{ApiJson, ApiPath, ApiQuery},
        session::UserView,
    },
    model::{Group, User},
    service::{accounts, audit, sessions},
    store::Store,
};

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

async fn list_users(State(state): State<AppState>, who: CurrentUser) -> Result<Json<Value>> {
    let store = &state.store;
    let users = accounts::list(store, &who)?;
    let groups = groups_by_user(store)?;
    let items: Vec<UserView> = users.iter().map(|u| view(u, &groups)).collect();
    Ok(Json(json!({"total": items.len(), "items": items})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateUser {
    username: String,
    #[serde(default)]
    display_name: Option<String>,
    password: String,
    #[serde(default = "employee")]
    kind: AccountKind,
    #[serde(default)]
    expires_at: Option<DateTime<Utc>>,
    #[serde(default)]
    is_admin: bool,
    #[serde(default)]
    groups: Vec<String>,
}

fn employee() -> AccountKind {
    AccountKind::Employee
}

async fn create_user(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiJson(req): ApiJson<CreateUser>,
) -> Result<Json<Value>> {
    who.require_admin()?;
    let store = &state.store;
    let checked = accounts::check(
        store,
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
    let u = checked.user();
    let ev = actor(&who).event(
        store.next_seq()?,
        "user.create",
        format!("user:{}", u.id),
        "ok",
        Some(json!({"username": u.username, "kind": u.kind, "is_admin": u.is_admin})),
    );
    let user = accounts::insert(store, checked, hash, Some(&ev))?;
    store.flush().await?;
    let groups = groups_by_user(store)?;
    Ok(Json(
        serde_json::to_value(view(&user, &groups)).map_err(Error::internal)?,
    ))
}

async fn read_user(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Value>> {
    let store = &state.store;
    let u = accounts::get(store, &who, &id)?;
    let groups = groups_by_user(store)?;
    Ok(Json(
        serde_json::to_value(view(&u, &groups)).map_err(Error::internal)?,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateUser {
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    kind: Option<AccountKind>,
    #[serde(default, with = "crate::http::extract::double_option")]
    expires_at: Option<Option<DateTime<Utc>>>,
    #[serde(default)]
    is_admin: Option<bool>,
    #[serde(default)]
    disabled: Option<bool>,
    #[serde(default)]
    groups: Option<Vec<String>>,
}

async fn update_user(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<UpdateUser>,
) -> Result<Json<Value>> {
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
    Ok(Json(
        serde_json::to_value(view(&u, &groups)).map_err(Error::internal)?,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChangePassword {
    current_password: String,
    new_password: String,
}

async fn change_own_password(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiJson(req): ApiJson<ChangePassword>,
) -> Result<Json<Value>> {
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
    Ok(Json(json!({"ok": true})))
}

fn group_view(g: &Group) -> Value {
    json!({"id": g.id, "name": g.name, "members": g.members, "created_at": g.created_at})
}

async fn list_groups(State(state): State<AppState>, who: CurrentUser) -> Result<Json<Value>> {
    let groups = accounts::groups(&state.store, &who)?;
    // Employees may see department names (to pick them in grants); members only for admins.
    let admin = who.is_admin();
    let items: Vec<Value> = groups
        .iter()
        .map(|g| {
            if admin {
                group_view(g)
            } else {
                json!({"id": g.id, "name": g.name})
            }
        })
        .collect();
    Ok(Json(json!({"total": items.len(), "items": items})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GroupBody {
    name: String,
    #[serde(default)]
    members: Vec<String>,
}

async fn create_group(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiJson(req): ApiJson<GroupBody>,
) -> Result<Json<Value>> {
    let store = &state.store;
    let g = accounts::create_group(store, &who, &req.name, &req.members)?;
    store.flush().await?;
    Ok(Json(group_view(&g)))
}

async fn read_group(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Value>> {
    Ok(Json(group_view(&accounts::group(&state.store, &who, &id)?)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Rename {
    name: String,
}

async fn rename_group(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<Rename>,
) -> Result<Json<Value>> {
    let store = &state.store;
    let g = accounts::rename_group(store, &who, &id, &req.name)?;
    store.flush().await?;
    Ok(Json(group_view(&g)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Members {
    members: Vec<String>,
}

async fn set_members(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<Members>,
) -> Result<Json<Value>> {
    let store = &state.store;
    let g = accounts::set_members(store, &who, &id, &req.members)?;
    store.flush().await?;
    Ok(Json(group_view(&g)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AuditQuery {
    #[serde(default)]
    actor: Option<String>,
    #[serde(default)]
    action: Option<String>,
    #[serde(default)]
    since: Option<DateTime<Utc>>,
    #[serde(default)]
    until: Option<DateTime<Utc>>,
    #[serde(default)]
    outcome: Option<String>,
    #[serde(default)]
    limit: Option<usize>,
    #[serde(default)]
    offset: Option<usize>,
}

async fn audit(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> Result<Json<Value>> {
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
    Ok(Json(json!({"total": total, "items": items})))
}
