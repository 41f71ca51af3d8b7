//! Documents as a caller sees and changes them: every permission check of the document routes,
//! on a plain [`Caller`]. The storage-level operations these build on (versions, transactions,
//! the outbox) are in the parent module and check nothing; everything a request does to a
//! document comes through here.
//!
//! The answers follow one rule: a document, version, space or category the caller may not see
//! answers exactly as one that does not exist (404), so that nothing hidden can be probed; one the
//! caller sees but may not change answers 403.

use chrono::Utc;

use crate::{
    domain::{
        merge::{self, Merged},
        permission::{Action, Decision, Scopes, Subject},
    },
    error::{Error, Reason, Result},
    model::{Doc, DocKind, DocStatus},
    service::{
        Caller,
        access::{self, load_space},
        collab,
    },
    store::Store,
};

use super::{Actor, DocContent, FullVersion, NewDoc, Saved, Update, VersionInfo};

/// Does a new version in this place need a review before readers see it? The nearest category
/// with a policy decides, else the space's.
pub fn needs_review(store: &Store, space_id: &str, category_id: Option<&str>) -> Result<bool> {
    let chain = access::chain(store, category_id)?;
    for c in chain.iter().rev() {
        if let Some(p) = &c.review_policy {
            return Ok(!p.stages.is_empty());
        }
    }
    let space = load_space(store, space_id)?;
    Ok(space
        .review_policy
        .as_ref()
        .is_some_and(|p| !p.stages.is_empty()))
}

/// The answer for a space or category named in a request that does not exist. To anyone from
/// whom something may be hidden it is the 404 a hidden one gets, so that the two cannot be told
/// apart; an administrator, who sees everything, gets a plain validation error on the field.
fn no_such(who: &Subject, field: &str, what: &'static str) -> Error {
    if who.is_effective_admin(Utc::now()) {
        Error::invalid(field, format!("no such {what}")).because(Reason::NoSuch)
    } else {
        Error::NotFound(what)
    }
}

/// Checks that a category the caller may read exists in the given space. A category that does not
/// exist and one the caller may not read (in any space) answer alike: 404 `category` (see
/// [`no_such`]).
fn check_category(
    store: &Store,
    who: &Subject,
    space_id: &str,
    category_id: Option<&str>,
) -> Result<()> {
    if let Some(c) = category_id {
        let cat = access::load_category(store, c).map_err(|e| match e {
            Error::NotFound(_) => no_such(who, "category_id", "category"),
            e => e,
        })?;
        let space = load_space(store, &cat.space_id)?;
        if access::decide_at(store, who, Action::Read, &space, Some(&cat.id))? != Decision::Allow {
            return Err(Error::NotFound("category"));
        }
        if cat.space_id != space_id {
            return Err(
                Error::invalid("category_id", "the category belongs to another space")
                    .because(Reason::OtherSpace),
            );
        }
    }
    Ok(())
}

/// What a caller asks to create.
pub struct CreateInput {
    /// The space.
    pub space_id: String,
    /// The category, or none at the space root.
    pub category_id: Option<String>,
    /// Validated content.
    pub content: DocContent,
    /// Validated save message of version 1.
    pub message: String,
    /// A record's type (its content built from fields by `service::records::content`).
    pub record_type: Option<String>,
    /// The id, when chosen beforehand (uploads link their files to each other).
    pub id: Option<String>,
}

