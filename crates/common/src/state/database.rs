//! The [`Database`] trait: read access to the state the VM executes on. The VM never writes:
//! it returns [`super::StateChanges`] for the caller to apply.

use std::collections::HashSet;

use alloy_primitives::{Address, B256, Bytes, U256};

use super::{AccountInfo, StateError};

/// Read access to the state the VM executes on.
pub trait Database {
    /// The account at `address`, or `None` if it does not exist.
    fn account(&self, address: &Address) -> Result<Option<AccountInfo>, StateError>;
    /// The value of a storage slot (zero if unset).
    fn storage(&self, address: &Address, slot: &U256) -> Result<U256, StateError>;
    /// The code with this hash.
    fn code(&self, code_hash: &B256) -> Result<Bytes, StateError>;
    /// The hash of the canonical block with this number (only the last 256 are asked for).
    fn block_hash(&self, number: u64) -> Result<B256, StateError>;
    /// Whether the account has any non-zero storage slot (EIP-7610 collision check).
    fn has_storage(&self, address: &Address) -> Result<bool, StateError>;
    /// Whether the account has a non-zero slot other than those in `zeroed` (slots an
    /// [`super::Overlay`] above knows to be zero now). States that can list an account's slots
    /// answer exactly; the default ignores `zeroed`, so it may see storage the overlay removed.
    fn has_storage_besides(
        &self,
        address: &Address,
        zeroed: &HashSet<U256>,
    ) -> Result<bool, StateError> {
        let _ = zeroed;
        self.has_storage(address)
    }
}

impl<T: Database + ?Sized> Database for &T {
    fn account(&self, address: &Address) -> Result<Option<AccountInfo>, StateError> {
        (**self).account(address)
    }

    fn storage(&self, address: &Address, slot: &U256) -> Result<U256, StateError> {
        (**self).storage(address, slot)
    }

    fn code(&self, code_hash: &B256) -> Result<Bytes, StateError> {
        (**self).code(code_hash)
    }

    fn block_hash(&self, number: u64) -> Result<B256, StateError> {
        (**self).block_hash(number)
    }

    fn has_storage(&self, address: &Address) -> Result<bool, StateError> {
        (**self).has_storage(address)
    }

    fn has_storage_besides(
        &self,
        address: &Address,
        zeroed: &HashSet<U256>,
    ) -> Result<bool, StateError> {
        (**self).has_storage_besides(address, zeroed)
    }
}
