//! The `Database` the VM reads through, and an in-memory implementation.
//!
//! The VM never writes to a database: it returns [`crate::StateChanges`], which the caller
//! applies ([`InMemoryDb::apply`] here; `ethrex-storage`'s `StateBuilder` in the node).

use std::collections::HashMap;

use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use ethrex_common::constants::EMPTY_CODE_HASH;

use crate::{StateChanges, VmError};

/// An account as the VM sees it: no storage root (the VM reads slots one by one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountInfo {
    pub nonce: u64,
    pub balance: U256,
    pub code_hash: B256,
}

impl Default for AccountInfo {
    fn default() -> Self {
        AccountInfo {
            nonce: 0,
            balance: U256::ZERO,
            code_hash: EMPTY_CODE_HASH,
        }
    }
}

impl AccountInfo {
    /// EIP-161 "empty": no nonce, no balance, no code.
    pub fn is_empty(&self) -> bool {
        self.nonce == 0 && self.balance.is_zero() && self.code_hash == EMPTY_CODE_HASH
    }
}

/// Read access to the state the VM executes on.
pub trait Database {
    /// The account at `address`, or `None` if it does not exist.
    fn account(&self, address: &Address) -> Result<Option<AccountInfo>, VmError>;
    /// The value of a storage slot (zero if unset).
    fn storage(&self, address: &Address, slot: &U256) -> Result<U256, VmError>;
    /// The code with this hash.
    fn code(&self, code_hash: &B256) -> Result<Bytes, VmError>;
    /// The hash of the canonical block with this number (only the last 256 are asked for).
    fn block_hash(&self, number: u64) -> Result<B256, VmError>;
    /// Whether the account has any non-zero storage slot (EIP-7610 collision check).
    fn has_storage(&self, address: &Address) -> Result<bool, VmError>;
}

/// An account with its code and storage, as [`InMemoryDb`] keeps it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GenesisAccount {
    pub info: AccountInfo,
    pub code: Bytes,
    pub storage: HashMap<U256, U256>,
}

/// A whole state in memory: for tests, fixtures and tools.
#[derive(Debug, Clone, Default)]
pub struct InMemoryDb {
    pub accounts: HashMap<Address, GenesisAccount>,
    pub block_hashes: HashMap<u64, B256>,
    /// Hash of blocks missing from `block_hashes` (test fixtures use a formula); zero if unset.
    pub block_hash_fallback: Option<fn(u64) -> B256>,
}

impl InMemoryDb {
    /// Adds (or replaces) an account with its code and storage.
    pub fn insert_account(
        &mut self,
        address: Address,
        nonce: u64,
        balance: U256,
        code: Bytes,
        storage: HashMap<U256, U256>,
    ) {
        let code_hash = if code.is_empty() {
            EMPTY_CODE_HASH
        } else {
            keccak256(&code)
        };
        let storage = storage.into_iter().filter(|(_, v)| !v.is_zero()).collect();
        self.accounts.insert(
            address,
            GenesisAccount {
                info: AccountInfo {
                    nonce,
                    balance,
                    code_hash,
                },
                code,
                storage,
            },
        );
    }

    /// Applies the changes of executed transactions.
    pub fn apply(&mut self, changes: &StateChanges) {
        for change in &changes.accounts {
            let Some(info) = change.info else {
                self.accounts.remove(&change.address);
                continue;
            };
            let account = self.accounts.entry(change.address).or_default();
            if change.storage_cleared {
                account.storage.clear();
            }
            account.info = info;
            if let Some(code) = &change.code {
                account.code = code.clone();
            }
            for (slot, value) in &change.storage {
                if value.is_zero() {
                    account.storage.remove(slot);
                } else {
                    account.storage.insert(*slot, *value);
                }
            }
        }
    }
}

impl Database for InMemoryDb {
    fn account(&self, address: &Address) -> Result<Option<AccountInfo>, VmError> {
        Ok(self.accounts.get(address).map(|a| a.info))
    }

    fn storage(&self, address: &Address, slot: &U256) -> Result<U256, VmError> {
        Ok(self
            .accounts
            .get(address)
            .and_then(|a| a.storage.get(slot).copied())
            .unwrap_or_default())
    }

    fn code(&self, code_hash: &B256) -> Result<Bytes, VmError> {
        if *code_hash == EMPTY_CODE_HASH {
            return Ok(Bytes::new());
        }
        self.accounts
            .values()
            .find(|a| a.info.code_hash == *code_hash)
            .map(|a| a.code.clone())
            .ok_or_else(|| VmError::Database(format!("code {code_hash} not found")))
    }

    fn has_storage(&self, address: &Address) -> Result<bool, VmError> {
        Ok(self
            .accounts
            .get(address)
            .is_some_and(|a| !a.storage.is_empty()))
    }

    fn block_hash(&self, number: u64) -> Result<B256, VmError> {
        let fallback = |n| self.block_hash_fallback.map(|f| f(n)).unwrap_or_default();
        Ok(self
            .block_hashes
            .get(&number)
            .copied()
            .unwrap_or_else(|| fallback(number)))
    }
}