/// Creates a document (version 1) where the caller may create. A space or category that does not
/// exist and one hidden from the caller answer alike (404); a visible place where the caller may
/// not create answers 403.
pub fn create(store: &Store, who: &Caller, new: CreateInput) -> Result<Doc> {
    let subject = who.subject();
    let space = load_space(store, &new.space_id).map_err(|e| match e {
        Error::NotFound(_) => no_such(&subject, "space_id", "space"),
        e => e,
    })?;
    let scopes = access::readable_scopes(store, &subject)?;
    if !access::space_visible(store, &subject, &space, &scopes)? {
        return Err(Error::NotFound("space"));
    }
    check_category(store, &subject, &space.id, new.category_id.as_deref())?;
    let what = if new.category_id.is_some() {
        "category"
    } else {
        "space"
    };
    let allowed = access::require_at(
        store,
        &subject,
        Action::Create,
        &space,
        new.category_id.as_deref(),
        what,
    );
    if let Err(refused) = allowed {
        // A record grant lets its holder (an external guest too) create records of its types
        // here, and nothing more.
        let granted = match &new.record_type {
            Some(t) if !matches!(refused, Error::NotFound(_)) => {
                access::record_types_at(store, &subject, &space, new.category_id.as_deref())?
                    .contains(t)
            }
            _ => false,
        };
        if !granted {
            return Err(refused);
        }
    }
    let needs_review = needs_review(store, &space.id, new.category_id.as_deref())?;
    let id = new.id.clone().unwrap_or_else(crate::model::new_id);
    let doc = super::create_as(
        store,
        &Actor::of(who),
        NewDoc {
            space_id: space.id.clone(),
            category_id: new.category_id,
            content: new.content,
            kind: if new.record_type.is_some() {
                DocKind::Record
            } else {
                DocKind::Doc
            },
            record_type: new.record_type,
            needs_review,
            message: new.message,
            import_key: None,
        },
        id,
    )?;
    after_publish(store, who, &doc, "");
    Ok(doc)
}

/// After a save that committed: watchers and newly mentioned readers hear of a published version
/// (best effort; the save stands either way).
fn after_publish(store: &Store, who: &Caller, doc: &Doc, previous_body: &str) {
    crate::service::webhooks::published(store, doc);
    if doc.published_version == Some(doc.version) {
        collab::published(store, who.id(), doc, doc.version, previous_body);
    }
}

/// A document the caller may see, with how they see it.
pub struct Readable {
    /// The head (the stored document).
    pub head: Doc,
    /// May the caller edit it (and so see its head)?
    pub may_edit: bool,
    /// The newest version the caller may see: the head for editors, else the published one.
    pub visible: u64,
}

/// Loads a document the caller may see ([`access::seen`]). Hidden, trashed, never published or
/// published elsewhere (for readers) -> 404, like an id that names nothing.
pub fn readable(store: &Store, who: &Caller, id: &str) -> Result<Readable> {
    let head = super::load(store, id)?;
    let seen = access::seen(store, &who.subject(), &head)?.ok_or(Error::NotFound("document"))?;
    Ok(Readable {
        head,
        may_edit: seen.may_edit,
        visible: seen.version,
    })
}

impl Readable {
    /// The document as the caller should see it: the head for those who may edit it, else the
    /// published version (rebuilt: CPU work when it is not the head). With whether they may edit.
    pub fn into_view(self, store: &Store) -> Result<(Doc, bool)> {
        if self.visible == self.head.version {
            Ok((self.head, self.may_edit))
        } else {
            Ok((
                super::published_view(store, self.head, self.visible)?,
                false,
            ))
        }
    }
}

/// Loads a document the caller may read, as the caller should see it (see
/// [`Readable::into_view`]).
pub fn visible(store: &Store, who: &Caller, id: &str) -> Result<(Doc, bool)> {
    readable(store, who, id)?.into_view(store)
}

/// What a caller asks to save.
pub struct SaveInput {
    /// Validated content.
    pub content: DocContent,
    /// Move to this category (`Some(None)`: the space root); None: stay.
    pub category_id: Option<Option<String>>,
    /// The version this one was edited from.
    pub base_version: u64,
    /// Validated save message.
    pub message: String,
    /// On a direct publish: everyone who acknowledged an older version (onboarding) must
    /// acknowledge again.
    pub reconfirm: bool,
    /// A stale base is merged three-way with what was saved since, when the edits do not overlap.
    pub merge: bool,
    /// The body size limit (the merged body is checked against it).
    pub max_body_bytes: usize,
    /// A record's new fields (its content is built from them once the caller may edit; the
    /// title in `content` is kept only when given).
    pub record: Option<RecordInput>,
}

/// The fields of a record save.
pub struct RecordInput {
    /// The fields.
    pub fields: serde_json::Value,
    /// Whether the title was given (else it is taken from the fields).
    pub title_given: bool,
}

