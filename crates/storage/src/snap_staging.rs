//! [`SnapStaging`]: where snap sync keeps what it downloaded of a pivot's state until the whole
//! state is there, so a restart resumes instead of starting over.
//!
//! Everything lives in the `misc` table under `snap:` keys: the pivot (`snap:pivot` → block hash
//! ‖ state root), accounts (`snap:a` ‖ hashed address → account RLP), each account slice's
//! progress (`snap:as` ‖ slice → next hashed address, or empty when done), slots
//! (`snap:s` ‖ account ‖ slot → value RLP), each storage's progress (`snap:ss` ‖ account → next
//! slot or empty when done) and codes (`snap:c` ‖ code hash → code). Each `put_*` is one atomic
//! write: the items and the progress marker that covers them land together, so a marker never
//! claims items that are not stored. Items are verified by the caller before they are staged.
//!
//! A new pivot ([`SnapStaging::begin`] with another block) keeps every staged item and marker:
//! ranges already done stay done, the rest continue against the new root. The area is then
//! *mixed* (`snap:m`): some items may be those of an older root, which healing (the queue of
//! `snap_healing.rs`, emptied by a new pivot) repairs before anything is installed.

use std::{collections::BTreeMap, ops::ControlFlow};

use alloy_primitives::{B256, Bytes, U256};
use alloy_rlp::Decodable;
use ethrex_common::types::AccountState;

use crate::{Result, Store, StoreError, SyncedState, backend::WriteBatch, tables::Table};

const PIVOT: &[u8] = b"snap:pivot";
const ACCOUNT: &[u8] = b"snap:a";
const ACCOUNT_SLICE: &[u8] = b"snap:as";
const SLOT: &[u8] = b"snap:s";
const STORAGE_DONE: &[u8] = b"snap:ss";
const CODE: &[u8] = b"snap:c";
const MIXED: &[u8] = b"snap:m";

/// How far a download got: not started, continuing from a key, or done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    NotStarted,
    From(B256),
    Done,
}

/// Snap sync's staging area in a [`Store`] (see the module docs).
#[derive(Debug, Clone)]
pub struct SnapStaging {
    pub(crate) store: Store,
}

pub(crate) fn key(prefix: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut key = prefix.to_vec();
    for part in parts {
        key.extend_from_slice(part);
    }
    key
}

pub(crate) fn corrupt(key: &[u8], reason: &str) -> StoreError {
    StoreError::Corrupt {
        table: Table::Misc,
        key: alloy_primitives::hex::encode(key),
        reason: reason.into(),
    }
}

fn progress(value: Option<Vec<u8>>, key: &[u8]) -> Result<Progress> {
    match value {
        None => Ok(Progress::NotStarted),
        Some(v) if v.is_empty() => Ok(Progress::Done),
        Some(v) if v.len() == 32 => Ok(Progress::From(B256::from_slice(&v))),
        Some(_) => Err(corrupt(
            key,
            "a snap progress marker is neither empty nor 32 bytes",
        )),
    }
}

fn marker(next: Option<B256>) -> Vec<u8> {
    next.map_or_else(Vec::new, |next| next.to_vec())
}

impl Store {
    /// Snap sync's staging area in this store.
    pub fn snap_staging(&self) -> SnapStaging {
        SnapStaging {
            store: self.clone(),
        }
    }
}

impl SnapStaging {
    /// The staged pivot: (block hash, state root).
    pub fn pivot(&self) -> Result<Option<(B256, B256)>> {
        match self.store.backend.get(Table::Misc, PIVOT)? {
            None => Ok(None),
            Some(v) if v.len() == 64 => Ok(Some((
                B256::from_slice(&v[..32]),
                B256::from_slice(&v[32..]),
            ))),
            Some(_) => Err(corrupt(PIVOT, "the staged pivot is not 64 bytes")),
        }
    }

