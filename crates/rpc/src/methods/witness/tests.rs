//! Tests of `debug_executionWitness` on the execution-apis test chain (Frontier to Osaka):
//! every block is re-executed statelessly from the witness the method returns, and every key it
//! lists resolves from the witness alone to the value the store holds. The chain creates and
//! changes accounts and slots but deletes none: deletions (and `BLOCKHASH` reads of older
//! ancestors) are covered by `ethrex-blockchain`'s integration tests (`witness` module).

use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_rlp::Decodable;
use ethrex_blockchain::{ExecutionWitness, WitnessDb, execute_stateless};
use ethrex_common::types::{Block, Header};
use serde_json::{Value, json};

use crate::methods::test_chain::{TestChain, test_chain};

fn witness_from_json(value: &Value) -> ExecutionWitness {
    let field = |name: &str| -> Vec<Bytes> { serde_json::from_value(value[name].clone()).unwrap() };
    ExecutionWitness {
        state: field("state"),
        codes: field("codes"),
        keys: field("keys"),
        headers: field("headers"),
    }
}

/// Every block of the chain but the genesis, with the witness the RPC method gives for it.
fn witnesses(chain: &TestChain) -> Vec<(Block, ExecutionWitness)> {
    let head = chain.ctx.store.head_header().unwrap().unwrap().number;
    assert!(head > 40, "the whole test chain is imported");
    (1..=head)
        .map(|n| {
            let block = chain.ctx.store.block_by_number(n).unwrap().unwrap();
            let json = chain.ok("debug_executionWitness", json!([format!("{n:#x}")]));
            (block, witness_from_json(&json))
        })
        .collect()
}

/// The witness's keys: each address with the slots listed after it.
fn keys_by_account(witness: &ExecutionWitness) -> Vec<(Address, Vec<U256>)> {
    let mut accounts: Vec<(Address, Vec<U256>)> = Vec::new();
    for key in &witness.keys {
        match key.len() {
            20 => accounts.push((Address::from_slice(key), Vec::new())),
            32 => accounts
                .last_mut()
                .expect("a slot follows its address")
                .1
                .push(U256::from_be_slice(key)),
            n => panic!("a key of {n} bytes"),
        }
    }
    accounts
}

/// How often the chain's blocks create, change and delete accounts and slots.
#[derive(Debug, Default)]
struct Coverage {
    accounts_created: usize,
    slots_created: usize,
    slots_changed: usize,
}

#[test]
fn every_block_re_executes_statelessly_from_its_witness() {
    let chain = test_chain!(u64::MAX);
    let config = chain.ctx.chain.config().clone();
    let mut coverage = Coverage::default();
    for (block, witness) in witnesses(&chain) {
        let number = block.header.number;
        let outcome = execute_stateless(&config, &block, &witness)
            .unwrap_or_else(|e| panic!("block #{number}: {e}"));
        assert_eq!(outcome.gas_used, block.header.gas_used);

        // Every change is among the keys, and tally what kind of change it is.
        let keys = keys_by_account(&witness);
        let parent = WitnessDb::new(&witness, block.header.parent_hash).unwrap();
        for change in &outcome.changes.accounts {
            let (_, slots) = keys
                .iter()
                .find(|(a, _)| *a == change.address)
                .unwrap_or_else(|| panic!("block #{number}: {} not in keys", change.address));
            let before = parent.account_state(&change.address).unwrap();
            match (&before, &change.info) {
                (None, Some(_)) => coverage.accounts_created += 1,
                (Some(_), None) => panic!("the test chain deletes accounts now: count them"),
                _ => {}
            }
            for (slot, value) in &change.storage {
                assert!(
                    slots.contains(slot),
                    "block #{number}: slot {slot} not in keys"
                );
                let old = if change.storage_cleared {
                    U256::ZERO
                } else {
                    parent.storage_value(&change.address, slot).unwrap()
                };
                match (old.is_zero(), value.is_zero()) {
                    (true, false) => coverage.slots_created += 1,
                    (false, true) => panic!("the test chain deletes slots now: count them"),
                    (false, false) if old != *value => coverage.slots_changed += 1,
                    _ => {}
                }
            }
        }
    }
    // The chain exercises what the witness must cover.
    assert!(coverage.accounts_created > 0, "{coverage:?}");
    assert!(coverage.slots_created > 0, "{coverage:?}");
    assert!(coverage.slots_changed > 0, "{coverage:?}");
}

