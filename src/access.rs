//! The bridge between the store and the pure permission function: loads the space and category
//! chain of a resource and asks [`permission::decide`]. Every read and write path goes through here.

use std::sync::Arc;

use chrono::Utc;

use crate::{
    auth::CurrentUser,
    domain::permission::{
        self, Action, CategoryAcl, CategoryNode, Decision, DenyReason, Scopes, SpaceAcl, Subject,
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

impl CurrentUser {
    /// This caller as a permission subject.
    pub fn subject(&self) -> Subject {
        subject(&self.user, &self.groups)
    }

    /// Is the caller an active administrator?
    pub fn is_admin(&self) -> bool {
        self.subject().is_effective_admin(Utc::now())
    }

    /// Refuses non-admins (403).
    pub fn require_admin(&self) -> Result<()> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(Error::Forbidden("only administrators may do this".into()))
        }
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

/// Translates a decision into the API's answer: hidden -> 404 (`what` not found), visible but not
/// allowed -> 403.
pub fn enforce(decision: Decision, what: &'static str) -> Result<()> {
    match decision {
        Decision::Allow => Ok(()),
        Decision::Deny(DenyReason::NoAccess | DenyReason::Inactive) => Err(Error::NotFound(what)),
        Decision::Deny(r) => Err(Error::Forbidden(match r {
            DenyReason::ExternalReadOnly => "external guests can only read".into(),
            DenyReason::AdminOnly => "only administrators may do this".into(),
            _ => "your role here does not allow this".into(),
        })),
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
