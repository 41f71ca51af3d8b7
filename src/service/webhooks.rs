//! Group robots (群机器人): a space's managers add DingTalk (钉钉), WeCom (企业微信) or Feishu
//! (飞书) webhooks; each newly published version (a direct publish, or the final approval of a
//! review) that `everyone` in the space may read is posted to each of them in that robot's format.
//!
//! The save path only queues: [`published`] and [`approved`] run after the publishing commit and
//! write one [`QueuedDelivery`] per robot (a durable tree, so a restart resumes them), then wake
//! [`run`], the delivery job. It posts with a 5 s timeout per attempt, retries a failure after
//! the configured base delay, doubling it each time, up to [`MAX_ATTEMPTS`], and records each
//! attempt's result on the robot (shown by `GET /spaces/{id}/webhooks`). Secrets and whole webhook
//! addresses (they carry the robot's token) are never logged or answered.

use std::{
    collections::{HashMap, HashSet},
    time::Duration,
};

use base64::Engine;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::{
    AppState,
    domain::permission::Action,
    error::{Error, Reason, Result},
    model::{
        DeliveryResult, Doc, DocStatus, QueuedDelivery, RobotEvent, RobotKind, SpaceWebhooks,
        Webhook, new_id, valid_id,
    },
    service::{Caller, access, documents::Actor},
    store::Store,
};

/// Robots one space may have.
pub const MAX_HOOKS: usize = 10;
/// Longest webhook address, in bytes.
pub const MAX_URL: usize = 2000;
/// Longest signing secret, in characters.
pub const MAX_SECRET: usize = 200;
/// Attempts per message before it is given up.
pub const MAX_ATTEMPTS: u32 = 6;
/// How long one attempt may take.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(5);
/// Deliveries in flight at once (a slow robot does not hold up the others).
const PARALLEL: usize = 8;

/// One robot as a manager sends it: a new one (`id` absent, `url` required) or one kept from the
/// current list (`id`; `url` and `secret` absent keep theirs).
#[derive(Debug, Clone, Default)]
pub struct HookInput {
    /// An existing robot of the space, to keep (with its last result).
    pub id: Option<String>,
    /// `dingtalk`, `wecom` or `feishu`.
    pub kind: String,
    /// The webhook address.
    pub url: Option<String>,
    /// The signing secret; `""` removes it, absent keeps the current one.
    pub secret: Option<String>,
}

/// Loads a space whose robots the caller may manage: its managers and administrators. Hidden ->
/// 404, visible but not managed -> 403.
fn managed(store: &Store, who: &Caller, space_id: &str) -> Result<()> {
    if !valid_id(space_id) {
        return Err(Error::NotFound("space"));
    }
    access::managed_space(store, &who.subject(), space_id, None).map(|_| ())
}

/// The robots of a space (managers and administrators). The answer must not show the secrets
/// (see [`masked_url`] for the addresses).
pub fn list(store: &Store, who: &Caller, space_id: &str) -> Result<Vec<Webhook>> {
    managed(store, who, space_id)?;
    Ok(store.webhooks.get(space_id)?.unwrap_or_default().hooks)
}

fn invalid(i: usize, field: &str, message: impl Into<String>, why: Reason) -> Error {
    Error::invalid(format!("[{i}].{field}"), message)
        .because(why)
        .unprocessable()
}

fn parse_kind(i: usize, kind: &str) -> Result<RobotKind> {
    RobotKind::ALL
        .into_iter()
        .find(|k| k.as_str() == kind)
        .ok_or_else(|| {
            invalid(
                i,
                "kind",
                "kind is dingtalk, wecom or feishu",
                Reason::NotOneOf,
            )
            .with("allowed", RobotKind::ALL.map(RobotKind::as_str))
        })
}

