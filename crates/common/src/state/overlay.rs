//! [`Overlay`]: a [`Database`] over another one, holding changes not written to it — the state
//! of blocks executed but not stored yet (shared [`StateDiff`] layers), the changes of calls an
//! RPC simulates, state overrides, and the hashes of simulated blocks.
//!
//! Reads answer the newest change first (the changes applied to the overlay, then the layers
//! newest first), then the state below. An account deleted or (re)created above never reads
//! storage from below; one whose slots were only set reads the others from below. Whether an
//! account has storage (EIP-7610) subtracts the slots the overlay zeroed, exactly when the
//! state below can list its slots ([`Database::has_storage_besides`]).

use std::{borrow::Cow, collections::HashSet, sync::Arc};

use alloy_primitives::{Address, B256, Bytes, U256, map::HashMap};

use super::{AccountInfo, Database, StateChanges, StateError};

/// One account of a [`StateDiff`].
#[derive(Debug, Clone, Default)]
struct DiffAccount {
    /// `None`: the account was deleted.
    info: Option<AccountInfo>,
    /// The storage below no longer applies.
    storage_cleared: bool,
    /// Slots set, a zero value meaning deleted.
    storage: HashMap<U256, U256>,
}

/// State changes indexed for reads: one layer of an [`Overlay`]. Applying changes merges them
/// into the layer (later changes win).
#[derive(Debug, Clone, Default)]
pub struct StateDiff {
    accounts: HashMap<Address, DiffAccount>,
    codes: HashMap<B256, Bytes>,
}

impl StateDiff {
    /// The diff of `changes`.
    pub fn new(changes: &StateChanges) -> Self {
        let mut diff = StateDiff::default();
        diff.apply(changes);
        diff
    }

    /// Merges `changes` into the diff.
    pub fn apply(&mut self, changes: &StateChanges) {
        for change in &changes.accounts {
            let account = self.accounts.entry(change.address).or_default();
            let Some(info) = change.info else {
                *account = DiffAccount {
                    info: None,
                    storage_cleared: true,
                    storage: HashMap::default(),
                };
                continue;
            };
            if change.storage_cleared {
                account.storage_cleared = true;
                account.storage.clear();
            }
            account.info = Some(info);
            if let Some(code) = &change.code {
                self.codes.insert(info.code_hash, code.clone());
            }
            account.storage.extend(change.storage.iter().copied());
        }
    }

    /// Whether the diff changes nothing.
    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty() && self.codes.is_empty()
    }
}

/// A state over another one (`inner`); see the module docs.
pub struct Overlay<D> {
    inner: D,
    /// Diffs shared with other overlays (blocks executed but not stored), oldest first.
    layers: Vec<Arc<StateDiff>>,
    /// The changes applied to this overlay: newer than every layer.
    top: StateDiff,
    /// Block hashes that replace the inner state's (simulated blocks).
    block_hashes: HashMap<u64, B256>,
}

impl<D> std::fmt::Debug for Overlay<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Overlay")
            .field("layers", &self.layers.len())
            .field("accounts", &self.top.accounts.len())
            .finish_non_exhaustive()
    }
}

impl<D: Database> Overlay<D> {
    /// No changes over `inner` yet.
    pub fn new(inner: D) -> Self {
        Self::with_layers(inner, Vec::new())
    }

    /// `layers` (oldest first) over `inner`.
    pub fn with_layers(inner: D, layers: Vec<Arc<StateDiff>>) -> Self {
        Self {
            inner,
            layers,
            top: StateDiff::default(),
            block_hashes: HashMap::default(),
        }
    }

    /// The state below the overlay.
    pub fn inner(&self) -> &D {
        &self.inner
    }

    /// Applies `changes` above everything the overlay holds.
    pub fn apply(&mut self, changes: &StateChanges) {
        self.top.apply(changes);
    }

    /// Makes `number`'s block hash read as `hash` (blocks of a simulation).
    pub fn set_block_hash(&mut self, number: u64, hash: B256) {
        self.block_hashes.insert(number, hash);
    }

