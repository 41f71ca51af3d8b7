//! An in-memory copy of the small, hot records every request needs (spaces, categories, groups,
//! account names), rebuilt lazily after any committed transaction.
//!
//! [`super::Store::transact`] bumps a generation counter after each commit and before it returns,
//! so a write is visible here before its client is answered: a permission change can never be
//! served stale to a request that starts after the change was acknowledged.

use std::{
    collections::HashMap,
    sync::{
        Arc, RwLock,
        atomic::{AtomicU64, Ordering},
    },
};

use crate::{
    error::Result,
    model::{Category, Group, Space, User},
};

/// Spaces, categories, groups and account names, by id.
#[derive(Debug, Default)]
pub struct Catalog {
    /// Generation this copy was read at.
    pub generation: u64,
    /// Spaces by id.
    pub spaces: HashMap<String, Space>,
    /// Categories by id.
    pub categories: HashMap<String, Category>,
    /// Departments.
    pub groups: Vec<Group>,
    /// Login name -> display name.
    pub display_names: HashMap<String, String>,
    /// User id -> (login name, name to show: the display name, plus the login name where the
    /// display name imitates another account's).
    pub users: HashMap<String, (String, String)>,
    /// Readable scopes already computed at this generation, by subject.
    scopes: std::sync::Mutex<HashMap<String, Arc<crate::domain::permission::Scopes>>>,
}

impl Catalog {
    /// The name of a space or category id.
    pub fn name_of(&self, id: &str) -> Option<&str> {
        self.categories
            .get(id)
            .map(|c| c.name.as_str())
            .or_else(|| self.spaces.get(id).map(|s| s.name.as_str()))
    }

    /// The readable scopes of a subject (by `key`), computed once per catalog generation.
    pub fn scopes_for(
        &self,
        key: String,
        compute: impl FnOnce() -> crate::domain::permission::Scopes,
    ) -> Result<Arc<crate::domain::permission::Scopes>> {
        if let Some(s) = self.scopes.lock().expect("scopes lock").get(&key) {
            return Ok(s.clone());
        }
        let computed = Arc::new(compute());
        let mut map = self.scopes.lock().expect("scopes lock");
        if map.len() >= 10_000 {
            map.clear();
        }
        map.insert(key, computed.clone());
        Ok(computed)
    }

    /// The departments a user belongs to.
    pub fn groups_of(&self, user_id: &str) -> Vec<String> {
        self.groups
            .iter()
            .filter(|g| g.members.iter().any(|m| m == user_id))
            .map(|g| g.id.clone())
            .collect()
    }
}

/// The cache and its generation counter (shared by clones of the store).
#[derive(Default, Clone)]
pub struct CatalogCache {
    generation: Arc<AtomicU64>,
    current: Arc<RwLock<Option<Arc<Catalog>>>>,
}

impl CatalogCache {
    /// Marks everything read so far as stale.
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    /// The current catalog, reloading it with `load` when a commit happened since it was read.
    pub fn get(&self, load: impl FnOnce(u64) -> Result<Catalog>) -> Result<Arc<Catalog>> {
        let generation = self.generation.load(Ordering::SeqCst);
        if let Some(c) = self.current.read().expect("catalog lock").as_ref()
            && c.generation == generation
        {
            return Ok(c.clone());
        }
        // Read at `generation`: a commit during the load bumps the counter, and the next call reloads.
        let fresh = Arc::new(load(generation)?);
        let mut slot = self.current.write().expect("catalog lock");
        if slot.as_ref().is_none_or(|c| c.generation <= generation) {
            *slot = Some(fresh.clone());
        }
        Ok(fresh)
    }
}

/// Reads a catalog from the store's trees.
pub fn load(store: &super::Store, generation: u64) -> Result<Catalog> {
    let spaces: Vec<Space> = store.spaces.all()?;
    let categories: Vec<Category> = store.categories.all()?;
    let groups: Vec<Group> = store.groups.all()?;
    let users: Vec<User> = store.users.all()?;
    Ok(Catalog {
        generation,
        spaces: spaces.into_iter().map(|s| (s.id.clone(), s)).collect(),
        categories: categories.into_iter().map(|c| (c.id.clone(), c)).collect(),
        groups,
        display_names: users
            .iter()
            .map(|u| (u.username.clone(), u.display_name.clone()))
            .collect(),
        users: shown_names(users),
        scopes: Default::default(),
    })
}

/// id -> (login name, name to show). The name shown is the display name, followed by the login
/// name when the display name could be taken for another account's (the same skeleton as another
/// display name or another login name): "张伟 (zhangwei2)".
fn shown_names(users: Vec<User>) -> HashMap<String, (String, String)> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    for u in &users {
        *seen
            .entry(crate::text::name_skeleton(&u.display_name))
            .or_default() += 1;
    }
    let logins: HashMap<String, &str> = users
        .iter()
        .map(|u| (crate::text::name_skeleton(&u.username), u.id.as_str()))
        .collect();
    users
        .iter()
        .map(|u| {
            let skel = crate::text::name_skeleton(&u.display_name);
            let imitates = seen.get(&skel).is_some_and(|n| *n > 1)
                || logins.get(&skel).is_some_and(|id| *id != u.id);
            let shown = if imitates {
                format!("{} ({})", u.display_name, u.username)
            } else {
                u.display_name.clone()
            };
            (u.id.clone(), (u.username.clone(), shown))
        })
        .collect()
}
