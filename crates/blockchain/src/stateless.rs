//! Stateless execution: [`execute_stateless`] re-executes a block over an [`ExecutionWitness`]
//! alone — no store — and checks the state root it computes against the block's header. This is
//! what a prover runs; the node uses it to check the witnesses it serves.
//!
//! [`WitnessDb`] answers the VM from the witness: accounts and slots by walking the parent's
//! tries through the witness nodes (a node the walk needs but the witness lacks is an error,
//! never an absent account), codes by hash, block hashes from the headers, which must chain up to
//! the block's parent. The new state root is computed by applying the block's changes to those
//! tries, again with only the witness nodes.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, PoisonError},
};

use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use alloy_rlp::Decodable;
use ethrex_common::{
    ChainConfig,
    state::{AccountInfo, Database, StateChanges, StateError},
    types::{AccountState, Block, Header},
};
use ethrex_trie::{EMPTY_TRIE_ROOT, InMemoryTrieDB, NodeSet, Trie, TrieDB, TrieError};

use crate::{
    BlockError, BlockOutcome, ChainError, ExecutionWitness, Rules, execute_block_with_rules,
};

/// The parent state and ancestry of a block, as a witness gives them.
pub struct WitnessDb {
    nodes: NodeSet,
    parent: Header,
    accounts: Arc<dyn TrieDB>,
    /// The storage tries placed so far, by root.
    storage: Mutex<HashMap<B256, Arc<InMemoryTrieDB>>>,
    codes: HashMap<B256, Bytes>,
    block_hashes: HashMap<u64, B256>,
}

impl std::fmt::Debug for WitnessDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WitnessDb")
            .field("parent", &self.parent.number)
            .field("nodes", &self.nodes.len())
            .finish_non_exhaustive()
    }
}

fn decode_err(what: &str, e: alloy_rlp::Error) -> String {
    format!("invalid {what} RLP in the witness: {e}")
}

impl WitnessDb {
    /// The database of the witness of a block whose parent hash is `parent_hash`: its headers
    /// must chain, ascending, up to that parent.
    pub fn new(witness: &ExecutionWitness, parent_hash: B256) -> Result<Self, String> {
        let mut block_hashes = HashMap::new();
        let mut parent: Option<Header> = None;
        for rlp in &witness.headers {
            let header = Header::decode(&mut rlp.as_ref()).map_err(|e| decode_err("header", e))?;
            if let Some(previous) = &parent
                && (header.parent_hash != previous.hash_slow()
                    || Some(header.number) != previous.number.checked_add(1))
            {
                return Err(format!(
                    "witness header #{} does not follow header #{}",
                    header.number, previous.number
                ));
            }
            block_hashes.insert(header.number, header.hash_slow());
            parent = Some(header);
        }
        let parent = parent.ok_or("the witness has no headers: it needs at least the parent")?;
        if parent.hash_slow() != parent_hash {
            return Err(format!(
                "the witness's last header {} is not the block's parent {parent_hash}",
                parent.hash_slow()
            ));
        }
        let nodes: NodeSet = witness.state.iter().map(|n| n.to_vec()).collect();
        let accounts = Arc::new(
            nodes
                .trie_db(parent.state_root)
                .map_err(|e| e.to_string())?,
        );
        let codes = witness
            .codes
            .iter()
            .map(|code| (keccak256(code), code.clone()))
            .collect();
        Ok(Self {
            nodes,
            parent,
            accounts,
            storage: Mutex::default(),
            codes,
            block_hashes,
        })
    }

    /// The parent's header (the last of the witness's headers).
    pub fn parent(&self) -> &Header {
        &self.parent
    }

    /// The account at `address` in the parent's state.
    pub fn account_state(&self, address: &Address) -> Result<Option<AccountState>, String> {
        let trie = Trie::open(Arc::clone(&self.accounts), self.parent.state_root);
        let leaf = trie
            .get(keccak256(address).as_slice())
            .map_err(|e| missing(&format!("account {address}"), e))?;
        leaf.map(|rlp| {
            AccountState::decode(&mut rlp.as_slice()).map_err(|e| decode_err("account", e))
        })
        .transpose()
    }

    /// The storage trie of root `root`, over the witness nodes.
    fn storage_trie(&self, root: B256) -> Result<Trie, String> {
        // Each entry is inserted whole: a panic elsewhere cannot leave the map inconsistent.
        let mut placed = self.storage.lock().unwrap_or_else(PoisonError::into_inner);
        let db = match placed.get(&root) {
            Some(db) => Arc::clone(db),
            None => {
                let db = Arc::new(self.nodes.trie_db(root).map_err(|e| e.to_string())?);
                placed.insert(root, Arc::clone(&db));
                db
            }
        };
        Ok(Trie::open(db, root))
    }

