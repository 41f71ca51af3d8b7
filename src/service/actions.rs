//! Action items (我的待办): the rows of records with an owner (minutes' action items, tracker
//! tasks) and Markdown task lines (`- [ ] 文本 @login 截止:YYYY-MM-DD`) of each document's
//! published version, kept in [`crate::store::ACTION_ITEMS`] by [`refresh`] (after saves and
//! from the indexer, which sees every change through the outbox, so a crash is caught up at
//! start-up). Owners hear of an item when it is assigned to them, three days before it is due and
//! when it is overdue (the space's group robots too, when everyone may read the document).

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::{
    domain::actions::{item_id, set_task_done, task_lines},
    error::{Error, Result},
    model::{
        Doc, DocActions, DocKind, ItemSource, Notification, NotificationKind, StoredItem, User,
    },
    records,
    service::{
        Caller, access,
        documents::{self as docs, DocContent, checked},
        onboarding::Directory,
        records as recs,
    },
    store::{Store, Tx, TxResult},
};

/// Reminder marks on a stored item.
const SOON: &str = "soon";
const OVERDUE: &str = "overdue";

/// The account an owner as written names: a login, else the one active account of that name.
fn resolve(dir: &Directory, owner: &str) -> Option<String> {
    let o = owner.trim().trim_start_matches('@');
    if let Some(u) = dir
        .users
        .iter()
        .find(|u| u.username.eq_ignore_ascii_case(o))
    {
        return Some(u.id.clone());
    }
    let named: Vec<&User> = dir
        .users
        .iter()
        .filter(|u| u.display_name == o && !u.disabled)
        .collect();
    (named.len() == 1).then(|| named[0].id.clone())
}

fn date(s: Option<&str>) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s?, "%Y-%m-%d").ok()
}

/// The action items of one version of a document (`doc` with its body).
pub fn extract(dir: &Directory, doc: &Doc) -> Vec<StoredItem> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut id_for = |identity: String| {
        let n = seen.entry(identity.clone()).or_default();
        let id = item_id(&doc.id, &identity, *n);
        *n += 1;
        id
    };
    let mut out = Vec::new();
    if doc.kind == DocKind::Record {
        let Some((kind, fields)) = recs::fields_of(doc) else {
            return out;
        };
        let Ok(t) = records::schemas().get(&kind) else {
            return out;
        };
        for r in t.action_items(&fields) {
            out.push(StoredItem {
                id: id_for(format!("r\0{}\0{}", r.text, r.owner)),
                source: ItemSource::Record,
                at: r.path,
                assignee: resolve(dir, &r.owner),
                owner: r.owner,
                text: r.text,
                due: date(r.due.as_deref()),
                done: r.done,
                reminded: Vec::new(),
            });
        }
        return out;
    }
    for t in task_lines(&doc.body) {
        let Some(login) = t.assignee else { continue };
        out.push(StoredItem {
            id: id_for(format!("t\0{}\0{login}", t.text)),
            source: ItemSource::Task,
            at: t.line.to_string(),
            assignee: resolve(dir, &login),
            owner: login,
            text: t.text,
            due: date(t.due.as_deref()),
            done: t.done,
            reminded: Vec::new(),
        });
    }
    out
}

/// The version whose items count: the published one, where readers see it; None for a
/// document in the trash, never published, or gone.
fn published(store: &Store, id: &str) -> Result<Option<Doc>> {
    let doc = match docs::load(store, id) {
        Ok(d) => d,
        Err(Error::NotFound(_)) => return Ok(None),
        Err(e) => return Err(e),
    };
    if doc.deleted.is_some() {
        return Ok(None);
    }
    match doc.published_version {
        None => Ok(None),
        Some(p) if p == doc.version => Ok(Some(doc)),
        Some(p) => Ok(Some(docs::published_view(store, doc, p)?)),
    }
}

fn note(
    seq: u64,
    kind: NotificationKind,
    text: String,
    doc_id: &str,
    now: DateTime<Utc>,
) -> Notification {
    Notification {
        id: seq.to_string(),
        kind,
        text,
        link: format!("#/doc/{doc_id}"),
        created_at: now,
        read: false,
        review_id: None,
        doc_id: Some(doc_id.to_owned()),
        collection_id: None,
        count: 0,
    }
}