    /// Stages the download of `root` (the state of block `hash`). Everything already staged is
    /// kept; when it was staged for another pivot, the area becomes mixed (see the module docs)
    /// and the healing queue, which belongs to the old root, is emptied.
    pub fn begin(&self, hash: B256, root: B256) -> Result<()> {
        let previous = self.pivot()?;
        if previous == Some((hash, root)) {
            return Ok(());
        }
        let mut batch = self.heal_queue_clear_batch()?;
        if previous.is_some() {
            batch.put(Table::Misc, MIXED, Vec::new());
        }
        batch.put(
            Table::Misc,
            PIVOT,
            [hash.as_slice(), root.as_slice()].concat(),
        );
        self.store.backend.write(batch)
    }

    /// Whether some staged items may belong to an older pivot's root (see the module docs).
    pub fn is_mixed(&self) -> Result<bool> {
        Ok(self.store.backend.get(Table::Misc, MIXED)?.is_some())
    }

    /// Empties the staging area.
    pub fn clear(&self) -> Result<()> {
        let batch = self.clear_batch()?;
        self.store.backend.write(batch)
    }

    fn clear_batch(&self) -> Result<WriteBatch> {
        let mut batch = WriteBatch::new();
        self.store
            .backend
            .for_each_with_prefix(Table::Misc, b"snap:", &mut |key, _| {
                batch.delete(Table::Misc, key.to_vec());
                Ok(ControlFlow::Continue(()))
            })?;
        Ok(batch)
    }

    /// How far account slice `slice` got.
    pub fn slice_progress(&self, slice: u8) -> Result<Progress> {
        let key = key(ACCOUNT_SLICE, &[&[slice]]);
        progress(self.store.backend.get(Table::Misc, &key)?, &key)
    }

    /// Stages `accounts` of slice `slice`, which continues from `next` (`None`: done).
    pub fn put_accounts(
        &self,
        slice: u8,
        accounts: &[(B256, AccountState)],
        next: Option<B256>,
    ) -> Result<()> {
        let mut batch = WriteBatch::new();
        for (hash, account) in accounts {
            batch.put(
                Table::Misc,
                key(ACCOUNT, &[hash.as_slice()]),
                alloy_rlp::encode(account),
            );
        }
        batch.put(Table::Misc, key(ACCOUNT_SLICE, &[&[slice]]), marker(next));
        self.store.backend.write(batch)
    }

    /// How far the storage of `account` got.
    pub fn storage_progress(&self, account: &B256) -> Result<Progress> {
        let key = key(STORAGE_DONE, &[account.as_slice()]);
        progress(self.store.backend.get(Table::Misc, &key)?, &key)
    }

    /// Stages `slots` of `account`'s storage, which continues from `next` (`None`: done).
    pub fn put_storage(
        &self,
        account: &B256,
        slots: &[(B256, U256)],
        next: Option<B256>,
    ) -> Result<()> {
        let mut batch = WriteBatch::new();
        for (slot, value) in slots {
            batch.put(
                Table::Misc,
                key(SLOT, &[account.as_slice(), slot.as_slice()]),
                alloy_rlp::encode(value),
            );
        }
        batch.put(
            Table::Misc,
            key(STORAGE_DONE, &[account.as_slice()]),
            marker(next),
        );
        self.store.backend.write(batch)
    }

    /// Stages `codes` (by their hash).
    pub fn put_codes(&self, codes: &[(B256, Bytes)]) -> Result<()> {
        let mut batch = WriteBatch::new();
        for (hash, code) in codes {
            batch.put(Table::Misc, key(CODE, &[hash.as_slice()]), code.to_vec());
        }
        self.store.backend.write(batch)
    }

