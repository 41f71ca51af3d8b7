//! Storage in sled: named, documented trees; every multi-key write in one transaction
//! ([`Store::transact`]); writes acknowledged only after [`Store::flush`].
//!
//! Values are JSON, except versions, which are postcard (compact: they are most of the bytes).

pub mod attachments;
pub mod backup;
pub mod blobs;
pub mod catalog;
pub mod collab;
mod commit;
mod migrate;
pub mod names;
pub mod stats;
pub mod table;
pub mod trees;

use std::{
    path::Path,
    sync::{Arc, Mutex},
};

use serde::{Serialize, de::DeserializeOwned};
use sled::transaction::{ConflictableTransactionError, TransactionalTree};

use crate::{
    error::{Error, Result},
    model::{
        Assignment, Category, Collection, Device, Doc, DocActions, Group, Session, Space,
        SpaceWebhooks, StoredReview, Template, User,
    },
};
pub use table::{Encoded, Table, TxTable};
pub use trees::{
    Audit, EncodedVersion, Favourites, ImportPath, ImportPaths, Index, Notifications, Outbox,
    Settings, Texts, TxAudit, TxFavourites, TxImportPaths, TxIndex, TxNotifications, TxOutbox,
    TxSettings, TxTexts, TxVersions, TxWebhookQueue, Versions, WebhookQueue,
};

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
// The dashboard's trees (read counts, readers per day, the search log) are documented with their
// key layouts in [`stats`]: `reads`, `reads_daily`, `readers_daily`, `search_log`.
/// Onboarding collections. key = collection id; value = [`crate::model::Collection`].
pub const COLLECTIONS: &str = "collections";
/// Who was assigned which collection, and what they acknowledged. key = collection id ‖ 0x00 ‖
/// user id; value = [`crate::model::Assignment`].
pub const ASSIGNMENTS: &str = "assignments";
/// Comments. key = comment id (UUID v7, time-ordered); value = [`crate::model::Comment`].
pub const COMMENTS: &str = "comments";
/// The comments of each document. key = doc id ‖ 0x00 ‖ comment id; value = empty.
pub const DOC_COMMENTS: &str = "doc_comments";
/// Who watches what. key = `doc:<id>` or `space:<id>` ‖ 0x00 ‖ user id; value =
/// [`crate::model::Watch`].
pub const WATCHES: &str = "watches";
/// Group robots (DingTalk, WeCom, Feishu webhooks) of each space, their secrets and last delivery
/// results. key = space id; value = [`crate::model::SpaceWebhooks`].
pub const WEBHOOKS: &str = "webhooks";
/// Robot messages waiting for delivery (or a retry), drained by `service::webhooks::run`.
/// key = sequence (u64 big-endian); value = [`crate::model::QueuedDelivery`].
pub const WEBHOOK_QUEUE: &str = "webhook_queue";
/// Templates added by space managers and administrators. key = template id; value =
/// [`crate::model::Template`].
pub const TEMPLATES: &str = "templates";
/// The action items of each document's published version (我的待办, reminders), kept by
/// `service::actions::refresh` from the indexer and after saves. key = doc id; value =
/// [`crate::model::DocActions`].
pub const ACTION_ITEMS: &str = "action_items";
/// Attachments. key = attachment id; value = [`crate::model::Attachment`].
pub const ATTACHMENTS: &str = "attachments";
/// The attachments of each document. key = doc id ‖ 0x00 ‖ attachment id; value = empty.
pub const DOC_ATTACHMENTS: &str = "doc_attachments";
/// Extracted text of attachments. key = attachment id; value =
/// [`crate::model::AttachmentText`].
pub const ATTACHMENT_TEXTS: &str = "attachment_texts";

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

/// Key in [`META`] naming the [`Layout`] the database was created in (informational: sled's own
/// `conf` file is what refuses another layout).
const LAYOUT: &[u8] = b"layout";

/// How sled lays the database out on disk. sled records it in the directory (`conf`) and refuses
/// to reopen the directory with another (checked before it reads or writes anything else), so a
/// change of layout is a migration (see `migrate`).
///
/// The layout is the size of sled's log segments. sled writes a value (or a tree node) bigger than
/// a quarter of a segment to its own file under `blobs/`, removed once a newer copy is durable,
/// and reclaims a segment only once half of it is dead; with 512 KiB segments a rewritten 45 KB
/// head stays in the log, and 1,000 durable saves of it grew the directory by 48% of 1,000 whole
/// copies. With 32 KiB segments the head is a blob file and the same saves grow it by 7%
/// (BENCHMARKS.md, "Disk use and backups", `examples/disk_use.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// sled's default, 512 KiB segments. Every data directory from before issue 14.
    Plain,
    /// 32 KiB segments: the layout of new directories.
    SmallSegments,
}

