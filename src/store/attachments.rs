//! Attachments: their records, the list of each document's, and their extracted texts.

use sled::transaction::TransactionalTree;

use super::{
    TxResult, from_json, to_json,
    trees::{pair_key, prefix},
    tx_json,
};
use crate::{
    error::Result,
    model::{Attachment, AttachmentText, TextStatus},
};

/// [`super::ATTACHMENTS`], [`super::DOC_ATTACHMENTS`] and [`super::ATTACHMENT_TEXTS`].
#[derive(Clone)]
pub struct Attachments {
    pub(super) by_id: sled::Tree,
    pub(super) by_doc: sled::Tree,
    pub(super) texts: sled::Tree,
}

impl Attachments {
    /// The attachment with this id.
    pub fn get(&self, id: &str) -> Result<Option<Attachment>> {
        self.by_id
            .get(id.as_bytes())?
            .map(|b| from_json(&b))
            .transpose()
    }

    /// The attachments of a document, oldest first (ids are time-ordered).
    pub fn of_doc(&self, doc: &str) -> Result<Vec<Attachment>> {
        let mut out = Vec::new();
        for k in self.by_doc.scan_prefix(prefix(doc)).keys() {
            let k = k?;
            let id = String::from_utf8_lossy(&k[doc.len() + 1..]).into_owned();
            if let Some(a) = self.get(&id)? {
                out.push(a);
            }
        }
        Ok(out)
    }

    /// Whether a document has any attachment (one key read).
    pub fn any_of_doc(&self, doc: &str) -> Result<bool> {
        Ok(self.by_doc.scan_prefix(prefix(doc)).keys().next().is_some())
    }

    /// The extracted text of an attachment.
    pub fn text(&self, id: &str) -> Result<Option<AttachmentText>> {
        self.texts
            .get(id.as_bytes())?
            .map(|b| from_json(&b))
            .transpose()
    }

    /// Every attachment.
    pub fn all(&self) -> Result<Vec<Attachment>> {
        self.by_id.iter().values().map(|v| from_json(&v?)).collect()
    }

    /// Attachments waiting for extraction, oldest first, among those added after `after` (an
    /// attachment id; ids are time-ordered), or all of them; with the newest id looked at.
    pub fn pending_after(&self, after: Option<&str>) -> Result<(Vec<Attachment>, Option<String>)> {
        let range = match after {
            Some(a) => self.by_id.range::<&[u8], _>((
                std::ops::Bound::Excluded(a.as_bytes()),
                std::ops::Bound::Unbounded,
            )),
            None => self.by_id.iter(),
        };
        let (mut out, mut last) = (Vec::new(), after.map(str::to_owned));
        for kv in range {
            let (k, v) = kv?;
            last = Some(String::from_utf8_lossy(&k).into_owned());
            let a: Attachment = from_json(&v)?;
            if a.text_status == TextStatus::Pending {
                out.push(a);
            }
        }
        Ok((out, last))
    }

    /// How many attachments hold the blob with this hash.
    pub fn using_blob(&self, sha256: &str) -> Result<usize> {
        Ok(self.all()?.iter().filter(|a| a.sha256 == sha256).count())
    }
}

/// [`Attachments`] inside a transaction.
#[derive(Clone, Copy)]
pub struct TxAttachments<'a> {
    pub(super) by_id: &'a TransactionalTree,
    pub(super) by_doc: &'a TransactionalTree,
    pub(super) texts: &'a TransactionalTree,
}

impl TxAttachments<'_> {
    /// The attachment with this id.
    pub fn get(&self, id: &str) -> TxResult<Option<Attachment>> {
        match self.by_id.get(id.as_bytes())? {
            Some(b) => Ok(Some(tx_json(&b)?)),
            None => Ok(None),
        }
    }

    /// Writes an attachment (new or changed) and lists it under its document.
    pub fn put(&self, a: &Attachment) -> TxResult<()> {
        self.by_id.insert(a.id.as_bytes(), to_json(a))?;
        self.by_doc.insert(pair_key(&a.doc_id, &a.id), &[][..])?;
        Ok(())
    }

    /// Removes an attachment, its place in the list and its text.
    pub fn remove(&self, a: &Attachment) -> TxResult<()> {
        self.by_id.remove(a.id.as_bytes())?;
        self.by_doc.remove(pair_key(&a.doc_id, &a.id))?;
        self.texts.remove(a.id.as_bytes())?;
        Ok(())
    }

    /// Stores an attachment's extracted text.
    pub fn put_text(&self, id: &str, t: &AttachmentText) -> TxResult<()> {
        self.texts.insert(id.as_bytes(), to_json(t))?;
        Ok(())
    }
}
