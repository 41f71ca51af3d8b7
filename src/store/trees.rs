//! The trees that are not plain records by id: their key layouts and codecs, each in one place,
//! with a reading side (on [`super::Store`]) and a writing side (on [`super::Tx`]).

use chrono::{DateTime, Utc};
use serde::{Serialize, de::DeserializeOwned};
use sled::transaction::TransactionalTree;

use super::{TxResult, from_json, to_json, tx_json};
use crate::{
    error::{Error, Result},
    model::{AuditEvent, Notification, QueuedDelivery, VersionRecord},
};

/// Key joining two parts with a 0x00 separator (ids never contain one).
pub(super) fn pair_key(a: &str, b: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(a.len() + b.len() + 1);
    k.extend_from_slice(a.as_bytes());
    k.push(0);
    k.extend_from_slice(b.as_bytes());
    k
}

/// `a` ‖ 0x00: the prefix of every [`pair_key`] starting with `a`.
pub(super) fn prefix(a: &str) -> Vec<u8> {
    let mut k = a.as_bytes().to_vec();
    k.push(0);
    k
}

/// Key of an id followed by a big-endian number (versions, notifications).
fn numbered_key(id: &str, sep: bool, n: u64) -> Vec<u8> {
    let mut k = Vec::with_capacity(id.len() + 9);
    k.extend_from_slice(id.as_bytes());
    if sep {
        k.push(0);
    }
    k.extend_from_slice(&n.to_be_bytes());
    k
}

fn be_u64(b: &[u8]) -> Result<u64> {
    <[u8; 8]>::try_from(b)
        .map(u64::from_be_bytes)
        .map_err(|_| Error::internal("corrupt key: not a sequence number"))
}

fn utf8(b: &[u8], what: &str) -> Result<String> {
    String::from_utf8(b.to_vec()).map_err(|_| Error::internal(format!("corrupt {what}: not UTF-8")))
}

// ---- text by id (document bodies) ---------------------------------------------------------------

/// UTF-8 text by id: the head body of each document.
#[derive(Clone)]
pub struct Texts(pub(super) sled::Tree);

impl Texts {
    /// The text at `id`.
    pub fn get(&self, id: &str) -> Result<Option<String>> {
        self.0
            .get(id.as_bytes())?
            .map(|b| utf8(&b, "text"))
            .transpose()
    }
}

/// [`Texts`] inside a transaction.
#[derive(Clone, Copy)]
pub struct TxTexts<'a>(pub(super) &'a TransactionalTree);

impl TxTexts<'_> {
    /// Writes the text at `id`.
    pub fn put(&self, id: &str, text: &str) -> TxResult<()> {
        self.0.insert(id.as_bytes(), text.as_bytes())?;
        Ok(())
    }
}

// ---- an index: a key to an id (login names, open reviews) -------------------------------------------

/// A unique index from a key (a lower-cased login name, a document id) to an id.
#[derive(Clone)]
pub struct Index(pub(super) sled::Tree);

impl Index {
    /// The id held at `key`.
    pub fn get(&self, key: &str) -> Result<Option<String>> {
        self.0
            .get(key.as_bytes())?
            .map(|b| utf8(&b, "index entry"))
            .transpose()
    }

    /// Whether the index is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every (key, id) pair, in key order.
    pub fn entries(&self) -> impl Iterator<Item = Result<(String, String)>> + use<> {
        self.0.iter().map(|kv| {
            let (k, v) = kv?;
            Ok((utf8(&k, "index key")?, utf8(&v, "index entry")?))
        })
    }
}

/// [`Index`] inside a transaction.
#[derive(Clone, Copy)]
pub struct TxIndex<'a>(pub(super) &'a TransactionalTree);

impl TxIndex<'_> {
    /// The id held at `key`.
    pub fn get(&self, key: &str) -> TxResult<Option<String>> {
        match self.0.get(key.as_bytes())? {
            Some(b) => Ok(Some(
                utf8(&b, "index entry").map_err(super::TxError::Abort)?,
            )),
            None => Ok(None),
        }
    }

    /// Points `key` at `id`.
    pub fn put(&self, key: &str, id: &str) -> TxResult<()> {
        self.0.insert(key.as_bytes(), id.as_bytes())?;
        Ok(())
    }

    /// Removes `key`.
    pub fn remove(&self, key: &str) -> TxResult<()> {
        self.0.remove(key.as_bytes())?;
        Ok(())
    }
}

// ---- versions ---------------------------------------------------------------------------------

