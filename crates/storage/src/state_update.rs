//! Writing a state: a [`StateBuilder`] applies the VM's [`StateChanges`], block after block, to
//! the stored state's tries and flat tables as pending writes, computing each new root; the VM
//! can read the pending state through [`StateBuilder::reader`] (to execute the next block of a
//! batch). [`StateBuilder::finish`] yields the writes as a [`StateUpdate`], which the caller
//! commits alone ([`Store::commit_state_update`]) or in one batch with its blocks
//! ([`Store::add_blocks_with_state`]).
//!
//! Invariant: a builder starts from the stored state, and committing its update moves
//! [`ChainDataKey::StateRoot`] to the new root in the same batch as the nodes and flat entries.

use std::{ops::ControlFlow, sync::Arc};

use alloy_primitives::{B256, keccak256};
use ethrex_common::types::{AccountState, Block, Receipt};
use ethrex_trie::{EMPTY_TRIE_ROOT, Trie};
use ethrex_vm::StateChanges;

use crate::{
    Result, StateReader, Store, StoreError,
    backend::WriteBatch,
    blocks::Placement,
    codec,
    state::{flat_storage_key, hashed_slot},
    tables::{ChainDataKey, Table},
    trie_db::{PendingWrites, StoreTrieDb, TrieOwner},
};

/// The writes of a state transition, not yet committed.
#[derive(Debug)]
pub struct StateUpdate {
    /// Root of the state after the changes.
    pub root: B256,
    batch: WriteBatch,
}

impl StateUpdate {
    /// The update's writes (for a caller that commits them with others).
    pub(crate) fn into_batch(self) -> WriteBatch {
        self.batch
    }
}

/// State changes applied on top of the stored state, not yet committed.
#[derive(Debug)]
pub struct StateBuilder {
    store: Store,
    pending: Arc<PendingWrites>,
    root: B256,
}

impl Store {
    /// A builder of state changes on top of the stored state, whose root must be `parent_root`.
    pub fn state_builder(&self, parent_root: B256) -> Result<StateBuilder> {
        let stored = self.stored_state_root()?;
        if parent_root != stored {
            return Err(StoreError::StateNotAvailable {
                requested: parent_root,
                stored,
            });
        }
        Ok(StateBuilder {
            store: self.clone(),
            pending: Arc::new(PendingWrites::default()),
            root: parent_root,
        })
    }

    /// Applies one set of `changes` on top of the stored state of root `parent_root`, without
    /// writing anything yet ([`Store::state_builder`], one apply, finish).
    pub fn prepare_state_update(
        &self,
        parent_root: B256,
        changes: &StateChanges,
    ) -> Result<StateUpdate> {
        let mut builder = self.state_builder(parent_root)?;
        builder.apply(changes)?;
        Ok(builder.finish())
    }

    /// Commits a prepared state update.
    pub fn commit_state_update(&self, update: StateUpdate) -> Result<()> {
        self.backend.write(update.batch)
    }

    /// [`Store::add_blocks`] and [`Store::commit_state_update`] in one atomic write.
    pub fn add_blocks_with_state(
        &self,
        blocks: &[(Block, Vec<Receipt>)],
        update: StateUpdate,
    ) -> Result<()> {
        let mut batch = self.blocks_batch(blocks, Placement::Canonical)?;
        batch.extend(update.batch);
        self.backend.write(batch)
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
        StateReader::new(
            self.store.clone(),
            self.root,
            Some(Arc::clone(&self.pending)),
        )
    }

