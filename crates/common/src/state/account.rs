//! Accounts as the VM sees them: [`AccountInfo`] (no storage root: the VM reads slots one by
//! one) and [`GenesisAccount`] (with its code and storage, as an in-memory state keeps it).

use std::collections::HashMap;

use alloy_primitives::{B256, Bytes, U256};

use crate::constants::EMPTY_CODE_HASH;

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

/// An account with its code and storage, as [`super::InMemoryDb`] keeps it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GenesisAccount {
    pub info: AccountInfo,
    pub code: Bytes,
    pub storage: HashMap<U256, U256>,
}
