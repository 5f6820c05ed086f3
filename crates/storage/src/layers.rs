//! Diff layers: the state writes of recent blocks, held in memory above the persisted ("disk")
//! state, so that any state of the last [`DEFAULT_STATE_WINDOW`] blocks (on any branch) can be
//! read and built upon without touching the disk.
//!
//! A layer is the set of writes (flat entries, path-keyed trie nodes, codes) that turned its
//! parent state into its own; it is identified by the state root it produces. Layers form a tree
//! rooted at the disk state. Reads of a state go through one index (table, key) → the layers that
//! wrote that key, and take the newest writer among the state's ancestors, else the disk: one
//! hash lookup whatever the depth.
//!
//! Flattening moves the oldest layers of the head's branch into the disk state (inside the same
//! atomic batch as the block data that made them old) and drops every layer that does not descend
//! from the new disk state.
//!
//! Guarantees: a [`StateView`] reads exactly the state of its root or fails
//! ([`StoreError::StateNotAvailable`]) once that state is no longer held (flattened past or
//! pruned); it never silently reads another state.

use std::{
    collections::HashSet,
    sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard},
};

use alloy_primitives::{B256, map::HashMap};

use crate::{
    Result, Store, StoreError,
    backend::WriteBatch,
    tables::{ChainDataKey, Table},
    trie_db::{PendingWrites, WriteMap},
    witness::NodeRecorder,
};

/// How many recent blocks' states are kept as diff layers above the disk state.
pub const DEFAULT_STATE_WINDOW: u64 = 128;

/// A layer's identity; a layer's id is larger than every one of its ancestors'.
pub(crate) type LayerId = u64;

/// The writes of one layer for one key, newest layer last.
type Writers = Vec<(LayerId, Option<Vec<u8>>)>;

struct Layer {
    id: LayerId,
    parent: B256,
    /// The number of the block whose execution produced this state.
    number: u64,
    /// Every key this layer wrote (the values are in the index).
    keys: Vec<(Table, Vec<u8>)>,
}

/// The in-memory layers of a store.
pub(crate) struct Layers {
    disk_root: B256,
    window: u64,
    by_root: HashMap<B256, Layer>,
    index: Vec<HashMap<Vec<u8>, Writers>>,
    next_id: LayerId,
}

impl Layers {
    pub(crate) fn new(disk_root: B256) -> Self {
        Self {
            disk_root,
            window: DEFAULT_STATE_WINDOW,
            by_root: HashMap::default(),
            index: Table::ALL.iter().map(|_| HashMap::default()).collect(),
            next_id: 1,
        }
    }

    pub(crate) fn disk_root(&self) -> B256 {
        self.disk_root
    }

    /// Whether the state of `root` can be read.
    pub(crate) fn has_state(&self, root: &B256) -> bool {
        *root == self.disk_root || self.by_root.contains_key(root)
    }

    /// Number of layers held.
    pub(crate) fn len(&self) -> usize {
        self.by_root.len()
    }

    /// Adds the layer of `writes` turning state `parent` into `root` (block `number`). A state
    /// already held (or equal to its parent) is not added again.
    pub(crate) fn add(
        &mut self,
        root: B256,
        parent: B256,
        number: u64,
        writes: WriteMap,
    ) -> Result<()> {
        if self.has_state(&root) {
            return Ok(());
        }
        if !self.has_state(&parent) {
            return Err(self.unavailable(parent));
        }
        let id = self.next_id;
        self.next_id += 1;
        let mut keys = Vec::with_capacity(writes.len());
        for ((table, key), value) in writes {
            self.index[table.index()]
                .entry(key.clone())
                .or_default()
                .push((id, value));
            keys.push((table, key));
        }
        self.by_root.insert(
            root,
            Layer {
                id,
                parent,
                number,
                keys,
            },
        );
        Ok(())
    }

