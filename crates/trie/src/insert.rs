//! Insertion into the in-memory trie: walk down the key, splitting the leaf or extension it
//! diverges from into a branch.
//!
//! Invariants kept: every node on a changed path is invalidated (hash cache cleared, marked
//! dirty); nodes not on the path keep their cache; a subtree moved under a new branch keeps its
//! absolute path, so its database entry stays valid. Inserting a value equal to the stored one
//! changes nothing.

use std::mem;

use crate::{
    Nibbles, Result, TrieDB,
    nibbles::common_prefix_len,
    node::{Child, NodeKind},
};

/// What a split node held below the point where the new key diverges.
enum Displaced {
    /// A leaf's remaining path and value.
    Leaf(Nibbles, Vec<u8>),
    /// An extension's remaining path and child.
    Extension(Nibbles, Child),
}

impl Child {
    /// Stores non-empty `value` at `key`; this child sits at path `key[..depth]`.
    /// Returns whether the trie changed.
    pub(crate) fn insert(
        &mut self,
        db: &dyn TrieDB,
        key: &[u8],
        depth: usize,
        value: Vec<u8>,
    ) -> Result<bool> {
        let rest = &key[depth..];
        let Some(node) = self.resolve(db, &key[..depth])? else {
            *self = Self::leaf(rest, value);
            return Ok(true);
        };
        let changed = match &mut node.kind {
            NodeKind::Leaf {
                path,
                value: stored,
            } if path.as_slice() == rest => replace_if_different(stored, value),
            NodeKind::Leaf {
                path,
                value: stored,
            } => {
                let displaced = Displaced::Leaf(mem::take(path), mem::take(stored));
                node.kind = split(displaced, rest, value);
                true
            }
            NodeKind::Extension { path, child } if rest.starts_with(path.as_slice()) => {
                child.insert(db, key, depth + path.len(), value)?
            }
            NodeKind::Extension { path, child } => {
                let displaced = Displaced::Extension(mem::take(path), mem::take(child));
                node.kind = split(displaced, rest, value);
                true
            }
            NodeKind::Branch {
                children,
                value: stored,
            } => match rest.split_first() {
                None if stored.as_ref() == Some(&value) => false,
                None => {
                    *stored = Some(value);
                    true
                }
                Some((&nibble, _)) => {
                    children[usize::from(nibble)].insert(db, key, depth + 1, value)?
                }
            },
        };
        if changed {
            node.invalidate();
        }
        Ok(changed)
    }
}

/// What hangs from a branch slot when `child` sat at the end of an extension whose remaining
/// path (after the slot's nibble) is `tail`: the child itself, or a shorter extension to it.
pub(crate) fn below_branch(tail: &[u8], child: Child) -> Child {
    if tail.is_empty() {
        child
    } else {
        Child::new(NodeKind::Extension {
            path: Nibbles::from_vec(tail.to_vec()),
            child,
        })
    }
}

fn replace_if_different(stored: &mut Vec<u8>, value: Vec<u8>) -> bool {
    if *stored == value {
        return false;
    }
    *stored = value;
    true
}