/// Whether a robot address's host names this machine or a link-local network: `localhost`,
/// loopback, unspecified or link-local IP literals (169.254.169.254 is where cloud metadata
/// services answer). `host` is as the URL writes it (IPv6 in brackets).
fn local_host(host: &str) -> bool {
    use std::net::IpAddr;
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let Ok(ip) = bare.parse::<IpAddr>() else {
        let d = host.trim_end_matches('.').to_ascii_lowercase();
        return d == "localhost" || d.ends_with(".localhost");
    };
    let ip = match ip {
        IpAddr::V6(a) => a.to_ipv4_mapped().map_or(IpAddr::V6(a), IpAddr::V4),
        v4 => v4,
    };
    match ip {
        IpAddr::V4(a) => a.is_loopback() || a.is_unspecified() || a.is_link_local(),
        IpAddr::V6(a) => {
            a.is_loopback() || a.is_unspecified() || (a.segments()[0] & 0xffc0) == 0xfe80
        }
    }
}

/// Checks a webhook address: `http` or `https` with a host, at most [`MAX_URL`] bytes, and (unless
/// `allow_loopback`) not on this machine or a link-local network.
fn check_url(i: usize, url: &str, allow_loopback: bool) -> Result<String> {
    let url = url.trim();
    if url.is_empty() {
        return Err(invalid(
            i,
            "url",
            "the webhook address is required",
            Reason::Required,
        ));
    }
    if url.len() > MAX_URL {
        return Err(invalid(
            i,
            "url",
            format!("the webhook address is longer than {MAX_URL} bytes"),
            Reason::TooLong,
        )
        .with("limit", MAX_URL));
    }
    let parsed = reqwest::Url::parse(url).ok().filter(|u| {
        matches!(u.scheme(), "http" | "https") && u.host_str().is_some_and(|h| !h.is_empty())
    });
    let Some(parsed) = parsed else {
        return Err(invalid(
            i,
            "url",
            "the webhook address must be an http:// or https:// address with a host",
            Reason::BadUrl,
        ));
    };
    if !allow_loopback && parsed.host_str().is_some_and(local_host) {
        return Err(invalid(
            i,
            "url",
            "the webhook address may not point at this machine or a link-local address",
            Reason::LocalAddress,
        ));
    }
    Ok(url.to_owned())
}

fn check_secret(i: usize, secret: &str) -> Result<Option<String>> {
    let secret = secret.trim();
    if secret.is_empty() {
        return Ok(None);
    }
    if secret.chars().count() > MAX_SECRET {
        return Err(invalid(
            i,
            "secret",
            format!("the secret is longer than {MAX_SECRET} characters"),
            Reason::TooLong,
        )
        .with("limit", MAX_SECRET));
    }
    if secret.chars().any(char::is_control) {
        return Err(invalid(
            i,
            "secret",
            "the secret holds control characters",
            Reason::BadCharacters,
        ));
    }
    Ok(Some(secret.to_owned()))
}

