//! What a block executes over ([`ExecDb`]): a held state of the store, the changes of blocks
//! executed since but not merkleized yet ([`BlockDiff`]s, the import pipeline's), and the hashes
//! and blocks of the block's own ancestors ([`Ancestry`]) for `BLOCKHASH` and the ommer rules,
//! which may be on a side branch or not stored yet.
//!
//! Guarantee: every read answers exactly what the state after the last diff holds.

use std::{collections::HashSet, sync::Arc};

use alloy_primitives::{Address, B256, Bytes, U256, map::HashMap};
use ethrex_common::types::Block;
use ethrex_storage::{StateReader, Store, StoreError};
use ethrex_vm::{AccountInfo, Database, StateChanges, VmError};

fn db_err(e: StoreError) -> VmError {
    VmError::Database(e.to_string())
}

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
        self.store.block_by_hash(hash).map_err(db_err)
    }

    /// The hash of ancestor `number`.
    fn block_hash(&self, number: u64) -> Result<B256, VmError> {
        if let Some(i) = number.checked_sub(self.first)
            && let Some(hash) = self.recent.get(i as usize)
        {
            return Ok(*hash);
        }
        let (mut n, mut hash) = self.anchor;
        if number > n {
            return Err(VmError::Database(format!(
                "block #{number} is not an ancestor of the executing block"
            )));
        }
        let store = self.store;
        loop {
            if n == number {
                return Ok(hash);
            }
            // Once on the canonical chain, the canonical index answers directly.
            if store.canonical_hash(n).map_err(db_err)? == Some(hash) {
                return store
                    .canonical_hash(number)
                    .map_err(db_err)?
                    .ok_or_else(|| {
                        VmError::Database(format!("canonical block #{number} missing"))
                    });
            }
            let header = store
                .header_by_hash(&hash)
                .map_err(db_err)?
                .ok_or_else(|| VmError::Database(format!("ancestor block {hash} missing")))?;
            hash = header.parent_hash;
            n -= 1;
        }
    }
}

/// One block's state changes, indexed for reads.
#[derive(Debug, Default)]
pub(crate) struct BlockDiff {
    accounts: HashMap<Address, DiffAccount>,
    codes: HashMap<B256, Bytes>,
}

#[derive(Debug)]
struct DiffAccount {
    /// `None`: the account was deleted.
    info: Option<AccountInfo>,
    storage_cleared: bool,
    storage: HashMap<U256, U256>,
}

impl BlockDiff {
    pub(crate) fn new(changes: &StateChanges) -> Self {
        let mut diff = BlockDiff::default();
        for change in &changes.accounts {
            if let (Some(info), Some(code)) = (&change.info, &change.code) {
                diff.codes.insert(info.code_hash, code.clone());
            }
            diff.accounts.insert(
                change.address,
                DiffAccount {
                    info: change.info,
                    storage_cleared: change.storage_cleared,
                    storage: change.storage.iter().copied().collect(),
                },
            );
        }
        diff
    }
}

/// A state (`base`) with the `diffs` of later blocks on top (oldest first), and the executing
/// block's ancestry.
pub(crate) struct ExecDb<'a> {
    pub(crate) base: &'a StateReader,
    pub(crate) diffs: &'a [Arc<BlockDiff>],
    pub(crate) ancestry: Ancestry<'a>,
}

impl ExecDb<'_> {
    fn newest<'d>(&'d self, address: &Address) -> impl Iterator<Item = &'d DiffAccount> {
        self.diffs
            .iter()
            .rev()
            .filter_map(move |diff| diff.accounts.get(address))
    }
}

