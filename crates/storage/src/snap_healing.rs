//! Snap healing's part of the staging area ([`SnapStaging`]): the healing queue and the writes
//! that repair staged leaves, so a restart continues healing where it stopped.
//!
//! The queue lives in the `misc` table: `snap:hq` ‖ 0 ‖ nibble path (a node of the account
//! trie) or `snap:hq` ‖ 1 ‖ hashed address ‖ nibble path (a node of that account's storage
//! trie) → the hash the node must have, one byte per nibble. A [`HealBatch`] gathers, for the
//! nodes of one answer, the leaves they put or delete, the tasks they finish and the children
//! they queue; [`SnapStaging::write_heal`] writes it as one atomic batch, so the queue never
//! claims a node whose leaves are not staged, nor loses a child of a node it dropped.

use std::ops::ControlFlow;

use alloy_primitives::{B256, Bytes, U256};
use ethrex_common::types::AccountState;
use ethrex_trie::Nibbles;

use crate::{
    Result, SnapStaging,
    backend::WriteBatch,
    snap_staging::{corrupt, key},
    tables::Table,
};

const QUEUE: &[u8] = b"snap:hq";
const ACCOUNT: &[u8] = b"snap:a";
const SLOT: &[u8] = b"snap:s";
const CODE: &[u8] = b"snap:c";

/// A node of the pivot's state that healing still has to check: `path` in the account trie
/// (`owner` `None`) or in the storage trie of `owner`, which must hash to `hash`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct HealTask {
    pub owner: Option<B256>,
    pub path: Nibbles,
    pub hash: B256,
}

fn task_key(owner: Option<B256>, path: &Nibbles) -> Vec<u8> {
    match owner {
        None => key(QUEUE, &[&[0], path.as_slice()]),
        Some(account) => key(QUEUE, &[&[1], account.as_slice(), path.as_slice()]),
    }
}

/// Healing's writes for one answer, applied together by [`SnapStaging::write_heal`].
#[derive(Debug, Default)]
pub struct HealBatch {
    batch: WriteBatch,
}

impl HealBatch {
    pub fn new() -> Self {
        Self::default()
    }

    /// Queues `task`.
    pub fn push_task(&mut self, task: &HealTask) {
        (self.batch).put(
            Table::Misc,
            task_key(task.owner, &task.path),
            task.hash.to_vec(),
        );
    }

    /// Takes `task` off the queue.
    pub fn finish_task(&mut self, task: &HealTask) {
        (self.batch).delete(Table::Misc, task_key(task.owner, &task.path));
    }

    /// Stages `account` (replacing what was staged for that hashed address).
    pub fn put_account(&mut self, hash: &B256, account: &AccountState) {
        (self.batch).put(
            Table::Misc,
            key(ACCOUNT, &[hash.as_slice()]),
            alloy_rlp::encode(account),
        );
    }

    /// Drops the staged account `hash`.
    pub fn delete_account(&mut self, hash: &B256) {
        (self.batch).delete(Table::Misc, key(ACCOUNT, &[hash.as_slice()]));
    }

    /// Stages slot `slot` of `account`.
    pub fn put_slot(&mut self, account: &B256, slot: &B256, value: &U256) {
        (self.batch).put(
            Table::Misc,
            key(SLOT, &[account.as_slice(), slot.as_slice()]),
            alloy_rlp::encode(value),
        );
    }

    /// Drops the staged slot `slot` of `account`.
    pub fn delete_slot(&mut self, account: &B256, slot: &B256) {
        (self.batch).delete(
            Table::Misc,
            key(SLOT, &[account.as_slice(), slot.as_slice()]),
        );
    }

    /// Stages `code` under `hash` (the caller checked the hash).
    pub fn put_code(&mut self, hash: &B256, code: &Bytes) {
        (self.batch).put(Table::Misc, key(CODE, &[hash.as_slice()]), code.to_vec());
    }

    /// Whether nothing was gathered.
    pub fn is_empty(&self) -> bool {
        self.batch.is_empty()
    }
}

