//! Documents and their versions: create, save (with edit-conflict detection), restore, trash,
//! rebuild any version, diff. Every change is one transaction that also writes the outbox entry for
//! the indexer and the audit event.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::{
    domain::{
        diff,
        versions::{self, ChainState, Content},
    },
    error::{Code, Error, Reason, Result},
    markdown,
    model::{AuditEvent, Deleted, Doc, DocKind, DocStatus, VersionRecord, new_id},
    store::{Encoded, EncodedVersion, Store, Tx, TxResult, abort},
};

pub mod checked;

/// Longest title, in characters.
pub const MAX_TITLE_CHARS: usize = 200;
/// Most tags on a document.
pub const MAX_TAGS: usize = 30;
/// Longest tag, in characters.
pub const MAX_TAG_CHARS: usize = 50;
/// Longest save message, in characters.
pub const MAX_MESSAGE_CHARS: usize = 500;

/// Validated content of a save.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocContent {
    /// Title (trimmed).
    pub title: String,
    /// Markdown body.
    pub body: String,
    /// Tags (trimmed, de-duplicated, order kept).
    pub tags: Vec<String>,
}

/// 422 `invalid_input` on `body`: nested past [`markdown::MAX_NESTING`].
pub fn too_deep() -> Error {
    Error::invalid(
        "body",
        format!(
            "the body nests HTML elements, block quotes or lists more than {} levels deep (the limit)",
            markdown::MAX_NESTING
        ),
    )
    .because(Reason::TooDeep)
    .with("limit", markdown::MAX_NESTING)
    .unprocessable()
}

/// Checks and normalises a title, body and tags. The body is parsed (nesting depth): CPU work, so
/// call it off the async workers.
pub fn validate(title: &str, body: &str, tags: &[String], max_body: usize) -> Result<DocContent> {
    let content = validate_fields(title, body, tags, max_body)?;
    if markdown::nests_too_deep(body) {
        return Err(too_deep());
    }
    Ok(content)
}

/// [`validate`] without the nesting check (for callers that made it already).
pub fn validate_fields(
    title: &str,
    body: &str,
    tags: &[String],
    max_body: usize,
) -> Result<DocContent> {
    let title = title.trim();
    if title.is_empty() {
        return Err(
            Error::invalid("title", "the title must not be empty").because(Reason::Required)
        );
    }
    if title.chars().count() > MAX_TITLE_CHARS {
        return Err(Error::invalid(
            "title",
            format!("the title is longer than {MAX_TITLE_CHARS} characters"),
        )
        .because(Reason::TooLong)
        .with("limit", MAX_TITLE_CHARS));
    }
    if title.chars().any(|c| c.is_control()) {
        return Err(
            Error::invalid("title", "the title must not contain control characters")
                .because(Reason::BadCharacters),
        );
    }
    if body.len() > max_body {
        return Err(Error::PayloadTooLarge { limit: max_body });
    }
    if body.contains('\0') {
        return Err(
            Error::invalid("body", "the body must not contain NUL characters")
                .because(Reason::BadCharacters),
        );
    }
    if tags.len() > MAX_TAGS {
        return Err(Error::invalid("tags", format!("at most {MAX_TAGS} tags"))
            .because(Reason::TooMany)
            .with("limit", MAX_TAGS));
    }
    let mut out: Vec<String> = Vec::with_capacity(tags.len());
    for t in tags {
        let t = t.trim().trim_start_matches('#').trim();
        if t.is_empty() {
            return Err(Error::invalid("tags", "a tag must not be empty").because(Reason::Required));
        }
        if t.chars().count() > MAX_TAG_CHARS {
            return Err(Error::invalid(
                "tags",
                format!("a tag is longer than {MAX_TAG_CHARS} characters"),
            )
            .because(Reason::TooLong)
            .with("limit", MAX_TAG_CHARS));
        }
        if t.chars().any(|c| c.is_control() || c == ',') {
            return Err(Error::invalid(
                "tags",
                "a tag must not contain commas or control characters",
            )
            .because(Reason::BadCharacters));
        }
        if !out.iter().any(|o| o.eq_ignore_ascii_case(t)) {
            out.push(t.to_owned());
        }
    }
    Ok(DocContent {
        title: title.to_owned(),
        body: body.to_owned(),
        tags: out,
    })
}

