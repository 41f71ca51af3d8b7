//! Working together on a document: comments in threads, `@login` mentions, watching documents and
//! spaces, and the notices these send. Every notice goes only to an active account that may see
//! the document (the version concerned), so a title never reaches someone who may not read it.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};

use crate::{
    domain::permission::{AccountKind, Action},
    error::{Error, Reason, Result},
    model::{Comment, Doc, Notification, NotificationKind, Stamp, Watch, new_id},
    service::{
        Caller,
        access::{self, load_space},
        documents::{self as docs, Actor, tx_audit, tx_outbox},
        onboarding::Directory,
    },
    store::{Store, abort},
};

/// Longest comment body (bytes).
pub const MAX_COMMENT_BYTES: usize = 20_000;
/// Longest quoted passage (characters).
pub const MAX_QUOTE_CHARS: usize = 500;
/// Most comments on one document.
pub const MAX_COMMENTS_PER_DOC: usize = 2_000;
/// Notices of the same kind about the same document within this window, still unread, are
/// grouped into one (ten quick saves are one notice).
pub const GROUP_MINUTES: i64 = 30;
/// Most accounts one comment or save notifies of a mention.
const MAX_MENTIONS: usize = 50;

/// The `@login` mentions in a text, in order of first appearance, without duplicates (lower-cased).
/// An `@` inside a word (an e-mail address) or in code is not a mention.
pub fn mentions(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut in_fence = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            continue;
        }
        let mut in_code = false;
        let mut prev: Option<char> = None;
        for (i, ch) in line.char_indices() {
            if ch == '`' {
                in_code = !in_code;
            } else if ch == '@'
                && !in_code
                && !prev.is_some_and(|p| p.is_ascii_alphanumeric() || p == '_' || p == '.')
            {
                let rest = &line[i + 1..];
                let len = rest
                    .find(|c: char| {
                        !(c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-')
                    })
                    .unwrap_or(rest.len());
                let login = rest[..len]
                    .trim_end_matches(['.', '-'])
                    .to_ascii_lowercase();
                if !login.is_empty() && !out.contains(&login) {
                    out.push(login);
                }
            }
            prev = Some(ch);
        }
    }
    out
}

/// The mentions of a document body, except on task lines with an owner (`- [ ] 文本 @login`):
/// those assign an action item, whose owner hears of it as such (`service::actions`).
fn body_mentions(body: &str) -> Vec<String> {
    let tasks: BTreeSet<usize> = crate::domain::actions::task_lines(body)
        .into_iter()
        .filter(|t| t.assignee.is_some())
        .map(|t| t.line)
        .collect();
    if tasks.is_empty() {
        return mentions(body);
    }
    let rest: Vec<&str> = body
        .lines()
        .enumerate()
        .map(|(n, l)| if tasks.contains(&n) { "" } else { l })
        .collect();
    mentions(&rest.join("\n"))
}

// ---- who may do what --------------------------------------------------------------------------

/// What the caller may do with a document's comments.
#[derive(Debug, Clone, Copy)]
pub struct Rights {
    /// May write comments (and replies).
    pub comment: bool,
    /// May resolve anyone's thread (editors of the document, space managers, administrators).
    pub resolve: bool,
    /// May delete anyone's comment (space managers and administrators).
    pub delete: bool,
}

/// The document, if the caller may see it (else 404), and what they may do with its comments.
/// Readers may comment unless the space turned comments off; an external guest only where they
/// were granted more than reading (they may edit the document).
fn rights(store: &Store, who: &Caller, doc_id: &str) -> Result<(Doc, Rights)> {
    let r = docs::checked::readable(store, who, doc_id)?;
    let subject = who.subject();
    let space = load_space(store, &r.head.space_id)?;
    let manager = access::allowed_doc(store, &subject, Action::ManageGrants, &r.head)?;
    let guest = who.user.kind == AccountKind::External;
    let comment = !space.comments_off && (!guest || r.may_edit);
    Ok((
        r.head,
        Rights {
            comment,
            resolve: r.may_edit || manager,
            delete: manager,
        },
    ))
}

fn load_comment(store: &Store, id: &str) -> Result<Comment> {
    if !crate::model::valid_id(id) {
        return Err(Error::NotFound("comment"));
    }
    store.comments.get(id)?.ok_or(Error::NotFound("comment"))
}

