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
use utoipa::{OpenApi, ToSchema};

use crate::{
    AppState,
    error::{Code, Error, Reason, Result},
    http::auth::{ClientIp, CurrentUser, SESSION_COOKIE},
    http::extract::ApiJson,
    model::User,
    service::{accounts, sessions},
};

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/session", post(login).delete(logout))
        .route("/me", get(me))
}

/// The operations of this module, for the API description.
#[derive(OpenApi)]
#[openapi(paths(login, logout, me))]
pub struct ApiDoc;

/// Credentials.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Login)]
struct LoginRequest {
    /// Login name (case-insensitive).
    username: String,
    /// Password.
    password: String,
}

/// A session opened.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoggedIn {
    /// The session token: the session cookie's value, also usable as a bearer token.
    token: String,
    /// What cookie-authenticated writes send in `X-CSRF-Token`.
    csrf_token: String,
    /// Who logged in.
    user: UserView,
}

/// The caller and the CSRF token of their session.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    /// Who is asking.
    user: UserView,
    /// What cookie-authenticated writes send in `X-CSRF-Token`.
    csrf_token: String,
    /// Whether the caller may create documents anywhere (`GET /me` only): the browser offers
    /// 新建文档 and 上传 only then.
    #[serde(skip_serializing_if = "Option::is_none")]
    can_create: Option<bool>,
}

/// A change that answers nothing more than that it happened.
#[derive(Debug, Serialize, ToSchema)]
pub struct Done {
    /// Always true.
    pub ok: bool,
}

/// A user as the API shows it (never the password hash).
#[derive(Debug, Serialize, ToSchema)]
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

/// The device key of a valid device cookie of `user` in this request, if any.
fn known_device(
    state: &AppState,
    headers: &HeaderMap,
    user: Option<&User>,
) -> Result<Option<Vec<u8>>> {
    match (
        user,
        crate::http::auth::header_cookie(headers, sessions::DEVICE_COOKIE),
    ) {
        (Some(user), Some(value)) => sessions::known_device(&state.store, value, user),
        _ => Ok(None),
    }
}

/// Log in: returns a token (also usable as a bearer token), a CSRF token and sets the session cookie
#[utoipa::path(
    post,
    path = "/session",
    tag = "session",
    operation_id = "login",
    security(()),
    request_body = LoginRequest,
    responses((
        status = 200,
        body = LoggedIn,
        headers(("Set-Cookie" = String, description = "The session cookie (and a device cookie after a first login from this browser)")),
    )),
    extensions(("x-error-codes" = json!([
        Code::InvalidCredentials, Code::AccountInactive, Code::TooManyRequests,
    ]))),
)]
async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<Response> {
    let name = req.username.trim().to_lowercase();
    if name.is_empty() || name.len() > 64 || req.password.len() > 1024 {
        return Err(
            Error::invalid("username", "enter a username and password").because(Reason::Required)
        );
    }
    let store = &state.store;
    let user: Option<User> = accounts::by_login(store, &name)?;
    let device = known_device(&state, &headers, user.as_ref())?;
    let attempt = sessions::Attempt {
        username: &name,
        ip: &ip,
        device: device.as_deref(),
    };
    if let Some(refusal) = state.throttle.check(&attempt) {
        // One audit event per lock window: a flood of throttled attempts cannot flood the log.
        if refusal.first {
            sessions::audit_login(store, None, &name, &ip, "denied", Some("throttled"))?;
            store.flush().await?;
        }
        return Err(Error::TooManyRequests {
            retry_after_secs: refusal.retry_after_secs,
        });
    }
    // Verify on a blocking thread, one per core at a time: argon2 is deliberately slow and large.
    let hash = user.as_ref().map(|u| u.password_hash.clone());
    let password = req.password;
    let ok = sessions::hashing(&state, move || {
        // Unknown accounts cost the same as known ones: no timing oracle.
        let hash = hash.as_deref().unwrap_or_else(|| sessions::dummy_hash());
        sessions::verify_password(&password, hash)
    })
    .await?;
    let user = match user {
        Some(u) if ok => u,
        _ => {
            state.throttle.failure(&attempt);
            sessions::audit_login(
                store,
                user.as_ref(),
                &name,
                &ip,
                "failed",
                Some("bad credentials"),
            )?;
            store.flush().await?;
            return Err(Error::rule(
                Code::InvalidCredentials,
                "wrong username or password",
            ));
        }
    };
    if !sessions::account_active(&user) {
        sessions::audit_login(
            store,
            Some(&user),
            &name,
            &ip,
            "denied",
            Some("account disabled or expired"),
        )?;
        store.flush().await?;
        return Err(Error::rule(
            Code::AccountInactive,
            "this account is disabled or has expired",
        ));
    }
    state.throttle.success(&attempt);
    // The session (and device) and its audit event land together.
    let ev = sessions::login_event(store, Some(&user), &name, &ip, "ok", None)?;
    let opened = sessions::open(store, &user, device.is_some(), &ev)?;
    store.flush().await?;
    let (token, session) = (opened.token, opened.session);
    let groups = state.groups_of(&user.id)?;
    let max_age = state.config.session_max_hours as i64 * 3600;
    let secure = if state.config.cookies_secure() {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    );
    let body = Json(LoggedIn {
        token,
        csrf_token: session.csrf_token,
        user: UserView::new(&user, groups),
    });
    let mut headers = HeaderMap::new();
    headers.insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(Error::internal)?,
    );
    if let Some(value) = &opened.device_cookie {
        let device_cookie = format!(
            "{}={value}; Path=/api/v1/session; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
            sessions::DEVICE_COOKIE,
            sessions::DEVICE_MAX_AGE_DAYS * 86_400
        );
        headers.append(
            header::SET_COOKIE,
            HeaderValue::from_str(&device_cookie).map_err(Error::internal)?,
        );
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok((headers, body).into_response())
}

/// Log out: the token stops working
#[utoipa::path(
    delete,
    path = "/session",
    tag = "session",
    operation_id = "logout",
    responses((
        status = 200,
        body = Done,
        headers(("Set-Cookie" = String, description = "Clears the session cookie")),
    )),
)]
async fn logout(State(state): State<AppState>, who: CurrentUser) -> Result<Response> {
    sessions::close(&state.store, &who, &who.token_key)?;
    state.store.flush().await?;
    let secure = if state.config.cookies_secure() {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}");
    Ok(([(header::SET_COOKIE, cookie)], Json(Done { ok: true })).into_response())
}

/// The current user and the CSRF token
#[utoipa::path(
    get,
    path = "/me",
    tag = "session",
    operation_id = "me",
    responses((status = 200, body = Me)),
)]
async fn me(State(state): State<AppState>, who: CurrentUser) -> Result<Json<Me>> {
    Ok(Json(me_view(&state, &who)?))
}

/// What `GET /me` answers; the UI's page carries it too, so a first load needs no extra round trip.
pub(crate) fn me_view(state: &AppState, who: &CurrentUser) -> Result<Me> {
    let groups = who.groups.clone();
    let can_create = crate::service::records::may_create_somewhere(&state.store, who)?;
    Ok(Me {
        user: UserView::new(&who.user, groups),
        csrf_token: who.session.csrf_token.clone(),
        can_create: Some(can_create),
    })
}
