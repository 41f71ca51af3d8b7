//! Search as a caller may see it: the readable scopes the index filters by (inside the query, so
//! that totals and facets never count what the caller cannot read), and category paths that name
//! only the categories the caller may read.

use std::sync::Arc;

use hanlin_index::Access;

use crate::{
    domain::permission::Scopes,
    error::Result,
    service::{Caller, access},
    store::{Store, catalog::Catalog},
};

/// What one caller may find.
pub struct ReaderScope {
    scopes: Arc<Scopes>,
}

/// The scopes the caller may read (cached per subject in the catalog).
pub fn scope(store: &Store, who: &Caller) -> Result<ReaderScope> {
    Ok(ReaderScope {
        scopes: access::readable_scopes(store, &who.subject())?,
    })
}

impl ReaderScope {
    /// The index's permission filter.
    pub fn index_access(&self) -> Access {
        match &*self.scopes {
            Scopes::All => Access::All,
            // An Arc: the readable set is shared with the catalog's cache, not copied per query.
            Scopes::Some(set) => Access::Scopes(set.clone()),
        }
    }

    /// The names of the categories from the space root down to `category_id` that the caller may
    /// read, root-most first (a readable category may sit under one cut off by `inherit: false`).
    pub fn category_path(&self, catalog: &Catalog, category_id: Option<&str>) -> Vec<String> {
        let mut path = Vec::new();
        let mut cur = category_id;
        // The depth bound only guards against a cycle (every write checks the tree).
        for _ in 0..64 {
            let Some(c) = cur.and_then(|id| catalog.categories.get(id)) else {
                break;
            };
            if self.scopes.contains(&c.id) {
                path.push(c.name.clone());
            }
            cur = c.parent_id.as_deref();
        }
        path.reverse();
        path
    }
}
