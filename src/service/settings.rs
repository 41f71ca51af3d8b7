//! Settings edited by admins and read by the rest of the server.

use serde_json::json;

use crate::{
    error::{Error, Reason, Result},
    service::{Caller, documents::Actor},
    store::Store,
};

/// Settings key of the admin synonym groups.
pub const SYNONYMS_KEY: &str = "synonyms";
/// Most synonym groups.
pub const MAX_SYNONYM_GROUPS: usize = 5000;
/// Longest synonym, in characters.
pub const MAX_SYNONYM_CHARS: usize = 50;

/// The admin synonym groups stored in the settings tree.
pub fn synonyms(store: &Store) -> Result<Vec<Vec<String>>> {
    Ok(store.settings.get(SYNONYMS_KEY)?.unwrap_or_default())
}

/// The admin synonym groups, for an administrator to edit (others: 403).
pub fn synonyms_for(store: &Store, who: &Caller) -> Result<Vec<Vec<String>>> {
    who.require_admin()?;
    synonyms(store)
}

/// Checks a new list of synonym groups: words trimmed, empty ones dropped, at least two per
/// group, each at most [`MAX_SYNONYM_CHARS`] characters without control characters.
pub fn check_synonyms(groups: &[Vec<String>]) -> Result<Vec<Vec<String>>> {
    if groups.len() > MAX_SYNONYM_GROUPS {
        return Err(Error::invalid("groups", "at most 5,000 synonym groups")
            .because(Reason::TooMany)
            .with("limit", MAX_SYNONYM_GROUPS));
    }
    let mut out = Vec::with_capacity(groups.len());
    for (i, g) in groups.iter().enumerate() {
        let words: Vec<String> = g
            .iter()
            .map(|w| w.trim().to_owned())
            .filter(|w| !w.is_empty())
            .collect();
        if words.len() < 2 {
            return Err(Error::invalid(
                format!("groups[{i}]"),
                "a synonym group needs at least two words",
            )
            .because(Reason::TooFew)
            .with("limit", 2));
        }
        let refuse = |why| {
            Error::invalid(
                format!("groups[{i}]"),
                "synonyms are at most 50 characters, without control characters",
            )
            .because(why)
        };
        if words.iter().any(|w| w.chars().count() > MAX_SYNONYM_CHARS) {
            return Err(refuse(Reason::TooLong).with("limit", MAX_SYNONYM_CHARS));
        }
        if words.iter().any(|w| w.chars().any(char::is_control)) {
            return Err(refuse(Reason::BadCharacters));
        }
        out.push(words);
    }
    Ok(out)
}

/// Replaces the admin synonym groups (admins only), audited; returns the groups as stored. The
/// caller hands them to the search index once the write is durable.
pub fn set_synonyms(
    store: &Store,
    who: &Caller,
    groups: &[Vec<String>],
) -> Result<Vec<Vec<String>>> {
    who.require_admin()?;
    let groups = check_synonyms(groups)?;
    let ev = Actor::of(who).event(
        store.next_seq()?,
        "settings.synonyms",
        "settings:synonyms".into(),
        "ok",
        Some(json!({"groups": groups.len()})),
    );
    store.transact(|tx| {
        tx.settings.put(SYNONYMS_KEY, &groups)?;
        tx.audit.append(&ev)
    })?;
    Ok(groups)
}
