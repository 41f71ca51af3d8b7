//! Authentication at the transport: the [`CurrentUser`] extractor (bearer token or session cookie,
//! CSRF on cookie-authenticated writes, idle and absolute timeouts) and the client address. The
//! rules it applies (tokens, accounts) are the sessions service's.

use std::net::SocketAddr;

use crate::{
    AppState,
    error::{Code, Error, Result},
    model::Session,
    service::{
        Caller,
        sessions::{self, same, token_key},
    },
};
use axum::{
    extract::{ConnectInfo, FromRequestParts},
    http::{Method, request::Parts},
};

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "hanlin_session";
/// Header carrying the CSRF token on cookie-authenticated writes.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// How the caller authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// `Authorization: Bearer`.
    Bearer,
    /// The session cookie.
    Cookie,
}

/// The authenticated caller. Extracting it rejects missing, expired or revoked credentials (401) and
/// cookie-authenticated writes without the right CSRF token (403 `csrf_failed`).
///
/// It derefs to the plain [`Caller`] that services take: handlers pass `&who` where a `&Caller`
/// is wanted, and services never see the session or how the request authenticated.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    /// Who is asking (account, departments, address).
    pub caller: Caller,
    /// The session.
    pub session: Session,
    /// The token's storage key.
    pub token_key: Vec<u8>,
    /// How it authenticated.
    pub via: Via,
}

impl std::ops::Deref for CurrentUser {
    type Target = Caller;
    fn deref(&self) -> &Caller {
        &self.caller
    }
}

/// The client address of a request, if the server recorded it.
pub fn client_ip(parts: &Parts) -> String {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

/// Reads a cookie from the request headers.
pub fn cookie<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    header_cookie(&parts.headers, name)
}

/// Reads a cookie from a header map.
pub fn header_cookie<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn bearer(parts: &Parts) -> Option<&str> {
    let v = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        let (token, via) = match bearer(parts) {
            Some(t) => (t.to_owned(), Via::Bearer),
            None => match cookie(parts, SESSION_COOKIE) {
                Some(t) => (t.to_owned(), Via::Cookie),
                None => return Err(Error::Unauthenticated),
            },
        };
        let key = token_key(&token);
        let store = &state.store;
        let cfg = &state.config;
        let idle = chrono::Duration::minutes(cfg.session_idle_minutes as i64);
        let max = chrono::Duration::hours(cfg.session_max_hours as i64);
        let Some((mut session, user)) = sessions::resolve(store, &key, idle, max)? else {
            return Err(Error::Unauthenticated);
        };
        if via == Via::Cookie
            && !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS)
        {
            let sent = parts
                .headers
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !same(sent, &session.csrf_token) {
                return Err(Error::rule(
                    Code::CsrfFailed,
                    "missing or wrong CSRF token (header X-CSRF-Token)",
                ));
            }
        }
        sessions::touch(store, &key, &mut session)?;
        let groups = state.groups_of(&user.id)?;
        Ok(CurrentUser {
            caller: Caller {
                user,
                groups,
                ip: client_ip(parts),
            },
            session,
            token_key: key,
            via,
        })
    }
}

/// The caller's client address, for handlers without a session (login).
pub struct ClientIp(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(client_ip(parts)))
    }
}
