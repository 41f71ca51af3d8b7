//! Sessions as a service: passwords (argon2id on a bounded pool), session and device tokens, and
//! login throttling. Turning a request into a caller (token, cookie, CSRF) is the transport's job.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use argon2::{Argon2, PasswordHash, PasswordHasher, password_hash::SaltString};
use base64::Engine;
use chrono::Utc;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::{
    AppState,
    error::{Error, Reason, Result},
    model::{AuditEvent, Device, Session, User},
    service::Caller,
    store::Store,
};

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
///
/// The argon2 working memory (about 19 MB) is one buffer per thread, reused: allocating it per call
/// makes glibc raise its mmap threshold and keep each freed buffer, so a burst of logins grew the
/// process by hundreds of megabytes (measured: 100 parallel logins, +430 MB; with reuse, +40 MB).
pub fn verify_password(password: &str, hash: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return false;
    };
    let Ok(algorithm) = argon2::Algorithm::try_from(parsed.algorithm) else {
        return false;
    };
    let version = match parsed.version.map(argon2::Version::try_from) {
        None => argon2::Version::default(),
        Some(Ok(v)) => v,
        Some(Err(_)) => return false,
    };
    let Ok(params) = argon2::Params::try_from(&parsed) else {
        return false;
    };
    let mut salt_buf = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_buf) else {
        return false;
    };
    let mut out = vec![0u8; expected.len()];
    let blocks = params.block_count();
    let argon = Argon2::new(algorithm, version, params);
    let computed = ARGON2_MEMORY.with(|memory| {
        let mut memory = memory.borrow_mut();
        if memory.len() < blocks {
            memory.resize(blocks, argon2::Block::default());
        }
        argon.hash_password_into_with_memory(
            password.as_bytes(),
            salt,
            &mut out,
            &mut memory[..blocks],
        )
    });
    computed.is_ok() && same_bytes(&out, expected.as_bytes())
}

thread_local! {
    /// argon2 working memory of this thread (see [`verify_password`]).
    static ARGON2_MEMORY: std::cell::RefCell<Vec<argon2::Block>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Constant-time comparison of two byte strings.
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
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
        )
        .because(Reason::TooShort)
        .with("limit", MIN_PASSWORD_LEN));
    }
    if n > 256 {
        return Err(
            Error::invalid("password", "the password is too long (over 256 characters)")
                .because(Reason::TooLong)
                .with("limit", 256),
        );
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
        )
        .because(Reason::WeakPassword));
    }
    if password.eq_ignore_ascii_case(username) {
        return Err(
            Error::invalid("password", "the password must not be the username")
                .because(Reason::PasswordIsUsername),
        );
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
pub fn same(a: &str, b: &str) -> bool {
    same_bytes(a.as_bytes(), b.as_bytes())
}

/// Is the account usable now (not disabled, not past its end date)? The same rule as every
/// permission decision.
pub fn account_active(user: &User) -> bool {
    // The permission domain owns the rule (interns and guests without an end date count as expired).
    crate::service::access::subject(user, &[]).is_active(Utc::now())
}

/// Failed-login bookkeeping. Per (account, address) pair a few failures lock that pair briefly, with
/// the lock doubling up to 15 minutes; per address and per account (across addresses) larger budgets
/// slow spraying. Nothing locks anyone out for longer than 15 minutes, and a success resets the pair.
///
/// A browser where the account logged in successfully before carries a device cookie
/// ([`DEVICE_COOKIE`], as OWASP's "device cookies" suggest): its attempts are counted against that
/// device alone, so an attacker who locks the account from many addresses does not lock out the
/// real user in her usual browser, while every new address stays locked.
#[derive(Default)]
pub struct Throttle {
    entries: Mutex<HashMap<String, Entry>>,
}

#[derive(Clone, Copy)]
struct Entry {
    failures: u32,
    window_start: Instant,
    locked_until: Option<Instant>,
    /// The lock whose refusal was already audited: one audit event per lock window.
    audited: Option<Instant>,
}

const WINDOW: Duration = Duration::from_secs(15 * 60);
const MAX_LOCK: Duration = Duration::from_secs(15 * 60);

/// Who is attempting a login, as the throttle counts it.
#[derive(Clone, Copy, Debug)]
pub struct Attempt<'a> {
    /// The login name as typed (lower-cased by the throttle).
    pub username: &'a str,
    /// The client address.
    pub ip: &'a str,
    /// The storage key of a valid device cookie of this account, if the browser sent one.
    pub device: Option<&'a [u8]>,
}

