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
    error::{Code, Error, Reason, Result},
    http::auth::CurrentUser,
    http::{
        documents::actor,
        extract::{ApiJson, ApiPath, ApiQuery, check_id},
        session::UserView,
    },
    model::{AuditEvent, Group, User, new_id},
    service::accounts,
    service::documents::tx_audit,
    service::sessions,
    store::{Store, names, to_json, tx_json, tx_modify},
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

use crate::service::accounts::{check_account, check_display_name};

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
    who.require_admin()?;
    let store = &state.store;
    let mut users: Vec<User> = store.all_json(&store.users)?;
    users.sort_by(|a, b| a.username.cmp(&b.username));
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
    check_id(&id, "user")?;
    if id != who.id() && !who.is_admin() {
        return Err(Error::NotFound("user"));
    }
    let store = &state.store;
    let u: User = store
        .get_json(&store.users, id.as_bytes())?
        .ok_or(Error::NotFound("user"))?;
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
    check_id(&id, "user")?;
    let admin = who.is_admin();
    let is_self = id == who.id();
    if !admin && !is_self {
        return Err(Error::NotFound("user"));
    }
    let admin_only = req.password.is_some()
        || req.kind.is_some()
        || req.expires_at.is_some()
        || req.is_admin.is_some()
        || req.disabled.is_some()
        || req.groups.is_some();
    if admin_only && !admin {
        return Err(Error::Forbidden(
            "only administrators may change this; use /api/v1/me/password for your password".into(),
        ));
    }
    let store = &state.store;
    let mut u: User = store
        .get_json(&store.users, id.as_bytes())?
        .ok_or(Error::NotFound("user"))?;
    if let Some(n) = &req.display_name {
        u.display_name = check_display_name(n)?;
    }
    if let Some(k) = req.kind {
        u.kind = k;
    }
    if let Some(e) = req.expires_at {
        u.expires_at = e;
    }
    if let Some(a) = req.is_admin {
        if is_self && !a {
            return Err(Error::invalid(
                "is_admin",
                "you cannot remove your own administrator rights",
            )
            .because(Reason::OwnAccount));
        }
        u.is_admin = a;
    }
    if let Some(d) = req.disabled {
        if is_self && d {
            return Err(
                Error::invalid("disabled", "you cannot disable your own account")
                    .because(Reason::OwnAccount),
            );
        }
        u.disabled = d;
    }
    check_account(u.kind, u.is_admin, u.expires_at, false)?;
    let mut revoke = req.disabled == Some(true);
    if let Some(p) = &req.password {
        sessions::check_password_policy(p, &u.username)?;
        let p = p.clone();
        u.password_hash = sessions::hashing(&state, move || sessions::hash_password(&p)).await??;
        revoke = true;
    }
    if revoke {
        u.sessions_valid_after = Some(Utc::now());
    }
    if let Some(gs) = &req.groups {
        accounts::check_groups_exist(store, gs)?;
        // As with PUT /groups/{id}/members: a disabled or expired account joins no department.
        if !sessions::account_active(&u) {
            let current: Vec<String> = groups_by_user(store)?
                .into_iter()
                .filter(|g| g.members.contains(&id))
                .map(|g| g.id)
                .collect();
            if gs.iter().any(|g| !current.contains(g)) {
                return Err(Error::invalid(
                    "groups",
                    format!(
                        "the account {} is disabled or expired and cannot join a department",
                        u.username
                    ),
                )
                .because(Reason::InactiveAccount)
                .with("name", &u.username));
            }
        }
    }
    let fields: Vec<&str> = [
        req.display_name.as_ref().map(|_| "display_name"),
        req.password.as_ref().map(|_| "password"),
        req.kind.map(|_| "kind"),
        req.expires_at.map(|_| "expires_at"),
        req.is_admin.map(|_| "is_admin"),
        req.disabled.map(|_| "disabled"),
        req.groups.as_ref().map(|_| "groups"),
    ]
    .into_iter()
    .flatten()
    .collect();
    let detail = json!({ "fields": fields });
    let ev = actor(&who).event(
        store.next_seq()?,
        "user.update",
        format!("user:{id}"),
        "ok",
        Some(detail),
    );
    let bytes = to_json(&u);
    let all_groups = groups_by_user(store)?;
    store.transact(|tx| {
        tx.users.insert(id.as_bytes(), bytes.clone())?;
        if let Some(gs) = &req.groups {
            for g in &all_groups {
                let member = g.members.contains(&id);
                let wanted = gs.contains(&g.id);
                if member != wanted {
                    let mut group: Group = match tx.groups.get(g.id.as_bytes())? {
                        Some(b) => tx_json(&b)?,
                        None => continue,
                    };
                    group.members.retain(|m| *m != id);
                    if wanted {
                        group.members.push(id.clone());
                    }
                    tx.groups.insert(g.id.as_bytes(), to_json(&group))?;
                }
            }
        }
        tx_audit(tx, &ev)?;
        Ok(())
    })?;
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
    let mut u = who.user.clone();
    let (cur, hash) = (req.current_password.clone(), u.password_hash.clone());
    let ok = sessions::hashing(&state, move || sessions::verify_password(&cur, &hash)).await?;
    if !ok {
        return Err(
            Error::invalid("current_password", "the current password is wrong")
                .because(Reason::WrongPassword),
        );
    }
    sessions::check_password_policy(&req.new_password, &u.username)?;
    let p = req.new_password.clone();
    u.password_hash = sessions::hashing(&state, move || sessions::hash_password(&p)).await??;
    // Other sessions end; this one continues with a fresh session record.
    let now = Utc::now();
    u.sessions_valid_after = Some(now);
    let mut session = who.session.clone();
    session.created_at = now;
    let ev = actor(&who).event(
        store.next_seq()?,
        "user.password_change",
        format!("user:{}", u.id),
        "ok",
        None,
    );
    let (bytes, session_bytes) = (to_json(&u), to_json(&session));
    store.transact(|tx| {
        tx.users.insert(u.id.as_bytes(), bytes.clone())?;
        tx.sessions
            .insert(who.token_key.as_slice(), session_bytes.as_slice())?;
        tx_audit(tx, &ev)?;
        Ok(())
    })?;
    store.flush().await?;
    Ok(Json(json!({"ok": true})))
}

