//! What a state test compares: the post-state root of an [`InMemoryDb`], the hash of the logs,
//! and, to explain a wrong root, the differences from the fixture's expected post-state.
//!
//! State trie: `keccak256(address)` → `rlp(AccountState)`; storage trie: `keccak256(slot as 32
//! bytes, big-endian)` → `rlp(value)`, zero slots omitted. Both are built with
//! [`TrieBuilder`] over keys sorted first.

use std::collections::{BTreeMap, HashMap};

use alloy_primitives::{Address, B256, U256, keccak256};
use ethrex_common::types::{AccountState, Log};
use ethrex_trie::TrieBuilder;
use ethrex_vm::InMemoryDb;

use super::fixture::Account;

/// At most this many differing accounts are described in a failure.
const MAX_DIFFS: usize = 4;

/// The state root of every account in `db`.
pub fn state_root(db: &InMemoryDb) -> Result<B256, String> {
    let leaves = db
        .accounts
        .iter()
        .map(|(address, account)| {
            let state = AccountState {
                nonce: account.info.nonce,
                balance: account.info.balance,
                storage_root: storage_root(&account.storage)?,
                code_hash: account.info.code_hash,
            };
            Ok((keccak256(address), alloy_rlp::encode(state)))
        })
        .collect::<Result<Vec<_>, String>>()?;
    root_of(leaves)
}

/// The root of an account's storage trie.
fn storage_root(storage: &HashMap<U256, U256>) -> Result<B256, String> {
    let leaves = storage
        .iter()
        .filter(|(_, value)| !value.is_zero())
        .map(|(slot, value)| {
            (
                keccak256(slot.to_be_bytes::<32>()),
                alloy_rlp::encode(value),
            )
        })
        .collect();
    root_of(leaves)
}

/// The root of a trie holding `leaves`, in any order.
fn root_of(mut leaves: Vec<(B256, Vec<u8>)>) -> Result<B256, String> {
    leaves.sort_unstable_by_key(|(key, _)| *key);
    let mut builder = TrieBuilder::new();
    for (key, value) in &leaves {
        builder
            .add(key.as_slice(), value)
            .map_err(|e| format!("state trie: {e}"))?;
    }
    Ok(builder.root())
}

/// Keccak-256 of the RLP list of `logs` (each `[address, [topics], data]`).
pub fn logs_hash(logs: &[Log]) -> B256 {
    let mut rlp = Vec::new();
    alloy_rlp::encode_list::<Log, Log>(logs, &mut rlp);
    keccak256(rlp)
}

