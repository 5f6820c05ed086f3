//! Writing a state: a [`StateBuilder`] applies the VM's [`StateChanges`], block after block, on
//! top of any held state (the disk state or a diff layer) as pending writes to the tries and
//! flat tables, computing each new root; the VM can read the pending state through
//! [`StateBuilder::reader`]. [`StateBuilder::finish`] yields the writes as a [`StateUpdate`],
//! which becomes a diff layer ([`Store::add_state_layer`], or with its blocks in
//! [`Store::add_blocks_with_state`]) or, for a genesis, is written straight to disk
//! ([`Store::commit_state_update`]).
//!
//! Invariant: the disk state only changes in one batch with [`ChainDataKey::StateRoot`].

use std::sync::Arc;

use alloy_primitives::{B256, keccak256};
use ethrex_common::{
    state::StateChanges,
    types::{AccountState, Block, Receipt},
};
use ethrex_trie::{EMPTY_TRIE_ROOT, Trie};

use crate::{
    Result, StateReader, Store, StoreError,
    backend::WriteBatch,
    blocks::Placement,
    codec,
    layers::StateView,
    state::{flat_storage_key, hashed_slot},
    tables::{ChainDataKey, Table},
    trie_db::{PendingWrites, StoreTrieDb, TrieOwner, WriteMap},
    witness::NodeRecorder,
};

/// The writes of a state transition, not yet committed.
#[derive(Debug)]
pub struct StateUpdate {
    /// Root of the state after the changes.
    pub root: B256,
    /// Root of the state the changes apply to.
    pub parent: B256,
    writes: WriteMap,
}

impl StateUpdate {
    /// The update's writes with the new state root, for a caller that writes them to disk with
    /// others (the parent must be the disk state).
    pub(crate) fn into_batch(self) -> WriteBatch {
        let mut batch = WriteBatch::new();
        for ((table, key), value) in self.writes {
            match value {
                Some(value) => batch.put(table, key, value),
                None => batch.delete(table, key),
            }
        }
        batch.put(
            Table::ChainData,
            ChainDataKey::StateRoot.key(),
            self.root.as_slice(),
        );
        batch
    }
}

/// Below this many changed slots in a block, storage tries are updated on the calling thread
/// (spawning threads would cost more than it saves).
const PARALLEL_MIN_SLOTS: usize = 64;

/// One account's storage changes to apply to its trie.
struct StorageJob<'a> {
    /// Index of the account's leaf in [`StateBuilder::apply`]'s list.
    leaf: usize,
    hashed: B256,
    /// The trie's root before the changes.
    root: B256,
    storage: &'a [(alloy_primitives::U256, alloy_primitives::U256)],
}

/// State changes applied on top of a held state, not yet committed.
#[derive(Debug)]
pub struct StateBuilder {
    view: StateView,
    pending: Arc<PendingWrites>,
    parent: B256,
    root: B256,
}

impl Store {
    /// A builder of state changes on top of the state of `parent_root` (on disk or in a diff
    /// layer).
    pub fn state_builder(&self, parent_root: B256) -> Result<StateBuilder> {
        self.state_builder_with(parent_root, None)
    }

    /// [`Store::state_builder`], its reads of the parent's trie nodes recorded when asked.
    pub(crate) fn state_builder_with(
        &self,
        parent_root: B256,
        recorder: Option<Arc<NodeRecorder>>,
    ) -> Result<StateBuilder> {
        let pending = Arc::new(PendingWrites::default());
        let mut view = StateView::new(self, parent_root, Some(Arc::clone(&pending)))?;
        if let Some(recorder) = recorder {
            view = view.recording(recorder);
        }
        Ok(StateBuilder {
            view,
            pending,
            parent: parent_root,
            root: parent_root,
        })
    }

    /// Applies one set of `changes` on top of the state of root `parent_root`, without writing
    /// anything yet ([`Store::state_builder`], one apply, finish).
    pub fn prepare_state_update(
        &self,
        parent_root: B256,
        changes: &StateChanges,
    ) -> Result<StateUpdate> {
        let mut builder = self.state_builder(parent_root)?;
        builder.apply(changes)?;
        Ok(builder.finish())
    }

    /// Writes a prepared update straight to disk, in one batch. Its parent must be the disk
    /// state; every diff layer is dropped (they were built on the old disk state).
    pub fn commit_state_update(&self, update: StateUpdate) -> Result<()> {
        let mut layers = self.layers_write();
        if update.parent != layers.disk_root() {
            return Err(StoreError::StateNotAvailable {
                requested: update.parent,
                stored: layers.disk_root(),
            });
        }
        let root = update.root;
        self.backend.write(update.into_batch())?;
        layers.clear(root);
        Ok(())
    }

