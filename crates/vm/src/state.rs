//! The journaled state the VM executes on: accounts and slots loaded from the [`Database`] on
//! first use, every change recorded in a journal so a failing frame reverts cheaply, warm/cold
//! sets (EIP-2929) and transient storage (EIP-1153).
//!
//! Invariants: a checkpoint is a journal length (plus log count and refund); reverting to it
//! undoes exactly the entries after it. `Slot::original` is the value at the start of the
//! current transaction (EIP-2200), reset by [`State::finish_transaction`].

use alloy_primitives::{
    Address, B256, Bytes, Log, U256, keccak256,
    map::{AddressMap, AddressSet, B256Map, HashMap, hash_map::Entry as MapEntry},
};
use ethrex_common::constants::EMPTY_CODE_HASH;

use crate::{AccountChange, AccountInfo, Database, StateChanges, VmError};

#[derive(Debug, Clone, Copy)]
pub struct Slot {
    pub original: U256,
    pub current: U256,
    /// Accessed in the current transaction (EIP-2929).
    pub warm: bool,
}

/// Storage keys are kept as 32-byte strings: fixed-size keys hash fastest.
#[inline]
fn slot_key(key: U256) -> B256 {
    B256::from(key.to_be_bytes::<32>())
}

#[derive(Debug, Clone, Default)]
pub struct Account {
    pub info: AccountInfo,
    pub code: Option<Bytes>,
    pub storage: B256Map<Slot>,
    /// Whether the account is in the state (loaded as existing, or created/touched since).
    pub exists: bool,
    /// The database's storage no longer applies (the account was created or deleted here).
    pub storage_cleared: bool,
    /// Touched in the current transaction (EIP-161 deletes touched empty accounts).
    pub touched: bool,
    /// Created in the current transaction (EIP-6780).
    pub created_in_tx: bool,
    /// Marked by SELFDESTRUCT for deletion at the end of the transaction.
    pub selfdestructed: bool,
    /// Changed in this block: part of the output.
    pub changed: bool,
    pub code_changed: bool,
}

enum Entry {
    Balance(Address, U256),
    Nonce(Address, u64),
    Code(Address, B256, Option<Bytes>, bool),
    Storage(Address, U256, U256),
    Transient(Address, U256, U256),
    WarmAccount(Address),
    WarmSlot(Address, U256),
    Touched(Address, bool, bool),
    Snapshot(Address, Box<Account>),
    SelfDestruct(Address, bool),
}

/// The account at `address`, loaded from `db` on first access (one map lookup when cached).
#[inline]
fn load_in<'m>(
    accounts: &'m mut AddressMap<Account>,
    db: &dyn Database,
    address: Address,
) -> Result<&'m mut Account, VmError> {
    match accounts.entry(address) {
        MapEntry::Occupied(entry) => Ok(entry.into_mut()),
        MapEntry::Vacant(entry) => {
            let loaded = db.account(&address)?;
            Ok(entry.insert(Account {
                info: loaded.unwrap_or_default(),
                exists: loaded.is_some(),
                ..Default::default()
            }))
        }
    }
}

/// A point to revert to.
#[derive(Debug, Clone, Copy)]
pub struct Checkpoint {
    journal: usize,
    logs: usize,
    refund: i64,
}

pub struct State<'a> {
    db: &'a dyn Database,
    accounts: AddressMap<Account>,
    journal: Vec<Entry>,
    warm_accounts: AddressSet,
    transient: HashMap<(Address, U256), U256>,
    pub logs: Vec<Log>,
    /// Gas refund counter (may go negative inside a frame under EIP-2200 accounting).
    pub refund: i64,
    /// Whether the RIPEMD-160 precompile's account was touched in this transaction, even by a
    /// call that was reverted since: the mainnet consensus exception of block 2,675,119, so
    /// EIP-161 deletes the account if it is empty. The touch survives the failure of any inner
    /// call (execution-specs' `incorporate_child_on_error`), not the failure of the
    /// transaction's own frame ([`State::forget_ripemd_touch`]).
    ripemd_touched: bool,
}

/// The address of the RIPEMD-160 precompile.
const RIPEMD: Address = Address::new([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3]);

impl<'a> State<'a> {
    pub fn new(db: &'a dyn Database) -> Self {
        State {
            db,
            accounts: AddressMap::default(),
            journal: Vec::new(),
            warm_accounts: AddressSet::default(),
            transient: HashMap::default(),
            logs: Vec::new(),
            refund: 0,
            ripemd_touched: false,
        }
    }

