//! Comments and watches: the trees of working together on a document.

use sled::transaction::TransactionalTree;

use super::{
    TxResult, from_json, to_json,
    trees::{pair_key, prefix},
    tx_json,
};
use crate::{
    error::Result,
    model::{Comment, Watch},
};

/// Comments ([`super::COMMENTS`]) and their per-document list ([`super::DOC_COMMENTS`]).
#[derive(Clone)]
pub struct Comments {
    pub(super) by_id: sled::Tree,
    pub(super) by_doc: sled::Tree,
}

impl Comments {
    /// The comment with this id.
    pub fn get(&self, id: &str) -> Result<Option<Comment>> {
        self.by_id
            .get(id.as_bytes())?
            .map(|b| from_json(&b))
            .transpose()
    }

    /// The comments of a document, oldest first (ids are time-ordered).
    pub fn of_doc(&self, doc: &str) -> Result<Vec<Comment>> {
        let mut out = Vec::new();
        for k in self.by_doc.scan_prefix(prefix(doc)).keys() {
            let k = k?;
            let id = String::from_utf8_lossy(&k[doc.len() + 1..]).into_owned();
            if let Some(c) = self.get(&id)? {
                out.push(c);
            }
        }
        Ok(out)
    }
}

/// [`Comments`] inside a transaction.
#[derive(Clone, Copy)]
pub struct TxComments<'a> {
    pub(super) by_id: &'a TransactionalTree,
    pub(super) by_doc: &'a TransactionalTree,
}

impl TxComments<'_> {
    /// The comment with this id.
    pub fn get(&self, id: &str) -> TxResult<Option<Comment>> {
        match self.by_id.get(id.as_bytes())? {
            Some(b) => Ok(Some(tx_json(&b)?)),
            None => Ok(None),
        }
    }

    /// Writes a comment (new or changed) and lists it under its document.
    pub fn put(&self, c: &Comment) -> TxResult<()> {
        self.by_id.insert(c.id.as_bytes(), to_json(c))?;
        self.by_doc.insert(pair_key(&c.doc_id, &c.id), &[][..])?;
        Ok(())
    }
}

/// Watches ([`super::WATCHES`]): key = target ‖ 0x00 ‖ user id.
#[derive(Clone)]
pub struct Watches(pub(super) sled::Tree);

impl Watches {
    /// `user`'s watch of `target` (`doc:<id>` or `space:<id>`), on or switched off.
    pub fn get(&self, target: &str, user: &str) -> Result<Option<Watch>> {
        self.0
            .get(pair_key(target, user))?
            .map(|b| from_json(&b))
            .transpose()
    }

    /// Everyone with a watch of `target` (on or off), by user id.
    pub fn of_target(&self, target: &str) -> Result<Vec<(String, Watch)>> {
        let p = prefix(target);
        self.0
            .scan_prefix(&p)
            .map(|kv| {
                let (k, v) = kv?;
                Ok((
                    String::from_utf8_lossy(&k[p.len()..]).into_owned(),
                    from_json(&v)?,
                ))
            })
            .collect()
    }
}

/// [`Watches`] inside a transaction.
#[derive(Clone, Copy)]
pub struct TxWatches<'a>(pub(super) &'a TransactionalTree);

impl TxWatches<'_> {
    /// `user`'s watch of `target`.
    pub fn get(&self, target: &str, user: &str) -> TxResult<Option<Watch>> {
        match self.0.get(pair_key(target, user))? {
            Some(b) => Ok(Some(tx_json(&b)?)),
            None => Ok(None),
        }
    }

    /// Sets `user`'s watch of `target`.
    pub fn put(&self, target: &str, user: &str, w: &Watch) -> TxResult<()> {
        self.0.insert(pair_key(target, user), to_json(w))?;
        Ok(())
    }
}
