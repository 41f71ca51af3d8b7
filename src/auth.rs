//! Passwords (argon2id), session tokens, the authenticated-user extractor with CSRF protection,
//! and login throttling.

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::Mutex,
    time::{Duration, Instant},
};

use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier, password_hash::SaltString};
use axum::{
    extract::{ConnectInfo, FromRequestParts},
    http::{Method, request::Parts},
};
use base64::Engine;
use chrono::Utc;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::{
    AppState,
    error::{Error, Result},
    model::{Session, User},
    store::to_json,
};

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "hanlin_session";
/// Header carrying the CSRF token on cookie-authenticated writes.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// Minimum password length.
pub const MIN_PASSWORD_LEN: usize = 10;

/// Hashes a password with argon2id and a random salt.
pub fn hash_password(password: &str) -> Result<String> {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    let salt = SaltString::encode_b64(&bytes).map_err(Error::internal)?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(Error::internal)
}

/// Checks a password against a stored hash.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash that takes as long to check as a real one, for unknown usernames (no timing oracle).
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| hash_password("not-a-real-password").expect("argon2 works"));
    &DUMMY
}

/// The password policy: at least [`MIN_PASSWORD_LEN`] characters, not only one kind of character,
/// not the username.
pub fn check_password_policy(password: &str, username: &str) -> Result<()> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_LEN {
        return Err(Error::invalid(
            "password",
            format!("the password needs at least {MIN_PASSWORD_LEN} characters"),
        ));
    }
    if n > 256 {
        return Err(Error::invalid(
            "password",
            "the password is too long (over 256 characters)",
        ));
    }
    let classes = [
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_ascii_alphanumeric()),
    ];
    if classes.iter().filter(|b| **b).count() < 2 {
        return Err(Error::invalid(
            "password",
            "the password must mix at least two of: lower case, upper case, digits, symbols",
        ));
    }
    if password.eq_ignore_ascii_case(username) {
        return Err(Error::invalid(
            "password",
            "the password must not be the username",
        ));
    }
    Ok(())
}

