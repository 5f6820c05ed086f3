//! [`Trie::node_at_path`]: the RLP of the node a path leads to (snap's GetTrieNodes).
//!
//! The walk goes down from the root, loading each hash-referenced node from the database at its
//! path and checking it against its parent's hash, so a stale entry left at a path the trie no
//! longer uses is never returned. Only nodes referenced by hash (and the root) can be addressed:
//! a node embedded in its parent, or a path that ends inside a leaf or an extension, has none.

use alloy_primitives::keccak256;

use crate::{
    Nibbles, Result, Trie, TrieDB, TrieError,
    node::{Child, Node, NodeKind},
};

impl Trie {
    /// The RLP of the hash-referenced node at nibble path `path`, or `None` if the trie has
    /// no such node there (see the module docs).
    pub fn node_at_path(&self, path: &Nibbles) -> Result<Option<Vec<u8>>> {
        node_at(&*self.db, &self.root, path.as_slice(), 0)
    }
}

/// The node at `target` below `child`, which sits at `target[..depth]`.
fn node_at(db: &dyn TrieDB, child: &Child, target: &[u8], depth: usize) -> Result<Option<Vec<u8>>> {
    let loaded;
    let node: &Node = match child {
        Child::Empty => return Ok(None),
        Child::Node(node) => {
            if depth == target.len() {
                // Embedded (or not yet committed): not addressable by path.
                return Ok(None);
            }
            node
        }
        Child::Hash(hash) => {
            let here = Nibbles::from_vec(target[..depth].to_vec());
            let rlp = db.get(&here)?.ok_or_else(|| TrieError::MissingNode {
                path: here.clone(),
                hash: *hash,
            })?;
            let got = keccak256(&rlp);
            if got != *hash {
                return Err(TrieError::NodeHashMismatch {
                    path: here,
                    expected: *hash,
                    got,
                });
            }
            if depth == target.len() {
                return Ok(Some(rlp));
            }
            loaded = Node::decode_with_hash(&rlp, *hash)?;
            &loaded
        }
    };
    let rest = &target[depth..];
    match &node.kind {
        NodeKind::Leaf { .. } => Ok(None),
        NodeKind::Extension { path, child } => {
            // A target ending right after the shared nibbles is the extension's child itself.
            if rest.len() >= path.len() && rest.starts_with(path.as_slice()) {
                node_at(db, child, target, depth + path.len())
            } else {
                Ok(None)
            }
        }
        NodeKind::Branch { children, .. } => match rest.first() {
            Some(&nibble) => node_at(db, &children[usize::from(nibble)], target, depth + 1),
            None => Ok(None),
        },
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use alloy_primitives::B256;

    use super::*;
    use crate::InMemoryTrieDB;

    #[test]
    fn nodes_at_paths_are_the_committed_hashed_nodes() {
        let db = Arc::new(InMemoryTrieDB::default());
        let mut trie = Trie::open(db.clone(), crate::EMPTY_TRIE_ROOT);
        for i in 0u64..300 {
            let key = keccak256(i.to_be_bytes());
            trie.insert(key.as_slice(), vec![0xaa; 40]).unwrap();
        }
        let root = trie.commit().unwrap();
        let trie = Trie::open(db.clone(), root);
        let root_rlp = trie.node_at_path(&Nibbles::default()).unwrap().unwrap();
        assert_eq!(keccak256(&root_rlp), root);
        // Every stored node (all are live in a freshly committed trie) is found, and it is the
        // stored one.
        let entries = db.entries();
        for (path, rlp) in &entries {
            assert_eq!(
                trie.node_at_path(path).unwrap().as_ref(),
                Some(rlp),
                "{path:?}"
            );
        }
        assert!(entries.len() > 16, "{} nodes", entries.len());
        // A path through a leaf or off the trie has no node.
        let deep = Nibbles::from_bytes(B256::repeat_byte(0x11).as_slice());
        assert_eq!(trie.node_at_path(&deep).unwrap(), None);
    }

    #[test]
    fn the_child_right_after_an_extension_is_found_at_its_path() {
        let db = Arc::new(InMemoryTrieDB::default());
        let mut trie = Trie::open(db.clone(), crate::EMPTY_TRIE_ROOT);
        // Two keys sharing 0x1234 (then 5 vs 7) and one elsewhere: the root branch's child 1 is
        // an extension [2, 3, 4] to a branch at path [1, 2, 3, 4].
        let mut k1 = [0u8; 32];
        k1[..3].copy_from_slice(&[0x12, 0x34, 0x56]);
        let mut k2 = [0u8; 32];
        k2[..3].copy_from_slice(&[0x12, 0x34, 0x78]);
        let k3 = [0xab; 32];
        for key in [k1, k2, k3] {
            trie.insert(&key, vec![0xcc; 40]).unwrap();
        }
        let root = trie.commit().unwrap();
        let trie = Trie::open(db.clone(), root);
        let branch_path = Nibbles::from_vec(vec![1, 2, 3, 4]);
        let stored = db.entries();
        let branch = stored
            .get(&branch_path)
            .expect("the branch is stored at its path");
        assert_eq!(
            trie.node_at_path(&branch_path).unwrap().as_ref(),
            Some(branch)
        );
        // The extension above it (path [1]) references exactly that node.
        let extension = trie
            .node_at_path(&Nibbles::from_vec(vec![1]))
            .unwrap()
            .unwrap();
        let branch_hash = keccak256(branch);
        assert!(extension.windows(32).any(|w| w == branch_hash.as_slice()));
        // Inside the extension's shared nibbles there is no node.
        assert_eq!(
            trie.node_at_path(&Nibbles::from_vec(vec![1, 2])).unwrap(),
            None
        );
    }
}
