//! Execution witnesses ([`ExecutionWitness`], reth's format, served by `debug_executionWitness`):
//! everything a stateless verifier needs to re-execute a stored block over its parent's state,
//! built by [`Blockchain::execution_witness`]; `stateless.rs` is the verifier.
//!
//! How it is built: the block is executed again over its parent's state (which the store must
//! still hold: a recent block) through a [`Database`] that records every account, slot, code and
//! block hash the VM reads; its changes are merkleized again by a state builder that records
//! every trie node of the parent state it reads ([`NodeRecorder`]), and so are the intermediate
//! roots of pre-Byzantium receipts. Then the Merkle proof of every touched account and slot (read
//! or written, present or absent) is added.
//!
//! What it guarantees, for the parent's state root:
//! - `state` holds the nodes on the path to every touched account and slot (so each resolves,
//!   or is proven absent, from the witness alone) and every node the new state root's
//!   computation reads, including the siblings a removal collapses into their parent;
//! - `codes` holds every bytecode the execution loads;
//! - `keys` lists each touched address (20 bytes) followed by its touched slots (32 bytes),
//!   addresses in ascending order, each address's slots in ascending order;
//! - `headers` holds the RLP headers from the oldest block `BLOCKHASH` asked for up to the
//!   parent, ascending (at least the parent).
//!
//! Ommers are not covered: the pre-merge ommer rules need ancestor blocks, not in the format.

use std::{
    collections::{BTreeMap, BTreeSet, HashSet},
    sync::{Arc, Mutex, MutexGuard, PoisonError},
};

use alloy_primitives::{Address, B256, Bytes, U256};
use ethrex_common::{
    constants::EMPTY_CODE_HASH,
    state::{AccountInfo, Database, StateChanges, StateError},
    types::Block,
};
use ethrex_storage::{NodeRecorder, StoreError};
use ethrex_trie::NodeSet;

use crate::{
    BlockError, Blockchain, ChainError,
    exec_db::{Ancestry, exec_db},
    execute_block_with_rules,
};

/// What a stateless verifier needs to re-execute a block (see the module docs); every item is
/// a byte string (hex in JSON).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecutionWitness {
    /// RLP of trie nodes of the parent state (account trie and storage tries).
    pub state: Vec<Bytes>,
    /// Bytecodes the execution loads.
    pub codes: Vec<Bytes>,
    /// Touched addresses, each followed by its touched storage slots.
    pub keys: Vec<Bytes>,
    /// RLP headers of the ancestors needed, ascending, the parent last.
    pub headers: Vec<Bytes>,
}

/// What the VM read while executing.
#[derive(Debug, Default)]
struct Accessed {
    /// Touched accounts and, for each, its touched slots.
    accounts: BTreeMap<Address, BTreeSet<U256>>,
    codes: BTreeMap<B256, Bytes>,
    /// The oldest block whose hash was asked for.
    oldest_block: Option<u64>,
}

/// A [`Database`] that records what is read through it.
struct RecordingDb<'a> {
    inner: &'a dyn Database,
    accessed: Mutex<Accessed>,
}