fn validate_body(body: &str) -> Result<String> {
    let body = body.trim();
    if body.is_empty() {
        return Err(Error::invalid("body", "a comment needs text").because(Reason::Required));
    }
    if body.len() > MAX_COMMENT_BYTES {
        return Err(Error::invalid("body", "the comment is too long")
            .because(Reason::TooLong)
            .with("limit", MAX_COMMENT_BYTES)
            .unprocessable());
    }
    if crate::markdown::nests_too_deep(body) {
        return Err(docs::too_deep());
    }
    Ok(body.to_owned())
}

// ---- comments ---------------------------------------------------------------------------------

/// A document's comments as the caller sees them.
pub struct CommentList {
    /// Oldest first; deleted ones only while they have replies (their text emptied).
    pub comments: Vec<Comment>,
    /// What the caller may do.
    pub rights: Rights,
}

/// The comments of a document the caller may see (404 otherwise, as for the document).
pub fn list(store: &Store, who: &Caller, doc_id: &str) -> Result<CommentList> {
    let (_, rights) = rights(store, who, doc_id)?;
    let all = store.comments.of_doc(doc_id)?;
    let replied: BTreeSet<&str> = all
        .iter()
        .filter(|c| c.deleted.is_none())
        .filter_map(|c| c.parent_id.as_deref())
        .collect();
    let comments = all
        .iter()
        .filter(|c| c.deleted.is_none() || replied.contains(c.id.as_str()))
        .cloned()
        .map(|mut c| {
            if c.deleted.is_some() {
                c.body.clear();
                c.quote = None;
            }
            c
        })
        .collect();
    Ok(CommentList { comments, rights })
}

/// Most comment text indexed with one document (bytes).
pub const MAX_INDEXED_COMMENT_BYTES: usize = 256 * 1024;

/// The text of a document's comments for the search index (not deleted ones), capped: comments
/// are found by search exactly where the document is, so only by those who may read it.
pub fn searchable_text(store: &Store, doc_id: &str) -> Result<String> {
    let mut out = String::new();
    for c in store.comments.of_doc(doc_id)? {
        if c.deleted.is_some() {
            continue;
        }
        if out.len() + c.body.len() > MAX_INDEXED_COMMENT_BYTES {
            break;
        }
        out.push_str(&crate::plain_text::plain_text(&c.body));
        out.push('\n');
    }
    Ok(out)
}

/// How many comments a document shows (for the header).
pub fn count(store: &Store, doc_id: &str) -> Result<usize> {
    Ok(store
        .comments
        .of_doc(doc_id)?
        .iter()
        .filter(|c| c.deleted.is_none())
        .count())
}

/// A new comment.
pub struct NewComment {
    /// Markdown.
    pub body: String,
    /// Reply to this comment's thread.
    pub parent_id: Option<String>,
    /// The passage referred to.
    pub quote: Option<String>,
}

