//! Moving a data directory to the current [`Layout`].
//!
//! sled records its layout (compression, segment size) in the directory and refuses to open it
//! with another; the check comes before sled opens its data file, so a refused open changes
//! nothing. Every directory from before issue 14 is [`Layout::Plain`]. [`open`] migrates one
//! through the logical backup and restore of [`super::backup`]:
//!
//! 1. open `db` plainly and write a verified backup into `db.migration-backup/`;
//! 2. restore it into `db.migrating` (current layout) and compare every record of every tree
//!    with `db`, key by key and byte by byte;
//! 3. rename `db` to `db.pre-migration-<time>`, then `db.migrating` to `db` (each rename
//!    fsynced), and delete the backup file (the kept directory holds everything it did).
//!
//! A crash before step 3 leaves `db` as it was (the next open discards `db.migrating` and starts
//! again); a crash between the two renames leaves no `db` but a verified `db.migrating` beside a
//! `db.pre-migration-*`, and the next open finishes the swap. The old directory is never deleted
//! here: the administrator removes it once satisfied (`hanlin check`).

use std::{
    ffi::OsString,
    path::{Path, PathBuf},
};

use super::{
    Layout, Opened, Store,
    backup::{self, fsync_dir, io},
    open_db,
};
use crate::error::{Error, Result};

/// Opens `dir` in the current layout, migrating it first if it is in an older one.
pub(super) fn open(dir: &Path) -> Result<Store> {
    finish_interrupted(dir)?;
    let store = match open_db(dir, Layout::CURRENT)? {
        Opened::Db(db) => Store::from_db(db, dir)?,
        Opened::OtherLayout(why) => {
            tracing::info!(dir = %dir.display(), %why, "migrating the store to the current layout");
            let kept = migrate(dir, Layout::Plain, Layout::CURRENT)?;
            tracing::info!(kept = %kept.display(), "store migrated; the old directory is kept");
            Store::open_layout(dir, Layout::CURRENT)?
        }
    };
    store.record_layout(Layout::CURRENT)?;
    Ok(store)
}

/// `dir` with `suffix` appended to its last component (`db` -> `db.migrating`).
fn sibling(dir: &Path, suffix: &str) -> PathBuf {
    let mut name: OsString = dir.file_name().unwrap_or_default().to_owned();
    name.push(suffix);
    dir.with_file_name(name)
}

fn parent(dir: &Path) -> &Path {
    match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Whether a `<dir>.pre-migration-*` directory exists beside `dir`.
fn has_kept(dir: &Path) -> Result<bool> {
    let prefix = sibling(dir, ".pre-migration-");
    let prefix = prefix.file_name().unwrap_or_default().to_string_lossy();
    let entries = match std::fs::read_dir(parent(dir)) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(io("cannot list", parent(dir))(e)),
    };
    Ok(entries
        .filter_map(|e| e.ok())
        .any(|e| e.file_name().to_string_lossy().starts_with(&*prefix)))
}

/// Finishes or discards a migration a crash interrupted (see the module documentation).
fn finish_interrupted(dir: &Path) -> Result<()> {
    let work = sibling(dir, ".migrating");
    if !work.exists() {
        return Ok(());
    }
    if !dir.exists() && has_kept(dir)? {
        // Verified before the first rename: finish the swap.
        std::fs::rename(&work, dir).map_err(io("cannot rename", &work))?;
        fsync_dir(parent(dir))?;
        tracing::warn!(dir = %dir.display(), "finished a store migration a crash interrupted");
    } else if dir.exists() {
        // Interrupted before the swap: the original is intact; start again.
        std::fs::remove_dir_all(&work).map_err(io("cannot remove", &work))?;
    }
    Ok(())
}

