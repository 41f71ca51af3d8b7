//! Storage in sled: named, documented trees; every multi-key write in one transaction
//! ([`Store::transact`]); writes acknowledged only after [`Store::flush`].
//!
//! Values are JSON, except versions, which are postcard (compact: they are most of the bytes).

pub mod catalog;
mod commit;
pub mod names;

use std::{
    path::Path,
    sync::{Arc, Mutex},
};

use serde::{Serialize, de::DeserializeOwned};
use sled::transaction::{ConflictableTransactionError, TransactionalTree};

use crate::error::{Error, Result};

/// Store metadata (format version, first-start marker). key = name (UTF-8).
pub const META: &str = "meta";
/// Accounts. key = user id; value = [`crate::model::User`].
pub const USERS: &str = "users";
/// Unique index of login names. key = lower-cased username; value = user id.
pub const USERNAMES: &str = "usernames";
/// Sessions and API tokens. key = SHA-256 of the token (the token itself is never stored);
/// value = [`crate::model::Session`].
pub const SESSIONS: &str = "sessions";
/// Browsers where an account logged in successfully (device cookies, see [`crate::service::sessions::Throttle`]).
/// key = SHA-256 of the cookie value; value = [`crate::model::Device`].
pub const DEVICES: &str = "devices";
/// Unique names of spaces, categories (among siblings) and departments, see [`names`].
/// key = kind ‖ 0x00 ‖ scope ‖ 0x00 ‖ lower-cased name; value = the id holding it.
pub const NAMES: &str = "names";
/// Departments. key = group id; value = [`crate::model::Group`].
pub const GROUPS: &str = "groups";
/// Spaces. key = space id; value = [`crate::model::Space`].
pub const SPACES: &str = "spaces";
/// Categories of all spaces. key = category id; value = [`crate::model::Category`].
pub const CATEGORIES: &str = "categories";
/// Documents: head metadata. key = doc id; value = [`crate::model::Doc`] (without its body).
pub const DOCS: &str = "docs";
/// Head text of each document, whole (fast reads). key = doc id; value = UTF-8 Markdown.
pub const BODIES: &str = "bodies";
/// Version n of a document. key = doc id ‖ n (u64 big-endian); value = postcard
/// [`crate::model::VersionRecord`] (a full snapshot or a delta against version n-1).
pub const VERSIONS: &str = "versions";
/// Work for the search indexer, written in the same transaction as the change.
/// key = sequence (u64 big-endian); value = doc id. Drained by the indexer after its commit.
pub const OUTBOX: &str = "outbox";
/// Append-only audit log. key = sequence (u64 big-endian, time ordered);
/// value = [`crate::model::AuditEvent`].
pub const AUDIT: &str = "audit";
/// Favourites. key = user id ‖ 0x00 ‖ doc id; value = RFC 3339 time added.
pub const FAVOURITES: &str = "favourites";
/// Where imported documents came from. key = space id ‖ 0x00 ‖ relative path; value = doc id.
pub const IMPORT_PATHS: &str = "import_paths";
/// Settings edited by admins (synonyms, sensitive words). key = setting name; value = JSON.
pub const SETTINGS: &str = "settings";
/// Reviews. key = review id; value = review JSON.
pub const REVIEWS: &str = "reviews";
/// The open review of each document (at most one: a new submission supersedes it), so submitting
/// needs neither a scan of all reviews nor a process-wide lock. key = doc id; value = review id.
/// Maintained by the transactions that submit and decide; verified by `hanlin check`.
pub const OPEN_REVIEWS: &str = "open_reviews";
/// In-app notifications. key = user id ‖ 0x00 ‖ sequence (u64 big-endian); value = notification JSON.
pub const NOTIFICATIONS: &str = "notifications";

// Storage errors become internal API errors here, where sled is named (and only here).
impl From<sled::Error> for Error {
    fn from(e: sled::Error) -> Self {
        Error::Internal(format!("storage: {e}"))
    }
}

impl From<sled::transaction::TransactionError<Error>> for Error {
    fn from(e: sled::transaction::TransactionError<Error>) -> Self {
        match e {
            sled::transaction::TransactionError::Abort(e) => e,
            sled::transaction::TransactionError::Storage(e) => e.into(),
        }
    }
}