/// Checks a save message.
pub fn validate_message(m: Option<&str>) -> Result<String> {
    let m = m.unwrap_or("").trim();
    if m.chars().count() > MAX_MESSAGE_CHARS {
        return Err(Error::invalid(
            "message",
            format!("the message is longer than {MAX_MESSAGE_CHARS} characters"),
        )
        .because(Reason::TooLong)
        .with("limit", MAX_MESSAGE_CHARS));
    }
    Ok(m.to_owned())
}

/// A version's metadata, as listed in the history.
#[derive(Debug, Clone, Serialize)]
pub struct VersionInfo {
    /// Number.
    pub version: u64,
    /// Author (user id).
    pub author: String,
    /// Saved at.
    pub created_at: DateTime<Utc>,
    /// Save message.
    pub message: String,
    /// Body size in bytes.
    pub size: u64,
    /// Title at this version.
    pub title: String,
    /// Content hash.
    pub hash: String,
    /// The category the document lived in at this version (the place that decides who may read
    /// it; see [`crate::service::access::VersionPlaces`]).
    pub category_id: Option<String>,
}

/// A version rebuilt whole.
#[derive(Debug, Clone, Serialize)]
pub struct FullVersion {
    /// Number.
    pub version: u64,
    /// Title.
    pub title: String,
    /// Body.
    pub body: String,
    /// Tags.
    pub tags: Vec<String>,
    /// Category.
    pub category_id: Option<String>,
    /// Author (user id).
    pub author: String,
    /// Saved at.
    pub created_at: DateTime<Utc>,
    /// Save message.
    pub message: String,
    /// Content hash.
    pub hash: String,
}

/// Who does a change, and from where (for the audit log).
#[derive(Debug, Clone)]
pub struct Actor {
    /// User id.
    pub id: String,
    /// Login name.
    pub name: String,
    /// Client address.
    pub ip: Option<String>,
}

impl Actor {
    /// The caller, as the actor of what it does.
    pub fn of(who: &crate::service::Caller) -> Actor {
        Actor {
            id: who.user.id.clone(),
            name: who.user.username.clone(),
            ip: Some(who.ip.clone()),
        }
    }

    /// The audit event for an action by this actor.
    pub fn event(
        &self,
        seq: u64,
        action: &str,
        target: String,
        outcome: &str,
        detail: Option<serde_json::Value>,
    ) -> AuditEvent {
        AuditEvent {
            seq,
            at: Utc::now(),
            actor: Some(self.id.clone()),
            actor_name: Some(self.name.clone()),
            action: action.into(),
            target,
            outcome: outcome.into(),
            ip: self.ip.clone(),
            detail,
        }
    }
}

/// Marks (or unmarks) a document as one of the caller's favourites. Marking needs the document
/// to be readable by the caller (checked by the caller of this function); unmarking never does.
pub fn set_favourite(
    store: &Store,
    who: &crate::service::Caller,
    id: &str,
    on: bool,
) -> Result<()> {
    let at = Utc::now().to_rfc3339();
    store.transact(|tx| {
        if on {
            tx.favourites.add(who.id(), id, &at)
        } else {
            tx.favourites.remove(who.id(), id)
        }
    })
}

/// Writes an audit event inside a transaction.
pub fn tx_audit(tx: &Tx<'_>, ev: &AuditEvent) -> TxResult<()> {
    tx.audit.append(ev)
}

/// Queues a document for the indexer inside a transaction.
pub fn tx_outbox(tx: &Tx<'_>, seq: u64, doc_id: &str) -> TxResult<()> {
    tx.outbox.push(seq, doc_id)
}