/// Versions of documents. key = doc id ‖ n (u64 big-endian); value = postcard [`VersionRecord`].
#[derive(Clone)]
pub struct Versions(pub(super) sled::Tree);

/// A version record encoded for [`TxVersions::put`] (outside the transaction closure).
pub struct EncodedVersion(Vec<u8>);

impl EncodedVersion {
    /// Encodes a version record.
    pub fn new(v: &VersionRecord) -> Self {
        EncodedVersion(postcard::to_allocvec(v).expect("version records always serialise"))
    }

    /// Size of the encoding in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the encoding is empty (never).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The leading fields of a [`VersionRecord`], in its order: postcard encodes a struct as its
/// fields one after another, so these decode from the front of a record without its content.
#[derive(serde::Deserialize)]
struct VersionHead {
    version: u64,
    _author: String,
    created_at: DateTime<Utc>,
    _message: String,
    _title: String,
    _tags: Vec<String>,
    category_id: Option<String>,
}

fn decode_version(id: &str, n: u64, bytes: &[u8]) -> Result<VersionRecord> {
    postcard::from_bytes(bytes)
        .map_err(|e| Error::internal(format!("corrupt version {id}/{n}: {e}")))
}

impl Versions {
    /// Version `n` of document `id`.
    pub fn get(&self, id: &str, n: u64) -> Result<Option<VersionRecord>> {
        self.0
            .get(numbered_key(id, false, n))?
            .map(|b| decode_version(id, n, &b))
            .transpose()
    }

    /// The category the document lived in at version `n` (`None` when there is no such
    /// version), read without decoding the version's text.
    pub fn category_at(&self, id: &str, n: u64) -> Result<Option<Option<String>>> {
        let Some(bytes) = self.0.get(numbered_key(id, false, n))? else {
            return Ok(None);
        };
        let (head, _) = postcard::take_from_bytes::<VersionHead>(&bytes)
            .map_err(|e| Error::internal(format!("corrupt version {id}/{n}: {e}")))?;
        Ok(Some(head.category_id))
    }

    /// (version number, when it was saved) of every version of document `id`, newest first, read
    /// without decoding the versions' texts.
    pub fn times_newest_first(
        &self,
        id: &str,
    ) -> impl Iterator<Item = Result<(u64, DateTime<Utc>)>> + use<> {
        let owned = id.to_owned();
        let len = id.len() + 8;
        self.0
            .scan_prefix(id.as_bytes())
            .rev()
            .filter_map(move |kv| match kv {
                Ok((k, _)) if k.len() != len => None,
                Ok((_, v)) => Some(
                    postcard::take_from_bytes::<VersionHead>(&v)
                        .map(|(h, _)| (h.version, h.created_at))
                        .map_err(|e| Error::internal(format!("corrupt version of {owned}: {e}"))),
                ),
                Err(e) => Some(Err(e.into())),
            })
    }

    /// The stored size in bytes of each version of document `id`, oldest first, and whether it is
    /// a full snapshot (else a delta).
    pub fn stored_sizes(&self, id: &str) -> Result<Vec<(u64, bool)>> {
        let mut out = Vec::new();
        for r in self.newest_first(id) {
            let r = r?;
            let bytes = EncodedVersion::new(&r).len() as u64;
            out.push((
                bytes,
                matches!(r.content, crate::domain::versions::Content::Full(_)),
            ));
        }
        out.reverse();
        Ok(out)
    }

    /// Every version of document `id`, newest first.
    pub fn newest_first(&self, id: &str) -> impl Iterator<Item = Result<VersionRecord>> + use<> {
        let owned = id.to_owned();
        let len = id.len() + 8;
        self.0
            .scan_prefix(id.as_bytes())
            .rev()
            .filter_map(move |kv| match kv {
                // Another document's id may start with this one's.
                Ok((k, _)) if k.len() != len => None,
                Ok((k, v)) => {
                    Some(be_u64(&k[owned.len()..]).and_then(|n| decode_version(&owned, n, &v)))
                }
                Err(e) => Some(Err(e.into())),
            })
    }
}

/// [`Versions`] inside a transaction.
#[derive(Clone, Copy)]
pub struct TxVersions<'a>(pub(super) &'a TransactionalTree);

impl TxVersions<'_> {
    /// Writes version `n` of document `id`.
    pub fn put(&self, id: &str, n: u64, v: &EncodedVersion) -> TxResult<()> {
        self.0.insert(numbered_key(id, false, n), v.0.as_slice())?;
        Ok(())
    }
}

// ---- outbox -----------------------------------------------------------------------------------

