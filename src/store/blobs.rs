//! Attachment bytes in the data directory, named by their SHA-256 (`attachments/ab/abcd…`), so
//! the same file uploaded twice is stored once. A blob is written to `attachments/tmp/`,
//! fsynced, then renamed into place (and the directory fsynced) before the record naming it
//! commits: a crash leaves at most an unreferenced temporary file, never a record without its
//! bytes.

use std::{
    fs::{self, File},
    io::{Read, Write},
    path::{Path, PathBuf},
};

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// The blob directory.
#[derive(Debug, Clone)]
pub struct Blobs {
    root: PathBuf,
}

fn io(what: &str, p: &Path, e: std::io::Error) -> Error {
    Error::internal(format!("{what} {}: {e}", p.display()))
}

fn sync_dir(p: &Path) -> Result<()> {
    File::open(p)
        .and_then(|d| d.sync_all())
        .map_err(|e| io("cannot sync", p, e))
}

/// Whether `s` is a SHA-256 in lower-case hex.
fn is_sha(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

impl Blobs {
    /// The blobs of the data directory `data_dir` (created on first write).
    pub fn new(data_dir: &Path) -> Blobs {
        Blobs {
            root: data_dir.join("attachments"),
        }
    }

    /// Where the blob with this hash lives.
    pub fn path(&self, sha256: &str) -> PathBuf {
        self.root.join(&sha256[..2.min(sha256.len())]).join(sha256)
    }

    /// A new temporary file to write an upload into.
    pub fn temp(&self) -> Result<(PathBuf, File)> {
        let dir = self.root.join("tmp");
        fs::create_dir_all(&dir).map_err(|e| io("cannot create", &dir, e))?;
        let p = dir.join(crate::model::new_id());
        let f = File::create_new(&p).map_err(|e| io("cannot create", &p, e))?;
        Ok((p, f))
    }

    /// Moves a written (and fsynced) temporary file into place as the blob `sha256`; when the
    /// blob exists already, the temporary file is dropped.
    pub fn commit(&self, tmp: &Path, sha256: &str) -> Result<()> {
        if !is_sha(sha256) {
            return Err(Error::internal("not a SHA-256"));
        }
        let dest = self.path(sha256);
        if dest.exists() {
            let _ = fs::remove_file(tmp);
            return Ok(());
        }
        let dir = dest.parent().expect("blob paths have a parent");
        fs::create_dir_all(dir).map_err(|e| io("cannot create", dir, e))?;
        fs::rename(tmp, &dest).map_err(|e| io("cannot move into place", &dest, e))?;
        sync_dir(dir)
    }

    /// Writes bytes as a blob (hashing them); returns the hash.
    pub fn put(&self, bytes: &[u8]) -> Result<String> {
        let sha = hex::encode(Sha256::digest(bytes));
        if self.path(&sha).exists() {
            return Ok(sha);
        }
        let (tmp, mut f) = self.temp()?;
        f.write_all(bytes)
            .and_then(|_| f.sync_all())
            .map_err(|e| io("cannot write", &tmp, e))?;
        self.commit(&tmp, &sha)?;
        Ok(sha)
    }

    /// Opens a blob for reading.
    pub fn open(&self, sha256: &str) -> Result<File> {
        let p = self.path(sha256);
        File::open(&p).map_err(|e| io("cannot open", &p, e))
    }

    /// Removes a blob no record names any more.
    pub fn remove(&self, sha256: &str) -> Result<()> {
        if !is_sha(sha256) {
            return Ok(());
        }
        let p = self.path(sha256);
        match fs::remove_file(&p) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io("cannot remove", &p, e)),
        }
    }

    /// The hashes of every stored blob.
    pub fn list(&self) -> Result<Vec<String>> {
        let mut out = Vec::new();
        let Ok(dirs) = fs::read_dir(&self.root) else {
            return Ok(out);
        };
        for d in dirs.flatten() {
            if d.file_name() == "tmp" || !d.path().is_dir() {
                continue;
            }
            for f in fs::read_dir(d.path()).into_iter().flatten().flatten() {
                let name = f.file_name().to_string_lossy().into_owned();
                if is_sha(&name) {
                    out.push(name);
                }
            }
        }
        out.sort();
        Ok(out)
    }

    /// Whether the blob's bytes still hash to its name.
    pub fn verify(&self, sha256: &str) -> Result<bool> {
        let mut f = self.open(sha256)?;
        let mut h = Sha256::new();
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = f
                .read(&mut buf)
                .map_err(|e| io("cannot read", &self.path(sha256), e))?;
            if n == 0 {
                break;
            }
            h.update(&buf[..n]);
        }
        Ok(hex::encode(h.finalize()) == sha256)
    }
}