/// A refused attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// Seconds until the next attempt may succeed.
    pub retry_after_secs: u64,
    /// The first refusal of this lock window: audit it (later ones are not).
    pub first: bool,
}

impl Throttle {
    fn keys(a: &Attempt<'_>) -> Vec<(String, u32)> {
        let u = a.username.to_lowercase();
        match a.device {
            // A known browser of this account: its own budget only.
            Some(d) => vec![(format!("device:{u}\0{}", hex::encode(d)), 10)],
            None => vec![
                (format!("pair:{u}\0{}", a.ip), 5),
                (format!("ip:{}", a.ip), 30),
                (format!("user:{u}"), 50),
            ],
        }
    }

    /// The refusal, if any lock applies to this attempt now.
    pub fn check(&self, a: &Attempt<'_>) -> Option<Refusal> {
        let now = Instant::now();
        let mut map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let mut refusal: Option<Refusal> = None;
        for (k, _) in Self::keys(a) {
            let Some(e) = map.get_mut(&k) else { continue };
            let Some(until) = e.locked_until.filter(|u| *u > now) else {
                continue;
            };
            let first = e.audited != Some(until);
            e.audited = Some(until);
            // Rounded up: a client that waits exactly Retry-After must not be refused again.
            let secs = (until - now).as_secs_f64().ceil().max(1.0) as u64;
            refusal = Some(match refusal {
                Some(r) => Refusal {
                    retry_after_secs: r.retry_after_secs.max(secs),
                    first: r.first || first,
                },
                None => Refusal {
                    retry_after_secs: secs,
                    first,
                },
            });
        }
        refusal
    }