/// The accounts where `got` differs from `expected` (at most [`MAX_DIFFS`] described).
pub fn state_diff(expected: &BTreeMap<Address, Account>, got: &InMemoryDb) -> String {
    let mut diffs = Vec::new();
    for (address, want) in expected {
        let Some(have) = got.accounts.get(address) else {
            diffs.push(format!("{address} missing"));
            continue;
        };
        let mut fields = Vec::new();
        if have.info.nonce != want.nonce {
            fields.push(format!("nonce {} != {}", have.info.nonce, want.nonce));
        }
        if have.info.balance != want.balance {
            fields.push(format!("balance {} != {}", have.info.balance, want.balance));
        }
        if have.code != want.code {
            fields.push(format!(
                "code of {} bytes != {} bytes",
                have.code.len(),
                want.code.len()
            ));
        }
        let slots = want.storage.keys().chain(have.storage.keys());
        let mut slots: Vec<&U256> = slots.collect();
        slots.sort_unstable();
        slots.dedup();
        for slot in slots {
            let have = have.storage.get(slot).copied().unwrap_or_default();
            let want = want.storage.get(slot).copied().unwrap_or_default();
            if have != want {
                fields.push(format!("slot {slot:#x}: {have:#x} != {want:#x}"));
            }
        }
        if !fields.is_empty() {
            diffs.push(format!("{address} {}", fields.join(", ")));
        }
    }
    let mut extra: Vec<&Address> = got
        .accounts
        .keys()
        .filter(|a| !expected.contains_key(*a))
        .collect();
    extra.sort_unstable();
    diffs.extend(extra.into_iter().map(|a| format!("{a} unexpected")));
    if diffs.is_empty() {
        return "the accounts equal the fixture's post state".to_string();
    }
    let more = diffs.len().saturating_sub(MAX_DIFFS);
    diffs.truncate(MAX_DIFFS);
    if more > 0 {
        diffs.push(format!("{more} more"));
    }
    format!("post state (got != expected): {}", diffs.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{Bytes, LogData, address, b256};
    use ethrex_common::{Genesis, constants::EMPTY_TRIE_ROOT};

    use crate::suites::state::fixture::in_memory_db;

    const ALLOC: &str = r#"{
        "0x0000000000000000000000000000000000000100": {
            "nonce": "0x00", "balance": "0x01", "code": "0x6000",
            "storage": { "0x01": "0x02", "0x03": "0x00", "0xffff": "0x0100" }
        },
        "0xa94f5374fce5edbc8e2a8697c15331677e6ebf0b": {
            "nonce": "0x07", "balance": "0x0de0b6b3a7640000", "code": "0x", "storage": {}
        }
    }"#;

    fn accounts() -> BTreeMap<Address, Account> {
        serde_json::from_str(ALLOC).unwrap()
    }

    #[test]
    fn state_root_matches_the_genesis_root_of_the_same_alloc() {
        let genesis = format!(
            r#"{{"config": {{"chainId": 1}}, "gasLimit": "0x1", "difficulty": "0x0", "timestamp": "0x0", "alloc": {ALLOC}}}"#
        );
        let genesis = Genesis::from_json(&genesis).unwrap();
        let db = in_memory_db(&accounts());
        assert_eq!(state_root(&db).unwrap(), genesis.state_root().unwrap());
    }

    #[test]
    fn zero_slots_do_not_change_the_root_and_no_accounts_is_the_empty_root() {
        let mut db = in_memory_db(&accounts());
        let root = state_root(&db).unwrap();
        for account in db.accounts.values_mut() {
            account.storage.insert(U256::from(42), U256::ZERO);
        }
        assert_eq!(state_root(&db).unwrap(), root);
        assert_eq!(state_root(&InMemoryDb::default()).unwrap(), EMPTY_TRIE_ROOT);
    }

    #[test]
    fn logs_hash_of_rlp_list() {
        assert_eq!(
            logs_hash(&[]),
            b256!("1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347")
        );
        let log = Log {
            address: Address::repeat_byte(1),
            data: LogData::new_unchecked(vec![B256::repeat_byte(2)], Bytes::from(vec![3])),
        };
        // rlp([[address, [topic], data]]) written out by hand.
        let mut rlp = vec![0xf8, 0x3a, 0xf8, 0x38, 0x94];
        rlp.extend([1; 20]);
        rlp.extend([0xe1, 0xa0]);
        rlp.extend([2; 32]);
        rlp.push(3);
        assert_eq!(logs_hash(&[log]), keccak256(rlp));
    }

    #[test]
    fn state_diff_names_each_difference() {
        let expected = accounts();
        let mut db = in_memory_db(&expected);
        let sender = address!("a94f5374fce5edbc8e2a8697c15331677e6ebf0b");
        db.accounts.get_mut(&sender).unwrap().info.nonce = 8;
        let contract = db
            .accounts
            .get_mut(&Address::left_padding_from(&[1, 0]))
            .unwrap();
        contract.storage.insert(U256::from(1), U256::from(5));
        db.insert_account(Address::ZERO, 0, U256::ZERO, Bytes::new(), HashMap::new());
        let diff = state_diff(&expected, &db);
        for needle in [
            "nonce 8 != 7",
            "slot 0x1: 0x5 != 0x2",
            "0x0000000000000000000000000000000000000000 unexpected",
        ] {
            assert!(diff.contains(needle), "{diff:?} should mention {needle:?}");
        }
        assert!(!diff.contains("balance"), "{diff}");
        assert!(state_diff(&expected, &in_memory_db(&expected)).contains("equal"));
    }
}
