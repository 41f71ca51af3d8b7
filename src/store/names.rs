//! The unique-name index: spaces, categories (among their siblings) and departments have names
//! unique without regard to case. sled transactions cannot scan, so uniqueness lives in its own
//! tree ([`super::NAMES`]) and is claimed inside the same transaction that writes the record:
//! two concurrent creations of "产品文档" cannot both succeed.

use sled::transaction::ConflictableTransactionError;

use super::{Store, Tx, TxResult};
use crate::{
    error::{Error, Result},
    model::{Category, Group, Space},
};

fn key(kind: &str, scope: &str, name: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(kind.len() + scope.len() + name.len() + 2);
    k.extend_from_slice(kind.as_bytes());
    k.push(0);
    k.extend_from_slice(scope.as_bytes());
    k.push(0);
    k.extend_from_slice(name.trim().to_lowercase().as_bytes());
    k
}

/// Key of a space name.
pub fn space(name: &str) -> Vec<u8> {
    key("space", "", name)
}

/// Key of a category name among its siblings (same space, same parent).
pub fn category(space_id: &str, parent_id: Option<&str>, name: &str) -> Vec<u8> {
    key(
        "category",
        &format!("{space_id}/{}", parent_id.unwrap_or("")),
        name,
    )
}

/// Key of a department name.
pub fn group(name: &str) -> Vec<u8> {
    key("group", "", name)
}

/// Inside a transaction: makes `new` name `id`, releasing `old` (its previous key, if it had
/// one). Aborts with `taken()` when another record holds `new`.
pub fn tx_claim(
    tx: &Tx<'_>,
    new: &[u8],
    old: Option<&[u8]>,
    id: &str,
    taken: impl Fn() -> Error,
) -> TxResult<()> {
    if let Some(holder) = tx.names.get(new)?
        && holder.as_ref() != id.as_bytes()
    {
        return Err(ConflictableTransactionError::Abort(taken()));
    }
    if let Some(old) = old
        && old != new
    {
        tx.names.remove(old)?;
    }
    tx.names.insert(new, id.as_bytes())?;
    Ok(())
}

/// Every (key, id) the index should hold, from the primary trees.
fn expected(store: &Store) -> Result<Vec<(Vec<u8>, String)>> {
    let mut out = Vec::new();
    for s in store.spaces.values() {
        let s: Space = s?;
        out.push((space(&s.name), s.id));
    }
    for c in store.categories.values() {
        let c: Category = c?;
        out.push((category(&c.space_id, c.parent_id.as_deref(), &c.name), c.id));
    }
    for g in store.groups.values() {
        let g: Group = g?;
        out.push((group(&g.name), g.id));
    }
    Ok(out)
}

/// Builds the index for a data directory from before it existed (once, at open). Two records
/// that share a name (a race the index now prevents) keep the first's claim; both stay readable.
pub(super) fn build_if_missing(store: &Store) -> Result<()> {
    if !store.names.is_empty() {
        return Ok(());
    }
    let entries = expected(store)?;
    if entries.is_empty() {
        return Ok(());
    }
    store.transact(|tx| {
        for (k, id) in &entries {
            if tx.names.get(k)?.is_none() {
                tx.names.insert(k.as_slice(), id.as_bytes())?;
            }
        }
        Ok(())
    })?;
    tracing::info!(names = entries.len(), "built the unique-name index");
    Ok(())
}

/// Compares the index with the primary trees; one line per disagreement (`hanlin check`).
pub fn verify(store: &Store) -> Result<Vec<String>> {
    let entries = expected(store)?;
    let mut problems = Vec::new();
    let mut wanted = std::collections::HashSet::new();
    for (k, id) in &entries {
        wanted.insert(k.clone());
        match store.names.get(k)? {
            Some(holder) if holder.as_ref() == id.as_bytes() => {}
            Some(holder) => problems.push(format!(
                "name index: {} is claimed by {}, also used by {id}",
                String::from_utf8_lossy(k).replace('\0', "/"),
                String::from_utf8_lossy(&holder)
            )),
            None => problems.push(format!(
                "name index: {} of {id} is missing",
                String::from_utf8_lossy(k).replace('\0', "/")
            )),
        }
    }
    for kv in store.names.iter() {
        let (k, id) = kv?;
        if !wanted.contains(k.as_ref()) {
            problems.push(format!(
                "name index: stale entry {} -> {}",
                String::from_utf8_lossy(&k).replace('\0', "/"),
                String::from_utf8_lossy(&id)
            ));
        }
    }
    Ok(problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verify_finds_missing_and_stale_entries() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let actor = crate::service::documents::Actor {
            id: "u1".into(),
            name: "admin".into(),
            ip: None,
        };
        let _created = crate::service::spaces::create_space(
            &store,
            &actor,
            "产品文档",
            crate::model::SpaceKind::Knowledge,
            "",
        )
        .unwrap();
        assert!(verify(&store).unwrap().is_empty());
        // Case-insensitive: "產品文檔" is another name, "PRODUCT" and "product" are one.
        let again = crate::service::spaces::create_space(
            &store,
            &actor,
            " 产品文档 ",
            crate::model::SpaceKind::Knowledge,
            "",
        );
        assert!(matches!(
            again,
            Err(Error::Rule {
                code: crate::error::Code::NameTaken,
                ..
            })
        ));
        store
            .transact(|tx| {
                tx.names.remove(space("产品文档").as_slice())?;
                tx.names
                    .insert(group("幽灵部门").as_slice(), b"g0".as_slice())?;
                Ok(())
            })
            .unwrap();
        let problems = verify(&store).unwrap();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(
            problems
                .iter()
                .any(|p| p.contains("missing") && p.contains(&space_id(&store)))
        );
        assert!(
            problems
                .iter()
                .any(|p| p.contains("stale") && p.contains("幽灵部门"))
        );
    }

    fn space_id(store: &Store) -> String {
        let s: Vec<Space> = store.spaces.all().unwrap();
        s[0].id.clone()
    }
}
