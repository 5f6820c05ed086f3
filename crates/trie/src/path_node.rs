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
            if rest.len() > path.len() && rest.starts_with(path.as_slice()) {
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
        // Every stored node the trie reaches is returned, and it is the stored one.
        let mut found = 0;
        for (path, rlp) in db.entries() {
            if let Some(got) = trie.node_at_path(&path).unwrap() {
                assert_eq!(got, rlp);
                found += 1;
            }
        }
        assert!(found > 16, "found {found}");
        // A path through a leaf or off the trie has no node.
        let deep = Nibbles::from_bytes(B256::repeat_byte(0x11).as_slice());
        assert_eq!(trie.node_at_path(&deep).unwrap(), None);
    }
}