    /// A view of the state of `root`.
    fn view(&self, root: B256) -> Result<ViewChain> {
        if root == self.disk_root {
            return Ok(ViewChain {
                top: None,
                chain: Arc::from([]),
            });
        }
        let top = self
            .by_root
            .get(&root)
            .ok_or_else(|| self.unavailable(root))?;
        let mut chain = Vec::new();
        let mut current = root;
        while current != self.disk_root {
            let layer = self
                .by_root
                .get(&current)
                .ok_or_else(|| self.unavailable(root))?;
            chain.push(layer.id);
            if chain.len() > self.by_root.len() {
                return Err(StoreError::Backend(format!(
                    "diff layers of state {root} form a cycle"
                )));
            }
            current = layer.parent;
        }
        chain.sort_unstable();
        Ok(ViewChain {
            top: Some(top.id),
            chain: chain.into(),
        })
    }

    /// Whether a view made for `root` with `top` still reads that state.
    fn still_valid(&self, root: &B256, top: Option<LayerId>) -> bool {
        *root == self.disk_root || self.by_root.get(root).map(|l| l.id) == top && top.is_some()
    }

    /// The value of `key` in the layers of `chain`: `None` if none wrote it, `Some(None)` if the
    /// newest writer deleted it.
    fn get(&self, chain: &[LayerId], table: Table, key: &[u8]) -> Option<Option<Vec<u8>>> {
        let writers = self.index[table.index()].get(key)?;
        writers
            .iter()
            .rev()
            .find(|(id, _)| chain.binary_search(id).is_ok())
            .map(|(_, value)| value.clone())
    }

    /// The keys of `table` starting with `prefix` written by the layers of `chain`.
    fn keys_with_prefix(&self, chain: &[LayerId], table: Table, prefix: &[u8]) -> Vec<Vec<u8>> {
        let ids: HashSet<LayerId> = chain.iter().copied().collect();
        self.by_root
            .values()
            .filter(|layer| ids.contains(&layer.id))
            .flat_map(|layer| &layer.keys)
            .filter(|(t, key)| *t == table && key.starts_with(prefix))
            .map(|(_, key)| key.clone())
            .collect()
    }

    /// The layers to flatten so that the head (block `head_number`, state `head_root`) keeps at
    /// most `window` layers above the disk, oldest first; empty if none (or the head's state is
    /// not held).
    pub(crate) fn flatten_plan(&self, head_root: B256, head_number: u64) -> Vec<B256> {
        let mut plan = Vec::new();
        let mut current = head_root;
        let keep_above = head_number.saturating_sub(self.window);
        while let Some(layer) = self.by_root.get(&current) {
            if layer.number <= keep_above {
                plan.push(current);
            }
            current = layer.parent;
        }
        if current != self.disk_root {
            return Vec::new();
        }
        plan.reverse();
        plan
    }

    /// Adds to `batch` the writes of the planned layers (oldest first) and the new disk root.
    /// A key written by several of them is written once, with the newest value.
    pub(crate) fn write_flatten(&self, plan: &[B256], batch: &mut WriteBatch) {
        let mut written: alloy_primitives::map::HashSet<(Table, &[u8])> = Default::default();
        for root in plan.iter().rev() {
            let Some(layer) = self.by_root.get(root) else {
                continue;
            };
            for (table, key) in &layer.keys {
                if !written.insert((*table, key.as_slice())) {
                    continue;
                }
                let value = self.index[table.index()]
                    .get(key)
                    .and_then(|writers| writers.iter().find(|(id, _)| *id == layer.id));
                match value {
                    Some((_, Some(value))) => batch.put(*table, key.clone(), value.clone()),
                    Some((_, None)) => batch.delete(*table, key.clone()),
                    None => {}
                }
            }
        }
        if let Some(root) = plan.last() {
            batch.put(
                Table::ChainData,
                ChainDataKey::StateRoot.key(),
                root.as_slice(),
            );
        }
    }

    /// After the flatten batch is written: the last planned layer is the disk state; drops the
    /// planned layers and every layer not descending from the new disk state.
    pub(crate) fn finish_flatten(&mut self, plan: &[B256]) {
        let Some(new_disk) = plan.last() else {
            return;
        };
        self.disk_root = *new_disk;
        let mut keep: HashMap<B256, bool> = HashMap::default();
        let roots: Vec<B256> = self.by_root.keys().copied().collect();
        for root in &roots {
            self.descends_from_disk(*root, &mut keep);
        }
        for root in roots {
            if !keep.get(&root).copied().unwrap_or(false) {
                self.remove(&root);
            }
        }
    }

