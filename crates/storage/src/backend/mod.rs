//! The key-value backend the store is built on: [`KvBackend`], its atomic [`WriteBatch`], and two
//! implementations, [`MemoryBackend`] and [`RocksDbBackend`].
//!
//! A backend knows tables and bytes, nothing of Ethereum: the store encodes keys and values
//! (see `tables.rs`). Invariant every backend keeps: [`KvBackend::write`] applies all of a batch
//! or none of it, and a reader never sees part of a batch.

mod memory;
mod rocksdb;

use std::ops::ControlFlow;

pub use self::rocksdb::RocksDbBackend;
pub use memory::MemoryBackend;

use crate::{Result, tables::Table};

/// One write of a [`WriteBatch`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteOp {
    Put {
        table: Table,
        key: Vec<u8>,
        value: Vec<u8>,
    },
    Delete {
        table: Table,
        key: Vec<u8>,
    },
}

/// Puts and deletes across tables, applied atomically and in order (a later op on the same key
/// wins).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteBatch {
    ops: Vec<WriteOp>,
}

impl WriteBatch {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `key` of `table` to `value`.
    pub fn put(&mut self, table: Table, key: impl Into<Vec<u8>>, value: impl Into<Vec<u8>>) {
        self.ops.push(WriteOp::Put {
            table,
            key: key.into(),
            value: value.into(),
        });
    }

    /// Removes `key` of `table` (nothing happens if it is absent).
    pub fn delete(&mut self, table: Table, key: impl Into<Vec<u8>>) {
        self.ops.push(WriteOp::Delete {
            table,
            key: key.into(),
        });
    }

    /// Appends the ops of `other` after this batch's.
    pub fn extend(&mut self, other: WriteBatch) {
        self.ops.extend(other.ops);
    }

    pub fn ops(&self) -> &[WriteOp] {
        &self.ops
    }

    pub fn len(&self) -> usize {
        self.ops.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }
}

/// Visits one `(key, value)` entry; returns `Break` to stop the iteration.
pub type Visitor<'a> = dyn FnMut(&[u8], &[u8]) -> Result<ControlFlow<()>> + 'a;

/// A key-value store of byte strings, split into [`Table`]s.
pub trait KvBackend: Send + Sync {
    /// The value of `key` in `table`.
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>>;

