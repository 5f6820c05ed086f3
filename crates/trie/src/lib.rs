//! # ethrex-trie
//!
//! The Ethereum Merkle-Patricia trie (Yellow Paper, appendix D): a mutable [`Trie`] over
//! path-keyed node storage ([`TrieDB`]), single-key proofs ([`verify_proof`]), snap-sync range
//! proofs ([`verify_range`]), and streaming roots of sorted leaves ([`TrieBuilder`],
//! [`ordered_trie_root`]).
//!
//! Where to start reading: `trie.rs` ([`Trie`]: get, root hash, commit), then `node.rs` (the
//! node model, decoding, hash caching), `insert.rs` and `remove.rs` (the shape-changing
//! operations), `batch.rs` (a batch of updates and commit, the root's 16 subtries on several
//! threads), `navigate.rs` (next/previous key), `path_node.rs` (the node at a path, for snap), `node_parts.rs` (a node's
//! children and leaves, for snap healing),
//! `builder.rs` (the streaming root), `proof.rs` and `range.rs` (verification), `witness.rs` ([`NodeSet`]: the hash-keyed nodes of an execution
//! witness, and a trie over them for stateless execution).
//! `encode.rs` holds the RLP writers shared by the trie and the builder; `node_ref.rs` the
//! inline-or-hash child reference; `nibbles.rs` paths and hex-prefix encoding.
//!
//! Invariants kept throughout: nodes whose RLP is shorter than 32 bytes are embedded in their
//! parent, never referenced by hash, except the root, which is always hashed (and stored). A trie
//! holding the same entries has the same shape, hence the same root, whatever the order of the
//! inserts and removals that led to it.

mod batch;
mod builder;
mod db;
mod encode;
mod error;
mod insert;
mod navigate;
mod nibbles;
mod node;
mod node_parts;
mod node_ref;
mod ordered;
mod path_node;
mod proof;
mod range;
mod remove;
mod trie;
mod witness;

use alloy_primitives::{B256, b256};

pub use batch::PARALLEL_MIN_UPDATES;
pub use builder::TrieBuilder;
pub use db::{InMemoryTrieDB, TrieDB};
pub use error::{Result, TrieError};
pub use nibbles::Nibbles;
pub use node_parts::{NodePart, node_parts};
pub use ordered::ordered_trie_root;
pub use proof::verify_proof;
pub use range::verify_range;
pub use trie::Trie;
pub use witness::NodeSet;

/// Root of the empty trie: `keccak256(rlp(""))` = `keccak256(0x80)`.
pub const EMPTY_TRIE_ROOT: B256 =
    b256!("0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_trie_root_is_hash_of_empty_string_rlp() {
        assert_eq!(
            EMPTY_TRIE_ROOT,
            alloy_primitives::keccak256([alloy_rlp::EMPTY_STRING_CODE])
        );
    }
}
