//! What a block executes over ([`ExecDb`]): an [`Overlay`] of a held state of the store with the
//! changes of blocks executed since but not merkleized yet (one [`StateDiff`] layer each, the
//! import pipeline's), and the hashes and blocks of the block's own ancestors ([`Ancestry`]) for
//! `BLOCKHASH` and the ommer rules, which may be on a side branch or not stored yet.
//!
//! Guarantee: every read answers exactly what the state after the last diff holds (the store's
//! state lists an account's slots, so the EIP-7610 storage check subtracts the slots the diffs
//! zeroed).

use std::{collections::HashSet, sync::Arc};

use alloy_primitives::{Address, B256, Bytes, U256};
use ethrex_common::{
    state::{AccountInfo, Database, Overlay, StateDiff, StateError},
    types::Block,
};
use ethrex_storage::{StateReader, Store};
use ethrex_vm::VmError;

/// The ancestors of an executing block: `recent[i]` is the hash of block `first + i` (blocks of
/// the current batch, maybe not stored yet) and `recent_blocks[i]` that block; below them the
/// chain continues at `anchor` (number, hash), a stored block, walked back through the store.
#[derive(Clone, Copy)]
pub(crate) struct Ancestry<'a> {
    pub(crate) store: &'a Store,
    pub(crate) recent: &'a [B256],
    pub(crate) recent_blocks: &'a [Block],
    pub(crate) first: u64,
    pub(crate) anchor: (u64, B256),
}

impl Ancestry<'_> {
    /// The ancestry of a block whose parent (`number`, `hash`) is stored.
    pub(crate) fn of_parent(store: &Store, number: u64, hash: B256) -> Ancestry<'_> {
        Ancestry {
            store,
            recent: &[],
            recent_blocks: &[],
            first: number + 1,
            anchor: (number, hash),
        }
    }

    /// The block with this hash: one of the batch's, or a stored one (for the ommer rules).
    pub(crate) fn block(&self, hash: &B256) -> Result<Option<Block>, VmError> {
        if let Some(i) = self.recent.iter().position(|h| h == hash)
            && let Some(block) = self.recent_blocks.get(i)
        {
            return Ok(Some(block.clone()));
        }
        let block = self.store.block_by_hash(hash).map_err(StateError::from)?;
        Ok(block)
    }

    /// The hash of ancestor `number`.
    fn block_hash(&self, number: u64) -> Result<B256, StateError> {
        if let Some(i) = number.checked_sub(self.first)
            && let Some(hash) = self.recent.get(i as usize)
        {
            return Ok(*hash);
        }
        let (mut n, mut hash) = self.anchor;
        if number > n {
            // Not an ancestor of the executing block.
            return Err(StateError::MissingBlockHash(number));
        }
        let store = self.store;
        loop {
            if n == number {
                return Ok(hash);
            }
            // Once on the canonical chain, the canonical index answers directly.
            if store.canonical_hash(n)? == Some(hash) {
                return store
                    .canonical_hash(number)?
                    .ok_or(StateError::MissingBlockHash(number));
            }
            let header = store
                .header_by_hash(&hash)?
                .ok_or(StateError::MissingBlock(hash))?;
            hash = header.parent_hash;
            n -= 1;
        }
    }
}

/// A held state of the store that answers `BLOCKHASH` from the executing block's ancestry.
pub(crate) struct ExecBase<'a> {
    state: &'a StateReader,
    ancestry: Ancestry<'a>,
}

impl Database for ExecBase<'_> {
    fn account(&self, address: &Address) -> Result<Option<AccountInfo>, StateError> {
        self.state.account(address)
    }

    fn storage(&self, address: &Address, slot: &U256) -> Result<U256, StateError> {
        self.state.storage(address, slot)
    }

    fn code(&self, code_hash: &B256) -> Result<Bytes, StateError> {
        self.state.code(code_hash)
    }

    fn block_hash(&self, number: u64) -> Result<B256, StateError> {
        self.ancestry.block_hash(number)
    }

    fn has_storage(&self, address: &Address) -> Result<bool, StateError> {
        self.state.has_storage(address)
    }

    fn has_storage_besides(
        &self,
        address: &Address,
        zeroed: &HashSet<U256>,
    ) -> Result<bool, StateError> {
        self.state.has_storage_besides(address, zeroed)
    }
}

/// A state with the diffs of later blocks on top, and the executing block's ancestry.
pub(crate) type ExecDb<'a> = Overlay<ExecBase<'a>>;

/// The state `base` with `diffs` on top (oldest first), executing a block of `ancestry`.
pub(crate) fn exec_db<'a>(
    base: &'a StateReader,
    diffs: &[Arc<StateDiff>],
    ancestry: Ancestry<'a>,
) -> ExecDb<'a> {
    let base = ExecBase {
        state: base,
        ancestry,
    };
    Overlay::with_layers(base, diffs.to_vec())
}

#[cfg(test)]
mod tests {
    use ethrex_common::state::{AccountChange, StateChanges};

    use super::*;

    const A: Address = Address::repeat_byte(1);

    /// `A` with these slots set.
    fn set_slots(slots: &[(u64, u64)]) -> StateChanges {
        let info = AccountInfo {
            nonce: 1,
            ..Default::default()
        };
        let storage = slots.iter().map(|&(k, v)| (U256::from(k), U256::from(v)));
        StateChanges {
            accounts: vec![AccountChange {
                address: A,
                info: Some(info),
                code: None,
                storage_cleared: false,
                storage: storage.collect(),
            }],
        }
    }

    #[test]
    fn has_storage_scans_the_stores_slots_besides_those_the_diffs_zeroed() {
        let store = Store::in_memory();
        let empty = store.stored_state_root().unwrap();
        let update = store
            .prepare_state_update(empty, &set_slots(&[(1, 5), (2, 6)]))
            .unwrap();
        let root = update.root;
        store.commit_state_update(update).unwrap();
        let base = store.state_at(root).unwrap();
        let ancestry = Ancestry::of_parent(&store, 0, B256::ZERO);
        let diffs = |changes: &[StateChanges]| -> Vec<Arc<StateDiff>> {
            changes
                .iter()
                .map(|c| Arc::new(StateDiff::new(c)))
                .collect()
        };
        let zero_one = diffs(&[set_slots(&[(1, 0)])]);
        assert!(
            exec_db(&base, &zero_one, ancestry).has_storage(&A).unwrap(),
            "slot 2 is 6"
        );
        let zero_both = diffs(&[set_slots(&[(1, 0)]), set_slots(&[(2, 0)])]);
        let db = exec_db(&base, &zero_both, ancestry);
        assert!(!db.has_storage(&A).unwrap(), "both slots zeroed");
        assert_eq!(db.storage(&A, &U256::from(1)).unwrap(), U256::ZERO);
    }

    #[test]
    fn ancestry_finds_blocks_of_the_batch_then_of_the_store() {
        let store = Store::in_memory();
        let batch_block = ethrex_common::types::Block::default();
        let hash = batch_block.header.hash_slow();
        let ancestry = Ancestry {
            store: &store,
            recent: &[hash],
            recent_blocks: std::slice::from_ref(&batch_block),
            first: 0,
            anchor: (0, B256::ZERO),
        };
        assert_eq!(ancestry.block(&hash).unwrap().as_ref(), Some(&batch_block));
        assert_eq!(ancestry.block(&B256::repeat_byte(9)).unwrap(), None);
    }
}
