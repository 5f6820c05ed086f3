//! What executing transactions changed: [`StateChanges`], one [`AccountChange`] per touched
//! account. The VM returns them; the store, an [`super::InMemoryDb`] or an [`super::Overlay`]
//! applies them.

use alloy_primitives::{Address, Bytes, U256};

use super::AccountInfo;

/// The changes to apply to the state after executing transactions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StateChanges {
    pub accounts: Vec<AccountChange>,
}

/// One account's change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountChange {
    pub address: Address,
    /// The new account, or `None` if it was deleted.
    pub info: Option<AccountInfo>,
    /// New code, when it changed.
    pub code: Option<Bytes>,
    /// Whether all previous storage is dropped (the account was (re)created).
    pub storage_cleared: bool,
    /// Changed slots, a zero value meaning deleted.
    pub storage: Vec<(U256, U256)>,
}