/// A record is saved with its fields and an ordinary document with its body: the other way
/// round is refused (422 on `fields` or `body`). Builds a record's content from its fields.
fn record_content(store: &Store, doc: &Doc, input: &mut SaveInput) -> Result<()> {
    match (doc.kind, input.record.take()) {
        (DocKind::Record, Some(r)) => {
            let kind = doc.record_type.clone().unwrap_or_default();
            input.content = crate::service::records::content(
                store,
                &kind,
                &r.fields,
                r.title_given.then_some(input.content.title.as_str()),
                &input.content.tags,
                input.max_body_bytes,
            )?;
            Ok(())
        }
        (DocKind::Record, None) => Err(Error::invalid(
            "fields",
            "a record is saved with its fields, not a body",
        )
        .because(Reason::Required)
        .unprocessable()),
        (DocKind::Doc, Some(_)) => Err(Error::invalid(
            "fields",
            "only records have fields; save a document with its body",
        )
        .because(Reason::BadValue)
        .unprocessable()),
        (DocKind::Doc, None) => Ok(()),
    }
}

/// How often a merged save is tried again when yet another version lands while it is merged.
const MERGE_ATTEMPTS: usize = 3;

/// Saves a new version of a document the caller may edit; a move to another category also needs
/// the right to create there.
pub fn save(store: &Store, who: &Caller, id: &str, mut input: SaveInput) -> Result<Saved> {
    let doc = super::load_meta(store, id)?;
    let subject = who.subject();
    access::require_seen_doc(store, &subject, Action::Edit, &doc)?;
    record_content(store, &doc, &mut input)?;
    let target_category = input
        .category_id
        .clone()
        .unwrap_or_else(|| doc.category_id.clone());
    if target_category != doc.category_id {
        check_category(store, &subject, &doc.space_id, target_category.as_deref())?;
        let space = load_space(store, &doc.space_id)?;
        access::require_at(
            store,
            &subject,
            Action::Create,
            &space,
            target_category.as_deref(),
            "category",
        )?;
    }
    let needs_review = needs_review(store, &doc.space_id, target_category.as_deref())?;
    // Mentions new since the version before are told on publish: that text is only needed when
    // the new one mentions anyone.
    let previous_body = if input.content.body.contains('@') {
        store.bodies.get(id)?.unwrap_or_default()
    } else {
        String::new()
    };
    let update = |input: SaveInput| {
        let saved = super::update(
            store,
            &Actor::of(who),
            id,
            Update {
                content: input.content,
                category_id: input.category_id,
                base_version: input.base_version,
                message: input.message,
                needs_review,
                action: "document.update",
                reconfirm: input.reconfirm,
            },
        )?;
        if saved.changed {
            after_publish(store, who, &saved.doc, &previous_body);
        }
        Ok::<Saved, Error>(saved)
    };
    if !input.merge || input.base_version == doc.version {
        return update(input);
    }
    for _ in 0..MERGE_ATTEMPTS {
        let head = super::load(store, id)?;
        if head.deleted.is_some() {
            return Err(Error::NotFound("document"));
        }
        let merged = merged_onto(store, &subject, &head, &input)?;
        match update(merged) {
            Ok(saved) => {
                return Ok(Saved {
                    merged: saved.changed,
                    ..saved
                });
            }
            // Yet another version landed: merge again onto it.
            Err(Error::EditConflict { .. }) => continue,
            Err(e) => return Err(e),
        }
    }
    let head = super::load_meta(store, id)?;
    Err(Error::EditConflict {
        current_version: head.version,
        detail: None,
    })
}

/// A field both sides changed differently.
#[derive(Debug, serde::Serialize)]
struct FieldConflict<T> {
    field: &'static str,
    base: T,
    theirs: T,
    mine: T,
}

