//! The batches the crash writer commits, shared with the crash test that checks them (which
//! includes this file by path): batch `n` puts [`KEYS_PER_BATCH`] keys `key(n, i)` in each of
//! [`TABLES`], then `Misc/last` = `n`, all in one atomic write.

use ethrex_storage::{Table, WriteBatch};

/// Keys per table in one batch.
pub const KEYS_PER_BATCH: u64 = 50;
/// The tables each batch writes to.
pub const TABLES: [Table; 3] = [Table::Headers, Table::Bodies, Table::Receipts];
/// The `Misc` key holding the number of the last batch written.
pub const LAST: &[u8] = b"last";

/// Key `i` of batch `n`.
pub fn key(n: u64, i: u64) -> Vec<u8> {
    [n.to_be_bytes(), i.to_be_bytes()].concat()
}

/// Batch `n`: 200-byte values, so that a few hundred batches span several RocksDB flushes.
pub fn batch(n: u64) -> WriteBatch {
    let mut batch = WriteBatch::new();
    for i in 0..KEYS_PER_BATCH {
        for table in TABLES {
            batch.put(table, key(n, i), vec![n.to_le_bytes()[0]; 200]);
        }
    }
    batch.put(Table::Misc, LAST.to_vec(), n.to_be_bytes());
    batch
}
