//! Backups of the whole store while it serves: a point-in-time logical dump of every tree, taken
//! while the write gate holds writers for the moment it takes to copy references to the records
//! ([`super::commit::GroupCommit::quiesced`]), then encoded and written without holding anyone up.
//!
//! A backup is one zip file, `hanlin-backup-<UTC time>.zip`:
//! - `trees/<n>.bin`, one per tree: records one after another, each
//!   key length (u32 big-endian) ‖ key ‖ value length (u32 big-endian) ‖ value;
//! - `blobs/<sha256>`: the bytes of every attachment the snapshot names (stored, not compressed:
//!   office files and images are compressed already), each checked against its name;
//! - `manifest.json` ([`Manifest`]): the format version, when, and per part the tree's name, its
//!   record count, its size and the SHA-256 of its bytes; the blobs with their sizes;
//! - the zip comment: the SHA-256 of the whole file (see [`DIGEST_PREFIX`]), so a damaged byte
//!   anywhere fails verification, even in a header no zip reader looks at.
//!
//! It is written to a temporary name, fsynced, renamed and the directory fsynced, so a backup file
//! is either whole or absent; `<file>.verified` appears beside it once it has been read back and
//! checked. The search index is not in it: a restore rebuilds it.

use std::{
    fs::File,
    io::{BufReader, BufWriter, Read, Write},
    path::{Path, PathBuf},
};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::Store;
use crate::error::{Error, Result};

/// The backup format this build writes (and the newest it reads).
pub const FORMAT: u32 = 1;
/// Longest key or value a backup may hold (a corrupt length is refused before it is allocated).
const MAX_RECORD_BYTES: usize = 512 * 1024 * 1024;
/// Records written per batch on restore.
const RESTORE_BATCH: usize = 2000;
/// The zip comment of every backup: this prefix and the SHA-256 (hex) of the whole file with the
/// digest itself read as zeros. Every byte counts, headers included: a reader that ignores a
/// damaged header field (zip readers use the central directory) would not notice it otherwise.
const DIGEST_PREFIX: &str = "hanlin-sha256:";
const DIGEST_HEX: usize = 64;
/// Name prefix and suffix of backup files.
const PREFIX: &str = "hanlin-backup-";
const SUFFIX: &str = ".zip";

/// What a backup holds.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Manifest {
    /// Format version ([`FORMAT`]).
    pub format: u32,
    /// When the snapshot was taken.
    pub created_at: DateTime<Utc>,
    /// The Hanlin version that wrote it.
    pub hanlin: String,
    /// One part per tree.
    pub parts: Vec<Part>,
    /// Attachment files (absent in backups from before attachments).
    #[serde(default)]
    pub blobs: Vec<BlobPart>,
    /// Attachment files the snapshot names that could not be copied (gone or damaged when the
    /// backup was written; `hanlin check` reports them too).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing_blobs: Vec<String>,
}

/// One attachment file in a backup.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct BlobPart {
    /// SHA-256 of its bytes (its name), hex.
    pub sha256: String,
    /// Its entry in the zip.
    pub file: String,
    /// Size.
    pub bytes: u64,
}

/// One tree in a backup.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Part {
    /// The tree's name.
    pub tree: String,
    /// Its entry in the zip.
    pub file: String,
    /// How many records.
    pub records: u64,
    /// Size of the part's bytes (uncompressed).
    pub bytes: u64,
    /// SHA-256 of the part's bytes, hex.
    pub sha256: String,
}

impl Manifest {
    /// Records in all parts.
    pub fn records(&self) -> u64 {
        self.parts.iter().map(|p| p.records).sum()
    }

    /// Records of the tree `name` (0 when absent).
    pub fn records_of(&self, name: &str) -> u64 {
        self.parts
            .iter()
            .find(|p| p.tree == name)
            .map_or(0, |p| p.records)
    }
}

/// A backup file in a backup directory.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct BackupFile {
    /// File name (in the backup directory).
    pub file: String,
    /// When its snapshot was taken (from its name).
    pub created_at: DateTime<Utc>,
    /// Size in bytes.
    pub size: u64,
    /// Whether it was read back and checked after it was written.
    pub verified: bool,
}

pub(super) fn io(what: &str, path: &Path) -> impl FnOnce(std::io::Error) -> Error {
    let msg = format!("{what} {}", path.display());
    move |e| Error::internal(format!("{msg}: {e}"))
}