    /// Keeps `update` in memory as the diff layer of block `number`: its state can then be read
    /// ([`Store::state_at`]) and built upon, and it reaches the disk once the block is older
    /// than the window on the head's branch.
    pub fn add_state_layer(&self, number: u64, update: StateUpdate) -> Result<()> {
        self.layers_write()
            .add(update.root, update.parent, number, update.writes)
    }

    /// The state layer of the last of `blocks` ([`Store::add_state_layer`]) then
    /// [`Store::add_blocks`].
    pub fn add_blocks_with_state(
        &self,
        blocks: &[(Block, Vec<Receipt>)],
        update: StateUpdate,
    ) -> Result<()> {
        let batch = self.blocks_batch(blocks, Placement::Canonical)?;
        let Some((last, _)) = blocks.last() else {
            return Ok(());
        };
        self.add_state_layer(last.header.number, update)?;
        self.write_with_head(batch, Some((last.header.state_root, last.header.number)))
    }
}

impl StateBuilder {
    /// Root of the state with every change applied so far.
    pub fn root(&self) -> B256 {
        self.root
    }

    /// Read access to the state with every change applied so far (it fails once the builder is
    /// finished).
    pub fn reader(&self) -> StateReader {
        StateReader::new(self.view.clone(), self.root)
    }
    /// Applies `changes` (one block's, or one transaction's) and returns the new state root.
    ///
    /// Three steps: flat entries and codes (reading each account's current storage root from
    /// the flat table); the storage tries of the changed accounts, in parallel when there is
    /// enough work; then the account trie, its 16 root subtries in parallel when enough
    /// accounts changed ([`Trie::commit_batch`]).
    pub fn apply(&mut self, changes: &StateChanges) -> Result<B256> {
        // Each account's new leaf: `None` deletes it; the storage root is set by its job.
        let mut leaves: Vec<(B256, Option<AccountState>)> = Vec::new();
        let mut jobs = Vec::new();
        for change in &changes.accounts {
            let hashed = keccak256(change.address);
            let Some(info) = change.info else {
                self.pending.delete(Table::FlatAccounts, hashed.to_vec());
                self.delete_flat_storage(&hashed)?;
                leaves.push((hashed, None));
                continue;
            };
            let current = self.flat_account(&hashed)?;
            let mut storage_root = current.map_or(EMPTY_TRIE_ROOT, |a| a.storage_root);
            if change.storage_cleared {
                storage_root = EMPTY_TRIE_ROOT;
                self.delete_flat_storage(&hashed)?;
            }
            if !change.storage.is_empty() {
                for (slot, value) in &change.storage {
                    let flat_key = flat_storage_key(&hashed, &hashed_slot(slot)).to_vec();
                    if value.is_zero() {
                        self.pending.delete(Table::FlatStorage, flat_key);
                    } else {
                        let encoded = alloy_rlp::encode(value);
                        self.pending.put(Table::FlatStorage, flat_key, encoded);
                    }
                }
                jobs.push(StorageJob {
                    leaf: leaves.len(),
                    hashed,
                    root: storage_root,
                    storage: &change.storage,
                });
            }
            if let Some(code) = &change.code
                && !code.is_empty()
            {
                let key = info.code_hash.to_vec();
                self.pending.put(Table::AccountCodes, key, code.to_vec());
            }
            let account = AccountState {
                nonce: info.nonce,
                balance: info.balance,
                storage_root,
                code_hash: info.code_hash,
            };
            leaves.push((hashed, Some(account)));
        }
        for (job, root) in jobs.iter().zip(self.storage_roots(&jobs)?) {
            if let Some((_, Some(account))) = leaves.get_mut(job.leaf) {
                account.storage_root = root;
            }
        }
        let updates: Vec<_> = leaves
            .into_iter()
            .map(|(hashed, leaf)| {
                let encoded = leaf.map(alloy_rlp::encode);
                if let Some(encoded) = &encoded {
                    let key = hashed.to_vec();
                    self.pending.put(Table::FlatAccounts, key, encoded.clone());
                }
                (hashed, encoded)
            })
            .collect();
        let mut accounts = Trie::open(self.trie_db(TrieOwner::Accounts), self.root);
        self.root = accounts.commit_batch(updates)?;
        Ok(self.root)
    }

