//! [`StateError`]: why a [`super::Database`] read failed. The VM turns it into its own
//! `VmError::Database`; nothing about the transaction is known then.

use alloy_primitives::B256;

/// A state read failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StateError {
    /// The state read is no longer held (flattened past, pruned) or was never stored.
    #[error("state {0} is not available")]
    Unavailable(B256),
    /// A trie node on the path to an account or slot is missing (a corrupt database, an
    /// incomplete witness); the message says which node or what could not be resolved.
    #[error("missing trie node: {0}")]
    MissingTrieNode(String),
    /// No code with this hash is held.
    #[error("code {0} not found")]
    MissingCode(B256),
    /// The hash of block #number is not known (not an ancestor, not stored, not in a witness).
    #[error("hash of block #{0} not found")]
    MissingBlockHash(u64),
    /// A block (an ancestor of the executing one) is not held.
    #[error("block {0} not found")]
    MissingBlock(B256),
    /// A stored value of the state cannot be decoded; the message says which one.
    #[error("{0}")]
    Corrupt(String),
    /// The backend holding the state failed; the message is its error.
    #[error("state backend error: {0}")]
    Backend(String),
}