/// Comments on a document the caller may see and comment on. A reply joins the thread of the
/// comment it answers. The author starts watching the document (unless they switched it off);
/// mentioned readers and watchers are notified.
pub fn add(
    store: &Store,
    who: &Caller,
    doc_id: &str,
    new: NewComment,
) -> Result<(Comment, Rights)> {
    let (doc, rights) = rights(store, who, doc_id)?;
    if !rights.comment {
        return Err(Error::Forbidden(
            "comments are not open to you on this document".into(),
        ));
    }
    let body = validate_body(&new.body)?;
    let quote = match new.quote.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(q) if q.chars().count() > MAX_QUOTE_CHARS => {
            return Err(Error::invalid("quote", "the quoted passage is too long")
                .because(Reason::TooLong)
                .with("limit", MAX_QUOTE_CHARS)
                .unprocessable());
        }
        Some(q) => Some(q.to_owned()),
    };
    let parent_id = match &new.parent_id {
        None => None,
        Some(p) => {
            let parent = store
                .comments
                .get(p)
                .ok()
                .flatten()
                .filter(|c| c.doc_id == doc_id && c.deleted.is_none())
                .ok_or_else(|| {
                    Error::invalid("parent_id", "no such comment on this document")
                        .because(Reason::NoSuch)
                })?;
            Some(parent.parent_id.unwrap_or(parent.id))
        }
    };
    if store.comments.of_doc(doc_id)?.len() >= MAX_COMMENTS_PER_DOC {
        return Err(
            Error::invalid("document", "this document has too many comments")
                .because(Reason::TooMany)
                .with("limit", MAX_COMMENTS_PER_DOC)
                .unprocessable(),
        );
    }
    let now = Utc::now();
    let dir = Directory::load(store)?;
    let mentioned = mentioned_readers(store, &dir, &body, &doc, who.id())?;
    let mut comment = Comment {
        id: new_id(),
        doc_id: doc_id.to_owned(),
        parent_id,
        author: who.id().to_owned(),
        body,
        quote,
        created_at: now,
        edited_at: None,
        resolved: None,
        deleted: None,
        notified: mentioned.clone(),
    };
    let me = who.user.display_name.clone();
    let mut notes = Vec::new();
    for user in &mentioned {
        let title = title_for(store, &dir, user, &doc)?;
        notes.push(Outgoing::new(
            store,
            user,
            note(
                NotificationKind::Mentioned,
                format!("{me} 在《{title}》的评论中提到了你"),
                comment_link(&comment),
                doc_id,
                now,
            ),
        )?);
    }
    let watchers = watchers(store, &dir, &doc, &[who.id()])?;
    for user in watchers.iter().filter(|u| !mentioned.contains(u)) {
        let title = title_for(store, &dir, user, &doc)?;
        notes.push(grouped(
            store,
            user,
            note(
                NotificationKind::Commented,
                format!("{me} 评论了《{title}》"),
                comment_link(&comment),
                doc_id,
                now,
            ),
            |n| format!("《{title}》有 {n} 条新评论"),
        )?);
    }
    let ev = Actor::of(who).event(
        store.next_seq()?,
        "comment.create",
        format!("document:{doc_id}"),
        "ok",
        Some(serde_json::json!({"comment": comment.id})),
    );
    let auto = Watch {
        on: true,
        auto: true,
        at: now,
    };
    let outbox_seq = store.next_seq()?;
    let target = doc_target(doc_id);
    store.transact(|tx| {
        if tx.docs.get(doc_id)?.is_none_or(|d| d.deleted.is_some()) {
            return abort(Error::NotFound("document"));
        }
        tx.comments.put(&comment)?;
        if tx.watches.get(&target, who.id())?.is_none() {
            tx.watches.put(&target, who.id(), &auto)?;
        }
        tx_deliver(tx, &notes)?;
        tx_audit(tx, &ev)?;
        tx_outbox(tx, outbox_seq, doc_id)?;
        Ok(())
    })?;
    comment.notified = mentioned;
    Ok((comment, rights))
}

/// A change to a comment.
#[derive(Default)]
pub struct CommentChange {
    /// New text (the author only).
    pub body: Option<String>,
    /// Mark the thread resolved or open again (the thread's author, editors, managers).
    pub resolved: Option<bool>,
}