/// Loads a document with its head body (trashed ones too).
pub fn load(store: &Store, id: &str) -> Result<Doc> {
    let mut doc = load_meta(store, id)?;
    doc.body = store.bodies.get(id)?.unwrap_or_default();
    Ok(doc)
}

/// Loads a document's metadata only (its `body` is left empty).
pub fn load_meta(store: &Store, id: &str) -> Result<Doc> {
    store.docs.get(id)?.ok_or(Error::NotFound("document"))
}

fn load_version_record(store: &Store, id: &str, n: u64) -> Result<VersionRecord> {
    store.versions.get(id, n)?.ok_or(Error::NotFound("version"))
}

/// The category the document lived in at version `n` (`not_found` when there is no such version),
/// read without decoding the version's text.
pub fn version_category(store: &Store, id: &str, n: u64) -> Result<Option<String>> {
    store
        .versions
        .category_at(id, n)?
        .ok_or(Error::NotFound("version"))
}

/// What a new save needs: the head to diff against.
pub struct NewVersion<'a> {
    /// Version number to write.
    pub version: u64,
    /// Previous body and chain, None for the first version.
    pub prev: Option<(&'a str, ChainState)>,
    /// Content.
    pub content: &'a DocContent,
    /// Category.
    pub category_id: Option<String>,
    /// Author.
    pub author: &'a str,
    /// Message.
    pub message: &'a str,
    /// Time.
    pub at: DateTime<Utc>,
}

/// Builds the stored record of a new version and the chain state after it. Pure; done outside the
/// transaction (diffing is the costly part).
pub fn build_version(n: NewVersion<'_>) -> (VersionRecord, ChainState) {
    let (content, chain) = match n.prev {
        None => versions::encode(None, &n.content.body, ChainState::default()),
        Some((old, chain)) => versions::encode(Some(old), &n.content.body, chain),
    };
    (
        VersionRecord {
            version: n.version,
            author: n.author.to_owned(),
            created_at: n.at,
            message: n.message.to_owned(),
            title: n.content.title.clone(),
            tags: n.content.tags.clone(),
            category_id: n.category_id,
            size: n.content.body.len() as u64,
            hash: versions::content_hash(&n.content.title, &n.content.tags, &n.content.body),
            content,
        },
        chain,
    )
}

/// The outcome of a save.
pub struct Saved {
    /// The document after the save.
    pub doc: Doc,
    /// Whether a new version was written (false when nothing changed).
    pub changed: bool,
    /// Whether the save was merged three-way with versions saved since its base.
    pub merged: bool,
}

/// Parameters of a new document.
pub struct NewDoc {
    /// Space.
    pub space_id: String,
    /// Category.
    pub category_id: Option<String>,
    /// Content.
    pub content: DocContent,
    /// Kind.
    pub kind: DocKind,
    /// A record's type.
    pub record_type: Option<String>,
    /// Does publishing need a review?
    pub needs_review: bool,
    /// Save message.
    pub message: String,
    /// Key in [`crate::store::IMPORT_PATHS`] recording where an imported document came from,
    /// written in the same transaction.
    pub import_key: Option<(String, String)>,
}

/// A new document ready to write: everything computed outside the transaction.
pub struct PreparedCreate {
    /// The document (with its body).
    pub doc: Doc,
    doc_bytes: Encoded<Doc>,
    ver_bytes: EncodedVersion,
    outbox_seq: u64,
    event: AuditEvent,
    import_key: Option<(String, String)>,
}

/// Builds a new document with version 1, its outbox entry and audit event, without writing.
pub fn prepare_create(store: &Store, actor: &Actor, new: NewDoc) -> Result<PreparedCreate> {
    prepare_create_as(store, actor, new, new_id())
}