    /// Whether the layer of `root` descends from the disk state (memoized in `memo`).
    fn descends_from_disk(&self, root: B256, memo: &mut HashMap<B256, bool>) -> bool {
        let mut path = Vec::new();
        let mut current = root;
        let result = loop {
            if current == self.disk_root {
                break true;
            }
            if let Some(known) = memo.get(&current) {
                break *known;
            }
            match self.by_root.get(&current) {
                // The layer now at the disk root itself is flattened, hence not kept.
                Some(layer) if path.len() <= self.by_root.len() => {
                    path.push(current);
                    current = layer.parent;
                }
                _ => break false,
            }
        };
        for root in path {
            memo.insert(root, result);
        }
        result
    }

    fn remove(&mut self, root: &B256) {
        let Some(layer) = self.by_root.remove(root) else {
            return;
        };
        for (table, key) in layer.keys {
            let index = &mut self.index[table.index()];
            if let Some(writers) = index.get_mut(&key) {
                writers.retain(|(id, _)| *id != layer.id);
                if writers.is_empty() {
                    index.remove(&key);
                }
            }
        }
    }

    /// Every layer, parents before children: (root, parent, block number, writes).
    pub(crate) fn export(&self) -> Vec<(B256, B256, u64, WriteMap)> {
        let mut layers: Vec<(&B256, &Layer)> = self.by_root.iter().collect();
        layers.sort_by_key(|(_, layer)| layer.id);
        layers
            .into_iter()
            .map(|(root, layer)| {
                let writes = layer
                    .keys
                    .iter()
                    .filter_map(|(table, key)| {
                        let writers = self.index[table.index()].get(key)?;
                        let (_, value) = writers.iter().find(|(id, _)| *id == layer.id)?;
                        Some(((*table, key.clone()), value.clone()))
                    })
                    .collect();
                (*root, layer.parent, layer.number, writes)
            })
            .collect()
    }

    /// Drops every layer (the disk state stays).
    pub(crate) fn clear(&mut self, disk_root: B256) {
        self.by_root.clear();
        for index in &mut self.index {
            index.clear();
        }
        self.disk_root = disk_root;
    }

    fn unavailable(&self, requested: B256) -> StoreError {
        StoreError::StateNotAvailable {
            requested,
            stored: self.disk_root,
        }
    }
}

/// The layers a view reads: its top layer (none for the disk state) and every layer from the
/// disk up to it, sorted by id.
#[derive(Debug, Clone)]
struct ViewChain {
    top: Option<LayerId>,
    chain: Arc<[LayerId]>,
}

/// Read access to one state: pending writes (of a state builder) first, then the diff layers
/// of the state's branch, then the disk.
#[derive(Clone)]
pub(crate) struct StateView {
    store: Store,
    root: B256,
    chain: ViewChain,
    pending: Option<Arc<PendingWrites>>,
    /// Records the trie nodes read from this state (below the pending writes).
    recorder: Option<Arc<NodeRecorder>>,
}

impl std::fmt::Debug for StateView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StateView")
            .field("root", &self.root)
            .finish_non_exhaustive()
    }
}

impl StateView {
    /// A view of the state of `root`, plus `pending` writes on top of it.
    pub(crate) fn new(
        store: &Store,
        root: B256,
        pending: Option<Arc<PendingWrites>>,
    ) -> Result<Self> {
        let chain = store.layers_read().view(root)?;
        Ok(Self {
            store: store.clone(),
            root,
            chain,
            pending,
            recorder: None,
        })
    }

    /// This view, recording into `recorder` every trie node it reads from the state itself
    /// (not from the pending writes above it).
    pub(crate) fn recording(mut self, recorder: Arc<NodeRecorder>) -> Self {
        self.recorder = Some(recorder);
        self
    }

    pub(crate) fn store(&self) -> &Store {
        &self.store
    }

    pub(crate) fn pending(&self) -> Option<&Arc<PendingWrites>> {
        self.pending.as_ref()
    }