/// Edits a comment (its author; new mentions are notified) or resolves its thread. Answers it
/// with what the caller may do with it.
pub fn change(
    store: &Store,
    who: &Caller,
    id: &str,
    ch: CommentChange,
) -> Result<(Comment, Rights)> {
    let c = load_comment(store, id)?;
    let (doc, rights) = rights(store, who, &c.doc_id).map_err(|_| Error::NotFound("comment"))?;
    if c.deleted.is_some() {
        return Err(Error::NotFound("comment"));
    }
    let mine = c.author == who.id();
    let body = match &ch.body {
        Some(b) if !mine => {
            let _ = b;
            return Err(Error::Forbidden(
                "only its author may edit a comment".into(),
            ));
        }
        Some(b) => Some(validate_body(b)?),
        None => None,
    };
    if ch.resolved.is_some() {
        if c.parent_id.is_some() {
            return Err(
                Error::invalid("resolved", "a thread is resolved on its first comment")
                    .because(Reason::BadValue),
            );
        }
        if !(mine || rights.resolve) {
            return Err(Error::Forbidden(
                "only the thread's author, editors and managers may resolve it".into(),
            ));
        }
    }
    let now = Utc::now();
    let dir = Directory::load(store)?;
    let mut notes = Vec::new();
    let mut notified = c.notified.clone();
    if let Some(b) = &body {
        let me = who.user.display_name.clone();
        for user in mentioned_readers(store, &dir, b, &doc, who.id())? {
            if notified.contains(&user) {
                continue;
            }
            let title = title_for(store, &dir, &user, &doc)?;
            notes.push(Outgoing::new(
                store,
                &user,
                note(
                    NotificationKind::Mentioned,
                    format!("{me} 在《{title}》的评论中提到了你"),
                    comment_link(&c),
                    &doc.id,
                    now,
                ),
            )?);
            notified.push(user);
        }
    }
    let action = if body.is_some() {
        "comment.update"
    } else {
        "comment.resolve"
    };
    let ev = Actor::of(who).event(
        store.next_seq()?,
        action,
        format!("document:{}", doc.id),
        "ok",
        Some(serde_json::json!({"comment": id, "resolved": ch.resolved})),
    );
    let by = who.id().to_owned();
    let outbox_seq = store.next_seq()?;
    store
        .transact(|tx| {
            let Some(mut cur) = tx.comments.get(id)? else {
                return abort(Error::NotFound("comment"));
            };
            if cur.deleted.is_some() {
                return abort(Error::NotFound("comment"));
            }
            if let Some(b) = &body {
                cur.body = b.clone();
                cur.edited_at = Some(now);
                cur.notified = notified.clone();
            }
            match ch.resolved {
                Some(true) if cur.resolved.is_none() => {
                    cur.resolved = Some(Stamp {
                        by: by.clone(),
                        at: now,
                    });
                }
                Some(false) => cur.resolved = None,
                _ => {}
            }
            tx.comments.put(&cur)?;
            tx_deliver(tx, &notes)?;
            tx_audit(tx, &ev)?;
            tx_outbox(tx, outbox_seq, &cur.doc_id)?;
            Ok(cur)
        })
        .map(|c| (c, rights))
}

/// Deletes a comment (its author, or a moderator). Replies stay; a deleted comment with replies
/// shows as deleted.
pub fn delete(store: &Store, who: &Caller, id: &str) -> Result<()> {
    let c = load_comment(store, id)?;
    let (doc, rights) = rights(store, who, &c.doc_id).map_err(|_| Error::NotFound("comment"))?;
    if c.deleted.is_some() {
        return Err(Error::NotFound("comment"));
    }
    if c.author != who.id() && !rights.delete {
        return Err(Error::Forbidden(
            "only its author or a manager may delete a comment".into(),
        ));
    }
    let now = Utc::now();
    let ev = Actor::of(who).event(
        store.next_seq()?,
        "comment.delete",
        format!("document:{}", doc.id),
        "ok",
        Some(serde_json::json!({"comment": id})),
    );
    let by = who.id().to_owned();
    let outbox_seq = store.next_seq()?;
    store.transact(|tx| {
        let Some(mut cur) = tx.comments.get(id)? else {
            return abort(Error::NotFound("comment"));
        };
        cur.deleted = Some(Stamp {
            by: by.clone(),
            at: now,
        });
        tx.comments.put(&cur)?;
        tx_audit(tx, &ev)?;
        tx_outbox(tx, outbox_seq, &cur.doc_id)?;
        Ok(())
    })
}

// ---- the mention picker -----------------------------------------------------------------------

/// Someone who may be mentioned on a document.
pub struct Mentionable {
    /// User id.
    pub id: String,
    /// Login (what `@` writes).
    pub username: String,
    /// Display name.
    pub display_name: String,
}

/// Most accounts the picker lists.
pub const MAX_PICKER: usize = 10;

/// Whether a people picker's query (lower-cased, without `@`) names an account: a prefix of
/// its login, part of its name, or a prefix of the name's full pinyin or initials (张伟:
/// `zhang`, `zhangwei`, `zw`); an empty query names everyone.
pub fn picked_by(u: &crate::model::User, q: &str) -> bool {
    q.is_empty()
        || u.username.to_lowercase().starts_with(q)
        || u.display_name.to_lowercase().contains(q)
        || hanlin_index::quick::title_keys(&u.display_name)
            .iter()
            .any(|k| k.starts_with(q))
}