/// [`prepare_create`] with the id chosen beforehand (an import links its files to each other
/// before any of them is written).
pub fn prepare_create_as(
    store: &Store,
    actor: &Actor,
    new: NewDoc,
    id: String,
) -> Result<PreparedCreate> {
    let now = Utc::now();
    let (record, chain) = build_version(NewVersion {
        version: 1,
        prev: None,
        content: &new.content,
        category_id: new.category_id.clone(),
        author: &actor.id,
        message: &new.message,
        at: now,
    });
    let doc = Doc {
        id: id.clone(),
        kind: new.kind,
        record_type: new.record_type,
        space_id: new.space_id,
        category_id: new.category_id,
        title: new.content.title.clone(),
        tags: new.content.tags.clone(),
        body: new.content.body,
        version: 1,
        published_version: (!new.needs_review).then_some(1),
        status: if new.needs_review {
            DocStatus::Draft
        } else {
            DocStatus::Published
        },
        created_by: actor.id.clone(),
        created_at: now,
        updated_by: actor.id.clone(),
        updated_at: now,
        deleted: None,
        chain,
        review_by: None,
        approved_by: Vec::new(),
        reconfirm_from: None,
    };
    let (outbox_seq, audit_seq) = (store.next_seq()?, store.next_seq()?);
    let event = actor.event(
        audit_seq,
        "document.create",
        format!("document:{id}"),
        "ok",
        Some(serde_json::json!({"title": doc.title, "space_id": doc.space_id})),
    );
    Ok(PreparedCreate {
        doc_bytes: Encoded::new(&doc),
        ver_bytes: EncodedVersion::new(&record),
        doc,
        outbox_seq,
        event,
        import_key: new.import_key,
    })
}

/// Writes a prepared new document inside a transaction.
pub fn tx_create(tx: &Tx<'_>, p: &PreparedCreate) -> TxResult<()> {
    let id = p.doc.id.as_str();
    tx.docs.put_encoded(id, &p.doc_bytes)?;
    tx.bodies.put(id, &p.doc.body)?;
    tx.versions.put(id, 1, &p.ver_bytes)?;
    tx_outbox(tx, p.outbox_seq, id)?;
    tx_audit(tx, &p.event)?;
    if let Some(k) = &p.import_key {
        tx.import_paths.put(&k.0, &k.1, id)?;
    }
    Ok(())
}

/// Creates a document with version 1, in one transaction with its outbox entry and audit event.
pub fn create(store: &Store, actor: &Actor, new: NewDoc) -> Result<Doc> {
    create_as(store, actor, new, new_id())
}

/// [`create`] with the id chosen beforehand.
pub fn create_as(store: &Store, actor: &Actor, new: NewDoc, id: String) -> Result<Doc> {
    let p = prepare_create_as(store, actor, new, id)?;
    store.transact(|tx| tx_create(tx, &p))?;
    Ok(p.doc)
}

/// Parameters of a save.
pub struct Update {
    /// New content.
    pub content: DocContent,
    /// New category (None keeps the current one).
    pub category_id: Option<Option<String>>,
    /// The version the editor started from.
    pub base_version: u64,
    /// Save message.
    pub message: String,
    /// Does publishing need a review?
    pub needs_review: bool,
    /// Audit action name.
    pub action: &'static str,
    /// A direct publish asks readers to acknowledge it again (需重新确认).
    pub reconfirm: bool,
}

/// A save ready to write: everything computed outside the transaction.
pub struct PreparedUpdate {
    /// The version the save builds on.
    base_version: u64,
    /// The document after the save (with its body).
    pub next: Doc,
    next_bytes: Encoded<Doc>,
    ver_bytes: EncodedVersion,
    outbox_seq: u64,
    event: AuditEvent,
}

/// What a save would do.
pub enum Planned {
    /// Nothing changed: no new version (the document as it is).
    Unchanged(Box<Doc>),
    /// A new version.
    Save(Box<PreparedUpdate>),
}