/// Replaces the robots of a space (managers and administrators), keeping the ids, secrets and
/// last results of those named by `id`. Returns the new list.
pub fn set(
    store: &Store,
    who: &Caller,
    space_id: &str,
    input: &[HookInput],
    allow_loopback: bool,
) -> Result<Vec<Webhook>> {
    managed(store, who, space_id)?;
    if input.len() > MAX_HOOKS {
        return Err(
            Error::bad(format!("a space has at most {MAX_HOOKS} group robots"))
                .because(Reason::TooMany)
                .with("limit", MAX_HOOKS)
                .unprocessable(),
        );
    }
    let current = store.webhooks.get(space_id)?.unwrap_or_default();
    let now = Utc::now();
    let mut hooks: Vec<Webhook> = Vec::with_capacity(input.len());
    for (i, h) in input.iter().enumerate() {
        let kind = parse_kind(i, &h.kind)?;
        let kept =
            match &h.id {
                Some(id) => Some(current.hooks.iter().find(|c| &c.id == id).ok_or_else(|| {
                    invalid(i, "id", "no such robot in this space", Reason::NoSuch)
                })?),
                None => None,
            };
        let url = match (&h.url, kept) {
            (Some(u), _) => check_url(i, u, allow_loopback)?,
            (None, Some(k)) => k.url.clone(),
            (None, None) => {
                return Err(invalid(
                    i,
                    "url",
                    "the webhook address is required",
                    Reason::Required,
                ));
            }
        };
        let secret = match (&h.secret, kept) {
            (Some(s), _) => check_secret(i, s)?,
            (None, Some(k)) => k.secret.clone(),
            (None, None) => None,
        };
        if hooks.iter().any(|o| o.url == url) {
            return Err(
                invalid(i, "url", "this webhook is listed twice", Reason::Duplicate)
                    .with("name", masked_url(&url)),
            );
        }
        // A changed address or kind is another robot: its old result says nothing about it.
        let same = kept.filter(|k| k.url == url && k.kind == kind);
        hooks.push(Webhook {
            id: kept.map_or_else(new_id, |k| k.id.clone()),
            kind,
            url,
            secret,
            created_by: kept.map_or_else(|| who.id().to_owned(), |k| k.created_by.clone()),
            created_at: kept.map_or(now, |k| k.created_at),
            last: same.and_then(|k| k.last.clone()),
        });
    }
    let shown: Vec<Value> = hooks
        .iter()
        .map(|h| json!({"kind": h.kind, "url": masked_url(&h.url), "has_secret": h.secret.is_some()}))
        .collect();
    let ev = Actor::of(who).event(
        store.next_seq()?,
        "space.webhooks",
        format!("space:{space_id}"),
        "ok",
        Some(json!({ "webhooks": shown })),
    );
    let record = SpaceWebhooks {
        hooks: hooks.clone(),
    };
    store.transact(|tx| {
        if record.hooks.is_empty() {
            tx.webhooks.remove(space_id)?;
        } else {
            tx.webhooks.put(space_id, &record)?;
        }
        // Messages for robots that are gone are dropped when their turn comes.
        tx.audit.append(&ev)
    })?;
    Ok(hooks)
}

/// A webhook address with its secret parts hidden, for answers, the audit log and the page:
/// each query value and each long path segment (Feishu's `/hook/<token>`) keeps its first four
/// characters.
pub fn masked_url(url: &str) -> String {
    fn mask(s: &str) -> String {
        let head: String = s.chars().take(4).collect();
        format!("{head}****")
    }
    let Ok(u) = reqwest::Url::parse(url) else {
        return "****".into();
    };
    let mut out = format!("{}://{}", u.scheme(), u.host_str().unwrap_or(""));
    if let Some(p) = u.port() {
        out.push_str(&format!(":{p}"));
    }
    for seg in u.path().split('/').skip(1) {
        out.push('/');
        if seg.len() >= 16 {
            out.push_str(&mask(seg));
        } else {
            out.push_str(seg);
        }
    }
    if let Some(q) = u.query() {
        let parts: Vec<String> = q
            .split('&')
            .map(|kv| match kv.split_once('=') {
                Some((k, v)) if !v.is_empty() => format!("{k}={}", mask(v)),
                _ => kv.to_owned(),
            })
            .collect();
        out.push('?');
        out.push_str(&parts.join("&"));
    }
    out
}

/// For `hanlin check`: every robot record decodes and belongs to an existing space, and every
/// queued message decodes. (A message whose robot was removed is not a problem: it is dropped
/// when its turn comes.)
pub fn verify(store: &Store) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    let spaces = &store.catalog()?.spaces;
    for entry in store.webhooks.entries() {
        let (space_id, record) = entry?;
        match record {
            Err(e) => problems.push(format!("group robots of space {space_id}: {e}")),
            Ok(_) if !spaces.contains_key(&space_id) => {
                problems.push(format!("group robots of space {space_id}: no such space"))
            }
            Ok(_) => {}
        }
    }
    if let Err(e) = store.webhook_queue.all() {
        problems.push(format!("webhook queue: {e}"));
    }
    Ok(problems)
}

// ---- queueing: after the publishing commit ----------------------------------------------------