/// Active accounts who may see the document, matching `q` by login, display name, its full
/// pinyin or its initials (张伟: `zhang`, `zhangwei`, `zw`); only for callers who may see it.
pub fn mentionable(store: &Store, who: &Caller, doc_id: &str, q: &str) -> Result<Vec<Mentionable>> {
    let r = docs::checked::readable(store, who, doc_id)?;
    let q = q.trim().trim_start_matches('@').to_lowercase();
    let dir = Directory::load(store)?;
    let mut out = Vec::new();
    let mut users: Vec<&crate::model::User> = dir.users.iter().collect();
    users.sort_by(|a, b| a.username.cmp(&b.username));
    for u in users {
        if out.len() >= MAX_PICKER {
            break;
        }
        if u.id == who.id() {
            continue;
        }
        if picked_by(u, &q) && sees(store, &dir, &u.id, &r.head)?.is_some() {
            out.push(Mentionable {
                id: u.id.clone(),
                username: u.username.clone(),
                display_name: u.display_name.clone(),
            });
        }
    }
    Ok(out)
}

// ---- watching ---------------------------------------------------------------------------------

fn doc_target(id: &str) -> String {
    format!("doc:{id}")
}

fn space_target(id: &str) -> String {
    format!("space:{id}")
}

/// Whether the caller watches a document (directly, or its space).
pub fn watching(store: &Store, who: &Caller, doc: &Doc) -> Result<bool> {
    let on =
        |t: &str| -> Result<Option<bool>> { Ok(store.watches.get(t, who.id())?.map(|w| w.on)) };
    Ok(match on(&doc_target(&doc.id))? {
        Some(v) => v,
        None => doc.created_by == who.id() || on(&space_target(&doc.space_id))?.unwrap_or(false),
    })
}

/// Starts or stops watching a document the caller may see (404 otherwise). Stopping also
/// switches off the automatic watch of authors and commenters for this document.
pub fn watch_doc(store: &Store, who: &Caller, doc_id: &str, on: bool) -> Result<bool> {
    docs::checked::readable(store, who, doc_id)?;
    set_watch(store, who, &doc_target(doc_id), on)?;
    Ok(on)
}

/// Starts or stops watching a space the caller can see (404 otherwise).
pub fn watch_space(store: &Store, who: &Caller, space_id: &str) -> Result<()> {
    set_space_watch(store, who, space_id, true)
}

/// Stops watching a space.
pub fn unwatch_space(store: &Store, who: &Caller, space_id: &str) -> Result<()> {
    set_space_watch(store, who, space_id, false)
}

fn set_space_watch(store: &Store, who: &Caller, space_id: &str, on: bool) -> Result<()> {
    crate::service::spaces::get(store, who, space_id)?;
    set_watch(store, who, &space_target(space_id), on)
}

/// Whether the caller watches a space.
pub fn watching_space(store: &Store, who: &Caller, space_id: &str) -> Result<bool> {
    Ok(store
        .watches
        .get(&space_target(space_id), who.id())?
        .is_some_and(|w| w.on))
}

fn set_watch(store: &Store, who: &Caller, target: &str, on: bool) -> Result<()> {
    let w = Watch {
        on,
        auto: false,
        at: Utc::now(),
    };
    store.transact(|tx| tx.watches.put(target, who.id(), &w))?;
    Ok(())
}

/// Active accounts watching the document (directly, or through its space without having switched
/// the document off) who may see its current visible version, except `exclude`.
fn watchers(store: &Store, dir: &Directory, doc: &Doc, exclude: &[&str]) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for user in watching_ids(store, doc, exclude)? {
        if sees(store, dir, &user, doc)?.is_some() {
            out.push(user);
        }
    }
    Ok(out)
}

/// Who watches the document (directly, or through its space without having switched the
/// document off), except `exclude`: user ids, before any check of who may see it.
fn watching_ids(store: &Store, doc: &Doc, exclude: &[&str]) -> Result<BTreeSet<String>> {
    let mut on = BTreeSet::new();
    let mut off = BTreeSet::new();
    for (user, w) in store.watches.of_target(&doc_target(&doc.id))? {
        if w.on {
            on.insert(user);
        } else {
            off.insert(user);
        }
    }
    // The author watches without a record (no write when a document is created), until they
    // switch it off.
    if !off.contains(&doc.created_by) {
        on.insert(doc.created_by.clone());
    }
    for (user, w) in store.watches.of_target(&space_target(&doc.space_id))? {
        if w.on && !off.contains(&user) {
            on.insert(user);
        }
    }
    on.retain(|u| !exclude.contains(&u.as_str()));
    Ok(on)
}

