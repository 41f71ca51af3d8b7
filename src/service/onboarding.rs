//! Onboarding collections (入职学习): documents to read in order, for an audience of departments,
//! account kinds and named accounts, each person due a number of days after they were assigned;
//! acknowledgements of the published version of each item ("我已阅读并理解"), re-asked when a
//! version marked 需重新确认 is published ([`crate::model::Doc::reconfirm_from`]); inbox reminders
//! when assigned, three days before the due date and when overdue, each sent once.
//!
//! The audience is resolved whenever asked ([`Directory::audience`]): someone who joins a
//! department later is assigned then, with that time as their assignment time ([`sync`]);
//! disabled or expired accounts drop out. Every time here is the caller's `now` (the server's
//! [`crate::clock::Clock`], which tests move).
//!
//! Who sees what: a collection is visible to the people in its audience, its owner, admins, and
//! the heads of a department one of its people belongs to; to everyone else it does not exist
//! (404). Progress: owner and admins see everyone, a department head their department, a person
//! only themselves.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use crate::{
    domain::permission::{AccountKind, Action, Decision, Subject},
    error::{Code, Error, Reason, Result},
    model::{
        Ack, Assignment, Collection, CollectionItem, Doc, Group, Notification, NotificationKind,
        User, new_id, valid_id,
    },
    service::{
        Caller, access,
        documents::{self as docs, Actor, tx_audit},
    },
    store::{Store, Tx, TxResult, abort},
};

/// Most items in a collection.
pub const MAX_ITEMS: usize = 200;
/// Most audience entries.
pub const MAX_AUDIENCE: usize = 100;
/// Longest name, in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// Longest description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 2000;
/// Longest time to complete, in days.
pub const MAX_DUE_DAYS: u32 = 365;
/// The "due soon" reminder goes this many days before the due date.
pub const DUE_SOON_DAYS: i64 = 3;
/// Most people named in a refusal.
const MAX_NAMED: usize = 10;

/// Reminder names kept in [`Assignment::reminded`].
const ASSIGNED: &str = "assigned";
const DUE_SOON: &str = "due_soon";
const OVERDUE: &str = "overdue";

// ---- audience ---------------------------------------------------------------------------------

/// One audience entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    /// The members of a department.
    Group(String),
    /// One account.
    User(String),
    /// Every account of a kind (e.g. all interns).
    Kind(AccountKind),
}

impl Audience {
    /// Parses `group:<id>`, `user:<id>` or `kind:<employee|intern|external>`.
    pub fn parse(s: &str) -> Option<Audience> {
        let (k, v) = s.trim().split_once(':')?;
        match k {
            "group" if valid_id(v) => Some(Audience::Group(v.to_owned())),
            "user" if valid_id(v) => Some(Audience::User(v.to_owned())),
            "kind" => match v {
                "employee" => Some(Audience::Kind(AccountKind::Employee)),
                "intern" => Some(Audience::Kind(AccountKind::Intern)),
                "external" => Some(Audience::Kind(AccountKind::External)),
                _ => None,
            },
            _ => None,
        }
    }
}

/// Accounts and departments, loaded once per request.
pub struct Directory {
    /// Every account.
    pub users: Vec<User>,
    /// Every department.
    pub groups: Vec<Group>,
}

impl Directory {
    /// Loads accounts and departments.
    pub fn load(store: &Store) -> Result<Directory> {
        Ok(Directory {
            users: store.users.all()?,
            groups: store.catalog()?.groups.clone(),
        })
    }

    fn groups_of(&self, id: &str) -> Vec<String> {
        self.groups
            .iter()
            .filter(|g| g.members.iter().any(|m| m == id))
            .map(|g| g.id.clone())
            .collect()
    }

    /// The permission subject of an account.
    pub fn subject(&self, u: &User) -> Subject {
        access::subject(u, &self.groups_of(&u.id))
    }

    /// The account with this id.
    pub fn user(&self, id: &str) -> Option<&User> {
        self.users.iter().find(|u| u.id == id)
    }