/// One side's change of a field wins when only that side changed it; both changed it
/// differently is a conflict.
fn pick<T: Clone + PartialEq + serde::Serialize>(
    field: &'static str,
    base: &T,
    theirs: &T,
    mine: &T,
    conflicts: &mut Vec<serde_json::Value>,
) -> T {
    if mine == base || mine == theirs {
        return theirs.clone();
    }
    if theirs != base {
        conflicts.push(serde_json::json!(FieldConflict {
            field,
            base,
            theirs,
            mine,
        }));
    }
    mine.clone()
}

/// The save `input` (edited from a version older than `head`) merged three-way onto `head`, or
/// `edit_conflict` with the conflicting parts when edits overlap. The base must be a version the
/// caller may read (it is the one they edited from); otherwise there is nothing to merge against.
fn merged_onto(store: &Store, who: &Subject, head: &Doc, input: &SaveInput) -> Result<SaveInput> {
    let n = input.base_version;
    let stale = || Error::EditConflict {
        current_version: head.version,
        detail: None,
    };
    if n == 0
        || n > head.version
        || !access::VersionPlaces::new(store, who, head)?.may_read_version(&head.id, n)?
    {
        return Err(stale());
    }
    let base = super::version(store, head, n)?;
    if head.kind == DocKind::Record {
        return merged_record(store, head, &base, input);
    }
    let mine = &input.content;
    let mut fields = Vec::new();
    let title = pick("title", &base.title, &head.title, &mine.title, &mut fields);
    let tags = pick("tags", &base.tags, &head.tags, &mine.tags, &mut fields);
    let my_category = input
        .category_id
        .clone()
        .unwrap_or_else(|| base.category_id.clone());
    let category = pick(
        "category_id",
        &base.category_id,
        &head.category_id,
        &my_category,
        &mut fields,
    );
    let merged = merge::merge3(&base.body, &head.body, &mine.body);
    let body = match (&merged, fields.is_empty()) {
        (Merged::Clean(body), true) => body.clone(),
        _ => {
            let conflicts = merged.conflicts();
            let parts = match merged {
                Merged::Clean(text) => vec![merge::Part::Clean { text }],
                Merged::Conflicts(parts) => parts,
            };
            let author_name = store
                .users
                .get(&head.updated_by)?
                .map_or_else(|| head.updated_by.clone(), |u| u.display_name);
            let mut detail = serde_json::Map::new();
            detail.insert("base_version".into(), serde_json::json!(n));
            detail.insert("conflicts".into(), serde_json::json!(conflicts));
            detail.insert("parts".into(), serde_json::json!(parts));
            detail.insert("fields".into(), serde_json::Value::Array(fields));
            detail.insert(
                "current".into(),
                serde_json::json!({
                    "version": head.version,
                    "author": head.updated_by,
                    "author_name": author_name,
                    "updated_at": head.updated_at,
                    "title": head.title,
                    "tags": head.tags,
                }),
            );
            return Err(Error::EditConflict {
                current_version: head.version,
                detail: Some(Box::new(detail)),
            });
        }
    };
    let content = super::validate(&title, &body, &tags, input.max_body_bytes)?;
    let message = if input.message.is_empty() {
        format!("与版本 {} 合并", head.version)
    } else {
        input.message.clone()
    };
    Ok(SaveInput {
        content,
        category_id: (category != head.category_id).then_some(category),
        base_version: head.version,
        message,
        reconfirm: input.reconfirm,
        merge: false,
        max_body_bytes: input.max_body_bytes,
        record: None,
    })
}