/// Work for the search indexer. key = sequence (u64 big-endian); value = doc id.
#[derive(Clone)]
pub struct Outbox(pub(super) sled::Tree);

impl Outbox {
    /// How many entries wait.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether nothing waits.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The oldest `n` entries: (sequence, doc id).
    pub fn oldest(&self, n: usize) -> Result<Vec<(u64, String)>> {
        self.0
            .iter()
            .take(n)
            .map(|kv| {
                let (k, v) = kv?;
                Ok((be_u64(&k)?, utf8(&v, "outbox entry")?))
            })
            .collect()
    }
}

/// [`Outbox`] inside a transaction.
#[derive(Clone, Copy)]
pub struct TxOutbox<'a>(pub(super) &'a TransactionalTree);

impl TxOutbox<'_> {
    /// Queues document `doc` under sequence `seq`.
    pub fn push(&self, seq: u64, doc: &str) -> TxResult<()> {
        self.0.insert(&seq.to_be_bytes(), doc.as_bytes())?;
        Ok(())
    }

    /// Removes entry `seq` (handled).
    pub fn remove(&self, seq: u64) -> TxResult<()> {
        self.0.remove(&seq.to_be_bytes())?;
        Ok(())
    }
}

// ---- audit ------------------------------------------------------------------------------------

/// The append-only audit log. key = sequence (u64 big-endian); value = JSON [`AuditEvent`].
#[derive(Clone)]
pub struct Audit(pub(super) sled::Tree);

impl Audit {
    /// How many events are kept.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the log is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every event, newest first.
    pub fn newest_first(&self) -> impl Iterator<Item = Result<AuditEvent>> + use<> {
        self.0.iter().values().rev().map(|v| from_json(&v?))
    }

    /// The sequence numbers of up to `limit` of the oldest events from before `cutoff` (keys are
    /// time ordered, so this stops at the first newer one).
    pub fn older_than(&self, cutoff: DateTime<Utc>, limit: usize) -> Result<Vec<u64>> {
        let mut out = Vec::new();
        for kv in self.0.iter() {
            let (k, v) = kv?;
            let ev: AuditEvent = from_json(&v)?;
            if ev.at >= cutoff || out.len() >= limit {
                break;
            }
            out.push(be_u64(&k)?);
        }
        Ok(out)
    }
}

/// [`Audit`] inside a transaction.
#[derive(Clone, Copy)]
pub struct TxAudit<'a>(pub(super) &'a TransactionalTree);

impl TxAudit<'_> {
    /// Appends an event (its key is its sequence number).
    pub fn append(&self, ev: &AuditEvent) -> TxResult<()> {
        self.0.insert(&ev.seq.to_be_bytes(), to_json(ev))?;
        Ok(())
    }

    /// Removes event `seq` (retention only: nothing else deletes audit events).
    pub fn remove(&self, seq: u64) -> TxResult<()> {
        self.0.remove(&seq.to_be_bytes())?;
        Ok(())
    }
}

// ---- favourites -------------------------------------------------------------------------------

/// Favourites. key = user id ‖ 0x00 ‖ doc id; value = RFC 3339 time added.
#[derive(Clone)]
pub struct Favourites(pub(super) sled::Tree);

impl Favourites {
    /// Whether `user` marked `doc`.
    pub fn contains(&self, user: &str, doc: &str) -> Result<bool> {
        Ok(self.0.contains_key(pair_key(user, doc))?)
    }

    /// The documents `user` marked, with when (RFC 3339), in doc id order.
    pub fn of_user(&self, user: &str) -> Result<Vec<(String, String)>> {
        let p = prefix(user);
        self.0
            .scan_prefix(&p)
            .map(|kv| {
                let (k, v) = kv?;
                Ok((utf8(&k[p.len()..], "favourite")?, utf8(&v, "favourite")?))
            })
            .collect()
    }
}

/// [`Favourites`] inside a transaction.
#[derive(Clone, Copy)]
pub struct TxFavourites<'a>(pub(super) &'a TransactionalTree);

impl TxFavourites<'_> {
    /// Marks `doc` for `user` at `at` (RFC 3339).
    pub fn add(&self, user: &str, doc: &str, at: &str) -> TxResult<()> {
        self.0.insert(pair_key(user, doc), at.as_bytes())?;
        Ok(())
    }

    /// Unmarks `doc` for `user`.
    pub fn remove(&self, user: &str, doc: &str) -> TxResult<()> {
        self.0.remove(pair_key(user, doc))?;
        Ok(())
    }
}