/// After a direct save or creation committed: queues a message for each robot of the space when
/// `doc` is a newly published version `everyone` in the space may read. Never fails the save: a
/// problem is logged.
pub fn published(store: &Store, doc: &Doc) {
    if doc.status != DocStatus::Published || doc.published_version != Some(doc.version) {
        return;
    }
    // Most spaces have no robot: then no more is read on the save path.
    if !store
        .webhooks
        .get(&doc.space_id)
        .is_ok_and(|h| h.is_some_and(|h| !h.hooks.is_empty()))
    {
        return;
    }
    let author = display_name(store, &doc.updated_by);
    let event = Event {
        kind: RobotEvent::Published,
        title: doc.title.clone(),
        version: doc.version,
        author,
        approver: None,
        item: None,
    };
    if let Err(e) = queue(store, doc, event) {
        tracing::warn!(doc = %doc.id, error = %e, "could not queue group robot messages");
    }
}

/// After a review's final approval committed: as [`published`], for version `version` (titled
/// `title`, by `author`), approved last by `approver`.
pub fn approved(
    store: &Store,
    doc_id: &str,
    version: u64,
    title: &str,
    author: &str,
    approver: &Caller,
) {
    let r = (|| -> Result<()> {
        let doc = crate::service::documents::load_meta(store, doc_id)?;
        if doc.published_version != Some(version) {
            return Ok(()); // a newer version was published meanwhile
        }
        let event = Event {
            kind: RobotEvent::Approved,
            title: title.to_owned(),
            version,
            author: display_name(store, author),
            approver: Some(approver.user.display_name.clone()),
            item: None,
        };
        queue(store, &doc, event)
    })();
    if let Err(e) = r {
        tracing::warn!(doc = %doc_id, error = %e, "could not queue group robot messages");
    }
}

/// An action item of a published document became overdue: as [`published`], for version
/// `version` titled `title`, naming the item (`事项（负责人，截止日期）`).
pub fn overdue(store: &Store, doc: &Doc, version: u64, title: &str, item: &str) {
    let event = Event {
        kind: RobotEvent::Overdue,
        title: title.to_owned(),
        version,
        author: display_name(store, &doc.updated_by),
        approver: None,
        item: Some(item.to_owned()),
    };
    if let Err(e) = queue(store, doc, event) {
        tracing::warn!(doc = %doc.id, error = %e, "could not queue group robot messages");
    }
}

struct Event {
    kind: RobotEvent,
    item: Option<String>,
    title: String,
    version: u64,
    author: String,
    approver: Option<String>,
}

fn display_name(store: &Store, id: &str) -> String {
    match store.users.get(id) {
        Ok(Some(u)) => u.display_name,
        _ => id.to_owned(),
    }
}

/// May `everyone` in the space read version `version` of `doc` (where the document lies now and
/// where that version lived)? A group chat is shown nothing more.
fn everyone_reads(store: &Store, doc: &Doc, version: u64) -> Result<bool> {
    if doc.deleted.is_some() {
        return Ok(false);
    }
    let everyone = access::everyone();
    if !access::allowed_doc(store, &everyone, Action::Read, doc)? {
        return Ok(false);
    }
    access::VersionPlaces::new(store, &everyone, doc)?.may_read_version(&doc.id, version)
}

fn queue(store: &Store, doc: &Doc, event: Event) -> Result<()> {
    let Some(hooks) = store.webhooks.get(&doc.space_id)? else {
        return Ok(());
    };
    if hooks.hooks.is_empty() || !everyone_reads(store, doc, event.version)? {
        return Ok(());
    }
    let now = Utc::now();
    let mut items = Vec::with_capacity(hooks.hooks.len());
    for h in &hooks.hooks {
        items.push((
            store.next_seq()?,
            QueuedDelivery {
                space_id: doc.space_id.clone(),
                hook_id: h.id.clone(),
                event: event.kind,
                doc_id: doc.id.clone(),
                title: event.title.clone(),
                version: event.version,
                author: event.author.clone(),
                approver: event.approver.clone(),
                item: event.item.clone(),
                attempts: 0,
                next_at: now,
                queued_at: now,
            },
        ));
    }
    store.transact(|tx| {
        for (seq, d) in &items {
            tx.webhook_queue.put(*seq, d)?;
        }
        Ok(())
    })?;
    store.webhook_queue.wake();
    Ok(())
}

// ---- the messages -------------------------------------------------------------------------------