fn bad(path: &Path, why: impl std::fmt::Display) -> Error {
    Error::bad(format!("{} is not a usable backup: {why}", path.display()))
}

fn file_name(at: DateTime<Utc>) -> String {
    format!("{PREFIX}{}{SUFFIX}", at.format("%Y%m%dT%H%M%S%.3fZ"))
}

fn parse_name(name: &str) -> Option<DateTime<Utc>> {
    let stamp = name.strip_prefix(PREFIX)?.strip_suffix(SUFFIX)?;
    chrono::NaiveDateTime::parse_from_str(stamp, "%Y%m%dT%H%M%S%.3fZ")
        .ok()
        .map(|t| t.and_utc())
}

fn verified_marker(path: &Path) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(".verified");
    PathBuf::from(p)
}

pub(super) fn fsync_dir(dir: &Path) -> Result<()> {
    // Makes the rename durable (a no-op where directories cannot be opened, e.g. Windows).
    if let Ok(d) = File::open(dir) {
        d.sync_all().map_err(io("cannot sync", dir))?;
    }
    Ok(())
}

impl Store {
    /// Writes a backup of the whole store into `dir` (created if missing), reads it back to
    /// verify it, and returns it. Writers wait only while references to the records are copied.
    pub fn backup(&self, dir: &Path) -> Result<BackupFile> {
        std::fs::create_dir_all(dir).map_err(io("cannot create", dir))?;
        // The moment of the snapshot: every committed transaction whole, none in progress.
        let (created_at, trees) = self.commit.quiesced(|| -> Result<_> {
            let mut trees = Vec::new();
            for name in self.db.tree_names() {
                let tree = self.db.open_tree(&name)?;
                let records = tree.iter().collect::<std::result::Result<Vec<_>, _>>()?;
                trees.push((String::from_utf8_lossy(&name).into_owned(), records));
            }
            Ok((Utc::now(), trees))
        })?;
        let name = file_name(created_at);
        let path = dir.join(&name);
        let tmp = dir.join(format!(".{name}.tmp"));
        let shas = blob_names(&trees);
        let blobs = self.blobs();
        let result = write_file(&tmp, created_at, &trees, &blobs, &shas).and_then(|manifest| {
            std::fs::rename(&tmp, &path).map_err(io("cannot rename", &tmp))?;
            fsync_dir(dir)?;
            Ok(manifest)
        });
        if let Err(e) = result {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
        drop(trees);
        verify(&path)?;
        File::create(verified_marker(&path)).map_err(io("cannot mark", &path))?;
        fsync_dir(dir)?;
        let size = std::fs::metadata(&path)
            .map_err(io("cannot read", &path))?
            .len();
        Ok(BackupFile {
            file: name,
            created_at,
            size,
            verified: true,
        })
    }
}

type TreeDump = (String, Vec<(sled::IVec, sled::IVec)>);

/// The attachment files the snapshot's attachment records name, each once.
fn blob_names(trees: &[TreeDump]) -> Vec<String> {
    let mut out: Vec<String> = trees
        .iter()
        .filter(|(name, _)| name == super::ATTACHMENTS)
        .flat_map(|(_, records)| records)
        .filter_map(|(_, v)| serde_json::from_slice::<crate::model::Attachment>(v).ok())
        .map(|a| a.sha256)
        .collect();
    out.sort();
    out.dedup();
    out
}

fn write_file(
    tmp: &Path,
    created_at: DateTime<Utc>,
    trees: &[TreeDump],
    blobs: &super::blobs::Blobs,
    shas: &[String],
) -> Result<Manifest> {
    let file = File::create(tmp).map_err(io("cannot create", tmp))?;
    let mut zip = zip::ZipWriter::new(BufWriter::new(file));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    let zip_err = |e: zip::result::ZipError| Error::internal(format!("writing the backup: {e}"));
    let mut parts = Vec::with_capacity(trees.len());
    for (i, (tree, records)) in trees.iter().enumerate() {
        let entry = format!("trees/{i}.bin");
        zip.start_file(&entry, opts).map_err(zip_err)?;
        let (mut hash, mut bytes) = (Sha256::new(), 0u64);
        for (k, v) in records {
            for part in [k.as_ref(), v.as_ref()] {
                let len = u32::try_from(part.len())
                    .map_err(|_| Error::internal("a record too large for the backup format"))?
                    .to_be_bytes();
                for chunk in [&len[..], part] {
                    hash.update(chunk);
                    zip.write_all(chunk).map_err(io("cannot write", tmp))?;
                    bytes += chunk.len() as u64;
                }
            }
        }
        parts.push(Part {
            tree: tree.clone(),
            file: entry,
            records: records.len() as u64,
            bytes,
            sha256: hex::encode(hash.finalize()),
        });
    }
    // Attachment files: immutable once named, so copied after the snapshot without holding
    // writers; one deleted or damaged meanwhile is named in `missing_blobs`.
    let stored = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .large_file(true);
    let (mut blob_parts, mut missing) = (Vec::new(), Vec::new());
    for sha in shas {
        let Ok(mut f) = blobs.open(sha) else {
            missing.push(sha.clone());
            continue;
        };
        let entry = format!("blobs/{sha}");
        zip.start_file(&entry, stored).map_err(zip_err)?;
        let (mut hash, mut bytes) = (Sha256::new(), 0u64);
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = f
                .read(&mut buf)
                .map_err(io("cannot read", &blobs.path(sha)))?;
            if n == 0 {
                break;
            }
            hash.update(&buf[..n]);
            zip.write_all(&buf[..n]).map_err(io("cannot write", tmp))?;
            bytes += n as u64;
        }
        if hex::encode(hash.finalize()) != *sha {
            // The entry stays in the zip but is not listed: restore ignores it.
            tracing::warn!(blob = %sha, "an attachment file does not match its hash; left out of the backup");
            missing.push(sha.clone());
            continue;
        }
        blob_parts.push(BlobPart {
            sha256: sha.clone(),
            file: entry,
            bytes,
        });
    }
    let manifest = Manifest {
        format: FORMAT,
        created_at,
        hanlin: env!("CARGO_PKG_VERSION").into(),
        parts,
        blobs: blob_parts,
        missing_blobs: missing,
    };
    zip.start_file("manifest.json", opts).map_err(zip_err)?;
    zip.write_all(&serde_json::to_vec_pretty(&manifest).map_err(Error::internal)?)
        .map_err(io("cannot write", tmp))?;
    zip.set_comment(format!("{DIGEST_PREFIX}{}", "0".repeat(DIGEST_HEX)));
    let mut file = zip
        .finish()
        .map_err(zip_err)?
        .into_inner()
        .map_err(|e| Error::internal(format!("writing the backup: {e}")))?;
    file.flush().map_err(io("cannot write", tmp))?;
    drop(file);
    // The digest over the finished file (its own place read as zeros), written into that place.
    let digest = file_digest(tmp)?;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .open(tmp)
        .map_err(io("cannot open", tmp))?;
    use std::io::{Seek, SeekFrom};
    f.seek(SeekFrom::End(-(DIGEST_HEX as i64)))
        .map_err(io("cannot seek", tmp))?;
    f.write_all(digest.as_bytes())
        .map_err(io("cannot write", tmp))?;
    f.sync_all().map_err(io("cannot sync", tmp))?;
    Ok(manifest)
}

