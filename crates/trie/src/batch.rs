//! [`Trie::commit_batch`]: applies a batch of updates and commits, the 16 subtries below the root
//! updated and hashed on several threads when the batch is large enough.
//!
//! Keys that differ in their first nibble share no node below the root branch, so each of its
//! 16 subtries (its updates, then the encoding and hashing of its changed nodes) can be worked on
//! by its own thread over the shared [`TrieDB`]. The steps:
//! 1. the root is made a branch: a leaf or extension root is split under one, the empty trie
//!    starts from an empty branch;
//! 2. the updates are partitioned by first nibble and each subtrie applies its own, in order;
//! 3. the root is normalised like after a removal (a branch left with one child becomes a leaf or
//!    extension, with none the empty trie);
//! 4. the changed subtries are encoded and hashed, then the root, and everything is written in
//!    one batch. Encoding waits for step 3 so nothing is written for a node it merged away.
//!
//! Invariant: the root and the stored nodes are those of applying the same updates one by one
//! with [`Trie::insert`] and [`Trie::remove`], then [`Trie::commit`] (a key set has one shape
//! whatever the order of the operations that led to it, see the crate docs).

use std::{mem, num::NonZeroUsize, thread};

use alloy_primitives::B256;

use crate::{
    Nibbles, Result, Trie, TrieDB,
    insert::below_branch,
    node::{Child, NodeKind},
    trie::collect_dirty,
};

/// Below this many updates a batch is applied on the calling thread: spawning threads costs more
/// than the work it would share (a thread costs tens of microseconds, an update a few).
pub const PARALLEL_MIN_UPDATES: usize = 64;

/// One key's change, as nibbles: its new value, or `None` to remove it.
type Update = (Nibbles, Option<Vec<u8>>);

/// One subtrie of the root branch, taken out of it while a worker updates or encodes it.
struct Subtrie {
    nibble: u8,
    child: Child,
    updates: Vec<Update>,
}

impl Trie {
    /// Applies `updates` in order (a value stores it at its key; `None` or an empty value removes
    /// the key), then commits like [`Trie::commit`] and returns the new root. With
    /// [`PARALLEL_MIN_UPDATES`] updates or more, the subtries of the root are updated and hashed
    /// on the machine's threads.
    pub fn commit_batch<K: AsRef<[u8]>>(
        &mut self,
        updates: impl IntoIterator<Item = (K, Option<Vec<u8>>)>,
    ) -> Result<B256> {
        let updates: Vec<Update> = updates
            .into_iter()
            .map(|(key, value)| (Nibbles::from_bytes(key.as_ref()), value))
            .collect();
        let workers = if updates.len() < PARALLEL_MIN_UPDATES {
            1
        } else {
            thread::available_parallelism().map_or(1, NonZeroUsize::get)
        };
        self.commit_updates(updates, workers)
    }

    /// [`Trie::commit_batch`] on at most `workers` threads (one: the calling thread alone).
    fn commit_updates(&mut self, updates: Vec<Update>, workers: usize) -> Result<B256> {
        let db = std::sync::Arc::clone(&self.db);
        let db = &*db;
        // The empty key lives in the root node itself, not in a subtrie.
        if workers < 2 || updates.iter().any(|(key, _)| key.is_empty()) {
            for (key, value) in updates {
                apply(&mut self.root, db, key.as_slice(), 0, value)?;
            }
            return self.commit();
        }
        let expanded = expand_root(&mut self.root, db)?;
        let Some(children) = root_children(&mut self.root) else {
            return Err(crate::TrieError::InvalidNode(
                "root is not a branch after expansion",
            ));
        };
        let mut by_nibble: [Vec<Update>; 16] = Default::default();
        for update in updates {
            let nibble = update.0.as_slice().first().copied().unwrap_or_default();
            by_nibble[usize::from(nibble)].push(update);
        }
        let subtries = (0u8..)
            .zip(by_nibble)
            .filter(|(_, updates)| !updates.is_empty())
            .map(|(nibble, updates)| Subtrie {
                nibble,
                child: mem::take(&mut children[usize::from(nibble)]),
                updates,
            })
            .collect();
        let done = on_workers(subtries, workers, |subtrie| {
            let mut changed = false;
            for (key, value) in mem::take(&mut subtrie.updates) {
                changed |= apply(&mut subtrie.child, db, key.as_slice(), 1, value)?;
            }
            Ok(changed)
        });
        let mut changed = false;
        let mut first_error = None;
        for (subtrie, result) in done {
            children[usize::from(subtrie.nibble)] = subtrie.child;
            match result {
                Ok(subtrie_changed) => changed |= subtrie_changed,
                Err(err) => first_error = first_error.or(Some(err)),
            }
        }
        if let Some(err) = first_error {
            return Err(err);
        }
        if expanded || changed {
            self.root.normalize(db, &[])?;
        }
        let batch = self.collect_subtries(workers);
        self.commit_with(batch)
    }