/// The sled cache: enough for the hot set; sled's default (1 GB) is far too much for this process.
const CACHE_CAPACITY: u64 = 64 * 1024 * 1024;

/// The database handle and its trees.
#[derive(Clone)]
pub struct Store {
    db: sled::Db,
    /// The write gate and the group-commit flusher: every write passes it (see [`commit`]).
    commit: Arc<commit::GroupCommit>,
    /// Sequence numbers handed out from a block reserved in [`META`].
    seq: Arc<Mutex<SeqBlock>>,
    catalog: catalog::CatalogCache,
    /// See [`META`].
    pub meta: sled::Tree,
    /// See [`USERS`].
    pub users: sled::Tree,
    /// See [`USERNAMES`].
    pub usernames: sled::Tree,
    /// See [`SESSIONS`].
    pub sessions: sled::Tree,
    /// See [`DEVICES`].
    pub devices: sled::Tree,
    /// See [`NAMES`].
    pub names: sled::Tree,
    /// See [`OPEN_REVIEWS`].
    pub open_reviews: sled::Tree,
    /// See [`GROUPS`].
    pub groups: sled::Tree,
    /// See [`SPACES`].
    pub spaces: sled::Tree,
    /// See [`CATEGORIES`].
    pub categories: sled::Tree,
    /// See [`DOCS`].
    pub docs: sled::Tree,
    /// See [`BODIES`].
    pub bodies: sled::Tree,
    /// See [`VERSIONS`].
    pub versions: sled::Tree,
    /// See [`OUTBOX`].
    pub outbox: sled::Tree,
    /// See [`AUDIT`].
    pub audit: sled::Tree,
    /// See [`FAVOURITES`].
    pub favourites: sled::Tree,
    /// See [`IMPORT_PATHS`].
    pub import_paths: sled::Tree,
    /// See [`SETTINGS`].
    pub settings: sled::Tree,
    /// See [`REVIEWS`].
    pub reviews: sled::Tree,
    /// See [`NOTIFICATIONS`].
    pub notifications: sled::Tree,
}

/// Sequence numbers `next..reserved` may be handed out; `reserved` is stored in [`META`] before any
/// of them is, so a number is never handed out twice, even across a crash.
struct SeqBlock {
    next: u64,
    reserved: u64,
}

/// Key in [`META`] of the end of the reserved block of sequence numbers (u64 big-endian).
const SEQ_RESERVED: &[u8] = b"seq_reserved";
/// How many sequence numbers one reservation covers.
const SEQ_BLOCK: u64 = 10_000;

/// The trees a transaction may write, by name.
pub struct Tx<'a> {
    /// See [`USERS`].
    pub users: Watched<'a>,
    /// See [`USERNAMES`].
    pub usernames: Watched<'a>,
    /// See [`SESSIONS`].
    pub sessions: &'a TransactionalTree,
    /// See [`DEVICES`].
    pub devices: &'a TransactionalTree,
    /// See [`NAMES`].
    pub names: &'a TransactionalTree,
    /// See [`OPEN_REVIEWS`].
    pub open_reviews: &'a TransactionalTree,
    /// See [`GROUPS`].
    pub groups: Watched<'a>,
    /// See [`SPACES`].
    pub spaces: Watched<'a>,
    /// See [`CATEGORIES`].
    pub categories: Watched<'a>,
    /// See [`DOCS`].
    pub docs: &'a TransactionalTree,
    /// See [`BODIES`].
    pub bodies: &'a TransactionalTree,
    /// See [`VERSIONS`].
    pub versions: &'a TransactionalTree,
    /// See [`OUTBOX`].
    pub outbox: &'a TransactionalTree,
    /// See [`AUDIT`].
    pub audit: &'a TransactionalTree,
    /// See [`FAVOURITES`].
    pub favourites: &'a TransactionalTree,
    /// See [`IMPORT_PATHS`].
    pub import_paths: &'a TransactionalTree,
    /// See [`SETTINGS`].
    pub settings: &'a TransactionalTree,
    /// See [`REVIEWS`].
    pub reviews: &'a TransactionalTree,
    /// See [`NOTIFICATIONS`].
    pub notifications: &'a TransactionalTree,
}

