//! [`node_parts`]: what one trie node, given as RLP, holds — the children it references by hash
//! and the leaves it carries itself (its own, or those of nodes embedded in it), each with its
//! nibble path relative to the node. Snap sync's healing walks a remote trie node by node with
//! it: the hash references are what to fetch next, the leaves are state.

use alloy_primitives::B256;

use crate::{
    Nibbles, Result,
    node::{Child, Node, NodeKind},
};

/// One thing a trie node holds, at a nibble path relative to the node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodePart {
    /// A child stored on its own, referenced by its hash.
    Child { path: Nibbles, hash: B256 },
    /// A leaf (or a branch value): the rest of a key and its value.
    Leaf { path: Nibbles, value: Vec<u8> },
}

/// The hash-referenced children and the leaves of the node `rlp` (embedded nodes are walked
/// into), in key order. Fails on RLP that is not a trie node.
pub fn node_parts(rlp: &[u8]) -> Result<Vec<NodePart>> {
    let node = Node::decode_with_hash(rlp, alloy_primitives::keccak256(rlp))?;
    let mut parts = Vec::new();
    let mut path = Nibbles::default();
    walk(&node, &mut path, &mut parts);
    Ok(parts)
}

fn walk(node: &Node, path: &mut Nibbles, parts: &mut Vec<NodePart>) {
    match &node.kind {
        NodeKind::Leaf { path: rest, value } => {
            let mut full = path.clone();
            full.extend_from_slice(rest.as_slice());
            parts.push(NodePart::Leaf {
                path: full,
                value: value.clone(),
            });
        }
        NodeKind::Extension {
            path: shared,
            child,
        } => {
            let depth = path.len();
            path.extend_from_slice(shared.as_slice());
            child_parts(child, path, parts);
            path.truncate(depth);
        }
        NodeKind::Branch { children, value } => {
            if let Some(value) = value {
                parts.push(NodePart::Leaf {
                    path: path.clone(),
                    value: value.clone(),
                });
            }
            for (nibble, child) in (0u8..).zip(children.iter()) {
                path.push(nibble);
                child_parts(child, path, parts);
                path.truncate(path.len() - 1);
            }
        }
    }
}

fn child_parts(child: &Child, path: &mut Nibbles, parts: &mut Vec<NodePart>) {
    match child {
        Child::Empty => {}
        Child::Hash(hash) => parts.push(NodePart::Child {
            path: path.clone(),
            hash: *hash,
        }),
        Child::Node(node) => walk(node, path, parts),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use alloy_primitives::keccak256;

    use super::*;
    use crate::{InMemoryTrieDB, Trie, TrieDB};

    /// Every leaf of a trie is found by walking its nodes from the root with `node_parts`, and
    /// every child reference names the node stored at its path.
    #[test]
    fn walking_the_nodes_from_the_root_finds_every_leaf_and_child() {
        let db = InMemoryTrieDB::default();
        let mut trie = Trie::open(Arc::new(db.clone()), crate::EMPTY_TRIE_ROOT);
        let mut expected = Vec::new();
        for i in 0u32..300 {
            let key = keccak256(i.to_be_bytes());
            // Short values: many leaves are embedded in their branch.
            let value = if i % 3 == 0 { vec![1u8; 40] } else { vec![2u8] };
            trie.insert(key.as_slice(), value.clone()).unwrap();
            expected.push((Nibbles::from_bytes(key.as_slice()), value));
        }
        let root = trie.commit().unwrap();
        let mut found = Vec::new();
        let mut queue = vec![(Nibbles::default(), root)];
        let mut children = 0;
        while let Some((at, hash)) = queue.pop() {
            let rlp = db.get(&at).unwrap().unwrap();
            assert_eq!(keccak256(&rlp), hash, "the node at {at:?}");
            for part in node_parts(&rlp).unwrap() {
                match part {
                    NodePart::Child { path, hash } => {
                        let mut full = at.clone();
                        full.extend_from_slice(path.as_slice());
                        queue.push((full, hash));
                        children += 1;
                    }
                    NodePart::Leaf { path, value } => {
                        let mut full = at.clone();
                        full.extend_from_slice(path.as_slice());
                        found.push((full, value));
                    }
                }
            }
        }
        assert!(children > 16, "a trie of 300 leaves has hashed children");
        found.sort();
        expected.sort();
        assert_eq!(found, expected);
    }

    #[test]
    fn rlp_that_is_not_a_node_is_an_error() {
        assert!(node_parts(&[0xc3, 0x01, 0x02, 0x03]).is_err());
        assert!(node_parts(&[0x01]).is_err());
    }
}