/// SHA-256 (hex) of the file at `path` with its last [`DIGEST_HEX`] bytes read as `0`s.
fn file_digest(path: &Path) -> Result<String> {
    let len = std::fs::metadata(path).map_err(|e| bad(path, e))?.len();
    if len < DIGEST_HEX as u64 {
        return Err(bad(path, "it is too short"));
    }
    let mut r =
        BufReader::new(File::open(path).map_err(|e| bad(path, e))?).take(len - DIGEST_HEX as u64);
    let mut hash = Sha256::new();
    std::io::copy(&mut r, &mut hash).map_err(|e| bad(path, e))?;
    hash.update([b'0'; DIGEST_HEX]);
    Ok(hex::encode(hash.finalize()))
}

/// Checks the whole-file digest kept in the zip comment (see [`DIGEST_PREFIX`]).
fn check_digest(path: &Path) -> Result<()> {
    let len = std::fs::metadata(path).map_err(|e| bad(path, e))?.len();
    let tail_len = (DIGEST_PREFIX.len() + DIGEST_HEX) as u64;
    if len < tail_len {
        return Err(bad(path, "it is too short"));
    }
    let mut f = File::open(path).map_err(|e| bad(path, e))?;
    use std::io::{Seek, SeekFrom};
    f.seek(SeekFrom::Start(len - tail_len))
        .map_err(|e| bad(path, e))?;
    let mut tail = vec![0u8; tail_len as usize];
    f.read_exact(&mut tail).map_err(|e| bad(path, e))?;
    let Some(stored) = tail
        .strip_prefix(DIGEST_PREFIX.as_bytes())
        .and_then(|d| std::str::from_utf8(d).ok())
    else {
        return Err(bad(
            path,
            "it carries no digest (not a Hanlin backup, or cut short)",
        ));
    };
    if stored != file_digest(path)? {
        return Err(bad(path, "it is damaged (its digest does not match)"));
    }
    Ok(())
}