impl SnapStaging {
    /// The healing queue, in key order (account-trie nodes first, by path).
    pub fn heal_queue(&self) -> Result<Vec<HealTask>> {
        let mut tasks = Vec::new();
        (self.store.backend).for_each_with_prefix(Table::Misc, QUEUE, &mut |k, v| {
            let rest = &k[QUEUE.len()..];
            let (owner, path) = match rest.split_first() {
                Some((0, path)) => (None, path),
                Some((1, rest)) if rest.len() >= 32 => {
                    (Some(B256::from_slice(&rest[..32])), &rest[32..])
                }
                _ => return Err(corrupt(k, "a healing task of no known trie")),
            };
            let path = Nibbles::from_nibbles(path)
                .ok_or_else(|| corrupt(k, "a healing task's path is not nibbles"))?;
            if v.len() != 32 {
                return Err(corrupt(k, "a healing task's hash is not 32 bytes"));
            }
            tasks.push(HealTask {
                owner,
                path,
                hash: B256::from_slice(v),
            });
            Ok(ControlFlow::Continue(()))
        })?;
        Ok(tasks)
    }

    /// Writes `batch` atomically.
    pub fn write_heal(&self, batch: HealBatch) -> Result<()> {
        self.store.backend.write(batch.batch)
    }

    /// A batch that empties the healing queue.
    pub(crate) fn heal_queue_clear_batch(&self) -> Result<WriteBatch> {
        let mut batch = WriteBatch::new();
        (self.store.backend).for_each_with_prefix(Table::Misc, QUEUE, &mut |key, _| {
            batch.delete(Table::Misc, key.to_vec());
            Ok(ControlFlow::Continue(()))
        })?;
        Ok(batch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Store;

    #[test]
    fn the_queue_and_the_leaf_repairs_land_together_and_a_new_pivot_empties_the_queue() {
        let store = Store::in_memory();
        let staging = store.snap_staging();
        staging
            .begin(B256::repeat_byte(1), B256::repeat_byte(2))
            .unwrap();
        let account = B256::repeat_byte(0x61);
        let root_task = HealTask {
            owner: None,
            path: Nibbles::default(),
            hash: B256::repeat_byte(3),
        };
        let storage_task = HealTask {
            owner: Some(account),
            path: Nibbles::from_nibbles(&[0xa, 0x3]).unwrap(),
            hash: B256::repeat_byte(4),
        };
        let mut batch = HealBatch::new();
        batch.push_task(&storage_task);
        batch.push_task(&root_task);
        let state = AccountState {
            nonce: 3,
            ..AccountState::default()
        };
        batch.put_account(&account, &state);
        batch.put_slot(&account, &B256::repeat_byte(5), &U256::from(9));
        batch.put_code(&B256::repeat_byte(6), &Bytes::from_static(&[0x60]));
        staging.write_heal(batch).unwrap();
        assert_eq!(
            staging.heal_queue().unwrap(),
            vec![root_task.clone(), storage_task.clone()]
        );
        let loaded = staging.load().unwrap();
        assert_eq!(loaded.accounts[&account], state);
        assert_eq!(
            loaded.storage[&account][&B256::repeat_byte(5)],
            U256::from(9)
        );
        assert_eq!(loaded.codes.len(), 1);

        let mut batch = HealBatch::new();
        batch.finish_task(&root_task);
        batch.delete_slot(&account, &B256::repeat_byte(5));
        batch.delete_account(&account);
        staging.write_heal(batch).unwrap();
        assert_eq!(staging.heal_queue().unwrap(), vec![storage_task]);
        let loaded = staging.load().unwrap();
        assert!(loaded.accounts.is_empty() && loaded.storage.is_empty());

        // The queue belongs to the pivot's root: another pivot empties it, keeping the leaves.
        staging
            .begin(B256::repeat_byte(7), B256::repeat_byte(8))
            .unwrap();
        assert!(staging.heal_queue().unwrap().is_empty());
        assert_eq!(staging.load().unwrap().codes.len(), 1);
    }
}