    /// Encodes the changed subtries of a branch root on `workers` threads, marking them clean,
    /// and returns their changed nodes in the order [`Trie::commit`] would write them.
    fn collect_subtries(&mut self, workers: usize) -> Vec<(Nibbles, Vec<u8>)> {
        let Some(children) = root_children(&mut self.root) else {
            return Vec::new();
        };
        let dirty = (0u8..)
            .zip(children.iter_mut())
            .filter(|(_, child)| matches!(child, Child::Node(node) if node.dirty))
            .map(|(nibble, child)| Subtrie {
                nibble,
                child: mem::take(child),
                updates: Vec::new(),
            })
            .collect();
        let done = on_workers(dirty, workers, |subtrie| {
            let mut batch = Vec::new();
            if let Child::Node(node) = &mut subtrie.child {
                let mut path = Nibbles::from_vec(vec![subtrie.nibble]);
                collect_dirty(node, &mut path, false, &mut Vec::new(), &mut batch);
            }
            batch
        });
        let mut batch = Vec::new();
        for (subtrie, nodes) in done {
            children[usize::from(subtrie.nibble)] = subtrie.child;
            batch.extend(nodes);
        }
        batch
    }
}

/// Applies one update to `child`, which sits at path `key[..depth]`; returns whether it changed.
fn apply(
    child: &mut Child,
    db: &dyn TrieDB,
    key: &[u8],
    depth: usize,
    value: Option<Vec<u8>>,
) -> Result<bool> {
    match value.filter(|value| !value.is_empty()) {
        Some(value) => child.insert(db, key, depth, value),
        None => Ok(child.remove(db, key, depth)?.is_some()),
    }
}

/// Makes the root a branch, so that every key of the trie is in the subtrie of its first nibble
/// (or, for the empty key, the branch's value). Returns whether the root changed (a new branch
/// must be normalised back once the updates are done).
fn expand_root(root: &mut Child, db: &dyn TrieDB) -> Result<bool> {
    let mut children: Box<[Child; 16]> = Box::default();
    let mut value = None;
    match root.resolve(db, &[])?.map(|node| &mut node.kind) {
        None => {}
        Some(NodeKind::Branch { .. }) => return Ok(false),
        Some(NodeKind::Leaf {
            path,
            value: stored,
        }) => match path.as_slice().split_first() {
            None => value = Some(mem::take(stored)),
            Some((&nibble, tail)) => {
                children[usize::from(nibble)] = Child::leaf(tail, mem::take(stored));
            }
        },
        Some(NodeKind::Extension { path, child }) => {
            // Extension paths are never empty (decoding refuses it, updates never build one).
            if let Some((&nibble, tail)) = path.as_slice().split_first() {
                children[usize::from(nibble)] = below_branch(tail, mem::take(child));
            }
        }
    }
    *root = Child::new(NodeKind::Branch { children, value });
    Ok(true)
}

/// The children of the root when it is a branch in memory.
fn root_children(root: &mut Child) -> Option<&mut [Child; 16]> {
    match root {
        Child::Node(node) => match &mut node.kind {
            NodeKind::Branch { children, .. } => Some(children),
            _ => None,
        },
        _ => None,
    }
}