    /// The value of `key` in `table` in this state.
    pub(crate) fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>> {
        if let Some(pending) = &self.pending
            && let Some(value) = pending.get(table, key)?
        {
            return Ok(value);
        }
        let value = self.get_below_pending(table, key)?;
        if let (Some(recorder), Some(node)) = (&self.recorder, &value)
            && matches!(table, Table::AccountTrieNodes | Table::StorageTrieNodes)
        {
            recorder.record(node);
        }
        Ok(value)
    }

    /// The value of `key` in `table` in the state itself (diff layers, then disk).
    fn get_below_pending(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let layers = self.store.layers_read();
        if !layers.still_valid(&self.root, self.chain.top) {
            return Err(layers.unavailable(self.root));
        }
        if let Some(value) = layers.get(&self.chain.chain, table, key) {
            return Ok(value);
        }
        // Read under the lock: a flatten cannot change the disk in between.
        self.store.backend.get(table, key)
    }

    /// The keys of `table` starting with `prefix` that may hold a value in this state (disk,
    /// layers and pending; a key deleted above may be listed).
    pub(crate) fn keys_with_prefix(&self, table: Table, prefix: &[u8]) -> Result<Vec<Vec<u8>>> {
        let mut keys = Vec::new();
        {
            let layers = self.store.layers_read();
            if !layers.still_valid(&self.root, self.chain.top) {
                return Err(layers.unavailable(self.root));
            }
            self.store
                .backend
                .for_each_with_prefix(table, prefix, &mut |key, _| {
                    keys.push(key.to_vec());
                    Ok(std::ops::ControlFlow::Continue(()))
                })?;
            keys.extend(layers.keys_with_prefix(&self.chain.chain, table, prefix));
        }
        if let Some(pending) = &self.pending {
            keys.extend(pending.keys_with_prefix(table, prefix));
        }
        Ok(keys)
    }
}

/// The store's layers behind a lock.
pub(crate) type SharedLayers = Arc<RwLock<Layers>>;

impl Store {
    pub(crate) fn layers_read(&self) -> RwLockReadGuard<'_, Layers> {
        // Every mutation of `Layers` keeps it consistent before anything can panic.
        self.layers.read().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn layers_write(&self) -> RwLockWriteGuard<'_, Layers> {
        self.layers.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sets how many recent blocks' states are kept in memory above the disk state
    /// (default [`DEFAULT_STATE_WINDOW`]; at least 1).
    pub fn set_state_window(&self, blocks: u64) {
        self.layers_write().window = blocks.max(1);
    }

    /// Whether the state of `root` is available (on disk or in a diff layer).
    pub fn has_state(&self, root: &B256) -> bool {
        self.layers_read().has_state(root)
    }

    /// Number of diff layers held in memory.
    pub fn diff_layer_count(&self) -> usize {
        self.layers_read().len()
    }

    /// Writes `batch`; when `head` (state root, block number) is given, flattens in the same
    /// batch the layers of the head's branch older than the window.
    pub(crate) fn write_with_head(
        &self,
        mut batch: WriteBatch,
        head: Option<(B256, u64)>,
    ) -> Result<()> {
        let mut layers = self.layers_write();
        let plan = head.map_or_else(Vec::new, |(root, number)| layers.flatten_plan(root, number));
        layers.write_flatten(&plan, &mut batch);
        self.backend.write(batch)?;
        layers.finish_flatten(&plan);
        Ok(())
    }