    /// Everything staged, as a state.
    pub fn load(&self) -> Result<SyncedState> {
        let mut state = SyncedState::default();
        let backend = &self.store.backend;
        backend.for_each_with_prefix(Table::Misc, ACCOUNT, &mut |k, v| {
            // `snap:as` markers share the prefix; accounts are exactly 32 bytes after it (a
            // marker is one byte after its longer prefix).
            if k.len() == ACCOUNT.len() + 32 {
                let account = AccountState::decode(&mut &v[..])
                    .map_err(|e| corrupt(k, &format!("staged account: {e}")))?;
                state
                    .accounts
                    .insert(B256::from_slice(&k[ACCOUNT.len()..]), account);
            }
            Ok(ControlFlow::Continue(()))
        })?;
        backend.for_each_with_prefix(Table::Misc, SLOT, &mut |k, v| {
            if k.len() == SLOT.len() + 64 {
                let value = U256::decode(&mut &v[..])
                    .map_err(|e| corrupt(k, &format!("staged slot: {e}")))?;
                let account = B256::from_slice(&k[SLOT.len()..SLOT.len() + 32]);
                let slot = B256::from_slice(&k[SLOT.len() + 32..]);
                state
                    .storage
                    .entry(account)
                    .or_insert_with(BTreeMap::new)
                    .insert(slot, value);
            }
            Ok(ControlFlow::Continue(()))
        })?;
        backend.for_each_with_prefix(Table::Misc, CODE, &mut |k, v| {
            if k.len() == CODE.len() + 32 {
                state.codes.insert(
                    B256::from_slice(&k[CODE.len()..]),
                    Bytes::copy_from_slice(v),
                );
            }
            Ok(ControlFlow::Continue(()))
        })?;
        Ok(state)
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::b256;

    use super::*;

    #[test]
    fn staged_items_and_markers_survive_until_cleared_or_another_pivot_begins() {
        let store = Store::in_memory();
        let staging = store.snap_staging();
        let (hash, root) = (B256::repeat_byte(1), B256::repeat_byte(2));
        assert_eq!(staging.pivot().unwrap(), None);
        staging.begin(hash, root).unwrap();
        assert_eq!(staging.pivot().unwrap(), Some((hash, root)));
        assert_eq!(staging.slice_progress(3).unwrap(), Progress::NotStarted);
        let account = AccountState {
            nonce: 1,
            ..AccountState::default()
        };
        // An address hash starting with 's' (0x73): its key starts like a slice marker's.
        let a = b256!("0x7300000000000000000000000000000000000000000000000000000000000001");
        let next = B256::repeat_byte(0x31);
        staging
            .put_accounts(3, &[(a, account)], Some(next))
            .unwrap();
        assert_eq!(staging.slice_progress(3).unwrap(), Progress::From(next));
        staging.put_accounts(4, &[], None).unwrap();
        assert_eq!(staging.slice_progress(4).unwrap(), Progress::Done);
        staging
            .put_storage(&a, &[(B256::repeat_byte(9), U256::from(7))], None)
            .unwrap();
        assert_eq!(staging.storage_progress(&a).unwrap(), Progress::Done);
        staging
            .put_codes(&[(B256::repeat_byte(5), Bytes::from(vec![0x60]))])
            .unwrap();
        let loaded = staging.load().unwrap();
        assert_eq!(loaded.accounts.get(&a), Some(&account));
        assert_eq!(loaded.accounts.len(), 1, "markers are not accounts");
        assert_eq!(loaded.storage[&a][&B256::repeat_byte(9)], U256::from(7));
        assert_eq!(loaded.storage.len(), 1, "markers are not slots");
        assert_eq!(loaded.codes.len(), 1);
        // The same pivot again keeps everything, and so does another one (the area is then
        // mixed); clearing empties it.
        staging.begin(hash, root).unwrap();
        assert_eq!(staging.load().unwrap(), loaded);
        assert!(!staging.is_mixed().unwrap());
        staging.begin(B256::repeat_byte(7), root).unwrap();
        assert_eq!(staging.load().unwrap(), loaded);
        assert!(staging.is_mixed().unwrap());
        assert_eq!(staging.slice_progress(3).unwrap(), Progress::From(next));
        staging.clear().unwrap();
        assert_eq!(staging.pivot().unwrap(), None);
        assert_eq!(staging.load().unwrap(), SyncedState::default());
        assert!(!staging.is_mixed().unwrap());
    }
}
