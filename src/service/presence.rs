//! Who else is editing a document: editors send a heartbeat while the editor is open; an entry
//! expires [`EXPIRY_SECS`] after the last one. Kept in memory only (a restart forgets it, which
//! is what a heartbeat is for).

use std::{collections::HashMap, sync::Mutex};

use chrono::{DateTime, Duration, Utc};

use crate::{
    error::{Error, Result},
    service::{Caller, documents::checked},
    store::Store,
};

/// An editor is shown this long after their last heartbeat.
pub const EXPIRY_SECS: i64 = 60;
/// Most documents tracked at once (the oldest entries go first beyond it).
const MAX_TRACKED: usize = 10_000;

/// Someone with the editor open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Editing {
    /// User id.
    pub user: String,
    /// Display name.
    pub display_name: String,
    /// Editing since (first heartbeat of this run).
    pub since: DateTime<Utc>,
}

#[derive(Debug, Clone)]
struct Entry {
    display_name: String,
    since: DateTime<Utc>,
    last: DateTime<Utc>,
}

/// Heartbeats by document, then user.
#[derive(Default)]
pub struct Presence {
    docs: Mutex<HashMap<String, HashMap<String, Entry>>>,
}

impl Presence {
    /// Records that the caller has the editor of a document they may edit open (404 when they may
    /// not see it, 403 when they may not edit it), and answers who else has.
    pub fn beat(&self, store: &Store, who: &Caller, doc_id: &str) -> Result<Vec<Editing>> {
        let r = checked::readable(store, who, doc_id)?;
        if !r.may_edit {
            return Err(Error::Forbidden("you may not edit this document".into()));
        }
        let now = Utc::now();
        let mut docs = self.docs.lock().unwrap_or_else(|p| p.into_inner());
        if docs.len() >= MAX_TRACKED && !docs.contains_key(doc_id) {
            docs.retain(|_, m| {
                m.retain(|_, e| fresh(e, now));
                !m.is_empty()
            });
        }
        let entries = docs.entry(doc_id.to_owned()).or_default();
        entries.retain(|_, e| fresh(e, now));
        let e = entries.entry(who.id().to_owned()).or_insert_with(|| Entry {
            display_name: who.user.display_name.clone(),
            since: now,
            last: now,
        });
        e.last = now;
        Ok(others(entries, who.id(), now))
    }

    /// The caller closed the editor (404 for a document they may not see, as everywhere).
    pub fn leave(&self, store: &Store, who: &Caller, doc_id: &str) -> Result<()> {
        checked::readable(store, who, doc_id)?;
        let mut docs = self.docs.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(m) = docs.get_mut(doc_id) {
            m.remove(who.id());
            if m.is_empty() {
                docs.remove(doc_id);
            }
        }
        Ok(())
    }

    /// Who other than `me` is editing a document now (for its page; the caller has already been
    /// allowed to read it).
    pub fn editing(&self, doc_id: &str, me: &str) -> Vec<Editing> {
        let docs = self.docs.lock().unwrap_or_else(|p| p.into_inner());
        docs.get(doc_id)
            .map(|m| others(m, me, Utc::now()))
            .unwrap_or_default()
    }
}

fn fresh(e: &Entry, now: DateTime<Utc>) -> bool {
    now - e.last < Duration::seconds(EXPIRY_SECS)
}

fn others(m: &HashMap<String, Entry>, me: &str, now: DateTime<Utc>) -> Vec<Editing> {
    let mut out: Vec<Editing> = m
        .iter()
        .filter(|(u, e)| u.as_str() != me && fresh(e, now))
        .map(|(u, e)| Editing {
            user: u.clone(),
            display_name: e.display_name.clone(),
            since: e.since,
        })
        .collect();
    out.sort_by_key(|e| e.since);
    out
}
