//! Typed views of trees: [`Table`] for reading outside a transaction, [`TxTable`] inside one. The
//! codec of a record tree (JSON) and of the plain trees (UTF-8 text, an id) lives here; key
//! layouts live with the functions of their aggregate (see the other modules of [`super`]).

use std::{cell::Cell, marker::PhantomData};

use serde::{Serialize, de::DeserializeOwned};
use sled::transaction::TransactionalTree;

use super::{TxResult, abort, from_json, to_json, tx_json};
use crate::error::{Error, Result};

/// A tree of JSON records of type `V`, keyed by an id (or another byte string).
pub struct Table<V> {
    pub(super) tree: sled::Tree,
    _v: PhantomData<fn() -> V>,
}

impl<V> Clone for Table<V> {
    fn clone(&self) -> Self {
        Self::new(self.tree.clone())
    }
}

impl<V> Table<V> {
    pub(super) fn new(tree: sled::Tree) -> Self {
        Table {
            tree,
            _v: PhantomData,
        }
    }

    /// How many records there are.
    pub fn len(&self) -> usize {
        self.tree.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.tree.is_empty()
    }

    /// Whether a record exists at `key`.
    pub fn contains(&self, key: impl AsRef<[u8]>) -> Result<bool> {
        Ok(self.tree.contains_key(key)?)
    }

    /// Every key, in key order (ids as UTF-8).
    pub fn ids(&self) -> impl Iterator<Item = Result<String>> + use<V> {
        self.tree.iter().keys().map(|k| {
            let k = k?;
            String::from_utf8(k.to_vec()).map_err(|_| Error::internal("corrupt key: not UTF-8"))
        })
    }
}

impl<V: DeserializeOwned> Table<V> {
    /// The record at `key`.
    pub fn get(&self, key: impl AsRef<[u8]>) -> Result<Option<V>> {
        match self.tree.get(key)? {
            Some(v) => Ok(Some(from_json(&v)?)),
            None => Ok(None),
        }
    }

    /// Every record, in key order.
    pub fn all(&self) -> Result<Vec<V>> {
        self.values().collect()
    }

    /// Every (id, record) in key order, a record that does not decode given as its error (for
    /// `hanlin check`, which reports it and goes on).
    pub fn entries(&self) -> impl Iterator<Item = Result<(String, Result<V>)>> + use<V> {
        self.tree.iter().map(|kv| {
            let (k, v) = kv?;
            Ok((String::from_utf8_lossy(&k).into_owned(), from_json(&v)))
        })
    }

    /// Every record, in key order, one at a time.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = Result<V>> + use<V> {
        self.tree.iter().values().map(|v| from_json(&v?))
    }
}

/// A record already encoded for a table of `V` (encode outside the transaction closure, which sled
/// may run more than once).
pub struct Encoded<V> {
    bytes: Vec<u8>,
    _v: PhantomData<fn() -> V>,
}

impl<V: Serialize> Encoded<V> {
    /// Encodes `v`.
    pub fn new(v: &V) -> Self {
        Encoded {
            bytes: to_json(v),
            _v: PhantomData,
        }
    }
}

impl<V> Encoded<V> {
    /// Size of the encoding in bytes.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether the encoding is empty (never, for JSON).
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}

/// A table inside a transaction. Writes to a table the catalog is read from mark the transaction
/// as one that makes the catalog stale.
pub struct TxTable<'a, V> {
    pub(super) tree: &'a TransactionalTree,
    pub(super) touched: Option<&'a Cell<bool>>,
    _v: PhantomData<fn() -> V>,
}

impl<V> Clone for TxTable<'_, V> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<V> Copy for TxTable<'_, V> {}

impl<'a, V> TxTable<'a, V> {
    pub(super) fn new(tree: &'a TransactionalTree, touched: Option<&'a Cell<bool>>) -> Self {
        TxTable {
            tree,
            touched,
            _v: PhantomData,
        }
    }

    fn touch(&self) {
        if let Some(t) = self.touched {
            t.set(true);
        }
    }

    /// Whether a record exists at `key`.
    pub fn contains(&self, key: impl AsRef<[u8]>) -> TxResult<bool> {
        Ok(self.tree.get(key)?.is_some())
    }

    /// Writes an encoded record.
    pub fn put_encoded(&self, key: impl AsRef<[u8]>, value: &Encoded<V>) -> TxResult<()> {
        self.touch();
        self.tree
            .insert(key.as_ref(), value.bytes.as_slice())
            .map(|_| ())
            .map_err(Into::into)
    }

    /// Removes the record at `key`; whether there was one.
    pub fn remove(&self, key: impl AsRef<[u8]>) -> TxResult<bool> {
        self.touch();
        Ok(self.tree.remove(key.as_ref())?.is_some())
    }
}

impl<V: Serialize + DeserializeOwned> TxTable<'_, V> {
    /// The record at `key`.
    pub fn get(&self, key: impl AsRef<[u8]>) -> TxResult<Option<V>> {
        match self.tree.get(key)? {
            Some(b) => Ok(Some(tx_json(&b)?)),
            None => Ok(None),
        }
    }

    /// Writes a record.
    pub fn put(&self, key: impl AsRef<[u8]>, value: &V) -> TxResult<()> {
        self.touch();
        self.tree.insert(key.as_ref(), to_json(value))?;
        Ok(())
    }

    /// Reads the record at `key`, lets `change` edit it, writes it back and returns it; a missing
    /// record aborts with `not_found` (`what` names it).
    pub fn modify(
        &self,
        key: impl AsRef<[u8]>,
        what: &'static str,
        change: impl FnOnce(&mut V),
    ) -> TxResult<V> {
        let key = key.as_ref();
        let Some(mut record) = self.get(key)? else {
            return abort(Error::NotFound(what));
        };
        change(&mut record);
        self.put(key, &record)?;
        Ok(record)
    }
}
