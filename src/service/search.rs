//! Search as a caller may see it: the readable scopes the index filters by (inside the query, so
//! that totals and facets never count what the caller cannot read), category paths that name
//! only the categories the caller may read, quick open and related documents.

use std::sync::Arc;

use hanlin_index::{Access, SearchIndex, Suggestion};

use crate::{
    domain::permission::Scopes,
    error::{Error, Reason, Result},
    service::{Caller, access, documents::checked},
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

/// Longest quick-open input, in characters.
pub const MAX_SUGGEST_CHARS: usize = 100;
/// Most quick-open answers.
pub const SUGGEST_LIMIT: usize = 8;
/// Most related documents.
pub const RELATED_LIMIT: usize = 5;

/// Quick open: documents the caller may read whose title starts with what was typed, or whose
/// title's full pinyin or initials do, best first (tantivy work: call from a blocking thread).
pub fn suggest(
    store: &Store,
    index: &SearchIndex,
    who: &Caller,
    q: &str,
) -> Result<Vec<Suggestion>> {
    if q.chars().count() > MAX_SUGGEST_CHARS {
        return Err(
            Error::invalid("q", format!("at most {MAX_SUGGEST_CHARS} characters"))
                .because(Reason::TooLong)
                .with("limit", MAX_SUGGEST_CHARS),
        );
    }
    let access = scope(store, who)?.index_access();
    Ok(index.suggest(q, &access, SUGGEST_LIMIT)?)
}

/// Up to five documents like one the caller may read (hidden or unknown -> 404), only documents
/// the caller may read (tantivy work: call from a blocking thread).
pub fn related(
    store: &Store,
    index: &SearchIndex,
    who: &Caller,
    id: &str,
) -> Result<Vec<Suggestion>> {
    checked::readable(store, who, id)?;
    let access = scope(store, who)?.index_access();
    Ok(index.related(id, &access, RELATED_LIMIT)?)
}
