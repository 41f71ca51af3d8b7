//! The bridge between the store and the pure permission function: loads the space and category
//! chain of a resource and asks [`permission::decide`]. Every read and write path goes through here.

use std::sync::Arc;

use chrono::Utc;

use crate::{
    domain::permission::{
        self, Action, CategoryAcl, CategoryNode, Decision, Scopes, SpaceAcl, Subject,
    },
    error::{Error, Result},
    model::{Category, Doc, Space, User},
    store::Store,
};

/// The permission subject of a user.
pub fn subject(user: &User, groups: &[String]) -> Subject {
    Subject {
        user_id: user.id.clone(),
        kind: user.kind,
        is_admin: user.is_admin,
        disabled: user.disabled,
        expires_at: user.expires_at,
        groups: groups.to_vec(),
    }
}

/// `everyone` as a subject: an active employee with no grant of their own and no department, so
/// only grants to `everyone` apply. What a group chat may be shown (see `service::webhooks`): its
/// members are whoever the space's `everyone` is, and nobody in particular.
pub fn everyone() -> Subject {
    Subject {
        // Ids are never empty, so no `user:` grant names this subject.
        user_id: String::new(),
        kind: crate::domain::permission::AccountKind::Employee,
        is_admin: false,
        disabled: false,
        expires_at: None,
        groups: Vec::new(),
    }
}

/// Loads a space or answers 404.
pub fn load_space(store: &Store, id: &str) -> Result<Space> {
    store
        .catalog()?
        .spaces
        .get(id)
        .cloned()
        .ok_or(Error::NotFound("space"))
}

/// Loads a category or answers 404.
pub fn load_category(store: &Store, id: &str) -> Result<Category> {
    store
        .catalog()?
        .categories
        .get(id)
        .cloned()
        .ok_or(Error::NotFound("category"))
}

/// The chain of categories from the space root down to `category_id` (root-most first).
pub fn chain(store: &Store, category_id: Option<&str>) -> Result<Vec<Category>> {
    let mut out = Vec::new();
    let mut cur = category_id.map(str::to_owned);
    while let Some(id) = cur {
        if out.len() > 64 {
            return Err(Error::internal(format!(
                "category chain too deep or cyclic at {id}"
            )));
        }
        let c = load_category(store, &id)?;
        cur = c.parent_id.clone();
        out.push(c);
    }
    out.reverse();
    Ok(out)
}

fn acl(space: &Space) -> SpaceAcl {
    SpaceAcl {
        space_id: space.id.clone(),
        grants: space.grants.clone(),
    }
}

fn chain_acl(chain: &[Category]) -> Vec<CategoryAcl> {
    chain
        .iter()
        .map(|c| CategoryAcl {
            id: c.id.clone(),
            inherit: c.inherit,
            grants: c.grants.clone(),
        })
        .collect()
}

/// Translates a decision into the API's answer ([`Error::denied`]): hidden -> 404 (`what` not
/// found), visible but not allowed -> 403.
pub fn enforce(decision: Decision, what: &'static str) -> Result<()> {
    match decision {
        Decision::Allow => Ok(()),
        Decision::Deny(reason) => Err(Error::denied(reason, what)),
    }
}

/// Decides `action` for the caller at a space root or category.
pub fn decide_at(
    store: &Store,
    who: &Subject,
    action: Action,
    space: &Space,
    category_id: Option<&str>,
) -> Result<Decision> {
    let chain = chain(store, category_id)?;
    Ok(permission::decide(
        who,
        action,
        &acl(space),
        &chain_acl(&chain),
        Utc::now(),
    ))
}

/// The record types the subject may create at a space root or category through record grants
/// (beyond what its role allows).
pub fn record_types_at(
    store: &Store,
    who: &Subject,
    space: &Space,
    category_id: Option<&str>,
) -> Result<Vec<String>> {
    let chain = chain(store, category_id)?;
    Ok(permission::record_types_granted(
        who,
        &acl(space),
        &chain_acl(&chain),
        Utc::now(),
    ))
}

/// Requires `action` at a space root or category; 404 when the caller may not even read there.
pub fn require_at(
    store: &Store,
    who: &Subject,
    action: Action,
    space: &Space,
    category_id: Option<&str>,
    what: &'static str,
) -> Result<()> {
    let d = decide_at(store, who, action, space, category_id)?;
    if d != Decision::Allow && action != Action::Read {
        // Someone who cannot read here must not learn that the thing exists.
        let read = decide_at(store, who, Action::Read, space, category_id)?;
        if read != Decision::Allow {
            return Err(Error::NotFound(what));
        }
    }
    enforce(d, what)
}

