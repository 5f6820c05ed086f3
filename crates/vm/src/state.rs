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
    /// Whether the RIPEMD-160 precompile's account was touched in this transaction, reverted or
    /// not: the mainnet consensus exception of block 2,675,119 (geth keeps that touch through
    /// every revert, so EIP-161 deletes the account if it is empty).
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
        let from_balance = self.info(from)?.balance;
        if from_balance < value {
            return Ok(false);
        }
        self.set_balance(from, from_balance - value)?;
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