    /// The value of a slot in the parent's state.
    pub fn storage_value(&self, address: &Address, slot: &U256) -> Result<U256, String> {
        let Some(account) = self.account_state(address)? else {
            return Ok(U256::ZERO);
        };
        if account.storage_root == EMPTY_TRIE_ROOT {
            return Ok(U256::ZERO);
        }
        let trie = self.storage_trie(account.storage_root)?;
        let leaf = trie
            .get(keccak256(slot.to_be_bytes::<32>()).as_slice())
            .map_err(|e| missing(&format!("slot {slot} of {address}"), e))?;
        leaf.map_or(Ok(U256::ZERO), |rlp| {
            U256::decode(&mut rlp.as_slice()).map_err(|e| decode_err("slot", e))
        })
    }

    /// The state root after `changes` (changes since the parent's state), computed over the
    /// witness nodes.
    pub fn state_root_after(&self, changes: &StateChanges) -> Result<B256, String> {
        let mut accounts = Trie::open(Arc::clone(&self.accounts), self.parent.state_root);
        for change in &changes.accounts {
            let key = keccak256(change.address);
            let what = format!("account {}", change.address);
            let Some(info) = change.info else {
                accounts
                    .remove(key.as_slice())
                    .map_err(|e| missing(&what, e))?;
                continue;
            };
            let current = self.account_state(&change.address)?;
            let mut storage_root = current.map_or(EMPTY_TRIE_ROOT, |a| a.storage_root);
            if change.storage_cleared {
                storage_root = EMPTY_TRIE_ROOT;
            }
            if !change.storage.is_empty() {
                let mut storage = self.storage_trie(storage_root)?;
                for (slot, value) in &change.storage {
                    let key = keccak256(slot.to_be_bytes::<32>());
                    let what = format!("slot {slot} of {}", change.address);
                    if value.is_zero() {
                        storage
                            .remove(key.as_slice())
                            .map_err(|e| missing(&what, e))?;
                    } else {
                        storage
                            .insert(key.as_slice(), alloy_rlp::encode(value))
                            .map_err(|e| missing(&what, e))?;
                    }
                }
                storage_root = storage.root_hash();
            }
            let account = AccountState {
                nonce: info.nonce,
                balance: info.balance,
                storage_root,
                code_hash: info.code_hash,
            };
            accounts
                .insert(key.as_slice(), alloy_rlp::encode(account))
                .map_err(|e| missing(&what, e))?;
        }
        Ok(accounts.root_hash())
    }
}

fn missing(what: &str, e: TrieError) -> String {
    format!("the witness cannot resolve {what}: {e}")
}

impl Database for WitnessDb {
    fn account(&self, address: &Address) -> Result<Option<AccountInfo>, StateError> {
        Ok(self
            .account_state(address)
            .map_err(StateError::MissingTrieNode)?
            .map(|a| AccountInfo {
                nonce: a.nonce,
                balance: a.balance,
                code_hash: a.code_hash,
            }))
    }

    fn storage(&self, address: &Address, slot: &U256) -> Result<U256, StateError> {
        self.storage_value(address, slot)
            .map_err(StateError::MissingTrieNode)
    }

    fn code(&self, code_hash: &B256) -> Result<Bytes, StateError> {
        if *code_hash == ethrex_common::constants::EMPTY_CODE_HASH {
            return Ok(Bytes::new());
        }
        self.codes
            .get(code_hash)
            .cloned()
            .ok_or(StateError::MissingCode(*code_hash))
    }

    fn block_hash(&self, number: u64) -> Result<B256, StateError> {
        self.block_hashes
            .get(&number)
            .copied()
            .ok_or(StateError::MissingBlockHash(number))
    }

    fn has_storage(&self, address: &Address) -> Result<bool, StateError> {
        Ok(self
            .account_state(address)
            .map_err(StateError::MissingTrieNode)?
            .is_some_and(|a| a.storage_root != EMPTY_TRIE_ROOT))
    }
}

/// Re-executes `block` over `witness` alone and checks the state root it computes against the
/// header (ommers are not checked: see `witness.rs`). Returns what executing produced.
pub fn execute_stateless(
    config: &ChainConfig,
    block: &Block,
    witness: &ExecutionWitness,
) -> Result<BlockOutcome, ChainError> {
    execute_stateless_with_rules(config, block, witness, Rules::Ethereum)
}

/// [`execute_stateless`] under `rules` (a rollup block: its fee parameters).
pub fn execute_stateless_with_rules(
    config: &ChainConfig,
    block: &Block,
    witness: &ExecutionWitness,
    rules: Rules,
) -> Result<BlockOutcome, ChainError> {
    let header = &block.header;
    let invalid_witness = |reason: String| ChainError::InvalidWitness {
        number: header.number,
        reason,
    };
    let db = WitnessDb::new(witness, header.parent_hash).map_err(invalid_witness)?;
    let root_after =
        |changes: &StateChanges| db.state_root_after(changes).map_err(BlockError::StateRoot);
    let outcome =
        execute_block_with_rules(config, block, db.parent(), &db, &root_after, None, rules)
            .map_err(|source| ChainError::invalid_block(header, source))?;
    let root = db
        .state_root_after(&outcome.changes)
        .map_err(invalid_witness)?;
    ChainError::check_state_root(header, root)?;
    Ok(outcome)
}
