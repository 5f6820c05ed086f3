//! Key-order navigation: [`Trie::next_key`] and [`Trie::prev_key`], the stored keys right after
//! and right before a probe key (which need not be stored).
//!
//! Nibble order is byte order, and a key stored at a branch (a prefix of the keys below it)
//! sorts before all of them; the walk follows the probe's path, then falls back to the nearest
//! sibling subtree on the wanted side and takes its extreme key. Nodes not in memory are read
//! from the database (and checked against their hash) without being kept.

use crate::{
    Nibbles, Result, Trie, TrieDB,
    node::{Child, Node, NodeKind},
};

impl Trie {
    /// The smallest stored key strictly greater than `key`.
    pub fn next_key(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let target = Nibbles::from_bytes(key);
        let mut walk = Walk {
            db: &*self.db,
            path: Vec::new(),
        };
        Ok(walk
            .after(&self.root, target.as_slice())?
            .map(|path| Nibbles::from_vec(path).pack()))
    }

    /// The largest stored key strictly smaller than `key`.
    pub fn prev_key(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let target = Nibbles::from_bytes(key);
        let mut walk = Walk {
            db: &*self.db,
            path: Vec::new(),
        };
        Ok(walk
            .before(&self.root, target.as_slice())?
            .map(|path| Nibbles::from_vec(path).pack()))
    }
}

/// A node borrowed from memory or just read from the database.
enum Loaded<'a> {
    Memory(&'a Node),
    Database(Box<Node>),
}

impl Loaded<'_> {
    fn node(&self) -> &Node {
        match self {
            Self::Memory(node) => node,
            Self::Database(node) => node,
        }
    }
}

/// A walk from the root; `path` is the nibble path of the node being visited.
struct Walk<'a> {
    db: &'a dyn TrieDB,
    path: Vec<u8>,
}