    /// The active accounts an audience names at `now`, in login order.
    pub fn audience(&self, audience: &[String], now: DateTime<Utc>) -> Vec<&User> {
        let entries: Vec<Audience> = audience.iter().filter_map(|a| Audience::parse(a)).collect();
        let mut out: Vec<&User> = self
            .users
            .iter()
            .filter(|u| access::subject(u, &[]).is_active(now))
            .filter(|u| {
                entries.iter().any(|e| match e {
                    Audience::User(id) => u.id == *id,
                    Audience::Kind(k) => u.kind == *k,
                    Audience::Group(g) => self
                        .groups
                        .iter()
                        .any(|x| x.id == *g && x.members.contains(&u.id)),
                })
            })
            .collect();
        out.sort_by(|a, b| a.username.cmp(&b.username));
        out
    }

    /// The people of a department headed by `head`.
    fn headed_by(&self, head: &str) -> BTreeSet<String> {
        self.groups
            .iter()
            .filter(|g| g.heads.iter().any(|h| h == head))
            .flat_map(|g| g.members.iter().cloned())
            .collect()
    }

    /// How an audience entry reads to a person: the department's or account's name.
    pub fn label(&self, entry: &str) -> String {
        match Audience::parse(entry) {
            Some(Audience::Group(id)) => self
                .groups
                .iter()
                .find(|g| g.id == id)
                .map_or(entry.to_owned(), |g| g.name.clone()),
            Some(Audience::User(id)) => self
                .user(&id)
                .map_or(entry.to_owned(), |u| u.display_name.clone()),
            Some(Audience::Kind(AccountKind::Employee)) => "全体正式员工".into(),
            Some(Audience::Kind(AccountKind::Intern)) => "全体实习生".into(),
            Some(Audience::Kind(AccountKind::External)) => "全体外部访客".into(),
            None => entry.to_owned(),
        }
    }
}

// ---- items as someone sees them ---------------------------------------------------------------

/// The published version of a document the subject may read, with its title there; `None` when
/// it is deleted, never published, or hidden from them.
pub fn readable_published(
    store: &Store,
    who: &Subject,
    doc: &Doc,
) -> Result<Option<(u64, String)>> {
    let Some(p) = doc.published_version else {
        return Ok(None);
    };
    if doc.deleted.is_some() || !access::allowed_doc(store, who, Action::Read, doc)? {
        return Ok(None);
    }
    if p == doc.version {
        return Ok(Some((p, doc.title.clone())));
    }
    if !access::VersionPlaces::new(store, who, doc)?.may_read_version(&doc.id, p)? {
        return Ok(None);
    }
    let title = docs::published_view(store, doc.clone(), p)?.title;
    Ok(Some((p, title)))
}

/// One item of a collection as a person sees it.
#[derive(Debug, Clone)]
pub struct ItemState {
    /// Position in the reading order (0-based).
    pub position: usize,
    /// The item as stored.
    pub item: CollectionItem,
    /// Title and published version, when this person may read it; `None`: unavailable.
    pub readable: Option<(u64, String)>,
    /// Their acknowledgement, if any.
    pub ack: Option<Ack>,
    /// Whether they must (still, or again) acknowledge it.
    pub needs_ack: bool,
}

/// Where a person stands in a collection.
#[derive(Debug, Clone)]
pub struct Standing {
    /// Each item.
    pub items: Vec<ItemState>,
    /// Required items they can read.
    pub required: usize,
    /// Of those, acknowledged at a version that still counts.
    pub done: usize,
    /// When they acknowledged the last one, when all are done.
    pub completed_at: Option<DateTime<Utc>>,
    /// Their last acknowledgement.
    pub last_activity: Option<DateTime<Utc>>,
}

/// The documents of a collection, loaded once.
pub struct Items(Vec<(CollectionItem, Option<Doc>)>);

impl Items {
    /// Loads the documents of `c`.
    pub fn load(store: &Store, c: &Collection) -> Result<Items> {
        let mut out = Vec::with_capacity(c.items.len());
        for it in &c.items {
            out.push((it.clone(), store.docs.get(&it.doc_id)?));
        }
        Ok(Items(out))
    }
}

/// How the items look to the caller (which they may open), without an assignment: the progress
/// page's item list.
pub fn items_for(store: &Store, who: &Caller, items: &Items) -> Result<Standing> {
    standing(store, &who.subject(), items, None)
}

