//! [`InMemoryDb`]: a whole state in memory, for tests, fixtures and tools. It applies
//! [`StateChanges`] in place ([`InMemoryDb::apply`]).

use std::collections::{HashMap, HashSet};

use alloy_primitives::{Address, B256, Bytes, U256, keccak256};

use super::{AccountInfo, Database, GenesisAccount, StateChanges, StateError};
use crate::constants::EMPTY_CODE_HASH;

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
    fn account(&self, address: &Address) -> Result<Option<AccountInfo>, StateError> {
        Ok(self.accounts.get(address).map(|a| a.info))
    }

    fn storage(&self, address: &Address, slot: &U256) -> Result<U256, StateError> {
        Ok(self
            .accounts
            .get(address)
            .and_then(|a| a.storage.get(slot).copied())
            .unwrap_or_default())
    }

    fn code(&self, code_hash: &B256) -> Result<Bytes, StateError> {
        if *code_hash == EMPTY_CODE_HASH {
            return Ok(Bytes::new());
        }
        self.accounts
            .values()
            .find(|a| a.info.code_hash == *code_hash)
            .map(|a| a.code.clone())
            .ok_or(StateError::MissingCode(*code_hash))
    }

    fn has_storage(&self, address: &Address) -> Result<bool, StateError> {
        Ok(self
            .accounts
            .get(address)
            .is_some_and(|a| !a.storage.is_empty()))
    }

    fn has_storage_besides(
        &self,
        address: &Address,
        zeroed: &HashSet<U256>,
    ) -> Result<bool, StateError> {
        Ok(self.accounts.get(address).is_some_and(|a| {
            a.storage
                .iter()
                .any(|(slot, value)| !value.is_zero() && !zeroed.contains(slot))
        }))
    }

    fn block_hash(&self, number: u64) -> Result<B256, StateError> {
        let fallback = |n| self.block_hash_fallback.map(|f| f(n)).unwrap_or_default();
        Ok(self
            .block_hashes
            .get(&number)
            .copied()
            .unwrap_or_else(|| fallback(number)))
    }
}