/// A tree the in-memory catalog is read from (accounts, departments, spaces, categories): writes
/// through it mark the transaction as one that makes the catalog stale. Other commits (a document
/// save, a session) leave the catalog as it is.
#[derive(Clone, Copy)]
pub struct Watched<'a> {
    tree: &'a TransactionalTree,
    touched: &'a std::cell::Cell<bool>,
}

type TxOp<T> = std::result::Result<T, sled::transaction::UnabortableTransactionError>;

impl Watched<'_> {
    /// Reads a key.
    pub fn get(&self, key: impl AsRef<[u8]>) -> TxOp<Option<sled::IVec>> {
        self.tree.get(key)
    }

    /// Writes a key (and marks the catalog stale).
    pub fn insert(
        &self,
        key: impl AsRef<[u8]> + Into<sled::IVec>,
        value: impl Into<sled::IVec>,
    ) -> TxOp<Option<sled::IVec>> {
        self.touched.set(true);
        self.tree.insert(key, value)
    }

    /// Removes a key (and marks the catalog stale).
    pub fn remove(&self, key: impl AsRef<[u8]> + Into<sled::IVec>) -> TxOp<Option<sled::IVec>> {
        self.touched.set(true);
        self.tree.remove(key)
    }
}

/// What [`tx_modify`] needs of a tree: a plain transactional tree or a [`Watched`] one.
pub trait TxTree {
    /// Reads a key.
    fn get_bytes(&self, key: &[u8]) -> TxOp<Option<sled::IVec>>;
    /// Writes a key.
    fn put_bytes(&self, key: &[u8], value: Vec<u8>) -> TxOp<()>;
}

impl TxTree for &TransactionalTree {
    fn get_bytes(&self, key: &[u8]) -> TxOp<Option<sled::IVec>> {
        self.get(key)
    }
    fn put_bytes(&self, key: &[u8], value: Vec<u8>) -> TxOp<()> {
        self.insert(key, value).map(|_| ())
    }
}

impl TxTree for Watched<'_> {
    fn get_bytes(&self, key: &[u8]) -> TxOp<Option<sled::IVec>> {
        self.get(key)
    }
    fn put_bytes(&self, key: &[u8], value: Vec<u8>) -> TxOp<()> {
        self.insert(key, value).map(|_| ())
    }
}

/// Error type inside a transaction closure.
pub type TxError = ConflictableTransactionError<Error>;
/// Result type inside a transaction closure.
pub type TxResult<T> = std::result::Result<T, TxError>;

/// Aborts a transaction with an API error.
pub fn abort<T>(e: Error) -> TxResult<T> {
    Err(ConflictableTransactionError::Abort(e))
}

/// Encodes a value as JSON bytes.
pub fn to_json<T: Serialize>(v: &T) -> Vec<u8> {
    serde_json::to_vec(v).expect("stored types always serialise")
}

/// Decodes JSON bytes from a tree, as an internal error when the store is damaged.
pub fn from_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| Error::internal(format!("corrupt record: {e}")))
}

/// Decodes JSON inside a transaction.
pub fn tx_json<T: DeserializeOwned>(bytes: &[u8]) -> TxResult<T> {
    from_json(bytes).map_err(ConflictableTransactionError::Abort)
}

/// Reads the JSON record at `key` inside a transaction, lets `change` edit it, writes it back and
/// returns it; a missing record aborts with `not_found` (`what` names it).
pub fn tx_modify<T: Serialize + DeserializeOwned>(
    tree: impl TxTree,
    key: &[u8],
    what: &'static str,
    change: impl FnOnce(&mut T),
) -> TxResult<T> {
    let mut record: T = match tree.get_bytes(key)? {
        Some(b) => tx_json(&b)?,
        None => return abort(Error::NotFound(what)),
    };
    change(&mut record);
    tree.put_bytes(key, to_json(&record))?;
    Ok(record)
}