/// Loads a space whose categories the subject manages there (at `category_id`, or the root):
/// what moving many documents in or out at once needs (import, export). Hidden -> 404, visible
/// but not managed -> 403.
pub fn managed_space(
    store: &Store,
    who: &Subject,
    space_id: &str,
    category_id: Option<&str>,
) -> Result<Space> {
    let space = load_space(store, space_id)?;
    require_at(
        store,
        who,
        Action::ManageCategories,
        &space,
        category_id,
        "space",
    )?;
    Ok(space)
}

/// Requires `action` on a document (at its space and category).
pub fn require_doc(store: &Store, who: &Subject, action: Action, doc: &Doc) -> Result<()> {
    let space = load_space(store, &doc.space_id)?;
    require_at(
        store,
        who,
        action,
        &space,
        doc.category_id.as_deref(),
        "document",
    )
}

/// Can the subject see anything in this space: its root or any category (by the readable
/// `scopes`), or manage its grants? Spaces that fail this are hidden (404, as if they did not exist).
pub fn space_visible(store: &Store, who: &Subject, space: &Space, scopes: &Scopes) -> Result<bool> {
    if scopes.contains(&permission::space_scope_key(&space.id)) {
        return Ok(true);
    }
    Ok(store
        .catalog()?
        .categories
        .values()
        .any(|c| c.space_id == space.id && scopes.contains(&c.id))
        || decide_at(store, who, Action::ManageGrants, space, None)? == Decision::Allow)
}

/// Which versions of one document a caller may read, by the place each version lived in.
///
/// A document never leaves its space, and every version records its category
/// ([`crate::model::VersionRecord::category_id`]), so the place of version *n* is the document's
/// space with that category. A caller may read version *n* only if they may read the document
/// where it lies now **and** the place version *n* lived in: moving a document out of a
/// restricted category never shows what it was there to readers of its new place.
pub struct VersionPlaces<'a> {
    store: &'a Store,
    who: &'a Subject,
    space: Space,
    current: Option<String>,
    current_readable: bool,
    cache: Vec<(Option<String>, bool)>,
}

