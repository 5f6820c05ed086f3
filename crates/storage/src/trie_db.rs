//! [`StoreTrieDb`]: the [`TrieDB`] of the account trie and of each account's storage trie, over
//! the store's backend, with nodes keyed by path (`tables.rs`: `account_trie_nodes`,
//! `storage_trie_nodes`).
//!
//! A trie DB either writes straight to the backend (one batch per trie commit) or, when building
//! a state update, into shared [`PendingWrites`] that reads see first; the update is then
//! committed in one batch with the block that produced it.

use std::{
    collections::BTreeMap,
    sync::{
        Arc, Mutex, MutexGuard, PoisonError,
        atomic::{AtomicBool, Ordering},
    },
};

use alloy_primitives::B256;
use ethrex_trie::{Nibbles, TrieDB, TrieError};

use crate::{
    Result, StoreError,
    backend::{KvBackend, WriteBatch},
    tables::Table,
};

/// Which trie a [`StoreTrieDb`] holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrieOwner {
    /// The account (state) trie.
    Accounts,
    /// The storage trie of the account with this hashed address.
    Storage(B256),
}

impl TrieOwner {
    fn table(self) -> Table {
        match self {
            TrieOwner::Accounts => Table::AccountTrieNodes,
            TrieOwner::Storage(_) => Table::StorageTrieNodes,
        }
    }

    /// The key of the node at `path`: the path one nibble per byte, after the hashed address
    /// for a storage trie.
    fn key(self, path: &Nibbles) -> Vec<u8> {
        match self {
            TrieOwner::Accounts => path.as_slice().to_vec(),
            TrieOwner::Storage(owner) => {
                let mut key = Vec::with_capacity(32 + path.len());
                key.extend_from_slice(owner.as_slice());
                key.extend_from_slice(path.as_slice());
                key
            }
        }
    }
}

/// Pending values by table and key; `None` is a deletion.
type WriteMap = BTreeMap<(Table, Vec<u8>), Option<Vec<u8>>>;

/// Writes not yet committed, by table and key (`None` = delete); later writes replace earlier.
///
/// Once taken ([`PendingWrites::take_batch`]) they are closed: reading them is an error, so a
/// reader left over from a finished state builder cannot silently read the stored state instead.
#[derive(Debug, Default)]
pub struct PendingWrites {
    writes: Mutex<WriteMap>,
    closed: AtomicBool,
}

impl PendingWrites {
    /// The pending value of `key`: `None` if untouched, `Some(None)` if deleted.
    pub(crate) fn get(&self, table: Table, key: &[u8]) -> Result<Option<Option<Vec<u8>>>> {
        if self.closed.load(Ordering::Acquire) {
            return Err(StoreError::Backend(
                "read through a finished state builder: its writes were taken".into(),
            ));
        }
        Ok(self.lock().get(&(table, key.to_vec())).cloned())
    }

    pub(crate) fn put(&self, table: Table, key: Vec<u8>, value: Vec<u8>) {
        self.lock().insert((table, key), Some(value));
    }

    pub(crate) fn delete(&self, table: Table, key: Vec<u8>) {
        self.lock().insert((table, key), None);
    }

    /// The keys of `table` starting with `prefix` that have a pending value (not a deletion).
    pub(crate) fn keys_with_prefix(&self, table: Table, prefix: &[u8]) -> Vec<Vec<u8>> {
        self.lock()
            .range((table, prefix.to_vec())..)
            .take_while(|((t, key), _)| *t == table && key.starts_with(prefix))
            .filter(|(_, value)| value.is_some())
            .map(|((_, key), _)| key.clone())
            .collect()
    }

    /// Takes the writes as one batch and closes these pending writes.
    pub(crate) fn take_batch(&self) -> WriteBatch {
        let writes = {
            let mut map = self.lock();
            self.closed.store(true, Ordering::Release);
            std::mem::take(&mut *map)
        };
        let mut batch = WriteBatch::new();
        for ((table, key), value) in writes {
            match value {
                Some(value) => batch.put(table, key, value),
                None => batch.delete(table, key),
            }
        }
        batch
    }

    fn lock(&self) -> MutexGuard<'_, WriteMap> {
        // Each insert is independent: a panic elsewhere cannot leave the map inconsistent.
        self.writes.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The node storage of one trie of the store.
pub struct StoreTrieDb {
    backend: Arc<dyn KvBackend>,
    owner: TrieOwner,
    pending: Option<Arc<PendingWrites>>,
}

impl std::fmt::Debug for StoreTrieDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreTrieDb")
            .field("owner", &self.owner)
            .finish_non_exhaustive()
    }
}

impl StoreTrieDb {
    /// Node storage that writes each trie commit straight to the backend.
    pub fn new(backend: Arc<dyn KvBackend>, owner: TrieOwner) -> Self {
        Self {
            backend,
            owner,
            pending: None,
        }
    }

    /// Node storage whose writes go to `pending` (and whose reads see them first).
    pub(crate) fn with_pending(
        backend: Arc<dyn KvBackend>,
        owner: TrieOwner,
        pending: Arc<PendingWrites>,
    ) -> Self {
        Self {
            backend,
            owner,
            pending: Some(pending),
        }
    }
}

fn trie_err(e: StoreError) -> TrieError {
    TrieError::Database(Box::new(e))
}

impl TrieDB for StoreTrieDb {
    fn get(&self, path: &Nibbles) -> ethrex_trie::Result<Option<Vec<u8>>> {
        let table = self.owner.table();
        let key = self.owner.key(path);
        if let Some(pending) = &self.pending
            && let Some(value) = pending.get(table, &key).map_err(trie_err)?
        {
            return Ok(value);
        }
        self.backend.get(table, &key).map_err(trie_err)
    }

    fn put_batch(&self, nodes: Vec<(Nibbles, Vec<u8>)>) -> ethrex_trie::Result<()> {
        let table = self.owner.table();
        match &self.pending {
            Some(pending) => {
                for (path, node) in nodes {
                    pending.put(table, self.owner.key(&path), node);
                }
                Ok(())
            }
            None => {
                let mut batch = WriteBatch::new();
                for (path, node) in nodes {
                    batch.put(table, self.owner.key(&path), node);
                }
                self.backend.write(batch).map_err(trie_err)
            }
        }
    }
}