/// Where `who` stands, with their assignment (if any).
pub fn standing(
    store: &Store,
    who: &Subject,
    items: &Items,
    assignment: Option<&Assignment>,
) -> Result<Standing> {
    let mut out = Vec::with_capacity(items.0.len());
    let (mut required, mut done) = (0, 0);
    let mut last: Option<DateTime<Utc>> = None;
    let mut completed: Option<DateTime<Utc>> = None;
    for (position, (item, doc)) in items.0.iter().enumerate() {
        let readable = match doc {
            Some(d) => readable_published(store, who, d)?,
            None => None,
        };
        let ack = assignment.and_then(|a| a.acks.get(&item.doc_id)).cloned();
        if let Some(a) = &ack {
            last = last.max(Some(a.at));
        }
        let floor = doc.as_ref().and_then(|d| d.reconfirm_from).unwrap_or(0);
        let current = ack.as_ref().is_some_and(|a| a.version >= floor);
        let needs_ack = readable.is_some() && !current;
        if item.required && readable.is_some() {
            required += 1;
            if current {
                done += 1;
                completed = completed.max(ack.as_ref().map(|a| a.at));
            }
        }
        out.push(ItemState {
            position,
            item: item.clone(),
            readable,
            ack,
            needs_ack,
        });
    }
    Ok(Standing {
        items: out,
        required,
        done,
        completed_at: if done == required && required > 0 {
            completed
        } else {
            None
        },
        last_activity: last,
    })
}

/// The due time of an assignment.
pub fn due(c: &Collection, a: &Assignment) -> DateTime<Utc> {
    a.assigned_at + Duration::days(i64::from(c.due_days))
}

// ---- who may do what --------------------------------------------------------------------------

/// May the caller create collections? Admins and the managers of any space.
pub fn may_curate(store: &Store, who: &Caller) -> Result<bool> {
    if who.is_admin() {
        return Ok(true);
    }
    let subject = who.subject();
    for space in store.catalog()?.spaces.values() {
        if access::decide_at(store, &subject, Action::ManageGrants, space, None)? == Decision::Allow
        {
            return Ok(true);
        }
    }
    Ok(false)
}

/// How the caller stands towards a collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Owner or admin: sees and edits everything.
    Manager,
    /// Heads a department with people in the audience: sees their progress.
    Head,
    /// In the audience: reads, acknowledges, sees their own progress.
    Member,
}

/// What the caller may see of a collection: `None` when it is hidden from them.
pub struct View {
    /// The strongest role.
    pub role: Role,
    /// Whether they are in the audience.
    pub member: bool,
    /// The people whose progress they may see (ids).
    pub people: Vec<String>,
}

/// How the caller sees `c` now (resolving its audience), or `None`.
pub fn view_of(dir: &Directory, who: &Caller, c: &Collection, now: DateTime<Utc>) -> Option<View> {
    let audience: Vec<&User> = dir.audience(&c.audience, now);
    let member = audience.iter().any(|u| u.id == who.id());
    if who.is_admin() || c.owner == who.id() {
        return Some(View {
            role: Role::Manager,
            member,
            people: audience.iter().map(|u| u.id.clone()).collect(),
        });
    }
    let dept = dir.headed_by(who.id());
    let headed: Vec<String> = audience
        .iter()
        .filter(|u| dept.contains(&u.id))
        .map(|u| u.id.clone())
        .collect();
    if !headed.is_empty() {
        let mut people = headed;
        if member && !people.iter().any(|p| p == who.id()) {
            people.push(who.id().to_owned());
        }
        return Some(View {
            role: Role::Head,
            member,
            people,
        });
    }
    member.then(|| View {
        role: Role::Member,
        member,
        people: vec![who.id().to_owned()],
    })
}

/// Loads a collection the caller may see (else 404), after bringing its assignments up to date.
pub fn load_visible(
    store: &Store,
    who: &Caller,
    id: &str,
    now: DateTime<Utc>,
) -> Result<(Collection, View, Directory)> {
    if !valid_id(id) {
        return Err(Error::NotFound("collection"));
    }
    let c = store
        .collections
        .get(id)?
        .ok_or(Error::NotFound("collection"))?;
    let dir = Directory::load(store)?;
    let view = view_of(&dir, who, &c, now).ok_or(Error::NotFound("collection"))?;
    sync(store, &dir, &c, now)?;
    Ok((c, view, dir))
}

/// Key of an assignment.
pub fn assignment_key(collection: &str, user: &str) -> String {
    format!("{collection}\u{0}{user}")
}

/// The assignment of `user` to `collection`, if any.
pub fn assignment(store: &Store, collection: &str, user: &str) -> Result<Option<Assignment>> {
    store.assignments.get(assignment_key(collection, user))
}