/// Plans a save on top of `up.base_version` without writing, or fails with `edit_conflict` when the
/// document has moved on. Diffing against the head is the costly part.
pub fn prepare_update(store: &Store, actor: &Actor, id: &str, up: &Update) -> Result<Planned> {
    let doc = load(store, id)?;
    if doc.deleted.is_some() {
        return Err(Error::NotFound("document"));
    }
    if up.base_version != doc.version {
        return Err(Error::EditConflict {
            current_version: doc.version,
            detail: None,
        });
    }
    let category_id = up
        .category_id
        .clone()
        .unwrap_or_else(|| doc.category_id.clone());
    if doc.title == up.content.title
        && doc.body == up.content.body
        && doc.tags == up.content.tags
        && doc.category_id == category_id
    {
        return Ok(Planned::Unchanged(Box::new(doc)));
    }
    let now = Utc::now();
    let n = doc.version + 1;
    let (record, chain) = build_version(NewVersion {
        version: n,
        prev: Some((&doc.body, doc.chain)),
        content: &up.content,
        category_id: category_id.clone(),
        author: &actor.id,
        message: &up.message,
        at: now,
    });
    let mut next = doc.clone();
    next.title = up.content.title.clone();
    next.body = up.content.body.clone();
    next.tags = up.content.tags.clone();
    next.category_id = category_id;
    next.version = n;
    next.chain = chain;
    next.updated_by = actor.id.clone();
    next.updated_at = now;
    if up.needs_review {
        next.status = DocStatus::Draft;
    } else {
        next.status = DocStatus::Published;
        next.published_version = Some(n);
        next.approved_by.clear();
        if up.reconfirm {
            next.reconfirm_from = Some(n);
        }
    }
    let (outbox_seq, audit_seq) = (store.next_seq()?, store.next_seq()?);
    let event = actor.event(
        audit_seq,
        up.action,
        format!("document:{id}"),
        "ok",
        Some(serde_json::json!({"version": n, "reconfirm": up.reconfirm && !up.needs_review})),
    );
    Ok(Planned::Save(Box::new(PreparedUpdate {
        base_version: doc.version,
        next_bytes: Encoded::new(&next),
        ver_bytes: EncodedVersion::new(&record),
        next,
        outbox_seq,
        event,
    })))
}

/// Inside a transaction: is the document still at the version the save was planned on? (Another
/// save may have landed since.) A vanished document aborts with `not_found`.
pub fn tx_still_current(tx: &Tx<'_>, p: &PreparedUpdate) -> TxResult<bool> {
    let Some(cur) = tx.docs.get(&p.next.id)? else {
        return abort(Error::NotFound("document"));
    };
    Ok(cur.version == p.base_version)
}

/// Writes a planned save inside a transaction (after [`tx_still_current`]).
pub fn tx_update(tx: &Tx<'_>, p: &PreparedUpdate) -> TxResult<()> {
    let id = p.next.id.as_str();
    tx.docs.put_encoded(id, &p.next_bytes)?;
    tx.bodies.put(id, &p.next.body)?;
    tx.versions.put(id, p.next.version, &p.ver_bytes)?;
    tx_outbox(tx, p.outbox_seq, id)?;
    tx_audit(tx, &p.event)?;
    Ok(())
}

/// Saves a new version on top of `base_version`, or fails with `edit_conflict` when the document has
/// moved on. Nothing changed -> no new version.
pub fn update(store: &Store, actor: &Actor, id: &str, up: Update) -> Result<Saved> {
    loop {
        let p = match prepare_update(store, actor, id, &up)? {
            Planned::Unchanged(doc) => {
                return Ok(Saved {
                    doc: *doc,
                    changed: false,
                    merged: false,
                });
            }
            Planned::Save(p) => p,
        };
        let written = store.transact(|tx| {
            // Re-check inside the transaction: another save may have landed since we read.
            if !tx_still_current(tx, &p)? {
                return Ok(false);
            }
            tx_update(tx, &p)?;
            Ok(true)
        })?;
        if written {
            return Ok(Saved {
                doc: p.next,
                changed: true,
                merged: false,
            });
        }
        // Lost a race: go round, and the base check reports the conflict.
    }
}