impl<'a> VersionPlaces<'a> {
    /// The version places of `doc` for the subject.
    pub fn new(store: &'a Store, who: &'a Subject, doc: &Doc) -> Result<VersionPlaces<'a>> {
        let space = load_space(store, &doc.space_id)?;
        let current_readable =
            decide_at(store, who, Action::Read, &space, doc.category_id.as_deref())?
                == Decision::Allow;
        Ok(VersionPlaces {
            store,
            who,
            space,
            current: doc.category_id.clone(),
            current_readable,
            cache: Vec::new(),
        })
    }

    /// May the subject read a version that lived in `category_id` (of this document's space)?
    /// A category that no longer exists is unreadable (fail closed).
    pub fn may_read(&mut self, category_id: Option<&str>) -> Result<bool> {
        if !self.current_readable {
            return Ok(false);
        }
        if category_id == self.current.as_deref() {
            return Ok(true);
        }
        if let Some((_, r)) = self.cache.iter().find(|(c, _)| c.as_deref() == category_id) {
            return Ok(*r);
        }
        let r = match decide_at(self.store, self.who, Action::Read, &self.space, category_id) {
            Ok(d) => d == Decision::Allow,
            Err(Error::NotFound(_)) => false,
            Err(e) => return Err(e),
        };
        self.cache.push((category_id.map(str::to_owned), r));
        Ok(r)
    }

    /// May the subject read version `n` of the document (`false` when there is no such version)?
    pub fn may_read_version(&mut self, doc_id: &str, n: u64) -> Result<bool> {
        match crate::service::documents::version_category(self.store, doc_id, n) {
            Ok(c) => self.may_read(c.as_deref()),
            Err(Error::NotFound(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }
}

/// How a caller sees a live document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seen {
    /// May the caller edit it (and so see its head)?
    pub may_edit: bool,
    /// The newest version the caller sees: the head for those who may edit, else the published
    /// version.
    pub version: u64,
}

/// How the subject sees a document, or `None` when it is hidden from them: in the trash, in a
/// place they may not read, or, for those who may not edit it, never published or published at a
/// version that lived in a place they may not read (see [`VersionPlaces`]).
pub fn seen(store: &Store, who: &Subject, doc: &Doc) -> Result<Option<Seen>> {
    if doc.deleted.is_some() || !allowed_doc(store, who, Action::Read, doc)? {
        return Ok(None);
    }
    if allowed_doc(store, who, Action::Edit, doc)? {
        return Ok(Some(Seen {
            may_edit: true,
            version: doc.version,
        }));
    }
    let Some(p) = doc.published_version else {
        return Ok(None);
    };
    // The head lives where the document lies now; an older published version may not.
    if p != doc.version && !VersionPlaces::new(store, who, doc)?.may_read_version(&doc.id, p)? {
        return Ok(None);
    }
    Ok(Some(Seen {
        may_edit: false,
        version: p,
    }))
}

/// Requires `action` on a document the subject can see ([`seen`]). Hidden -> 404 `document`, the
/// same answer as for an id that names nothing; seen but not allowed -> 403.
pub fn require_seen_doc(store: &Store, who: &Subject, action: Action, doc: &Doc) -> Result<Seen> {
    let seen = seen(store, who, doc)?.ok_or(Error::NotFound("document"))?;
    require_doc(store, who, action, doc)?;
    Ok(seen)
}

/// May the subject see this document in the trash of its place? The trash is seen by those who
/// may view it there ([`Action::ViewTrash`]), as `GET /trash` lists it; to everyone else a trashed
/// document is hidden.
pub fn sees_in_trash(store: &Store, who: &Subject, doc: &Doc) -> Result<bool> {
    Ok(doc.deleted.is_some() && allowed_doc(store, who, Action::ViewTrash, doc)?)
}

/// Requires `action` on a document in the trash that the subject sees there ([`sees_in_trash`]).
/// Hidden -> 404 `document`, the same answer as for an id that names nothing; seen but not
/// allowed -> 403.
pub fn require_trashed_doc(store: &Store, who: &Subject, action: Action, doc: &Doc) -> Result<()> {
    if !sees_in_trash(store, who, doc)? {
        return Err(Error::NotFound("document"));
    }
    require_doc(store, who, action, doc)
}

/// May the subject do `action` on the document? (No error: for filtering lists.)
pub fn allowed_doc(store: &Store, who: &Subject, action: Action, doc: &Doc) -> Result<bool> {
    let space = load_space(store, &doc.space_id)?;
    Ok(decide_at(store, who, action, &space, doc.category_id.as_deref())? == Decision::Allow)
}

/// Every scope the subject may read, for the search filter. Cached per subject in the catalog, so
/// the cache goes with the catalog after any committed write (grants, categories, groups).
pub fn readable_scopes(store: &Store, who: &Subject) -> Result<Arc<Scopes>> {
    let now = Utc::now();
    if who.is_effective_admin(now) {
        return Ok(Arc::new(Scopes::All));
    }
    let catalog = store.catalog()?;
    let mut groups = who.groups.clone();
    groups.sort();
    let key = format!(
        "{}|{:?}|{}|{}|{}",
        who.user_id,
        who.kind,
        who.is_admin,
        who.is_active(now),
        groups.join(",")
    );
    catalog.scopes_for(key, || compute_scopes(&catalog, who, now))
}

fn compute_scopes(
    catalog: &crate::store::catalog::Catalog,
    who: &Subject,
    now: chrono::DateTime<Utc>,
) -> Scopes {
    let mut input = Vec::with_capacity(catalog.spaces.len());
    for s in catalog.spaces.values() {
        let nodes = catalog
            .categories
            .values()
            .filter(|c| c.space_id == s.id)
            .map(|c| CategoryNode {
                id: c.id.clone(),
                parent_id: c.parent_id.clone(),
                inherit: c.inherit,
                grants: c.grants.clone(),
            })
            .collect();
        input.push((acl(s), nodes));
    }
    permission::readable_scopes(who, now, &input)
}

/// The scope key of a document: its category id, or the space root key.
pub fn scope_of(doc: &Doc) -> String {
    match &doc.category_id {
        Some(c) => c.clone(),
        None => permission::space_scope_key(&doc.space_id),
    }
}