/// Brings the stored items of one document up to date with its published version, telling
/// owners of items newly assigned to them (who may read it, not the author themself). Safe to
/// call any number of times: what is stored decides what is new, inside the transaction.
pub fn refresh(store: &Store, doc_id: &str) -> Result<()> {
    let doc = published(store, doc_id)?;
    let has_tasks = doc.as_ref().is_some_and(|d| {
        d.kind == DocKind::Record || d.body.contains("[ ]") || d.body.contains("[x]")
    });
    for _ in 0..5 {
        let old = store.action_items.get(doc_id)?;
        if old.is_none() && !has_tasks {
            return Ok(());
        }
        let next = match &doc {
            Some(d) if has_tasks => {
                let dir = Directory::load(store)?;
                let mut items = extract(&dir, d);
                // Reminders already sent stay sent while the due date stays.
                for i in &mut items {
                    if let Some(o) = old
                        .iter()
                        .flat_map(|o| &o.items)
                        .find(|o| o.id == i.id && o.due == i.due && o.assignee == i.assignee)
                    {
                        i.reminded = o.reminded.clone();
                    }
                }
                let mut notes = Vec::new();
                let now = Utc::now();
                for i in &items {
                    let Some(a) = &i.assignee else { continue };
                    let was = old
                        .iter()
                        .flat_map(|o| &o.items)
                        .any(|o| o.id == i.id && o.assignee.as_ref() == Some(a));
                    if was || i.done || *a == d.updated_by {
                        continue;
                    }
                    let Some(u) = dir.user(a) else { continue };
                    if access::seen(store, &dir.subject(u), d)?.is_none() {
                        continue;
                    }
                    let due = i.due.map(|d| format!("，截止 {d}")).unwrap_or_default();
                    notes.push((
                        a.clone(),
                        note(
                            store.next_seq()?,
                            NotificationKind::ActionAssigned,
                            format!("《{}》给你分配了待办：{}{due}", d.title, i.text),
                            doc_id,
                            now,
                        ),
                    ));
                }
                let entry = (!items.is_empty()).then(|| DocActions {
                    doc_id: doc_id.to_owned(),
                    space_id: d.space_id.clone(),
                    version: d.version,
                    title: d.title.clone(),
                    items,
                });
                (entry, notes)
            }
            _ => (None, Vec::new()),
        };
        if next.0 == old {
            return Ok(());
        }
        let written = store.transact(|tx| {
            if tx.action_items.get(doc_id)? != old {
                return Ok(false); // someone else refreshed meanwhile: start again
            }
            match &next.0 {
                Some(e) => tx.action_items.put(doc_id, e)?,
                None => {
                    tx.action_items.remove(doc_id)?;
                }
            }
            for (user, n) in &next.1 {
                tx.notifications
                    .put(user, n.id.parse().unwrap_or_default(), n)?;
            }
            Ok(true)
        })?;
        if written {
            return Ok(());
        }
    }
    Err(Error::internal(format!(
        "action items of {doc_id} kept changing"
    )))
}

/// Whose items a list shows.
pub enum Assignee {
    /// The caller's.
    Me,
    /// Everyone's (that the caller may see).
    All,
    /// One account's, by login.
    Login(String),
}

/// Which items a list shows.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Not done.
    Open,
    /// Done.
    Done,
    /// Both.
    All,
}

/// An item as a list shows it.
pub struct ItemView {
    /// The item.
    pub item: StoredItem,
    /// Its document.
    pub doc_id: String,
    /// The document's title (of the version the items were read from).
    pub doc_title: String,
    /// Its space.
    pub space_id: String,
    /// The owner's login and name, when the owner is an account.
    pub assignee: Option<(String, String)>,
    /// Not done and past its due date.
    pub overdue: bool,
}