    /// The diffs, newest first.
    fn diffs(&self) -> impl Iterator<Item = &StateDiff> {
        std::iter::once(&self.top).chain(self.layers.iter().rev().map(|layer| &**layer))
    }

    /// What the diffs hold of `address`, newest first.
    fn newest<'d>(&'d self, address: &'d Address) -> impl Iterator<Item = &'d DiffAccount> {
        self.diffs()
            .filter_map(move |diff| diff.accounts.get(address))
    }
}

impl<D: Database> Database for Overlay<D> {
    fn account(&self, address: &Address) -> Result<Option<AccountInfo>, StateError> {
        match self.newest(address).next() {
            Some(account) => Ok(account.info),
            None => self.inner.account(address),
        }
    }

    fn storage(&self, address: &Address, slot: &U256) -> Result<U256, StateError> {
        for account in self.newest(address) {
            if account.info.is_none() {
                return Ok(U256::ZERO);
            }
            if let Some(value) = account.storage.get(slot) {
                return Ok(*value);
            }
            if account.storage_cleared {
                return Ok(U256::ZERO);
            }
        }
        self.inner.storage(address, slot)
    }

    fn code(&self, code_hash: &B256) -> Result<Bytes, StateError> {
        match self.diffs().find_map(|diff| diff.codes.get(code_hash)) {
            Some(code) => Ok(code.clone()),
            None => self.inner.code(code_hash),
        }
    }

    fn block_hash(&self, number: u64) -> Result<B256, StateError> {
        match self.block_hashes.get(&number) {
            Some(hash) => Ok(*hash),
            None => self.inner.block_hash(number),
        }
    }

    fn has_storage(&self, address: &Address) -> Result<bool, StateError> {
        self.has_storage_besides(address, &HashSet::new())
    }

