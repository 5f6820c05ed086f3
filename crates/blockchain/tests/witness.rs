//! Execution witnesses of blocks that delete what the execution-apis test chain never does:
//! storage slots zeroed (collapsing storage-trie branches), an account self-destructed and an
//! empty account removed (collapsing account-trie branches), and `BLOCKHASH` reads of older
//! ancestors. Each block's witness must re-execute it statelessly to its state root.

#![expect(
    clippy::unwrap_used,
    reason = "tests: a failed step should abort the test"
)]

use alloy_primitives::{Address, B256, Bytes, TxKind, U256, address};
use ethrex_blockchain::{
    BlockAttributes, Blockchain, ChainError, ExecutionWitness, build_block, execute_stateless,
};
use ethrex_common::{
    Genesis,
    types::{Block, Eip1559Tx, Header, Transaction},
};
use ethrex_storage::Store;
use ethrex_vm::StateChanges;

const SECRET: B256 = B256::repeat_byte(0x42);
/// Zeroes slots 1..=8 and sets slot 100.
const CLEARER: Address = address!("00000000000000000000000000000000000c1ea4");
/// Self-destructs to the zero address.
const DESTRUCTOR: Address = address!("000000000000000000000000000000000000de57");
/// Empty: a zero-value call touches it, and EIP-161 removes it.
const EMPTY: Address = address!("000000000000000000000000000000000000e3e3");
/// Stores `BLOCKHASH(NUMBER - 3)` in slot 0.
const HASHER: Address = address!("000000000000000000000000000000000000b10c");

fn genesis(sender: Address) -> Genesis {
    let storage: Vec<String> = (1..=40)
        .map(|s: u64| {
            let word = |n: u64| B256::from(U256::from(n));
            format!("\"{}\": \"{}\"", word(s), word(s * 7))
        })
        .collect();
    let storage = storage.join(", ");
    // Many more accounts, so that removing two collapses inner account-trie branches.
    let fillers: Vec<String> = (1..=60u8)
        .map(|i| {
            format!(
                "\"0xf0000000000000000000000000000000000000{i:02x}\": {{ \"balance\": \"0x1\" }}"
            )
        })
        .collect();
    let fillers = fillers.join(", ");
    let clearer = clearer_code();
    let json = format!(
        r#"{{
        "config": {{ "chainId": 1337, "homesteadBlock": 0, "eip150Block": 0, "eip155Block": 0,
            "eip158Block": 0, "byzantiumBlock": 0, "constantinopleBlock": 0, "petersburgBlock": 0,
            "istanbulBlock": 0, "berlinBlock": 0, "londonBlock": 0, "mergeNetsplitBlock": 0,
            "terminalTotalDifficulty": 0, "shanghaiTime": 0 }},
        "gasLimit": "0x1c9c380",
        "difficulty": "0x0",
        "baseFeePerGas": "0x3b9aca00",
        "alloc": {{
            "{sender}": {{ "balance": "0x3635c9adc5dea00000" }},
            {fillers},
            "{CLEARER}": {{ "balance": "0x0", "code": "0x{clearer}", "storage": {{ {storage} }} }},
            "{DESTRUCTOR}": {{ "balance": "0x5", "code": "0x6000ff", "storage": {{ {storage} }} }},
            "{EMPTY}": {{ "balance": "0x0" }},
            "{HASHER}": {{ "balance": "0x0", "code": "0x43600390034060005500" }}
        }}
    }}"#
    );
    Genesis::from_json(&json).unwrap()
}

/// `PUSH1 0 PUSH1 s SSTORE` for slots 1..=8, then `PUSH1 1 PUSH1 100 SSTORE`.
fn clearer_code() -> String {
    let zeroes: String = (1..=8u8).map(|s| format!("600060{s:02x}55")).collect();
    format!("{zeroes}6001606455")
}

fn call(nonce: u64, to: Address) -> Transaction {
    let mut tx = Transaction::Eip1559(Eip1559Tx {
        chain_id: 1337,
        nonce,
        max_priority_fee_per_gas: U256::from(1),
        max_fee_per_gas: U256::from(100_000_000_000u64),
        gas_limit: 200_000,
        to: TxKind::Call(to),
        value: U256::ZERO,
        ..Default::default()
    });
    let sig = ethrex_crypto::sign_hash(&tx.signature_hash(), &SECRET).unwrap();
    if let Transaction::Eip1559(t) = &mut tx {
        (t.r, t.s, t.y_parity) = (sig.r, sig.s, sig.y_parity);
    }
    tx
}