/// Migrates `dir` from `from` to `to`; returns where the old directory is kept.
fn migrate(dir: &Path, from: Layout, to: Layout) -> Result<PathBuf> {
    let work = sibling(dir, ".migrating");
    let dump = sibling(dir, ".migration-backup");
    for stale in [&work, &dump] {
        if stale.exists() {
            std::fs::remove_dir_all(stale).map_err(io("cannot remove", stale))?;
        }
    }
    // 1. A verified logical backup of the old directory.
    let file = {
        let old = Store::open_layout(dir, from)?;
        old.backup(&dump)?
    };
    let zip = dump.join(&file.file);
    // 2. Restored in the new layout, then compared record by record.
    let manifest = backup::restore(&zip, &work, |_, _| {})?;
    {
        let old = Store::open_layout(dir, from)?;
        let new = Store::open_layout(&work, to)?;
        let compared = same_records(&old, &new)?;
        if compared != manifest.records() {
            return Err(Error::internal(format!(
                "migration of {}: {compared} records compared, the backup holds {}",
                dir.display(),
                manifest.records()
            )));
        }
    }
    // 3. The swap.
    let kept = sibling(
        dir,
        &format!(
            ".pre-migration-{}",
            chrono::Utc::now().format("%Y%m%dT%H%M%SZ")
        ),
    );
    std::fs::rename(dir, &kept).map_err(io("cannot rename", dir))?;
    fsync_dir(parent(dir))?;
    std::fs::rename(&work, dir).map_err(io("cannot rename", &work))?;
    fsync_dir(parent(dir))?;
    std::fs::remove_dir_all(&dump).map_err(io("cannot remove", &dump))?;
    Ok(kept)
}

