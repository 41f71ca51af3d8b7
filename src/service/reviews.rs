//! Reviews on the server: submitting a version for approval, deciding on it, publishing the
//! approved version, the in-app notifications that announce each step, the sensitive-word check
//! and the periodic re-review dates.
//!
//! The state machine itself is pure ([`crate::domain::review`]); this module loads what it needs,
//! checks grants, and writes each change in **one** transaction together with the document's new
//! state, the outbox entry (when something is published), the audit event and the notifications.
//!
//! Who reviews: a stage entry that names an account (`user:<id>`, or `group:<g>` for its
//! members) designates it, so reading the document suffices to decide that stage; `everyone`
//! stands for the accounts holding the reviewer role on the document. External guests never
//! review (they can only read). See [`designated`].
//!
//! Who may see a review: its author and anyone who decided on it (while they may read the
//! document), the reviewers designated in any of its stages, and administrators; whoever it is,
//! only while they may read the submitted version where it lived. Everyone else gets `not_found`.

use std::collections::BTreeSet;

use aho_corasick::AhoCorasick;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::{
    domain::{
        permission::{AccountKind, Action, Principal, Subject},
        review::{self, Policy, Review, ReviewAction, ReviewError, ReviewState, Stage},
    },
    error::{Code, Error, Reason, Result},
    model::{Doc, DocStatus, Group, User, new_id},
    service::Caller,
    service::access::{self, load_space},
    service::documents::{self as docs, Actor, FullVersion, tx_audit, tx_outbox},
    service::sessions::account_active,
    store::{Encoded, Store, Tx, TxResult, abort},
};

/// A review waiting this many days at one stage produces a `waiting_too_long` notification for
/// the reviewers still waited on (once per review per stage).
pub const WAITING_TOO_LONG_DAYS: i64 = 3;
/// Settings key of the sensitive-word list ([`crate::store::SETTINGS`]).
pub const SENSITIVE_WORDS_KEY: &str = "sensitive_words";
/// Most words in the sensitive-word list.
pub const MAX_WORDS: usize = 5000;
/// Longest sensitive word, in characters.
pub const MAX_WORD_CHARS: usize = 50;
/// Most word matches reported in one answer.
const MAX_REPORTED_MATCHES: usize = 200;
/// Attempts at a decision before giving up on a review others keep changing.
const MAX_ATTEMPTS: usize = 16;

// ---- records ----------------------------------------------------------------------------------

pub use crate::model::{Notification, NotificationKind, StoredReview, WordAction, WordMatch};

/// A notification about to be written, with its recipient.
struct Outgoing {
    user: String,
    seq: u64,
    note: Notification,
}

/// What a notification says and where it points (the recipients come separately).
struct Note {
    kind: NotificationKind,
    text: String,
    link: String,
    review_id: String,
    doc_id: String,
}

impl Note {
    /// A notification about review `r`.
    fn about(r: &Review, kind: NotificationKind, text: String, link: String) -> Note {
        Note {
            kind,
            text,
            link,
            review_id: r.id.clone(),
            doc_id: r.doc_id.clone(),
        }
    }
}

/// Prepares one notification per recipient (sequence numbers are taken here, outside any
/// transaction).
fn outgoing(
    store: &Store,
    to: &[String],
    note: &Note,
    now: DateTime<Utc>,
) -> Result<Vec<Outgoing>> {
    let mut out = Vec::with_capacity(to.len());
    for user in to {
        let seq = store.next_seq()?;
        let n = Notification {
            id: seq.to_string(),
            kind: note.kind,
            text: note.text.clone(),
            link: note.link.clone(),
            created_at: now,
            read: false,
            review_id: Some(note.review_id.clone()),
            doc_id: Some(note.doc_id.clone()),
            collection_id: None,
            count: 0,
        };
        out.push(Outgoing {
            user: user.clone(),
            seq,
            note: n,
        });
    }
    Ok(out)
}

fn tx_notify(tx: &Tx<'_>, notes: &[Outgoing]) -> TxResult<()> {
    for n in notes {
        tx.notifications.put(&n.user, n.seq, &n.note)?;
    }
    Ok(())
}

fn review_link(id: &str) -> String {
    format!("#/reviews/{id}")
}

fn doc_link(id: &str) -> String {
    format!("#/doc/{id}")
}

// ---- loading and visibility -------------------------------------------------------------------

/// Junk ids name nothing: `not_found` before any lookup.
fn check_id(id: &str, what: &'static str) -> Result<()> {
    if crate::model::valid_id(id) {
        Ok(())
    } else {
        Err(Error::NotFound(what))
    }
}

/// Loads a review, or `not_found`.
pub fn load(store: &Store, id: &str) -> Result<StoredReview> {
    store.reviews.get(id)?.ok_or(Error::NotFound("review"))
}

/// Every review (the tree is small: one record per submission).
pub fn all(store: &Store) -> Result<Vec<StoredReview>> {
    store.reviews.all()
}

/// The open review of each document, from the reviews themselves: the newest open one wins
/// (before the index existed, a race could leave two open).
fn open_by_doc(
    store: &Store,
) -> Result<std::collections::BTreeMap<String, (chrono::DateTime<Utc>, String)>> {
    let mut open = std::collections::BTreeMap::new();
    for r in all(store)? {
        let r = r.review;
        if r.state.is_open() {
            let e = open
                .entry(r.doc_id.clone())
                .or_insert((r.submitted_at, r.id.clone()));
            if r.submitted_at > e.0 {
                *e = (r.submitted_at, r.id.clone());
            }
        }
    }
    Ok(open)
}

