//! Merkle proofs of single keys: [`Trie::get_proof`] and [`verify_proof`].
//!
//! A proof is the RLP of the nodes on the path from the root to the key (as `eth_getProof`
//! returns them): the root node always, then every node its parent references by hash. Nodes
//! shorter than 32 bytes are embedded in their parent's RLP, so they are not listed on their own.
//! The proof of an absent key ends with the node showing the path stops (a mismatching leaf or
//! extension, or an empty branch slot). Verification looks nodes up by hash, so their order and
//! any extra nodes do not matter.

use std::collections::HashMap;

use alloy_primitives::{B256, keccak256};

use crate::{
    EMPTY_TRIE_ROOT, Nibbles, Result, Trie, TrieDB, TrieError,
    node::{Child, Node, NodeKind},
};

impl Trie {
    /// The RLP of the nodes on the path to `key`, root first (see the module docs).
    pub fn get_proof(&mut self, key: &[u8]) -> Result<Vec<Vec<u8>>> {
        let key = Nibbles::from_bytes(key);
        let mut proof = Vec::new();
        let mut walk = ProofWalk {
            db: &*self.db,
            key: key.as_slice(),
            buf: &mut self.buf,
        };
        walk.collect(&mut self.root, 0, &mut proof)?;
        Ok(proof)
    }
}

struct ProofWalk<'a> {
    db: &'a dyn TrieDB,
    key: &'a [u8],
    buf: &'a mut Vec<u8>,
}

impl ProofWalk<'_> {
    /// Appends the stored nodes from `child` (at path `key[..depth]`) down along the key.
    fn collect(&mut self, child: &mut Child, depth: usize, proof: &mut Vec<Vec<u8>>) -> Result<()> {
        let Some(node) = child.resolve(self.db, &self.key[..depth])? else {
            return Ok(());
        };
        node.encode(self.buf);
        if depth == 0 || self.buf.len() >= 32 {
            proof.push(self.buf.clone());
        }
        let rest = &self.key[depth..];
        match &mut node.kind {
            NodeKind::Extension { path, child } if rest.starts_with(path.as_slice()) => {
                self.collect(child, depth + path.len(), proof)
            }
            NodeKind::Branch { children, .. } => match rest.first() {
                Some(&nibble) => self.collect(&mut children[usize::from(nibble)], depth + 1, proof),
                None => Ok(()),
            },
            NodeKind::Leaf { .. } | NodeKind::Extension { .. } => Ok(()),
        }
    }
}

/// Proof nodes indexed by hash.
pub(crate) struct ProofNodes<'a>(HashMap<B256, &'a [u8]>);

impl<'a> ProofNodes<'a> {
    pub(crate) fn new(proof: &'a [Vec<u8>]) -> Self {
        Self(
            proof
                .iter()
                .map(|node| (keccak256(node), node.as_slice()))
                .collect(),
        )
    }

    /// The decoded node of this hash; an error if the proof lacks it.
    pub(crate) fn node(&self, hash: B256) -> Result<Node> {
        let rlp = self
            .0
            .get(&hash)
            .ok_or(TrieError::MissingProofNode { hash })?;
        Node::decode_with_hash(rlp, hash)
    }
}

/// Checks `proof` against `root` and returns the value of `key`: `Ok(None)` when the proof shows
/// the key is absent, an error when the proof is incomplete or malformed.
pub fn verify_proof(root: B256, key: &[u8], proof: &[Vec<u8>]) -> Result<Option<Vec<u8>>> {
    if root == EMPTY_TRIE_ROOT {
        return Ok(None);
    }
    let nodes = ProofNodes::new(proof);
    let key = Nibbles::from_bytes(key);
    let (mut hash, mut depth) = (root, 0);
    loop {
        match step(&nodes.node(hash)?, key.as_slice(), depth) {
            Step::Value(value) => return Ok(Some(value.to_vec())),
            Step::Absent => return Ok(None),
            Step::Hash(next, next_depth) => (hash, depth) = (next, next_depth),
        }
    }
}