// ---- creating and changing --------------------------------------------------------------------

/// A collection as asked for (create or replace).
#[derive(Debug, Clone)]
pub struct Draft {
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Items in order.
    pub items: Vec<CollectionItem>,
    /// Audience entries.
    pub audience: Vec<String>,
    /// Days to complete.
    pub due_days: u32,
}

/// Checks a draft: its fields, that the caller may read each item, and that every person of the
/// resolved audience may read the published version of each item (else 422 `item_not_readable`,
/// naming the item and up to ten of the people who could not read it).
fn check(store: &Store, who: &Caller, d: Draft, now: DateTime<Utc>) -> Result<Draft> {
    let name = d.name.trim().to_owned();
    if name.is_empty() {
        return Err(Error::invalid("name", "a name is required").because(Reason::Required));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(
            Error::invalid("name", format!("at most {MAX_NAME_CHARS} characters"))
                .because(Reason::TooLong)
                .with("limit", MAX_NAME_CHARS),
        );
    }
    let description = d.description.trim().to_owned();
    if description.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(Error::invalid(
            "description",
            format!("at most {MAX_DESCRIPTION_CHARS} characters"),
        )
        .because(Reason::TooLong)
        .with("limit", MAX_DESCRIPTION_CHARS));
    }
    if d.due_days == 0 || d.due_days > MAX_DUE_DAYS {
        return Err(
            Error::invalid("due_days", format!("between 1 and {MAX_DUE_DAYS} days"))
                .because(Reason::OutOfRange)
                .with("min", 1)
                .with("max", MAX_DUE_DAYS),
        );
    }
    if d.items.is_empty() {
        return Err(Error::invalid("items", "at least one document").because(Reason::Required));
    }
    if d.items.len() > MAX_ITEMS {
        return Err(
            Error::invalid("items", format!("at most {MAX_ITEMS} documents"))
                .because(Reason::TooMany)
                .with("limit", MAX_ITEMS),
        );
    }
    if d.audience.is_empty() {
        return Err(Error::invalid("audience", "name who it is for").because(Reason::Required));
    }
    if d.audience.len() > MAX_AUDIENCE {
        return Err(
            Error::invalid("audience", format!("at most {MAX_AUDIENCE} entries"))
                .because(Reason::TooMany)
                .with("limit", MAX_AUDIENCE),
        );
    }
    let dir = Directory::load(store)?;
    let mut audience: Vec<String> = Vec::new();
    for (i, a) in d.audience.iter().enumerate() {
        let field = format!("audience[{i}]");
        let entry = a.trim().to_owned();
        let known = match Audience::parse(&entry) {
            None => {
                return Err(Error::invalid(
                    field,
                    "write group:<id>, user:<id> or kind:employee|intern|external",
                )
                .because(Reason::NotOneOf)
                .with(
                    "allowed",
                    [
                        "group:<id>",
                        "user:<id>",
                        "kind:employee",
                        "kind:intern",
                        "kind:external",
                    ],
                ));
            }
            Some(Audience::Group(id)) => dir.groups.iter().any(|g| g.id == id),
            Some(Audience::User(id)) => dir.user(&id).is_some(),
            Some(Audience::Kind(_)) => true,
        };
        if !known {
            return Err(Error::invalid(field, format!("{entry} does not exist"))
                .because(Reason::UnknownPrincipal)
                .with("name", &entry));
        }
        if audience.contains(&entry) {
            return Err(Error::invalid(field, format!("{entry} is listed twice"))
                .because(Reason::Duplicate)
                .with("name", &entry));
        }
        audience.push(entry);
    }
    let me = who.subject();
    let people: Vec<(&User, Subject)> = dir
        .audience(&audience, now)
        .into_iter()
        .map(|u| (u, dir.subject(u)))
        .collect();
    let mut items: Vec<CollectionItem> = Vec::with_capacity(d.items.len());
    for (i, it) in d.items.iter().enumerate() {
        let field = format!("items[{i}].doc_id");
        let doc = if valid_id(&it.doc_id) {
            store.docs.get(&it.doc_id)?
        } else {
            None
        };
        let title = match &doc {
            Some(doc) => readable_published(store, &me, doc)?.map(|(_, t)| t),
            None => None,
        };
        let (Some(doc), Some(title)) = (doc, title) else {
            // Missing, unpublished or hidden from the caller: the same answer.
            return Err(Error::invalid(
                field,
                format!("no published document {} you can read", it.doc_id),
            )
            .because(Reason::NoSuch)
            .with("name", &it.doc_id));
        };
        if items.iter().any(|x| x.doc_id == it.doc_id) {
            return Err(
                Error::invalid(field, format!("《{title}》 is listed twice"))
                    .because(Reason::Duplicate)
                    .with("name", &title),
            );
        }
        let mut cannot: Vec<&User> = Vec::new();
        for (u, s) in &people {
            if readable_published(store, s, &doc)?.is_none() {
                cannot.push(u);
            }
        }
        if !cannot.is_empty() {
            let names: Vec<String> = cannot
                .iter()
                .take(MAX_NAMED)
                .map(|u| format!("{}（{}）", u.display_name, u.username))
                .collect();
            let more = if cannot.len() > MAX_NAMED {
                format!(" 等 {} 人", cannot.len())
            } else {
                String::new()
            };
            return Err(Error::rule(
                Code::ItemNotReadable,
                format!(
                    "第 {} 篇《{title}》有受众无法阅读：{}{more}。请先授予他们阅读权限，或从合集中移除该文档。",
                    i + 1,
                    names.join("、")
                ),
            )
            .with("index", i)
            .with("doc_id", &it.doc_id)
            .with("title", &title)
            .with("names", &names)
            .with("count", cannot.len()));
        }
        items.push(it.clone());
    }
    Ok(Draft {
        name,
        description,
        items,
        audience,
        due_days: d.due_days,
    })
}

