//! Reading a state: [`StateReader`] serves the VM's [`Database`] from the flat tables (O(1) per
//! account or slot), and can read the same values through the tries (for proofs and checks).
//!
//! The store holds one state on disk, the one of root [`ChainDataKey::StateRoot`], and the
//! states of recent blocks as diff layers above it (`layers.rs`); [`Store::state_at`] opens any
//! of them.

use std::sync::Arc;

use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use ethrex_common::{
    constants::EMPTY_CODE_HASH,
    state::{AccountInfo, Database, StateError},
    types::AccountState,
};
use ethrex_trie::{EMPTY_TRIE_ROOT, Trie};

use crate::{
    Result, Store, codec,
    layers::StateView,
    tables::{ChainDataKey, Table},
    trie_db::{StoreTrieDb, TrieOwner},
};

/// The flat-storage key of a slot: `hashed address ‖ keccak(slot as 32 BE bytes)`.
pub(crate) fn flat_storage_key(hashed_address: &B256, hashed_slot: &B256) -> [u8; 64] {
    let mut key = [0u8; 64];
    key[..32].copy_from_slice(hashed_address.as_slice());
    key[32..].copy_from_slice(hashed_slot.as_slice());
    key
}

/// The trie key of a storage slot.
pub(crate) fn hashed_slot(slot: &U256) -> B256 {
    keccak256(slot.to_be_bytes::<32>())
}

impl Store {
    /// Root of the state persisted in the trie and flat tables (the empty root before any
    /// state); the diff layers hold the newer ones.
    pub fn stored_state_root(&self) -> Result<B256> {
        Ok(self
            .chain_hash(ChainDataKey::StateRoot)?
            .unwrap_or(EMPTY_TRIE_ROOT))
    }

    /// Read access to the state of root `root`: the persisted one or one of a diff layer.
    pub fn state_at(&self, root: B256) -> Result<StateReader> {
        Ok(StateReader::new(StateView::new(self, root, None)?, root))
    }

    /// The code with this hash.
    pub fn code(&self, code_hash: &B256) -> Result<Option<Bytes>> {
        if *code_hash == EMPTY_CODE_HASH {
            return Ok(Some(Bytes::new()));
        }
        Ok(self
            .backend
            .get(Table::AccountCodes, code_hash.as_slice())?
            .map(Bytes::from))
    }
}

/// Read access to one state of the store (it fails, never reads another state, once that
/// state is no longer held).
#[derive(Debug, Clone)]
pub struct StateReader {
    view: StateView,
    /// The root of the state read: the view's, or a state builder's current root above it.
    root: B256,
}

