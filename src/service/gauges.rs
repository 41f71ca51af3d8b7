//! The figures `/metrics` reads at scrape time: indexer lag (outbox length), store and index size,
//! process memory, and the age of the newest verified backup. Reading them walks the index folder
//! and stats files: blocking work, called from a blocking thread.

use std::path::Path;

use chrono::Utc;

use crate::{
    error::Result,
    service::{Caller, backups},
    store::{Store, backup},
};

/// One reading.
#[derive(Debug, Clone, PartialEq)]
pub struct Gauges {
    /// Outbox entries the indexer has not applied yet.
    pub outbox_entries: u64,
    /// Bytes of the store on disk.
    pub store_bytes: u64,
    /// Bytes of the search index on disk.
    pub index_bytes: u64,
    /// Resident memory of this process (Linux; 0 elsewhere).
    pub resident_bytes: u64,
    /// Seconds since the newest verified backup, or None when there is none.
    pub backup_age_seconds: Option<i64>,
    /// Whether the newest verified backup is missing or too old ([`backups::overdue`]).
    pub backup_overdue: bool,
}

/// Reads the gauges for a caller through the API: administrators only (others: 403).
pub fn read_as(who: &Caller, store: &Store, index_dir: &Path, backup_dir: &Path) -> Result<Gauges> {
    who.require_admin()?;
    Ok(read(store, index_dir, backup_dir))
}

/// Reads the gauges (for the separate `--metrics-bind` address, trusted by where it listens).
pub fn read(store: &Store, index_dir: &Path, backup_dir: &Path) -> Gauges {
    let list = backup::list(backup_dir).unwrap_or_default();
    let now = Utc::now();
    Gauges {
        outbox_entries: store.outbox.len() as u64,
        store_bytes: store.size_on_disk().unwrap_or(0),
        index_bytes: dir_size(index_dir),
        resident_bytes: resident_bytes(),
        backup_age_seconds: list
            .iter()
            .find(|b| b.verified)
            .map(|b| (now - b.created_at).num_seconds()),
        backup_overdue: backups::overdue(&list, now),
    }
}

fn dir_size(path: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(path) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_size(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

/// Resident memory of this process in bytes (Linux; 0 elsewhere).
fn resident_bytes() -> u64 {
    let Ok(statm) = std::fs::read_to_string("/proc/self/statm") else {
        return 0;
    };
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}