/// Creates a collection (admins and space managers); its audience is assigned at once.
pub fn create(store: &Store, who: &Caller, d: Draft, now: DateTime<Utc>) -> Result<Collection> {
    if !may_curate(store, who)? {
        return Err(Error::Forbidden(
            "only administrators and space managers may create onboarding collections".into(),
        ));
    }
    let d = check(store, who, d, now)?;
    let c = Collection {
        id: new_id(),
        name: d.name,
        description: d.description,
        items: d.items,
        audience: d.audience,
        due_days: d.due_days,
        owner: who.id().to_owned(),
        created_at: now,
        updated_at: now,
    };
    let ev = Actor::of(who).event(
        store.next_seq()?,
        "collection.create",
        format!("collection:{}", c.id),
        "ok",
        Some(json!({"name": c.name, "items": c.items.len(), "audience": c.audience})),
    );
    store.transact(|tx| {
        tx.collections.put(&c.id, &c)?;
        tx_audit(tx, &ev)
    })?;
    sync(store, &Directory::load(store)?, &c, now)?;
    Ok(c)
}

/// Replaces a collection's name, description, items, audience and due days (its owner and
/// admins). Acknowledgements and assignment times stay.
pub fn replace(
    store: &Store,
    who: &Caller,
    id: &str,
    d: Draft,
    now: DateTime<Utc>,
) -> Result<Collection> {
    let (old, view, _) = load_visible(store, who, id, now)?;
    if view.role != Role::Manager {
        return Err(Error::Forbidden(
            "only its owner and administrators may change a collection".into(),
        ));
    }
    let d = check(store, who, d, now)?;
    let c = Collection {
        name: d.name,
        description: d.description,
        items: d.items,
        audience: d.audience,
        due_days: d.due_days,
        updated_at: now,
        ..old
    };
    let ev = Actor::of(who).event(
        store.next_seq()?,
        "collection.update",
        format!("collection:{id}"),
        "ok",
        Some(json!({"name": c.name, "items": c.items.len(), "audience": c.audience})),
    );
    store.transact(|tx| {
        if !tx.collections.contains(id)? {
            return abort(Error::NotFound("collection"));
        }
        tx.collections.put(id, &c)?;
        tx_audit(tx, &ev)
    })?;
    sync(store, &Directory::load(store)?, &c, now)?;
    Ok(c)
}

// ---- acknowledging ----------------------------------------------------------------------------