    /// The account's current state, from the flat table (pending writes first).
    fn flat_account(&self, hashed: &B256) -> Result<Option<AccountState>> {
        self.view
            .get(Table::FlatAccounts, hashed.as_slice())?
            .map(|bytes| codec::rlp(Table::FlatAccounts, hashed.as_slice(), &bytes))
            .transpose()
    }

    /// The new root of each job's storage trie; the tries are independent, so with enough work
    /// they are updated on several threads.
    fn storage_roots(&self, jobs: &[StorageJob<'_>]) -> Result<Vec<B256>> {
        let slots: usize = jobs.iter().map(|job| job.storage.len()).sum();
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(jobs.len());
        if threads < 2 || slots < PARALLEL_MIN_SLOTS {
            return jobs.iter().map(|job| self.storage_root(job)).collect();
        }
        let mut roots = vec![B256::ZERO; jobs.len()];
        std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads)
                .map(|worker| {
                    scope.spawn(move || {
                        jobs.iter()
                            .enumerate()
                            .skip(worker)
                            .step_by(threads)
                            .map(|(i, job)| Ok((i, self.storage_root(job)?)))
                            .collect::<Result<Vec<_>>>()
                    })
                })
                .collect();
            for worker in workers {
                let done = worker
                    .join()
                    .map_err(|_| StoreError::Backend("a storage trie worker panicked".into()))??;
                for (i, root) in done {
                    roots[i] = root;
                }
            }
            Ok(roots)
        })
    }

    /// Applies one job's slots to its storage trie and returns the new root (a contract with
    /// many changed slots, such as a busy token, has its root subtries updated in parallel too).
    fn storage_root(&self, job: &StorageJob<'_>) -> Result<B256> {
        let owner = TrieOwner::Storage(job.hashed);
        let mut storage = Trie::open(self.trie_db(owner), job.root);
        let updates = job.storage.iter().map(|(slot, value)| {
            let value = (!value.is_zero()).then(|| alloy_rlp::encode(value));
            (hashed_slot(slot), value)
        });
        Ok(storage.commit_batch(updates)?)
    }

    /// The writes of every change applied. Readers still alive fail from now on.
    pub fn finish(self) -> StateUpdate {
        StateUpdate {
            root: self.root,
            parent: self.parent,
            writes: self.pending.take(),
        }
    }

    fn trie_db(&self, owner: TrieOwner) -> Arc<StoreTrieDb> {
        Arc::new(StoreTrieDb::new(self.view.clone(), owner))
    }

    /// Deletes every flat slot of the account in this state (its storage trie's nodes stay:
    /// they are unreachable from the new, empty root, and overwritten as the storage grows).
    fn delete_flat_storage(&self, hashed: &B256) -> Result<()> {
        for key in self
            .view
            .keys_with_prefix(Table::FlatStorage, hashed.as_slice())?
        {
            self.pending.delete(Table::FlatStorage, key);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::ops::ControlFlow;

    use alloy_primitives::{Bytes, U256};
    use ethrex_common::state::{AccountChange, Database, InMemoryDb, StateError};
    use ethrex_trie::TrieError;

    use super::*;
    use crate::test_utils::{
        Harness, Rng, address, assert_reader_matches, backend_tests, chain, random_changes, receipt,
    };

    fn reference_root(model: &InMemoryDb) -> B256 {
        let mut trie = Trie::new_in_memory();
        for (address, account) in &model.accounts {
            let mut storage = Trie::new_in_memory();
            for (slot, value) in &account.storage {
                storage
                    .insert(hashed_slot(slot).as_slice(), alloy_rlp::encode(value))
                    .unwrap();
            }
            let state = AccountState {
                nonce: account.info.nonce,
                balance: account.info.balance,
                storage_root: storage.root_hash(),
                code_hash: account.info.code_hash,
            };
            trie.insert(keccak256(address).as_slice(), alloy_rlp::encode(state))
                .unwrap();
        }
        trie.root_hash()
    }

    /// Applies `changes` on top of `root` in the store and in `model`, checks the new root
    /// against the model's reference root, commits, and returns the new root.
    fn apply_and_check(
        store: &Store,
        model: &mut InMemoryDb,
        root: B256,
        changes: &StateChanges,
        round: impl std::fmt::Display,
    ) -> B256 {
        let update = store.prepare_state_update(root, changes).unwrap();
        model.apply(changes);
        assert_eq!(
            update.root,
            reference_root(model),
            "root after round {round}"
        );
        let root = update.root;
        store.commit_state_update(update).unwrap();
        root
    }

    fn assert_store_matches(store: &Store, model: &InMemoryDb, root: B256) {
        assert_reader_matches(&store.state_at(root).unwrap(), model);
        let mut flat_slots = 0;
        store
            .backend()
            .for_each_from(Table::FlatStorage, &[], &mut |_, _| {
                flat_slots += 1;
                Ok(ControlFlow::Continue(()))
            })
            .unwrap();
        let model_slots: usize = model.accounts.values().map(|a| a.storage.len()).sum();
        assert_eq!(flat_slots, model_slots, "no stale flat storage entries");
    }

    fn state_updates_match_a_reference_model(h: &Harness) {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut model = InMemoryDb::default();
        let mut root = EMPTY_TRIE_ROOT;
        for round in 0..6 {
            let store = h.open();
            let changes = random_changes(&mut rng, &model);
            root = apply_and_check(&store, &mut model, root, &changes, round);
            assert_eq!(store.stored_state_root().unwrap(), root);
            assert_store_matches(&store, &model, root);
            // The store is dropped and reopened each round: state persists.
        }
    }

    fn uncommitted_update_changes_nothing(h: &Harness) {
        let store = h.open();
        let changes = random_changes(&mut Rng(7), &InMemoryDb::default());
        let update = store
            .prepare_state_update(EMPTY_TRIE_ROOT, &changes)
            .unwrap();
        assert_ne!(update.root, EMPTY_TRIE_ROOT);
        drop(update);
        assert_eq!(store.stored_state_root().unwrap(), EMPTY_TRIE_ROOT);
        for table in [
            Table::AccountTrieNodes,
            Table::StorageTrieNodes,
            Table::FlatAccounts,
            Table::FlatStorage,
            Table::AccountCodes,
        ] {
            assert!(store.backend().is_table_empty(table).unwrap(), "{table}");
        }
    }

    fn only_the_stored_state_can_be_read_or_updated(h: &Harness) {
        let store = h.open();
        let other = B256::repeat_byte(5);
        let err = store.state_at(other).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("state {other} is not available (the stored state is {EMPTY_TRIE_ROOT})")
        );
        let err = store
            .prepare_state_update(other, &StateChanges::default())
            .unwrap_err();
        assert!(matches!(err, StoreError::StateNotAvailable { .. }), "{err}");
    }

    fn blocks_and_state_commit_together_or_not_at_all(h: &Harness) {
        let store = h.open();
        let changes = random_changes(&mut Rng(11), &InMemoryDb::default());
        let blocks = chain(3, 0);

        let mut bad = blocks.clone();
        bad[2].1.push(receipt(1));
        let update = store
            .prepare_state_update(EMPTY_TRIE_ROOT, &changes)
            .unwrap();
        assert!(store.add_blocks_with_state(&bad, update).is_err());
        assert_eq!(store.stored_state_root().unwrap(), EMPTY_TRIE_ROOT);
        assert_eq!(store.canonical_hash(0).unwrap(), None);

        let update = store
            .prepare_state_update(EMPTY_TRIE_ROOT, &changes)
            .unwrap();
        let root = update.root;
        let mut blocks = blocks;
        blocks[2].0.header.state_root = root;
        store.add_blocks_with_state(&blocks, update).unwrap();
        assert_eq!(
            store.stored_state_root().unwrap(),
            EMPTY_TRIE_ROOT,
            "the new state is a diff layer"
        );
        assert_eq!(store.diff_layer_count(), 1);
        store.persist_state().unwrap();
        assert_eq!(store.stored_state_root().unwrap(), root);
        assert_eq!(store.diff_layer_count(), 0);
        let reader = store.state_at(root).unwrap();
        assert_eq!(
            reader.block_hash(2).unwrap(),
            blocks[2].0.header.hash_slow()
        );
        assert_eq!(
            reader.block_hash(3).unwrap_err(),
            StateError::MissingBlockHash(3)
        );
    }

    fn corrupt_flat_account_is_a_clear_state_error(h: &Harness) {
        let store = h.open();
        let addr = address(1);
        let mut batch = WriteBatch::new();
        batch.put(
            Table::FlatAccounts,
            keccak256(addr).as_slice(),
            vec![0xc2, 0x01],
        );
        store.backend().write(batch).unwrap();
        let reader = store.state_at(EMPTY_TRIE_ROOT).unwrap();
        let err = reader.account(&addr).unwrap_err();
        let key = alloy_primitives::hex::encode(keccak256(addr));
        let expected = format!("corrupt value in table flat_accounts at key 0x{key}: invalid RLP");
        assert!(
            matches!(&err, StateError::Corrupt(m) if m.starts_with(&expected)),
            "{err}"
        );
        let missing = B256::repeat_byte(3);
        assert_eq!(
            reader.code(&missing).unwrap_err(),
            StateError::MissingCode(missing)
        );
        assert_eq!(
            reader
                .code(&ethrex_common::constants::EMPTY_CODE_HASH)
                .unwrap(),
            Bytes::new()
        );
    }

    fn missing_trie_node_is_an_error_not_a_panic(h: &Harness) {
        let store = h.open();
        let changes = random_changes(&mut Rng(3), &InMemoryDb::default());
        let update = store
            .prepare_state_update(EMPTY_TRIE_ROOT, &changes)
            .unwrap();
        let root = update.root;
        store.commit_state_update(update).unwrap();
        let mut batch = WriteBatch::new();
        batch.delete(Table::AccountTrieNodes, Vec::new());
        store.backend().write(batch).unwrap();
        let reader = store.state_at(root).unwrap();
        let missing_node =
            |e: &StoreError| matches!(e, StoreError::Trie(TrieError::MissingNode { .. }));
        let err = reader.account_state_from_trie(&address(1)).unwrap_err();
        assert!(missing_node(&err), "{err}");
        let err = store.prepare_state_update(root, &changes).unwrap_err();
        assert!(missing_node(&err), "{err}");
        assert!(
            matches!(StateError::from(err), StateError::MissingTrieNode(_)),
            "a missing node reads as one through the Database trait"
        );
    }

    fn batched_updates_are_readable_before_one_commit(h: &Harness) {
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        let mut model = InMemoryDb::default();
        let store = h.open();
        let mut builder = store.state_builder(EMPTY_TRIE_ROOT).unwrap();
        for round in 0..8 {
            let changes = random_changes(&mut rng, &model);
            let root = builder.apply(&changes).unwrap();
            model.apply(&changes);
            assert_eq!(root, reference_root(&model), "root after block {round}");
            assert_eq!(builder.root(), root);
            assert_reader_matches(&builder.reader(), &model);
        }
        assert_eq!(
            store.stored_state_root().unwrap(),
            EMPTY_TRIE_ROOT,
            "nothing written yet"
        );
        assert!(store.backend().is_table_empty(Table::FlatAccounts).unwrap());

        let reader = builder.reader();
        let root = builder.root();
        let update = builder.finish();
        let err = reader.account(&address(1)).unwrap_err();
        assert!(err.to_string().contains("finished state builder"), "{err}");
        drop(reader);
        assert_eq!(update.root, root);
        store.commit_state_update(update).unwrap();
        drop(store);
        assert_store_matches(&h.open(), &model, root);
    }

    /// Blocks changing enough accounts, and one account's slots, that both tries are updated
    /// on several threads; the last leaves one account (the root branch collapses to a leaf).
    fn large_blocks_match_a_reference_model(h: &Harness) {
        let store = h.open();
        let mut model = InMemoryDb::default();
        let mut root = EMPTY_TRIE_ROOT;
        let kept: [fn(u64) -> bool; 3] = [|_| true, |i| i % 3 != 0, |i| i == 7];
        for (round, keep) in (0u64..).zip(kept) {
            let accounts = (0..300)
                .filter_map(|i| {
                    let address = address(i);
                    let existing = model.accounts.get(&address).map(|a| a.info);
                    if !keep(i) {
                        return existing.map(|_| AccountChange {
                            address,
                            info: None,
                            code: None,
                            storage_cleared: false,
                            storage: vec![],
                        });
                    }
                    let mut info = existing.unwrap_or_default();
                    info.nonce += 1;
                    let slots = if i == 7 { 200 } else { 2 };
                    let storage = (0..slots)
                        .map(|s| (U256::from(s), U256::from((s + round) % 3)))
                        .collect();
                    Some(AccountChange {
                        address,
                        info: Some(info),
                        code: None,
                        storage_cleared: false,
                        storage,
                    })
                })
                .collect();
            let changes = StateChanges { accounts };
            root = apply_and_check(&store, &mut model, root, &changes, round);
            assert_store_matches(&store, &model, root);
        }
    }

    backend_tests!(
        large_blocks_match_a_reference_model,
        batched_updates_are_readable_before_one_commit,
        state_updates_match_a_reference_model,
        uncommitted_update_changes_nothing,
        only_the_stored_state_can_be_read_or_updated,
        blocks_and_state_commit_together_or_not_at_all,
        corrupt_flat_account_is_a_clear_state_error,
        missing_trie_node_is_an_error_not_a_panic,
    );
}