/// Builds the open-review index ([`crate::store::OPEN_REVIEWS`]) for a data directory from before
/// it existed. Runs at start-up; a no-op once the index holds anything or no review is open.
pub fn build_open_index_if_missing(store: &Store) -> Result<()> {
    if !store.open_reviews.is_empty() {
        return Ok(());
    }
    let open = open_by_doc(store)?;
    if open.is_empty() {
        return Ok(());
    }
    store.transact(|tx| {
        for (doc, (_, id)) in &open {
            tx.open_reviews.put(doc, id)?;
        }
        Ok(())
    })?;
    Ok(())
}

/// Compares the open-review index with the reviews; one line per disagreement (`hanlin check`).
pub fn verify_open_index(store: &Store) -> Result<Vec<String>> {
    let open = open_by_doc(store)?;
    let mut problems = Vec::new();
    for (doc, (_, id)) in &open {
        match store.open_reviews.get(doc)? {
            Some(v) if v == *id => {}
            Some(v) => problems.push(format!(
                "open-review index: document {doc} points at {v}, its open review is {id}"
            )),
            None => problems.push(format!(
                "open-review index: the open review {id} of document {doc} is missing"
            )),
        }
    }
    for entry in store.open_reviews.entries() {
        let (doc, id) = entry?;
        if !open.contains_key(&doc) {
            problems.push(format!(
                "open-review index: document {doc} points at {id}, which is not open"
            ));
        }
    }
    Ok(problems)
}

/// The signed-in caller as the state machine sees them.
pub fn review_actor(who: &Caller) -> review::Actor {
    review::Actor {
        user_id: who.id().to_owned(),
        groups: who.groups.clone(),
        is_admin: who.is_admin(),
    }
}

/// Whether the caller is listed in any stage of the review.
pub fn listed(r: &Review, who: &Caller) -> bool {
    r.policy
        .stages
        .iter()
        .any(|s| s.reviewers.iter().any(|p| p.matches(who.id(), &who.groups)))
}

/// Whether stage entry `p` designates the subject as a reviewer of `doc`: a `user:` or `group:`
/// entry that names them designates them by name, so reading the document where it lies suffices;
/// `everyone` stands for those holding the reviewer role there. External guests are never
/// designated (they can only read). Whether they may read the submitted version where it lived
/// is checked apart ([`can_view`], [`recipients`]).
pub fn designated(store: &Store, subject: &Subject, p: &Principal, doc: &Doc) -> Result<bool> {
    if subject.kind == AccountKind::External || !p.matches(&subject.user_id, &subject.groups) {
        return Ok(false);
    }
    let needed = match p {
        Principal::Everyone => Action::Review,
        Principal::User(_) | Principal::Group(_) => Action::Read,
    };
    access::allowed_doc(store, subject, needed, doc)
}