    /// Applies `changes` (one block's, or one transaction's) and returns the new state root.
    pub fn apply(&mut self, changes: &StateChanges) -> Result<B256> {
        let mut accounts = Trie::open(self.trie_db(TrieOwner::Accounts), self.root);
        for change in &changes.accounts {
            let hashed = keccak256(change.address);
            let current: Option<AccountState> = accounts
                .get(hashed.as_slice())?
                .map(|bytes| codec::rlp(Table::AccountTrieNodes, hashed.as_slice(), &bytes))
                .transpose()?;
            let Some(info) = change.info else {
                accounts.remove(hashed.as_slice())?;
                self.pending.delete(Table::FlatAccounts, hashed.to_vec());
                self.delete_flat_storage(&hashed)?;
                continue;
            };
            let mut storage_root = current.map_or(EMPTY_TRIE_ROOT, |a| a.storage_root);
            if change.storage_cleared {
                storage_root = EMPTY_TRIE_ROOT;
                self.delete_flat_storage(&hashed)?;
            }
            if !change.storage.is_empty() {
                let owner = TrieOwner::Storage(hashed);
                let mut storage = Trie::open(self.trie_db(owner), storage_root);
                for (slot, value) in &change.storage {
                    let slot_key = hashed_slot(slot);
                    let flat_key = flat_storage_key(&hashed, &slot_key).to_vec();
                    if value.is_zero() {
                        storage.remove(slot_key.as_slice())?;
                        self.pending.delete(Table::FlatStorage, flat_key);
                    } else {
                        let encoded = alloy_rlp::encode(value);
                        storage.insert(slot_key.as_slice(), encoded.clone())?;
                        self.pending.put(Table::FlatStorage, flat_key, encoded);
                    }
                }
                storage_root = storage.commit()?;
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
            let encoded = alloy_rlp::encode(account);
            accounts.insert(hashed.as_slice(), encoded.clone())?;
            self.pending
                .put(Table::FlatAccounts, hashed.to_vec(), encoded);
        }
        self.root = accounts.commit()?;
        Ok(self.root)
    }

    /// The writes of every change applied, with the new [`ChainDataKey::StateRoot`]. Readers
    /// still alive fail from now on.
    pub fn finish(self) -> StateUpdate {
        let mut batch = self.pending.take_batch();
        batch.put(
            Table::ChainData,
            ChainDataKey::StateRoot.key(),
            self.root.as_slice(),
        );
        StateUpdate {
            root: self.root,
            batch,
        }
    }

    fn trie_db(&self, owner: TrieOwner) -> Arc<StoreTrieDb> {
        let backend = Arc::clone(&self.store.backend);
        Arc::new(StoreTrieDb::with_pending(
            backend,
            owner,
            Arc::clone(&self.pending),
        ))
    }

    /// Deletes every flat slot of the account, stored or pending (its storage trie's nodes stay:
    /// they are unreachable from the new, empty root, and overwritten as the storage grows).
    fn delete_flat_storage(&self, hashed: &B256) -> Result<()> {
        let mut stored = Vec::new();
        self.store.backend.for_each_with_prefix(
            Table::FlatStorage,
            hashed.as_slice(),
            &mut |key, _| {
                stored.push(key.to_vec());
                Ok(ControlFlow::Continue(()))
            },
        )?;
        stored.extend(
            self.pending
                .keys_with_prefix(Table::FlatStorage, hashed.as_slice()),
        );
        for key in stored {
            self.pending.delete(Table::FlatStorage, key);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use alloy_primitives::{Address, Bytes, U256};
    use ethrex_vm::{AccountChange, Database, InMemoryDb};

    use super::*;
    use crate::test_utils::{Harness, backend_tests, chain, receipt};

    /// A deterministic pseudo-random sequence (xorshift).
    struct Rng(u64);
    impl Rng {
        fn next(&mut self, bound: u64) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0 % bound
        }
    }

    fn address(i: u64) -> Address {
        Address::left_padding_from(&i.to_be_bytes())
    }

    /// Random changes over accounts `0..40`: creations, updates, deletions, storage writes.
    fn random_changes(rng: &mut Rng, model: &InMemoryDb) -> StateChanges {
        let mut touched = BTreeSet::new();
        let mut accounts = Vec::new();
        for _ in 0..25 {
            let i = rng.next(40);
            if !touched.insert(i) {
                continue;
            }
            let addr = address(i);
            let exists = model.accounts.contains_key(&addr);
            if exists && rng.next(6) == 0 {
                accounts.push(AccountChange {
                    address: addr,
                    info: None,
                    code: None,
                    storage_cleared: false,
                    storage: vec![],
                });
                continue;
            }
            let code = (rng.next(3) == 0).then(|| Bytes::from(vec![0x60, i as u8, 0x00]));
            let mut info = model
                .accounts
                .get(&addr)
                .map(|a| a.info)
                .unwrap_or_default();
            info.nonce += 1;
            info.balance += U256::from(rng.next(1_000_000));
            if let Some(code) = &code {
                info.code_hash = keccak256(code);
            }
            let storage = (0..rng.next(8))
                .map(|_| (U256::from(rng.next(12)), U256::from(rng.next(4))))
                .collect::<std::collections::BTreeMap<_, _>>()
                .into_iter()
                .collect();
            let storage_cleared = exists && rng.next(8) == 0;
            accounts.push(AccountChange {
                address: addr,
                info: Some(info),
                code,
                storage_cleared,
                storage,
            });
        }
        StateChanges { accounts }
    }

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

    fn assert_reader_matches(reader: &StateReader, model: &InMemoryDb) {
        for i in 0..40 {
            let addr = address(i);
            let expected = model.accounts.get(&addr);
            assert_eq!(
                reader.account(&addr).unwrap(),
                expected.map(|a| a.info),
                "account {i}"
            );
            let from_trie = reader.account_state_from_trie(&addr).unwrap();
            assert_eq!(
                from_trie.map(|a| (a.nonce, a.balance, a.code_hash)),
                expected.map(|a| (a.info.nonce, a.info.balance, a.info.code_hash))
            );
            assert_eq!(
                reader.has_storage(&addr).unwrap(),
                expected.is_some_and(|a| !a.storage.is_empty()),
                "has_storage {i}"
            );
            for slot in 0..12u64 {
                let slot = U256::from(slot);
                let want = expected
                    .and_then(|a| a.storage.get(&slot).copied())
                    .unwrap_or_default();
                assert_eq!(
                    reader.storage(&addr, &slot).unwrap(),
                    want,
                    "account {i} slot {slot}"
                );
                assert_eq!(
                    reader.storage_value_from_trie(&addr, &slot).unwrap(),
                    want,
                    "trie: account {i} slot {slot}"
                );
            }
            if let Some(account) = expected {
                assert_eq!(
                    reader.code(&account.info.code_hash).unwrap(),
                    account.code,
                    "code of {i}"
                );
            }
        }
    }

    fn state_updates_match_a_reference_model(h: &Harness) {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut model = InMemoryDb::default();
        let mut root = EMPTY_TRIE_ROOT;
        for round in 0..6 {
            let store = h.open();
            let changes = random_changes(&mut rng, &model);
            let update = store.prepare_state_update(root, &changes).unwrap();
            model.apply(&changes);
            assert_eq!(
                update.root,
                reference_root(&model),
                "root after round {round}"
            );
            root = update.root;
            store.commit_state_update(update).unwrap();
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
        store.add_blocks_with_state(&blocks, update).unwrap();
        assert_eq!(store.stored_state_root().unwrap(), root);
        let reader = store.state_at(root).unwrap();
        assert_eq!(
            reader.block_hash(2).unwrap(),
            blocks[2].0.header.hash_slow()
        );
        let err = reader.block_hash(3).unwrap_err();
        assert_eq!(
            err.to_string(),
            "database error: canonical block #3 not found"
        );
    }

    fn corrupt_flat_account_is_a_clear_vm_error(h: &Harness) {
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
        let msg = reader.account(&addr).unwrap_err().to_string();
        let key = alloy_primitives::hex::encode(keccak256(addr));
        assert!(
            msg.starts_with(&format!(
                "database error: corrupt value in table flat_accounts at key 0x{key}: invalid RLP"
            )),
            "{msg}"
        );
        let msg = reader.code(&B256::repeat_byte(3)).unwrap_err().to_string();
        assert!(msg.contains("not found"), "{msg}");
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
        let err = reader.account_state_from_trie(&address(1)).unwrap_err();
        assert!(err.to_string().contains("missing"), "{err}");
        let err = store.prepare_state_update(root, &changes).unwrap_err();
        assert!(err.to_string().contains("missing"), "{err}");
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

    backend_tests!(
        batched_updates_are_readable_before_one_commit,
        state_updates_match_a_reference_model,
        uncommitted_update_changes_nothing,
        only_the_stored_state_can_be_read_or_updated,
        blocks_and_state_commit_together_or_not_at_all,
        corrupt_flat_account_is_a_clear_vm_error,
        missing_trie_node_is_an_error_not_a_panic,
    );
}