    /// Records a failed attempt.
    pub fn failure(&self, a: &Attempt<'_>) {
        let now = Instant::now();
        let mut map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 100_000 {
            map.retain(|_, e| {
                now.duration_since(e.window_start) < WINDOW
                    || e.locked_until.is_some_and(|u| u > now)
            });
        }
        for (k, limit) in Self::keys(a) {
            let e = map.entry(k).or_insert(Entry {
                failures: 0,
                window_start: now,
                locked_until: None,
                audited: None,
            });
            if now.duration_since(e.window_start) > WINDOW && e.locked_until.is_none_or(|u| u < now)
            {
                *e = Entry {
                    failures: 0,
                    window_start: now,
                    locked_until: None,
                    audited: None,
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

    /// Records a success: clears the pair's (or the device's) failures.
    pub fn success(&self, a: &Attempt<'_>) {
        let mut map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((first, _)) = Self::keys(a).into_iter().next() {
            map.remove(&first);
        }
    }
}

/// Name of the device cookie: set after a successful login, it marks the browser as one this
/// account used before (see [`Throttle`]). Random; stored only as its SHA-256.
pub const DEVICE_COOKIE: &str = "hanlin_device";
/// How long a device cookie is honoured.
pub const DEVICE_MAX_AGE_DAYS: i64 = 180;

/// Password hashing and verification: argon2 takes about 19 MB and tens of milliseconds each, so
/// a burst of logins must queue, not pile up. A semaphore sized to the cores admits the work, and
/// it runs on that many dedicated threads (not the blocking pool: each new thread would keep its
/// own ~19 MB malloc arena, and a hundred of them would hold gigabytes).
pub struct HashPool {
    permits: tokio::sync::Semaphore,
    jobs: std::sync::mpsc::Sender<Box<dyn FnOnce() + Send>>,
}

impl HashPool {
    /// A pool of `threads` hashing threads.
    pub fn new(threads: usize) -> Self {
        let (jobs, rx) = std::sync::mpsc::channel::<Box<dyn FnOnce() + Send>>();
        let rx = std::sync::Arc::new(Mutex::new(rx));
        for i in 0..threads.max(1) {
            let rx = rx.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("hanlin-argon2-{i}"))
                .spawn(move || {
                    loop {
                        let job = rx.lock().unwrap_or_else(|p| p.into_inner()).recv();
                        match job {
                            Ok(job) => job(),
                            Err(_) => return,
                        }
                    }
                });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start a hashing thread");
            }
        }
        HashPool {
            permits: tokio::sync::Semaphore::new(threads.max(1)),
            jobs,
        }
    }

    /// One thread per core.
    pub fn per_core() -> Self {
        Self::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
    }
}

/// Runs password hashing or verification on the state's [`HashPool`].
pub async fn hashing<T: Send + 'static>(
    state: &AppState,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T> {
    let pool = &state.hashing;
    let _permit = pool.permits.acquire().await.map_err(Error::internal)?;
    let (tx, rx) = tokio::sync::oneshot::channel();
    pool.jobs
        .send(Box::new(move || {
            let _ = tx.send(work());
        }))
        .map_err(|_| Error::internal("the hashing threads stopped"))?;
    rx.await
        .map_err(|_| Error::internal("a hashing job was lost"))
}

// ---- sessions in the store ----------------------------------------------------------------------

/// The audit event of a login attempt (`name` is the login name tried, cut to 64 characters).
pub fn login_event(
    store: &Store,
    user: Option<&User>,
    name: &str,
    ip: &str,
    outcome: &str,
    reason: Option<&str>,
) -> Result<AuditEvent> {
    Ok(AuditEvent {
        seq: store.next_seq()?,
        at: Utc::now(),
        actor: user.map(|u| u.id.clone()),
        actor_name: Some(name.chars().take(64).collect()),
        action: "session.login".into(),
        target: user
            .map(|u| format!("user:{}", u.id))
            .unwrap_or_else(|| "user:unknown".into()),
        outcome: outcome.into(),
        ip: Some(ip.to_owned()),
        detail: reason.map(|r| serde_json::json!({ "reason": r })),
    })
}

/// Records a refused or failed login.
pub fn audit_login(
    store: &Store,
    user: Option<&User>,
    name: &str,
    ip: &str,
    outcome: &str,
    reason: Option<&str>,
) -> Result<()> {
    let ev = login_event(store, user, name, ip, outcome, reason)?;
    store.transact(|tx| tx.audit.append(&ev))
}

/// The key of `user`'s device cookie `value`, when it is one of theirs and not too old.
pub fn known_device(store: &Store, value: &str, user: &User) -> Result<Option<Vec<u8>>> {
    let key = token_key(value);
    let Some(device) = store.devices.get(&key)? else {
        return Ok(None);
    };
    let fresh = device.created_at + chrono::Duration::days(DEVICE_MAX_AGE_DAYS) > Utc::now();
    Ok((device.user_id == user.id && fresh).then_some(key))
}

/// A session just opened.
pub struct Opened {
    /// The session token (the client's secret; only its hash is stored).
    pub token: String,
    /// The session record.
    pub session: Session,
    /// A new device cookie value, when the browser had none of this account's.
    pub device_cookie: Option<String>,
}

/// Opens a session for `user` after a successful login, with a new device cookie unless the
/// browser showed one (`known_device`); the session, the device and the audit event land together.
pub fn open(store: &Store, user: &User, known_device: bool, ev: &AuditEvent) -> Result<Opened> {
    let token = new_token();
    let now = Utc::now();
    let session = Session {
        user_id: user.id.clone(),
        created_at: now,
        last_seen: now,
        csrf_token: new_token(),
    };
    let device = (!known_device).then(|| {
        let value = new_token();
        let record = Device {
            user_id: user.id.clone(),
            created_at: now,
        };
        (value, record)
    });
    let key = token_key(&token);
    store.transact(|tx| {
        tx.sessions.put(&key, &session)?;
        if let Some((value, record)) = &device {
            tx.devices.put(token_key(value), record)?;
        }
        tx.audit.append(ev)
    })?;
    Ok(Opened {
        token,
        session,
        device_cookie: device.map(|(value, _)| value),
    })
}

/// The live session with this key and its account: `None` when there is none, it has timed out
/// (idle or too old: it is removed) or its account may no longer use it (disabled, expired, or a
/// password change or disable since it began).
pub fn resolve(
    store: &Store,
    key: &[u8],
    idle: chrono::Duration,
    max_age: chrono::Duration,
) -> Result<Option<(Session, User)>> {
    let Some(session) = store.sessions.get(key)? else {
        return Ok(None);
    };
    let now = Utc::now();
    if session.last_seen + idle < now || session.created_at + max_age < now {
        store.transact(|tx| tx.sessions.remove(key).map(|_| ()))?;
        return Ok(None);
    }
    let Some(user) = store.users.get(&session.user_id)? else {
        return Ok(None);
    };
    if !account_active(&user)
        || user
            .sessions_valid_after
            .is_some_and(|t| session.created_at < t)
    {
        return Ok(None);
    }
    Ok(Some((session, user)))
}

/// Records that the session was used now, at most once a minute: keeps the idle timeout honest
/// without a write per request.
pub fn touch(store: &Store, key: &[u8], session: &mut Session) -> Result<()> {
    let now = Utc::now();
    if now - session.last_seen > chrono::Duration::seconds(60) {
        session.last_seen = now;
        store.transact(|tx| tx.sessions.put(key, session))?;
    }
    Ok(())
}

/// Ends the caller's session `key` (logout), audited.
pub fn close(store: &Store, who: &Caller, key: &[u8]) -> Result<()> {
    let ev = AuditEvent {
        seq: store.next_seq()?,
        at: Utc::now(),
        actor: Some(who.user.id.clone()),
        actor_name: Some(who.user.username.clone()),
        action: "session.logout".into(),
        target: format!("user:{}", who.user.id),
        outcome: "ok".into(),
        ip: Some(who.ip.clone()),
        detail: None,
    };
    store.transact(|tx| {
        tx.sessions.remove(key)?;
        tx.audit.append(&ev)
    })
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

    fn at<'a>(username: &'a str, ip: &'a str) -> Attempt<'a> {
        Attempt {
            username,
            ip,
            device: None,
        }
    }

    #[test]
    fn throttle_locks_pair_then_other_address_still_works() {
        let t = Throttle::default();
        for _ in 0..5 {
            assert!(t.check(&at("alice", "1.1.1.1")).is_none());
            t.failure(&at("alice", "1.1.1.1"));
        }
        assert!(t.check(&at("alice", "1.1.1.1")).is_some());
        // The real user on another address is not locked out by the attacker's pair.
        assert!(t.check(&at("alice", "2.2.2.2")).is_none());
        let secs = t.check(&at("alice", "1.1.1.1")).unwrap().retry_after_secs;
        assert!(secs <= 30, "first lock is short: {secs}");
    }

    #[test]
    fn one_audited_refusal_per_lock_window() {
        let t = Throttle::default();
        for _ in 0..5 {
            t.failure(&at("alice", "1.1.1.1"));
        }
        let first = t.check(&at("alice", "1.1.1.1")).unwrap();
        assert!(first.first);
        for _ in 0..100 {
            assert!(!t.check(&at("alice", "1.1.1.1")).unwrap().first);
        }
        // A new failure while locked extends the lock: a new window, audited once more.
        t.failure(&at("alice", "1.1.1.1"));
        assert!(t.check(&at("alice", "1.1.1.1")).unwrap().first);
        assert!(!t.check(&at("alice", "1.1.1.1")).unwrap().first);
    }

    #[test]
    fn spraying_locks_the_account_for_new_addresses_but_not_for_a_known_browser() {
        let t = Throttle::default();
        for i in 0..60 {
            t.failure(&at("alice", &format!("10.0.{}.{}", i / 200, i % 200)));
        }
        // Every address without a device cookie is locked out (the account budget is spent) …
        assert!(t.check(&at("alice", "192.0.2.7")).is_some());
        // … but the browser she logged in with before is not.
        let known = Attempt {
            username: "alice",
            ip: "192.0.2.7",
            device: Some(b"device-key"),
        };
        assert!(t.check(&known).is_none());
        // A stolen device cookie is no unlimited oracle: it has its own small budget.
        for _ in 0..10 {
            t.failure(&known);
        }
        assert!(t.check(&known).is_some());
    }
}