fn open_zip(path: &Path) -> Result<zip::ZipArchive<BufReader<File>>> {
    let file = File::open(path).map_err(|e| bad(path, e))?;
    zip::ZipArchive::new(BufReader::new(file)).map_err(|e| bad(path, e))
}

fn read_manifest(path: &Path, zip: &mut zip::ZipArchive<BufReader<File>>) -> Result<Manifest> {
    let mut entry = zip
        .by_name("manifest.json")
        .map_err(|_| bad(path, "it has no manifest"))?;
    let mut text = Vec::new();
    (&mut entry)
        .take(16 * 1024 * 1024)
        .read_to_end(&mut text)
        .map_err(|e| bad(path, e))?;
    let manifest: Manifest =
        serde_json::from_slice(&text).map_err(|e| bad(path, format!("its manifest: {e}")))?;
    if manifest.format > FORMAT {
        return Err(bad(
            path,
            format!(
                "it is format {} and this Hanlin reads up to format {FORMAT}; use a newer Hanlin",
                manifest.format
            ),
        ));
    }
    Ok(manifest)
}

/// A part's bytes as they are read: hashed and counted.
struct PartReader<R> {
    inner: R,
    hash: Sha256,
    bytes: u64,
}

impl<R: Read> PartReader<R> {
    /// Fills `buf`; `Ok(false)` at a clean end (nothing read), an error when cut short.
    fn fill(&mut self, buf: &mut [u8]) -> std::io::Result<bool> {
        let mut got = 0;
        while got < buf.len() {
            match self.inner.read(&mut buf[got..])? {
                0 if got == 0 => return Ok(false),
                0 => return Err(std::io::ErrorKind::UnexpectedEof.into()),
                n => got += n,
            }
        }
        self.hash.update(&*buf);
        self.bytes += buf.len() as u64;
        Ok(true)
    }

    /// One length-prefixed field; `None` at a clean end.
    fn field(&mut self) -> std::io::Result<Option<Vec<u8>>> {
        let mut len = [0u8; 4];
        if !self.fill(&mut len)? {
            return Ok(None);
        }
        let len = u32::from_be_bytes(len) as usize;
        if len > MAX_RECORD_BYTES {
            return Err(std::io::Error::other("a record is too large"));
        }
        let mut buf = vec![0u8; len];
        if len > 0 && !self.fill(&mut buf)? {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        Ok(Some(buf))
    }
}

/// Reads the records of one part, checking its count, size and hash; `each` gets every record.
fn read_part(
    path: &Path,
    zip: &mut zip::ZipArchive<BufReader<File>>,
    part: &Part,
    mut each: impl FnMut(Vec<u8>, Vec<u8>) -> Result<()>,
) -> Result<()> {
    let entry = zip
        .by_name(&part.file)
        .map_err(|_| bad(path, format!("the part of tree {} is missing", part.tree)))?;
    // Never read past what the manifest announces (a zip bomb stops there).
    let mut r = PartReader {
        inner: BufReader::new(entry.take(part.bytes + 1)),
        hash: Sha256::new(),
        bytes: 0,
    };
    let damaged = |e: std::io::Error| bad(path, format!("the part of tree {}: {e}", part.tree));
    let mut records = 0u64;
    while let Some(k) = r.field().map_err(damaged)? {
        let v = r
            .field()
            .map_err(damaged)?
            .ok_or_else(|| damaged(std::io::ErrorKind::UnexpectedEof.into()))?;
        records += 1;
        each(k, v)?;
    }
    if r.bytes != part.bytes || records != part.records {
        return Err(bad(
            path,
            format!(
                "tree {} holds {records} records in {} bytes, its manifest says {} in {}",
                part.tree, r.bytes, part.records, part.bytes
            ),
        ));
    }
    if hex::encode(r.hash.finalize()) != part.sha256 {
        return Err(bad(
            path,
            format!("the part of tree {} is damaged (hash)", part.tree),
        ));
    }
    Ok(())
}

/// Checks a backup without restoring it: the manifest, then every part's records, size and hash.
pub fn verify(path: &Path) -> Result<Manifest> {
    check_digest(path)?;
    let mut zip = open_zip(path)?;
    let manifest = read_manifest(path, &mut zip)?;
    for part in &manifest.parts {
        read_part(path, &mut zip, part, |_, _| Ok(()))?;
    }
    for b in &manifest.blobs {
        read_blob(path, &mut zip, b, &mut std::io::sink())?;
    }
    Ok(manifest)
}

/// Copies one attachment file out of a backup into `out`, checking its size and hash.
fn read_blob(
    path: &Path,
    zip: &mut zip::ZipArchive<BufReader<File>>,
    b: &BlobPart,
    out: &mut dyn Write,
) -> Result<()> {
    let entry = zip
        .by_name(&b.file)
        .map_err(|_| bad(path, format!("the attachment file {} is missing", b.sha256)))?;
    let mut r = entry.take(b.bytes + 1);
    let (mut hash, mut bytes) = (Sha256::new(), 0u64);
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = r.read(&mut buf).map_err(|e| bad(path, e))?;
        if n == 0 {
            break;
        }
        hash.update(&buf[..n]);
        out.write_all(&buf[..n]).map_err(|e| bad(path, e))?;
        bytes += n as u64;
    }
    if bytes != b.bytes || hex::encode(hash.finalize()) != b.sha256 {
        return Err(bad(
            path,
            format!("the attachment file {} is damaged", b.sha256),
        ));
    }
    Ok(())
}