/// Records that the caller has read and understood the published version of an item ("我已阅读并
/// 理解"), in their assignment and in the audit log. Hidden collection, an item not in it or one
/// they cannot read: 404; a manager outside the audience: 403.
pub fn acknowledge(
    store: &Store,
    who: &Caller,
    id: &str,
    doc_id: &str,
    now: DateTime<Utc>,
) -> Result<(Collection, Ack)> {
    let (c, view, _) = load_visible(store, who, id, now)?;
    let doc = c
        .items
        .iter()
        .find(|i| i.doc_id == doc_id)
        .map(|_| store.docs.get(doc_id))
        .transpose()?
        .flatten()
        .ok_or(Error::NotFound("document"))?;
    let (version, _) =
        readable_published(store, &who.subject(), &doc)?.ok_or(Error::NotFound("document"))?;
    if !view.member {
        return Err(Error::Forbidden(
            "only the people this collection is for acknowledge its documents".into(),
        ));
    }
    let ack = Ack { version, at: now };
    let ev = Actor::of(who).event(
        store.next_seq()?,
        "collection.ack",
        format!("collection:{id}"),
        "ok",
        Some(json!({"doc_id": doc_id, "version": version, "acknowledged_at": now})),
    );
    let key = assignment_key(id, who.id());
    store.transact(|tx| {
        let Some(mut a) = tx.assignments.get(&key)? else {
            return abort(Error::NotFound("collection"));
        };
        a.acks.insert(doc_id.to_owned(), ack.clone());
        tx.assignments.put(&key, &a)?;
        tx_audit(tx, &ev)
    })?;
    Ok((c, ack))
}

// ---- assignments and reminders ----------------------------------------------------------------

fn note(
    seq: u64,
    c: &Collection,
    kind: NotificationKind,
    text: String,
    now: DateTime<Utc>,
) -> Notification {
    Notification {
        id: seq.to_string(),
        kind,
        text,
        link: format!("#/learn/{}", c.id),
        created_at: now,
        read: false,
        review_id: None,
        doc_id: None,
        collection_id: Some(c.id.clone()),
        count: 0,
    }
}

/// One reminder to write: the assignment after it and the notice.
struct Reminder {
    key: String,
    user: String,
    seq: u64,
    mark: Vec<&'static str>,
    assign: Option<Assignment>,
    note: Notification,
}

fn tx_remind(tx: &Tx<'_>, r: &Reminder) -> TxResult<bool> {
    let a = match (tx.assignments.get(&r.key)?, &r.assign) {
        (None, Some(new)) => new.clone(),
        (Some(_), Some(_)) | (None, None) => return Ok(false), // someone else was first
        (Some(mut a), None) => {
            if r.mark.iter().any(|m| a.reminded.iter().any(|x| x == m)) {
                return Ok(false);
            }
            a.reminded.extend(r.mark.iter().map(|m| (*m).to_owned()));
            a
        }
    };
    tx.assignments.put(&r.key, &a)?;
    tx.notifications.put(&r.user, r.seq, &r.note)?;
    Ok(true)
}

/// Brings one collection up to date at `now`: assigns the people newly in its audience (with an
/// inbox notice) and sends the due reminders (three days before the due date, and once overdue)
/// to those not yet done. Each notice goes once, even when two requests race. Returns how many
/// were sent.
pub fn sync(store: &Store, dir: &Directory, c: &Collection, now: DateTime<Utc>) -> Result<usize> {
    let mut todo: Vec<Reminder> = Vec::new();
    let mut items: Option<Items> = None;
    for u in dir.audience(&c.audience, now) {
        let key = assignment_key(&c.id, &u.id);
        let Some(a) = store.assignments.get(&key)? else {
            let a = Assignment {
                collection_id: c.id.clone(),
                user_id: u.id.clone(),
                assigned_at: now,
                acks: Default::default(),
                reminded: vec![ASSIGNED.to_owned()],
            };
            let text = format!(
                "你有新的入职学习《{}》，请在 {} 前完成",
                c.name,
                due(c, &a).format("%Y-%m-%d")
            );
            let seq = store.next_seq()?;
            todo.push(Reminder {
                key,
                user: u.id.clone(),
                seq,
                mark: vec![],
                note: note(seq, c, NotificationKind::CollectionAssigned, text, now),
                assign: Some(a),
            });
            continue;
        };
        let due_at = due(c, &a);
        let has = |m: &str| a.reminded.iter().any(|x| x == m);
        let overdue = now >= due_at && !has(OVERDUE);
        let soon = !overdue
            && now >= due_at - Duration::days(DUE_SOON_DAYS)
            && now < due_at
            && !has(DUE_SOON)
            && !has(OVERDUE);
        if !overdue && !soon {
            continue;
        }
        if items.is_none() {
            items = Some(Items::load(store, c)?);
        }
        let st = standing(
            store,
            &dir.subject(u),
            items.as_ref().expect("loaded"),
            Some(&a),
        )?;
        if st.done >= st.required {
            continue;
        }
        let left = st.required - st.done;
        let day = due_at.format("%Y-%m-%d");
        let (kind, mark, text) = if overdue {
            (
                NotificationKind::CollectionOverdue,
                vec![OVERDUE, DUE_SOON],
                format!(
                    "入职学习《{}》已于 {day} 逾期，还有 {left} 篇必读未确认",
                    c.name
                ),
            )
        } else {
            (
                NotificationKind::CollectionDueSoon,
                vec![DUE_SOON],
                format!(
                    "入职学习《{}》将于 {day} 到期，还有 {left} 篇必读未确认",
                    c.name
                ),
            )
        };
        let mark: Vec<&'static str> = mark.into_iter().filter(|m| !has(m)).collect();
        let seq = store.next_seq()?;
        todo.push(Reminder {
            key,
            user: u.id.clone(),
            seq,
            mark,
            assign: None,
            note: note(seq, c, kind, text, now),
        });
    }
    let mut sent = 0;
    for r in &todo {
        if store.transact(|tx| tx_remind(tx, r))? {
            sent += 1;
        }
    }
    Ok(sent)
}