impl Database for ExecDb<'_> {
    fn account(&self, address: &Address) -> Result<Option<AccountInfo>, VmError> {
        match self.newest(address).next() {
            Some(account) => Ok(account.info),
            None => self.base.account(address),
        }
    }

    fn storage(&self, address: &Address, slot: &U256) -> Result<U256, VmError> {
        for account in self.newest(address) {
            if account.info.is_none() {
                return Ok(U256::ZERO);
            }
            if let Some(value) = account.storage.get(slot) {
                return Ok(*value);
            }
            if account.storage_cleared {
                return Ok(U256::ZERO);
            }
        }
        self.base.storage(address, slot)
    }

    fn code(&self, code_hash: &B256) -> Result<Bytes, VmError> {
        for diff in self.diffs.iter().rev() {
            if let Some(code) = diff.codes.get(code_hash) {
                return Ok(code.clone());
            }
        }
        self.base.code(code_hash)
    }

    fn block_hash(&self, number: u64) -> Result<B256, VmError> {
        self.ancestry.block_hash(number)
    }

    fn has_storage(&self, address: &Address) -> Result<bool, VmError> {
        // Slots the diffs set to zero, newest first: older values of them no longer count.
        let mut zeroed = HashSet::new();
        for account in self.newest(address) {
            if account.info.is_none() {
                return Ok(false);
            }
            for (slot, value) in &account.storage {
                if zeroed.contains(slot) {
                    continue;
                }
                if !value.is_zero() {
                    return Ok(true);
                }
                zeroed.insert(*slot);
            }
            if account.storage_cleared {
                return Ok(false);
            }
        }
        if zeroed.is_empty() {
            return self.base.has_storage(address);
        }
        self.base
            .has_storage_besides(address, &zeroed)
            .map_err(db_err)
    }
}

#[cfg(test)]
mod tests {
    use ethrex_vm::AccountChange;

    use super::*;

    fn change(address: Address, storage: &[(u64, u64)], cleared: bool) -> AccountChange {
        AccountChange {
            address,
            info: Some(AccountInfo {
                nonce: 1,
                ..Default::default()
            }),
            code: None,
            storage_cleared: cleared,
            storage: storage
                .iter()
                .map(|(k, v)| (U256::from(*k), U256::from(*v)))
                .collect(),
        }
    }

    /// A store whose genesis state gives `address` slots 1 = 5 and 2 = 6.
    fn store_with_storage(address: Address) -> (Store, B256) {
        let store = Store::in_memory();
        let changes = StateChanges {
            accounts: vec![change(address, &[(1, 5), (2, 6)], false)],
        };
        let empty = store.stored_state_root().unwrap();
        let update = store.prepare_state_update(empty, &changes).unwrap();
        let root = update.root;
        store.commit_state_update(update).unwrap();
        (store, root)
    }

    #[test]
    fn diffs_answer_before_the_base_newest_first() {
        let a = Address::repeat_byte(1);
        let (store, root) = store_with_storage(a);
        let base = store.state_at(root).unwrap();
        let older = Arc::new(BlockDiff::new(&StateChanges {
            accounts: vec![change(a, &[(1, 7)], false)],
        }));
        let newer = Arc::new(BlockDiff::new(&StateChanges {
            accounts: vec![change(a, &[(2, 0)], false)],
        }));
        let diffs = [older, newer];
        let db = ExecDb {
            base: &base,
            diffs: &diffs,
            ancestry: Ancestry::of_parent(&store, 0, B256::ZERO),
        };
        assert_eq!(db.storage(&a, &U256::from(1)).unwrap(), U256::from(7));
        assert_eq!(db.storage(&a, &U256::from(2)).unwrap(), U256::ZERO);
        assert_eq!(db.storage(&a, &U256::from(3)).unwrap(), U256::ZERO);
        assert!(db.has_storage(&a).unwrap(), "slot 1 is 7");
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

    #[test]
    fn has_storage_sees_slots_zeroed_or_cleared_by_the_diffs() {
        let a = Address::repeat_byte(1);
        let (store, root) = store_with_storage(a);
        let base = store.state_at(root).unwrap();
        let ancestry = Ancestry::of_parent(&store, 0, B256::ZERO);
        let zero_both = [Arc::new(BlockDiff::new(&StateChanges {
            accounts: vec![change(a, &[(1, 0), (2, 0)], false)],
        }))];
        let db = ExecDb {
            base: &base,
            diffs: &zero_both,
            ancestry,
        };
        assert!(!db.has_storage(&a).unwrap(), "both slots zeroed");
        let zero_one = [Arc::new(BlockDiff::new(&StateChanges {
            accounts: vec![change(a, &[(1, 0)], false)],
        }))];
        let db = ExecDb {
            base: &base,
            diffs: &zero_one,
            ancestry,
        };
        assert!(db.has_storage(&a).unwrap(), "slot 2 is still 6");
        let cleared = [Arc::new(BlockDiff::new(&StateChanges {
            accounts: vec![change(a, &[], true)],
        }))];
        let db = ExecDb {
            base: &base,
            diffs: &cleared,
            ancestry,
        };
        assert!(!db.has_storage(&a).unwrap());
        assert_eq!(db.storage(&a, &U256::from(2)).unwrap(), U256::ZERO);
    }
}