/// Writes a backup's records into the (new, empty) database at `db_dir`; `progress` gets
/// (records done, records in all). The database is closed on return: open it again to use it
/// (its sequence block is read at open).
pub fn restore(path: &Path, db_dir: &Path, mut progress: impl FnMut(u64, u64)) -> Result<Manifest> {
    let manifest = verify(path)?;
    let mut zip = open_zip(path)?;
    // Exactly the current layout: the restored directory is new, and the migration restores
    // through here into a directory beside the one it replaces.
    let store = Store::open_layout(db_dir, super::Layout::CURRENT)?;
    if store.db.tree_names().iter().any(|n| {
        store
            .db
            .open_tree(n)
            .is_ok_and(|t| !t.is_empty() && n.as_ref() != b"__sled__default")
    }) {
        return Err(Error::bad(format!(
            "{} already holds data; restore into an empty directory",
            db_dir.display()
        )));
    }
    let (total, mut done) = (manifest.records(), 0u64);
    for part in &manifest.parts {
        let tree = store.db.open_tree(part.tree.as_bytes())?;
        let mut batch = sled::Batch::default();
        let mut n = 0usize;
        let flush = |batch: sled::Batch| -> Result<()> {
            store.commit.write(|| tree.apply_batch(batch))?;
            Ok(())
        };
        read_part(path, &mut zip, part, |k, v| {
            batch.insert(k, v);
            n += 1;
            done += 1;
            if n >= RESTORE_BATCH {
                flush(std::mem::take(&mut batch))?;
                n = 0;
                progress(done, total);
            }
            Ok(())
        })?;
        flush(batch)?;
        progress(done, total);
    }
    // The attachment files, into the data directory beside the database.
    let blobs = store.blobs();
    for b in &manifest.blobs {
        if blobs.path(&b.sha256).exists() {
            continue;
        }
        let (tmp, mut f) = blobs.temp()?;
        let r = read_blob(path, &mut zip, b, &mut f)
            .and_then(|()| f.sync_all().map_err(io("cannot sync", &tmp)));
        drop(f);
        if let Err(e) = r.and_then(|()| blobs.commit(&tmp, &b.sha256)) {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
    }
    store.flush_blocking()?;
    Ok(manifest)
}

/// The backups in `dir`, newest first (other files are ignored).
pub fn list(dir: &Path) -> Result<Vec<BackupFile>> {
    let mut out = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(io("cannot read", dir)(e)),
    };
    for e in entries {
        let e = e.map_err(io("cannot read", dir))?;
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(created_at) = parse_name(&name) else {
            continue;
        };
        let path = e.path();
        out.push(BackupFile {
            size: e.metadata().map(|m| m.len()).unwrap_or(0),
            verified: verified_marker(&path).exists(),
            file: name,
            created_at,
        });
    }
    out.sort_by_key(|b| std::cmp::Reverse(b.created_at));
    Ok(out)
}

