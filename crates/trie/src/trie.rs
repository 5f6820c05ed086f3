//! [`Trie`]: a mutable Merkle-Patricia trie over a [`TrieDB`], with cached hashing and commit.
//!
//! Nodes are loaded from the database on first use (checked against the hash their parent
//! references) and kept in memory while the trie is modified. `root_hash` hashes only nodes
//! changed since they were last hashed; `commit` writes every dirty node that is stored on its
//! own (the root, and nodes whose RLP is 32 bytes or more) under its path, then drops the
//! in-memory nodes: afterwards the trie reads through the database again.
//!
//! Insertion lives in `insert.rs`, removal in `remove.rs`, proofs in `proof.rs`.

use std::sync::Arc;

use alloy_primitives::B256;

use crate::{
    EMPTY_TRIE_ROOT, InMemoryTrieDB, Nibbles, Result, TrieDB, TrieError,
    node::{Child, Node, NodeKind},
    node_ref::RlpRef,
};

/// A Merkle-Patricia trie whose nodes are stored in a [`TrieDB`].
pub struct Trie {
    pub(crate) root: Child,
    pub(crate) db: Arc<dyn TrieDB>,
    /// Scratch buffer for node encoding, reused across calls.
    pub(crate) buf: Vec<u8>,
}

impl std::fmt::Debug for Trie {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let root = match &self.root {
            Child::Empty => "empty",
            Child::Hash(_) => "in database",
            Child::Node(_) => "in memory",
        };
        f.debug_struct("Trie")
            .field("root", &root)
            .finish_non_exhaustive()
    }
}

impl Trie {
    /// An empty trie backed by a fresh [`InMemoryTrieDB`].
    pub fn new_in_memory() -> Self {
        Self::open(Arc::new(InMemoryTrieDB::default()), EMPTY_TRIE_ROOT)
    }

    /// The trie of root `root` whose nodes are in `db` (the root node at the empty path).
    /// Nothing is read until the trie is used.
    pub fn open(db: Arc<dyn TrieDB>, root: B256) -> Self {
        let root = if root == EMPTY_TRIE_ROOT {
            Child::Empty
        } else {
            Child::Hash(root)
        };
        Self::from_root(root, db)
    }

    pub(crate) fn from_root(root: Child, db: Arc<dyn TrieDB>) -> Self {
        Self {
            root,
            db,
            buf: Vec::new(),
        }
    }

    /// The value stored at `key`, if any.
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let key = Nibbles::from_bytes(key);
        get_in(&self.root, &*self.db, key.as_slice(), 0)
    }

    /// Stores `value` at `key`; an empty `value` removes the key.
    pub fn insert(&mut self, key: &[u8], value: Vec<u8>) -> Result<()> {
        if value.is_empty() {
            self.remove(key)?;
            return Ok(());
        }
        let key = Nibbles::from_bytes(key);
        self.root.insert(&*self.db, key.as_slice(), 0, value)?;
        Ok(())
    }

    /// Removes `key`, returning its value if it was present.
    pub fn remove(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let key = Nibbles::from_bytes(key);
        self.root.remove(&*self.db, key.as_slice(), 0)
    }

    /// The root hash; only nodes changed since they were last hashed are hashed again.
    pub fn root_hash(&mut self) -> B256 {
        match &mut self.root {
            Child::Empty => EMPTY_TRIE_ROOT,
            Child::Hash(hash) => *hash,
            Child::Node(node) => node.rlp_ref(&mut self.buf).root_hash(),
        }
    }

    /// Writes every changed node to the database and returns the root hash.
    ///
    /// The in-memory nodes are released: later calls load what they need from the database.
    pub fn commit(&mut self) -> Result<B256> {
        self.commit_with(Vec::new())
    }

    /// [`Trie::commit`], writing `batch` (the changed nodes already collected below an
    /// in-memory root) in the same batch.
    pub(crate) fn commit_with(&mut self, mut batch: Vec<(Nibbles, Vec<u8>)>) -> Result<B256> {
        let root = match &mut self.root {
            Child::Empty | Child::Hash(_) if !batch.is_empty() => {
                return Err(TrieError::InvalidNode(
                    "nodes collected below a root that is not in memory",
                ));
            }
            Child::Empty => EMPTY_TRIE_ROOT,
            Child::Hash(hash) => *hash,
            Child::Node(node) => {
                let mut path = Nibbles::new();
                let root_ref = collect_dirty(node, &mut path, true, &mut self.buf, &mut batch);
                self.db.put_batch(batch)?;
                root_ref.root_hash()
            }
        };
        self.root = if root == EMPTY_TRIE_ROOT {
            Child::Empty
        } else {
            Child::Hash(root)
        };
        Ok(root)
    }
}