    pub fn db(&self) -> &'a dyn Database {
        self.db
    }

    #[inline]
    fn load(&mut self, address: Address) -> Result<&mut Account, VmError> {
        load_in(&mut self.accounts, self.db, address)
    }

    pub fn info(&mut self, address: Address) -> Result<AccountInfo, VmError> {
        Ok(self.load(address)?.info)
    }

    /// Whether the account exists in the state (pre-EIP-161 "exists").
    pub fn exists(&mut self, address: Address) -> Result<bool, VmError> {
        Ok(self.load(address)?.exists)
    }

    /// EIP-161 "dead": non-existent or empty.
    pub fn is_dead(&mut self, address: Address) -> Result<bool, VmError> {
        let account = self.load(address)?;
        Ok(!account.exists || account.info.is_empty())
    }

    pub fn code(&mut self, address: Address) -> Result<Bytes, VmError> {
        let db = self.db;
        let account = self.load(address)?;
        if let Some(code) = &account.code {
            return Ok(code.clone());
        }
        let code = db.code(&account.info.code_hash)?;
        account.code = Some(code.clone());
        Ok(code)
    }

    /// The slot, loaded from the database on first access.
    #[inline]
    fn slot_mut(&mut self, address: Address, key: U256) -> Result<&mut Slot, VmError> {
        let db = self.db;
        let account = self.load(address)?;
        let cleared = account.storage_cleared;
        match account.storage.entry(slot_key(key)) {
            MapEntry::Occupied(entry) => Ok(entry.into_mut()),
            MapEntry::Vacant(entry) => {
                let value = if cleared {
                    U256::ZERO
                } else {
                    db.storage(&address, &key)?
                };
                Ok(entry.insert(Slot {
                    original: value,
                    current: value,
                    warm: false,
                }))
            }
        }
    }

    /// SSTORE in one pass: loads and warms the slot, lets `charge` price the write from the
    /// slot as it was and whether it was cold, and writes only if `charge` succeeds.
    #[inline]
    pub fn sstore<E: From<VmError>>(
        &mut self,
        address: Address,
        key: U256,
        value: U256,
        charge: impl FnOnce(Slot, bool) -> Result<(), E>,
    ) -> Result<(), E> {
        let db = self.db;
        let account = load_in(&mut self.accounts, db, address)?;
        let cleared = account.storage_cleared;
        let slot = match account.storage.entry(slot_key(key)) {
            MapEntry::Occupied(entry) => entry.into_mut(),
            MapEntry::Vacant(entry) => {
                let stored = if cleared {
                    U256::ZERO
                } else {
                    db.storage(&address, &key).map_err(VmError::from)?
                };
                entry.insert(Slot {
                    original: stored,
                    current: stored,
                    warm: false,
                })
            }
        };
        let before = *slot;
        charge(before, !before.warm)?;
        if !before.warm {
            slot.warm = true;
            self.journal.push(Entry::WarmSlot(address, key));
        }
        if value != before.current {
            slot.current = value;
            account.changed = true;
            self.journal
                .push(Entry::Storage(address, key, before.current));
        }
        Ok(())
    }

    pub fn storage(&mut self, address: Address, key: U256) -> Result<Slot, VmError> {
        self.slot_mut(address, key).map(|slot| *slot)
    }

    /// Reads a slot for SLOAD/SSTORE and marks it warm; returns it (as it was) and whether it
    /// was cold.
    #[inline]
    pub fn access_slot(&mut self, address: Address, key: U256) -> Result<(Slot, bool), VmError> {
        let slot = self.slot_mut(address, key)?;
        let before = *slot;
        slot.warm = true;
        if !before.warm {
            self.journal.push(Entry::WarmSlot(address, key));
        }
        Ok((before, !before.warm))
    }

    /// Whether the account has any non-zero storage (EIP-7610 collision check).
    pub fn has_storage(&mut self, address: Address) -> Result<bool, VmError> {
        let db = self.db;
        let account = self.load(address)?;
        if account.storage.values().any(|s| !s.current.is_zero()) {
            return Ok(true);
        }
        if account.storage_cleared {
            return Ok(false);
        }
        Ok(db.has_storage(&address)?)
    }

    fn touch_entry(&mut self, address: Address) -> Result<&mut Account, VmError> {
        if address == RIPEMD {
            self.ripemd_touched = true;
        }
        let account = self.load(address)?;
        let entry = Entry::Touched(address, account.exists, account.touched);
        account.exists = true;
        account.touched = true;
        account.changed = true;
        self.journal.push(entry);
        self.load(address)
    }

    /// Touches an account: it now exists (EIP-161 may delete it at the end if empty).
    pub fn touch(&mut self, address: Address) -> Result<(), VmError> {
        self.touch_entry(address).map(|_| ())
    }

    pub fn set_balance(&mut self, address: Address, balance: U256) -> Result<(), VmError> {
        let account = self.touch_entry(address)?;
        let prev = std::mem::replace(&mut account.info.balance, balance);
        self.journal.push(Entry::Balance(address, prev));
        Ok(())
    }

    pub fn add_balance(&mut self, address: Address, amount: U256) -> Result<(), VmError> {
        let balance = self.info(address)?.balance;
        self.set_balance(address, balance.saturating_add(amount))
    }

    /// Moves `value` from `from` to `to`; `false` (and nothing changed) if `from` lacks it.
    pub fn transfer(&mut self, from: Address, to: Address, value: U256) -> Result<bool, VmError> {
        let Some(from_balance) = self.info(from)?.balance.checked_sub(value) else {
            return Ok(false);
        };
        self.set_balance(from, from_balance)?;
        self.add_balance(to, value)?;
        Ok(true)
    }

    pub fn set_nonce(&mut self, address: Address, nonce: u64) -> Result<(), VmError> {
        let account = self.touch_entry(address)?;
        let prev = std::mem::replace(&mut account.info.nonce, nonce);
        self.journal.push(Entry::Nonce(address, prev));
        Ok(())
    }

    pub fn set_code(&mut self, address: Address, code: Bytes) -> Result<(), VmError> {
        let account = self.touch_entry(address)?;
        let hash = if code.is_empty() {
            EMPTY_CODE_HASH
        } else {
            keccak256(&code)
        };
        let prev_hash = std::mem::replace(&mut account.info.code_hash, hash);
        let prev_code = account.code.replace(code);
        let prev_changed = std::mem::replace(&mut account.code_changed, true);
        self.journal
            .push(Entry::Code(address, prev_hash, prev_code, prev_changed));
        Ok(())
    }

    pub fn set_storage(&mut self, address: Address, key: U256, value: U256) -> Result<(), VmError> {
        let slot = self.slot_mut(address, key)?;
        let prev = std::mem::replace(&mut slot.current, value);
        self.journal.push(Entry::Storage(address, key, prev));
        if let Some(account) = self.accounts.get_mut(&address) {
            account.changed = true;
        }
        Ok(())
    }

    pub fn transient(&self, address: Address, key: U256) -> U256 {
        self.transient
            .get(&(address, key))
            .copied()
            .unwrap_or_default()
    }

    pub fn set_transient(&mut self, address: Address, key: U256, value: U256) {
        let prev = self
            .transient
            .insert((address, key), value)
            .unwrap_or_default();
        self.journal.push(Entry::Transient(address, key, prev));
    }

    /// Marks an address warm; returns whether it was cold.
    pub fn warm_account(&mut self, address: Address) -> bool {
        let cold = self.warm_accounts.insert(address);
        if cold {
            self.journal.push(Entry::WarmAccount(address));
        }
        cold
    }

    /// Warms without journaling (transaction-start warm set: never reverted).
    pub fn prewarm_account(&mut self, address: Address) {
        self.warm_accounts.insert(address);
    }

    /// Warms a slot without journaling (transaction-start access list).
    pub fn prewarm_slot(&mut self, address: Address, key: U256) -> Result<(), VmError> {
        self.slot_mut(address, key)?.warm = true;
        Ok(())
    }

    pub fn is_warm(&self, address: &Address) -> bool {
        self.warm_accounts.contains(address)
    }

    /// Creates a contract account at `address` (CREATE/CREATE2), keeping its balance.
    pub fn create_account(&mut self, address: Address, nonce: u64) -> Result<(), VmError> {
        let account = self.load(address)?;
        let snapshot = Box::new(account.clone());
        account.info.nonce = nonce;
        account.info.code_hash = EMPTY_CODE_HASH;
        account.code = Some(Bytes::new());
        // The new account has no storage; slots already accessed in this transaction stay warm.
        account.storage.retain(|_, slot| slot.warm);
        for slot in account.storage.values_mut() {
            (slot.original, slot.current) = (U256::ZERO, U256::ZERO);
        }
        account.storage_cleared = true;
        account.exists = true;
        account.touched = true;
        account.created_in_tx = true;
        account.changed = true;
        account.code_changed = true;
        self.journal.push(Entry::Snapshot(address, snapshot));
        Ok(())
    }

    pub fn created_in_tx(&mut self, address: Address) -> Result<bool, VmError> {
        Ok(self.load(address)?.created_in_tx)
    }

    /// Marks an account for deletion at the end of the transaction; returns whether it was
    /// already marked.
    pub fn mark_selfdestruct(&mut self, address: Address) -> Result<bool, VmError> {
        let account = self.load(address)?;
        let was = std::mem::replace(&mut account.selfdestructed, true);
        self.journal.push(Entry::SelfDestruct(address, was));
        Ok(was)
    }

    pub fn checkpoint(&self) -> Checkpoint {
        Checkpoint {
            journal: self.journal.len(),
            logs: self.logs.len(),
            refund: self.refund,
        }
    }

    /// Undoes every change since `checkpoint`.
    pub fn revert(&mut self, checkpoint: Checkpoint) {
        while self.journal.len() > checkpoint.journal {
            let Some(entry) = self.journal.pop() else {
                break;
            };
            self.undo(entry);
        }
        self.logs.truncate(checkpoint.logs);
        self.refund = checkpoint.refund;
    }

    fn undo(&mut self, entry: Entry) {
        match entry {
            Entry::WarmAccount(address) => {
                self.warm_accounts.remove(&address);
            }
            Entry::WarmSlot(address, key) => {
                if let Some(slot) = self
                    .accounts
                    .get_mut(&address)
                    .and_then(|a| a.storage.get_mut(&slot_key(key)))
                {
                    slot.warm = false;
                }
            }
            Entry::Transient(address, key, prev) => {
                self.transient.insert((address, key), prev);
            }
            Entry::Snapshot(address, account) => {
                self.accounts.insert(address, *account);
            }
            other => {
                let address = match &other {
                    Entry::Balance(a, _)
                    | Entry::Nonce(a, _)
                    | Entry::Code(a, ..)
                    | Entry::Storage(a, ..)
                    | Entry::Touched(a, ..)
                    | Entry::SelfDestruct(a, _) => *a,
                    _ => return,
                };
                let Some(account) = self.accounts.get_mut(&address) else {
                    return;
                };
                match other {
                    Entry::Balance(_, prev) => account.info.balance = prev,
                    Entry::Nonce(_, prev) => account.info.nonce = prev,
                    Entry::Code(_, hash, code, changed) => {
                        account.info.code_hash = hash;
                        account.code = code;
                        account.code_changed = changed;
                    }
                    Entry::Storage(_, key, prev) => {
                        if let Some(slot) = account.storage.get_mut(&slot_key(key)) {
                            slot.current = prev;
                        }
                    }
                    Entry::Touched(_, exists, touched) => {
                        account.exists = exists;
                        account.touched = touched;
                    }
                    Entry::SelfDestruct(_, was) => account.selfdestructed = was,
                    _ => {}
                }
            }
        }
    }

    /// Drops a RIPEMD-160 touch kept through reverts, once the transaction's own frame has
    /// failed: execution-specs' `process_message_call` (Spurious Dragon to Gray Glacier) then
    /// discards every touched account, the exception's included. Touches made after that frame
    /// (the fee paid to the coinbase) are ordinary ones and still count.
    pub fn forget_ripemd_touch(&mut self) {
        self.ripemd_touched = false;
    }

    /// Ends a transaction: deletes self-destructed accounts and (with EIP-161) touched empty
    /// ones, makes current slot values the new originals, and clears per-transaction sets.
    pub fn finish_transaction(&mut self, delete_empty: bool) {
        if std::mem::take(&mut self.ripemd_touched)
            && delete_empty
            && let Some(account) = self.accounts.get_mut(&RIPEMD)
        {
            account.touched = true;
            account.changed = true;
        }
        for account in self.accounts.values_mut() {
            let delete = account.selfdestructed
                || (delete_empty && account.touched && account.info.is_empty());
            if delete {
                *account = Account {
                    exists: false,
                    storage_cleared: true,
                    changed: true,
                    code: Some(Bytes::new()),
                    code_changed: true,
                    ..Default::default()
                };
            }
            for slot in account.storage.values_mut() {
                slot.original = slot.current;
                slot.warm = false;
            }
            account.touched = false;
            account.created_in_tx = false;
            account.selfdestructed = false;
        }
        self.journal.clear();
        self.warm_accounts.clear();
        self.transient.clear();
        self.logs.clear();
        self.refund = 0;
    }

    /// The changes of the block so far (every account marked changed, as it is now).
    pub fn changes(&self) -> StateChanges {
        let mut accounts: Vec<AccountChange> = self
            .accounts
            .iter()
            .filter(|(_, a)| a.changed)
            .map(|(address, a)| AccountChange {
                address: *address,
                info: a.exists.then_some(a.info),
                code: if a.code_changed { a.code.clone() } else { None },
                storage_cleared: a.storage_cleared,
                storage: a
                    .storage
                    .iter()
                    .map(|(k, s)| (U256::from_be_bytes(k.0), s.current))
                    .collect(),
            })
            .collect();
        accounts.sort_by_key(|a| a.address);
        StateChanges { accounts }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap as StdHashMap;

    use alloy_primitives::LogData;

    use super::*;
    use crate::InMemoryDb;

    const ALICE: Address = Address::repeat_byte(0xa1);
    const BOB: Address = Address::repeat_byte(0xb0);
    /// Not in the database.
    const NOBODY: Address = Address::repeat_byte(0x0e);

    fn u(v: u64) -> U256 {
        U256::from(v)
    }

    /// ALICE: nonce 1, balance 100, slot 1 = 10; BOB: nonce 0, balance 5, code `STOP`.
    fn db() -> InMemoryDb {
        let mut db = InMemoryDb::default();
        db.insert_account(
            ALICE,
            1,
            u(100),
            Bytes::new(),
            StdHashMap::from([(u(1), u(10))]),
        );
        db.insert_account(BOB, 0, u(5), Bytes::from_static(&[0x00]), StdHashMap::new());
        db
    }

    fn log(address: Address) -> Log {
        Log {
            address,
            data: LogData::new_unchecked(vec![], Bytes::new()),
        }
    }

    fn change(state: &State, address: Address) -> Option<AccountChange> {
        state
            .changes()
            .accounts
            .into_iter()
            .find(|c| c.address == address)
    }

    #[test]
    fn accounts_load_from_the_database_and_absent_ones_do_not_exist() {
        let db = db();
        let mut state = State::new(&db);
        assert_eq!(state.info(ALICE).unwrap().balance, u(100));
        assert_eq!(state.info(ALICE).unwrap().nonce, 1);
        assert!(state.exists(ALICE).unwrap());
        assert!(!state.exists(NOBODY).unwrap());
        assert!(state.is_dead(NOBODY).unwrap());
        assert_eq!(state.info(NOBODY).unwrap(), AccountInfo::default());
        assert_eq!(state.code(BOB).unwrap(), Bytes::from_static(&[0x00]));
        assert_eq!(state.storage(ALICE, u(1)).unwrap().current, u(10));
        assert_eq!(state.storage(ALICE, u(2)).unwrap().current, U256::ZERO);
    }

    #[test]
    fn reading_changes_nothing() {
        let db = db();
        let mut state = State::new(&db);
        state.info(ALICE).unwrap();
        state.storage(ALICE, u(1)).unwrap();
        state.code(BOB).unwrap();
        assert!(state.changes().accounts.is_empty());
    }

    #[test]
    fn revert_undoes_every_change_after_the_checkpoint_only() {
        let db = db();
        let mut state = State::new(&db);
        state.set_balance(ALICE, u(90)).unwrap();
        let checkpoint = state.checkpoint();
        state.set_balance(ALICE, u(80)).unwrap();
        state.set_nonce(ALICE, 7).unwrap();
        state.set_storage(ALICE, u(1), u(11)).unwrap();
        state.set_code(ALICE, Bytes::from_static(&[0x5f])).unwrap();
        state.revert(checkpoint);
        let info = state.info(ALICE).unwrap();
        assert_eq!(
            info.balance,
            u(90),
            "the change before the checkpoint stays"
        );
        assert_eq!(info.nonce, 1);
        assert_eq!(info.code_hash, EMPTY_CODE_HASH);
        assert_eq!(state.code(ALICE).unwrap(), Bytes::new());
        assert_eq!(state.storage(ALICE, u(1)).unwrap().current, u(10));
        let change = change(&state, ALICE).unwrap();
        assert_eq!(change.code, None, "a reverted code change is not output");
    }

    #[test]
    fn nested_reverts_unwind_inner_then_outer() {
        let db = db();
        let mut state = State::new(&db);
        let outer = state.checkpoint();
        state.set_storage(ALICE, u(1), u(20)).unwrap();
        let inner = state.checkpoint();
        state.set_storage(ALICE, u(1), u(30)).unwrap();
        state.set_storage(ALICE, u(2), u(40)).unwrap();
        state.revert(inner);
        assert_eq!(state.storage(ALICE, u(1)).unwrap().current, u(20));
        assert_eq!(state.storage(ALICE, u(2)).unwrap().current, U256::ZERO);
        // A second inner frame succeeds (no revert to its checkpoint): its changes belong to
        // the outer frame and go with it.
        let _inner = state.checkpoint();
        state.set_storage(ALICE, u(2), u(50)).unwrap();
        assert_eq!(state.storage(ALICE, u(2)).unwrap().current, u(50));
        state.revert(outer);
        assert_eq!(state.storage(ALICE, u(1)).unwrap().current, u(10));
        assert_eq!(state.storage(ALICE, u(2)).unwrap().current, U256::ZERO);
    }

    #[test]
    fn revert_restores_the_refund_and_drops_later_logs() {
        let db = db();
        let mut state = State::new(&db);
        state.refund = 100;
        state.logs.push(log(ALICE));
        let checkpoint = state.checkpoint();
        state.refund = -50;
        state.logs.push(log(BOB));
        state.logs.push(log(BOB));
        state.revert(checkpoint);
        assert_eq!(state.refund, 100);
        assert_eq!(state.logs, vec![log(ALICE)]);
    }

    #[test]
    fn an_account_is_cold_once_per_transaction_and_a_revert_cools_it_again() {
        let db = db();
        let mut state = State::new(&db);
        let checkpoint = state.checkpoint();
        assert!(state.warm_account(BOB), "first access is cold");
        assert!(!state.warm_account(BOB), "second access is warm");
        assert!(state.is_warm(&BOB));
        state.revert(checkpoint);
        assert!(!state.is_warm(&BOB));
        assert!(state.warm_account(BOB), "cold again after the revert");
        state.finish_transaction(true);
        assert!(!state.is_warm(&BOB), "the next transaction starts cold");
    }

    #[test]
    fn prewarmed_accounts_and_slots_survive_reverts() {
        let db = db();
        let mut state = State::new(&db);
        state.prewarm_account(BOB);
        state.prewarm_slot(ALICE, u(1)).unwrap();
        let checkpoint = state.checkpoint();
        state.warm_account(ALICE);
        state.revert(checkpoint);
        assert!(state.is_warm(&BOB));
        assert!(!state.is_warm(&ALICE));
        let (slot, cold) = state.access_slot(ALICE, u(1)).unwrap();
        assert!(!cold);
        assert_eq!(slot.current, u(10));
    }

    #[test]
    fn a_slot_is_cold_on_first_access_and_a_revert_cools_it_again() {
        let db = db();
        let mut state = State::new(&db);
        let checkpoint = state.checkpoint();
        let (slot, cold) = state.access_slot(ALICE, u(1)).unwrap();
        assert!(cold);
        assert!(
            !slot.warm,
            "the slot is returned as it was before the access"
        );
        assert!(!state.access_slot(ALICE, u(1)).unwrap().1);
        assert!(
            state.access_slot(ALICE, u(2)).unwrap().1,
            "another slot of the account is still cold"
        );
        state.revert(checkpoint);
        assert!(state.access_slot(ALICE, u(1)).unwrap().1);
        state.finish_transaction(true);
        assert!(state.access_slot(ALICE, u(1)).unwrap().1);
    }

    #[test]
    fn original_is_the_value_at_the_start_of_the_transaction() {
        let db = db();
        let mut state = State::new(&db);
        state.set_storage(ALICE, u(1), u(11)).unwrap();
        state.set_storage(ALICE, u(1), u(12)).unwrap();
        let slot = state.storage(ALICE, u(1)).unwrap();
        assert_eq!((slot.original, slot.current), (u(10), u(12)));
        state.finish_transaction(true);
        let slot = state.storage(ALICE, u(1)).unwrap();
        assert_eq!((slot.original, slot.current), (u(12), u(12)));
    }

    #[test]
    fn sstore_prices_the_slot_as_it_was_and_writes_only_when_paid() {
        let db = db();
        let mut state = State::new(&db);
        let mut seen = None;
        let paid: Result<(), VmError> = state.sstore(ALICE, u(1), u(99), |slot, cold| {
            seen = Some((slot.original, slot.current, cold));
            Err(VmError::Internal("out of gas".into()))
        });
        assert!(paid.is_err());
        assert_eq!(seen, Some((u(10), u(10), true)));
        assert_eq!(state.storage(ALICE, u(1)).unwrap().current, u(10));
        assert!(state.access_slot(ALICE, u(1)).unwrap().1, "still cold");
        assert!(change(&state, ALICE).is_none(), "nothing changed");

        let mut state = State::new(&db);
        let checkpoint = state.checkpoint();
        state
            .sstore::<VmError>(ALICE, u(1), u(99), |_, cold| {
                assert!(cold);
                Ok(())
            })
            .unwrap();
        state
            .sstore::<VmError>(ALICE, u(1), u(98), |slot, cold| {
                assert!(!cold);
                assert_eq!((slot.original, slot.current), (u(10), u(99)));
                Ok(())
            })
            .unwrap();
        assert_eq!(change(&state, ALICE).unwrap().storage, vec![(u(1), u(98))]);
        state.revert(checkpoint);
        let slot = state.storage(ALICE, u(1)).unwrap();
        assert_eq!(slot.current, u(10));
        assert!(!slot.warm);
    }

    #[test]
    fn transient_storage_is_journaled_and_cleared_per_transaction() {
        let db = db();
        let mut state = State::new(&db);
        assert_eq!(state.transient(ALICE, u(1)), U256::ZERO);
        state.set_transient(ALICE, u(1), u(5));
        let checkpoint = state.checkpoint();
        state.set_transient(ALICE, u(1), u(6));
        state.set_transient(BOB, u(1), u(7));
        assert_eq!(state.transient(ALICE, u(1)), u(6));
        assert_eq!(state.transient(ALICE, u(2)), U256::ZERO);
        state.revert(checkpoint);
        assert_eq!(state.transient(ALICE, u(1)), u(5));
        assert_eq!(state.transient(BOB, u(1)), U256::ZERO);
        state.finish_transaction(true);
        assert_eq!(state.transient(ALICE, u(1)), U256::ZERO);
        assert!(
            state.changes().accounts.is_empty(),
            "transient storage is never output"
        );
    }

    #[test]
    fn a_transfer_without_the_funds_changes_nothing() {
        let db = db();
        let mut state = State::new(&db);
        assert!(!state.transfer(BOB, ALICE, u(6)).unwrap());
        assert_eq!(state.info(BOB).unwrap().balance, u(5));
        assert_eq!(state.info(ALICE).unwrap().balance, u(100));
        assert!(state.changes().accounts.is_empty());
        assert!(state.transfer(BOB, ALICE, u(5)).unwrap());
        assert_eq!(state.info(BOB).unwrap().balance, U256::ZERO);
        assert_eq!(state.info(ALICE).unwrap().balance, u(105));
    }

    #[test]
    fn created_account_keeps_its_balance_and_drops_the_old_storage() {
        let db = db();
        let mut state = State::new(&db);
        state.access_slot(ALICE, u(1)).unwrap();
        assert!(state.has_storage(ALICE).unwrap());
        state.create_account(ALICE, 1).unwrap();
        assert!(state.created_in_tx(ALICE).unwrap());
        let info = state.info(ALICE).unwrap();
        assert_eq!((info.nonce, info.balance), (1, u(100)));
        assert_eq!(info.code_hash, EMPTY_CODE_HASH);
        let slot = state.storage(ALICE, u(1)).unwrap();
        assert_eq!((slot.original, slot.current), (U256::ZERO, U256::ZERO));
        assert!(slot.warm, "a slot accessed before the creation stays warm");
        assert_eq!(state.storage(ALICE, u(2)).unwrap().current, U256::ZERO);
        assert!(!state.has_storage(ALICE).unwrap());
        let change = change(&state, ALICE).unwrap();
        assert!(change.storage_cleared);
        assert_eq!(change.code, Some(Bytes::new()));
        state.finish_transaction(true);
        assert!(!state.created_in_tx(ALICE).unwrap());
    }

    #[test]
    fn a_reverted_creation_restores_the_previous_account() {
        let db = db();
        let mut state = State::new(&db);
        let checkpoint = state.checkpoint();
        state.create_account(ALICE, 1).unwrap();
        state.set_storage(ALICE, u(3), u(33)).unwrap();
        state.revert(checkpoint);
        assert!(!state.created_in_tx(ALICE).unwrap());
        assert_eq!(state.storage(ALICE, u(1)).unwrap().current, u(10));
        assert_eq!(state.storage(ALICE, u(3)).unwrap().current, U256::ZERO);
        assert!(state.has_storage(ALICE).unwrap());
    }

    #[test]
    fn selfdestructed_accounts_are_deleted_at_the_end_of_the_transaction() {
        let db = db();
        let mut state = State::new(&db);
        assert!(!state.mark_selfdestruct(ALICE).unwrap());
        assert!(
            state.mark_selfdestruct(ALICE).unwrap(),
            "the second mark reports the first"
        );
        assert!(state.exists(ALICE).unwrap(), "deleted only at the end");
        state.finish_transaction(false);
        assert!(!state.exists(ALICE).unwrap());
        assert_eq!(state.storage(ALICE, u(1)).unwrap().current, U256::ZERO);
        let change = change(&state, ALICE).unwrap();
        assert_eq!(change.info, None);
        assert!(change.storage_cleared);
    }

    #[test]
    fn a_reverted_selfdestruct_deletes_nothing() {
        let db = db();
        let mut state = State::new(&db);
        let checkpoint = state.checkpoint();
        state.mark_selfdestruct(ALICE).unwrap();
        state.revert(checkpoint);
        state.finish_transaction(true);
        assert!(state.exists(ALICE).unwrap());
        assert_eq!(state.info(ALICE).unwrap().balance, u(100));
    }

    #[test]
    fn touched_empty_accounts_are_deleted_only_under_eip161() {
        let mut db = db();
        db.insert_account(NOBODY, 0, U256::ZERO, Bytes::new(), StdHashMap::new());
        for (delete_empty, survives) in [(true, false), (false, true)] {
            let mut state = State::new(&db);
            state.touch(NOBODY).unwrap();
            state.finish_transaction(delete_empty);
            assert_eq!(state.exists(NOBODY).unwrap(), survives, "{delete_empty}");
        }
        // An untouched empty account stays.
        let mut state = State::new(&db);
        state.info(NOBODY).unwrap();
        state.finish_transaction(true);
        assert!(state.exists(NOBODY).unwrap());
    }

    #[test]
    fn a_reverted_touch_of_an_absent_account_does_not_create_it() {
        let db = db();
        let mut state = State::new(&db);
        let checkpoint = state.checkpoint();
        state.add_balance(NOBODY, U256::ZERO).unwrap();
        assert!(state.exists(NOBODY).unwrap());
        state.revert(checkpoint);
        assert!(!state.exists(NOBODY).unwrap());
        state.finish_transaction(false);
        assert!(!state.exists(NOBODY).unwrap());
    }

    #[test]
    fn a_touch_of_ripemd160_survives_the_revert_that_undoes_it() {
        let mut db = db();
        db.insert_account(RIPEMD, 0, U256::ZERO, Bytes::new(), StdHashMap::new());
        let mut state = State::new(&db);
        let checkpoint = state.checkpoint();
        state.touch(RIPEMD).unwrap();
        state.revert(checkpoint);
        state.finish_transaction(true);
        assert!(!state.exists(RIPEMD).unwrap());
        assert_eq!(change(&state, RIPEMD).unwrap().info, None);
        // Any other empty account is kept after a reverted touch.
        let mut db = db.clone();
        db.insert_account(NOBODY, 0, U256::ZERO, Bytes::new(), StdHashMap::new());
        let mut state = State::new(&db);
        let checkpoint = state.checkpoint();
        state.touch(NOBODY).unwrap();
        state.revert(checkpoint);
        state.finish_transaction(true);
        assert!(state.exists(NOBODY).unwrap());
    }

    #[test]
    fn changes_list_changed_accounts_by_address_with_new_code_only() {
        let db = db();
        let mut state = State::new(&db);
        state.set_balance(BOB, u(6)).unwrap();
        state.set_nonce(ALICE, 2).unwrap();
        state.info(NOBODY).unwrap();
        state.finish_transaction(true);
        state
            .set_code(ALICE, Bytes::from_static(&[0x5f, 0x00]))
            .unwrap();
        let changes = state.changes();
        let addresses: Vec<Address> = changes.accounts.iter().map(|c| c.address).collect();
        assert_eq!(addresses, vec![ALICE, BOB]);
        let alice = &changes.accounts[0];
        assert_eq!(alice.info.unwrap().nonce, 2);
        assert_eq!(
            alice.info.unwrap().code_hash,
            keccak256([0x5f, 0x00]),
            "the code hash follows the code"
        );
        assert_eq!(alice.code, Some(Bytes::from_static(&[0x5f, 0x00])));
        let bob = &changes.accounts[1];
        assert_eq!(bob.info.unwrap().balance, u(6));
        assert_eq!(bob.code, None, "unchanged code is not output");
        assert!(!bob.storage_cleared);
    }
}