/// Builds and imports a block on the head holding `txs`.
fn add(chain: &Blockchain, txs: Vec<Transaction>) -> Block {
    let store = chain.store();
    let parent: Header = store.head_header().unwrap().unwrap();
    let state = store.state_at(parent.state_root).unwrap();
    let root = |changes: &StateChanges| {
        Ok(store
            .prepare_state_update(parent.state_root, changes)
            .unwrap()
            .root)
    };
    let attributes = BlockAttributes {
        timestamp: parent.timestamp + 12,
        fee_recipient: Address::repeat_byte(0xfe),
        prev_randao: B256::ZERO,
        gas_limit: parent.gas_limit,
        extra_data: Bytes::new(),
        withdrawals: Some(vec![]),
        parent_beacon_block_root: None,
    };
    let built = build_block(chain.config(), &parent, &state, attributes, txs, &root).unwrap();
    assert!(built.skipped.is_empty(), "{:?}", built.skipped);
    assert!(chain.import_block(&built.block).unwrap());
    built.block
}

/// A chain of four blocks (so `BLOCKHASH(NUMBER - 3)` reaches back), then the block under test.
fn chain_with(txs: impl Fn(u64) -> Vec<Transaction>) -> (Blockchain, Block) {
    let sender = ethrex_crypto::secret_to_address(&SECRET).unwrap();
    let store = Store::in_memory();
    store.init_genesis(&genesis(sender)).unwrap();
    let chain = Blockchain::new(store).unwrap();
    for _ in 0..4 {
        add(&chain, vec![]);
    }
    let block = add(&chain, txs(0));
    (chain, block)
}

fn account_deleted(chain: &Blockchain, block: &Block, who: Address) -> bool {
    let store = chain.store();
    let parent = store
        .header_by_hash(&block.header.parent_hash)
        .unwrap()
        .unwrap();
    let before = store
        .state_at(parent.state_root)
        .unwrap()
        .account_state(&who)
        .unwrap();
    let after = store
        .state_at(block.header.state_root)
        .unwrap()
        .account_state(&who)
        .unwrap();
    before.is_some() && after.is_none()
}

fn re_executes(chain: &Blockchain, block: &Block) -> ExecutionWitness {
    let witness = chain.execution_witness(block).unwrap();
    execute_stateless(chain.config(), block, &witness).unwrap();
    witness
}

#[test]
fn zeroed_slots_collapse_storage_branches_and_the_witness_covers_them() {
    let (chain, block) = chain_with(|n| vec![call(n, CLEARER)]);
    let state = chain.store().state_at(block.header.state_root).unwrap();
    assert_eq!(
        state.storage_value(&CLEARER, &U256::from(1)).unwrap(),
        U256::ZERO
    );
    assert_eq!(
        state.storage_value(&CLEARER, &U256::from(100)).unwrap(),
        U256::from(1)
    );
    let witness = re_executes(&chain, &block);
    let code = alloy_primitives::hex::decode(clearer_code()).unwrap();
    assert!(witness.codes.iter().any(|c| c.as_ref() == code.as_slice()));
}

#[test]
fn removed_accounts_collapse_account_branches_and_the_witness_covers_them() {
    let (chain, block) = chain_with(|n| vec![call(n, DESTRUCTOR), call(n + 1, EMPTY)]);
    assert!(
        account_deleted(&chain, &block, DESTRUCTOR),
        "self-destructed"
    );
    assert!(
        account_deleted(&chain, &block, EMPTY),
        "touched while empty"
    );
    re_executes(&chain, &block);
}

#[test]
fn blockhash_reads_bring_the_ancestor_headers() {
    let (chain, block) = chain_with(|n| vec![call(n, HASHER)]);
    let witness = re_executes(&chain, &block);
    // BLOCKHASH(5 - 3): headers #2, #3 and the parent #4.
    assert_eq!(witness.headers.len(), 3);
    let mut short = witness.clone();
    short.headers.remove(0);
    assert!(matches!(
        execute_stateless(chain.config(), &block, &short),
        Err(ChainError::InvalidBlock { .. })
    ));
}

#[test]
fn a_witness_without_the_deletion_siblings_cannot_recompute_the_root() {
    let (chain, block) = chain_with(|n| {
        vec![
            call(n, CLEARER),
            call(n + 1, DESTRUCTOR),
            call(n + 2, EMPTY),
        ]
    });
    let witness = re_executes(&chain, &block);
    // Only the proofs of the touched keys: the nodes removals pull up are missing.
    let store = chain.store();
    let parent = store
        .header_by_hash(&block.header.parent_hash)
        .unwrap()
        .unwrap();
    let state = store.state_at(parent.state_root).unwrap();
    let mut proofs: Vec<Bytes> = Vec::new();
    let mut address = None;
    for key in &witness.keys {
        if key.len() == 20 {
            let a = Address::from_slice(key);
            proofs.extend(state.account_proof(&a).unwrap());
            address = Some(a);
        } else {
            proofs.extend(
                state
                    .storage_proof(&address.unwrap(), &U256::from_be_slice(key))
                    .unwrap(),
            );
        }
    }
    let proofs_only = ExecutionWitness {
        state: proofs,
        ..witness
    };
    let error = execute_stateless(chain.config(), &block, &proofs_only).unwrap_err();
    assert!(
        matches!(&error, ChainError::InvalidWitness { reason, .. } if reason.contains("missing")),
        "{error}"
    );
}