/// Runs `work` on each subtrie, spread over at most `workers` scoped threads (round robin: the
/// first nibble of hashed keys is uniform), and returns each subtrie with its result, in the
/// order given. A worker's panic is resumed on the calling thread.
fn on_workers<R: Send>(
    subtries: Vec<Subtrie>,
    workers: usize,
    work: impl Fn(&mut Subtrie) -> R + Sync,
) -> Vec<(Subtrie, R)> {
    let workers = workers.min(subtries.len());
    let run = |mut subtrie: Subtrie| {
        let result = work(&mut subtrie);
        (subtrie, result)
    };
    if workers < 2 {
        return subtries.into_iter().map(run).collect();
    }
    let mut shares: Vec<Vec<(usize, Subtrie)>> = (0..workers).map(|_| Vec::new()).collect();
    for (i, subtrie) in subtries.into_iter().enumerate() {
        shares[i % workers].push((i, subtrie));
    }
    let mut done: Vec<(usize, (Subtrie, R))> = thread::scope(|scope| {
        let handles: Vec<_> = shares
            .into_iter()
            .map(|share| {
                let run = &run;
                scope.spawn(move || {
                    share
                        .into_iter()
                        .map(|(i, subtrie)| (i, run(subtrie)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|handle| {
                handle
                    .join()
                    .unwrap_or_else(|payload| std::panic::resume_unwind(payload))
            })
            .collect()
    });
    done.sort_unstable_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, done)| done).collect()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use proptest::prelude::*;

    use super::*;
    use crate::{EMPTY_TRIE_ROOT, InMemoryTrieDB, TrieError};

    type KeyUpdate = (Vec<u8>, Option<Vec<u8>>);

    /// Applies each round of updates one by one (insert, remove, commit) to one database and as
    /// a batch on `workers` threads to another: the roots after each round and the stored nodes
    /// must be the same.
    fn assert_batches_match_one_by_one(rounds: &[Vec<KeyUpdate>], workers: usize) {
        let one_by_one = Arc::new(InMemoryTrieDB::default());
        let batched = Arc::new(InMemoryTrieDB::default());
        let (mut expected, mut got) = (EMPTY_TRIE_ROOT, EMPTY_TRIE_ROOT);
        for (round, updates) in rounds.iter().enumerate() {
            let mut trie = Trie::open(one_by_one.clone(), expected);
            for (key, value) in updates {
                match value {
                    Some(value) => trie.insert(key, value.clone()).unwrap(),
                    None => drop(trie.remove(key).unwrap()),
                }
            }
            expected = trie.commit().unwrap();
            let nibbles = updates
                .iter()
                .map(|(key, value)| (Nibbles::from_bytes(key), value.clone()))
                .collect();
            got = Trie::open(batched.clone(), got)
                .commit_updates(nibbles, workers)
                .unwrap();
            assert_eq!(got, expected, "root after round {round}");
            assert!(
                batched.entries() == one_by_one.entries(),
                "stored nodes after round {round}"
            );
        }
    }

    /// Keys of `len` bytes (at least 2) that often share their first bytes, so that updates meet
    /// in the same subtries and removals hit present keys.
    fn key(len: usize) -> impl Strategy<Value = Vec<u8>> {
        let byte = prop_oneof![Just(0x00u8), Just(0x11), Just(0x1f), any::<u8>()];
        (proptest::collection::vec(byte, 2), 0u8..2).prop_map(move |(mut key, tail)| {
            key.resize(len, tail);
            key
        })
    }

    /// Inserts of inline (short) and hashed (long) values, and removals.
    fn round(len: usize) -> impl Strategy<Value = Vec<KeyUpdate>> {
        let value = prop_oneof![
            proptest::collection::vec(any::<u8>(), 1..4).prop_map(Some),
            proptest::collection::vec(any::<u8>(), 30..60).prop_map(Some),
            Just(None),
        ];
        proptest::collection::vec((key(len), value), 0..120)
    }

    proptest! {
        #[test]
        fn batches_on_threads_match_one_by_one_updates(
            rounds in proptest::collection::vec(round(2), 1..6),
            workers in 2usize..5,
        ) {
            assert_batches_match_one_by_one(&rounds, workers);
        }

        #[test]
        fn batches_of_hashed_keys_match_one_by_one_updates(
            rounds in proptest::collection::vec(round(32), 1..4),
        ) {
            assert_batches_match_one_by_one(&rounds, 2);
        }
    }

    fn put(key: &[u8], len: usize) -> KeyUpdate {
        (key.to_vec(), Some(vec![0xee; len]))
    }

    fn del(key: &[u8]) -> KeyUpdate {
        (key.to_vec(), None)
    }

    #[test]
    fn root_branch_collapses_when_one_subtrie_is_left() {
        // Deleting every 0x2 key leaves one subtrie: a leaf (merged into a root leaf), an
        // extension (merged into a root extension) or a branch (under a root extension).
        let leaf = vec![put(&[0x12, 0x34], 40)];
        let extension = vec![put(&[0x12, 0x34], 40), put(&[0x12, 0x35], 40)];
        let branch = vec![put(&[0x12, 0x34], 40), put(&[0x13, 0x34], 40)];
        for left in [leaf, extension, branch] {
            let mut first = left.clone();
            first.extend([put(&[0x21, 0], 40), put(&[0x22, 0], 2)]);
            let second = vec![del(&[0x21, 0]), del(&[0x22, 0])];
            let refill = vec![put(&[0x21, 0], 40), del(&[0x21, 0]), put(&[0x22, 0], 2)];
            let emptied = left.iter().map(|(key, _)| del(key)).collect();
            assert_batches_match_one_by_one(&[first, second, refill, emptied], 2);
        }
    }

    #[test]
    fn leaf_extension_and_empty_roots_are_expanded_then_normalised() {
        let rounds = [
            vec![],
            vec![put(&[0x12], 40)],
            vec![put(&[0x13], 40)],
            vec![put(&[0x34], 2), del(&[0x12])],
            vec![del(&[0x34]), del(&[0x13])],
            vec![put(&[0x34], 2), put(&[0x34], 50)],
            vec![put(&[0x34], 50), put(&[0x35], 3)],
            vec![put(&[0x56], 40), del(&[0x34]), del(&[0x35]), del(&[0x56])],
            vec![put(&[], 3), put(&[0x56], 40)],
            vec![del(&[])],
        ];
        assert_batches_match_one_by_one(&rounds, 3);
    }

    /// Counts the nodes written.
    #[derive(Default)]
    struct CountingDb {
        inner: InMemoryTrieDB,
        written: std::sync::atomic::AtomicUsize,
    }

    impl TrieDB for CountingDb {
        fn get(&self, path: &Nibbles) -> Result<Option<Vec<u8>>> {
            self.inner.get(path)
        }

        fn put_batch(&self, nodes: Vec<(Nibbles, Vec<u8>)>) -> Result<()> {
            let written = std::sync::atomic::Ordering::Relaxed;
            self.written.fetch_add(nodes.len(), written);
            self.inner.put_batch(nodes)
        }
    }

    #[test]
    fn unchanged_values_write_no_node() {
        let db = Arc::new(CountingDb::default());
        let updates: Vec<_> = (0u8..=255).map(|i| put(&[i, 1], 40)).collect();
        let root = Trie::open(db.clone(), EMPTY_TRIE_ROOT)
            .commit_batch(updates.clone())
            .unwrap();
        // Root branch, 16 branches below it, 256 leaves.
        assert_eq!(
            db.written.load(std::sync::atomic::Ordering::Relaxed),
            1 + 16 + 256
        );
        let again = Trie::open(db.clone(), root).commit_batch(updates).unwrap();
        assert_eq!(again, root);
        assert_eq!(
            db.written.load(std::sync::atomic::Ordering::Relaxed),
            1 + 16 + 256
        );
    }

    #[test]
    fn missing_node_in_a_subtrie_is_an_error() {
        let db = Arc::new(InMemoryTrieDB::default());
        let updates: Vec<_> = (0u8..=255).map(|i| put(&[i, 1], 40)).collect();
        let root = Trie::open(db.clone(), EMPTY_TRIE_ROOT)
            .commit_batch(updates)
            .unwrap();
        let mut nodes = db.entries();
        nodes.remove(&Nibbles::from_vec(vec![7]));
        let broken = Arc::new(InMemoryTrieDB::default());
        broken.put_batch(nodes.into_iter().collect()).unwrap();
        let err = Trie::open(broken, root)
            .commit_updates(vec![(Nibbles::from_bytes(&[0x71, 1]), None)], 2)
            .unwrap_err();
        assert!(matches!(err, TrieError::MissingNode { .. }), "{err}");
    }
}