/// The items the caller may see (of documents they may read), filtered, overdue first, then by
/// due date, undated last.
pub fn list(
    store: &Store,
    who: &Caller,
    assignee: &Assignee,
    status: Status,
    space_id: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Vec<ItemView>> {
    let dir = Directory::load(store)?;
    let want: Option<String> = match assignee {
        Assignee::Me => Some(who.id().to_owned()),
        Assignee::All => None,
        Assignee::Login(l) => Some(resolve(&dir, l).ok_or(Error::NotFound("user"))?),
    };
    let today = now.date_naive();
    let subject = who.subject();
    let mut out = Vec::new();
    for e in store.action_items.values() {
        let e = e?;
        if space_id.is_some_and(|s| s != e.space_id) {
            continue;
        }
        let mine: Vec<&StoredItem> = e
            .items
            .iter()
            .filter(|i| want.is_none() || i.assignee == want)
            .filter(|i| match status {
                Status::Open => !i.done,
                Status::Done => i.done,
                Status::All => true,
            })
            .collect();
        if mine.is_empty() {
            continue;
        }
        let doc = match docs::load_meta(store, &e.doc_id) {
            Ok(d) => d,
            Err(Error::NotFound(_)) => continue,
            Err(err) => return Err(err),
        };
        if access::seen(store, &subject, &doc)?.is_none() {
            continue;
        }
        for i in mine {
            let assignee = i
                .assignee
                .as_deref()
                .and_then(|a| dir.user(a))
                .map(|u| (u.username.clone(), u.display_name.clone()));
            out.push(ItemView {
                overdue: !i.done && i.due.is_some_and(|d| d < today),
                item: i.clone(),
                doc_id: e.doc_id.clone(),
                doc_title: e.title.clone(),
                space_id: e.space_id.clone(),
                assignee,
            });
        }
    }
    out.sort_by(|a, b| {
        b.overdue
            .cmp(&a.overdue)
            .then_with(|| match (a.item.due, b.item.due) {
                (Some(x), Some(y)) => x.cmp(&y),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            })
            .then_with(|| a.doc_title.cmp(&b.doc_title))
    });
    Ok(out)
}

/// Marks an item done (or open again) by saving a new version of the document that holds it.
/// Its owner may do so wherever they may read the document (when no newer draft is pending);
/// anyone else needs the right to edit it. An item no longer in the document as it stands is
/// 409 `edit_conflict`; one the caller may not see is 404.
pub fn set_done(store: &Store, who: &Caller, item: &str, done: bool) -> Result<ItemView> {
    let doc_id = item.split('-').next().unwrap_or("");
    if !crate::model::valid_id(doc_id) {
        return Err(Error::NotFound("action item"));
    }
    let r = checked::readable(store, who, doc_id).map_err(|e| match e {
        Error::NotFound(_) => Error::NotFound("action item"),
        e => e,
    })?;
    let stored = store
        .action_items
        .get(doc_id)?
        .and_then(|e| e.items.into_iter().find(|i| i.id == item))
        .ok_or(Error::NotFound("action item"))?;
    let owner = stored.assignee.as_deref() == Some(who.id());
    let head = docs::load(store, doc_id)?;
    if !r.may_edit {
        if !owner {
            return Err(Error::Forbidden(
                "only the owner of an action item or an editor of its document may tick it".into(),
            ));
        }
        if head.published_version != Some(head.version) {
            return Err(Error::EditConflict {
                current_version: head.version,
                detail: None,
            });
        }
    }
    let dir = Directory::load(store)?;
    let current = extract(&dir, &head)
        .into_iter()
        .find(|i| i.id == item)
        .ok_or(Error::EditConflict {
            current_version: head.version,
            detail: None,
        })?;
    if current.done != done {
        let content = ticked(store, &head, &current, done)?;
        let message = format!(
            "{}待办：{}",
            if done { "完成" } else { "重新打开" },
            current.text
        );
        checked::save_tick(store, who, &head, content, message)?;
        refresh(store, doc_id)?;
    }
    let e = store.action_items.get(doc_id)?;
    let now = Utc::now();
    let (title, space) = e
        .as_ref()
        .map_or((head.title.clone(), head.space_id.clone()), |e| {
            (e.title.clone(), e.space_id.clone())
        });
    let item_now = e
        .and_then(|e| e.items.into_iter().find(|i| i.id == item))
        .unwrap_or(StoredItem { done, ..current });
    let assignee = item_now
        .assignee
        .as_deref()
        .and_then(|a| dir.user(a))
        .map(|u| (u.username.clone(), u.display_name.clone()));
    Ok(ItemView {
        overdue: !item_now.done && item_now.due.is_some_and(|d| d < now.date_naive()),
        item: item_now,
        doc_id: doc_id.to_owned(),
        doc_title: title,
        space_id: space,
        assignee,
    })
}

/// The head's content with one item ticked.
fn ticked(store: &Store, head: &Doc, item: &StoredItem, done: bool) -> Result<DocContent> {
    let conflict = || Error::EditConflict {
        current_version: head.version,
        detail: None,
    };
    match item.source {
        ItemSource::Record => {
            let (kind, fields) = recs::fields_of(head).ok_or_else(conflict)?;
            let t = records::schemas().get(&kind)?;
            let fields = t.set_done(&fields, &item.at, done).ok_or_else(conflict)?;
            recs::content(
                store,
                &kind,
                &fields,
                Some(&head.title),
                &head.tags,
                usize::MAX,
            )
        }
        ItemSource::Task => {
            let line: usize = item.at.parse().map_err(|_| conflict())?;
            let body = set_task_done(&head.body, line, done).ok_or_else(conflict)?;
            Ok(DocContent {
                title: head.title.clone(),
                body,
                tags: head.tags.clone(),
            })
        }
    }
}

/// Sends the reminders that are due at `now`: three days before an open item's due date, and
/// once it is overdue (then the space's group robots hear of it too). Each goes once. Returns
/// how many were sent.
pub fn remind(store: &Store, now: DateTime<Utc>) -> Result<usize> {
    let today = now.date_naive();
    let mut dir: Option<Directory> = None;
    let mut sent = 0;
    for e in store.action_items.values() {
        let e = e?;
        for i in &e.items {
            let (Some(a), Some(due)) = (&i.assignee, i.due) else {
                continue;
            };
            if i.done {
                continue;
            }
            let has = |m: &str| i.reminded.iter().any(|x| x == m);
            let mark = if today > due && !has(OVERDUE) {
                OVERDUE
            } else if today <= due && today >= due - Duration::days(3) && !has(SOON) {
                SOON
            } else {
                continue;
            };
            if dir.is_none() {
                dir = Some(Directory::load(store)?);
            }
            let dir = dir.as_ref().expect("loaded");
            let Ok(doc) = docs::load_meta(store, &e.doc_id) else {
                continue;
            };
            let readable = match dir.user(a) {
                Some(u) => access::seen(store, &dir.subject(u), &doc)?.is_some(),
                None => false,
            };
            let (kind, text) = if mark == OVERDUE {
                (
                    NotificationKind::ActionOverdue,
                    format!("待办已逾期（截止 {due}）：{}（《{}》）", i.text, e.title),
                )
            } else {
                (
                    NotificationKind::ActionDueSoon,
                    format!("待办将于 {due} 到期：{}（《{}》）", i.text, e.title),
                )
            };
            let n = note(store.next_seq()?, kind, text, &e.doc_id, now);
            let marked =
                store.transact(|tx| mark_sent(tx, &e.doc_id, &i.id, mark, a, &n, readable))?;
            if marked {
                sent += usize::from(readable);
                if mark == OVERDUE {
                    let owner = dir
                        .user(a)
                        .map_or(i.owner.as_str(), |u| u.display_name.as_str());
                    crate::service::webhooks::overdue(
                        store,
                        &doc,
                        e.version,
                        &e.title,
                        &format!("{}（{}，截止 {due}）", i.text, owner),
                    );
                }
            }
        }
    }
    Ok(sent)
}

/// [`remind`], at most once a minute of `now` (the inbox and 我的待办 ask on every read; `last`
/// holds when it last ran, in seconds).
pub fn remind_due(
    store: &Store,
    last: &std::sync::atomic::AtomicI64,
    now: DateTime<Utc>,
) -> Result<usize> {
    use std::sync::atomic::Ordering;
    let t = now.timestamp();
    let prev = last.load(Ordering::Relaxed);
    if (t - prev).abs() < 60
        || last
            .compare_exchange(prev, t, Ordering::Relaxed, Ordering::Relaxed)
            .is_err()
    {
        return Ok(0);
    }
    remind(store, now)
}

/// Records a reminder on its item and writes its notice (when the owner may read the
/// document), unless it was recorded meanwhile.
fn mark_sent(
    tx: &Tx<'_>,
    doc_id: &str,
    item: &str,
    mark: &str,
    user: &str,
    n: &Notification,
    notify: bool,
) -> TxResult<bool> {
    let Some(mut e) = tx.action_items.get(doc_id)? else {
        return Ok(false);
    };
    let Some(i) = e.items.iter_mut().find(|i| i.id == item) else {
        return Ok(false);
    };
    if i.reminded.iter().any(|x| x == mark) {
        return Ok(false);
    }
    i.reminded.push(mark.to_owned());
    tx.action_items.put(doc_id, &e)?;
    if notify {
        tx.notifications
            .put(user, n.id.parse().unwrap_or_default(), n)?;
    }
    Ok(true)
}

/// Sends due reminders every ten minutes (and a minute after start-up).
pub async fn reminders(state: crate::AppState) {
    let mut wait = std::time::Duration::from_secs(60);
    loop {
        tokio::time::sleep(wait).await;
        wait = std::time::Duration::from_secs(600);
        let st = state.clone();
        match tokio::task::spawn_blocking(move || remind(&st.store, st.clock.now())).await {
            Ok(Ok(n)) => {
                let _ = state.store.flush().await;
                if n > 0 {
                    tracing::info!(sent = n, "action item reminders");
                }
            }
            Ok(Err(e)) => tracing::warn!(error = %e, "action item reminders"),
            Err(_) => {}
        }
    }
}
