//! Reading the audit log (admins). Events are written by the service that does what they record,
//! in the same transaction; retention is [`crate::audit`].

use chrono::{DateTime, Utc};

use crate::{error::Result, model::AuditEvent, service::Caller, store::Store};

/// Which events to list.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// The actor's user id or login name.
    pub actor: Option<String>,
    /// An action (`user.update`) or a family of them (`user`).
    pub action: Option<String>,
    /// Not before.
    pub since: Option<DateTime<Utc>>,
    /// Not after.
    pub until: Option<DateTime<Utc>>,
    /// `ok`, `denied` or `failed`.
    pub outcome: Option<String>,
}

impl AuditFilter {
    fn matches(&self, ev: &AuditEvent) -> bool {
        if self.until.is_some_and(|u| ev.at > u) {
            return false;
        }
        if let Some(a) = &self.actor
            && ev.actor.as_deref() != Some(a.as_str())
            && ev.actor_name.as_deref() != Some(a.as_str())
        {
            return false;
        }
        if let Some(a) = &self.action
            && !(ev.action == *a
                || ev
                    .action
                    .strip_prefix(a.as_str())
                    .is_some_and(|rest| rest.starts_with('.')))
        {
            return false;
        }
        self.outcome.as_deref().is_none_or(|o| o == ev.outcome)
    }
}

/// A page of matching events, newest first, and how many match in all (admins).
pub fn query(
    store: &Store,
    who: &Caller,
    filter: &AuditFilter,
    limit: usize,
    offset: usize,
) -> Result<(usize, Vec<AuditEvent>)> {
    who.require_admin()?;
    let mut items = Vec::new();
    let mut matched = 0usize;
    for ev in store.audit.newest_first() {
        let ev = ev?;
        // Newest first: everything after this one is older still.
        if filter.since.is_some_and(|s| ev.at < s) {
            break;
        }
        if !filter.matches(&ev) {
            continue;
        }
        if matched >= offset && items.len() < limit {
            items.push(ev);
        }
        matched += 1;
    }
    Ok((matched, items))
}