// ---- import paths -------------------------------------------------------------------------------

/// Where imported documents came from. key = space id ‖ 0x00 ‖ relative path; value = doc id.
#[derive(Clone)]
pub struct ImportPaths(pub(super) sled::Tree);

/// Where one imported document came from.
pub struct ImportPath {
    /// The space imported into.
    pub space_id: String,
    /// The file's path inside the archive or folder.
    pub path: String,
    /// The document made from it.
    pub doc_id: String,
}

impl ImportPaths {
    /// How many imported files are recorded.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The document imported from `path` into `space`.
    pub fn get(&self, space: &str, path: &str) -> Result<Option<String>> {
        self.0
            .get(pair_key(space, path))?
            .map(|b| utf8(&b, "import path"))
            .transpose()
    }

    /// Every entry.
    pub fn all(&self) -> impl Iterator<Item = Result<ImportPath>> + use<> {
        self.0.iter().map(|kv| {
            let (k, v) = kv?;
            let k = utf8(&k, "import path")?;
            let (space_id, path) = k
                .split_once('\0')
                .ok_or_else(|| Error::internal("corrupt import path key"))?;
            Ok(ImportPath {
                space_id: space_id.to_owned(),
                path: path.to_owned(),
                doc_id: utf8(&v, "import path")?,
            })
        })
    }
}

/// [`ImportPaths`] inside a transaction.
#[derive(Clone, Copy)]
pub struct TxImportPaths<'a>(pub(super) &'a TransactionalTree);

impl TxImportPaths<'_> {
    /// Records that `doc` was imported from `path` into `space`.
    pub fn put(&self, space: &str, path: &str, doc: &str) -> TxResult<()> {
        self.0.insert(pair_key(space, path), doc.as_bytes())?;
        Ok(())
    }
}

// ---- settings ---------------------------------------------------------------------------------

/// Settings edited by admins. key = setting name; value = JSON.
#[derive(Clone)]
pub struct Settings(pub(super) sled::Tree);

impl Settings {
    /// The setting `name`.
    pub fn get<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>> {
        self.0
            .get(name.as_bytes())?
            .map(|b| from_json(&b))
            .transpose()
    }
}

/// [`Settings`] inside a transaction.
#[derive(Clone, Copy)]
pub struct TxSettings<'a>(pub(super) &'a TransactionalTree);

impl TxSettings<'_> {
    /// Replaces the setting `name`.
    pub fn put<T: Serialize>(&self, name: &str, value: &T) -> TxResult<()> {
        self.0.insert(name.as_bytes(), to_json(value))?;
        Ok(())
    }
}

// ---- notifications ----------------------------------------------------------------------------

/// In-app notifications. key = user id ‖ 0x00 ‖ sequence (u64 big-endian); value = JSON
/// [`Notification`].
#[derive(Clone)]
pub struct Notifications(pub(super) sled::Tree);

impl Notifications {
    /// The notifications of `user`, newest first.
    pub fn of_user_newest_first(
        &self,
        user: &str,
    ) -> impl Iterator<Item = Result<Notification>> + use<> {
        self.0
            .scan_prefix(prefix(user))
            .values()
            .rev()
            .map(|v| from_json(&v?))
    }

    /// Notification `seq` of `user`.
    pub fn get(&self, user: &str, seq: u64) -> Result<Option<Notification>> {
        self.0
            .get(numbered_key(user, true, seq))?
            .map(|b| from_json(&b))
            .transpose()
    }
}

/// [`Notifications`] inside a transaction.
#[derive(Clone, Copy)]
pub struct TxNotifications<'a>(pub(super) &'a TransactionalTree);