/// Rebuilds version `n` whole, from its nearest snapshot.
pub fn version(store: &Store, doc: &Doc, n: u64) -> Result<FullVersion> {
    if n == 0 || n > doc.version {
        return Err(Error::NotFound("version"));
    }
    let target = load_version_record(store, &doc.id, n)?;
    let body = if n == doc.version {
        doc.body.clone()
    } else {
        rebuild_body(store, &doc.id, n, &target)?
    };
    Ok(FullVersion {
        version: n,
        title: target.title,
        body,
        tags: target.tags,
        category_id: target.category_id,
        author: target.author,
        created_at: target.created_at,
        message: target.message,
        hash: target.hash,
    })
}

/// Rebuilds the body of version `n` (whose record is `target`) by walking back to a snapshot.
pub fn rebuild_body(store: &Store, id: &str, n: u64, target: &VersionRecord) -> Result<String> {
    let mut chain: Vec<Vec<versions::Op>> = Vec::new();
    let mut cur = n;
    let mut rec = target.clone();
    let base = loop {
        match rec.content {
            Content::Full(text) => break text,
            Content::Delta(ops) => {
                chain.push(ops);
                if cur == 1 {
                    return Err(Error::internal(format!("version 1 of {id} is a delta")));
                }
                cur -= 1;
                rec = load_version_record(store, id, cur)?;
            }
        }
    };
    let mut text = base;
    for ops in chain.iter().rev() {
        text =
            versions::apply(&text, ops).map_err(|e| Error::internal(format!("{id}/{n}: {e}")))?;
    }
    Ok(text)
}

/// The history, newest first.
pub fn history(store: &Store, id: &str) -> Result<Vec<VersionInfo>> {
    let mut out = Vec::new();
    for r in store.versions.newest_first(id) {
        let r = r?;
        out.push(VersionInfo {
            version: r.version,
            author: r.author,
            created_at: r.created_at,
            message: r.message,
            size: r.size,
            title: r.title,
            hash: r.hash,
            category_id: r.category_id,
        });
    }
    Ok(out)
}

/// Puts a document in the trash (or takes it out).
pub fn set_deleted(store: &Store, actor: &Actor, id: &str, deleted: bool) -> Result<Doc> {
    let (outbox_seq, audit_seq) = (store.next_seq()?, store.next_seq()?);
    let action = if deleted {
        "document.delete"
    } else {
        "document.undelete"
    };
    let ev = actor.event(audit_seq, action, format!("document:{id}"), "ok", None);
    let now = Utc::now();
    let doc = store.transact(|tx| {
        let Some(mut doc) = tx.docs.get(id)? else {
            return abort(Error::NotFound("document"));
        };
        match (deleted, doc.deleted.is_some()) {
            (true, true) => return abort(Error::NotFound("document")),
            (false, false) => {
                return abort(Error::rule(
                    Code::NotInTrash,
                    "the document is not in the trash",
                ));
            }
            _ => {}
        }
        doc.deleted = deleted.then(|| Deleted {
            at: now,
            by: actor.id.clone(),
        });
        tx.docs.put(id, &doc)?;
        tx_outbox(tx, outbox_seq, id)?;
        tx_audit(tx, &ev)?;
        Ok(doc)
    })?;
    Ok(doc)
}

/// Diff between two versions (their bodies; title and tag changes are reported separately).
#[derive(Debug, Clone, Serialize)]
pub struct VersionDiff {
    /// Older side.
    pub from: u64,
    /// Newer side.
    pub to: u64,
    /// Title change, if any: [old, new].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<[String; 2]>,
    /// Tags added.
    pub tags_added: Vec<String>,
    /// Tags removed.
    pub tags_removed: Vec<String>,
    /// The body changes.
    #[serde(flatten)]
    pub changes: diff::TextChanges,
}

