//! The dashboard's figures that no other tree holds: read counts per document (in total and per
//! day), who read in which space on which day (for active users, by a hash of the account id),
//! and the search log (per day and normalised query, no account). All aggregated: no tree here
//! lists what one person read.
//!
//! Requests only add to in-memory tallies ([`Stats::add_read`], [`Stats::add_search`]), without
//! I/O; [`super::Store::write_stats`] writes them in one transaction through the write gate (a job
//! every few seconds, and before the dashboard is computed) and prunes what is past retention.

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex},
};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sled::Transactional;

use super::{TxError, from_json, to_json};
use crate::error::{Error, Result};

/// Read counts. key = doc id; value = reads in total (u64 big-endian).
pub const READS: &str = "reads";
/// Read counts per day. key = day (`YYYY-MM-DD`, 10 bytes) ‖ doc id; value = reads (u64 BE).
pub const READS_DAILY: &str = "reads_daily";
/// Readers per day and space, for active users. key = day (10 bytes) ‖ space id ‖ 0x00 ‖
/// reader key (a hash of the account id, see [`reader_key`]); value = empty.
pub const READERS_DAILY: &str = "readers_daily";
/// The search log. key = day (10 bytes) ‖ normalised query; value = JSON [`SearchTally`].
pub const SEARCH_LOG: &str = "search_log";

/// How one normalised query fared on one day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchTally {
    /// Searches for it (first pages only).
    pub searches: u64,
    /// Of those, how many found nothing.
    pub zero: u64,
    /// Results of the latest one.
    pub results: u64,
}

/// Reads waiting to be written.
#[derive(Default)]
struct PendingReads {
    /// (day, doc id) -> reads.
    reads: HashMap<(NaiveDate, String), u64>,
    /// doc id -> reads (the sum of `reads` per document, for read counts before the write).
    totals: HashMap<String, u64>,
    /// (day, space id, reader key).
    readers: HashSet<(NaiveDate, String, String)>,
}

/// The in-memory side of the figures, shared by every handle of the store.
#[derive(Default)]
struct Shared {
    /// Held while they are written, so that a read count never misses or doubles them (a write
    /// takes milliseconds, every few seconds).
    reads: Mutex<PendingReads>,
    /// (day, query) -> tally, taken out before they are written.
    searches: Mutex<HashMap<(NaiveDate, String), SearchTally>>,
    /// (account id, doc id) -> when its last read was counted (for collapsing refreshes).
    last_counted: Mutex<HashMap<(String, String), DateTime<Utc>>>,
    /// Reader entries already written (or pending), so each is written once: (day, space, key).
    readers_known: Mutex<HashSet<(NaiveDate, String, String)>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The trees of this module and the tallies waiting for them.
#[derive(Clone)]
pub struct Stats {
    pub(super) reads: sled::Tree,
    pub(super) reads_daily: sled::Tree,
    pub(super) readers_daily: sled::Tree,
    pub(super) search_log: sled::Tree,
    shared: Arc<Shared>,
}

/// The key of a reader in [`READERS_DAILY`]: the first 16 hex digits of SHA-256 of the account
/// id (counts distinct readers without keeping account ids).
pub fn reader_key(user_id: &str) -> String {
    use sha2::{Digest, Sha256};
    let d = Sha256::digest(user_id.as_bytes());
    d[..8].iter().map(|b| format!("{b:02x}")).collect()
}

fn day_key(day: NaiveDate) -> Vec<u8> {
    day.format("%Y-%m-%d").to_string().into_bytes()
}

fn with_day(day: NaiveDate, rest: &[u8]) -> Vec<u8> {
    let mut k = day_key(day);
    k.extend_from_slice(rest);
    k
}

fn split_day(k: &[u8]) -> Result<(NaiveDate, &[u8])> {
    if k.len() < 10 {
        return Err(Error::internal("corrupt stats key: too short"));
    }
    let (d, rest) = k.split_at(10);
    let d = std::str::from_utf8(d)
        .ok()
        .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
        .ok_or_else(|| Error::internal("corrupt stats key: not a day"))?;
    Ok((d, rest))
}

fn count(v: Option<&[u8]>) -> u64 {
    v.and_then(|b| <[u8; 8]>::try_from(b).ok())
        .map(u64::from_be_bytes)
        .unwrap_or(0)
}

fn text(b: &[u8]) -> Result<String> {
    String::from_utf8(b.to_vec()).map_err(|_| Error::internal("corrupt stats key: not UTF-8"))
}

/// Every entry of `tree` whose day lies in `from..=to`.
fn days(
    tree: &sled::Tree,
    from: NaiveDate,
    to: NaiveDate,
) -> impl Iterator<Item = Result<(NaiveDate, Vec<u8>, sled::IVec)>> + use<> {
    let end = to.succ_opt().unwrap_or(to);
    tree.range(day_key(from)..day_key(end)).map(|kv| {
        let (k, v) = kv?;
        let (d, rest) = split_day(&k)?;
        Ok((d, rest.to_vec(), v))
    })
}

impl Stats {
    pub(super) fn new(
        reads: sled::Tree,
        reads_daily: sled::Tree,
        readers_daily: sled::Tree,
        search_log: sled::Tree,
    ) -> Self {
        Stats {
            reads,
            reads_daily,
            readers_daily,
            search_log,
            shared: Arc::default(),
        }
    }

