//! State overrides (`eth_call`'s third parameter, geth's `StateOverride`) over the state of a
//! block: [`with_overrides`] makes an [`Overlay`] (the overlay database of
//! `ethrex_common::state`) holding them, which simulations then apply the changes of their calls
//! to.
//!
//! Reads answer the overlay's accounts first, then the state below; an account the overrides
//! replaced (`state`) never reads storage from below, one patched (`stateDiff`) reads its other
//! slots from below.
//!
//! Overrides also change which precompiles run ([`precompile_table`], as geth): an overridden
//! precompile address becomes a plain account (its code, if given, runs instead), and
//! `movePrecompileToAddress` makes the precompile run at another address.

use std::collections::{BTreeMap, HashMap};

use alloy_primitives::{Address, B256, Bytes, U64, U256, keccak256};
use ethrex_common::{
    Fork,
    constants::EMPTY_CODE_HASH,
    state::{AccountChange, Database, StateChanges},
};
use ethrex_vm::precompiles::{PrecompileTable, is_precompile};
use serde::Deserialize;

use super::call::vm_error;
use crate::RpcError;

/// Changes to accounts a call runs with, keyed by address.
pub type StateOverride = BTreeMap<Address, AccountOverride>;

/// Changes to one account (fields left out keep their value).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountOverride {
    pub balance: Option<U256>,
    pub nonce: Option<U64>,
    pub code: Option<Bytes>,
    /// The whole storage: slots not listed read as zero.
    pub state: Option<HashMap<B256, B256>>,
    /// Slots to change; the others keep their value.
    pub state_diff: Option<HashMap<B256, B256>>,
    /// Run this account's precompile at that address instead (see [`precompile_table`]).
    pub move_precompile_to_address: Option<Address>,
}

impl AccountOverride {
    /// Whether the override sets any of the account's fields (not just moves its precompile).
    fn changes_account(&self) -> bool {
        self.balance.is_some()
            || self.nonce.is_some()
            || self.code.is_some()
            || self.state.is_some()
            || self.state_diff.is_some()
    }
}

/// A state over another one, holding overrides and the changes of simulated calls.
pub type Overlay<'a> = ethrex_common::state::Overlay<&'a dyn Database>;

/// The overlay over `inner` with `overrides` applied.
pub fn with_overrides<'a>(
    inner: &'a dyn Database,
    overrides: Option<&StateOverride>,
) -> Result<Overlay<'a>, RpcError> {
    let mut overlay = Overlay::new(inner);
    if let Some(overrides) = overrides {
        let changes = override_changes(&overlay, overrides)?;
        overlay.apply(&changes);
    }
    Ok(overlay)
}

/// The precompiles that run under `fork` with `overrides`, as geth applies them (accounts in
/// address order): an overridden precompile address becomes a plain account, and
/// `movePrecompileToAddress: X` makes its precompile run at `X` (replacing any there). `None`
/// when no override touches a precompile: the fork's table applies. Fails, with geth's
/// messages, when moving a plain account or moving to an address that has an override of its
/// own (so a destination is never overridden; two moves to one address leave the last one).
pub fn precompile_table(
    overrides: &StateOverride,
    fork: Fork,
) -> Result<Option<PrecompileTable>, RpcError> {
    let touches_precompiles = overrides
        .iter()
        .any(|(address, o)| o.move_precompile_to_address.is_some() || is_precompile(address, fork));
    if !touches_precompiles {
        return Ok(None);
    }
    let mut table = PrecompileTable::new(fork);
    for (address, o) in overrides {
        let Some(to) = o.move_precompile_to_address else {
            table.remove(address);
            continue;
        };
        if !table.contains(address) {
            return Err(RpcError::server(format!(
                "account {address} is not a precompile"
            )));
        }
        if overrides.contains_key(&to) {
            return Err(RpcError::server(format!(
                "account {to} is already overridden"
            )));
        }
        table.relocate(address, to);
    }
    Ok(Some(table))
}

/// `overrides` over the state `db` as state changes (geth refuses `state` and `stateDiff`
/// together). Which precompiles run is [`precompile_table`]'s.
pub fn override_changes(
    db: &dyn Database,
    overrides: &StateOverride,
) -> Result<StateChanges, RpcError> {
    let mut accounts = Vec::with_capacity(overrides.len());
    for (address, o) in overrides {
        if o.state.is_some() && o.state_diff.is_some() {
            return Err(RpcError::invalid_params(format!(
                "account {address} has both 'state' and 'stateDiff'"
            )));
        }
        if !o.changes_account() {
            // Only a precompile move: the account itself is left as it is (not even created).
            continue;
        }
        let mut info = db.account(address).map_err(vm_error)?.unwrap_or_default();
        if let Some(balance) = o.balance {
            info.balance = balance;
        }
        if let Some(nonce) = o.nonce {
            info.nonce = nonce.to();
        }
        if let Some(code) = &o.code {
            info.code_hash = if code.is_empty() {
                EMPTY_CODE_HASH
            } else {
                keccak256(code)
            };
        }
        let slots = o.state.as_ref().or(o.state_diff.as_ref());
        accounts.push(AccountChange {
            address: *address,
            info: Some(info),
            code: o.code.clone(),
            storage_cleared: o.state.is_some(),
            storage: slots
                .into_iter()
                .flatten()
                .map(|(k, v)| (U256::from_be_bytes(k.0), U256::from_be_bytes(v.0)))
                .collect(),
        });
    }
    Ok(StateChanges { accounts })
}

#[cfg(test)]
mod tests {
    use ethrex_common::state::InMemoryDb;

    use super::*;