/// The node replacing `displaced` once `rest` (the new key from the same point) is added: a
/// branch where the two paths diverge, under an extension for their shared prefix if any.
fn split(displaced: Displaced, rest: &[u8], value: Vec<u8>) -> NodeKind {
    let displaced_path = match &displaced {
        Displaced::Leaf(path, _) | Displaced::Extension(path, _) => path.as_slice(),
    };
    let shared = common_prefix_len(displaced_path, rest);
    let shared_path = Nibbles::from_vec(rest[..shared].to_vec());
    let mut children: Box<[Child; 16]> = Box::default();
    let mut branch_value = None;
    match displaced {
        Displaced::Leaf(path, old) => match path.as_slice()[shared..].split_first() {
            None => branch_value = Some(old),
            Some((&nibble, tail)) => children[usize::from(nibble)] = Child::leaf(tail, old),
        },
        // The new key diverges inside the extension, so at least one nibble is left after it.
        Displaced::Extension(path, child) => {
            if let Some((&nibble, tail)) = path.as_slice()[shared..].split_first() {
                children[usize::from(nibble)] = below_branch(tail, child);
            }
        }
    }
    match rest[shared..].split_first() {
        None => branch_value = Some(value),
        Some((&nibble, tail)) => children[usize::from(nibble)] = Child::leaf(tail, value),
    }
    let branch = NodeKind::Branch {
        children,
        value: branch_value,
    };
    if shared_path.is_empty() {
        branch
    } else {
        NodeKind::Extension {
            path: shared_path,
            child: Child::new(branch),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::InMemoryTrieDB;

    fn kind(child: &Child) -> &NodeKind {
        match child {
            Child::Node(node) => &node.kind,
            _ => panic!("expected an in-memory node"),
        }
    }

    fn is_dirty(child: &Child) -> bool {
        matches!(child, Child::Node(node) if node.dirty)
    }

    fn insert(root: &mut Child, key: &[u8], value: &[u8]) -> bool {
        let db = InMemoryTrieDB::default();
        root.insert(&db, key, 0, value.to_vec()).unwrap()
    }

    #[test]
    fn first_insert_creates_a_leaf() {
        let mut root = Child::Empty;
        assert!(insert(&mut root, &[1, 2], b"v"));
        assert!(matches!(kind(&root), NodeKind::Leaf { path, .. } if path.as_slice() == [1, 2]));
    }

    #[test]
    fn diverging_leaves_share_an_extension_to_a_branch() {
        let mut root = Child::Empty;
        insert(&mut root, &[1, 2, 3], b"a");
        insert(&mut root, &[1, 2, 4], b"b");
        let NodeKind::Extension { path, child } = kind(&root) else {
            panic!("extension")
        };
        assert_eq!(path.as_slice(), [1, 2]);
        let NodeKind::Branch { children, value } = kind(child) else {
            panic!("branch")
        };
        assert!(value.is_none());
        assert!(matches!(kind(&children[3]), NodeKind::Leaf { path, .. } if path.is_empty()));
        assert!(matches!(kind(&children[4]), NodeKind::Leaf { path, .. } if path.is_empty()));
    }

    #[test]
    fn key_that_is_a_prefix_becomes_branch_value() {
        let mut root = Child::Empty;
        insert(&mut root, &[1, 2, 3], b"long");
        insert(&mut root, &[1], b"short");
        let NodeKind::Extension { child, .. } = kind(&root) else {
            panic!("extension")
        };
        let NodeKind::Branch { value, .. } = kind(child) else {
            panic!("branch")
        };
        assert_eq!(value.as_deref(), Some(&b"short"[..]));
    }

    #[test]
    fn splitting_an_extension_keeps_its_subtree() {
        let mut root = Child::Empty;
        insert(&mut root, &[1, 2, 3, 4], b"a");
        insert(&mut root, &[1, 2, 3, 5], b"b");
        insert(&mut root, &[1, 7], b"c");
        let NodeKind::Extension { path, child } = kind(&root) else {
            panic!("extension")
        };
        assert_eq!(path.as_slice(), [1]);
        let NodeKind::Branch { children, .. } = kind(child) else {
            panic!("branch")
        };
        let NodeKind::Extension { path, .. } = kind(&children[2]) else {
            panic!("tail")
        };
        assert_eq!(path.as_slice(), [3]);
        assert!(is_dirty(&children[7]));
    }

    #[test]
    fn inserting_the_same_value_changes_nothing() {
        let mut root = Child::Empty;
        insert(&mut root, &[1, 2], b"v");
        let mut buf = Vec::new();
        root.rlp_ref(&mut buf);
        assert!(!insert(&mut root, &[1, 2], b"v"));
        let Child::Node(node) = &root else { panic!() };
        assert!(node.cache.is_some(), "cache survives a no-op insert");
    }
}