/// Key of version `n` of document `id`.
pub fn version_key(id: &str, n: u64) -> Vec<u8> {
    let mut k = Vec::with_capacity(id.len() + 8);
    k.extend_from_slice(id.as_bytes());
    k.extend_from_slice(&n.to_be_bytes());
    k
}

/// Key joining two parts with a 0x00 separator.
pub fn pair_key(a: &str, b: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(a.len() + b.len() + 1);
    k.extend_from_slice(a.as_bytes());
    k.push(0);
    k.extend_from_slice(b.as_bytes());
    k
}

impl Store {
    /// Opens (or creates) the database at `dir`.
    pub fn open(dir: &Path) -> Result<Self> {
        let db = sled::Config::new()
            .path(dir)
            .cache_capacity(CACHE_CAPACITY)
            .mode(sled::Mode::HighThroughput)
            // Durability is the group commit's (see `commit`): sled's own timer flush would
            // interleave with transactions, which is what deadlocks sled 0.34.
            .flush_every_ms(None)
            .open()
            .map_err(|e| match e {
                // sled allows one process per database.
                sled::Error::Io(io) if io.kind() == std::io::ErrorKind::WouldBlock => {
                    Error::bad(format!(
                        "the data directory {} is in use by another Hanlin process (a running server?); stop it first",
                        dir.parent().unwrap_or(dir).display()
                    ))
                }
                e => Error::internal(format!("cannot open the database at {}: {e}", dir.display())),
            })?;
        let t = |name: &str| db.open_tree(name);
        let meta = t(META)?;
        // Above every number handed out before: sled's own generator (data directories from
        // before the reserved block) and the stored reservation.
        let stored = meta
            .get(SEQ_RESERVED)?
            .and_then(|v| <[u8; 8]>::try_from(v.as_ref()).ok())
            .map(u64::from_be_bytes)
            .unwrap_or(0);
        let start = stored.max(db.generate_id()? + 1);
        let store = Store {
            commit: commit::GroupCommit::start(db.clone())?,
            seq: Arc::new(Mutex::new(SeqBlock {
                next: start,
                reserved: start,
            })),
            meta,
            users: t(USERS)?,
            usernames: t(USERNAMES)?,
            sessions: t(SESSIONS)?,
            devices: t(DEVICES)?,
            names: t(NAMES)?,
            open_reviews: t(OPEN_REVIEWS)?,
            groups: t(GROUPS)?,
            spaces: t(SPACES)?,
            categories: t(CATEGORIES)?,
            docs: t(DOCS)?,
            bodies: t(BODIES)?,
            versions: t(VERSIONS)?,
            outbox: t(OUTBOX)?,
            audit: t(AUDIT)?,
            favourites: t(FAVOURITES)?,
            import_paths: t(IMPORT_PATHS)?,
            settings: t(SETTINGS)?,
            reviews: t(REVIEWS)?,
            notifications: t(NOTIFICATIONS)?,
            db,
            catalog: catalog::CatalogCache::default(),
        };
        names::build_if_missing(&store)?;
        Ok(store)
    }

    /// A fresh monotonic sequence number (outbox, audit, notification keys).
    pub fn next_seq(&self) -> Result<u64> {
        let mut block = self.seq.lock().unwrap_or_else(|p| p.into_inner());
        if block.next >= block.reserved {
            let reserved = block.next + SEQ_BLOCK;
            self.put_meta(SEQ_RESERVED, &reserved.to_be_bytes())?;
            block.reserved = reserved;
        }
        block.next += 1;
        Ok(block.next - 1)
    }

    /// Writes one value of [`META`] (through the write gate, like every write).
    pub fn put_meta(&self, key: &[u8], value: &[u8]) -> Result<()> {
        self.commit.write(|| {
            self.meta.transaction(|t| {
                t.insert(key, value)?;
                Ok::<(), TxError>(())
            })
        })?;
        Ok(())
    }

