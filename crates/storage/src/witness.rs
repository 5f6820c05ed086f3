//! Recording the trie nodes of a state that a [`StateBuilder`] reads, for execution witnesses:
//! [`Store::recording_state_builder`] opens a builder on a parent state whose every read of an
//! account-trie or storage-trie node *of the parent state* (from the diff layers or the disk,
//! not from the builder's own pending writes) lands in a shared [`NodeRecorder`].
//!
//! Applying a block's changes reads the nodes on the path to every changed account and slot,
//! and, where a removal collapses a branch, the sibling left behind: the recorded nodes are what
//! a stateless verifier needs to recompute the new state root. Nodes embedded in their parent
//! (shorter than 32 bytes) are not stored on their own, so they come within their parent.

use std::sync::{Arc, Mutex, PoisonError};

use alloy_primitives::B256;
use ethrex_trie::NodeSet;

use crate::{Result, StateBuilder, Store};

/// The trie nodes read so far, shared by the builders and readers that record into it.
#[derive(Debug, Default)]
pub struct NodeRecorder {
    nodes: Mutex<NodeSet>,
}

impl NodeRecorder {
    pub(crate) fn record(&self, rlp: &[u8]) {
        self.lock().insert(rlp.to_vec());
    }

    /// The nodes recorded so far (the recorder is left empty).
    pub fn take(&self) -> NodeSet {
        std::mem::take(&mut *self.lock())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, NodeSet> {
        // Each insert is independent: a panic elsewhere cannot leave the set inconsistent.
        self.nodes.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Store {
    /// [`Store::state_builder`] on the state of `parent_root`, recording into `recorder` every
    /// trie node of that state it reads. Dropping the builder unfinished writes nothing.
    pub fn recording_state_builder(
        &self,
        parent_root: B256,
        recorder: Arc<NodeRecorder>,
    ) -> Result<StateBuilder> {
        self.state_builder_with(parent_root, Some(recorder))
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::keccak256;
    use alloy_rlp::Decodable;
    use ethrex_common::state::{InMemoryDb, StateChanges};
    use ethrex_common::types::AccountState;
    use ethrex_trie::{EMPTY_TRIE_ROOT, Trie};

    use super::*;
    use crate::{
        tables::Table,
        test_utils::{Rng, random_changes},
    };

    /// The root after `changes`, computed with only the nodes of `witness` (an independent,
    /// minimal re-implementation of the builder's merkleization).
    fn root_from_witness(parent_root: B256, witness: &NodeSet, changes: &StateChanges) -> B256 {
        let open = |root| Trie::open(Arc::new(witness.trie_db(root).unwrap()), root);
        let mut accounts = open(parent_root);
        for change in &changes.accounts {
            let key = keccak256(change.address);
            let Some(info) = change.info else {
                accounts.remove(key.as_slice()).unwrap();
                continue;
            };
            let current = accounts
                .get(key.as_slice())
                .unwrap()
                .map(|rlp| AccountState::decode(&mut rlp.as_slice()).unwrap());
            let mut storage_root = current.map_or(EMPTY_TRIE_ROOT, |a| a.storage_root);
            if change.storage_cleared {
                storage_root = EMPTY_TRIE_ROOT;
            }
            let mut storage = open(storage_root);
            for (slot, value) in &change.storage {
                let slot = keccak256(slot.to_be_bytes::<32>());
                if value.is_zero() {
                    storage.remove(slot.as_slice()).unwrap();
                } else {
                    storage
                        .insert(slot.as_slice(), alloy_rlp::encode(value))
                        .unwrap();
                }
            }
            let account = AccountState {
                nonce: info.nonce,
                balance: info.balance,
                storage_root: storage.root_hash(),
                code_hash: info.code_hash,
            };
            accounts
                .insert(key.as_slice(), alloy_rlp::encode(account))
                .unwrap();
        }
        accounts.root_hash()
    }

    #[test]
    fn recorded_nodes_suffice_to_recompute_the_root_of_random_changes() {
        let store = Store::in_memory();
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        let mut model = InMemoryDb::default();
        let mut root = store.stored_state_root().unwrap();
        for round in 0..8 {
            let changes = random_changes(&mut rng, &model);
            let recorder = Arc::new(NodeRecorder::default());
            let mut builder = store
                .recording_state_builder(root, Arc::clone(&recorder))
                .unwrap();
            let expected = builder.apply(&changes).unwrap();
            let witness = recorder.take();
            assert_eq!(
                root_from_witness(root, &witness, &changes),
                expected,
                "round {round}"
            );
            store.commit_state_update(builder.finish()).unwrap();
            model.apply(&changes);
            root = expected;
        }
    }

    #[test]
    fn only_nodes_of_the_parent_state_are_recorded() {
        let store = Store::in_memory();
        let mut rng = Rng(7);
        let mut model = InMemoryDb::default();
        let changes = random_changes(&mut rng, &model);
        model.apply(&changes);
        let empty = store.stored_state_root().unwrap();
        let update = store.prepare_state_update(empty, &changes).unwrap();
        let parent = update.root;
        store.commit_state_update(update).unwrap();
        let mut stored = std::collections::HashSet::new();
        for table in [Table::AccountTrieNodes, Table::StorageTrieNodes] {
            store
                .backend
                .for_each_with_prefix(table, &[], &mut |_, node| {
                    stored.insert(node.to_vec());
                    Ok(std::ops::ControlFlow::Continue(()))
                })
                .unwrap();
        }
        let recorder = Arc::new(NodeRecorder::default());
        let mut builder = store
            .recording_state_builder(parent, Arc::clone(&recorder))
            .unwrap();
        // The second apply reads nodes the first wrote: those are not the parent's.
        let first = random_changes(&mut rng, &model);
        builder.apply(&first).unwrap();
        model.apply(&first);
        builder.apply(&random_changes(&mut rng, &model)).unwrap();
        let recorded = recorder.take();
        assert!(!recorded.is_empty());
        for node in recorded.into_sorted_vec() {
            assert!(
                stored.contains(&node),
                "recorded a node not of the parent state"
            );
        }
    }
}