/// Whether any entry of `stage` designates the subject ([`designated`]).
fn designated_in(store: &Store, subject: &Subject, stage: &Stage, doc: &Doc) -> Result<bool> {
    for p in &stage.reviewers {
        if designated(store, subject, p, doc)? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Whether the caller may see this review (see the module docs). Whoever it is, they must also be
/// able to read the submitted version where it lived ([`access::VersionPlaces`]): a review never
/// shows text from a place its viewer may not read.
pub fn can_view(store: &Store, who: &Caller, r: &Review, doc: &Doc) -> Result<bool> {
    if who.is_admin() {
        return Ok(true);
    }
    let subject = who.subject();
    let involved = r.author == who.id() || r.decisions.iter().any(|d| d.reviewer == who.id());
    let mut may = involved && access::allowed_doc(store, &subject, Action::Read, doc)?;
    for stage in &r.policy.stages {
        if may {
            break;
        }
        may = designated_in(store, &subject, stage, doc)?;
    }
    Ok(may
        && access::VersionPlaces::new(store, &subject, doc)?
            .may_read_version(&doc.id, r.version)?)
}

/// Whether the review waits on the caller now: it is in their queue by the state machine
/// ([`review::pending_for`]) and an entry of the current stage designates them ([`designated`]).
/// (That they may see it at all is [`can_view`].)
pub fn awaits(store: &Store, who: &Caller, r: &Review, doc: &Doc) -> Result<bool> {
    match r.current_stage() {
        Some((_, stage)) if review::pending_for(r, &review_actor(who)) => {
            designated_in(store, &who.subject(), stage, doc)
        }
        _ => Ok(false),
    }
}

/// Loads a review and its document for the caller; hidden or missing -> `not_found`.
pub fn load_visible(store: &Store, who: &Caller, id: &str) -> Result<(StoredReview, Doc)> {
    check_id(id, "review")?;
    let stored = load(store, id)?;
    let doc =
        docs::load_meta(store, &stored.review.doc_id).map_err(|_| Error::NotFound("review"))?;
    if !can_view(store, who, &stored.review, &doc)? {
        return Err(Error::NotFound("review"));
    }
    Ok((stored, doc))
}

/// The review policy in force for a place: the nearest category (up the chain) with a policy,
/// else the space's. A policy with no stages means "explicitly no review here" -> `None`.
pub fn effective_policy(
    store: &Store,
    space_id: &str,
    category_id: Option<&str>,
) -> Result<Option<Policy>> {
    for c in access::chain(store, category_id)?.iter().rev() {
        if let Some(p) = &c.review_policy {
            return Ok((!p.stages.is_empty()).then(|| p.clone()));
        }
    }
    let space = load_space(store, space_id)?;
    Ok(space.review_policy.filter(|p| !p.stages.is_empty()))
}

/// Refuses a policy for a place (a space root, or a category of it) that names someone who could
/// never decide there: a review would wait on them forever, hidden from them. Each `user:` entry
/// must be an active account, not an external guest, that may read the place; each `group:` entry
/// must be able to read it by the group's own grants (or `everyone`'s), as any member would.
/// `everyone` always passes (it stands for the reviewers of the place). 400 `invalid_input`, field
/// `stages`, with a message naming the stage and the principal.
pub fn check_reviewers(
    store: &Store,
    policy: &Policy,
    space: &crate::model::Space,
    category_id: Option<&str>,
) -> Result<()> {
    let catalog = store.catalog()?;
    let place = if category_id.is_some() {
        "this category"
    } else {
        "this space"
    };
    let may_read = |subject: &Subject| -> Result<bool> {
        Ok(
            access::decide_at(store, subject, Action::Read, space, category_id)?
                == crate::domain::permission::Decision::Allow,
        )
    };
    for (i, stage) in policy.stages.iter().enumerate() {
        let refuse = |p: &Principal, name: &str, reason: Reason, why: &str| {
            Error::invalid(
                "stages",
                format!(
                    "stage {} \u{201c}{}\u{201d}: {p} ({name}) {why}",
                    i + 1,
                    stage.name
                ),
            )
            .because(reason)
            .with("stage", i + 1)
            .with("stage_name", &stage.name)
            .with("name", name)
        };
        for p in &stage.reviewers {
            match p {
                Principal::Everyone => {}
                Principal::User(id) => {
                    let Some(u) = store.users.get(id)? else {
                        return Err(refuse(p, id, Reason::UnknownPrincipal, "does not exist"));
                    };
                    let name = u.display_name.clone();
                    if u.kind == AccountKind::External {
                        return Err(refuse(
                            p,
                            &name,
                            Reason::ExternalReviewer,
                            "is an external guest: guests can only read, never review",
                        ));
                    }
                    if !account_active(&u) {
                        return Err(refuse(
                            p,
                            &name,
                            Reason::InactiveAccount,
                            "is disabled or expired",
                        ));
                    }
                    let subject = access::subject(&u, &catalog.groups_of(id));
                    if !may_read(&subject)? {
                        return Err(refuse(
                            p,
                            &name,
                            Reason::CannotReview,
                            &format!(
                                "cannot read {place}: grant them at least the reader role here \
                                 first, or name someone who can"
                            ),
                        ));
                    }
                }
                Principal::Group(id) => {
                    let Some(g) = catalog.groups.iter().find(|g| g.id == *id) else {
                        return Err(refuse(p, id, Reason::UnknownPrincipal, "does not exist"));
                    };
                    // Any member, by the group's grants alone.
                    let member = Subject {
                        user_id: String::new(),
                        kind: AccountKind::Employee,
                        is_admin: false,
                        disabled: false,
                        expires_at: None,
                        groups: vec![id.clone()],
                    };
                    if !may_read(&member)? {
                        return Err(refuse(
                            p,
                            &g.name,
                            Reason::CannotReview,
                            &format!(
                                "cannot read {place}: grant the group at least the reader role \
                                 here first, or name someone who can"
                            ),
                        ));
                    }
                }
            }
        }
    }
    Ok(())
}

/// The active accounts that `principals` designate as reviewers of the document
/// ([`designated`]: named ones who may read it, `everyone` as those holding the reviewer role on
/// it) and that may read `version` of it where it lived, without `exclude`.
pub fn recipients(
    store: &Store,
    principals: &[&Principal],
    doc: &Doc,
    version: u64,
    exclude: &[&str],
) -> Result<Vec<String>> {
    let users: Vec<User> = store.users.all()?;
    let groups: Vec<Group> = store.groups.all()?;
    let groups_of = |id: &str| -> Vec<String> {
        groups
            .iter()
            .filter(|g| g.members.iter().any(|m| m == id))
            .map(|g| g.id.clone())
            .collect()
    };
    let mut out = BTreeSet::new();
    for p in principals {
        match p {
            Principal::User(id) => {
                out.insert(id.clone());
            }
            Principal::Group(g) => {
                if let Some(g) = groups.iter().find(|x| x.id == *g) {
                    out.extend(g.members.iter().cloned());
                }
            }
            Principal::Everyone => out.extend(users.iter().map(|u| u.id.clone())),
        }
    }
    // Only those the policy designates, and who may read the version where it lived, hear of it:
    // a reviewer named by a policy who cannot see the document (e.g. under `inherit: false`) must
    // not learn its title from a notification (the same rule as [`can_view`]).
    let mut to = Vec::with_capacity(out.len());
    for id in out {
        if exclude.contains(&id.as_str()) {
            continue;
        }
        let Some(u) = users.iter().find(|u| u.id == id && account_active(u)) else {
            continue;
        };
        let subject = access::subject(u, &groups_of(&u.id));
        let mut named = false;
        for p in principals {
            if designated(store, &subject, p, doc)? {
                named = true;
                break;
            }
        }
        if named
            && access::VersionPlaces::new(store, &subject, doc)?
                .may_read_version(&doc.id, version)?
        {
            to.push(id);
        }
    }
    Ok(to)
}

/// Display name of a user id (the id itself when unknown).
fn display_name(store: &Store, id: &str) -> String {
    match store.users.get(id) {
        Ok(Some(u)) => u.display_name,
        _ => id.to_owned(),
    }
}

// ---- sensitive words --------------------------------------------------------------------------

/// One entry of the admin-managed sensitive-word list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SensitiveWord {
    /// The word (matched case-insensitively for ASCII letters).
    pub word: String,
    /// Block or flag.
    pub action: WordAction,
}

/// The sensitive-word list, for an administrator to edit (others: 403).
pub fn words_for(store: &Store, who: &Caller) -> Result<Vec<SensitiveWord>> {
    who.require_admin()?;
    stored_words(store)
}

/// The version a review's diff compares against: what readers see (the published version now
/// while the review is open, else the one published when it was submitted), but never a version
/// that lived where this caller may not read (a document moved out of a restricted category):
/// then the one published at submission, if readable, else none (the diff shows all as new).
pub fn comparison_base(
    store: &Store,
    who: &Caller,
    doc: &Doc,
    s: &StoredReview,
) -> Result<Option<u64>> {
    let r = &s.review;
    let subject = who.subject();
    let mut places = access::VersionPlaces::new(store, &subject, doc)?;
    let candidates = if r.state.is_open() {
        [doc.published_version, s.base_version]
    } else {
        [s.base_version, None]
    };
    for p in candidates.into_iter().flatten().filter(|p| *p < r.version) {
        if places.may_read_version(&doc.id, p)? {
            return Ok(Some(p));
        }
    }
    Ok(None)
}

/// The stored sensitive-word list.
pub fn stored_words(store: &Store) -> Result<Vec<SensitiveWord>> {
    Ok(store.settings.get(SENSITIVE_WORDS_KEY)?.unwrap_or_default())
}

/// Replaces the sensitive-word list (admins only), audited; returns the list as stored.
pub fn set_words(
    store: &Store,
    who: &Caller,
    words: &[SensitiveWord],
) -> Result<Vec<SensitiveWord>> {
    who.require_admin()?;
    let words = validate_words(words)?;
    let blocks = words
        .iter()
        .filter(|w| w.action == WordAction::Block)
        .count();
    let ev = Actor::of(who).event(
        store.next_seq()?,
        "settings.sensitive_words",
        "settings:sensitive_words".into(),
        "ok",
        Some(json!({"words": words.len(), "block": blocks, "flag": words.len() - blocks})),
    );
    store.transact(|tx| {
        tx.settings.put(SENSITIVE_WORDS_KEY, &words)?;
        tx.audit.append(&ev)
    })?;
    Ok(words)
}

/// Checks a new list: each word trimmed, non-empty, at most [`MAX_WORD_CHARS`] characters, no
/// control characters, not listed twice (ASCII case ignored); at most [`MAX_WORDS`] words.
pub fn validate_words(words: &[SensitiveWord]) -> Result<Vec<SensitiveWord>> {
    if words.len() > MAX_WORDS {
        return Err(
            Error::invalid("words", format!("at most {MAX_WORDS} words"))
                .because(Reason::TooMany)
                .with("limit", MAX_WORDS),
        );
    }
    let mut out: Vec<SensitiveWord> = Vec::with_capacity(words.len());
    let mut seen = std::collections::HashSet::with_capacity(words.len());
    for (i, w) in words.iter().enumerate() {
        let word = w.word.trim();
        let field = format!("words[{i}].word");
        if word.is_empty() {
            return Err(Error::invalid(field, "a word must not be empty").because(Reason::Required));
        }
        if word.chars().count() > MAX_WORD_CHARS {
            return Err(Error::invalid(
                field,
                format!("a word is at most {MAX_WORD_CHARS} characters"),
            )
            .because(Reason::TooLong)
            .with("limit", MAX_WORD_CHARS));
        }
        if word.chars().any(char::is_control) {
            return Err(
                Error::invalid(field, "a word must not contain control characters")
                    .because(Reason::BadCharacters),
            );
        }
        if !seen.insert(word.to_ascii_lowercase()) {
            return Err(Error::invalid(field, format!("{word} is listed twice"))
                .because(Reason::Duplicate)
                .with("name", word));
        }
        out.push(SensitiveWord {
            word: word.to_owned(),
            action: w.action,
        });
    }
    Ok(out)
}

/// Every occurrence of a listed word in `title` and `body` (overlapping ones too), in text order,
/// title first. ASCII letters match regardless of case.
pub fn find_words(words: &[SensitiveWord], title: &str, body: &str) -> Result<Vec<WordMatch>> {
    if words.is_empty() {
        return Ok(Vec::new());
    }
    let ac = AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(words.iter().map(|w| w.word.as_str()))
        .map_err(|e| Error::internal(format!("sensitive-word automaton: {e}")))?;
    let mut out = Vec::new();
    for (field, text) in [("title", title), ("body", body)] {
        let mut hits: Vec<(usize, usize)> = ac
            .find_overlapping_iter(text)
            .map(|m| (m.start(), m.pattern().as_usize()))
            .collect();
        hits.sort_unstable();
        for (start, pattern) in hits {
            let before = &text[..start];
            let line_start = before.rfind('\n').map_or(0, |i| i + 1);
            let w = &words[pattern];
            out.push(WordMatch {
                word: w.word.clone(),
                field: field.to_owned(),
                line: before.matches('\n').count() + 1,
                column: text[line_start..start].chars().count() + 1,
                action: w.action,
            });
        }
    }
    Ok(out)
}

// ---- submission -------------------------------------------------------------------------------

/// Submits version `version` (default: the head) of a document for review under the policy in
/// force where it lives, superseding any open review of the same document. Checks the
/// sensitive-word list first: a `block` word refuses the submission (422 `sensitive_words`, with
/// the positions), `flag` words are carried on the review.
pub fn submit(
    store: &Store,
    who: &Caller,
    actor: &Actor,
    doc_id: &str,
    version: Option<u64>,
    message: Option<&str>,
) -> Result<StoredReview> {
    check_id(doc_id, "document")?;
    let doc = docs::load(store, doc_id)?;
    // Trashed, never published (for those who may not edit it), or elsewhere hidden: 404.
    access::require_seen_doc(store, &who.subject(), Action::Submit, &doc)?;
    let Some(policy) = effective_policy(store, &doc.space_id, doc.category_id.as_deref())? else {
        return Err(Error::rule(
            Code::NoReviewPolicy,
            "no review policy applies here: saving publishes directly",
        ));
    };
    let version = version.unwrap_or(doc.version);
    // A version that lived where the submitter may not read is, to them, no version at all.
    if version == 0
        || version > doc.version
        || !access::VersionPlaces::new(store, &who.subject(), &doc)?
            .may_read_version(doc_id, version)?
    {
        return Err(Error::invalid("version", "no such version").because(Reason::NoSuch));
    }
    if version != doc.version && docs::version_category(store, doc_id, version)? != doc.category_id
    {
        // Published here it would be text from another place under this place's review.
        return Err(Error::rule(
            Code::VersionElsewhere,
            format!(
                "version {version} was saved in another category: restore it, or save its text \
                 here, to submit it"
            ),
        )
        .with("version", version));
    }
    if doc.published_version.is_some_and(|p| p >= version) {
        return Err(Error::rule(
            Code::AlreadyPublished,
            format!("version {version} is already published, or older than the published version"),
        )
        .with("version", version));
    }
    let message = docs::validate_message(message)?;
    let full = docs::version(store, &doc, version)?;
    let matches = find_words(&stored_words(store)?, &full.title, &full.body)?;
    if matches.iter().any(|m| m.action == WordAction::Block) {
        let reported: Vec<&WordMatch> = matches.iter().take(MAX_REPORTED_MATCHES).collect();
        let blocked: BTreeSet<&str> = matches
            .iter()
            .filter(|m| m.action == WordAction::Block)
            .map(|m| m.word.as_str())
            .collect();
        let ev = actor.event(
            store.next_seq()?,
            "review.submit",
            format!("document:{doc_id}"),
            "denied",
            Some(json!({"version": version, "sensitive_words": blocked})),
        );
        store.transact(|tx| tx_audit(tx, &ev))?;
        let first = matches
            .iter()
            .find(|m| m.action == WordAction::Block)
            .expect("a blocked match");
        let blocked: Vec<&str> = blocked.into_iter().collect();
        return Err(Error::rule(
            Code::SensitiveWords,
            format!(
                "the text contains words that may not be published: {}",
                blocked.join("、")
            ),
        )
        .with("matches", reported)
        .with("words", &blocked)
        .with("word", &first.word)
        .with("field", &first.field)
        .with("line", first.line)
        .with("column", first.column));
    }
    let now = Utc::now();
    let review = Review::submit(new_id(), doc_id, version, who.id(), policy, now)?;
    let stored = StoredReview {
        title: full.title.clone(),
        message,
        base_version: doc.published_version,
        flags: matches,
        waiting_notified: Vec::new(),
        reconfirm: false,
        review,
    };
    let id = stored.review.id.clone();

    let author_name = display_name(store, who.id());
    let (_, first) = stored
        .review
        .current_stage()
        .ok_or_else(|| Error::internal("a new review has no stage"))?;
    let to = recipients(
        store,
        &first.reviewers.iter().collect::<Vec<_>>(),
        &doc,
        version,
        &[who.id()],
    )?;
    let notes = outgoing(
        store,
        &to,
        &Note {
            kind: NotificationKind::ReviewRequested,
            text: format!(
                "{author_name} 提交了《{}》（版本 {version}），请你审核（{}）",
                stored.title, first.name
            ),
            link: review_link(&id),
            review_id: id.clone(),
            doc_id: doc_id.to_owned(),
        },
        now,
    )?;

    // The open review this one supersedes, for the audit event; the transaction reads the index
    // again, so a concurrent submission cannot leave two open.
    let open: Vec<String> = store.open_reviews.get(doc_id)?.into_iter().collect();
    let ev = actor.event(
        store.next_seq()?,
        "review.submit",
        format!("review:{id}"),
        "ok",
        Some(json!({
            "doc_id": doc_id, "version": version, "flags": stored.flags.len(), "superseded": open,
        })),
    );
    let bytes = Encoded::new(&stored);
    let reviewer = review_actor(who);
    store.transact(|tx| {
        if let Some(old) = tx.open_reviews.get(doc_id)?
            && let Some(mut r) = tx.reviews.get(&old)?
            && let Ok(next) = review::apply(&r.review, &reviewer, ReviewAction::Supersede, now)
        {
            r.review = next;
            tx.reviews.put(&old, &r)?;
        }
        tx.open_reviews.put(doc_id, &id)?;
        tx.reviews.put_encoded(&id, &bytes)?;
        let Some(mut d) = tx.docs.get(doc_id)? else {
            return abort(Error::NotFound("document"));
        };
        if d.version == version {
            d.status = DocStatus::InReview;
            tx.docs.put(doc_id, &d)?;
        }
        tx_audit(tx, &ev)?;
        tx_notify(tx, &notes)?;
        Ok(())
    })?;
    Ok(stored)
}

// ---- decisions --------------------------------------------------------------------------------

/// The refusal to approve a review of a document in the trash (409 `doc_deleted`).
fn doc_deleted() -> Error {
    Error::rule(
        Code::DocDeleted,
        "the document is in the trash: restore it before approving",
    )
}

/// The outcome of a decision.
pub struct Decided {
    /// The review after it.
    pub review: StoredReview,
    /// Whether a version was published (the indexer has work).
    pub published: bool,
}

/// Approves, rejects or withdraws a review. The caller must be able to see it (else 404). For
/// approvals and rejections, separation of duties is answered first (`self_approval`, even for
/// an administrator who is the author); a caller listed in the current stage only by entries that
/// do not designate them ([`designated`]: `everyone` without the reviewer role) is refused (403);
/// then the state machine decides. A final approval publishes the version in the same transaction.
pub fn decide(
    store: &Store,
    who: &Caller,
    actor: &Actor,
    review_id: &str,
    action: ReviewAction,
) -> Result<Decided> {
    decide_with(store, who, actor, review_id, action, false)
}

/// [`decide`], where an approval may ask readers to acknowledge the version again once it is
/// published (`reconfirm`, 需重新确认: onboarding acknowledgements of older versions stop
/// counting). Asked on an approval that does not publish yet, it is kept on the review until one
/// does.
pub fn decide_with(
    store: &Store,
    who: &Caller,
    actor: &Actor,
    review_id: &str,
    action: ReviewAction,
    reconfirm: bool,
) -> Result<Decided> {
    let reviewer = review_actor(who);
    for _ in 0..MAX_ATTEMPTS {
        let (stored, doc) = load_visible(store, who, review_id)?;
        let now = Utc::now();
        let result = review::apply(&stored.review, &reviewer, action.clone(), now);
        let (audit_action, deciding) = match &action {
            ReviewAction::Approve { .. } => ("review.approve", true),
            ReviewAction::Reject { .. } => ("review.reject", true),
            ReviewAction::Withdraw => ("review.withdraw", false),
            ReviewAction::Supersede => {
                return Err(Error::internal("supersede is not a user action"));
            }
        };
        if deciding {
            if let Err(e @ (ReviewError::SelfApproval | ReviewError::NotPending)) = &result {
                return Err(e.clone().into());
            }
            if let Some((_, stage)) = stored.review.current_stage() {
                let subject = who.subject();
                let listed_here = stage
                    .reviewers
                    .iter()
                    .any(|p| p.matches(who.id(), &who.groups));
                if listed_here && !designated_in(store, &subject, stage, &doc)? {
                    return Err(Error::Forbidden(
                        "your role here does not allow reviewing this document".into(),
                    ));
                }
            }
        }
        let next = result?;
        let approving = matches!(action, ReviewAction::Approve { .. });
        if approving && doc.deleted.is_some() {
            return Err(doc_deleted());
        }
        let r = &next;
        let v = r.version;
        let title = &stored.title;
        let me = display_name(store, who.id());
        let old_stage = stored.review.current_stage().map(|(i, _)| i);

        let mut notes = Vec::new();
        let mut published = false;
        match r.state {
            ReviewState::Approved => {
                published = true;
                notes.extend(outgoing(
                    store,
                    std::slice::from_ref(&r.author),
                    &Note::about(
                        r,
                        NotificationKind::Approved,
                        format!("《{title}》（版本 {v}）已审核通过并发布"),
                        doc_link(&r.doc_id),
                    ),
                    now,
                )?);
            }
            ReviewState::InReview { stage } if Some(stage) != old_stage => {
                let passed = old_stage
                    .and_then(|i| r.policy.stages.get(i))
                    .map_or("", |s| s.name.as_str());
                let next_stage = &r.policy.stages[stage];
                notes.extend(outgoing(
                    store,
                    std::slice::from_ref(&r.author),
                    &Note::about(
                        r,
                        NotificationKind::StageAdvanced,
                        format!(
                            "《{title}》（版本 {v}）已通过「{passed}」，进入「{}」",
                            next_stage.name
                        ),
                        review_link(&r.id),
                    ),
                    now,
                )?);
                let author_name = display_name(store, &r.author);
                let to = recipients(
                    store,
                    &next_stage.reviewers.iter().collect::<Vec<_>>(),
                    &doc,
                    v,
                    &[&r.author],
                )?;
                notes.extend(outgoing(
                    store,
                    &to,
                    &Note::about(
                        r,
                        NotificationKind::ReviewRequested,
                        format!(
                            "{author_name} 提交的《{title}》（版本 {v}）请你审核（{}）",
                            next_stage.name
                        ),
                        review_link(&r.id),
                    ),
                    now,
                )?);
            }
            ReviewState::Rejected => {
                let comment = r
                    .decisions
                    .last()
                    .and_then(|d| d.comment.clone())
                    .unwrap_or_default();
                notes.extend(outgoing(
                    store,
                    std::slice::from_ref(&r.author),
                    &Note::about(
                        r,
                        NotificationKind::Rejected,
                        format!("《{title}》（版本 {v}）被 {me} 驳回：{comment}"),
                        review_link(&r.id),
                    ),
                    now,
                )?);
            }
            _ => {}
        }

        let decision = r.decisions.last().filter(|_| deciding);
        let ev = actor.event(
            store.next_seq()?,
            audit_action,
            format!("review:{}", r.id),
            "ok",
            Some(json!({
                "doc_id": r.doc_id,
                "version": v,
                "stage": decision.map(|d| d.stage),
                "comment": decision.and_then(|d| d.comment.clone()),
                "published": published,
            })),
        );
        let outbox_seq = if published {
            Some(store.next_seq()?)
        } else {
            None
        };
        let mut after = stored.clone();
        after.review = next.clone();
        after.reconfirm |= reconfirm && approving;
        let reconfirm_now = after.reconfirm;
        let after_bytes = Encoded::new(&after);
        let doc_id = r.doc_id.as_str();
        let done = store.transact(|tx| {
            let Some(cur) = tx.reviews.get(review_id)? else {
                return abort(Error::NotFound("review"));
            };
            if cur != stored {
                return Ok(false); // someone decided meanwhile: go round with the new state
            }
            tx.reviews.put_encoded(review_id, &after_bytes)?;
            if !next.state.is_open()
                && tx
                    .open_reviews
                    .get(doc_id)?
                    .is_some_and(|open| open == review_id)
            {
                tx.open_reviews.remove(doc_id)?;
            }
            let Some(mut d) = tx.docs.get(doc_id)? else {
                return abort(Error::NotFound("document"));
            };
            if approving && d.deleted.is_some() {
                return abort(doc_deleted()); // trashed since we looked
            }
            match next.state {
                ReviewState::Approved => {
                    if d.published_version.is_none_or(|p| p < v) {
                        d.published_version = Some(v);
                        if reconfirm_now {
                            d.reconfirm_from = Some(v);
                        }
                        d.approved_by = Vec::new();
                        for dec in next.decisions.iter().filter(|x| x.approve) {
                            if !d.approved_by.contains(&dec.reviewer) {
                                d.approved_by.push(dec.reviewer.clone());
                            }
                        }
                    }
                    if d.version == v {
                        d.status = DocStatus::Published;
                    }
                }
                ReviewState::Rejected | ReviewState::Withdrawn
                    if d.version == v && d.status == DocStatus::InReview =>
                {
                    d.status = DocStatus::Draft;
                }
                _ => {}
            }
            tx.docs.put(doc_id, &d)?;
            if let Some(seq) = outbox_seq {
                tx_outbox(tx, seq, doc_id)?;
            }
            tx_audit(tx, &ev)?;
            tx_notify(tx, &notes)?;
            Ok(true)
        })?;
        if done {
            if published {
                let previous = match doc.published_version {
                    Some(p) if p < v => docs::published_view(store, doc.clone(), p)
                        .map(|d| d.body)
                        .unwrap_or_default(),
                    _ => String::new(),
                };
                if let Ok(now_doc) = docs::load(store, &doc.id) {
                    crate::service::collab::published(store, who.id(), &now_doc, v, &previous);
                }
                super::webhooks::approved(store, doc_id, v, title, &next.author, who);
            }
            return Ok(Decided {
                review: after,
                published,
            });
        }
    }
    Err(Error::rule(
        Code::ReviewBusy,
        "the review kept changing; try again",
    ))
}

// ---- waiting too long -------------------------------------------------------------------------

/// When the review entered its current stage: the submission for the first stage, else the last
/// decision of the stage before (the approval that completed it).
pub fn stage_since(r: &Review, stage: usize) -> DateTime<Utc> {
    if stage == 0 {
        return r.submitted_at;
    }
    r.decisions_at(stage - 1)
        .map(|d| d.at)
        .max()
        .unwrap_or(r.submitted_at)
}

/// Sends `waiting_too_long` to the reviewers still waited on for every open review whose current
/// stage has waited more than [`WAITING_TOO_LONG_DAYS`] days, once per review per stage. Called
/// lazily when a queue or an inbox is read. Returns how many reviews were concerned.
pub fn notify_waiting(store: &Store, now: DateTime<Utc>) -> Result<usize> {
    let limit = Duration::days(WAITING_TOO_LONG_DAYS);
    let mut count = 0;
    for stored in all(store)? {
        let r = &stored.review;
        let Some((index, stage)) = r.current_stage() else {
            continue;
        };
        if stored.waiting_notified.contains(&index) || now - stage_since(r, index) <= limit {
            continue;
        }
        let doc = match docs::load_meta(store, &r.doc_id) {
            Ok(d) => d,
            Err(Error::NotFound(_)) => continue,
            Err(e) => return Err(e),
        };
        let decided: Vec<&str> = r.decisions_at(index).map(|d| d.reviewer.as_str()).collect();
        let mut exclude = decided.clone();
        exclude.push(&r.author);
        let to = recipients(store, &r.waiting_on(), &doc, r.version, &exclude)?;
        let days = (now - stage_since(r, index)).num_days();
        let notes = outgoing(
            store,
            &to,
            &Note::about(
                r,
                NotificationKind::WaitingTooLong,
                format!(
                    "《{}》（版本 {}）在「{}」已等待 {days} 天，请尽快审核",
                    stored.title, r.version, stage.name
                ),
                review_link(&r.id),
            ),
            now,
        )?;
        let mut after = stored.clone();
        after.waiting_notified.push(index);
        let after_bytes = Encoded::new(&after);
        let id = r.id.as_str();
        let done = store.transact(|tx| {
            match tx.reviews.get(id)? {
                Some(cur) if cur == stored => {}
                _ => return Ok(false), // changed meanwhile: the next read looks again
            }
            tx.reviews.put_encoded(id, &after_bytes)?;
            tx_notify(tx, &notes)?;
            Ok(true)
        })?;
        if done {
            count += 1;
        }
    }
    Ok(count)
}

// ---- inbox ------------------------------------------------------------------------------------

/// One page of a user's notifications, newest first.
pub struct Inbox {
    /// Unread, in all.
    pub unread: usize,
    /// Notifications, in all.
    pub total: usize,
    /// The page.
    pub items: Vec<Notification>,
}

/// A page of `user`'s notifications, newest first.
pub fn inbox(store: &Store, user: &str, limit: usize, offset: usize) -> Result<Inbox> {
    let mut unread = 0;
    let mut total = 0;
    let mut items = Vec::new();
    for n in store.notifications.of_user_newest_first(user) {
        let n = n?;
        if !n.read {
            unread += 1;
        }
        if total >= offset && items.len() < limit {
            items.push(n);
        }
        total += 1;
    }
    Ok(Inbox {
        unread,
        total,
        items,
    })
}

/// Marks `user`'s notifications with these ids read (all of them when `ids` is `None`). Unknown
/// ids are ignored. Returns how many changed.
pub fn mark_read(store: &Store, user: &str, ids: Option<&[String]>) -> Result<usize> {
    // The sequence numbers of the unread ones asked for, then each marked inside the transaction
    // (so a concurrent change to a notification is never overwritten by a stale copy).
    let mut seqs: Vec<u64> = Vec::new();
    match ids {
        None => {
            for n in store.notifications.of_user_newest_first(user) {
                let n = n?;
                if !n.read
                    && let Ok(seq) = n.id.parse()
                {
                    seqs.push(seq);
                }
            }
        }
        Some(ids) => {
            for id in ids {
                let Ok(seq) = id.parse::<u64>() else { continue };
                if store.notifications.get(user, seq)?.is_some_and(|n| !n.read) {
                    seqs.push(seq);
                }
            }
        }
    }
    if seqs.is_empty() {
        return Ok(0);
    }
    store.transact(|tx| {
        let mut changed = 0;
        for &seq in &seqs {
            if let Some(mut n) = tx.notifications.get(user, seq)?
                && !n.read
            {
                n.read = true;
                tx.notifications.put(user, seq, &n)?;
                changed += 1;
            }
        }
        Ok(changed)
    })
}

// ---- re-review dates --------------------------------------------------------------------------

/// Sets (or clears) the date by which a document should be reviewed again. Needs `Edit`.
pub fn set_review_by(
    store: &Store,
    who: &Caller,
    actor: &Actor,
    doc_id: &str,
    date: Option<NaiveDate>,
) -> Result<Doc> {
    check_id(doc_id, "document")?;
    let doc = docs::load_meta(store, doc_id)?;
    access::require_seen_doc(store, &who.subject(), Action::Edit, &doc)?;
    let ev = actor.event(
        store.next_seq()?,
        "document.review_by",
        format!("document:{doc_id}"),
        "ok",
        Some(json!({"review_by": date})),
    );
    let doc = store.transact(|tx| {
        let Some(mut d) = tx.docs.get(doc_id)? else {
            return abort(Error::NotFound("document"));
        };
        d.review_by = date;
        tx.docs.put(doc_id, &d)?;
        tx_audit(tx, &ev)?;
        Ok(d)
    })?;
    Ok(doc)
}

/// Published documents whose review-by date has passed (`today` excluded), in places where the
/// caller is a reviewer: designated by the policy in force there ([`designated`]), or holding the
/// reviewer role (administrators: all). Oldest date first. Each document is as the caller sees
/// it ([`access::seen`]): the head for those who may edit it, else the published version (its
/// title, not the head's), and not at all when that is hidden from them.
pub fn stale(store: &Store, who: &Caller, today: NaiveDate) -> Result<Vec<Doc>> {
    let admin = who.is_admin();
    let subject = who.subject();
    let mut out = Vec::new();
    for d in store.docs.values() {
        let d = d?;
        if d.deleted.is_some()
            || d.published_version.is_none()
            || d.review_by.is_none_or(|r| r >= today)
        {
            continue;
        }
        let Some(seen) = access::seen(store, &subject, &d)? else {
            continue;
        };
        let mut mine = admin || access::allowed_doc(store, &subject, Action::Review, &d)?;
        if !mine && let Some(p) = effective_policy(store, &d.space_id, d.category_id.as_deref())? {
            for stage in &p.stages {
                if designated_in(store, &subject, stage, &d)? {
                    mine = true;
                    break;
                }
            }
        }
        if !mine {
            continue;
        }
        out.push(if seen.version == d.version {
            d
        } else {
            crate::service::documents::published_view(store, d, seen.version)?
        });
    }
    out.sort_by(|a, b| {
        a.review_by
            .cmp(&b.review_by)
            .then_with(|| a.title.cmp(&b.title))
    });
    Ok(out)
}

/// An empty "version 0", the left side of the diff of a never-published document.
pub fn empty_version(at: DateTime<Utc>) -> FullVersion {
    FullVersion {
        version: 0,
        title: String::new(),
        body: String::new(),
        tags: Vec::new(),
        category_id: None,
        author: String::new(),
        created_at: at,
        message: String::new(),
        hash: String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(word: &str, action: WordAction) -> SensitiveWord {
        SensitiveWord {
            word: word.into(),
            action,
        }
    }

    #[test]
    fn finds_words_with_lines_and_character_columns() {
        let words = [w("机密", WordAction::Block), w("VPN", WordAction::Flag)];
        let m = find_words(&words, "内部机密", "第一行\n连上 vpn 后，访问机密系统。\n").unwrap();
        let got: Vec<(&str, &str, usize, usize)> = m
            .iter()
            .map(|m| (m.word.as_str(), m.field.as_str(), m.line, m.column))
            .collect();
        assert_eq!(
            got,
            vec![
                ("机密", "title", 1, 3),
                ("VPN", "body", 2, 4),
                ("机密", "body", 2, 12)
            ]
        );
        assert_eq!(m[1].action, WordAction::Flag);
    }

    #[test]
    fn overlapping_words_are_all_reported() {
        let words = [w("中国", WordAction::Flag), w("中国人", WordAction::Block)];
        let m = find_words(&words, "", "我是中国人").unwrap();
        assert_eq!(m.len(), 2, "{m:?}");
        assert!(m.iter().all(|m| m.column == 3));
    }

    #[test]
    fn validation_refuses_blank_long_and_repeated_words() {
        assert!(validate_words(&[w(" ", WordAction::Block)]).is_err());
        assert!(validate_words(&[w(&"字".repeat(51), WordAction::Block)]).is_err());
        assert!(
            validate_words(&[w("Abc", WordAction::Block), w("aBC", WordAction::Flag)]).is_err()
        );
        let ok = validate_words(&[w(" 字 ", WordAction::Flag)]).unwrap();
        assert_eq!(ok[0].word, "字");
    }
}
