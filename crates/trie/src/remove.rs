//! Removal from the in-memory trie, restoring the canonical shape on the way back up.
//!
//! After a key is removed below a node, the node is normalised: a branch left with one entry
//! collapses into a leaf or extension (merging with its only child's path), and an extension
//! whose child became a leaf or extension merges with it. A trie that reached a given key set by
//! any sequence of inserts and removals therefore has the same shape (and root) as one built
//! directly. Subtrees never change absolute path, so their database entries stay valid.

use std::mem;

use crate::{
    Nibbles, Result, TrieDB,
    node::{Child, NodeKind},
};

impl Child {
    /// Removes `key`; this child sits at path `key[..depth]`. Returns the removed value.
    pub(crate) fn remove(
        &mut self,
        db: &dyn TrieDB,
        key: &[u8],
        depth: usize,
    ) -> Result<Option<Vec<u8>>> {
        let rest = &key[depth..];
        let Some(node) = self.resolve(db, &key[..depth])? else {
            return Ok(None);
        };
        let removed = match &mut node.kind {
            NodeKind::Leaf { path, value } if path.as_slice() == rest => Some(mem::take(value)),
            NodeKind::Leaf { .. } => None,
            NodeKind::Extension { path, child } if rest.starts_with(path.as_slice()) => {
                child.remove(db, key, depth + path.len())?
            }
            NodeKind::Extension { .. } => None,
            NodeKind::Branch { children, value } => match rest.split_first() {
                None => value.take(),
                Some((&nibble, _)) => children[usize::from(nibble)].remove(db, key, depth + 1)?,
            },
        };
        if removed.is_some() {
            self.normalize(db, &key[..depth])?;
        }
        Ok(removed)
    }

    /// Restores the canonical shape of this node (at `path`) after a removal below it.
    pub(crate) fn normalize(&mut self, db: &dyn TrieDB, path: &[u8]) -> Result<()> {
        let Self::Node(node) = self else {
            return Ok(());
        };
        node.invalidate();
        let replacement = match &mut node.kind {
            // Only reached when the leaf's own key was removed.
            NodeKind::Leaf { .. } => Self::Empty,
            NodeKind::Extension {
                path: prefix,
                child,
            } => match child {
                Self::Empty => Self::Empty,
                Self::Node(below) => match &mut below.kind {
                    NodeKind::Leaf { path: tail, value } => leaf(prefix, tail, mem::take(value)),
                    NodeKind::Extension {
                        path: tail,
                        child: grandchild,
                    } => extension(prefix, tail, mem::take(grandchild)),
                    NodeKind::Branch { .. } => return Ok(()),
                },
                Self::Hash(_) => return Ok(()),
            },
            NodeKind::Branch { children, value } => {
                let mut present = children.iter().enumerate().filter(|(_, c)| !c.is_empty());
                let only_child = match (present.next(), present.next(), value.is_some()) {
                    (None, _, false) => return replace(self, Self::Empty),
                    (None, _, true) => {
                        let value = value.take().unwrap_or_default();
                        return replace(self, Self::leaf(&[], value));
                    }
                    (Some((nibble, _)), None, false) => nibble,
                    _ => return Ok(()),
                };
                let nibble = only_child as u8;
                let mut child_path = path.to_vec();
                child_path.push(nibble);
                let child = &mut children[only_child];
                child.resolve(db, &child_path)?;
                let prefix = Nibbles::from_vec(vec![nibble]);
                match child {
                    Self::Node(below) => match &mut below.kind {
                        NodeKind::Leaf { path: tail, value } => {
                            leaf(&prefix, tail, mem::take(value))
                        }
                        NodeKind::Extension {
                            path: tail,
                            child: grandchild,
                        } => extension(&prefix, tail, mem::take(grandchild)),
                        NodeKind::Branch { .. } => Self::new(NodeKind::Extension {
                            path: prefix,
                            child: mem::take(child),
                        }),
                    },
                    // `resolve` loaded it, and it was not empty.
                    Self::Empty | Self::Hash(_) => return Ok(()),
                }
            }
        };
        replace(self, replacement)
    }
}

fn replace(slot: &mut Child, replacement: Child) -> Result<()> {
    *slot = replacement;
    Ok(())
}

fn joined(prefix: &Nibbles, tail: &Nibbles) -> Nibbles {
    let mut path = prefix.clone();
    path.extend_from_slice(tail.as_slice());
    path
}

fn leaf(prefix: &Nibbles, tail: &Nibbles, value: Vec<u8>) -> Child {
    Child::new(NodeKind::Leaf {
        path: joined(prefix, tail),
        value,
    })
}

fn extension(prefix: &Nibbles, tail: &Nibbles, child: Child) -> Child {
    Child::new(NodeKind::Extension {
        path: joined(prefix, tail),
        child,
    })
}

#[cfg(test)]
mod tests {
    use crate::Trie;

    #[test]
    fn removing_returns_the_value_once() {
        let mut trie = Trie::new_in_memory();
        trie.insert(b"dog", b"puppy".to_vec()).unwrap();
        assert_eq!(trie.remove(b"dog").unwrap(), Some(b"puppy".to_vec()));
        assert_eq!(trie.remove(b"dog").unwrap(), None);
        assert_eq!(trie.root_hash(), crate::EMPTY_TRIE_ROOT);
    }

    #[test]
    fn removing_absent_keys_keeps_root() {
        let mut trie = Trie::new_in_memory();
        trie.insert(b"doe", b"reindeer".to_vec()).unwrap();
        trie.insert(b"dog", b"puppy".to_vec()).unwrap();
        let root = trie.root_hash();
        for absent in [&b"do"[..], b"dogs", b"cat", b""] {
            assert_eq!(trie.remove(absent).unwrap(), None);
        }
        assert_eq!(trie.root_hash(), root);
    }

    #[test]
    fn removal_restores_the_shape_of_a_directly_built_trie() {
        let all: &[&[u8]] = &[b"do", b"dog", b"doge", b"horse", b"dogglesworth", b"d"];
        for removed in all {
            let mut trie = Trie::new_in_memory();
            let mut expected = Trie::new_in_memory();
            for key in all {
                trie.insert(key, key.to_vec()).unwrap();
                if key != removed {
                    expected.insert(key, key.to_vec()).unwrap();
                }
            }
            trie.remove(removed).unwrap();
            assert_eq!(
                trie.root_hash(),
                expected.root_hash(),
                "after removing {removed:?}"
            );
        }
    }

    #[test]
    fn inserting_empty_value_removes() {
        let mut trie = Trie::new_in_memory();
        trie.insert(b"a", b"1".to_vec()).unwrap();
        trie.insert(b"b", b"2".to_vec()).unwrap();
        trie.insert(b"b", Vec::new()).unwrap();
        assert_eq!(trie.get(b"b").unwrap(), None);
        let mut only_a = Trie::new_in_memory();
        only_a.insert(b"a", b"1".to_vec()).unwrap();
        assert_eq!(trie.root_hash(), only_a.root_hash());
    }
}