/// Removes backups older than `keep_days` (before `now`), but never the newest verified one;
/// returns the names removed.
pub fn prune(dir: &Path, keep_days: u32, now: DateTime<Utc>) -> Result<Vec<String>> {
    let all = list(dir)?;
    let newest_verified = all.iter().find(|b| b.verified).map(|b| b.file.clone());
    let cutoff = now - chrono::Duration::days(keep_days as i64);
    let mut removed = Vec::new();
    for b in all {
        if b.created_at >= cutoff || Some(&b.file) == newest_verified.as_ref() {
            continue;
        }
        let path = dir.join(&b.file);
        std::fs::remove_file(&path).map_err(io("cannot remove", &path))?;
        let _ = std::fs::remove_file(verified_marker(&path));
        removed.push(b.file);
    }
    if !removed.is_empty() {
        fsync_dir(dir)?;
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_sort() {
        let t = Utc::now();
        let n = file_name(t);
        let back = parse_name(&n).unwrap();
        assert_eq!(back.timestamp_millis(), t.timestamp_millis());
        assert!(parse_name("hanlin-backup-x.zip").is_none());
        assert!(parse_name("notes.txt").is_none());
    }

    #[test]
    fn a_backup_restores_every_tree_and_a_damaged_one_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db")).unwrap();
        crate::bootstrap::first_start(&store, Some("Passw0rd-long")).unwrap();
        let b = store.backup(&dir.path().join("backups")).unwrap();
        assert!(b.verified);
        let path = dir.path().join("backups").join(&b.file);
        let m = verify(&path).unwrap();
        assert_eq!(m.records_of("users") as usize, store.users.len());
        assert_eq!(m.records_of("docs") as usize, store.docs.len());

        let restored = dir.path().join("restored");
        restore(&path, &restored, |_, _| {}).unwrap();
        let again = Store::open(&restored).unwrap();
        assert_eq!(again.users.all().unwrap().len(), store.users.len());
        assert_eq!(
            again.docs.ids().collect::<Result<Vec<_>>>().unwrap(),
            store.docs.ids().collect::<Result<Vec<_>>>().unwrap()
        );
        // Sequence numbers continue above the backup's: nothing handed out twice.
        assert!(again.next_seq().unwrap() >= store.next_seq().unwrap());
        drop(again);
        // Into a directory with data: refused.
        assert!(restore(&path, &restored, |_, _| {}).is_err());

        // Any one byte flipped, headers and the digest itself included: verify fails, restore too.
        let bytes = std::fs::read(&path).unwrap();
        let damaged = dir.path().join("damaged.zip");
        let step = (bytes.len() / 97).max(1);
        for at in (0..bytes.len())
            .step_by(step)
            .chain([bytes.len() - 1, bytes.len() - 70])
        {
            let mut b = bytes.clone();
            b[at] ^= 0x55;
            std::fs::write(&damaged, &b).unwrap();
            assert!(
                verify(&damaged).is_err(),
                "a flip at byte {at} of {} passed",
                bytes.len()
            );
        }
        let mut b = bytes.clone();
        let mid = b.len() / 3;
        b[mid] ^= 0x55;
        std::fs::write(&damaged, &b).unwrap();
        assert!(restore(&damaged, &dir.path().join("r2"), |_, _| {}).is_err());
        // Truncated: refused.
        std::fs::write(&damaged, &bytes[..bytes.len() / 2]).unwrap();
        assert!(verify(&damaged).is_err());
    }

    #[test]
    fn pruning_keeps_the_window_and_the_newest_verified() {
        let dir = tempfile::tempdir().unwrap();
        let now = Utc::now();
        for (days, verified) in [(40, true), (35, false), (10, false), (1, false)] {
            let name = file_name(now - chrono::Duration::days(days));
            std::fs::write(dir.path().join(&name), b"x").unwrap();
            if verified {
                std::fs::write(verified_marker(&dir.path().join(&name)), b"").unwrap();
            }
        }
        let removed = prune(dir.path(), 30, now).unwrap();
        // The 35-day-old one goes; the 40-day-old one is the only verified one, so it stays.
        assert_eq!(removed.len(), 1, "{removed:?}");
        assert_eq!(list(dir.path()).unwrap().len(), 3);
    }
}