fn group_view(g: &Group) -> Value {
    json!({"id": g.id, "name": g.name, "members": g.members, "created_at": g.created_at})
}

async fn list_groups(State(state): State<AppState>, who: CurrentUser) -> Result<Json<Value>> {
    // External guests see nothing of the company's structure (least privilege).
    if who.user.kind == AccountKind::External {
        return Ok(Json(json!({"total": 0, "items": []})));
    }
    let store = &state.store;
    let mut groups = groups_by_user(store)?;
    groups.sort_by(|a, b| a.name.cmp(&b.name));
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

fn group_name_taken(name: &str) -> Error {
    Error::rule(Code::NameTaken, format!("a department named {name} exists")).with("name", name)
}

/// Checks that every member exists and is active (an expired intern cannot join a department).
fn check_members(store: &Store, members: &[String]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for (i, m) in members.iter().enumerate() {
        let u: User = store.get_json(&store.users, m.as_bytes())?.ok_or_else(|| {
            Error::invalid(format!("members[{i}]"), format!("no such user: {m}"))
                .because(Reason::NoSuch)
                .with("name", m)
        })?;
        if !sessions::account_active(&u) {
            return Err(Error::invalid(
                format!("members[{i}]"),
                format!("the account {} is disabled or expired", u.username),
            )
            .because(Reason::InactiveAccount)
            .with("name", &u.username));
        }
        if !out.contains(m) {
            out.push(m.clone());
        }
    }
    Ok(out)
}

async fn create_group(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiJson(req): ApiJson<GroupBody>,
) -> Result<Json<Value>> {
    who.require_admin()?;
    let store = &state.store;
    let name = accounts::check_group_name(&req.name)?;
    let members = check_members(store, &req.members)?;
    let g = Group {
        id: new_id(),
        name,
        members,
        created_at: Utc::now(),
    };
    let ev = actor(&who).event(
        store.next_seq()?,
        "group.create",
        format!("group:{}", g.id),
        "ok",
        Some(json!({"name": g.name, "members": g.members})),
    );
    let bytes = to_json(&g);
    let key = names::group(&g.name);
    store.transact(|tx| {
        names::tx_claim(tx, &key, None, &g.id, || group_name_taken(&g.name))?;
        tx.groups.insert(g.id.as_bytes(), bytes.clone())?;
        tx_audit(tx, &ev)?;
        Ok(())
    })?;
    store.flush().await?;
    Ok(Json(group_view(&g)))
}

async fn read_group(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Value>> {
    who.require_admin()?;
    check_id(&id, "group")?;
    let g: Group = state
        .store
        .get_json(&state.store.groups, id.as_bytes())?
        .ok_or(Error::NotFound("group"))?;
    Ok(Json(group_view(&g)))
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
    who.require_admin()?;
    check_id(&id, "group")?;
    let store = &state.store;
    let name = accounts::check_group_name(&req.name)?;
    let ev = actor(&who).event(
        store.next_seq()?,
        "group.rename",
        format!("group:{id}"),
        "ok",
        Some(json!({"name": name})),
    );
    let new_key = names::group(&name);
    let g = store.transact(|tx| {
        let mut old_key = None;
        let g = tx_modify(tx.groups, id.as_bytes(), "group", |g: &mut Group| {
            old_key = Some(names::group(&g.name));
            g.name = name.clone();
        })?;
        names::tx_claim(tx, &new_key, old_key.as_deref(), &id, || {
            group_name_taken(&name)
        })?;
        tx_audit(tx, &ev)?;
        Ok(g)
    })?;
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
    who.require_admin()?;
    check_id(&id, "group")?;
    let store = &state.store;
    let members = check_members(store, &req.members)?;
    let ev = actor(&who).event(
        store.next_seq()?,
        "group.members",
        format!("group:{id}"),
        "ok",
        Some(json!({"members": members})),
    );
    let g = store.transact(|tx| {
        let g = tx_modify(tx.groups, id.as_bytes(), "group", |g: &mut Group| {
            g.members = members.clone();
        })?;
        tx_audit(tx, &ev)?;
        Ok(g)
    })?;
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
    who.require_admin()?;
    let store = &state.store;
    let limit = q.limit.unwrap_or(50).clamp(1, 500);
    let offset = q.offset.unwrap_or(0);
    let mut items = Vec::new();
    let mut matched = 0usize;
    // Newest first.
    for v in store.audit.iter().values().rev() {
        let ev: AuditEvent = crate::store::from_json(&v?)?;
        if q.since.is_some_and(|s| ev.at < s) {
            break;
        }
        if q.until.is_some_and(|u| ev.at > u) {
            continue;
        }
        if let Some(a) = &q.actor
            && ev.actor.as_deref() != Some(a.as_str())
            && ev.actor_name.as_deref() != Some(a.as_str())
        {
            continue;
        }
        if let Some(a) = &q.action
            && !(ev.action == *a || ev.action.starts_with(&format!("{a}.")))
        {
            continue;
        }
        if q.outcome.as_deref().is_some_and(|o| o != ev.outcome) {
            continue;
        }
        if matched >= offset && items.len() < limit {
            items.push(ev);
        }
        matched += 1;
    }
    Ok(Json(json!({"total": matched, "items": items})))
}