/// Where following a key through one decoded node (and its inline children) leads.
enum Step<'a> {
    Value(&'a [u8]),
    Absent,
    /// A child referenced by hash, at this depth of the key.
    Hash(B256, usize),
}

fn step<'a>(node: &'a Node, key: &[u8], depth: usize) -> Step<'a> {
    let rest = &key[depth..];
    match &node.kind {
        NodeKind::Leaf { path, value } if path.as_slice() == rest => Step::Value(value),
        NodeKind::Extension { path, child } if rest.starts_with(path.as_slice()) => {
            step_child(child, key, depth + path.len())
        }
        NodeKind::Branch { children, value } => match rest.first() {
            Some(&nibble) => step_child(&children[usize::from(nibble)], key, depth + 1),
            None => value.as_deref().map_or(Step::Absent, Step::Value),
        },
        NodeKind::Leaf { .. } | NodeKind::Extension { .. } => Step::Absent,
    }
}

fn step_child<'a>(child: &'a Child, key: &[u8], depth: usize) -> Step<'a> {
    match child {
        Child::Empty => Step::Absent,
        Child::Hash(hash) => Step::Hash(*hash, depth),
        Child::Node(node) => step(node, key, depth),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Trie {
        let mut trie = Trie::new_in_memory();
        for (key, value) in [
            ("doe", "reindeer"),
            ("dog", "puppy"),
            ("dogglesworth", "cat"),
        ] {
            trie.insert(key.as_bytes(), value.as_bytes().to_vec())
                .unwrap();
        }
        trie
    }

    #[test]
    fn proof_of_present_key_verifies_to_its_value() {
        let mut trie = sample();
        let root = trie.root_hash();
        let proof = trie.get_proof(b"dog").unwrap();
        assert_eq!(
            verify_proof(root, b"dog", &proof).unwrap(),
            Some(b"puppy".to_vec())
        );
    }

    #[test]
    fn proof_of_absent_key_verifies_to_none() {
        let mut trie = sample();
        let root = trie.root_hash();
        for key in [&b"do"[..], b"doggy", b"cat", b""] {
            let proof = trie.get_proof(key).unwrap();
            assert_eq!(verify_proof(root, key, &proof).unwrap(), None, "{key:?}");
        }
    }

    #[test]
    fn proof_starts_with_the_root_even_when_small() {
        let mut trie = Trie::new_in_memory();
        trie.insert(b"k", b"v".to_vec()).unwrap();
        let proof = trie.get_proof(b"k").unwrap();
        assert_eq!(proof, vec![vec![0xc4, 0x82, 0x20, 0x6b, 0x76]]);
        assert_eq!(keccak256(&proof[0]), trie.root_hash());
    }

    #[test]
    fn proof_missing_a_node_is_rejected() {
        let mut trie = Trie::new_in_memory();
        for i in 0u8..64 {
            trie.insert(&[i], vec![i; 40]).unwrap();
        }
        let root = trie.root_hash();
        let mut proof = trie.get_proof(&[5]).unwrap();
        assert!(proof.len() > 1);
        proof.pop();
        let err = verify_proof(root, &[5], &proof).unwrap_err();
        assert!(matches!(err, TrieError::MissingProofNode { .. }), "{err}");
    }

    #[test]
    fn proof_against_another_root_is_rejected() {
        let mut trie = sample();
        let proof = trie.get_proof(b"dog").unwrap();
        assert!(verify_proof(B256::repeat_byte(3), b"dog", &proof).is_err());
    }

    #[test]
    fn empty_trie_proves_every_key_absent() {
        let mut trie = Trie::new_in_memory();
        let proof = trie.get_proof(b"any").unwrap();
        assert!(proof.is_empty());
        assert_eq!(verify_proof(EMPTY_TRIE_ROOT, b"any", &proof).unwrap(), None);
    }
}