/// A fresh random token (256 bits, URL-safe base64).
pub fn new_token() -> String {
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

/// The key a token is stored under: its SHA-256 (a stolen database yields no usable tokens).
pub fn token_key(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Constant-time comparison.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Is the account usable now (not disabled, not past its end date)? The same rule as every
/// permission decision.
pub fn account_active(user: &User) -> bool {
    // The permission domain owns the rule (interns and guests without an end date count as expired).
    crate::access::subject(user, &[]).is_active(Utc::now())
}

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
#[derive(Debug, Clone)]
pub struct CurrentUser {
    /// The account.
    pub user: User,
    /// Its department ids.
    pub groups: Vec<String>,
    /// The session.
    pub session: Session,
    /// The token's storage key.
    pub token_key: Vec<u8>,
    /// How it authenticated.
    pub via: Via,
    /// Client address.
    pub ip: String,
}

impl CurrentUser {
    /// The caller's user id.
    pub fn id(&self) -> &str {
        &self.user.id
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
    parts
        .headers
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
        let Some(mut session) = store.get_json::<Session>(&store.sessions, &key)? else {
            return Err(Error::Unauthenticated);
        };
        let now = Utc::now();
        let cfg = &state.config;
        let idle = chrono::Duration::minutes(cfg.session_idle_minutes as i64);
        let max = chrono::Duration::hours(cfg.session_max_hours as i64);
        if session.last_seen + idle < now || session.created_at + max < now {
            store.sessions.remove(&key)?;
            return Err(Error::Unauthenticated);
        }
        let Some(user) = store.get_json::<User>(&store.users, session.user_id.as_bytes())? else {
            return Err(Error::Unauthenticated);
        };
        if !account_active(&user)
            || user
                .sessions_valid_after
                .is_some_and(|t| session.created_at < t)
        {
            return Err(Error::Unauthenticated);
        }
        if via == Via::Cookie
            && !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS)
        {
            let sent = parts
                .headers
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !same(sent, &session.csrf_token) {
                return Err(Error::Rule {
                    status: axum::http::StatusCode::FORBIDDEN,
                    code: "csrf_failed",
                    message: "missing or wrong CSRF token (header X-CSRF-Token)".into(),
                    extra: None,
                });
            }
        }
        // Touch the session at most once a minute: keeps the idle timeout honest without a write per request.
        if now - session.last_seen > chrono::Duration::seconds(60) {
            session.last_seen = now;
            store.sessions.insert(&key, to_json(&session))?;
        }
        let groups = state.groups_of(&user.id)?;
        Ok(CurrentUser {
            user,
            groups,
            session,
            token_key: key,
            via,
            ip: client_ip(parts),
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

/// Failed-login bookkeeping. Per (account, address) pair a few failures lock that pair briefly, with
/// the lock doubling up to 15 minutes; per address and per account (across addresses) larger budgets
/// slow spraying. Nothing locks anyone out for longer than 15 minutes, and a success resets the pair.
#[derive(Default)]
pub struct Throttle {
    entries: Mutex<HashMap<String, Entry>>,
}

#[derive(Clone, Copy)]
struct Entry {
    failures: u32,
    window_start: Instant,
    locked_until: Option<Instant>,
}

const WINDOW: Duration = Duration::from_secs(15 * 60);
const MAX_LOCK: Duration = Duration::from_secs(15 * 60);

impl Throttle {
    fn keys(username: &str, ip: &str) -> [(String, u32); 3] {
        let u = username.to_lowercase();
        [
            (format!("pair:{u}\0{ip}"), 5),
            (format!("ip:{ip}"), 30),
            (format!("user:{u}"), 50),
        ]
    }

    /// Seconds to wait before another attempt is allowed, if any.
    pub fn check(&self, username: &str, ip: &str) -> Option<u64> {
        let now = Instant::now();
        let map = self.entries.lock().expect("throttle lock");
        Self::keys(username, ip)
            .iter()
            .filter_map(|(k, _)| map.get(k)?.locked_until)
            .filter(|until| *until > now)
            // Rounded up: a client that waits exactly Retry-After must not be refused again.
            .map(|until| (until - now).as_secs_f64().ceil().max(1.0) as u64)
            .max()
    }

    /// Records a failed attempt.
    pub fn failure(&self, username: &str, ip: &str) {
        let now = Instant::now();
        let mut map = self.entries.lock().expect("throttle lock");
        if map.len() > 100_000 {
            map.retain(|_, e| now.duration_since(e.window_start) < WINDOW);
        }
        for (k, limit) in Self::keys(username, ip) {
            let e = map.entry(k).or_insert(Entry {
                failures: 0,
                window_start: now,
                locked_until: None,
            });
            if now.duration_since(e.window_start) > WINDOW && e.locked_until.is_none_or(|u| u < now)
            {
                *e = Entry {
                    failures: 0,
                    window_start: now,
                    locked_until: None,
                };
            }
            e.failures += 1;
            if e.failures >= limit {
                let over = e.failures - limit;
                let lock = Duration::from_secs(30u64 << over.min(5)).min(MAX_LOCK);
                e.locked_until = Some(now + lock);
            }
        }
    }

    /// Records a success: clears the pair's failures.
    pub fn success(&self, username: &str, ip: &str) {
        let mut map = self.entries.lock().expect("throttle lock");
        let [(pair, _), _, _] = Self::keys(username, ip);
        map.remove(&pair);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_round_trip_and_policy() {
        let h = hash_password("Correct-Horse-9").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("Correct-Horse-9", &h));
        assert!(!verify_password("correct-horse-9", &h));
        assert!(check_password_policy("short1A", "bob").is_err());
        assert!(check_password_policy("alllowercaseletters", "bob").is_err());
        assert!(check_password_policy("Bobby12345", "bobby12345").is_err());
        assert!(check_password_policy("知识库密码很长123", "bob").is_ok());
    }

    #[test]
    fn throttle_locks_pair_then_other_address_still_works() {
        let t = Throttle::default();
        for _ in 0..5 {
            assert!(t.check("alice", "1.1.1.1").is_none());
            t.failure("alice", "1.1.1.1");
        }
        assert!(t.check("alice", "1.1.1.1").is_some());
        // The real user on another address is not locked out by the attacker's pair.
        assert!(t.check("alice", "2.2.2.2").is_none());
        let secs = t.check("alice", "1.1.1.1").unwrap();
        assert!(secs <= 30, "first lock is short: {secs}");
    }
}
