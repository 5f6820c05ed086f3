//! [`ChainState`]: the generated chain's head state, in memory, with its state root kept up to
//! date incrementally, and block building on top of it.
//!
//! The accounts live in an [`InMemoryDb`] (what the VM reads); beside it, `StateTries`: an
//! in-memory account trie (`keccak256(address)` → `rlp(AccountState)`) and one storage trie per
//! account with storage (`keccak256(slot)` → `rlp(value)`, zero slots absent). Applying a
//! block's changes rehashes only the paths they touch, so a block's root costs about its
//! changes, not the size of the state. Invariant: the database and the tries always receive the
//! same changes, so they describe the same accounts.

use std::{cell::RefCell, collections::HashMap};

use alloy_primitives::{Address, B256, keccak256};
use ethrex_blockchain::{BlockAttributes, BlockError, BuiltBlock, build_block};
use ethrex_common::{
    ChainConfig,
    types::{AccountState, Header, Transaction},
};
use ethrex_trie::{EMPTY_TRIE_ROOT, Trie, TrieError};
use ethrex_vm::{AccountChange, AccountInfo, InMemoryDb, StateChanges};

use crate::Result;

/// The head state of the generated chain.
#[derive(Debug)]
pub struct ChainState {
    db: InMemoryDb,
    /// Borrowed mutably by the state root function `build_block` calls while it reads `db`.
    tries: RefCell<StateTries>,
}

impl ChainState {
    /// The state holding the accounts of `db`.
    pub fn new(db: InMemoryDb) -> Result<Self> {
        let tries = StateTries::from_db(&db)?;
        Ok(ChainState {
            db,
            tries: RefCell::new(tries),
        })
    }

    /// The accounts, as the VM reads them.
    pub fn db(&self) -> &InMemoryDb {
        &self.db
    }

    /// The state root.
    pub fn root(&self) -> B256 {
        self.tries.borrow_mut().accounts.root_hash()
    }

    /// Builds the child of `parent` (whose state this is) with [`build_block`] and moves the
    /// state to the child's.
    pub fn build(
        &mut self,
        config: &ChainConfig,
        parent: &Header,
        attributes: BlockAttributes,
        transactions: Vec<Transaction>,
    ) -> Result<BuiltBlock> {
        // `build_block` calls this once, with the block's changes (post-Byzantium): the tries
        // move to the child's state here, and the database right after.
        let tries = &self.tries;
        let root = |changes: &StateChanges| {
            tries
                .borrow_mut()
                .apply(changes)
                .map_err(|e| BlockError::StateRoot(e.to_string()))
        };
        let built = build_block(config, parent, &self.db, attributes, transactions, &root)?;
        self.db.apply(&built.changes);
        Ok(built)
    }

    /// Records the hash of a block, for the `BLOCKHASH` opcode.
    pub fn insert_block_hash(&mut self, number: u64, hash: B256) {
        self.db.block_hashes.insert(number, hash);
    }
}

/// The account trie and the storage tries of a state.
#[derive(Debug)]
struct StateTries {
    accounts: Trie,
    storage: HashMap<Address, Trie>,
}

impl StateTries {
    fn from_db(db: &InMemoryDb) -> std::result::Result<Self, TrieError> {
        let mut tries = StateTries {
            accounts: Trie::new_in_memory(),
            storage: HashMap::new(),
        };
        let accounts = db.accounts.iter().map(|(address, account)| AccountChange {
            address: *address,
            info: Some(account.info),
            code: None,
            storage_cleared: true,
            storage: account.storage.iter().map(|(s, v)| (*s, *v)).collect(),
        });
        tries.apply(&StateChanges {
            accounts: accounts.collect(),
        })?;
        Ok(tries)
    }

