//! [`Store::install_synced_state`]: a state downloaded by snap sync becomes the node's state.
//!
//! Snap sync delivers a state as leaves keyed by hash (accounts by hashed address, slots by
//! hashed slot), not as changes by address, so it cannot go through the state builder. Here the
//! tries are rebuilt from the leaves (each storage trie checked against its account's storage
//! root, the account trie against the pivot's state root), and in ONE atomic write: the old
//! state's trie-node and flat tables are emptied, the new nodes (keyed by path), flat entries and
//! codes written, the chain up to the pivot stored as canonical with the pivot as head, and the
//! held-state root set. The diff layers (states of the old chain) are dropped after the write.
//!
//! Guarantees: nothing is written unless every root checks; after the write the store holds
//! exactly the downloaded state, readable through every existing path (flat tables, tries,
//! snap serving). Memory: the whole state is held while it is written.

use std::{collections::BTreeMap, sync::Arc, sync::Mutex};

use alloy_primitives::{B256, Bytes, U256};
use ethrex_common::types::{AccountState, Block, Receipt};
use ethrex_trie::{EMPTY_TRIE_ROOT, Nibbles, Trie, TrieDB};

use crate::{
    Result, Store, StoreError,
    backend::WriteBatch,
    blocks::Placement,
    tables::{ChainDataKey, Table},
    trie_db::TrieOwner,
};

/// A state as snap sync downloads it: every account with its storage slots and the codes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncedState {
    /// Hashed address → account.
    pub accounts: BTreeMap<B256, AccountState>,
    /// Hashed address → hashed slot → value (no zero values).
    pub storage: BTreeMap<B256, BTreeMap<B256, U256>>,
    /// Code hash → code.
    pub codes: BTreeMap<B256, Bytes>,
}

/// A [`TrieDB`] that only collects what a commit writes.
#[derive(Default)]
struct Collector(Mutex<Vec<(Nibbles, Vec<u8>)>>);

impl TrieDB for Collector {
    fn get(&self, _path: &Nibbles) -> ethrex_trie::Result<Option<Vec<u8>>> {
        Ok(None)
    }

    fn put_batch(&self, nodes: Vec<(Nibbles, Vec<u8>)>) -> ethrex_trie::Result<()> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend(nodes);
        Ok(())
    }
}

/// A trie's nodes by path.
type Nodes = Vec<(Nibbles, Vec<u8>)>;

/// The root of the trie of `leaves` and its nodes by path.
fn build_trie(leaves: impl Iterator<Item = (B256, Vec<u8>)>) -> Result<(B256, Nodes)> {
    let collector = Arc::new(Collector::default());
    let mut trie = Trie::open(Arc::clone(&collector) as Arc<dyn TrieDB>, EMPTY_TRIE_ROOT);
    for (key, value) in leaves {
        trie.insert(key.as_slice(), value)?;
    }
    let root = trie.commit()?;
    drop(trie);
    let nodes = std::mem::take(
        &mut *collector
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    );
    Ok((root, nodes))
}

impl Store {
    /// Makes `state` the node's state and `blocks` (the chain up to the pivot, each with its
    /// receipts, ascending, the last one the pivot) canonical with the pivot as head, in one
    /// write (see the module docs). Fails, writing nothing, when a storage trie does not match
    /// its account or the account trie does not match the pivot's state root.
    pub fn install_synced_state(
        &self,
        state: &SyncedState,
        blocks: &[(Block, Vec<Receipt>)],
    ) -> Result<()> {
        let pivot = blocks
            .last()
            .map(|(block, _)| &block.header)
            .ok_or_else(|| StoreError::Backend("no pivot block to install a state at".into()))?;
        let mut batch = WriteBatch::new();
        for table in [
            Table::AccountTrieNodes,
            Table::StorageTrieNodes,
            Table::FlatAccounts,
            Table::FlatStorage,
        ] {
            self.backend.for_each_from(table, &[], &mut |key, _| {
                batch.delete(table, key.to_vec());
                Ok(std::ops::ControlFlow::Continue(()))
            })?;
        }
        for (account, slots) in &state.storage {
            let expected = state
                .accounts
                .get(account)
                .map_or(EMPTY_TRIE_ROOT, |a| a.storage_root);
            let leaves = slots
                .iter()
                .filter(|(_, value)| !value.is_zero())
                .map(|(slot, value)| (*slot, alloy_rlp::encode(value)));
            let (root, nodes) = build_trie(leaves)?;
            if root != expected {
                return Err(StoreError::Backend(format!(
                    "synced storage of account {account}: root {root}, the account says {expected}"
                )));
            }
            let owner = TrieOwner::Storage(*account);
            for (path, node) in nodes {
                batch.put(Table::StorageTrieNodes, owner.key(&path), node);
            }
            for (slot, value) in slots.iter().filter(|(_, value)| !value.is_zero()) {
                let mut key = account.to_vec();
                key.extend_from_slice(slot.as_slice());
                batch.put(Table::FlatStorage, key, alloy_rlp::encode(value));
            }
        }
        for (account, account_state) in &state.accounts {
            if account_state.storage_root != EMPTY_TRIE_ROOT && !state.storage.contains_key(account)
            {
                return Err(StoreError::Backend(format!(
                    "synced account {account} lacks its storage"
                )));
            }
        }
        let leaves =
            (state.accounts.iter()).map(|(hash, account)| (*hash, alloy_rlp::encode(account)));
        let (root, nodes) = build_trie(leaves)?;
        if root != pivot.state_root {
            return Err(StoreError::Backend(format!(
                "synced state root {root} is not the pivot's {}",
                pivot.state_root
            )));
        }
        for (path, node) in nodes {
            batch.put(
                Table::AccountTrieNodes,
                TrieOwner::Accounts.key(&path),
                node,
            );
        }
        for (hash, account) in &state.accounts {
            batch.put(
                Table::FlatAccounts,
                hash.as_slice(),
                alloy_rlp::encode(account),
            );
        }
        for (hash, code) in &state.codes {
            batch.put(Table::AccountCodes, hash.as_slice(), code.to_vec());
        }
        batch.extend(self.blocks_batch(blocks, Placement::Canonical)?);
        batch.put(
            Table::ChainData,
            ChainDataKey::StateRoot.key(),
            root.as_slice(),
        );
        let mut layers = self.layers_write();
        self.backend.write(batch)?;
        layers.clear(root);
        Ok(())
    }
}

#[cfg(test)]
mod tests;
