//! The tables of the store (one RocksDB column family each) and the exact encoding of their keys
//! and values.
//!
//! Integers in keys are big-endian so that keys sort by number; hashes are their 32 raw bytes.
//! "RLP" below is `alloy_rlp` encoding of the named ethrex type.
//!
//! | table | key | value |
//! |---|---|---|
//! | `canonical_hashes` | block number, `u64` BE (8 bytes) | block hash (32 bytes) |
//! | `block_numbers` | block hash (32) | block number, `u64` BE (8) |
//! | `headers` | block hash (32) | RLP of `Header` |
//! | `bodies` | block hash (32) | RLP of `BlockBody` (txs, ommers, withdrawals) |
//! | `receipts` | block hash (32) ‖ tx index `u64` BE (8) | the transaction's hash (32) ‖ EIP-2718 encoding of `Receipt` (`type ‖ rlp`, legacy: `rlp`) |
//! | `tx_locations` | tx hash (32) | block hash (32) ‖ tx index `u64` BE (8) |
//! | `account_codes` | code hash (32) | the code bytes, raw |
//! | `account_trie_nodes` | node path, one nibble per byte (0..=64 bytes; root = empty key) | node RLP |
//! | `storage_trie_nodes` | hashed address (32) ‖ node path, one nibble per byte | node RLP |
//! | `flat_accounts` | hashed address `keccak(address)` (32) | RLP of `AccountState` |
//! | `flat_storage` | hashed address (32) ‖ hashed slot `keccak(slot as 32 BE bytes)` (32) | RLP of the `U256` value (never zero: zero = absent) |
//! | `chain_data` | one byte, a [`ChainDataKey`] | see [`ChainDataKey`] |
//! | `misc` | free-form ASCII names | per name; today only `diff_layer_journal` ([`crate::JOURNAL_KEY`], `journal.rs`) |
//!
//! Invariants: `canonical_hashes` and `block_numbers` agree for canonical blocks, and no
//! canonical entry lies above the head; every block in `headers` has its `block_numbers`,
//! `bodies` and `receipts` entries written in the same batch; `tx_locations` is written when a
//! block becomes canonical, so after a reorg it may point at a block no longer canonical
//! (readers check). The trie node tables and the flat tables hold exactly one state, the
//! one whose root is [`ChainDataKey::StateRoot`].

use std::fmt;

/// A table (column family) of the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Table {
    CanonicalHashes,
    BlockNumbers,
    Headers,
    Bodies,
    Receipts,
    TxLocations,
    AccountCodes,
    AccountTrieNodes,
    StorageTrieNodes,
    FlatAccounts,
    FlatStorage,
    ChainData,
    Misc,
}

impl Table {
    /// Every table, in a fixed order ([`Table::index`]).
    pub const ALL: [Table; 13] = [
        Table::CanonicalHashes,
        Table::BlockNumbers,
        Table::Headers,
        Table::Bodies,
        Table::Receipts,
        Table::TxLocations,
        Table::AccountCodes,
        Table::AccountTrieNodes,
        Table::StorageTrieNodes,
        Table::FlatAccounts,
        Table::FlatStorage,
        Table::ChainData,
        Table::Misc,
    ];

    /// The table's name: its column family in RocksDB.
    pub const fn name(self) -> &'static str {
        match self {
            Table::CanonicalHashes => "canonical_hashes",
            Table::BlockNumbers => "block_numbers",
            Table::Headers => "headers",
            Table::Bodies => "bodies",
            Table::Receipts => "receipts",
            Table::TxLocations => "tx_locations",
            Table::AccountCodes => "account_codes",
            Table::AccountTrieNodes => "account_trie_nodes",
            Table::StorageTrieNodes => "storage_trie_nodes",
            Table::FlatAccounts => "flat_accounts",
            Table::FlatStorage => "flat_storage",
            Table::ChainData => "chain_data",
            Table::Misc => "misc",
        }
    }

    /// Position of the table in [`Table::ALL`].
    pub const fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Keys of the `chain_data` table, stored as one byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum ChainDataKey {
    /// Schema version of the database: `u64` BE. Written at creation, checked at every open.
    SchemaVersion = 0,
    /// The chain configuration: JSON of `ChainConfig`.
    ChainConfig = 1,
    /// Hash of the head block (32 bytes).
    HeadHash = 2,
    /// Hash of the last safe block (32 bytes).
    SafeHash = 3,
    /// Hash of the last finalized block (32 bytes).
    FinalizedHash = 4,
    /// Root of the state held by the trie node and flat tables (32 bytes).
    StateRoot = 5,
}

impl ChainDataKey {
    /// The key as stored.
    pub const fn key(self) -> [u8; 1] {
        [self as u8]
    }
}

/// Key of a `(hash, index)` pair: `hash ‖ index BE` (receipts, tx locations' values).
pub(crate) fn hash_index_key(hash: &alloy_primitives::B256, index: u64) -> [u8; 40] {
    let mut key = [0u8; 40];
    key[..32].copy_from_slice(hash.as_slice());
    key[32..].copy_from_slice(&index.to_be_bytes());
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_index_matches_position_in_all() {
        for (i, table) in Table::ALL.iter().enumerate() {
            assert_eq!(table.index(), i, "{table}");
        }
    }

    #[test]
    fn table_names_are_unique() {
        let mut names: Vec<_> = Table::ALL.iter().map(|t| t.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Table::ALL.len());
    }
}