    /// Visits the entries of `table` whose key is `>= start`, in key order, until `visit` breaks.
    ///
    /// `visit` must not call the backend (the in-memory backend holds its read lock meanwhile).
    fn for_each_from(&self, table: Table, start: &[u8], visit: &mut Visitor<'_>) -> Result<()>;

    /// Applies the whole batch atomically.
    fn write(&self, batch: WriteBatch) -> Result<()>;

    /// Visits the entries of `table` whose key starts with `prefix`, in key order.
    fn for_each_with_prefix(
        &self,
        table: Table,
        prefix: &[u8],
        visit: &mut Visitor<'_>,
    ) -> Result<()> {
        self.for_each_from(table, prefix, &mut |key, value| {
            if !key.starts_with(prefix) {
                return Ok(ControlFlow::Break(()));
            }
            visit(key, value)
        })
    }

    /// Whether `table` holds no entry.
    fn is_table_empty(&self, table: Table) -> Result<bool> {
        let mut empty = true;
        self.for_each_from(table, &[], &mut |_, _| {
            empty = false;
            Ok(ControlFlow::Break(()))
        })?;
        Ok(empty)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_utils::{Harness, backend_tests};

    fn collect_prefix(
        backend: &dyn KvBackend,
        table: Table,
        prefix: &[u8],
    ) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut out = Vec::new();
        backend
            .for_each_with_prefix(table, prefix, &mut |k, v| {
                out.push((k.to_vec(), v.to_vec()));
                Ok(ControlFlow::Continue(()))
            })
            .unwrap();
        out
    }

    fn put_get_delete_across_tables(h: &Harness) {
        let backend = h.raw();
        let mut batch = WriteBatch::new();
        batch.put(Table::Headers, b"k".to_vec(), b"header".to_vec());
        batch.put(Table::Bodies, b"k".to_vec(), b"body".to_vec());
        backend.write(batch).unwrap();
        assert_eq!(
            backend.get(Table::Headers, b"k").unwrap(),
            Some(b"header".to_vec())
        );
        assert_eq!(
            backend.get(Table::Bodies, b"k").unwrap(),
            Some(b"body".to_vec())
        );
        assert_eq!(
            backend.get(Table::Receipts, b"k").unwrap(),
            None,
            "tables are separate"
        );

        let mut batch = WriteBatch::new();
        batch.delete(Table::Headers, b"k".to_vec());
        batch.delete(Table::Misc, b"absent".to_vec());
        backend.write(batch).unwrap();
        assert_eq!(backend.get(Table::Headers, b"k").unwrap(), None);
        assert_eq!(
            backend.get(Table::Bodies, b"k").unwrap(),
            Some(b"body".to_vec())
        );
    }

    fn later_op_on_same_key_wins(h: &Harness) {
        let backend = h.raw();
        let mut batch = WriteBatch::new();
        batch.put(Table::Misc, b"a".to_vec(), b"1".to_vec());
        batch.delete(Table::Misc, b"a".to_vec());
        batch.put(Table::Misc, b"b".to_vec(), b"1".to_vec());
        batch.put(Table::Misc, b"b".to_vec(), b"2".to_vec());
        backend.write(batch).unwrap();
        assert_eq!(backend.get(Table::Misc, b"a").unwrap(), None);
        assert_eq!(backend.get(Table::Misc, b"b").unwrap(), Some(b"2".to_vec()));
    }

    fn prefix_iteration_is_ordered_and_bounded(h: &Harness) {
        let backend = h.raw();
        let mut batch = WriteBatch::new();
        for key in [&b"ab2"[..], b"aa", b"ab1", b"ab", b"b", b"ab3"] {
            batch.put(Table::Receipts, key.to_vec(), key.to_vec());
        }
        batch.put(Table::Headers, b"ab0".to_vec(), b"other table".to_vec());
        backend.write(batch).unwrap();
        let keys: Vec<_> = collect_prefix(&*backend, Table::Receipts, b"ab")
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(keys, [&b"ab"[..], b"ab1", b"ab2", b"ab3"]);
        assert!(collect_prefix(&*backend, Table::Receipts, b"c").is_empty());

        let mut seen = Vec::new();
        backend
            .for_each_from(Table::Receipts, b"ab1", &mut |k, _| {
                seen.push(k.to_vec());
                Ok(if seen.len() == 2 {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                })
            })
            .unwrap();
        assert_eq!(
            seen,
            [&b"ab1"[..], b"ab2"],
            "starts at the bound, stops on break"
        );
        assert!(!backend.is_table_empty(Table::Receipts).unwrap());
        assert!(backend.is_table_empty(Table::AccountCodes).unwrap());
    }

    fn visitor_error_stops_iteration_and_is_returned(h: &Harness) {
        let backend = h.raw();
        let mut batch = WriteBatch::new();
        batch.put(Table::Misc, b"x".to_vec(), b"1".to_vec());
        batch.put(Table::Misc, b"y".to_vec(), b"1".to_vec());
        backend.write(batch).unwrap();
        let mut calls = 0;
        let err = backend
            .for_each_from(Table::Misc, b"", &mut |_, _| {
                calls += 1;
                Err(crate::StoreError::Backend("stop".into()))
            })
            .unwrap_err();
        assert_eq!(calls, 1);
        assert!(err.to_string().contains("stop"));
    }

    fn big_batch_lands_whole(h: &Harness) {
        let backend = h.raw();
        let mut batch = WriteBatch::new();
        for i in 0u32..10_000 {
            let table = Table::ALL[i as usize % Table::ALL.len()];
            batch.put(table, i.to_be_bytes(), i.to_le_bytes());
        }
        backend.write(batch).unwrap();
        for i in 0u32..10_000 {
            let table = Table::ALL[i as usize % Table::ALL.len()];
            assert_eq!(
                backend.get(table, &i.to_be_bytes()).unwrap(),
                Some(i.to_le_bytes().to_vec())
            );
        }
    }

    fn data_persists_across_reopen(h: &Harness) {
        {
            let backend = h.raw();
            let mut batch = WriteBatch::new();
            batch.put(Table::AccountCodes, b"code".to_vec(), b"\x60\x00".to_vec());
            backend.write(batch).unwrap();
        }
        let backend = h.raw();
        assert_eq!(
            backend.get(Table::AccountCodes, b"code").unwrap(),
            Some(b"\x60\x00".to_vec())
        );
    }

    backend_tests!(
        put_get_delete_across_tables,
        later_op_on_same_key_wins,
        prefix_iteration_is_ordered_and_bounded,
        visitor_error_stops_iteration_and_is_returned,
        big_batch_lands_whole,
        data_persists_across_reopen,
    );

    #[test]
    fn rocksdb_open_fails_clearly_on_a_file_path() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("not-a-dir");
        std::fs::write(&file, b"x").unwrap();
        let err = RocksDbBackend::open(&file).unwrap_err();
        assert!(err.to_string().contains("cannot open RocksDB at"), "{err}");
    }
}