impl Layout {
    /// The layout new directories get and old ones are migrated to.
    pub const CURRENT: Layout = Layout::SmallSegments;

    /// Its name in [`META`] and in messages.
    pub fn name(self) -> &'static str {
        match self {
            Layout::Plain => "segments-512k",
            Layout::SmallSegments => "segments-32k",
        }
    }

    fn segment_size(self) -> usize {
        match self {
            Layout::Plain => 512 * 1024,
            Layout::SmallSegments => 32 * 1024,
        }
    }
}

/// What opening a sled directory in a given layout found.
enum Opened {
    Db(sled::Db),
    /// The directory was created in another layout (sled's message); nothing was read or written.
    OtherLayout(String),
}

/// Opens the sled database at `dir` in `layout` (see [`Store::open_layout`]).
fn open_db(dir: &Path, layout: Layout) -> Result<Opened> {
    // sled writes `conf` before it creates its log, and takes a missing or unreadable one as a new
    // database: it would write our segment size into it and read an old log with the wrong one.
    let conf_usable = std::fs::metadata(dir.join("conf")).is_ok_and(|m| m.len() > 8);
    if dir.join("db").exists() && !conf_usable {
        return Err(Error::internal(format!(
            "the database at {} has a log but no readable conf file (sled's record of its segment size); not opening it: restore it from a backup",
            dir.display()
        )));
    }
    let config = sled::Config::new()
        .path(dir)
        .cache_capacity(CACHE_CAPACITY)
        .mode(sled::Mode::HighThroughput)
        .segment_size(layout.segment_size())
        // Durability is the group commit's (see `commit`): sled's own timer flush would
        // interleave with transactions, which is what deadlocks sled 0.34.
        .flush_every_ms(None);
    // The lock of a database this process has just closed can outlive the close by a moment
    // (sled's background threads let go of it last): try again briefly before calling the
    // directory in use (a reopen right after a restore, say). Up to 5 s: on a loaded machine 2 s
    // was once not enough for a CLI import right after a close (seen in the test suite).
    let mut tries = 0;
    let opened = loop {
        match config.open() {
            Err(sled::Error::Io(io))
                if io.kind() == std::io::ErrorKind::WouldBlock && tries < 100 =>
            {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            r => break r,
        }
    };
    match opened {
        Ok(db) => Ok(Opened::Db(db)),
        // sled's check of the stored settings (compression, segment size), made before the data
        // file is opened.
        Err(sled::Error::Unsupported(why)) if why.contains("across restarts") => {
            Ok(Opened::OtherLayout(why))
        }
        // sled allows one process per database.
        Err(sled::Error::Io(io)) if io.kind() == std::io::ErrorKind::WouldBlock => {
            Err(Error::bad(format!(
                "the data directory {} is in use by another Hanlin process (a running server?); stop it first",
                dir.parent().unwrap_or(dir).display()
            )))
        }
        Err(e) => Err(Error::internal(format!(
            "cannot open the database at {}: {e}",
            dir.display()
        ))),
    }
}

/// The database handle and its trees, each behind a typed view (see [`table`] and [`trees`]):
/// nothing outside this module sees a sled tree.
#[derive(Clone)]
pub struct Store {
    db: sled::Db,
    /// The database's directory (`<data>/db`).
    dir: std::path::PathBuf,
    /// The write gate and the group-commit flusher: every write passes it (see [`commit`]).
    commit: Arc<commit::GroupCommit>,
    /// Sequence numbers handed out from a block reserved in [`META`].
    seq: Arc<Mutex<SeqBlock>>,
    catalog: catalog::CatalogCache,
    /// See [`META`].
    meta: sled::Tree,
    /// See [`NAMES`] (used through [`names`]).
    names: sled::Tree,
    /// See [`USERS`].
    pub users: Table<User>,
    /// See [`USERNAMES`].
    pub usernames: Index,
    /// See [`SESSIONS`].
    pub sessions: Table<Session>,
    /// See [`DEVICES`].
    pub devices: Table<Device>,
    /// See [`OPEN_REVIEWS`].
    pub open_reviews: Index,
    /// See [`GROUPS`].
    pub groups: Table<Group>,
    /// See [`SPACES`].
    pub spaces: Table<Space>,
    /// See [`CATEGORIES`].
    pub categories: Table<Category>,
    /// See [`DOCS`].
    pub docs: Table<Doc>,
    /// See [`BODIES`].
    pub bodies: Texts,
    /// See [`VERSIONS`].
    pub versions: Versions,
    /// See [`OUTBOX`].
    pub outbox: Outbox,
    /// See [`AUDIT`].
    pub audit: Audit,
    /// See [`FAVOURITES`].
    pub favourites: Favourites,
    /// See [`IMPORT_PATHS`].
    pub import_paths: ImportPaths,
    /// See [`SETTINGS`].
    pub settings: Settings,
    /// See [`REVIEWS`].
    pub reviews: Table<StoredReview>,
    /// See [`NOTIFICATIONS`].
    pub notifications: Notifications,
    /// The dashboard's trees and the tallies waiting for them (see [`stats`]).
    pub stats: stats::Stats,
    /// See [`COLLECTIONS`].
    pub collections: Table<Collection>,
    /// See [`ASSIGNMENTS`].
    pub assignments: Table<Assignment>,
    /// See [`COMMENTS`] and [`DOC_COMMENTS`].
    pub comments: collab::Comments,
    /// See [`WATCHES`].
    pub watches: collab::Watches,
    /// See [`WEBHOOKS`].
    pub webhooks: Table<SpaceWebhooks>,
    /// See [`WEBHOOK_QUEUE`].
    pub webhook_queue: WebhookQueue,
    /// See [`TEMPLATES`].
    pub templates: Table<Template>,
    /// See [`ACTION_ITEMS`].
    pub action_items: Table<DocActions>,
    /// See [`ATTACHMENTS`], [`DOC_ATTACHMENTS`], [`ATTACHMENT_TEXTS`].
    pub attachments: attachments::Attachments,
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

/// The trees a transaction may write, by name, each behind its typed view. Writes to the trees
/// the in-memory catalog is read from (accounts, departments, spaces, categories) mark the
/// transaction as one that makes the catalog stale; other commits (a document save, a session)
/// leave the catalog as it is.
pub struct Tx<'a> {
    /// See [`NAMES`] (used through [`names`]).
    names: &'a TransactionalTree,
    /// See [`USERS`].
    pub users: TxTable<'a, User>,
    /// See [`USERNAMES`].
    pub usernames: TxIndex<'a>,
    /// See [`SESSIONS`].
    pub sessions: TxTable<'a, Session>,
    /// See [`DEVICES`].
    pub devices: TxTable<'a, Device>,
    /// See [`OPEN_REVIEWS`].
    pub open_reviews: TxIndex<'a>,
    /// See [`GROUPS`].
    pub groups: TxTable<'a, Group>,
    /// See [`SPACES`].
    pub spaces: TxTable<'a, Space>,
    /// See [`CATEGORIES`].
    pub categories: TxTable<'a, Category>,
    /// See [`DOCS`].
    pub docs: TxTable<'a, Doc>,
    /// See [`BODIES`].
    pub bodies: TxTexts<'a>,
    /// See [`VERSIONS`].
    pub versions: TxVersions<'a>,
    /// See [`OUTBOX`].
    pub outbox: TxOutbox<'a>,
    /// See [`AUDIT`].
    pub audit: TxAudit<'a>,
    /// See [`FAVOURITES`].
    pub favourites: TxFavourites<'a>,
    /// See [`IMPORT_PATHS`].
    pub import_paths: TxImportPaths<'a>,
    /// See [`SETTINGS`].
    pub settings: TxSettings<'a>,
    /// See [`REVIEWS`].
    pub reviews: TxTable<'a, StoredReview>,
    /// See [`NOTIFICATIONS`].
    pub notifications: TxNotifications<'a>,
    /// See [`COLLECTIONS`].
    pub collections: TxTable<'a, Collection>,
    /// See [`ASSIGNMENTS`].
    pub assignments: TxTable<'a, Assignment>,
    /// See [`COMMENTS`] and [`DOC_COMMENTS`].
    pub comments: collab::TxComments<'a>,
    /// See [`WATCHES`].
    pub watches: collab::TxWatches<'a>,
    /// See [`WEBHOOKS`].
    pub webhooks: TxTable<'a, SpaceWebhooks>,
    /// See [`WEBHOOK_QUEUE`].
    pub webhook_queue: TxWebhookQueue<'a>,
    /// See [`TEMPLATES`].
    pub templates: TxTable<'a, Template>,
    /// See [`ACTION_ITEMS`].
    pub action_items: TxTable<'a, DocActions>,
    /// See [`ATTACHMENTS`], [`DOC_ATTACHMENTS`], [`ATTACHMENT_TEXTS`].
    pub attachments: attachments::TxAttachments<'a>,
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

impl Store {
    /// Opens (or creates) the database at `dir` in the current [`Layout`]. A directory in an older
    /// layout (every one from before issue 14 is [`Layout::Plain`]) is first moved to the current
    /// one through a verified logical backup and restore; the old directory is kept beside it as
    /// `<dir>.pre-migration-<time>` (see `migrate`).
    pub fn open(dir: &Path) -> Result<Self> {
        migrate::open(dir)
    }

    /// Opens (or creates) the database at `dir` in exactly this layout, without migrating: an
    /// error if the directory holds another one. For the migration itself, tests and benches.
    pub fn open_layout(dir: &Path, layout: Layout) -> Result<Self> {
        match open_db(dir, layout)? {
            Opened::Db(db) => Self::from_db(db, dir),
            Opened::OtherLayout(why) => Err(Error::internal(format!(
                "the database at {} is not in the {} layout: {why}",
                dir.display(),
                layout.name()
            ))),
        }
    }

    fn from_db(db: sled::Db, dir: &Path) -> Result<Self> {
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
            dir: dir.to_path_buf(),
            commit: commit::GroupCommit::start(db.clone())?,
            seq: Arc::new(Mutex::new(SeqBlock {
                next: start,
                reserved: start,
            })),
            meta,
            names: t(NAMES)?,
            users: Table::new(t(USERS)?),
            usernames: Index(t(USERNAMES)?),
            sessions: Table::new(t(SESSIONS)?),
            devices: Table::new(t(DEVICES)?),
            open_reviews: Index(t(OPEN_REVIEWS)?),
            groups: Table::new(t(GROUPS)?),
            spaces: Table::new(t(SPACES)?),
            categories: Table::new(t(CATEGORIES)?),
            docs: Table::new(t(DOCS)?),
            bodies: Texts(t(BODIES)?),
            versions: Versions(t(VERSIONS)?),
            outbox: Outbox(t(OUTBOX)?),
            audit: Audit(t(AUDIT)?),
            favourites: Favourites(t(FAVOURITES)?),
            import_paths: ImportPaths(t(IMPORT_PATHS)?),
            settings: Settings(t(SETTINGS)?),
            reviews: Table::new(t(REVIEWS)?),
            notifications: Notifications(t(NOTIFICATIONS)?),
            stats: stats::Stats::new(
                t(stats::READS)?,
                t(stats::READS_DAILY)?,
                t(stats::READERS_DAILY)?,
                t(stats::SEARCH_LOG)?,
            ),
            collections: Table::new(t(COLLECTIONS)?),
            assignments: Table::new(t(ASSIGNMENTS)?),
            comments: collab::Comments {
                by_id: t(COMMENTS)?,
                by_doc: t(DOC_COMMENTS)?,
            },
            watches: collab::Watches(t(WATCHES)?),
            webhooks: Table::new(t(WEBHOOKS)?),
            webhook_queue: WebhookQueue::new(t(WEBHOOK_QUEUE)?),
            templates: Table::new(t(TEMPLATES)?),
            action_items: Table::new(t(ACTION_ITEMS)?),
            attachments: attachments::Attachments {
                by_id: t(ATTACHMENTS)?,
                by_doc: t(DOC_ATTACHMENTS)?,
                texts: t(ATTACHMENT_TEXTS)?,
            },
            db,
            catalog: catalog::CatalogCache::default(),
        };
        names::build_if_missing(&store)?;
        Ok(store)
    }

    /// Records `layout` in [`META`] unless it is there (on [`Store::open`] only: a restore wants
    /// an empty directory, and the migration compares records with the old directory's).
    fn record_layout(&self, layout: Layout) -> Result<()> {
        if self.meta.get(LAYOUT)?.as_deref() != Some(layout.name().as_bytes()) {
            self.put_meta(LAYOUT, layout.name().as_bytes())?;
            self.flush_blocking()?;
        }
        Ok(())
    }

    /// The layout this database was opened in (as recorded in [`META`]).
    pub fn layout(&self) -> Result<Option<String>> {
        Ok(self
            .meta
            .get(LAYOUT)?
            .map(|v| String::from_utf8_lossy(&v).into_owned()))
    }

    /// Every tree's name, record count and logical bytes (keys plus values), for the disk-use
    /// figures (`examples/disk_use.rs`).
    pub fn tree_sizes(&self) -> Result<Vec<(String, u64, u64)>> {
        let mut out = Vec::new();
        for name in self.db.tree_names() {
            let tree = self.db.open_tree(&name)?;
            let (mut n, mut bytes) = (0u64, 0u64);
            for r in tree.iter() {
                let (k, v) = r?;
                n += 1;
                bytes += (k.len() + v.len()) as u64;
            }
            out.push((String::from_utf8_lossy(&name).into_owned(), n, bytes));
        }
        Ok(out)
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
        let trees: [&sled::Tree; 31] = [
            &self.users.tree,
            &self.usernames.0,
            &self.sessions.tree,
            &self.groups.tree,
            &self.spaces.tree,
            &self.categories.tree,
            &self.docs.tree,
            &self.bodies.0,
            &self.versions.0,
            &self.outbox.0,
            &self.audit.0,
            &self.favourites.0,
            &self.import_paths.0,
            &self.settings.0,
            &self.reviews.tree,
            &self.notifications.0,
            &self.devices.tree,
            &self.names,
            &self.open_reviews.0,
            &self.collections.tree,
            &self.assignments.tree,
            &self.comments.by_id,
            &self.comments.by_doc,
            &self.watches.0,
            &self.webhooks.tree,
            &self.webhook_queue.tree,
            &self.templates.tree,
            &self.action_items.tree,
            &self.attachments.by_id,
            &self.attachments.by_doc,
            &self.attachments.texts,
        ];
        use sled::Transactional;
        let touched = std::cell::Cell::new(false);
        let r = self.commit.write(|| {
            trees[..].transaction(|v| {
                let watched = Some(&touched);
                f(&Tx {
                    users: TxTable::new(&v[0], watched),
                    usernames: TxIndex(&v[1]),
                    sessions: TxTable::new(&v[2], None),
                    groups: TxTable::new(&v[3], watched),
                    spaces: TxTable::new(&v[4], watched),
                    categories: TxTable::new(&v[5], watched),
                    docs: TxTable::new(&v[6], None),
                    bodies: TxTexts(&v[7]),
                    versions: TxVersions(&v[8]),
                    outbox: TxOutbox(&v[9]),
                    audit: TxAudit(&v[10]),
                    favourites: TxFavourites(&v[11]),
                    import_paths: TxImportPaths(&v[12]),
                    settings: TxSettings(&v[13]),
                    reviews: TxTable::new(&v[14], None),
                    notifications: TxNotifications(&v[15]),
                    devices: TxTable::new(&v[16], None),
                    names: &v[17],
                    open_reviews: TxIndex(&v[18]),
                    collections: TxTable::new(&v[19], None),
                    assignments: TxTable::new(&v[20], None),
                    comments: collab::TxComments {
                        by_id: &v[21],
                        by_doc: &v[22],
                    },
                    watches: collab::TxWatches(&v[23]),
                    webhooks: TxTable::new(&v[24], None),
                    webhook_queue: TxWebhookQueue(&v[25]),
                    templates: TxTable::new(&v[26], None),
                    action_items: TxTable::new(&v[27], None),
                    attachments: attachments::TxAttachments {
                        by_id: &v[28],
                        by_doc: &v[29],
                        texts: &v[30],
                    },
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

    /// The attachment files of this database: `attachments/` beside its directory (the data
    /// directory's, for `<data>/db`).
    pub fn blobs(&self) -> blobs::Blobs {
        blobs::Blobs::new(self.dir.parent().unwrap_or(&self.dir))
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

    /// A value of [`META`].
    pub fn meta(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self.meta.get(key)?.map(|v| v.to_vec()))
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
                tx.bodies.put("d1", "text")?;
                tx.outbox.push(1, "d1")?;
                Ok(())
            })
            .unwrap();
        assert!(Arc::ptr_eq(&before, &store.catalog().unwrap()));
        // A department change does not.
        let g = crate::model::Group {
            id: "g1".into(),
            name: "研发部".into(),
            members: vec![],
            heads: vec![],
            created_at: chrono::Utc::now(),
        };
        store
            .transact(|tx| {
                tx.groups.put("g1", &g)?;
                Ok(())
            })
            .unwrap();
        let after = store.catalog().unwrap();
        assert!(!Arc::ptr_eq(&before, &after));
        assert_eq!(after.groups.len(), 1);
    }
}
