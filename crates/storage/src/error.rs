//! The crate's single error type, [`StoreError`], and its [`Result`] alias.
//!
//! Messages carry what is needed to find the problem: the table and key of a corrupt value, both
//! schema versions on a mismatch, the block or root that is missing.

use alloy_primitives::B256;
use ethrex_common::state::StateError;
use ethrex_trie::TrieError;

use crate::tables::Table;

/// Errors of the store and its backends.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The key-value backend failed (I/O, RocksDB internal error, lock).
    #[error("storage backend error: {0}")]
    Backend(String),
    /// A stored value cannot be decoded: the database is corrupt (or written by another schema).
    /// For a trie leaf (an account or slot read through a trie), `key` is the leaf's trie key.
    #[error("corrupt value in table {table} at key 0x{key}: {reason}")]
    Corrupt {
        table: Table,
        /// The key, hex-encoded.
        key: String,
        reason: String,
    },
    /// The database was written with another schema version.
    #[error(
        "database schema version {found} does not match this ethrex's schema version {expected}; \
         remove the data directory (or use a matching ethrex) and resync"
    )]
    SchemaMismatch { found: u64, expected: u64 },
    /// The database holds data but no schema version: it was not written by ethrex.
    #[error(
        "database holds data in table {table} but no schema version; it was not written by ethrex"
    )]
    MissingSchemaVersion { table: Table },
    /// A block referenced by the caller is not stored.
    #[error("block {0} not found")]
    BlockNotFound(B256),
    /// The block's receipts do not match its transactions.
    #[error("block #{number} {hash} has {transactions} transactions but {receipts} receipts")]
    ReceiptCountMismatch {
        number: u64,
        hash: B256,
        transactions: usize,
        receipts: usize,
    },
    /// The state with this root is not available: neither the disk state nor a held diff layer.
    #[error("state {requested} is not available (the stored state is {stored})")]
    StateNotAvailable { requested: B256, stored: B256 },
    /// The stored chain starts with another genesis block.
    #[error("the database holds genesis {stored}, not this chain's genesis {genesis}")]
    GenesisMismatch { stored: B256, genesis: B256 },
    /// The genesis allocation does not hash to the genesis header's state root.
    #[error("genesis state root {computed} differs from the genesis header's {header}")]
    GenesisStateRoot { computed: B256, header: B256 },
    /// A chain type (genesis, block) is invalid.
    #[error(transparent)]
    Common(#[from] ethrex_common::CommonError),
    /// A trie operation failed.
    #[error(transparent)]
    Trie(#[from] TrieError),
    /// A reader of a finished state builder was read: the builder's writes were taken.
    #[error("read through a finished state builder: its writes were taken")]
    BuilderFinished,
    /// A read-only state view was asked to write trie nodes.
    #[error("write to a read-only state view's trie")]
    ReadOnlyView,
    /// The chain config cannot be serialized.
    #[error("cannot serialize the chain config: {0}")]
    Serialize(String),
}

impl StoreError {
    /// A corrupt-value error for `key` of `table`.
    pub(crate) fn corrupt(table: Table, key: &[u8], reason: impl std::fmt::Display) -> Self {
        StoreError::Corrupt {
            table,
            key: alloy_primitives::hex::encode(key),
            reason: reason.to_string(),
        }
    }
}

/// Result of the storage crate.
pub type Result<T> = std::result::Result<T, StoreError>;

impl From<StoreError> for StateError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::StateNotAvailable { requested, .. } => StateError::Unavailable(requested),
            e @ StoreError::Corrupt { .. } => StateError::Corrupt(e.to_string()),
            StoreError::Trie(e @ TrieError::MissingNode { .. }) => {
                StateError::MissingTrieNode(e.to_string())
            }
            e => StateError::Backend(e.to_string()),
        }
    }
}