/// Compares every record of every tree of `old` with `new` (both ways); the number compared.
fn same_records(old: &Store, new: &Store) -> Result<u64> {
    let differ = |what: String| Err(Error::internal(format!("migration check failed: {what}")));
    let mut n = 0u64;
    for name in old.db.tree_names() {
        let label = String::from_utf8_lossy(&name).into_owned();
        let (a, b) = (old.db.open_tree(&name)?, new.db.open_tree(&name)?);
        let (mut ia, mut ib) = (a.iter(), b.iter());
        loop {
            match (ia.next().transpose()?, ib.next().transpose()?) {
                (None, None) => break,
                (Some(x), Some(y)) if x == y => n += 1,
                (x, y) => {
                    return differ(format!(
                        "tree {label}: {:?} vs {:?}",
                        x.map(|r| r.0),
                        y.map(|r| r.0)
                    ));
                }
            }
        }
    }
    for name in new.db.tree_names() {
        if !old.db.tree_names().contains(&name) && !new.db.open_tree(&name)?.is_empty() {
            return differ(format!(
                "tree {} only in the new directory",
                String::from_utf8_lossy(&name)
            ));
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        model::DocKind,
        service::documents::{self as docs, Actor, DocContent, NewDoc, Update},
    };

    fn actor() -> Actor {
        Actor {
            id: "u1".into(),
            name: "u1".into(),
            ip: None,
        }
    }

    /// A pre-issue-14 directory: documents with several versions each, written in the plain layout.
    /// Returns every (doc id, version, title, body) it holds.
    fn old_directory(db: &Path) -> Vec<(String, u64, String, String)> {
        let store = Store::open_layout(db, Layout::Plain).unwrap();
        crate::bootstrap::first_start(&store, Some("migration-test-pw")).unwrap();
        let mut ids = Vec::new();
        for d in 0..12 {
            // Large enough that some records cross the small layout's blob threshold.
            let body = format!("# 文档 {d}\n\n").repeat(1 + d * 400);
            let doc = docs::create(
                &store,
                &actor(),
                NewDoc {
                    space_id: "s".into(),
                    category_id: None,
                    content: docs::validate(&format!("文档 {d}"), &body, &[], usize::MAX).unwrap(),
                    kind: DocKind::Doc,
                    record_type: None,
                    needs_review: false,
                    message: String::new(),
                    import_key: None,
                },
            )
            .unwrap();
            for v in 1..4u64 {
                docs::update(
                    &store,
                    &actor(),
                    &doc.id,
                    Update {
                        content: DocContent {
                            title: format!("文档 {d}"),
                            body: format!("{body}\n修订 {v}\n"),
                            tags: vec![format!("v{v}")],
                        },
                        category_id: None,
                        base_version: v,
                        message: String::new(),
                        needs_review: false,
                        action: "document.update",
                        reconfirm: false,
                    },
                )
                .unwrap();
            }
            ids.push(doc.id);
        }
        store.flush_blocking().unwrap();
        everything(&store, &ids)
    }

    fn everything(store: &Store, ids: &[String]) -> Vec<(String, u64, String, String)> {
        let mut out = Vec::new();
        for id in ids {
            let head = docs::load(store, id).unwrap();
            assert_eq!(head.version, 4);
            for n in 1..=head.version {
                let v = docs::version(store, &head, n).unwrap();
                out.push((id.clone(), n, v.title, v.body));
            }
        }
        out
    }

    fn siblings(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn an_old_directory_is_migrated_whole_and_the_old_one_kept() {
        let data = tempfile::tempdir().unwrap();
        let db = data.path().join("db");
        let before = old_directory(&db);
        let mut ids: Vec<String> = before.iter().map(|r| r.0.clone()).collect();
        ids.dedup();
        assert_eq!(before.len(), 12 * 4);

        // sled refuses the other layout before touching anything: the old code still opens it.
        assert!(Store::open_layout(&db, Layout::CURRENT).is_err());
        assert_eq!(
            everything(&Store::open_layout(&db, Layout::Plain).unwrap(), &ids),
            before
        );

        let store = Store::open(&db).unwrap();
        assert_eq!(
            store.layout().unwrap().as_deref(),
            Some(Layout::CURRENT.name())
        );
        assert_eq!(everything(&store, &ids), before);
        let report = docs::check_all(&store, |_| {}).unwrap();
        // Ours and the welcome page the first start writes.
        assert_eq!((report.docs, report.versions), (13, 49));
        assert!(report.problems.is_empty(), "{:?}", report.problems);
        assert!(crate::store::names::verify(&store).unwrap().is_empty());
        assert!(
            crate::service::accounts::verify_login_index(&store)
                .unwrap()
                .is_empty()
        );
        // The new directory takes writes.
        let saved = docs::update(
            &store,
            &actor(),
            &ids[0],
            Update {
                content: DocContent {
                    title: "迁移之后".into(),
                    body: "新的正文".into(),
                    tags: vec![],
                },
                category_id: None,
                base_version: 4,
                message: String::new(),
                needs_review: false,
                action: "document.update",
                reconfirm: false,
            },
        )
        .unwrap();
        assert_eq!(saved.doc.version, 5);
        store.flush_blocking().unwrap();
        drop(store);

        let names = siblings(data.path());
        assert_eq!(names.len(), 2, "{names:?}");
        assert_eq!(names[0], "db");
        assert!(names[1].starts_with("db.pre-migration-"), "{names:?}");
        // The kept directory is the old one, untouched and still in the old layout.
        let kept = data.path().join(&names[1]);
        assert_eq!(
            everything(&Store::open_layout(&kept, Layout::Plain).unwrap(), &ids),
            before
        );
        // `hanlin check` passes on the migrated data directory.
        assert_eq!(
            crate::cli::check(data.path()).unwrap(),
            std::process::ExitCode::SUCCESS
        );
        // Opening again migrates nothing.
        let again = Store::open(&db).unwrap();
        assert_eq!(docs::load(&again, &ids[0]).unwrap().version, 5);
        assert_eq!(everything(&again, &ids[1..]), before[4..]);
        drop(again);
        assert_eq!(siblings(data.path()), names);
    }

    #[test]
    fn a_directory_without_its_layout_record_is_not_opened() {
        let data = tempfile::tempdir().unwrap();
        let db = data.path().join("db");
        old_directory(&db);
        let conf = std::fs::read(db.join("conf")).unwrap();
        std::fs::remove_file(db.join("conf")).unwrap();
        assert!(Store::open(&db).is_err());
        // Nothing was written: with its record back, the directory opens and migrates.
        assert!(!db.join("conf").exists());
        std::fs::write(db.join("conf"), conf).unwrap();
        let store = Store::open(&db).unwrap();
        assert!(docs::check_all(&store, |_| {}).unwrap().problems.is_empty());
    }

    #[test]
    fn a_migration_interrupted_by_a_crash_is_finished_or_started_again() {
        let data = tempfile::tempdir().unwrap();
        let db = data.path().join("db");
        let before = old_directory(&db);
        let mut ids: Vec<String> = before.iter().map(|r| r.0.clone()).collect();
        ids.dedup();

        // A crash before the swap: `db` is intact, `db.migrating` half written.
        let work = sibling(&db, ".migrating");
        std::fs::create_dir_all(work.join("blobs")).unwrap();
        std::fs::write(work.join("db"), b"half written").unwrap();
        drop(Store::open(&db).unwrap());
        assert!(!work.exists());

        // A crash between the two renames: no `db`, a verified `db.migrating` beside the kept one.
        std::fs::rename(&db, &work).unwrap();
        let store = Store::open(&db).unwrap();
        assert!(!work.exists());
        assert_eq!(everything(&store, &ids), before);
        assert!(docs::check_all(&store, |_| {}).unwrap().problems.is_empty());
    }
}
