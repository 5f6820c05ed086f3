//! [`MemoryBackend`]: every table a `BTreeMap` behind one `RwLock`, for tests and
//! `--datadir memory`.
//!
//! One lock covers all tables, so a batch is applied under a single write lock: readers see all
//! of it or none of it.

use std::{
    collections::BTreeMap,
    ops::Bound,
    sync::{PoisonError, RwLock, RwLockReadGuard},
};

use super::{KvBackend, Visitor, WriteBatch, WriteOp};
use crate::{Result, tables::Table};

type Tables = [BTreeMap<Vec<u8>, Vec<u8>>; Table::ALL.len()];

/// An in-memory [`KvBackend`].
#[derive(Debug, Default)]
pub struct MemoryBackend {
    tables: RwLock<Tables>,
}

impl MemoryBackend {
    pub fn new() -> Self {
        Self::default()
    }

    /// Applies `batch` (infallible, unlike [`KvBackend::write`] in general).
    pub fn apply(&self, batch: WriteBatch) {
        // A panic while holding the lock happens between two ops of one batch only if an insert
        // panics (allocation failure aborts instead), so the maps are never left half-written.
        let mut tables = self.tables.write().unwrap_or_else(PoisonError::into_inner);
        for op in batch.ops {
            match op {
                WriteOp::Put { table, key, value } => {
                    tables[table.index()].insert(key, value);
                }
                WriteOp::Delete { table, key } => {
                    tables[table.index()].remove(&key);
                }
            }
        }
    }

    fn read(&self) -> RwLockReadGuard<'_, Tables> {
        self.tables.read().unwrap_or_else(PoisonError::into_inner)
    }
}

impl KvBackend for MemoryBackend {
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self.read()[table.index()].get(key).cloned())
    }

    fn for_each_from(&self, table: Table, start: &[u8], visit: &mut Visitor<'_>) -> Result<()> {
        let tables = self.read();
        let range =
            tables[table.index()].range::<[u8], _>((Bound::Included(start), Bound::Unbounded));
        for (key, value) in range {
            if visit(key, value)?.is_break() {
                break;
            }
        }
        Ok(())
    }

    fn write(&self, batch: WriteBatch) -> Result<()> {
        self.apply(batch);
        Ok(())
    }
}