    /// Counts a read of `doc` (in `space`) by `user` at `now`, unless the same account's last
    /// counted read of it is less than `window` old (a refresh). Whether it was counted. No I/O.
    pub fn add_read(
        &self,
        user: &str,
        doc: &str,
        space: &str,
        now: DateTime<Utc>,
        window: chrono::Duration,
    ) -> bool {
        {
            let mut last = lock(&self.shared.last_counted);
            let key = (user.to_owned(), doc.to_owned());
            if last.get(&key).is_some_and(|t| now - *t < window) {
                return false;
            }
            if last.len() >= 50_000 {
                // Bounded: what is past the window no longer collapses anything.
                last.retain(|_, t| now - *t < window);
            }
            last.insert(key, now);
        }
        let day = now.date_naive();
        let reader = (day, space.to_owned(), reader_key(user));
        let new_reader = {
            let mut known = lock(&self.shared.readers_known);
            if known.iter().next().is_some_and(|(d, _, _)| *d != day) {
                known.retain(|(d, _, _)| *d == day);
            }
            known.insert(reader.clone())
        };
        let mut p = lock(&self.shared.reads);
        *p.reads.entry((day, doc.to_owned())).or_default() += 1;
        *p.totals.entry(doc.to_owned()).or_default() += 1;
        if new_reader {
            p.readers.insert(reader);
        }
        true
    }

    /// Tallies a search for the normalised `query` on `day` that found `results`. No I/O.
    pub fn add_search(&self, day: NaiveDate, query: &str, results: u64) {
        let mut p = lock(&self.shared.searches);
        let t = p.entry((day, query.to_owned())).or_default();
        t.searches += 1;
        t.zero += u64::from(results == 0);
        t.results = results;
    }

    /// Reads of `doc` in total, those not yet written included.
    pub fn read_count(&self, doc: &str) -> Result<u64> {
        let p = lock(&self.shared.reads);
        let stored = count(self.reads.get(doc.as_bytes())?.as_deref());
        Ok(stored + p.totals.get(doc).copied().unwrap_or(0))
    }

    /// Reads per document on the days `from..=to` (written ones: call
    /// [`super::Store::write_stats`] first).
    pub fn reads_between(&self, from: NaiveDate, to: NaiveDate) -> Result<HashMap<String, u64>> {
        let mut out: HashMap<String, u64> = HashMap::new();
        for e in days(&self.reads_daily, from, to) {
            let (_, doc, v) = e?;
            *out.entry(text(&doc)?).or_default() += count(Some(&v));
        }
        Ok(out)
    }