impl StateReader {
    /// A reader of `root`, read through `view` (whose pending writes turn the view's state into
    /// `root`).
    pub(crate) fn new(view: StateView, root: B256) -> Self {
        Self { view, root }
    }

    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.view.get(table, key)
    }

    pub(crate) fn trie_db(&self, owner: TrieOwner) -> Arc<StoreTrieDb> {
        Arc::new(StoreTrieDb::new(self.view.clone(), owner))
    }

    /// The state root this reader reads.
    pub fn root(&self) -> B256 {
        self.root
    }

    /// The code with this hash (pending first, then stored).
    pub fn code_bytes(&self, code_hash: &B256) -> Result<Option<Bytes>> {
        if *code_hash == EMPTY_CODE_HASH {
            return Ok(Some(Bytes::new()));
        }
        Ok(self
            .get(Table::AccountCodes, code_hash.as_slice())?
            .map(Bytes::from))
    }

    /// The account at `address`, from the flat table.
    pub fn account_state(&self, address: &Address) -> Result<Option<AccountState>> {
        let key = keccak256(address);
        self.get(Table::FlatAccounts, key.as_slice())?
            .map(|bytes| codec::rlp(Table::FlatAccounts, key.as_slice(), &bytes))
            .transpose()
    }

    /// The value of a storage slot, from the flat table (zero if unset).
    pub fn storage_value(&self, address: &Address, slot: &U256) -> Result<U256> {
        let key = flat_storage_key(&keccak256(address), &hashed_slot(slot));
        match self.get(Table::FlatStorage, &key)? {
            Some(bytes) => codec::rlp(Table::FlatStorage, &key, &bytes),
            None => Ok(U256::ZERO),
        }
    }

    /// Whether the account has a non-zero slot other than those in `excluded` (slots a caller
    /// knows to be zero now). Scans the account's flat storage: for the rare reads that need it
    /// ([`Database::has_storage_besides`]).
    fn flat_storage_besides(
        &self,
        address: &Address,
        excluded: &std::collections::HashSet<U256>,
    ) -> Result<bool> {
        let hashed = keccak256(address);
        let excluded: std::collections::HashSet<B256> = excluded.iter().map(hashed_slot).collect();
        for key in self
            .view
            .keys_with_prefix(Table::FlatStorage, hashed.as_slice())?
        {
            let excluded_slot = key
                .get(32..)
                .and_then(|slot| B256::try_from(slot).ok())
                .is_some_and(|slot| excluded.contains(&slot));
            if !excluded_slot && self.get(Table::FlatStorage, &key)?.is_some() {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The account at `address`, read through the account trie.
    pub fn account_state_from_trie(&self, address: &Address) -> Result<Option<AccountState>> {
        let trie = Trie::open(self.trie_db(TrieOwner::Accounts), self.root());
        let hashed = keccak256(address);
        trie.get(hashed.as_slice())?
            .map(|bytes| codec::rlp(Table::AccountTrieNodes, hashed.as_slice(), &bytes))
            .transpose()
    }

    /// The value of a storage slot, read through the account's storage trie.
    pub fn storage_value_from_trie(&self, address: &Address, slot: &U256) -> Result<U256> {
        let Some(account) = self.account_state_from_trie(address)? else {
            return Ok(U256::ZERO);
        };
        let owner = TrieOwner::Storage(keccak256(address));
        let trie = Trie::open(self.trie_db(owner), account.storage_root);
        let key = hashed_slot(slot);
        match trie.get(key.as_slice())? {
            Some(bytes) => codec::rlp(Table::StorageTrieNodes, key.as_slice(), &bytes),
            None => Ok(U256::ZERO),
        }
    }

    /// The Merkle proof of the account at `address` in the account trie (`eth_getProof`'s
    /// `accountProof`): the RLP of the nodes from the root down to it, or to where its path ends
    /// when it is absent.
    pub fn account_proof(&self, address: &Address) -> Result<Vec<Bytes>> {
        let mut trie = Trie::open(self.trie_db(TrieOwner::Accounts), self.root());
        let proof = trie.get_proof(keccak256(address).as_slice())?;
        Ok(proof.into_iter().map(Bytes::from).collect())
    }

    /// The Merkle proof of a storage slot in the storage trie of the account at `address`
    /// (empty when the account does not exist or has no storage).
    pub fn storage_proof(&self, address: &Address, slot: &U256) -> Result<Vec<Bytes>> {
        let Some(account) = self.account_state_from_trie(address)? else {
            return Ok(Vec::new());
        };
        if account.storage_root == EMPTY_TRIE_ROOT {
            return Ok(Vec::new());
        }
        let owner = TrieOwner::Storage(keccak256(address));
        let mut trie = Trie::open(self.trie_db(owner), account.storage_root);
        let proof = trie.get_proof(hashed_slot(slot).as_slice())?;
        Ok(proof.into_iter().map(Bytes::from).collect())
    }
}

impl Database for StateReader {
    fn account(&self, address: &Address) -> std::result::Result<Option<AccountInfo>, StateError> {
        Ok(self.account_state(address)?.map(|a| AccountInfo {
            nonce: a.nonce,
            balance: a.balance,
            code_hash: a.code_hash,
        }))
    }

    fn storage(&self, address: &Address, slot: &U256) -> std::result::Result<U256, StateError> {
        Ok(self.storage_value(address, slot)?)
    }

    fn code(&self, code_hash: &B256) -> std::result::Result<Bytes, StateError> {
        self.code_bytes(code_hash)?
            .ok_or(StateError::MissingCode(*code_hash))
    }

    fn block_hash(&self, number: u64) -> std::result::Result<B256, StateError> {
        self.view
            .store()
            .canonical_hash(number)?
            .ok_or(StateError::MissingBlockHash(number))
    }

    fn has_storage(&self, address: &Address) -> std::result::Result<bool, StateError> {
        Ok(self
            .account_state(address)?
            .is_some_and(|a| a.storage_root != EMPTY_TRIE_ROOT))
    }

    fn has_storage_besides(
        &self,
        address: &Address,
        zeroed: &std::collections::HashSet<U256>,
    ) -> std::result::Result<bool, StateError> {
        Ok(self.flat_storage_besides(address, zeroed)?)
    }
}

#[cfg(test)]
mod tests {
    use ethrex_common::state::InMemoryDb;
    use ethrex_trie::verify_proof;

    use super::*;
    use crate::test_utils::{Harness, Rng, address, backend_tests, random_changes};

    fn proofs_verify_against_the_state_root(h: &Harness) {
        let store = h.open();
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut model = InMemoryDb::default();
        let mut root = EMPTY_TRIE_ROOT;
        for _ in 0..3 {
            let changes = random_changes(&mut rng, &model);
            model.apply(&changes);
            let update = store.prepare_state_update(root, &changes).unwrap();
            root = update.root;
            store.commit_state_update(update).unwrap();
        }
        let reader = store.state_at(root).unwrap();
        // Accounts 0..40 may exist; 40..45 never do (proofs of absence).
        for i in 0..45 {
            let addr = address(i);
            let proof: Vec<Vec<u8>> = reader
                .account_proof(&addr)
                .unwrap()
                .into_iter()
                .map(Vec::from)
                .collect();
            assert!(!proof.is_empty(), "the root node is always in the proof");
            let proven = verify_proof(root, keccak256(addr).as_slice(), &proof).unwrap();
            let account = reader.account_state_from_trie(&addr).unwrap();
            assert_eq!(proven, account.map(alloy_rlp::encode), "account {i}");
            let Some(account) = account else {
                assert!(reader.storage_proof(&addr, &U256::ZERO).unwrap().is_empty());
                continue;
            };
            for slot in 0..14u64 {
                let slot = U256::from(slot);
                let proof: Vec<Vec<u8>> = reader
                    .storage_proof(&addr, &slot)
                    .unwrap()
                    .into_iter()
                    .map(Vec::from)
                    .collect();
                let key = hashed_slot(&slot);
                let proven = if account.storage_root == EMPTY_TRIE_ROOT {
                    assert!(proof.is_empty());
                    None
                } else {
                    verify_proof(account.storage_root, key.as_slice(), &proof).unwrap()
                };
                let value = reader.storage_value(&addr, &slot).unwrap();
                let expected = (!value.is_zero()).then(|| alloy_rlp::encode(value));
                assert_eq!(proven, expected, "account {i} slot {slot}");
            }
        }
    }

    backend_tests!(proofs_verify_against_the_state_root);
}