impl TxNotifications<'_> {
    /// Notification `seq` of `user`.
    pub fn get(&self, user: &str, seq: u64) -> TxResult<Option<Notification>> {
        match self.0.get(numbered_key(user, true, seq))? {
            Some(b) => Ok(Some(tx_json(&b)?)),
            None => Ok(None),
        }
    }

    /// Writes notification `seq` of `user`.
    pub fn put(&self, user: &str, seq: u64, n: &Notification) -> TxResult<()> {
        self.0.insert(numbered_key(user, true, seq), to_json(n))?;
        Ok(())
    }

    /// Removes notification `seq` of `user` (one replaced by a grouped one).
    pub fn remove(&self, user: &str, seq: u64) -> TxResult<()> {
        self.0.remove(numbered_key(user, true, seq))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::documents::{NewVersion, build_version, validate};

    #[test]
    fn version_head_reads_the_category_from_the_front_of_a_record() {
        let content = validate("标题", &"正文\n".repeat(1000), &["标签".into()], 1 << 20).unwrap();
        for category_id in [None, Some("c0ffee".to_owned())] {
            let (rec, _) = build_version(NewVersion {
                version: 7,
                prev: None,
                content: &content,
                category_id: category_id.clone(),
                author: "u1",
                message: "说明",
                at: Utc::now(),
            });
            let bytes = EncodedVersion::new(&rec);
            let (head, rest) = postcard::take_from_bytes::<VersionHead>(&bytes.0).unwrap();
            assert_eq!(head.category_id, category_id);
            assert!(!rest.is_empty(), "the content is left undecoded");
        }
    }

    #[test]
    fn keys_of_one_id_never_catch_another_that_starts_with_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::Store::open(dir.path()).unwrap();
        let content = validate("t", "b", &[], 1 << 20).unwrap();
        let (rec, _) = build_version(NewVersion {
            version: 1,
            prev: None,
            content: &content,
            category_id: None,
            author: "u1",
            message: "",
            at: Utc::now(),
        });
        let enc = EncodedVersion::new(&rec);
        store
            .transact(|tx| {
                tx.versions.put("ab", 1, &enc)?;
                tx.versions.put("abc", 1, &enc)?;
                tx.favourites.add("u1", "d1", "2026-01-01T00:00:00Z")?;
                tx.favourites.add("u10", "d2", "2026-01-01T00:00:00Z")?;
                Ok(())
            })
            .unwrap();
        assert_eq!(store.versions.newest_first("ab").count(), 1);
        assert_eq!(store.favourites.of_user("u1").unwrap().len(), 1);
        assert!(store.favourites.contains("u10", "d2").unwrap());
        assert!(!store.favourites.contains("u1", "d2").unwrap());
    }
}

// ---- the webhook queue: robot messages waiting for delivery ------------------------------------

/// Robot messages waiting for delivery, oldest first (see [`super::WEBHOOK_QUEUE`]), and the
/// signal that wakes the delivery job after a commit queued one.
#[derive(Clone)]
pub struct WebhookQueue {
    pub(super) tree: sled::Tree,
    wake: std::sync::Arc<tokio::sync::Notify>,
}

impl WebhookQueue {
    pub(super) fn new(tree: sled::Tree) -> Self {
        WebhookQueue {
            tree,
            wake: std::sync::Arc::default(),
        }
    }

    /// How many messages wait.
    pub fn len(&self) -> usize {
        self.tree.len()
    }

    /// Whether none waits.
    pub fn is_empty(&self) -> bool {
        self.tree.is_empty()
    }

    /// Every waiting message with its sequence number, oldest first (the queue is short: a few
    /// messages per publish, gone once delivered or given up).
    pub fn all(&self) -> Result<Vec<(u64, QueuedDelivery)>> {
        self.tree
            .iter()
            .map(|kv| {
                let (k, v) = kv?;
                Ok((be_u64(&k)?, from_json(&v)?))
            })
            .collect()
    }

    /// The message at `seq`, if it still waits.
    pub fn get(&self, seq: u64) -> Result<Option<QueuedDelivery>> {
        self.tree
            .get(seq.to_be_bytes())?
            .map(|v| from_json(&v))
            .transpose()
    }

    /// Tells the delivery job there is new work (call after the commit that queued it).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Resolves at the next [`WebhookQueue::wake`] (or at once if one came since the last wait).
    pub async fn woken(&self) {
        self.wake.notified().await;
    }
}

/// [`WebhookQueue`] inside a transaction.
#[derive(Clone, Copy)]
pub struct TxWebhookQueue<'a>(pub(super) &'a TransactionalTree);

impl TxWebhookQueue<'_> {
    /// The message at `seq`, if it still waits.
    pub fn get(&self, seq: u64) -> TxResult<Option<QueuedDelivery>> {
        match self.0.get(seq.to_be_bytes())? {
            Some(b) => Ok(Some(tx_json(&b)?)),
            None => Ok(None),
        }
    }

    /// Queues (or reschedules) the message at `seq`.
    pub fn put(&self, seq: u64, d: &QueuedDelivery) -> TxResult<()> {
        self.0.insert(&seq.to_be_bytes(), to_json(d))?;
        Ok(())
    }

    /// Removes the message at `seq` (delivered, given up, or its robot gone).
    pub fn remove(&self, seq: u64) -> TxResult<()> {
        self.0.remove(&seq.to_be_bytes())?;
        Ok(())
    }
}