#[test]
fn every_key_resolves_from_the_witness_to_the_stored_value() {
    let chain = test_chain!(u64::MAX);
    for (block, witness) in witnesses(&chain) {
        let number = block.header.number;
        let parent = chain
            .ctx
            .store
            .header_by_hash(&block.header.parent_hash)
            .unwrap()
            .unwrap();
        let stored = chain.ctx.store.state_at(parent.state_root).unwrap();
        let db = WitnessDb::new(&witness, block.header.parent_hash).unwrap();
        let keys = keys_by_account(&witness);
        assert!(
            !keys.is_empty(),
            "block #{number} touches the coinbase at least"
        );
        for (address, slots) in keys {
            assert_eq!(
                db.account_state(&address).unwrap(),
                stored.account_state_from_trie(&address).unwrap(),
                "block #{number}: account {address}"
            );
            for slot in slots {
                assert_eq!(
                    db.storage_value(&address, &slot).unwrap(),
                    stored.storage_value_from_trie(&address, &slot).unwrap(),
                    "block #{number}: slot {slot} of {address}"
                );
            }
        }
        // Headers: ascending, the parent last.
        let headers: Vec<Header> = witness
            .headers
            .iter()
            .map(|rlp| Header::decode(&mut rlp.as_ref()).unwrap())
            .collect();
        assert_eq!(
            headers.last().unwrap().hash_slow(),
            block.header.parent_hash
        );
        assert!(
            headers
                .windows(2)
                .all(|w| w[1].parent_hash == w[0].hash_slow())
        );
    }
}

#[test]
fn a_witness_lacking_a_node_or_header_is_refused() {
    let chain = test_chain!(u64::MAX);
    let config = chain.ctx.chain.config().clone();
    let (block, witness) = witnesses(&chain)
        .into_iter()
        .find(|(block, _)| !block.body.transactions.is_empty())
        .unwrap();
    // Without the parent state's root node nothing resolves.
    let parent = Header::decode(&mut witness.headers.last().unwrap().as_ref()).unwrap();
    let mut no_root = witness.clone();
    no_root
        .state
        .retain(|node| alloy_primitives::keccak256(node) != parent.state_root);
    assert!(no_root.state.len() < witness.state.len());
    assert!(execute_stateless(&config, &block, &no_root).is_err());
    // Without the parent header the state root is unknown.
    let mut no_headers = witness.clone();
    no_headers.headers.clear();
    assert!(execute_stateless(&config, &block, &no_headers).is_err());
    // The witness of another block does not fit.
    let other = chain.ok(
        "debug_executionWitness",
        json!([format!("{:#x}", block.header.number + 1)]),
    );
    assert!(execute_stateless(&config, &block, &witness_from_json(&other)).is_err());
}

#[test]
fn by_hash_gives_the_same_witness_as_by_number() {
    let chain = test_chain!(10);
    let hash: B256 = chain.ok("eth_getBlockByNumber", json!(["0x5", false]))["hash"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        chain.ok("debug_executionWitnessByBlockHash", json!([hash])),
        chain.ok("debug_executionWitness", json!(["0x5"]))
    );
    assert_eq!(
        chain.ok("debug_executionWitness", json!(["latest"])),
        chain.ok("debug_executionWitness", json!(["0xa"]))
    );
}

#[test]
fn unknown_blocks_the_genesis_and_pruned_states_are_errors() {
    let mut chain = test_chain!(0);
    // Keep only the last two blocks' states: older parents' states are gone.
    chain.ctx.store.set_state_window(2);
    chain.import_rest();
    let error = chain
        .call("debug_executionWitness", json!(["0x5"]))
        .unwrap_err();
    assert_eq!(error.code, -32000);
    assert!(error.message.contains("state not available"), "{error}");
    let error = chain
        .call("debug_executionWitness", json!(["0xffffff"]))
        .unwrap_err();
    assert_eq!(
        (error.code, error.message.as_str()),
        (-32000, "block 0xffffff not found")
    );
    let error = chain
        .call("debug_executionWitness", json!(["0x0"]))
        .unwrap_err();
    assert!(error.message.contains("genesis"), "{error}");
    assert!(
        chain
            .call("debug_executionWitness", json!(["latest"]))
            .is_ok()
    );
    let error = chain.call("debug_executionWitness", json!([])).unwrap_err();
    assert_eq!(error.code, -32602);
}
