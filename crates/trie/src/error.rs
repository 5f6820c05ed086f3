//! The crate's single error type, [`TrieError`], and its [`Result`] alias.
//!
//! Every fallible operation of the crate (database reads, node decoding, proof and range-proof
//! verification, out-of-order builder input) reports one of these variants; messages carry the
//! data needed to locate the failure (path, hash, expected vs. computed root).

use alloy_primitives::{B256, Bytes};

use crate::Nibbles;

/// Errors of the Merkle-Patricia trie.
#[derive(Debug, thiserror::Error)]
pub enum TrieError {
    /// A node referenced by hash is not in the database at its path.
    #[error("trie node {hash} at path {path} is missing from the database")]
    MissingNode {
        /// Nibble path of the node from the root.
        path: Nibbles,
        /// Hash the parent expects.
        hash: B256,
    },
    /// The database holds a different node at the path than the parent references.
    #[error("trie node at path {path} hashes to {got}, parent expects {expected}")]
    NodeHashMismatch {
        /// Nibble path of the node from the root.
        path: Nibbles,
        /// Hash the parent references.
        expected: B256,
        /// Hash of the bytes found in the database.
        got: B256,
    },
    /// A node's bytes are not valid RLP.
    #[error("invalid trie node RLP: {0}")]
    Rlp(#[from] alloy_rlp::Error),
    /// A node's RLP is well formed but does not describe a valid trie node.
    #[error("invalid trie node: {0}")]
    InvalidNode(&'static str),
    /// A proof does not contain the node of this hash, though the path needs it.
    #[error("proof node {hash} is missing")]
    MissingProofNode {
        /// Hash referenced on the proven path.
        hash: B256,
    },
    /// A range proof is inconsistent with its keys, values or edge keys.
    #[error("invalid range proof: {0}")]
    InvalidRange(String),
    /// The root rebuilt from a range and its proof is not the expected one.
    #[error("range proof root mismatch: expected {expected}, computed {got}")]
    RootMismatch {
        /// Root the range should belong to.
        expected: B256,
        /// Root computed from the range and the proof.
        got: B256,
    },
    /// [`crate::TrieBuilder`] received a key not strictly greater than the previous one.
    #[error("trie builder keys must be strictly increasing: {key} after {previous}")]
    UnorderedKey {
        /// The previously added key.
        previous: Bytes,
        /// The offending key.
        key: Bytes,
    },
    /// [`crate::TrieBuilder`] received an empty value (a trie never stores one: empty means absent).
    #[error("trie builder value for key {key} is empty")]
    EmptyValue {
        /// The key added with an empty value.
        key: Bytes,
    },
    /// The node storage backend failed (for [`crate::TrieDB`] implementations to report theirs).
    #[error("trie database error: {0}")]
    Database(Box<dyn std::error::Error + Send + Sync>),
}

/// Result of the trie crate.
pub type Result<T> = std::result::Result<T, TrieError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_node_message_names_path_and_hash() {
        let err = TrieError::MissingNode {
            path: Nibbles::from_bytes(&[0xab]),
            hash: B256::ZERO,
        };
        let msg = err.to_string();
        assert!(msg.contains("0xab"), "{msg}");
        assert!(msg.contains(&B256::ZERO.to_string()), "{msg}");
    }

    #[test]
    fn error_stays_small() {
        // Errors travel through every trie call; keep them cheap to move (the largest variant
        // holds a path and two hashes).
        assert!(
            std::mem::size_of::<TrieError>() <= 96,
            "{}",
            std::mem::size_of::<TrieError>()
        );
    }
}
