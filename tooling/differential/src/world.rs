//! [`World`]: a whole Ethereum state in one neutral form, the pre-state both EVMs start from and
//! the post-state each one's result is turned back into, so the two can be compared field by
//! field.
//!
//! Invariants: an account is in the map if and only if it exists; storage holds only non-zero
//! slots (a zero value is the same as no slot).

use std::collections::BTreeMap;

use alloy_primitives::{Address, B256, Bytes, U256, keccak256};

/// One account: everything consensus sees of it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Account {
    pub nonce: u64,
    pub balance: U256,
    pub code: Bytes,
    /// Non-zero slots only.
    pub storage: BTreeMap<U256, U256>,
}

impl Account {
    /// An account with a balance and nothing else.
    pub fn with_balance(balance: U256) -> Self {
        Account {
            balance,
            ..Default::default()
        }
    }

    /// A contract account.
    pub fn contract(code: impl Into<Bytes>, nonce: u64, balance: U256) -> Self {
        Account {
            nonce,
            balance,
            code: code.into(),
            storage: BTreeMap::new(),
        }
    }

    /// Sets a slot, dropping it when the value is zero (keeps the invariant).
    pub fn set_slot(&mut self, key: U256, value: U256) {
        if value.is_zero() {
            self.storage.remove(&key);
        } else {
            self.storage.insert(key, value);
        }
    }

    /// The hash of the code (the empty-code hash for no code).
    pub fn code_hash(&self) -> B256 {
        keccak256(&self.code)
    }
}

/// A whole state: every existing account.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct World {
    pub accounts: BTreeMap<Address, Account>,
}

impl World {
    pub fn insert(&mut self, address: Address, account: Account) {
        self.accounts.insert(address, account);
    }

    pub fn get(&self, address: &Address) -> Option<&Account> {
        self.accounts.get(address)
    }
}

/// The hash of block `number`, the same on both sides (both EVMs ask their database only for
/// the last 256 blocks; which ones they ask for is part of what is compared).
pub fn block_hash(number: u64) -> B256 {
    keccak256(number.to_be_bytes())
}