    /// Applies `changes` (each account's new info and changed slots) and returns the root.
    fn apply(&mut self, changes: &StateChanges) -> std::result::Result<B256, TrieError> {
        for change in &changes.accounts {
            let key = keccak256(change.address);
            let Some(info) = change.info else {
                self.storage.remove(&change.address);
                self.accounts.remove(key.as_slice())?;
                continue;
            };
            if change.storage_cleared {
                self.storage.remove(&change.address);
            }
            if !change.storage.is_empty() {
                let trie = self
                    .storage
                    .entry(change.address)
                    .or_insert_with(Trie::new_in_memory);
                for (slot, value) in &change.storage {
                    let slot_key = keccak256(slot.to_be_bytes::<32>());
                    // An empty value removes the slot.
                    let encoded = if value.is_zero() {
                        Vec::new()
                    } else {
                        alloy_rlp::encode(value)
                    };
                    trie.insert(slot_key.as_slice(), encoded)?;
                }
            }
            let leaf = account_leaf(info, self.storage.get_mut(&change.address));
            self.accounts.insert(key.as_slice(), leaf)?;
        }
        Ok(self.accounts.root_hash())
    }
}

/// The account trie's value for an account.
fn account_leaf(info: AccountInfo, storage: Option<&mut Trie>) -> Vec<u8> {
    let state = AccountState {
        nonce: info.nonce,
        balance: info.balance,
        storage_root: storage.map_or(EMPTY_TRIE_ROOT, Trie::root_hash),
        code_hash: info.code_hash,
    };
    alloy_rlp::encode(state)
}

#[cfg(test)]
pub(crate) mod tests {
    use alloy_primitives::{Bytes, U256};
    use ethrex_trie::TrieBuilder;

    use super::*;

    /// The state root of `db` computed from scratch with the streaming builder.
    pub(crate) fn root_from_scratch(db: &InMemoryDb) -> B256 {
        fn root_of(mut leaves: Vec<(B256, Vec<u8>)>) -> B256 {
            leaves.sort_unstable();
            let mut builder = TrieBuilder::new();
            for (key, value) in &leaves {
                builder.add(key.as_slice(), value).unwrap();
            }
            builder.root()
        }
        let leaves = db
            .accounts
            .iter()
            .map(|(address, account)| {
                let slots = account
                    .storage
                    .iter()
                    .filter(|(_, v)| !v.is_zero())
                    .map(|(s, v)| (keccak256(s.to_be_bytes::<32>()), alloy_rlp::encode(v)))
                    .collect();
                let state = AccountState {
                    nonce: account.info.nonce,
                    balance: account.info.balance,
                    storage_root: root_of(slots),
                    code_hash: account.info.code_hash,
                };
                (keccak256(address), alloy_rlp::encode(state))
            })
            .collect();
        root_of(leaves)
    }

    fn change(address: Address, balance: u64, storage: &[(u64, u64)]) -> AccountChange {
        AccountChange {
            address,
            info: Some(AccountInfo {
                balance: U256::from(balance),
                ..Default::default()
            }),
            code: None,
            storage_cleared: false,
            storage: storage
                .iter()
                .map(|(s, v)| (U256::from(*s), U256::from(*v)))
                .collect(),
        }
    }

    #[test]
    fn incremental_root_equals_the_root_from_scratch() {
        let mut db = InMemoryDb::default();
        let (a, b, c) = (
            Address::repeat_byte(1),
            Address::repeat_byte(2),
            Address::repeat_byte(3),
        );
        let storage = HashMap::from([(U256::from(1), U256::from(10))]);
        db.insert_account(a, 1, U256::from(5), Bytes::new(), storage);
        db.insert_account(b, 0, U256::from(7), Bytes::new(), HashMap::new());
        let mut tries = StateTries::from_db(&db).unwrap();
        assert_eq!(tries.accounts.root_hash(), root_from_scratch(&db));

        let steps = [
            // A new slot, a slot deleted, a balance change, a new account.
            vec![change(a, 5, &[(2, 20), (1, 0)]), change(c, 9, &[])],
            // An account deleted; storage cleared and rewritten.
            vec![
                AccountChange {
                    info: None,
                    ..change(b, 0, &[])
                },
                AccountChange {
                    storage_cleared: true,
                    ..change(a, 5, &[(3, 30)])
                },
            ],
        ];
        for accounts in steps {
            let changes = StateChanges { accounts };
            db.apply(&changes);
            assert_eq!(tries.apply(&changes).unwrap(), root_from_scratch(&db));
        }
        assert!(!db.accounts.contains_key(&b));
        assert_eq!(db.accounts[&a].storage.len(), 1);
    }
}