    /// (day, space id, reader key) of every reader on the days `from..=to`.
    pub fn readers_between(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<(NaiveDate, String, String)>> {
        days(&self.readers_daily, from, to)
            .map(|e| {
                let (d, rest, _) = e?;
                let rest = text(&rest)?;
                let (space, reader) = rest
                    .split_once('\0')
                    .ok_or_else(|| Error::internal("corrupt reader key"))?;
                Ok((d, space.to_owned(), reader.to_owned()))
            })
            .collect()
    }

    /// (day, query, tally) of the search log on the days `from..=to`.
    pub fn searches_between(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<(NaiveDate, String, SearchTally)>> {
        days(&self.search_log, from, to)
            .map(|e| {
                let (d, q, v) = e?;
                Ok((d, text(&q)?, from_json(&v)?))
            })
            .collect()
    }

    /// The first day the search log holds an entry for, if any.
    pub fn oldest_search_day(&self) -> Result<Option<NaiveDate>> {
        match self.search_log.iter().next() {
            Some(kv) => Ok(Some(split_day(&kv?.0)?.0)),
            None => Ok(None),
        }
    }
}

/// Keys of `tree` before `cutoff` (whose day is older), at most `limit`.
fn keys_before(tree: &sled::Tree, cutoff: NaiveDate, limit: usize) -> Result<Vec<sled::IVec>> {
    tree.range(..day_key(cutoff))
        .keys()
        .take(limit)
        .map(|k| Ok(k?))
        .collect()
}

impl super::Store {
    /// Writes the tallies waiting in memory ([`Stats`]) in one transaction through the write gate,
    /// then removes search-log entries from before `search_cutoff` and per-day reads and readers
    /// from before `daily_cutoff`. Returns how many entries were removed. Durable with the next
    /// flush of the group commit (a crash loses at most the last few seconds of counts).
    pub fn write_stats(&self, search_cutoff: NaiveDate, daily_cutoff: NaiveDate) -> Result<usize> {
        let s = &self.stats;
        let mut reads = lock(&s.shared.reads);
        let searches: Vec<(Vec<u8>, SearchTally)> = std::mem::take(&mut *lock(&s.shared.searches))
            .into_iter()
            .map(|((d, q), t)| (with_day(d, q.as_bytes()), t))
            .collect();
        if !(reads.reads.is_empty() && reads.readers.is_empty() && searches.is_empty()) {
            let p = &*reads;
            let written = self.commit.write(|| {
                (&s.reads, &s.reads_daily, &s.readers_daily, &s.search_log).transaction(
                    |(tr, daily, readers, log)| {
                        for (doc, n) in &p.totals {
                            let old = count(tr.get(doc.as_bytes())?.as_deref());
                            tr.insert(doc.as_bytes(), &(old + n).to_be_bytes())?;
                        }
                        for ((d, doc), n) in &p.reads {
                            let k = with_day(*d, doc.as_bytes());
                            let old = count(daily.get(&k)?.as_deref());
                            daily.insert(k, &(old + n).to_be_bytes())?;
                        }
                        for (d, space, reader) in &p.readers {
                            let mut rest = space.as_bytes().to_vec();
                            rest.push(0);
                            rest.extend_from_slice(reader.as_bytes());
                            readers.insert(with_day(*d, &rest), &[])?;
                        }
                        for (k, t) in &searches {
                            let mut cur: SearchTally = match log.get(k)? {
                                Some(v) => super::tx_json(&v)?,
                                None => SearchTally::default(),
                            };
                            cur.searches += t.searches;
                            cur.zero += t.zero;
                            cur.results = t.results;
                            log.insert(k.as_slice(), to_json(&cur))?;
                        }
                        Ok::<(), TxError>(())
                    },
                )
            });
            match written {
                // Written: the tallies are in the trees now.
                Ok(()) => *reads = PendingReads::default(),
                Err(e) => {
                    // The reads stay pending (tried again next time); the searches are dropped.
                    return Err(e.into());
                }
            }
        }
        drop(reads);
        let mut removed = 0;
        for (tree, cutoff) in [
            (&s.search_log, search_cutoff),
            (&s.reads_daily, daily_cutoff),
            (&s.readers_daily, daily_cutoff),
        ] {
            loop {
                let old = keys_before(tree, cutoff, 1000)?;
                if old.is_empty() {
                    break;
                }
                self.commit.write(|| {
                    tree.transaction(|t| {
                        for k in &old {
                            t.remove(k)?;
                        }
                        Ok::<(), TxError>(())
                    })
                })?;
                removed += old.len();
            }
        }
        Ok(removed)
    }

    /// Writes one search-log entry as it is, for `day`: for tests (to plant an old entry) and
    /// tools. Requests go through [`Stats::add_search`].
    pub fn put_search_log(&self, day: NaiveDate, query: &str, tally: SearchTally) -> Result<()> {
        let k = with_day(day, query.as_bytes());
        let v = to_json(&tally);
        self.commit.write(|| {
            self.stats.search_log.transaction(|t| {
                t.insert(k.as_slice(), v.as_slice())?;
                Ok::<(), TxError>(())
            })
        })?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tallies_are_written_once_and_pruned_by_day() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::Store::open(dir.path()).unwrap();
        let now = Utc::now();
        let w = chrono::Duration::minutes(30);
        assert!(store.stats.add_read("u1", "d1", "s1", now, w));
        assert!(!store.stats.add_read("u1", "d1", "s1", now, w), "a refresh");
        assert!(store.stats.add_read("u1", "d1", "s1", now + w, w));
        assert!(store.stats.add_read("u2", "d1", "s1", now, w));
        assert_eq!(store.stats.read_count("d1").unwrap(), 3);
        let today = now.date_naive();
        store.stats.add_search(today, "报销", 0);
        store.stats.add_search(today, "报销", 2);
        let old = today - chrono::Days::new(100);
        store
            .put_search_log(
                old,
                "旧",
                SearchTally {
                    searches: 1,
                    zero: 1,
                    results: 0,
                },
            )
            .unwrap();
        let removed = store
            .write_stats(
                today - chrono::Days::new(90),
                today - chrono::Days::new(400),
            )
            .unwrap();
        assert_eq!(removed, 1);
        assert_eq!(
            store.stats.read_count("d1").unwrap(),
            3,
            "written, not doubled"
        );
        let reads = store.stats.reads_between(old, today).unwrap();
        assert_eq!(reads.get("d1").copied(), Some(3));
        assert_eq!(store.stats.readers_between(old, today).unwrap().len(), 2);
        let log = store.stats.searches_between(old, today).unwrap();
        assert_eq!(log.len(), 1);
        assert_eq!(log[0].1, "报销");
        assert_eq!(
            log[0].2,
            SearchTally {
                searches: 2,
                zero: 1,
                results: 2
            }
        );
    }
}