/// Looks `key[depth..]` up below `child`, which sits at path `key[..depth]`.
fn get_in(child: &Child, db: &dyn TrieDB, key: &[u8], depth: usize) -> Result<Option<Vec<u8>>> {
    match child {
        Child::Empty => Ok(None),
        Child::Hash(hash) => get_in_node(&Node::load(db, &key[..depth], *hash)?, db, key, depth),
        Child::Node(node) => get_in_node(node, db, key, depth),
    }
}

fn get_in_node(node: &Node, db: &dyn TrieDB, key: &[u8], depth: usize) -> Result<Option<Vec<u8>>> {
    let rest = &key[depth..];
    match &node.kind {
        NodeKind::Leaf { path, value } => Ok((path.as_slice() == rest).then(|| value.clone())),
        NodeKind::Extension { path, child } if rest.starts_with(path.as_slice()) => {
            get_in(child, db, key, depth + path.len())
        }
        NodeKind::Extension { .. } => Ok(None),
        NodeKind::Branch { children, value } => match rest.first() {
            None => Ok(value.clone()),
            Some(&nibble) => get_in(&children[usize::from(nibble)], db, key, depth + 1),
        },
    }
}

/// Encodes the dirty nodes of `node`'s subtree (at `path`) into `batch`, marking them clean,
/// and returns `node`'s reference. Stored: the root, and nodes of 32 bytes or more (smaller
/// ones are embedded in their parent).
pub(crate) fn collect_dirty(
    node: &mut Node,
    path: &mut Nibbles,
    is_root: bool,
    buf: &mut Vec<u8>,
    batch: &mut Vec<(Nibbles, Vec<u8>)>,
) -> RlpRef {
    if !node.dirty {
        return node.rlp_ref(buf);
    }
    let depth = path.len();
    match &mut node.kind {
        NodeKind::Leaf { .. } => {}
        NodeKind::Extension {
            path: extension,
            child,
        } => {
            if let Child::Node(child) = child {
                path.extend_from_slice(extension.as_slice());
                collect_dirty(child, path, false, buf, batch);
                path.truncate(depth);
            }
        }
        NodeKind::Branch { children, .. } => {
            for (nibble, child) in (0u8..).zip(children.iter_mut()) {
                if let Child::Node(child) = child {
                    path.push(nibble);
                    collect_dirty(child, path, false, buf, batch);
                    path.truncate(depth);
                }
            }
        }
    }
    node.encode(buf);
    if is_root || buf.len() >= 32 {
        batch.push((path.clone(), buf.clone()));
    }
    node.dirty = false;
    *node.cache.get_or_insert_with(|| RlpRef::from_rlp(buf))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{b256, hex};

    fn trie_of(pairs: &[(&[u8], &[u8])]) -> Trie {
        let mut trie = Trie::new_in_memory();
        for (key, value) in pairs {
            trie.insert(key, value.to_vec()).unwrap();
        }
        trie
    }

    #[test]
    fn trie_can_move_between_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Trie>();
    }

    #[test]
    fn empty_trie_has_empty_root() {
        assert_eq!(Trie::new_in_memory().root_hash(), EMPTY_TRIE_ROOT);
    }

    #[test]
    fn dogs_vector_has_known_root() {
        let mut trie = trie_of(&[
            (b"doe", b"reindeer"),
            (b"dog", b"puppy"),
            (b"dogglesworth", b"cat"),
        ]);
        let expected = b256!("0x8aad789dff2f538bca5d8ea56e8abe10f4c7ba3a5dea95fea4cd6e7c3a1168d3");
        assert_eq!(trie.root_hash(), expected);
    }

    #[test]
    fn get_returns_inserted_values_and_none_for_prefixes() {
        let trie = trie_of(&[(b"do", b"verb"), (b"dog", b"puppy"), (b"doge", b"coin")]);
        assert_eq!(trie.get(b"do").unwrap(), Some(b"verb".to_vec()));
        assert_eq!(trie.get(b"doge").unwrap(), Some(b"coin".to_vec()));
        assert_eq!(trie.get(b"d").unwrap(), None);
        assert_eq!(trie.get(b"dogs").unwrap(), None);
    }

    #[test]
    fn root_hash_updates_after_changes_to_hashed_subtrees() {
        let mut trie = trie_of(&[(b"doe", b"reindeer"), (b"dog", b"puppy")]);
        let before = trie.root_hash();
        trie.insert(b"dog", b"kitten".to_vec()).unwrap();
        assert_ne!(trie.root_hash(), before);
        trie.insert(b"dog", b"puppy".to_vec()).unwrap();
        assert_eq!(trie.root_hash(), before);
    }

    #[test]
    fn commit_then_open_reads_through_database() {
        let db = Arc::new(InMemoryTrieDB::default());
        let mut trie = Trie::open(db.clone(), EMPTY_TRIE_ROOT);
        for i in 0u32..200 {
            trie.insert(&i.to_be_bytes(), vec![1; 1 + (i % 40) as usize])
                .unwrap();
        }
        let root = trie.commit().unwrap();
        let mut reopened = Trie::open(db.clone(), root);
        assert_eq!(reopened.root_hash(), root);
        assert_eq!(reopened.get(&7u32.to_be_bytes()).unwrap(), Some(vec![1; 8]));
        // Keep modifying after reopening: nodes are loaded on demand.
        reopened.insert(&7u32.to_be_bytes(), vec![2]).unwrap();
        reopened.remove(&8u32.to_be_bytes()).unwrap();
        let mut fresh = Trie::new_in_memory();
        for i in 0u32..200 {
            let value = if i == 7 {
                vec![2]
            } else {
                vec![1; 1 + (i % 40) as usize]
            };
            if i != 8 {
                fresh.insert(&i.to_be_bytes(), value).unwrap();
            }
        }
        assert_eq!(reopened.commit().unwrap(), fresh.root_hash());
    }

    #[test]
    fn small_root_is_stored_at_empty_path() {
        let db = Arc::new(InMemoryTrieDB::default());
        let mut trie = Trie::open(db.clone(), EMPTY_TRIE_ROOT);
        trie.insert(b"k", b"v".to_vec()).unwrap();
        let root = trie.commit().unwrap();
        assert_eq!(
            db.get(&Nibbles::new()).unwrap(),
            Some(hex!("c482206b76").to_vec())
        );
        assert_eq!(Trie::open(db, root).get(b"k").unwrap(), Some(b"v".to_vec()));
    }

    #[test]
    fn open_with_wrong_root_reports_hash_mismatch() {
        let db = Arc::new(InMemoryTrieDB::default());
        let mut trie = Trie::open(db.clone(), EMPTY_TRIE_ROOT);
        trie.insert(b"key", b"value".to_vec()).unwrap();
        trie.commit().unwrap();
        let err = Trie::open(db, B256::repeat_byte(1))
            .get(b"key")
            .unwrap_err();
        assert!(
            matches!(err, crate::TrieError::NodeHashMismatch { .. }),
            "{err}"
        );
    }

    #[test]
    fn open_on_empty_database_reports_missing_root() {
        let trie = Trie::open(Arc::new(InMemoryTrieDB::default()), B256::repeat_byte(1));
        let err = trie.get(b"key").unwrap_err();
        assert!(matches!(err, crate::TrieError::MissingNode { .. }), "{err}");
    }

    /// Records the size of each batch written.
    #[derive(Default)]
    struct CountingDb {
        inner: InMemoryTrieDB,
        batches: std::sync::Mutex<Vec<usize>>,
    }

    impl TrieDB for CountingDb {
        fn get(&self, path: &Nibbles) -> Result<Option<Vec<u8>>> {
            self.inner.get(path)
        }

        fn put_batch(&self, nodes: Vec<(Nibbles, Vec<u8>)>) -> Result<()> {
            self.batches.lock().unwrap().push(nodes.len());
            self.inner.put_batch(nodes)
        }
    }

    #[test]
    fn commit_writes_only_changed_nodes() {
        let db = Arc::new(CountingDb::default());
        let mut trie = Trie::open(db.clone(), EMPTY_TRIE_ROOT);
        for i in 0u8..=255 {
            trie.insert(&[i, 0, 0], vec![i; 40]).unwrap();
        }
        trie.commit().unwrap();
        // Root branch, 16 branches below it, 256 leaves.
        assert_eq!(*db.batches.lock().unwrap(), vec![1 + 16 + 256]);
        // Changing one leaf rewrites its path only: root, its parent branch, the leaf.
        trie.insert(&[0x05, 0, 0], vec![9; 40]).unwrap();
        trie.commit().unwrap();
        assert_eq!(*db.batches.lock().unwrap(), vec![1 + 16 + 256, 3]);
    }
}
