//! The trie side of execution witnesses: [`NodeSet`], trie nodes keyed by their hash (the
//! `state` of a witness), and the path-keyed [`InMemoryTrieDB`] a stateless verifier opens a
//! [`Trie`](crate::Trie) on ([`NodeSet::trie_db`]).
//!
//! A witness lists nodes without their paths, and nodes of many tries (the account trie and
//! each storage trie) mixed; the paths are found again by walking down from a root. A trie
//! opened on the resulting database reads, inserts and removes wherever the set holds the
//! nodes it needs, and fails with [`TrieError::MissingNode`] where it does not: a missing
//! node is never mistaken for an absent key.

use std::collections::HashMap;

use alloy_primitives::{B256, keccak256};

use crate::{
    InMemoryTrieDB, Nibbles, Result, TrieDB, TrieError,
    node::{Child, Node, NodeKind},
};

/// Trie nodes (their RLP) keyed by `keccak256(rlp)`; a node is held once however often it is
/// added.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodeSet {
    nodes: HashMap<B256, Vec<u8>>,
}

impl NodeSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a node's RLP; returns its hash.
    pub fn insert(&mut self, rlp: Vec<u8>) -> B256 {
        let hash = keccak256(&rlp);
        self.nodes.entry(hash).or_insert(rlp);
        hash
    }

    /// Adds every node of `other`.
    pub fn extend(&mut self, other: NodeSet) {
        for (hash, rlp) in other.nodes {
            self.nodes.entry(hash).or_insert(rlp);
        }
    }

    /// The node of this hash, if held.
    pub fn get(&self, hash: &B256) -> Option<&[u8]> {
        self.nodes.get(hash).map(Vec::as_slice)
    }

    /// Number of nodes held.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether no node is held.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The nodes' RLP, sorted by hash (a deterministic order).
    pub fn into_sorted_vec(self) -> Vec<Vec<u8>> {
        let mut nodes: Vec<(B256, Vec<u8>)> = self.nodes.into_iter().collect();
        nodes.sort_unstable_by_key(|(hash, _)| *hash);
        nodes.into_iter().map(|(_, rlp)| rlp).collect()
    }

    /// A database holding every node of the trie of `root` that this set holds, each at its
    /// path: the walk from the root follows every child referenced by hash that the set
    /// holds. An empty database for the empty root or a root the set lacks.
    ///
    /// Errors when a reachable node of the set is not a valid trie node.
    pub fn trie_db(&self, root: B256) -> Result<InMemoryTrieDB> {
        let db = InMemoryTrieDB::default();
        let mut placed = Vec::new();
        let mut pending = vec![(Vec::new(), root)];
        while let Some((path, hash)) = pending.pop() {
            let Some(rlp) = self.nodes.get(&hash) else {
                continue;
            };
            let node = Node::decode_with_hash(rlp, hash)?;
            match &node.kind {
                NodeKind::Leaf { .. } => {}
                NodeKind::Extension { path: rest, child } => {
                    if let Child::Hash(child) = child {
                        pending.push(([path.as_slice(), rest.as_slice()].concat(), *child));
                    }
                }
                NodeKind::Branch { children, .. } => {
                    for (nibble, child) in (0u8..).zip(children.iter()) {
                        if let Child::Hash(child) = child {
                            let mut child_path = path.clone();
                            child_path.push(nibble);
                            pending.push((child_path, *child));
                        }
                    }
                }
            }
            let path = Nibbles::from_nibbles(&path).ok_or(TrieError::InvalidNode(
                "node path with a nibble of 16 or more",
            ))?;
            placed.push((path, rlp.clone()));
        }
        db.put_batch(placed)?;
        Ok(db)
    }
}

impl FromIterator<Vec<u8>> for NodeSet {
    fn from_iter<I: IntoIterator<Item = Vec<u8>>>(iter: I) -> Self {
        let mut set = NodeSet::new();
        for rlp in iter {
            set.insert(rlp);
        }
        set
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::Trie;

    /// A committed trie of `count` keys, its root, and all of its stored nodes.
    fn trie_with(count: u8) -> (B256, InMemoryTrieDB) {
        let db = InMemoryTrieDB::default();
        let mut trie = Trie::open(Arc::new(db.clone()), crate::EMPTY_TRIE_ROOT);
        for i in 0..count {
            trie.insert(&keccak256([i]).0, vec![i; 40]).unwrap();
        }
        (trie.commit().unwrap(), db)
    }

    fn proofs(root: B256, db: &InMemoryTrieDB, keys: &[u8]) -> NodeSet {
        let mut trie = Trie::open(Arc::new(db.clone()), root);
        keys.iter()
            .flat_map(|i| trie.get_proof(&keccak256([*i]).0).unwrap())
            .collect()
    }

    #[test]
    fn a_trie_over_proof_nodes_reads_the_proven_keys() {
        let (root, db) = trie_with(50);
        let set = proofs(root, &db, &[3, 7, 200]);
        let trie = Trie::open(Arc::new(set.trie_db(root).unwrap()), root);
        assert_eq!(trie.get(&keccak256([3]).0).unwrap(), Some(vec![3; 40]));
        assert_eq!(trie.get(&keccak256([7]).0).unwrap(), Some(vec![7; 40]));
        assert_eq!(
            trie.get(&keccak256([200]).0).unwrap(),
            None,
            "proven absent"
        );
    }

    #[test]
    fn a_key_off_the_witness_is_a_missing_node_not_an_absent_key() {
        let (root, db) = trie_with(50);
        let set = proofs(root, &db, &[3]);
        let trie = Trie::open(Arc::new(set.trie_db(root).unwrap()), root);
        let unproven = (0..50u8)
            .find(|i| !matches!(trie.get(&keccak256([*i]).0), Ok(Some(_))))
            .unwrap();
        assert!(matches!(
            trie.get(&keccak256([unproven]).0),
            Err(TrieError::MissingNode { .. })
        ));
    }

    #[test]
    fn every_node_of_a_trie_is_placed_at_its_path() {
        let (root, db) = trie_with(50);
        let set = proofs(root, &db, &(0..50).collect::<Vec<_>>());
        let placed = set.trie_db(root).unwrap();
        assert_eq!(placed.len(), db.len());
        let mut full = Trie::open(Arc::new(db), root);
        let mut partial = Trie::open(Arc::new(placed), root);
        for trie in [&mut full, &mut partial] {
            trie.remove(&keccak256([3]).0).unwrap();
            trie.insert(&keccak256([77]).0, vec![1; 33]).unwrap();
        }
        assert_eq!(partial.root_hash(), full.root_hash());
    }

    #[test]
    fn nodes_are_deduplicated_and_sorted_by_hash() {
        let set: NodeSet = [vec![0xc1, 0x80], vec![0xc1, 0x80], vec![0xc1, 0x01]]
            .into_iter()
            .collect();
        assert_eq!(set.len(), 2);
        let sorted = set.into_sorted_vec();
        assert!(keccak256(&sorted[0]) < keccak256(&sorted[1]));
    }
}