    /// Writes every layer of the head's branch to disk (a clean shutdown), in one batch.
    pub fn persist_state(&self) -> Result<()> {
        let Some(head) = self.head_header()? else {
            return Ok(());
        };
        let mut layers = self.layers_write();
        let window = layers.window;
        layers.window = 0;
        let plan = layers.flatten_plan(head.state_root, head.number);
        layers.window = window;
        let mut batch = WriteBatch::new();
        layers.write_flatten(&plan, &mut batch);
        self.backend.write(batch)?;
        layers.finish_flatten(&plan);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use ethrex_common::state::InMemoryDb;
    use ethrex_common::types::{Block, BlockBody, Header, Receipt};
    use ethrex_trie::EMPTY_TRIE_ROOT;

    use crate::{
        ForkChoice,
        test_utils::{Harness, Rng, assert_reader_matches, backend_tests, random_changes},
    };

    use super::*;

    /// One block of a test branch: the block (its header holds the real state root) and the
    /// state it leads to.
    struct Step {
        block: Block,
        model: InMemoryDb,
    }

    impl Step {
        fn hash(&self) -> B256 {
            self.block.header.hash_slow()
        }
        fn root(&self) -> B256 {
            self.block.header.state_root
        }
        fn entry(&self) -> (Block, Vec<Receipt>) {
            (self.block.clone(), Vec::new())
        }
    }

    fn genesis() -> Step {
        let header = Header {
            number: 0,
            state_root: EMPTY_TRIE_ROOT,
            gas_limit: 30_000_000,
            ..Default::default()
        };
        Step {
            block: Block::new(header, BlockBody::default()),
            model: InMemoryDb::default(),
        }
    }

    /// `len` blocks above `parent`, each with random state changes kept as a diff layer.
    fn grow(store: &Store, parent: &Step, len: u64, seed: u64) -> Vec<Step> {
        let mut rng = Rng(seed);
        let mut steps: Vec<Step> = Vec::new();
        for _ in 0..len {
            let last = steps.last().unwrap_or(parent);
            let changes = random_changes(&mut rng, &last.model);
            let update = store.prepare_state_update(last.root(), &changes).unwrap();
            let mut model = last.model.clone();
            model.apply(&changes);
            let header = Header {
                parent_hash: last.hash(),
                number: last.block.header.number + 1,
                state_root: update.root,
                gas_limit: 30_000_000,
                extra_data: seed.to_be_bytes().to_vec().into(),
                ..Default::default()
            };
            store.add_state_layer(header.number, update).unwrap();
            steps.push(Step {
                block: Block::new(header, BlockBody::default()),
                model,
            });
        }
        steps
    }

    fn not_available(err: StoreError) {
        assert!(matches!(err, StoreError::StateNotAvailable { .. }), "{err}");
    }

    fn recent_states_are_layers_and_older_ones_reach_the_disk(h: &Harness) {
        let store = h.open();
        store.set_state_window(3);
        let genesis = genesis();
        store.add_blocks(&[genesis.entry()]).unwrap();
        let steps = grow(&store, &genesis, 6, 7);
        assert_eq!(store.diff_layer_count(), 6);
        assert_eq!(store.stored_state_root().unwrap(), EMPTY_TRIE_ROOT);
        for step in &steps {
            assert_reader_matches(&store.state_at(step.root()).unwrap(), &step.model);
        }
        let entries: Vec<_> = steps.iter().map(Step::entry).collect();
        store.add_blocks(&entries).unwrap();
        // Head #6, window 3: blocks 4..=6 stay layers, block 3's state is the disk state.
        assert_eq!(store.stored_state_root().unwrap(), steps[2].root());
        assert_eq!(store.diff_layer_count(), 3);
        for step in &steps[2..] {
            assert_reader_matches(&store.state_at(step.root()).unwrap(), &step.model);
        }
        not_available(store.state_at(steps[1].root()).unwrap_err());
        not_available(store.state_at(EMPTY_TRIE_ROOT).unwrap_err());
        drop(store);
        // A restart loses the layers and keeps the disk state (the chain re-executes from it).
        let store = h.open();
        assert_eq!(store.head_hash().unwrap(), Some(steps[5].hash()));
        assert_reader_matches(&store.state_at(steps[2].root()).unwrap(), &steps[2].model);
        not_available(store.state_at(steps[5].root()).unwrap_err());
    }

    fn reorg_inside_the_window_and_pruning_of_the_old_branch(h: &Harness) {
        let store = h.open();
        let genesis = genesis();
        store.add_blocks(&[genesis.entry()]).unwrap();
        let main = grow(&store, &genesis, 5, 1);
        store
            .add_blocks(&main.iter().map(Step::entry).collect::<Vec<_>>())
            .unwrap();
        // A fork from block #2: #3'..=#6'.
        let fork = grow(&store, &main[1], 4, 2);
        store
            .add_side_blocks(&fork.iter().map(Step::entry).collect::<Vec<_>>())
            .unwrap();
        for step in main.iter().chain(&fork) {
            assert_reader_matches(&store.state_at(step.root()).unwrap(), &step.model);
        }
        let old_reader = store.state_at(main[4].root()).unwrap();
        store
            .set_fork_choice(ForkChoice {
                head: fork[3].hash(),
                safe: None,
                finalized: None,
            })
            .unwrap();
        assert_eq!(store.canonical_hash(3).unwrap(), Some(fork[0].hash()));
        assert_eq!(store.canonical_hash(6).unwrap(), Some(fork[3].hash()));
        assert_eq!(
            store.diff_layer_count(),
            9,
            "inside the window nothing is flattened"
        );
        assert_reader_matches(&old_reader, &main[4].model);

        // Shrinking the window flattens the fork's branch up to #4' and prunes the old branch.
        store.set_state_window(2);
        store.set_canonical_head(fork[3].hash()).unwrap();
        assert_eq!(store.stored_state_root().unwrap(), fork[1].root());
        assert_eq!(store.diff_layer_count(), 2);
        for step in &fork[1..] {
            assert_reader_matches(&store.state_at(step.root()).unwrap(), &step.model);
        }
        for step in &main[2..] {
            not_available(store.state_at(step.root()).unwrap_err());
        }
        let addr = crate::test_utils::address(1);
        let err = ethrex_common::state::Database::account(&old_reader, &addr).unwrap_err();
        assert!(
            matches!(err, ethrex_common::state::StateError::Unavailable(_)),
            "{err}"
        );
        // Building on a pruned state fails too.
        not_available(store.state_builder(main[4].root()).unwrap_err());
    }

    fn persist_state_writes_the_head_state(h: &Harness) {
        let store = h.open();
        let genesis = genesis();
        store.add_blocks(&[genesis.entry()]).unwrap();
        let steps = grow(&store, &genesis, 4, 3);
        store
            .add_blocks(&steps.iter().map(Step::entry).collect::<Vec<_>>())
            .unwrap();
        assert_eq!(store.stored_state_root().unwrap(), EMPTY_TRIE_ROOT);
        store.persist_state().unwrap();
        assert_eq!(store.diff_layer_count(), 0);
        drop(store);
        let store = h.open();
        assert_eq!(store.stored_state_root().unwrap(), steps[3].root());
        assert_reader_matches(&store.state_at(steps[3].root()).unwrap(), &steps[3].model);
    }

    fn journaled_layers_survive_a_restart(h: &Harness) {
        let store = h.open();
        let genesis = genesis();
        store.add_blocks(&[genesis.entry()]).unwrap();
        let steps = grow(&store, &genesis, 4, 5);
        store
            .add_blocks(&steps.iter().map(Step::entry).collect::<Vec<_>>())
            .unwrap();
        assert_eq!(store.journal_layers().unwrap(), 4);
        drop(store);
        let store = h.open();
        assert_eq!(store.diff_layer_count(), 4);
        for step in &steps {
            assert_reader_matches(&store.state_at(step.root()).unwrap(), &step.model);
        }
        // Loaded once: the journal is gone, a second restart has no layers.
        drop(store);
        let store = h.open();
        assert_eq!(store.diff_layer_count(), 0);
        not_available(store.state_at(steps[3].root()).unwrap_err());
    }

    fn a_corrupt_or_stale_journal_is_dropped(h: &Harness) {
        let store = h.open();
        let mut batch = WriteBatch::new();
        batch.put(
            Table::Misc,
            crate::JOURNAL_KEY,
            b"ethrex-layers-v1 truncated".to_vec(),
        );
        store.backend().write(batch).unwrap();
        drop(store);
        let store = h.open();
        assert_eq!(store.diff_layer_count(), 0);
        assert_eq!(
            store
                .backend()
                .get(Table::Misc, crate::JOURNAL_KEY)
                .unwrap(),
            None
        );
    }

    backend_tests!(
        recent_states_are_layers_and_older_ones_reach_the_disk,
        reorg_inside_the_window_and_pruning_of_the_old_branch,
        persist_state_writes_the_head_state,
        journaled_layers_survive_a_restart,
        a_corrupt_or_stale_journal_is_dropped,
    );
}