/// Diffs two rebuilt versions.
pub fn diff_versions(
    a: &FullVersion,
    b: &FullVersion,
    words: &dyn Fn(&str) -> Vec<String>,
) -> VersionDiff {
    let changes = diff::diff(
        &a.body,
        &b.body,
        &format!("v{}", a.version),
        &format!("v{}", b.version),
        words,
    );
    VersionDiff {
        from: a.version,
        to: b.version,
        title: (a.title != b.title).then(|| [a.title.clone(), b.title.clone()]),
        tags_added: b
            .tags
            .iter()
            .filter(|t| !a.tags.contains(t))
            .cloned()
            .collect(),
        tags_removed: a
            .tags
            .iter()
            .filter(|t| !b.tags.contains(t))
            .cloned()
            .collect(),
        changes,
    }
}

/// Result of verifying one document.
#[derive(Debug, Default)]
pub struct CheckReport {
    /// Documents checked.
    pub docs: u64,
    /// Versions rebuilt and verified.
    pub versions: u64,
    /// Problems found.
    pub problems: Vec<String>,
}

/// Rebuilds every version of every document and verifies the content hashes and the head text.
pub fn check_all(store: &Store, mut progress: impl FnMut(u64)) -> Result<CheckReport> {
    let mut report = CheckReport::default();
    for entry in store.docs.entries() {
        let (key, doc) = entry?;
        report.docs += 1;
        progress(report.docs);
        let mut doc: Doc = match doc {
            Ok(d) => d,
            Err(e) => {
                report
                    .problems
                    .push(format!("document {key}: unreadable record: {e}"));
                continue;
            }
        };
        match store.bodies.get(&key) {
            Ok(Some(b)) => doc.body = b,
            _ => {
                report
                    .problems
                    .push(format!("document {key}: head text missing or not UTF-8"));
                continue;
            }
        }
        // Walk forward, applying each delta to the previous text, so each version costs one patch.
        let mut prev: Option<String> = None;
        for n in 1..=doc.version {
            let rec = match load_version_record(store, &doc.id, n) {
                Ok(r) => r,
                Err(e) => {
                    report
                        .problems
                        .push(format!("document {key} version {n}: {e}"));
                    prev = None;
                    continue;
                }
            };
            let body = match (&rec.content, &prev) {
                (Content::Full(t), _) => Ok(t.clone()),
                (Content::Delta(ops), Some(p)) => {
                    versions::apply(p, ops).map_err(|e| e.to_string())
                }
                (Content::Delta(_), None) => Err("delta without a readable base".to_string()),
            };
            match body {
                Ok(body) => {
                    report.versions += 1;
                    let h = versions::content_hash(&rec.title, &rec.tags, &body);
                    if h != rec.hash {
                        report
                            .problems
                            .push(format!("document {key} version {n}: content hash mismatch"));
                    }
                    if n == doc.version
                        && (body != doc.body || rec.title != doc.title || rec.tags != doc.tags)
                    {
                        report.problems.push(format!(
                            "document {key}: head text differs from version {n}"
                        ));
                    }
                    prev = Some(body);
                }
                Err(e) => {
                    report
                        .problems
                        .push(format!("document {key} version {n}: {e}"));
                    prev = None;
                }
            }
        }
    }
    Ok(report)
}

/// Name lookup for authors.
pub fn user_names(store: &Store, id: &str) -> (String, String) {
    store
        .catalog()
        .ok()
        .and_then(|c| c.users.get(id).cloned())
        .unwrap_or_else(|| ("unknown".into(), "unknown".into()))
}

/// The document as it stood at its published version `p`.
pub fn published_view(store: &Store, mut doc: Doc, p: u64) -> Result<Doc> {
    let v = version(store, &doc, p)?;
    doc.title = v.title;
    doc.body = v.body;
    doc.tags = v.tags;
    doc.category_id = v.category_id;
    doc.version = p;
    doc.status = DocStatus::Published;
    doc.updated_by = v.author;
    doc.updated_at = v.created_at;
    Ok(doc)
}