/// The version of `doc` an active account sees, if any.
fn sees(store: &Store, dir: &Directory, user: &str, doc: &Doc) -> Result<Option<u64>> {
    let Some(u) = dir.user(user) else {
        return Ok(None);
    };
    let subject = dir.subject(u);
    if !subject.is_active(Utc::now()) {
        return Ok(None);
    }
    Ok(access::seen(store, &subject, doc)?.map(|s| s.version))
}

/// The title a recipient sees (that of the version they may read).
fn title_for(store: &Store, dir: &Directory, user: &str, doc: &Doc) -> Result<String> {
    match sees(store, dir, user, doc)? {
        Some(v) if v != doc.version => Ok(docs::published_view(store, doc.clone(), v)?.title),
        _ => Ok(doc.title.clone()),
    }
}

/// Accounts mentioned in `text` who may see the document, except `author` (user ids).
fn mentioned_readers(
    store: &Store,
    dir: &Directory,
    text: &str,
    doc: &Doc,
    author: &str,
) -> Result<Vec<String>> {
    Ok(
        mentioned_with_versions(store, dir, mentions(text), doc, author)?
            .into_iter()
            .map(|(id, _)| id)
            .collect(),
    )
}

/// The accounts of `logins` who may see the document, except `author`, with the version each
/// sees.
fn mentioned_with_versions(
    store: &Store,
    dir: &Directory,
    logins: Vec<String>,
    doc: &Doc,
    author: &str,
) -> Result<Vec<(String, u64)>> {
    let mut out: Vec<(String, u64)> = Vec::new();
    for login in logins.into_iter().take(MAX_MENTIONS) {
        let Some(id) = store.usernames.get(&login)? else {
            continue;
        };
        if id == author || out.iter().any(|(x, _)| *x == id) {
            continue;
        }
        if let Some(v) = sees(store, dir, &id, doc)? {
            out.push((id, v));
        }
    }
    Ok(out)
}

/// After a save or an approval that published `version`: watchers hear of it (grouped), and
/// accounts newly mentioned in the body since the previously published version are told, when
/// they may see it. Best effort: a failure here never fails the save, which has committed.
pub fn published(store: &Store, actor: &str, doc: &Doc, version: u64, previous_body: &str) {
    if let Err(e) = try_published(store, actor, doc, version, previous_body) {
        tracing::warn!(doc = %doc.id, error = %e, "publish notices not sent");
    }
}

fn try_published(
    store: &Store,
    actor: &str,
    doc: &Doc,
    version: u64,
    previous_body: &str,
) -> Result<()> {
    if doc.published_version != Some(version) || doc.deleted.is_some() {
        return Ok(());
    }
    // The version published (the head may already be a newer draft).
    let shown = if doc.version == version {
        doc.clone()
    } else {
        docs::published_view(store, doc.clone(), version)?
    };
    // Who might hear of it, before anything costlier: most saves have no watcher and mention
    // nobody new, and then nothing more is read.
    let before: BTreeSet<String> = body_mentions(previous_body).into_iter().collect();
    let new_mentions: Vec<String> = body_mentions(&shown.body)
        .into_iter()
        .filter(|l| !before.contains(l))
        .collect();
    let watching = watching_ids(store, doc, &[actor])?;
    if new_mentions.is_empty() && watching.is_empty() {
        return Ok(());
    }
    let dir = Directory::load(store)?;
    let now = Utc::now();
    let who = dir
        .user(actor)
        .map_or_else(|| actor.to_owned(), |u| u.display_name.clone());
    let title = shown.title.clone();
    let mut notes = Vec::new();
    let mut mentioned = Vec::new();
    for (user, seen) in mentioned_with_versions(store, &dir, new_mentions, doc, actor)? {
        if seen < version {
            continue; // they see an older version, which does not mention them
        }
        notes.push(Outgoing::new(
            store,
            &user,
            note(
                NotificationKind::Mentioned,
                format!("{who} 在《{title}》中提到了你"),
                format!("#/doc/{}", doc.id),
                &doc.id,
                now,
            ),
        )?);
        mentioned.push(user);
    }
    let link = if version > 1 {
        format!("#/doc/{}/history?from={}&to={version}", doc.id, version - 1)
    } else {
        format!("#/doc/{}", doc.id)
    };
    let summary = store
        .versions
        .newest_first(&doc.id)
        .find_map(|r| r.ok().filter(|r| r.version <= version))
        .filter(|r| r.version == version)
        .map(|r| r.message)
        .filter(|m| !m.is_empty());
    let text = match &summary {
        Some(m) => format!("{who} 发布了《{title}》的版本 {version}：{m}"),
        None => format!("{who} 发布了《{title}》的版本 {version}"),
    };
    for user in watching {
        if mentioned.contains(&user) || sees(store, &dir, &user, doc)?.is_none() {
            continue;
        }
        notes.push(grouped(
            store,
            &user,
            note(
                NotificationKind::Published,
                text.clone(),
                link.clone(),
                &doc.id,
                now,
            ),
            |n| format!("《{title}》有 {n} 次更新，最新为版本 {version}"),
        )?);
    }
    if notes.is_empty() {
        return Ok(());
    }
    store.transact(|tx| tx_deliver(tx, &notes))?;
    Ok(())
}

