//! [`StoreTrieDb`]: the [`TrieDB`] of the account trie and of each account's storage trie, over
//! the store's backend, with nodes keyed by path (`tables.rs`: `account_trie_nodes`,
//! `storage_trie_nodes`).
//!
//! A trie DB reads one state through a [`StateView`] (pending writes, diff layers, disk) and
//! writes into the view's shared [`PendingWrites`], which become the block's diff layer.

use std::sync::{
    Mutex, MutexGuard, PoisonError,
    atomic::{AtomicBool, Ordering},
};

use alloy_primitives::{B256, map::HashMap};
use ethrex_trie::{Nibbles, TrieDB, TrieError};

use crate::{Result, StoreError, layers::StateView, tables::Table};

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
    pub(crate) fn key(self, path: &Nibbles) -> Vec<u8> {
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

/// Writes taken from [`PendingWrites`]: each (table, key) once, `None` a deletion.
pub(crate) type WriteMap = Vec<((Table, Vec<u8>), Option<Vec<u8>>)>;

/// One table's pending values by key.
type TableWrites = HashMap<Vec<u8>, Option<Vec<u8>>>;

/// Writes not yet committed, by table and key (`None` = delete); later writes replace earlier.
///
/// Once taken ([`PendingWrites::take`]) they are closed: reading them is an error, so a
/// reader left over from a finished state builder cannot silently read the stored state instead.
#[derive(Debug)]
pub struct PendingWrites {
    writes: Mutex<Vec<TableWrites>>,
    closed: AtomicBool,
}

impl Default for PendingWrites {
    fn default() -> Self {
        Self {
            writes: Mutex::new(Table::ALL.iter().map(|_| TableWrites::default()).collect()),
            closed: AtomicBool::new(false),
        }
    }
}

impl PendingWrites {
    /// The pending value of `key`: `None` if untouched, `Some(None)` if deleted.
    pub(crate) fn get(&self, table: Table, key: &[u8]) -> Result<Option<Option<Vec<u8>>>> {
        if self.closed.load(Ordering::Acquire) {
            return Err(StoreError::BuilderFinished);
        }
        Ok(self.lock()[table.index()].get(key).cloned())
    }

    pub(crate) fn put(&self, table: Table, key: Vec<u8>, value: Vec<u8>) {
        self.lock()[table.index()].insert(key, Some(value));
    }

    pub(crate) fn delete(&self, table: Table, key: Vec<u8>) {
        self.lock()[table.index()].insert(key, None);
    }

    /// The keys of `table` starting with `prefix` that have a pending value (not a deletion).
    /// A scan of the table's pending writes: for the rare callers that need it.
    pub(crate) fn keys_with_prefix(&self, table: Table, prefix: &[u8]) -> Vec<Vec<u8>> {
        self.lock()[table.index()]
            .iter()
            .filter(|(key, value)| value.is_some() && key.starts_with(prefix))
            .map(|(key, _)| key.clone())
            .collect()
    }

    /// Takes the writes and closes these pending writes.
    pub(crate) fn take(&self) -> WriteMap {
        let mut tables = self.lock();
        self.closed.store(true, Ordering::Release);
        let mut writes = WriteMap::new();
        for (table, map) in Table::ALL.iter().zip(tables.iter_mut()) {
            writes.extend(
                std::mem::take(map)
                    .into_iter()
                    .map(|(key, value)| ((*table, key), value)),
            );
        }
        writes
    }

    fn lock(&self) -> MutexGuard<'_, Vec<TableWrites>> {
        // Each insert is independent: a panic elsewhere cannot leave the maps inconsistent.
        self.writes.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The node storage of one trie of a state: reads through a [`StateView`], writes into its
/// pending writes (a view without pending writes is read-only).
pub struct StoreTrieDb {
    view: StateView,
    owner: TrieOwner,
}

impl std::fmt::Debug for StoreTrieDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreTrieDb")
            .field("owner", &self.owner)
            .finish_non_exhaustive()
    }
}

impl StoreTrieDb {
    pub(crate) fn new(view: StateView, owner: TrieOwner) -> Self {
        Self { view, owner }
    }
}

fn trie_err(e: StoreError) -> TrieError {
    TrieError::Database(Box::new(e))
}

impl TrieDB for StoreTrieDb {
    fn get(&self, path: &Nibbles) -> ethrex_trie::Result<Option<Vec<u8>>> {
        self.view
            .get(self.owner.table(), &self.owner.key(path))
            .map_err(trie_err)
    }

    fn put_batch(&self, nodes: Vec<(Nibbles, Vec<u8>)>) -> ethrex_trie::Result<()> {
        let table = self.owner.table();
        let pending = self
            .view
            .pending()
            .ok_or_else(|| trie_err(StoreError::ReadOnlyView))?;
        for (path, node) in nodes {
            pending.put(table, self.owner.key(&path), node);
        }
        Ok(())
    }
}