    #[test]
    fn state_replaces_storage_and_state_diff_patches_it() {
        let a = Address::repeat_byte(1);
        let mut db = InMemoryDb::default();
        let storage = HashMap::from([
            (U256::from(1), U256::from(10)),
            (U256::from(2), U256::from(20)),
        ]);
        db.insert_account(a, 0, U256::ZERO, Bytes::new(), storage);
        let slot = |n: u64| B256::from(U256::from(n));
        let diff = StateOverride::from([(
            a,
            AccountOverride {
                state_diff: Some(HashMap::from([(slot(1), slot(11))])),
                ..Default::default()
            },
        )]);
        let overlay = with_overrides(&db, Some(&diff)).unwrap();
        assert_eq!(overlay.storage(&a, &U256::from(1)).unwrap(), U256::from(11));
        assert_eq!(overlay.storage(&a, &U256::from(2)).unwrap(), U256::from(20));
        let state = StateOverride::from([(
            a,
            AccountOverride {
                state: Some(HashMap::from([(slot(1), slot(11))])),
                balance: Some(U256::from(5)),
                ..Default::default()
            },
        )]);
        let overlay = with_overrides(&db, Some(&state)).unwrap();
        assert_eq!(overlay.storage(&a, &U256::from(2)).unwrap(), U256::ZERO);
        assert_eq!(overlay.account(&a).unwrap().unwrap().balance, U256::from(5));
    }

    const ECRECOVER: Address = Address::with_last_byte(1);
    const SHA256: Address = Address::with_last_byte(2);
    const ELSEWHERE: Address = Address::repeat_byte(0x12);

    fn moving(pairs: &[(Address, Address)]) -> StateOverride {
        pairs
            .iter()
            .map(|(from, to)| {
                let o = AccountOverride {
                    move_precompile_to_address: Some(*to),
                    ..Default::default()
                };
                (*from, o)
            })
            .collect()
    }

    #[test]
    fn a_moved_precompile_runs_at_its_destination_only() {
        let table = precompile_table(&moving(&[(ECRECOVER, ELSEWHERE)]), Fork::Prague)
            .unwrap()
            .unwrap();
        assert!(table.contains(&ELSEWHERE));
        assert!(!table.contains(&ECRECOVER));
        assert!(table.contains(&SHA256));
    }

    #[test]
    fn overriding_a_precompiles_code_stops_the_precompile() {
        let o = StateOverride::from([(
            SHA256,
            AccountOverride {
                code: Some(Bytes::from_static(&[0x00])),
                ..Default::default()
            },
        )]);
        let table = precompile_table(&o, Fork::Prague).unwrap().unwrap();
        assert!(!table.contains(&SHA256));
        assert!(table.contains(&ECRECOVER));
    }

    #[test]
    fn overrides_of_plain_accounts_keep_the_forks_precompiles() {
        let o = StateOverride::from([(ELSEWHERE, AccountOverride::default())]);
        assert!(precompile_table(&o, Fork::Prague).unwrap().is_none());
    }

    #[test]
    fn moving_a_plain_account_fails_as_in_geth() {
        let err = precompile_table(&moving(&[(ELSEWHERE, ECRECOVER)]), Fork::Prague).unwrap_err();
        assert_eq!(err.code, -32000);
        assert_eq!(
            err.message,
            "account 0x1212121212121212121212121212121212121212 is not a precompile"
        );
        // P256VERIFY is not a precompile before Osaka.
        let p256 = Address::left_padding_from(&[0x01, 0x00]);
        assert!(precompile_table(&moving(&[(p256, ELSEWHERE)]), Fork::Prague).is_err());
        assert!(precompile_table(&moving(&[(p256, ELSEWHERE)]), Fork::Osaka).is_ok());
    }

    #[test]
    fn moving_to_an_overridden_address_fails() {
        let mut o = moving(&[(ECRECOVER, ELSEWHERE)]);
        o.insert(ELSEWHERE, AccountOverride::default());
        let err = precompile_table(&o, Fork::Prague).unwrap_err();
        assert_eq!(
            err.message,
            "account 0x1212121212121212121212121212121212121212 is already overridden"
        );
    }

    #[test]
    fn two_moves_to_one_address_leave_the_last() {
        let o = moving(&[(ECRECOVER, ELSEWHERE), (SHA256, ELSEWHERE)]);
        let table = precompile_table(&o, Fork::Prague).unwrap().unwrap();
        assert!(!table.contains(&ECRECOVER) && !table.contains(&SHA256));
        let out = table.execute(&ELSEWHERE, b"", u64::MAX).unwrap().unwrap();
        assert_eq!(out.output, sha256_of_empty());
    }

    /// sha256("").
    fn sha256_of_empty() -> Bytes {
        Bytes::from_static(&alloy_primitives::hex!(
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        ))
    }

    #[test]
    fn a_precompile_move_alone_leaves_the_account_untouched() {
        let db = InMemoryDb::default();
        let changes = override_changes(&db, &moving(&[(ECRECOVER, ELSEWHERE)])).unwrap();
        assert!(changes.accounts.is_empty(), "{changes:?}");
    }

    #[test]
    fn code_override_is_served_by_its_hash() {
        let db = InMemoryDb::default();
        let a = Address::repeat_byte(2);
        let code = Bytes::from_static(&[0x60, 0x00]);
        let o = StateOverride::from([(
            a,
            AccountOverride {
                code: Some(code.clone()),
                ..Default::default()
            },
        )]);
        let overlay = with_overrides(&db, Some(&o)).unwrap();
        let info = overlay.account(&a).unwrap().unwrap();
        assert_eq!(overlay.code(&info.code_hash).unwrap(), code);
    }
}
