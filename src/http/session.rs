//! Log in, log out, who am I.

use axum::{
    Json, Router,
    extract::State,
    http::{HeaderMap, HeaderValue, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::{
    AppState,
    auth::{self, ClientIp, CurrentUser, SESSION_COOKIE},
    docs::tx_audit,
    error::{Error, Result},
    http::extract::ApiJson,
    model::{AuditEvent, Session, User},
    store::to_json,
};

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/session", post(login).delete(logout))
        .route("/me", get(me))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginRequest {
    username: String,
    password: String,
}

/// A user as the API shows it (never the password hash).
#[derive(Debug, Serialize)]
pub struct UserView {
    /// Id.
    pub id: String,
    /// Login name.
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// Account kind.
    pub kind: crate::domain::permission::AccountKind,
    /// End date.
    pub expires_at: Option<chrono::DateTime<Utc>>,
    /// Department ids.
    pub groups: Vec<String>,
    /// Administrator.
    pub is_admin: bool,
    /// Disabled.
    pub disabled: bool,
    /// Created.
    pub created_at: chrono::DateTime<Utc>,
}

impl UserView {
    /// Builds the view.
    pub fn new(u: &User, groups: Vec<String>) -> Self {
        UserView {
            id: u.id.clone(),
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            kind: u.kind,
            expires_at: u.expires_at,
            groups,
            is_admin: u.is_admin,
            disabled: u.disabled,
            created_at: u.created_at,
        }
    }
}

fn login_event(
    state: &AppState,
    user: Option<&User>,
    name: &str,
    ip: &str,
    outcome: &str,
    reason: Option<&str>,
) -> Result<AuditEvent> {
    Ok(AuditEvent {
        seq: state.store.next_seq()?,
        at: Utc::now(),
        actor: user.map(|u| u.id.clone()),
        actor_name: Some(name.chars().take(64).collect()),
        action: "session.login".into(),
        target: user
            .map(|u| format!("user:{}", u.id))
            .unwrap_or_else(|| "user:unknown".into()),
        outcome: outcome.into(),
        ip: Some(ip.to_owned()),
        detail: reason.map(|r| json!({ "reason": r })),
    })
}

/// Records a refused or failed login.
fn audit_login(
    state: &AppState,
    user: Option<&User>,
    name: &str,
    ip: &str,
    outcome: &str,
    reason: Option<&str>,
) -> Result<()> {
    let ev = login_event(state, user, name, ip, outcome, reason)?;
    state.store.transact(|tx| tx_audit(tx, &ev))?;
    Ok(())
}

async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<Response> {
    let name = req.username.trim().to_lowercase();
    if name.is_empty() || name.len() > 64 || req.password.len() > 1024 {
        return Err(Error::invalid("username", "enter a username and password"));
    }
    if let Some(secs) = state.throttle.check(&name, &ip) {
        audit_login(&state, None, &name, &ip, "denied", Some("throttled"))?;
        return Err(Error::TooManyRequests {
            retry_after_secs: secs,
        });
    }
    let store = &state.store;
    let user: Option<User> = match store.usernames.get(name.as_bytes())? {
        Some(id) => store.get_json(&store.users, &id)?,
        None => None,
    };
    // Verify on a blocking thread: argon2 is deliberately slow.
    let hash = user
        .as_ref()
        .map(|u| u.password_hash.clone())
        .unwrap_or_else(|| auth::dummy_hash().to_owned());
    let password = req.password;
    let ok = tokio::task::spawn_blocking(move || auth::verify_password(&password, &hash))
        .await
        .map_err(Error::internal)?;
    let user = match user {
        Some(u) if ok => u,
        _ => {
            state.throttle.failure(&name, &ip);
            audit_login(
                &state,
                user.as_ref(),
                &name,
                &ip,
                "failed",
                Some("bad credentials"),
            )?;
            store.flush().await?;
            return Err(Error::Rule {
                status: axum::http::StatusCode::UNAUTHORIZED,
                code: "invalid_credentials",
                message: "wrong username or password".into(),
                extra: None,
            });
        }
    };
    if !auth::account_active(&user) {
        audit_login(
            &state,
            Some(&user),
            &name,
            &ip,
            "denied",
            Some("account disabled or expired"),
        )?;
        store.flush().await?;
        return Err(Error::Rule {
            status: axum::http::StatusCode::FORBIDDEN,
            code: "account_inactive",
            message: "this account is disabled or has expired".into(),
            extra: None,
        });
    }
    state.throttle.success(&name, &ip);
    let token = auth::new_token();
    let now = Utc::now();
    let session = Session {
        user_id: user.id.clone(),
        created_at: now,
        last_seen: now,
        csrf_token: auth::new_token(),
    };
    // The session and its audit event land together.
    let ev = login_event(&state, Some(&user), &name, &ip, "ok", None)?;
    let (key, bytes) = (auth::token_key(&token), to_json(&session));
    store.transact(|tx| {
        tx.sessions.insert(key.as_slice(), bytes.as_slice())?;
        tx_audit(tx, &ev)
    })?;
    store.flush().await?;
    let groups = state.groups_of(&user.id)?;
    let max_age = state.config.session_max_hours as i64 * 3600;
    let cookie = format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{}",
        if state.config.secure_cookies {
            "; Secure"
        } else {
            ""
        }
    );
    let body = Json(json!({
        "token": token,
        "csrf_token": session.csrf_token,
        "user": UserView::new(&user, groups),
    }));
    let mut headers = HeaderMap::new();
    headers.insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(Error::internal)?,
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok((headers, body).into_response())
}

async fn logout(State(state): State<AppState>, who: CurrentUser) -> Result<Response> {
    let ev = AuditEvent {
        seq: state.store.next_seq()?,
        at: Utc::now(),
        actor: Some(who.user.id.clone()),
        actor_name: Some(who.user.username.clone()),
        action: "session.logout".into(),
        target: format!("user:{}", who.user.id),
        outcome: "ok".into(),
        ip: Some(who.ip.clone()),
        detail: None,
    };
    state.store.transact(|tx| {
        tx.sessions.remove(who.token_key.as_slice())?;
        tx_audit(tx, &ev)
    })?;
    state.store.flush().await?;
    let cookie = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
    Ok(([(header::SET_COOKIE, cookie)], Json(json!({"ok": true}))).into_response())
}

async fn me(who: CurrentUser) -> Result<Json<serde_json::Value>> {
    let groups = who.groups.clone();
    Ok(Json(json!({
        "user": UserView::new(&who.user, groups),
        "csrf_token": who.session.csrf_token,
    })))
}