/// The one-line announcement, in Chinese.
fn headline(d: &QueuedDelivery) -> String {
    match d.event {
        RobotEvent::Published => {
            format!("《{}》发布了版本 {}（{}）", d.title, d.version, d.author)
        }
        RobotEvent::Overdue => format!(
            "《{}》的待办已逾期：{}",
            d.title,
            d.item.as_deref().unwrap_or("")
        ),
        RobotEvent::Approved => format!(
            "《{}》版本 {} 审核通过并发布（作者 {}，审核 {}）",
            d.title,
            d.version,
            d.author,
            d.approver.as_deref().unwrap_or("")
        ),
    }
}

/// The link to the document, with a configured public address only.
fn link(public_url: Option<&str>, doc_id: &str) -> Option<String> {
    let base = public_url?.trim().trim_end_matches('/');
    (!base.is_empty()).then(|| format!("{base}/#/doc/{doc_id}"))
}

fn hmac_base64(key: &[u8], msg: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(msg);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// DingTalk's signature of `timestamp` (ms): Base64 of HMAC-SHA256 over "{timestamp}\n{secret}"
/// keyed by the secret (URL-encoding it is the caller's).
pub fn dingtalk_sign(timestamp_ms: i64, secret: &str) -> String {
    hmac_base64(
        secret.as_bytes(),
        format!("{timestamp_ms}\n{secret}").as_bytes(),
    )
}

/// Feishu's signature of `timestamp` (s): Base64 of HMAC-SHA256 over nothing, keyed by
/// "{timestamp}\n{secret}".
pub fn feishu_sign(timestamp_s: i64, secret: &str) -> String {
    hmac_base64(format!("{timestamp_s}\n{secret}").as_bytes(), b"")
}

/// The address and JSON body of one message to one robot, at `now`.
pub fn request(
    hook: &Webhook,
    d: &QueuedDelivery,
    public_url: Option<&str>,
    now: DateTime<Utc>,
) -> (String, Value) {
    let line = headline(d);
    let link = link(public_url, &d.doc_id);
    let markdown = match &link {
        Some(l) => format!("{line}\n\n[打开文档]({l})"),
        None => line.clone(),
    };
    match hook.kind {
        RobotKind::Dingtalk => {
            let mut url = hook.url.clone();
            if let Some(secret) = &hook.secret
                && let Ok(mut signed) = reqwest::Url::parse(&hook.url)
            {
                let ts = now.timestamp_millis();
                signed
                    .query_pairs_mut()
                    .append_pair("timestamp", &ts.to_string())
                    .append_pair("sign", &dingtalk_sign(ts, secret));
                url = signed.into();
            }
            let body = json!({
                "msgtype": "markdown",
                "markdown": {"title": format!("《{}》", d.title), "text": markdown},
            });
            (url, body)
        }
        RobotKind::Wecom => (
            hook.url.clone(),
            json!({"msgtype": "markdown", "markdown": {"content": markdown}}),
        ),
        RobotKind::Feishu => {
            let text = match &link {
                Some(l) => format!("{line}\n{l}"),
                None => line,
            };
            let mut body = json!({"msg_type": "text", "content": {"text": text}});
            if let Some(secret) = &hook.secret {
                let ts = now.timestamp();
                body["timestamp"] = json!(ts.to_string());
                body["sign"] = json!(feishu_sign(ts, secret));
            }
            (hook.url.clone(), body)
        }
    }
}

/// Reads a robot's answer: a 2xx status whose JSON does not report an error (`errcode` for
/// DingTalk and WeCom, `code` for Feishu, each 0 on success).
pub fn judge(kind: RobotKind, status: u16, body: &str) -> std::result::Result<(), String> {
    if !(200..300).contains(&status) {
        return Err(format!("HTTP {status}"));
    }
    let Ok(v) = serde_json::from_str::<Value>(body) else {
        return Ok(()); // nothing to say against it
    };
    let (code, msg) = match kind {
        RobotKind::Dingtalk | RobotKind::Wecom => (&v["errcode"], &v["errmsg"]),
        RobotKind::Feishu => (&v["code"], &v["msg"]),
    };
    match code.as_i64() {
        Some(0) | None => Ok(()),
        Some(c) => {
            let msg: String = msg.as_str().unwrap_or("").chars().take(200).collect();
            Err(format!("errcode {c}: {msg}"))
        }
    }
}

// ---- delivery -----------------------------------------------------------------------------------

/// The delivery job: posts what the queue holds when it is due, a few at a time, until the
/// server stops. Woken by each commit that queues messages; otherwise it looks again when the
/// next retry is due (or after a minute).
pub async fn run(state: AppState) {
    let client = match reqwest::Client::builder()
        .timeout(ATTEMPT_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "cannot build the HTTP client: group robots are off");
            return;
        }
    };
    let mut tasks = tokio::task::JoinSet::new();
    let mut inflight: HashMap<tokio::task::Id, u64> = HashMap::new();
    loop {
        let now = Utc::now();
        let busy: HashSet<u64> = inflight.values().copied().collect();
        let mut next_due: Option<DateTime<Utc>> = None;
        match state.store.webhook_queue.all() {
            Ok(all) => {
                for (seq, d) in all {
                    if busy.contains(&seq) {
                        continue;
                    }
                    if d.next_at > now {
                        next_due = Some(next_due.map_or(d.next_at, |n| n.min(d.next_at)));
                    } else if inflight.len() < PARALLEL {
                        let h = tasks.spawn(attempt(state.clone(), client.clone(), seq, d));
                        inflight.insert(h.id(), seq);
                    }
                    // Due but every slot busy: the next task to finish wakes the loop.
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot read the webhook queue"),
        }
        let wait = next_due
            .map(|t| (t - now).to_std().unwrap_or_default())
            .unwrap_or(Duration::from_secs(60))
            .min(Duration::from_secs(60));
        tokio::select! {
            _ = state.store.webhook_queue.woken() => {}
            Some(done) = tasks.join_next_with_id(), if !tasks.is_empty() => {
                let id = match done {
                    Ok((id, ())) => id,
                    Err(e) => e.id(),
                };
                inflight.remove(&id);
            }
            _ = tokio::time::sleep(wait), if next_due.is_some() || inflight.is_empty() => {}
        }
    }
}

fn host_of(url: &str) -> String {
    reqwest::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_default()
}

/// One attempt of one message: post, record the result on the robot, and reschedule or drop.
async fn attempt(state: AppState, client: reqwest::Client, seq: u64, d: QueuedDelivery) {
    let store = &state.store;
    let hook = match store.webhooks.get(&d.space_id) {
        Ok(s) => s.and_then(|s| s.hooks.into_iter().find(|h| h.id == d.hook_id)),
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the group robots");
            return;
        }
    };
    let Some(hook) = hook else {
        // The robot was removed: the message goes with it.
        if let Err(e) = store.transact(|tx| tx.webhook_queue.remove(seq)) {
            tracing::warn!(error = %e, "cannot drop a message of a removed robot");
        }
        return;
    };
    let (url, body) = request(&hook, &d, state.config.public_url.as_deref(), Utc::now());
    let outcome = match client.post(&url).json(&body).send().await {
        Ok(resp) => {
            let status = resp.status().as_u16();
            let text = resp.text().await.unwrap_or_default();
            (Some(status), judge(hook.kind, status, &text))
        }
        Err(e) => {
            let why = if e.is_timeout() {
                format!("timed out after {} s", ATTEMPT_TIMEOUT.as_secs())
            } else if e.is_connect() {
                "could not connect".to_owned()
            } else {
                // Without the address: it carries the robot's token (and DingTalk's signature).
                e.without_url().to_string()
            };
            (None, Err(why))
        }
    };
    let attempts = d.attempts + 1;
    let (status, verdict) = outcome;
    let ok = verdict.is_ok();
    let retrying = !ok && attempts < MAX_ATTEMPTS;
    let error = verdict.err();
    if let Some(why) = &error {
        tracing::warn!(
            space = %d.space_id, hook = %hook.id, host = %host_of(&hook.url), attempts,
            retrying, error = %why, "group robot delivery failed"
        );
    }
    let now = Utc::now();
    let result = DeliveryResult {
        at: now,
        ok,
        status,
        error,
        attempts,
        retrying,
        title: d.title.clone(),
    };
    let base = state.config.webhook_retry_base_ms.max(1);
    let delay = base.saturating_mul(1u64 << (attempts - 1).min(20));
    let next = QueuedDelivery {
        attempts,
        next_at: now + chrono::Duration::milliseconds(i64::try_from(delay).unwrap_or(i64::MAX)),
        ..d.clone()
    };
    let written = store.transact(|tx| {
        if let Some(mut s) = tx.webhooks.get(&d.space_id)?
            && let Some(h) = s.hooks.iter_mut().find(|h| h.id == d.hook_id)
        {
            h.last = Some(result.clone());
            tx.webhooks.put(&d.space_id, &s)?;
        }
        if retrying {
            tx.webhook_queue.put(seq, &next)
        } else {
            tx.webhook_queue.remove(seq)
        }
    });
    match written {
        Ok(()) => {
            if let Err(e) = store.flush().await {
                tracing::warn!(error = %e, "cannot flush a delivery result");
            }
        }
        Err(e) => tracing::warn!(error = %e, "cannot record a delivery result"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_reports_robots_of_a_missing_space() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        assert!(verify(&store).unwrap().is_empty());
        store
            .transact(|tx| tx.webhooks.put("nospace", &SpaceWebhooks::default()))
            .unwrap();
        assert_eq!(
            verify(&store).unwrap(),
            vec!["group robots of space nospace: no such space".to_owned()]
        );
    }

    #[test]
    fn masks_tokens_in_query_and_path() {
        assert_eq!(
            masked_url("https://oapi.dingtalk.com/robot/send?access_token=abcdef123456"),
            "https://oapi.dingtalk.com/robot/send?access_token=abcd****"
        );
        assert_eq!(
            masked_url("https://open.feishu.cn/open-apis/bot/v2/hook/0123456789abcdef0123"),
            "https://open.feishu.cn/open-apis/bot/v2/hook/0123****"
        );
        assert_eq!(
            masked_url("http://127.0.0.1:8080/hook"),
            "http://127.0.0.1:8080/hook"
        );
    }

    #[test]
    fn robots_report_errors_in_their_own_field() {
        assert!(judge(RobotKind::Dingtalk, 200, r#"{"errcode":0,"errmsg":"ok"}"#).is_ok());
        assert_eq!(
            judge(
                RobotKind::Dingtalk,
                200,
                r#"{"errcode":310000,"errmsg":"sign not match"}"#
            ),
            Err("errcode 310000: sign not match".into())
        );
        assert!(judge(RobotKind::Wecom, 200, r#"{"errcode":93000}"#).is_err());
        assert!(
            judge(
                RobotKind::Feishu,
                200,
                r#"{"code":19021,"msg":"sign match fail"}"#
            )
            .is_err()
        );
        assert!(judge(RobotKind::Feishu, 200, r#"{"code":0}"#).is_ok());
        assert_eq!(judge(RobotKind::Wecom, 500, ""), Err("HTTP 500".into()));
    }

    #[test]
    fn signatures_match_the_documented_algorithms() {
        // Independently: HMAC-SHA256 per RFC 4231 test case 2 ("Jefe").
        let mut mac = Hmac::<Sha256>::new_from_slice(b"Jefe").unwrap();
        mac.update(b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac.finalize().into_bytes()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // DingTalk keys by the secret over "ts\nsecret"; Feishu keys by "ts\nsecret" over "".
        let d = dingtalk_sign(1_700_000_000_000, "SECabc");
        let f = feishu_sign(1_700_000_000, "abc");
        assert_eq!(d, hmac_base64(b"SECabc", b"1700000000000\nSECabc"));
        assert_eq!(f, hmac_base64(b"1700000000\nabc", b""));
        assert_ne!(d, f);
        // The signature goes on the URL with `+`, `/` and `=` escaped.
        let mut u =
            reqwest::Url::parse("https://oapi.dingtalk.com/robot/send?access_token=t").unwrap();
        u.query_pairs_mut().append_pair("sign", "a+b/c=");
        assert_eq!(u.query(), Some("access_token=t&sign=a%2Bb%2Fc%3D"));
    }
}