/// [`sync`] for every collection. Called when inboxes and collections are read, and by
/// [`reminders`].
pub fn catch_up(store: &Store, now: DateTime<Utc>) -> Result<usize> {
    if store.collections.is_empty() {
        return Ok(0);
    }
    let dir = Directory::load(store)?;
    let mut sent = 0;
    for c in store.collections.values() {
        sent += sync(store, &dir, &c?, now)?;
    }
    Ok(sent)
}

/// Sends due reminders every ten minutes, whether or not anyone reads their inbox.
pub async fn reminders(state: crate::AppState) {
    loop {
        tokio::time::sleep(std::time::Duration::from_secs(600)).await;
        let st = state.clone();
        let sent = tokio::task::spawn_blocking(move || catch_up(&st.store, st.clock.now())).await;
        match sent {
            Ok(Ok(n)) if n > 0 => {
                let _ = state.store.flush().await;
                tracing::info!(sent = n, "onboarding reminders");
            }
            Ok(Err(e)) => tracing::warn!(error = %e, "onboarding reminders"),
            _ => {}
        }
    }
}

// ---- listing and progress ---------------------------------------------------------------------

/// A person's row in a collection's progress.
#[derive(Debug, Clone)]
pub struct Row {
    /// The account.
    pub user: User,
    /// When assigned.
    pub assigned_at: DateTime<Utc>,
    /// Due.
    pub due: DateTime<Utc>,
    /// Where they stand.
    pub standing: Standing,
}

impl Row {
    /// Past due and not done.
    pub fn overdue(&self, now: DateTime<Utc>) -> bool {
        now >= self.due && self.standing.done < self.standing.required
    }
}

/// The progress of the people the caller may see (everyone for managers, their department for
/// a head, themselves for a person), by login.
pub fn progress(
    store: &Store,
    who: &Caller,
    id: &str,
    now: DateTime<Utc>,
) -> Result<(Collection, View, Items, Vec<Row>)> {
    let (c, view, dir) = load_visible(store, who, id, now)?;
    let items = Items::load(store, &c)?;
    let mut rows = Vec::new();
    for u in dir.audience(&c.audience, now) {
        if !view.people.contains(&u.id) {
            continue;
        }
        let Some(a) = assignment(store, &c.id, &u.id)? else {
            continue;
        };
        let standing = standing(store, &dir.subject(u), &items, Some(&a))?;
        rows.push(Row {
            user: u.clone(),
            assigned_at: a.assigned_at,
            due: due(&c, &a),
            standing,
        });
    }
    Ok((c, view, items, rows))
}