// ---- notices ----------------------------------------------------------------------------------

fn comment_link(c: &Comment) -> String {
    format!("#/doc/{}?comment={}", c.doc_id, c.id)
}

fn note(
    kind: NotificationKind,
    text: String,
    link: String,
    doc_id: &str,
    now: DateTime<Utc>,
) -> Notification {
    Notification {
        id: String::new(),
        kind,
        text,
        link,
        created_at: now,
        read: false,
        review_id: None,
        doc_id: Some(doc_id.to_owned()),
        collection_id: None,
        count: 0,
    }
}

/// A notice to write, with the one it replaces (grouping).
struct Outgoing {
    user: String,
    seq: u64,
    note: Notification,
    replaces: Option<u64>,
}

impl Outgoing {
    fn new(store: &Store, user: &str, mut note: Notification) -> Result<Outgoing> {
        let seq = store.next_seq()?;
        note.id = seq.to_string();
        Ok(Outgoing {
            user: user.to_owned(),
            seq,
            note,
            replaces: None,
        })
    }
}

/// A notice that takes the place of the recipient's newest one when that is unread, of the same
/// kind, about the same document and recent ([`GROUP_MINUTES`]): the two become one, counted,
/// with the text `many(count)`.
fn grouped(
    store: &Store,
    user: &str,
    note: Notification,
    many: impl Fn(u32) -> String,
) -> Result<Outgoing> {
    let newest = store
        .notifications
        .of_user_newest_first(user)
        .next()
        .transpose()?;
    let mut out = Outgoing::new(store, user, note)?;
    if let Some(old) = newest
        && !old.read
        && old.kind == out.note.kind
        && old.doc_id == out.note.doc_id
        && out.note.created_at - old.created_at < Duration::minutes(GROUP_MINUTES)
        && let Ok(old_seq) = old.id.parse::<u64>()
    {
        let n = old.count.max(1) + 1;
        out.note.count = n;
        out.note.text = many(n);
        out.replaces = Some(old_seq);
    }
    Ok(out)
}

fn tx_deliver(tx: &crate::store::Tx<'_>, notes: &[Outgoing]) -> crate::store::TxResult<()> {
    for n in notes {
        if let Some(old) = n.replaces {
            tx.notifications.remove(&n.user, old)?;
        }
        tx.notifications.put(&n.user, n.seq, &n.note)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::mentions;

    #[test]
    fn mentions_are_logins_after_an_at_sign_not_in_addresses_or_code() {
        assert_eq!(
            mentions("请 @bob 和 @Alice.W 看一下，抄送 carol@example.com。@bob 再看"),
            vec!["bob", "alice.w"]
        );
        assert_eq!(
            mentions("`@not` 代码\n```\n@neither\n```\n@yes."),
            vec!["yes"]
        );
        assert!(mentions("没有提到任何人 @ 空").is_empty());
    }
}
