//! Node storage: the [`TrieDB`] trait and [`InMemoryTrieDB`].
//!
//! Storage is path-based (like geth's pathdb and reth): a node is stored under its nibble path
//! from the root, and the value is the node's RLP. The root is stored at the empty path, even
//! when its RLP is shorter than 32 bytes; other nodes shorter than 32 bytes are embedded in their
//! parent and never stored on their own. A path holds only the node of the latest committed trie;
//! readers check each loaded node against the hash its parent references, so an entry left at a
//! path that the current trie no longer uses is never mistaken for a live node.

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex, PoisonError},
};

use crate::{Nibbles, Result};

/// Storage of trie nodes keyed by their nibble path from the root.
pub trait TrieDB: Send + Sync {
    /// The RLP of the node stored at `path`, if any.
    fn get(&self, path: &Nibbles) -> Result<Option<Vec<u8>>>;
    /// Stores each `(path, node RLP)`, replacing what was at those paths.
    fn put_batch(&self, nodes: Vec<(Nibbles, Vec<u8>)>) -> Result<()>;
}

/// A [`TrieDB`] in a shared map; clones share the same nodes.
#[derive(Clone, Default)]
pub struct InMemoryTrieDB {
    nodes: Arc<Mutex<BTreeMap<Nibbles, Vec<u8>>>>,
}

impl InMemoryTrieDB {
    /// Number of stored nodes.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no node is stored.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// Every stored node, by path.
    #[cfg(test)]
    pub(crate) fn entries(&self) -> BTreeMap<Nibbles, Vec<u8>> {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<Nibbles, Vec<u8>>> {
        // A panic while holding the lock cannot leave the map half-updated in a way that matters:
        // each insert is independent, so the map stays usable.
        self.nodes.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl std::fmt::Debug for InMemoryTrieDB {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InMemoryTrieDB")
            .field("nodes", &self.len())
            .finish()
    }
}

impl TrieDB for InMemoryTrieDB {
    fn get(&self, path: &Nibbles) -> Result<Option<Vec<u8>>> {
        Ok(self.lock().get(path).cloned())
    }

    fn put_batch(&self, nodes: Vec<(Nibbles, Vec<u8>)>) -> Result<()> {
        self.lock().extend(nodes);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn put_batch_then_get_returns_latest_value() {
        let db = InMemoryTrieDB::default();
        let path = Nibbles::from_bytes(&[0x12]);
        db.put_batch(vec![(path.clone(), vec![1]), (Nibbles::new(), vec![2])])
            .unwrap();
        db.put_batch(vec![(path.clone(), vec![3])]).unwrap();
        assert_eq!(db.get(&path).unwrap(), Some(vec![3]));
        assert_eq!(db.get(&Nibbles::new()).unwrap(), Some(vec![2]));
        assert_eq!(db.get(&Nibbles::from_bytes(&[0x13])).unwrap(), None);
        assert_eq!(db.len(), 2);
    }

    #[test]
    fn clones_share_storage() {
        let db = InMemoryTrieDB::default();
        let clone = db.clone();
        clone.put_batch(vec![(Nibbles::new(), vec![9])]).unwrap();
        assert_eq!(db.get(&Nibbles::new()).unwrap(), Some(vec![9]));
    }
}