    /// Runs `f` as one atomic transaction over all writable trees, through the write gate. `f` must be pure: sled may run it
    /// more than once on conflict.
    pub fn transact<T>(&self, f: impl Fn(&Tx<'_>) -> TxResult<T>) -> Result<T> {
        // A slice, not a tuple: sled's tuples stop at 14 trees.
        let trees: [&sled::Tree; 19] = [
            &self.users,
            &self.usernames,
            &self.sessions,
            &self.groups,
            &self.spaces,
            &self.categories,
            &self.docs,
            &self.bodies,
            &self.versions,
            &self.outbox,
            &self.audit,
            &self.favourites,
            &self.import_paths,
            &self.settings,
            &self.reviews,
            &self.notifications,
            &self.devices,
            &self.names,
            &self.open_reviews,
        ];
        use sled::Transactional;
        let touched = std::cell::Cell::new(false);
        let r = self.commit.write(|| {
            trees[..].transaction(|v| {
                f(&Tx {
                    users: Watched {
                        tree: &v[0],
                        touched: &touched,
                    },
                    usernames: Watched {
                        tree: &v[1],
                        touched: &touched,
                    },
                    sessions: &v[2],
                    groups: Watched {
                        tree: &v[3],
                        touched: &touched,
                    },
                    spaces: Watched {
                        tree: &v[4],
                        touched: &touched,
                    },
                    categories: Watched {
                        tree: &v[5],
                        touched: &touched,
                    },
                    docs: &v[6],
                    bodies: &v[7],
                    versions: &v[8],
                    outbox: &v[9],
                    audit: &v[10],
                    favourites: &v[11],
                    import_paths: &v[12],
                    settings: &v[13],
                    reviews: &v[14],
                    notifications: &v[15],
                    devices: &v[16],
                    names: &v[17],
                    open_reviews: &v[18],
                })
            })
        })?;
        // Before returning (so before any client is answered): cached copies are now stale, if the
        // transaction wrote a tree the catalog is read from.
        if touched.get() {
            self.catalog.invalidate();
        }
        Ok(r)
    }

    /// Spaces, categories, groups and account names, from memory unless a commit made them stale.
    pub fn catalog(&self) -> Result<Arc<catalog::Catalog>> {
        self.catalog
            .get(|generation| catalog::load(self, generation))
    }

    /// Waits until every write committed so far is durable (the group commit's next flush that
    /// covers them). Call it after a write and before answering the client.
    pub async fn flush(&self) -> Result<()> {
        self.commit.durable().await
    }

    /// [`Store::flush`] for plain threads (CLI, start-up).
    pub fn flush_blocking(&self) -> Result<()> {
        self.commit.durable_blocking()
    }

    /// Reads a JSON record.
    pub fn get_json<T: DeserializeOwned>(
        &self,
        tree: &sled::Tree,
        key: &[u8],
    ) -> Result<Option<T>> {
        match tree.get(key)? {
            Some(v) => Ok(Some(from_json(&v)?)),
            None => Ok(None),
        }
    }

    /// Reads every JSON record of a tree.
    pub fn all_json<T: DeserializeOwned>(&self, tree: &sled::Tree) -> Result<Vec<T>> {
        tree.iter()
            .values()
            .map(|v| from_json(&v?))
            .collect::<Result<Vec<T>>>()
    }

    /// Bytes the database occupies on disk.
    pub fn size_on_disk(&self) -> Result<u64> {
        Ok(self.db.size_on_disk()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_commits_to_catalog_trees_make_the_catalog_stale() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let before = store.catalog().unwrap();
        // A document save (docs, bodies, versions, outbox, audit) leaves it as it is.
        store
            .transact(|tx| {
                tx.docs.insert(b"d1".as_slice(), b"{}".as_slice())?;
                tx.outbox.insert(b"1".as_slice(), b"d1".as_slice())?;
                Ok(())
            })
            .unwrap();
        assert!(Arc::ptr_eq(&before, &store.catalog().unwrap()));
        // A department change does not.
        let g = crate::model::Group {
            id: "g1".into(),
            name: "研发部".into(),
            members: vec![],
            created_at: chrono::Utc::now(),
        };
        store
            .transact(|tx| {
                tx.groups.insert(b"g1".as_slice(), to_json(&g))?;
                Ok(())
            })
            .unwrap();
        let after = store.catalog().unwrap();
        assert!(!Arc::ptr_eq(&before, &after));
        assert_eq!(after.groups.len(), 1);
    }
}
