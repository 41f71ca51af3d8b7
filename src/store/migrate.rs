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
    fs::File,
    path::{Path, PathBuf},
};

use super::{Layout, Opened, Store, backup, open_db};
use crate::error::{Error, Result};

/// Opens `dir` in the current layout, migrating it first if it is in an older one.
pub(super) fn open(dir: &Path) -> Result<Store> {
    finish_interrupted(dir)?;
    let store = match open_db(dir, Layout::CURRENT)? {
        Opened::Db(db) => Store::from_db(db)?,
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

fn io(what: &str, path: &Path) -> impl FnOnce(std::io::Error) -> Error {
    let msg = format!("{what} {}", path.display());
    move |e| Error::internal(format!("{msg}: {e}"))
}

fn fsync_dir(dir: &Path) -> Result<()> {
    if let Ok(d) = File::open(dir) {
        d.sync_all().map_err(io("cannot sync", dir))?;
    }
    Ok(())
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