/// Required reading over the collections the caller manages or heads (admins: all), for the
/// dashboard: (collections, required items assigned over all people, of those acknowledged).
/// Counts only, no names: the per-person lists stay on each collection's progress page.
pub fn completion(store: &Store, who: &Caller, now: DateTime<Utc>) -> Result<(u64, u64, u64)> {
    let dir = Directory::load(store)?;
    let (mut collections, mut required, mut done) = (0u64, 0u64, 0u64);
    for c in store.collections.values() {
        let c = c?;
        let Some(view) = view_of(&dir, who, &c, now) else {
            continue;
        };
        if view.role == Role::Member {
            continue;
        }
        collections += 1;
        let (_, _, _, rows) = progress(store, who, &c.id, now)?;
        for r in rows {
            required += r.standing.required as u64;
            done += r.standing.done as u64;
        }
    }
    Ok((collections, required, done))
}

/// A collection in the caller's lists.
pub struct Listed {
    /// The collection.
    pub collection: Collection,
    /// How the caller sees it.
    pub view: View,
    /// The caller's own row, when assigned.
    pub mine: Option<Row>,
    /// People in the audience the caller may see, done, overdue (managers and heads).
    pub counts: (usize, usize, usize),
}

/// Every collection the caller may see, after bringing assignments up to date.
pub fn list(store: &Store, who: &Caller, now: DateTime<Utc>) -> Result<Vec<Listed>> {
    let dir = Directory::load(store)?;
    let mut out = Vec::new();
    for c in store.collections.values() {
        let c = c?;
        let Some(view) = view_of(&dir, who, &c, now) else {
            continue;
        };
        sync(store, &dir, &c, now)?;
        let items = Items::load(store, &c)?;
        let mut mine = None;
        let mut counts = (0, 0, 0);
        for u in dir.audience(&c.audience, now) {
            let me = u.id == who.id();
            if !me && (view.role == Role::Member || !view.people.contains(&u.id)) {
                continue;
            }
            let Some(a) = assignment(store, &c.id, &u.id)? else {
                continue;
            };
            let row = Row {
                user: u.clone(),
                assigned_at: a.assigned_at,
                due: due(&c, &a),
                standing: standing(store, &dir.subject(u), &items, Some(&a))?,
            };
            if view.role != Role::Member && view.people.contains(&u.id) {
                counts.0 += 1;
                if row.standing.done >= row.standing.required {
                    counts.1 += 1;
                }
                if row.overdue(now) {
                    counts.2 += 1;
                }
            }
            if me {
                mine = Some(row);
            }
        }
        out.push(Listed {
            collection: c,
            view,
            mine,
            counts,
        });
    }
    out.sort_by_key(|l| std::cmp::Reverse(l.collection.created_at));
    Ok(out)
}

/// The caller's standing in a visible collection (None when not assigned).
pub fn my_standing(
    store: &Store,
    who: &Caller,
    c: &Collection,
    items: &Items,
) -> Result<(Option<Assignment>, Standing)> {
    let a = assignment(store, &c.id, who.id())?;
    let st = standing(store, &who.subject(), items, a.as_ref())?;
    Ok((a, st))
}

/// Progress as CSV (UTF-8 with a byte-order mark, so Excel reads Chinese correctly): one row per
/// person. Cells that a spreadsheet would take for a formula are prefixed with `'`.
pub fn csv(rows: &[Row], now: DateTime<Utc>) -> Vec<u8> {
    fn cell(s: &str) -> String {
        let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
            format!("'{s}")
        } else {
            s.to_owned()
        };
        if s.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s
        }
    }
    let mut out = String::from("\u{feff}");
    out.push_str("用户ID,用户名,姓名,必读,已完成,截止时间,是否逾期,最近活动\r\n");
    for r in rows {
        let line = [
            cell(&r.user.id),
            cell(&r.user.username),
            cell(&r.user.display_name),
            r.standing.required.to_string(),
            r.standing.done.to_string(),
            r.due.to_rfc3339(),
            if r.overdue(now) { "是" } else { "否" }.to_owned(),
            r.standing
                .last_activity
                .map(|t| t.to_rfc3339())
                .unwrap_or_default(),
        ];
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audience_entries_parse_strictly() {
        let id = "0123456789abcdef0123456789abcdef";
        assert_eq!(
            Audience::parse(&format!("group:{id}")),
            Some(Audience::Group(id.into()))
        );
        assert_eq!(
            Audience::parse("kind:intern"),
            Some(Audience::Kind(AccountKind::Intern))
        );
        assert_eq!(Audience::parse("kind:boss"), None);
        assert_eq!(Audience::parse("user:xyz"), None);
        assert_eq!(Audience::parse("everyone"), None);
    }
}
