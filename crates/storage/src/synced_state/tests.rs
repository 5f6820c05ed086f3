//! A state read out of one store by hashed keys (as snap sync receives it) installed into
//! another store with a different genesis: the second store then reads exactly that state at
//! the installed head, the old state is gone, and a state that does not match its root is
//! refused with nothing written.

use std::ops::ControlFlow;

use alloy_primitives::{Address, Bytes, U256, keccak256};
use alloy_rlp::Decodable;
use ethrex_common::{Genesis, constants::EMPTY_CODE_HASH};

use super::*;
use crate::StateReader;

/// Every leaf of `reader`'s state, by hashed keys, with the codes from `store`.
fn read_state(store: &Store, reader: &StateReader) -> SyncedState {
    let mut state = SyncedState::default();
    reader
        .for_each_leaf_from(TrieOwner::Accounts, &B256::ZERO, &mut |key, value| {
            let account = AccountState::decode(&mut value.as_slice()).unwrap();
            state.accounts.insert(key, account);
            ControlFlow::Continue(())
        })
        .unwrap();
    for (hash, account) in &state.accounts {
        if account.storage_root != EMPTY_TRIE_ROOT {
            let mut slots = BTreeMap::new();
            reader
                .for_each_leaf_from(TrieOwner::Storage(*hash), &B256::ZERO, &mut |key, value| {
                    slots.insert(key, U256::decode(&mut value.as_slice()).unwrap());
                    ControlFlow::Continue(())
                })
                .unwrap();
            state.storage.insert(*hash, slots);
        }
        if account.code_hash != EMPTY_CODE_HASH {
            let code = store.code(&account.code_hash).unwrap().unwrap();
            state.codes.insert(account.code_hash, code);
        }
    }
    state
}

/// A Cancun genesis with `alloc` (JSON object entries).
fn genesis(alloc: &str) -> Genesis {
    Genesis::from_json(&format!(
        r#"{{"config": {{"chainId": 1337, "homesteadBlock": 0, "eip150Block": 0,
            "eip155Block": 0, "eip158Block": 0, "byzantiumBlock": 0, "constantinopleBlock": 0,
            "petersburgBlock": 0, "istanbulBlock": 0, "berlinBlock": 0, "londonBlock": 0,
            "terminalTotalDifficulty": 0, "shanghaiTime": 0, "cancunTime": 0}},
          "gasLimit": "0x1c9c380", "difficulty": "0x0", "alloc": {{{alloc}}}}}"#
    ))
    .unwrap()
}

#[test]
fn a_downloaded_state_replaces_the_held_one_and_a_wrong_one_is_refused() {
    let contract = Address::repeat_byte(0xc0);
    let code = Bytes::from(vec![0x60, 0x01, 0x60, 0x00, 0x55]);
    let storage: Vec<String> = (1..=40u64)
        .map(|i| {
            format!(
                r#""{}": "{}""#,
                B256::from(U256::from(i)),
                B256::from(U256::from(i * 7))
            )
        })
        .collect();
    let source_genesis = genesis(&format!(
        r#""{contract}": {{"balance": "0x0", "code": "{code}", "storage": {{{}}}}},
           "{}": {{"balance": "0x3039"}}"#,
        storage.join(", "),
        Address::repeat_byte(0x11)
    ));
    let source = Store::in_memory();
    source.init_genesis(&source_genesis).unwrap();
    let pivot = source_genesis.block().unwrap();
    let reader = source.state_at(pivot.header.state_root).unwrap();
    let state = read_state(&source, &reader);
    assert!(state.storage.values().any(|slots| slots.len() == 40));

    // The target store starts on another genesis, with an account the source lacks.
    let only_here = Address::repeat_byte(0x22);
    let target = Store::in_memory();
    target
        .init_genesis(&genesis(&format!(r#""{only_here}": {{"balance": "0x1"}}"#)))
        .unwrap();
    let old_head = target.head_hash().unwrap();

    // A tampered state: refused, nothing written.
    let mut wrong = state.clone();
    let (_, first) = wrong.accounts.iter_mut().next().unwrap();
    first.balance += U256::from(1);
    let refused = target.install_synced_state(&wrong, &[(pivot.clone(), Vec::new())]);
    assert!(refused.is_err());
    assert_eq!(target.head_hash().unwrap(), old_head);
    let mut wrong_storage = state.clone();
    let slots = wrong_storage.storage.values_mut().next().unwrap();
    slots.remove(&keccak256(B256::from(U256::from(3))));
    assert!(
        target
            .install_synced_state(&wrong_storage, &[(pivot.clone(), Vec::new())])
            .is_err()
    );

    target
        .install_synced_state(&state, &[(pivot.clone(), Vec::new())])
        .unwrap();
    assert_eq!(target.head_hash().unwrap(), Some(pivot.header.hash_slow()));
    assert!(target.has_state(&pivot.header.state_root));
    let installed = target.state_at(pivot.header.state_root).unwrap();
    assert_eq!(
        installed
            .account_state(&Address::repeat_byte(0x11))
            .unwrap()
            .map(|a| a.balance),
        Some(U256::from(12345))
    );
    assert_eq!(
        installed.account_state(&only_here).unwrap(),
        None,
        "the old state is gone"
    );
    assert_eq!(
        installed.storage_value(&contract, &U256::from(5)).unwrap(),
        U256::from(35)
    );
    assert_eq!(
        installed
            .storage_value_from_trie(&contract, &U256::from(40))
            .unwrap(),
        U256::from(280)
    );
    let account = installed.account_state(&contract).unwrap().unwrap();
    assert_eq!(target.code(&account.code_hash).unwrap(), Some(code));
    // Read back by hashed keys, the installed state is the downloaded one.
    assert_eq!(read_state(&target, &installed), state);
}