    fn has_storage_besides(
        &self,
        address: &Address,
        zeroed: &HashSet<U256>,
    ) -> Result<bool, StateError> {
        // Slots zeroed above or by the diffs, newest first: older values of them do not count.
        let mut zeroed = Cow::Borrowed(zeroed);
        for account in self.newest(address) {
            if account.info.is_none() {
                return Ok(false);
            }
            for (slot, value) in &account.storage {
                if zeroed.contains(slot) {
                    continue;
                }
                if !value.is_zero() {
                    return Ok(true);
                }
                zeroed.to_mut().insert(*slot);
            }
            if account.storage_cleared {
                return Ok(false);
            }
        }
        if zeroed.is_empty() {
            self.inner.has_storage(address)
        } else {
            self.inner.has_storage_besides(address, &zeroed)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap as StdHashMap;

    use super::*;
    use crate::state::{AccountChange, InMemoryDb};

    const A: Address = Address::repeat_byte(1);

    fn change(storage: &[(u64, u64)], cleared: bool) -> StateChanges {
        StateChanges {
            accounts: vec![AccountChange {
                address: A,
                info: Some(AccountInfo {
                    nonce: 1,
                    ..Default::default()
                }),
                code: None,
                storage_cleared: cleared,
                storage: storage
                    .iter()
                    .map(|(k, v)| (U256::from(*k), U256::from(*v)))
                    .collect(),
            }],
        }
    }

    /// A state where `A` has slots 1 = 5 and 2 = 6.
    fn base() -> InMemoryDb {
        let mut db = InMemoryDb::default();
        let storage = StdHashMap::from([
            (U256::from(1), U256::from(5)),
            (U256::from(2), U256::from(6)),
        ]);
        db.insert_account(A, 1, U256::ZERO, Bytes::new(), storage);
        db
    }

    fn layers(changes: &[StateChanges]) -> Vec<Arc<StateDiff>> {
        changes
            .iter()
            .map(|c| Arc::new(StateDiff::new(c)))
            .collect()
    }

    #[test]
    fn layers_answer_before_the_inner_state_newest_first() {
        let db = base();
        let overlay = Overlay::with_layers(
            &db,
            layers(&[change(&[(1, 7)], false), change(&[(2, 0)], false)]),
        );
        assert_eq!(overlay.storage(&A, &U256::from(1)).unwrap(), U256::from(7));
        assert_eq!(overlay.storage(&A, &U256::from(2)).unwrap(), U256::ZERO);
        assert_eq!(overlay.storage(&A, &U256::from(3)).unwrap(), U256::ZERO);
        assert!(overlay.has_storage(&A).unwrap(), "slot 1 is 7");
    }

    #[test]
    fn applied_changes_are_newer_than_every_layer() {
        let db = base();
        let mut overlay = Overlay::with_layers(&db, layers(&[change(&[(1, 7)], false)]));
        overlay.apply(&change(&[(1, 8)], false));
        assert_eq!(overlay.storage(&A, &U256::from(1)).unwrap(), U256::from(8));
        overlay.apply(&change(&[], true));
        assert_eq!(overlay.storage(&A, &U256::from(1)).unwrap(), U256::ZERO);
        assert_eq!(overlay.storage(&A, &U256::from(2)).unwrap(), U256::ZERO);
    }

    #[test]
    fn has_storage_subtracts_slots_zeroed_or_cleared_above() {
        let db = base();
        let both = Overlay::with_layers(&db, layers(&[change(&[(1, 0), (2, 0)], false)]));
        assert!(!both.has_storage(&A).unwrap(), "both slots zeroed");
        let split = Overlay::with_layers(
            &db,
            layers(&[change(&[(1, 0)], false), change(&[(2, 0)], false)]),
        );
        assert!(!split.has_storage(&A).unwrap(), "zeroed in two layers");
        let one = Overlay::with_layers(&db, layers(&[change(&[(1, 0)], false)]));
        assert!(one.has_storage(&A).unwrap(), "slot 2 is still 6");
        let rewritten = Overlay::with_layers(
            &db,
            layers(&[change(&[(1, 9)], false), change(&[(1, 0), (2, 0)], false)]),
        );
        assert!(!rewritten.has_storage(&A).unwrap(), "the newest zero wins");
        let mut cleared = Overlay::new(&db);
        cleared.apply(&change(&[], true));
        assert!(!cleared.has_storage(&A).unwrap());
        let nested = Overlay::new(&one);
        assert!(nested.has_storage(&A).unwrap());
        let mut nested = Overlay::new(&one);
        nested.apply(&change(&[(2, 0)], false));
        assert!(!nested.has_storage(&A).unwrap(), "zeroed slots pass down");
    }

    #[test]
    fn deleted_accounts_read_empty_and_codes_are_served_by_hash() {
        let db = base();
        let mut overlay = Overlay::new(&db as &dyn Database);
        let code = Bytes::from_static(&[0x60, 0x00]);
        let code_hash = alloy_primitives::keccak256(&code);
        overlay.apply(&StateChanges {
            accounts: vec![AccountChange {
                address: Address::repeat_byte(2),
                info: Some(AccountInfo {
                    code_hash,
                    ..Default::default()
                }),
                code: Some(code.clone()),
                storage_cleared: true,
                storage: Vec::new(),
            }],
        });
        assert_eq!(overlay.code(&code_hash).unwrap(), code);
        overlay.apply(&StateChanges {
            accounts: vec![AccountChange {
                address: A,
                info: None,
                code: None,
                storage_cleared: true,
                storage: Vec::new(),
            }],
        });
        assert_eq!(overlay.account(&A).unwrap(), None);
        assert_eq!(overlay.storage(&A, &U256::from(1)).unwrap(), U256::ZERO);
        assert!(!overlay.has_storage(&A).unwrap());
        overlay.set_block_hash(7, B256::repeat_byte(7));
        assert_eq!(overlay.block_hash(7).unwrap(), B256::repeat_byte(7));
        assert_eq!(overlay.block_hash(8).unwrap(), B256::ZERO);
    }
}