/// A record's save merged onto `head` field by field: a top-level field changed on one side
/// only takes that side's value; changed differently on both, it is a conflict (409 with
/// `fields`). The merged fields must still follow the type.
fn merged_record(
    store: &Store,
    head: &Doc,
    base: &super::FullVersion,
    input: &SaveInput,
) -> Result<SaveInput> {
    let fields_of = |body: &str| {
        crate::records::split(body)
            .1
            .map(|(_, f)| f)
            .unwrap_or(serde_json::Value::Null)
    };
    let (b, t, m) = (
        fields_of(&base.body),
        fields_of(&head.body),
        fields_of(&input.content.body),
    );
    let mut conflicts = Vec::new();
    let mut keys: Vec<&String> = Vec::new();
    for v in [&b, &t, &m] {
        for k in v.as_object().into_iter().flat_map(|o| o.keys()) {
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
    }
    let null = serde_json::Value::Null;
    let mut merged = serde_json::Map::new();
    for k in keys {
        let (x, y, z) = (
            b.get(k).unwrap_or(&null),
            t.get(k).unwrap_or(&null),
            m.get(k).unwrap_or(&null),
        );
        let v = if z == x || z == y {
            y
        } else if y == x {
            z
        } else {
            conflicts.push(serde_json::json!({"field": k, "base": x, "theirs": y, "mine": z}));
            z
        };
        if !v.is_null() {
            merged.insert(k.clone(), v.clone());
        }
    }
    let title = pick(
        "title",
        &base.title,
        &head.title,
        &input.content.title,
        &mut conflicts,
    );
    let tags = pick(
        "tags",
        &base.tags,
        &head.tags,
        &input.content.tags,
        &mut conflicts,
    );
    if !conflicts.is_empty() {
        let author_name = store
            .users
            .get(&head.updated_by)?
            .map_or_else(|| head.updated_by.clone(), |u| u.display_name);
        let mut detail = serde_json::Map::new();
        detail.insert("base_version".into(), serde_json::json!(base.version));
        detail.insert("conflicts".into(), serde_json::json!(conflicts.len()));
        detail.insert("fields".into(), serde_json::Value::Array(conflicts));
        detail.insert(
            "current".into(),
            serde_json::json!({
                "version": head.version,
                "author": head.updated_by,
                "author_name": author_name,
                "updated_at": head.updated_at,
            }),
        );
        return Err(Error::EditConflict {
            current_version: head.version,
            detail: Some(Box::new(detail)),
        });
    }
    let kind = head.record_type.clone().unwrap_or_default();
    let content = crate::service::records::content(
        store,
        &kind,
        &serde_json::Value::Object(merged),
        Some(&title),
        &tags,
        input.max_body_bytes,
    )?;
    Ok(SaveInput {
        content,
        category_id: input.category_id.clone(),
        base_version: head.version,
        message: if input.message.is_empty() {
            format!("与版本 {} 合并", head.version)
        } else {
            input.message.clone()
        },
        reconfirm: input.reconfirm,
        merge: false,
        max_body_bytes: input.max_body_bytes,
        record: None,
    })
}

/// Restores an old version as a new one (rebuilding it is CPU work: call from the pool). A version
/// that lived where the caller may not read is, to them, no version at all; moving back to its old
/// category needs the same right as a move on save.
pub fn restore(
    store: &Store,
    who: &Caller,
    id: &str,
    version: u64,
    base_version: Option<u64>,
) -> Result<Saved> {
    let head = super::load(store, id)?;
    let subject = who.subject();
    access::require_seen_doc(store, &subject, Action::Edit, &head)?;
    if version == 0
        || version > head.version
        || !access::VersionPlaces::new(store, &subject, &head)?.may_read_version(id, version)?
    {
        return Err(Error::invalid("version", "no such version").because(Reason::NoSuch));
    }
    let old = super::version(store, &head, version)?;
    let category_id = old
        .category_id
        .clone()
        .filter(|c| access::load_category(store, c).is_ok());
    if category_id != head.category_id {
        let space = load_space(store, &head.space_id)?;
        access::require_at(
            store,
            &subject,
            Action::Create,
            &space,
            category_id.as_deref(),
            "category",
        )?;
    }
    let content = DocContent {
        title: old.title,
        body: old.body,
        tags: old.tags,
    };
    let needs_review = needs_review(store, &head.space_id, category_id.as_deref())?;
    let saved = super::update(
        store,
        &Actor::of(who),
        id,
        Update {
            content,
            category_id: Some(category_id),
            base_version: base_version.unwrap_or(head.version),
            message: format!("恢复到版本 {version}"),
            needs_review,
            action: "document.restore",
            reconfirm: false,
        },
    )?;
    if saved.changed {
        after_publish(store, who, &saved.doc, &head.body);
    }
    Ok(saved)
}

/// Saves a ticked action item as a new version of `head` (the document as loaded for it), in
/// place, reviewed where its place asks for review. `service::actions::set_done` decided that
/// the caller may: an editor of the document, or the item's owner who reads it.
pub fn save_tick(
    store: &Store,
    who: &Caller,
    head: &Doc,
    content: DocContent,
    message: String,
) -> Result<Saved> {
    let needs_review = needs_review(store, &head.space_id, head.category_id.as_deref())?;
    let saved = super::update(
        store,
        &Actor::of(who),
        &head.id,
        Update {
            content,
            category_id: None,
            base_version: head.version,
            message,
            needs_review,
            action: "action_item.tick",
            reconfirm: false,
        },
    )?;
    if saved.changed {
        after_publish(store, who, &saved.doc, &head.body);
    }
    Ok(saved)
}

/// Moves a document the caller may delete to the trash.
pub fn trash(store: &Store, who: &Caller, id: &str) -> Result<Doc> {
    let doc = super::load_meta(store, id)?;
    access::require_seen_doc(store, &who.subject(), Action::Delete, &doc)?;
    super::set_deleted(store, &Actor::of(who), id, true)
}

/// Brings a document back from the trash. A trashed document is hidden from those who may not see
/// the trash there, and one not in the trash from those who may not see it: either way 404, like
/// an id that names nothing.
pub fn undelete(store: &Store, who: &Caller, id: &str) -> Result<Doc> {
    let doc = super::load_meta(store, id)?;
    let subject = who.subject();
    if doc.deleted.is_some() {
        access::require_trashed_doc(store, &subject, Action::Delete, &doc)?;
    } else {
        access::require_seen_doc(store, &subject, Action::Delete, &doc)?;
    }
    super::set_deleted(store, &Actor::of(who), id, false)
}

/// The history the caller may read, newest first: versions up to the newest they may see, and
/// none that lived where they may not read.
pub fn history(store: &Store, who: &Caller, id: &str) -> Result<Vec<VersionInfo>> {
    let r = readable(store, who, id)?;
    let subject = who.subject();
    let mut places = access::VersionPlaces::new(store, &subject, &r.head)?;
    let mut list = Vec::new();
    for v in super::history(store, id)? {
        if v.version <= r.visible && places.may_read(v.category_id.as_deref())? {
            list.push(v);
        }
    }
    Ok(list)
}

/// Checks that the caller may read each of these versions of a document and returns its head
/// (to rebuild them from). A version they may not read answers 404 `version`, like one that does
/// not exist.
pub fn readable_versions(store: &Store, who: &Caller, id: &str, ns: &[u64]) -> Result<Doc> {
    let r = readable(store, who, id)?;
    let subject = who.subject();
    let mut places = access::VersionPlaces::new(store, &subject, &r.head)?;
    for &n in ns {
        if n == 0 || n > r.visible || !places.may_read_version(id, n)? {
            return Err(Error::NotFound("version"));
        }
    }
    Ok(r.head)
}

/// One version the caller may read, rebuilt (CPU work: call from the pool).
pub fn readable_version(store: &Store, who: &Caller, id: &str, n: u64) -> Result<FullVersion> {
    let head = readable_versions(store, who, id, &[n])?;
    super::version(store, &head, n)
}

/// Marks or unmarks a favourite. Marking needs a document the caller may read; unmarking never
/// does (a favourite whose document became hidden can still be dropped).
pub fn set_favourite(store: &Store, who: &Caller, id: &str, on: bool) -> Result<()> {
    if on {
        readable(store, who, id)?;
    }
    super::set_favourite(store, who, id, on)
}

/// The documents with these ids that the caller may read, as they should see them (published
/// view for readers); hidden ones are left out.
fn visible_docs(
    store: &Store,
    who: &Caller,
    ids: impl Iterator<Item = String>,
) -> Result<Vec<Doc>> {
    let mut out = Vec::new();
    for id in ids {
        match visible(store, who, &id) {
            Ok((doc, _)) => out.push(doc),
            Err(Error::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// The caller's favourites they may still read, newest mark first as stored.
pub fn favourites(store: &Store, who: &Caller) -> Result<Vec<Doc>> {
    let ids = store
        .favourites
        .of_user(who.id())?
        .into_iter()
        .map(|(doc, _)| doc);
    visible_docs(store, who, ids)
}

/// Every document record (metadata only) matching a predicate.
fn scan_docs(store: &Store, mut keep: impl FnMut(&Doc) -> bool) -> Result<Vec<Doc>> {
    let mut out = Vec::new();
    for d in store.docs.values() {
        let d = d?;
        if keep(&d) {
            out.push(d);
        }
    }
    Ok(out)
}

/// Filters of the document list.
pub struct ListFilter<'a> {
    /// Only this space.
    pub space_id: Option<&'a str>,
    /// Only this category (not its children).
    pub category_id: Option<&'a str>,
    /// By title (else last changed first).
    pub by_title: bool,
}

/// The documents the caller may read, as they should see them: readers the published version
/// (and only documents with one they may read), editors also drafts. Sorted as asked.
pub fn list(store: &Store, who: &Caller, f: &ListFilter<'_>) -> Result<Vec<Doc>> {
    let subject = who.subject();
    let scopes = access::readable_scopes(store, &subject)?;
    let mut docs = scan_docs(store, |d| {
        d.deleted.is_none()
            && f.space_id.is_none_or(|s| s == d.space_id)
            && f.category_id
                .is_none_or(|c| Some(c) == d.category_id.as_deref())
            && scopes.contains(&access::scope_of(d))
    })?;
    let mut visible = Vec::with_capacity(docs.len());
    for d in docs.drain(..) {
        let sees_head = d.published_version == Some(d.version)
            || matches!(*scopes, Scopes::All)
            || access::allowed_doc(store, &subject, Action::Edit, &d)?;
        if sees_head {
            visible.push(d);
        } else if let Some(p) = d.published_version {
            // The published version may have lived where this reader may not read.
            if !access::VersionPlaces::new(store, &subject, &d)?.may_read_version(&d.id, p)? {
                continue;
            }
            let full = super::load(store, &d.id)?;
            visible.push(super::published_view(store, full, p)?);
        }
    }
    if f.by_title {
        visible.sort_by(|a, b| a.title.cmp(&b.title));
    } else {
        visible.sort_by_key(|d| std::cmp::Reverse(d.updated_at));
    }
    Ok(visible)
}

/// Documents in the trash the caller may restore, most recently deleted first.
pub fn trash_list(store: &Store, who: &Caller) -> Result<Vec<Doc>> {
    let subject = who.subject();
    let mut items = Vec::new();
    for d in scan_docs(store, |d| d.deleted.is_some())? {
        if access::allowed_doc(store, &subject, Action::Delete, &d)? {
            items.push(d);
        }
    }
    items.sort_by_key(|d| std::cmp::Reverse(d.deleted.as_ref().map(|x| x.at)));
    Ok(items)
}

/// The caller's drafts and documents under review, most recently changed first. A draft stays
/// listed only while its author may still edit it where it lies.
pub fn drafts(store: &Store, who: &Caller) -> Result<Vec<Doc>> {
    let me = who.id();
    let docs = scan_docs(store, |d| {
        d.deleted.is_none() && d.updated_by == me && d.status != DocStatus::Published
    })?;
    let subject = who.subject();
    let mut mine = Vec::with_capacity(docs.len());
    for d in docs {
        if access::allowed_doc(store, &subject, Action::Edit, &d)? {
            mine.push(d);
        }
    }
    mine.sort_by_key(|d| std::cmp::Reverse(d.updated_at));
    Ok(mine)
}

/// The categories from the space root down to `category_id` that the caller may read, root-most
/// first (a readable category may sit under one cut off by `inherit: false`: that one is left
/// out, so its name never shows). For breadcrumbs without a second round trip.
pub fn readable_category_path(
    store: &Store,
    who: &Caller,
    category_id: Option<&str>,
) -> Result<Vec<crate::model::Category>> {
    let scopes = access::readable_scopes(store, &who.subject())?;
    Ok(access::chain(store, category_id)?
        .into_iter()
        .filter(|c| scopes.contains(&c.id))
        .collect())
}