impl Walk<'_> {
    fn load<'c>(&self, child: &'c Child) -> Result<Option<Loaded<'c>>> {
        Ok(match child {
            Child::Empty => None,
            Child::Hash(hash) => Some(Loaded::Database(Box::new(Node::load(
                self.db, &self.path, *hash,
            )?))),
            Child::Node(node) => Some(Loaded::Memory(node)),
        })
    }

    /// The full key of the current path followed by `tail`.
    fn full(&self, tail: &Nibbles) -> Vec<u8> {
        [self.path.as_slice(), tail.as_slice()].concat()
    }

    /// Runs `f` on `child`, reached from the current path through `step`.
    fn below(
        &mut self,
        step: &[u8],
        child: &Child,
        f: impl FnOnce(&mut Self, &Child) -> Result<Option<Vec<u8>>>,
    ) -> Result<Option<Vec<u8>>> {
        let depth = self.path.len();
        self.path.extend_from_slice(step);
        let found = f(self, child);
        self.path.truncate(depth);
        found
    }

    /// Smallest key below `child` greater than the current path followed by `target`.
    fn after(&mut self, child: &Child, target: &[u8]) -> Result<Option<Vec<u8>>> {
        let Some(loaded) = self.load(child)? else {
            return Ok(None);
        };
        match &loaded.node().kind {
            NodeKind::Leaf { path, .. } => Ok((path.as_slice() > target).then(|| self.full(path))),
            NodeKind::Extension { path, child } => {
                let path = path.as_slice();
                if let Some(rest) = target.strip_prefix(path) {
                    self.below(path, child, |walk, child| walk.after(child, rest))
                } else if path > target {
                    self.below(path, child, Self::first)
                } else {
                    Ok(None)
                }
            }
            NodeKind::Branch { children, .. } => {
                let Some((&nibble, rest)) = target.split_first() else {
                    return self.first_from(children, 0);
                };
                let slot = &children[usize::from(nibble)];
                match self.below(&[nibble], slot, |walk, child| walk.after(child, rest))? {
                    Some(found) => Ok(Some(found)),
                    None => self.first_from(children, nibble + 1),
                }
            }
        }
    }

    /// Largest key below `child` smaller than the current path followed by `target`.
    fn before(&mut self, child: &Child, target: &[u8]) -> Result<Option<Vec<u8>>> {
        let Some(loaded) = self.load(child)? else {
            return Ok(None);
        };
        match &loaded.node().kind {
            NodeKind::Leaf { path, .. } => Ok((path.as_slice() < target).then(|| self.full(path))),
            NodeKind::Extension { path, child } => {
                let path = path.as_slice();
                if let Some(rest) = target.strip_prefix(path) {
                    self.below(path, child, |walk, child| walk.before(child, rest))
                } else if path < target {
                    self.below(path, child, Self::last)
                } else {
                    Ok(None)
                }
            }
            NodeKind::Branch { children, value } => {
                // Every key here is at least the current path: none is below an empty target.
                let Some((&nibble, rest)) = target.split_first() else {
                    return Ok(None);
                };
                let slot = &children[usize::from(nibble)];
                if let Some(found) = self.below(&[nibble], slot, |walk, c| walk.before(c, rest))? {
                    return Ok(Some(found));
                }
                if let Some(found) = self.last_before(children, nibble)? {
                    return Ok(Some(found));
                }
                Ok(value.is_some().then(|| self.path.clone()))
            }
        }
    }

    /// Smallest key below `child`.
    fn first(&mut self, child: &Child) -> Result<Option<Vec<u8>>> {
        let Some(loaded) = self.load(child)? else {
            return Ok(None);
        };
        match &loaded.node().kind {
            NodeKind::Leaf { path, .. } => Ok(Some(self.full(path))),
            NodeKind::Extension { path, child } => self.below(path.as_slice(), child, Self::first),
            NodeKind::Branch { value: Some(_), .. } => Ok(Some(self.path.clone())),
            NodeKind::Branch {
                children,
                value: None,
            } => self.first_from(children, 0),
        }
    }

    /// Largest key below `child`.
    fn last(&mut self, child: &Child) -> Result<Option<Vec<u8>>> {
        let Some(loaded) = self.load(child)? else {
            return Ok(None);
        };
        match &loaded.node().kind {
            NodeKind::Leaf { path, .. } => Ok(Some(self.full(path))),
            NodeKind::Extension { path, child } => self.below(path.as_slice(), child, Self::last),
            NodeKind::Branch { children, value } => match self.last_before(children, 16)? {
                Some(found) => Ok(Some(found)),
                None => Ok(value.is_some().then(|| self.path.clone())),
            },
        }
    }

    /// Smallest key in the children from slot `start` on.
    fn first_from(&mut self, children: &[Child; 16], start: u8) -> Result<Option<Vec<u8>>> {
        for nibble in start..16 {
            if let Some(found) =
                self.below(&[nibble], &children[usize::from(nibble)], Self::first)?
            {
                return Ok(Some(found));
            }
        }
        Ok(None)
    }

    /// Largest key in the children of slots before `end`.
    fn last_before(&mut self, children: &[Child; 16], end: u8) -> Result<Option<Vec<u8>>> {
        for nibble in (0..end).rev() {
            if let Some(found) =
                self.below(&[nibble], &children[usize::from(nibble)], Self::last)?
            {
                return Ok(Some(found));
            }
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::{EMPTY_TRIE_ROOT, InMemoryTrieDB, Trie};

    fn trie_of(keys: &[&str]) -> Trie {
        let mut trie = Trie::new_in_memory();
        for key in keys {
            trie.insert(key.as_bytes(), key.as_bytes().to_vec())
                .unwrap();
        }
        trie
    }

    fn text(key: Option<Vec<u8>>) -> String {
        String::from_utf8(key.unwrap_or_default()).unwrap()
    }

    #[test]
    fn neighbours_match_the_nextprev_fixture() {
        let trie = trie_of(&["cat", "doge", "wallace"]);
        // [probe, previous, next] from TrieTests/trietestnextprev.json ("" = none).
        let cases = [
            ("", "", "cat"),
            ("bobo", "", "cat"),
            ("c", "", "cat"),
            ("car", "", "cat"),
            ("cat", "", "doge"),
            ("catering", "cat", "doge"),
            ("d", "cat", "doge"),
            ("doge", "cat", "wallace"),
            ("dogerton", "doge", "wallace"),
            ("w", "doge", "wallace"),
            ("wallace", "doge", ""),
            ("wallace123", "wallace", ""),
        ];
        for (probe, prev, next) in cases {
            assert_eq!(
                text(trie.prev_key(probe.as_bytes()).unwrap()),
                prev,
                "prev of {probe:?}"
            );
            assert_eq!(
                text(trie.next_key(probe.as_bytes()).unwrap()),
                next,
                "next of {probe:?}"
            );
        }
    }

    #[test]
    fn keys_stored_at_branches_sort_before_their_extensions() {
        let trie = trie_of(&["do", "dog", "doge", "horse"]);
        assert_eq!(text(trie.next_key(b"d").unwrap()), "do");
        assert_eq!(text(trie.next_key(b"do").unwrap()), "dog");
        assert_eq!(text(trie.next_key(b"doge").unwrap()), "horse");
        assert_eq!(text(trie.prev_key(b"dog").unwrap()), "do");
        assert_eq!(text(trie.prev_key(b"dogf").unwrap()), "doge");
        assert_eq!(text(trie.prev_key(b"e").unwrap()), "doge");
        assert_eq!(trie.prev_key(b"do").unwrap(), None);
    }

    #[test]
    fn navigation_reads_committed_nodes_from_the_database() {
        let db = Arc::new(InMemoryTrieDB::default());
        let mut trie = Trie::open(db.clone(), EMPTY_TRIE_ROOT);
        for i in 0u16..300 {
            trie.insert(&(i * 2).to_be_bytes(), vec![1; 40]).unwrap();
        }
        let root = trie.commit().unwrap();
        let trie = Trie::open(db, root);
        assert_eq!(
            trie.next_key(&101u16.to_be_bytes()).unwrap(),
            Some(102u16.to_be_bytes().to_vec())
        );
        assert_eq!(
            trie.prev_key(&101u16.to_be_bytes()).unwrap(),
            Some(100u16.to_be_bytes().to_vec())
        );
        assert_eq!(trie.next_key(&598u16.to_be_bytes()).unwrap(), None);
    }
}
