//! The diff-layer journal: at a clean shutdown [`Store::journal_layers`] writes every in-memory
//! layer to the `misc` table (one batch, key [`JOURNAL_KEY`]), and opening the store reads them
//! back, so the recent states survive a restart without re-execution.
//!
//! Guarantees: a journal is only loaded over the disk state it was written on (its base root);
//! it is deleted once loaded, so a later crash never reloads it over a newer disk state. A journal
//! that does not decode or does not match is dropped: the chain then re-executes the blocks above
//! the disk state, which gives the same states.
//!
//! Encoding: `MAGIC`, base root (32), layer count (u64 BE), then per layer: root (32), parent
//! (32), block number (u64 BE), entry count (u64 BE), entries: table index (u8), key length (u32
//! BE), key, present flag (u8), value length (u32 BE), value.

use alloy_primitives::B256;

use crate::{Result, Store, backend::WriteBatch, tables::Table, trie_db::WriteMap};

/// The journal's key in [`Table::Misc`].
pub const JOURNAL_KEY: &[u8] = b"diff_layer_journal";
const MAGIC: &[u8] = b"ethrex-layers-v1";

type JournalLayer = (B256, B256, u64, WriteMap);

impl Store {
    /// Writes every diff layer to the journal (one batch); returns how many were written. The
    /// layers stay in memory.
    pub fn journal_layers(&self) -> Result<usize> {
        let layers = self.layers_read();
        let exported = layers.export();
        let mut bytes = Vec::from(MAGIC);
        bytes.extend_from_slice(layers.disk_root().as_slice());
        bytes.extend_from_slice(&(exported.len() as u64).to_be_bytes());
        for (root, parent, number, writes) in &exported {
            bytes.extend_from_slice(root.as_slice());
            bytes.extend_from_slice(parent.as_slice());
            bytes.extend_from_slice(&number.to_be_bytes());
            bytes.extend_from_slice(&(writes.len() as u64).to_be_bytes());
            for ((table, key), value) in writes {
                bytes.push(table.index() as u8);
                bytes.extend_from_slice(&(key.len() as u32).to_be_bytes());
                bytes.extend_from_slice(key);
                match value {
                    Some(value) => {
                        bytes.push(1);
                        bytes.extend_from_slice(&(value.len() as u32).to_be_bytes());
                        bytes.extend_from_slice(value);
                    }
                    None => bytes.push(0),
                }
            }
        }
        let mut batch = WriteBatch::new();
        batch.put(Table::Misc, JOURNAL_KEY, bytes);
        self.backend.write(batch)?;
        Ok(exported.len())
    }

    /// Loads the journal, if any, over the disk state and deletes it; returns how many layers
    /// were loaded.
    pub(crate) fn load_journal(&self) -> Result<usize> {
        let Some(bytes) = self.backend.get(Table::Misc, JOURNAL_KEY)? else {
            return Ok(0);
        };
        let mut loaded = 0;
        {
            let mut layers = self.layers_write();
            if let Some((base, journal)) = decode(&bytes)
                && base == layers.disk_root()
            {
                for (root, parent, number, writes) in journal {
                    if layers.add(root, parent, number, writes).is_err() {
                        break;
                    }
                    loaded += 1;
                }
            }
        }
        let mut batch = WriteBatch::new();
        batch.delete(Table::Misc, JOURNAL_KEY);
        self.backend.write(batch)?;
        Ok(loaded)
    }
}

/// Reads a journal: its base root and layers; `None` if malformed.
fn decode(bytes: &[u8]) -> Option<(B256, Vec<JournalLayer>)> {
    let mut r = Reader(bytes);
    if r.take(MAGIC.len())? != MAGIC {
        return None;
    }
    let base = r.hash()?;
    let count = r.u64()?;
    let mut layers = Vec::new();
    for _ in 0..count {
        let (root, parent, number) = (r.hash()?, r.hash()?, r.u64()?);
        let entries = r.u64()?;
        let mut writes = WriteMap::new();
        for _ in 0..entries {
            let table = *Table::ALL.get(usize::from(*r.take(1)?.first()?))?;
            let key_len = r.u32()? as usize;
            let key = r.take(key_len)?.to_vec();
            let value = match r.take(1)?.first()? {
                0 => None,
                1 => {
                    let len = r.u32()? as usize;
                    Some(r.take(len)?.to_vec())
                }
                _ => return None,
            };
            writes.push(((table, key), value));
        }
        layers.push((root, parent, number, writes));
    }
    r.0.is_empty().then_some((base, layers))
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }
    fn hash(&mut self) -> Option<B256> {
        self.take(32).map(B256::from_slice)
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_be_bytes(self.take(8)?.try_into().ok()?))
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_be_bytes(self.take(4)?.try_into().ok()?))
    }
}