impl RecordingDb<'_> {
    fn accessed(&self) -> MutexGuard<'_, Accessed> {
        // Each record is independent: a panic elsewhere cannot leave the sets inconsistent.
        self.accessed.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Database for RecordingDb<'_> {
    fn account(&self, address: &Address) -> Result<Option<AccountInfo>, StateError> {
        self.accessed().accounts.entry(*address).or_default();
        self.inner.account(address)
    }

    fn storage(&self, address: &Address, slot: &U256) -> Result<U256, StateError> {
        self.accessed()
            .accounts
            .entry(*address)
            .or_default()
            .insert(*slot);
        self.inner.storage(address, slot)
    }

    fn code(&self, code_hash: &B256) -> Result<Bytes, StateError> {
        let code = self.inner.code(code_hash)?;
        if *code_hash != EMPTY_CODE_HASH {
            self.accessed().codes.insert(*code_hash, code.clone());
        }
        Ok(code)
    }

    fn block_hash(&self, number: u64) -> Result<B256, StateError> {
        let mut accessed = self.accessed();
        accessed.oldest_block = Some(accessed.oldest_block.map_or(number, |n| n.min(number)));
        drop(accessed);
        self.inner.block_hash(number)
    }

    fn has_storage(&self, address: &Address) -> Result<bool, StateError> {
        self.accessed().accounts.entry(*address).or_default();
        self.inner.has_storage(address)
    }

    fn has_storage_besides(
        &self,
        address: &Address,
        zeroed: &HashSet<U256>,
    ) -> Result<bool, StateError> {
        self.accessed().accounts.entry(*address).or_default();
        self.inner.has_storage_besides(address, zeroed)
    }
}

impl Blockchain {
    /// The execution witness of the stored `block` (see the module docs). Fails with
    /// [`ChainError::ParentStateUnavailable`] when the parent's state is no longer held.
    pub fn execution_witness(&self, block: &Block) -> Result<ExecutionWitness, ChainError> {
        let header = &block.header;
        let store = self.store();
        let parent = self.parent_header(header)?;
        let base = self.parent_state(block, parent.state_root)?;
        let ancestry = Ancestry::of_parent(store, parent.number, header.parent_hash);
        let exec_db = exec_db(&base, &[], ancestry);
        let db = RecordingDb {
            inner: &exec_db,
            accessed: Mutex::default(),
        };
        let recorder = Arc::new(NodeRecorder::default());
        let merkleize = |changes: &StateChanges| -> Result<B256, StoreError> {
            store
                .recording_state_builder(parent.state_root, Arc::clone(&recorder))?
                .apply(changes)
        };
        let root_after = |changes: &StateChanges| {
            merkleize(changes).map_err(|e| BlockError::StateRoot(e.to_string()))
        };
        let rules = self.rules_for(header)?;
        let outcome =
            execute_block_with_rules(self.config(), block, &parent, &db, &root_after, None, rules)
                .map_err(|source| ChainError::invalid_block(header, source))?;
        ChainError::check_state_root(header, merkleize(&outcome.changes)?)?;

        let mut accessed = std::mem::take(&mut *db.accessed());
        for change in &outcome.changes.accounts {
            let slots = accessed.accounts.entry(change.address).or_default();
            slots.extend(change.storage.iter().map(|(slot, _)| *slot));
        }
        let mut state = recorder.take();
        let mut keys = Vec::new();
        for (address, slots) in &accessed.accounts {
            state.extend(
                base.account_proof(address)?
                    .into_iter()
                    .map(Vec::from)
                    .collect(),
            );
            keys.push(Bytes::copy_from_slice(address.as_slice()));
            for slot in slots {
                let proof: NodeSet = base
                    .storage_proof(address, slot)?
                    .into_iter()
                    .map(Vec::from)
                    .collect();
                state.extend(proof);
                keys.push(Bytes::copy_from_slice(&slot.to_be_bytes::<32>()));
            }
        }

        let oldest = accessed
            .oldest_block
            .map_or(parent.number, |n| n.min(parent.number));
        let mut headers = vec![parent];
        while let Some(last) = headers.last()
            && last.number > oldest
        {
            let hash = last.parent_hash;
            let older = store
                .header_by_hash(&hash)?
                .ok_or(ChainError::Store(StoreError::BlockNotFound(hash)))?;
            headers.push(older);
        }
        headers.reverse();

        Ok(ExecutionWitness {
            state: state
                .into_sorted_vec()
                .into_iter()
                .map(Bytes::from)
                .collect(),
            codes: accessed.codes.into_values().collect(),
            keys,
            headers: headers
                .iter()
                .map(|h| Bytes::from(alloy_rlp::encode(h)))
                .collect(),
        })
    }
}
