//! [`RocksDbBackend`]: one column family per [`Table`], lz4-compressed.
//!
//! A [`WriteBatch`] becomes one RocksDB write batch, which RocksDB applies atomically (and
//! recovers atomically from its write-ahead log after a crash).

use std::{ops::ControlFlow, path::Path};

use rocksdb::{
    ColumnFamily, ColumnFamilyDescriptor, DB, DBCompressionType, Direction, IteratorMode, Options,
};

use super::{KvBackend, Visitor, WriteBatch, WriteOp};
use crate::{Result, StoreError, tables::Table};

/// A RocksDB-backed [`KvBackend`].
pub struct RocksDbBackend {
    db: DB,
}

impl std::fmt::Debug for RocksDbBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RocksDbBackend")
            .field("path", &self.db.path())
            .finish()
    }
}

fn backend_err(e: rocksdb::Error) -> StoreError {
    StoreError::Backend(e.into_string())
}

impl RocksDbBackend {
    /// Opens (creating if missing) the database at `path`, with every table's column family.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let mut opts = Options::default();
        opts.create_if_missing(true);
        opts.create_missing_column_families(true);
        opts.set_compression_type(DBCompressionType::Lz4);
        let cfs = Table::ALL.iter().map(|table| {
            let mut cf_opts = Options::default();
            cf_opts.set_compression_type(DBCompressionType::Lz4);
            ColumnFamilyDescriptor::new(table.name(), cf_opts)
        });
        let db = DB::open_cf_descriptors(&opts, path.as_ref(), cfs).map_err(|e| {
            StoreError::Backend(format!(
                "cannot open RocksDB at {}: {}",
                path.as_ref().display(),
                e.into_string()
            ))
        })?;
        Ok(Self { db })
    }

    fn cf(&self, table: Table) -> Result<&ColumnFamily> {
        self.db
            .cf_handle(table.name())
            .ok_or_else(|| StoreError::Backend(format!("column family {table} is missing")))
    }
}

impl KvBackend for RocksDbBackend {
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let value = self
            .db
            .get_pinned_cf(self.cf(table)?, key)
            .map_err(backend_err)?;
        Ok(value.map(|v| v.to_vec()))
    }

    fn for_each_from(&self, table: Table, start: &[u8], visit: &mut Visitor<'_>) -> Result<()> {
        let iter = self.db.iterator_cf(
            self.cf(table)?,
            IteratorMode::From(start, Direction::Forward),
        );
        for entry in iter {
            let (key, value) = entry.map_err(backend_err)?;
            if let ControlFlow::Break(()) = visit(&key, &value)? {
                break;
            }
        }
        Ok(())
    }

    fn write(&self, batch: WriteBatch) -> Result<()> {
        let mut rocks_batch = rocksdb::WriteBatch::default();
        for op in batch.ops() {
            match op {
                WriteOp::Put { table, key, value } => {
                    rocks_batch.put_cf(self.cf(*table)?, key, value)
                }
                WriteOp::Delete { table, key } => rocks_batch.delete_cf(self.cf(*table)?, key),
            }
        }
        self.db.write(rocks_batch).map_err(backend_err)
    }
}
