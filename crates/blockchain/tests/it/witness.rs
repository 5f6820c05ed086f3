//! Execution witnesses of blocks that delete what the execution-apis test chain never does:
//! storage slots zeroed (collapsing storage-trie branches), an account self-destructed and an
//! empty account removed (collapsing account-trie branches), and `BLOCKHASH` reads of older
//! ancestors. Each block's witness must re-execute it statelessly to its state root.

use alloy_primitives::{Address, Bytes, U256, address, hex};
use ethrex_blockchain::{Blockchain, ChainError, ExecutionWitness, execute_stateless};
use ethrex_common::{
    Fork, Genesis,
    types::{Block, Transaction},
};
use ethrex_test_utils::{GenesisBuilder, TxBuilder};

use crate::{add, new_chain};

/// Zeroes slots 1..=8 and sets slot 100.
const CLEARER: Address = address!("00000000000000000000000000000000000c1ea4");
/// Self-destructs to the zero address.
const DESTRUCTOR: Address = address!("000000000000000000000000000000000000de57");
/// Empty: a zero-value call touches it, and EIP-161 removes it.
const EMPTY: Address = address!("000000000000000000000000000000000000e3e3");
/// Stores `BLOCKHASH(NUMBER - 3)` in slot 0.
const HASHER: Address = address!("000000000000000000000000000000000000b10c");

/// A Shanghai genesis with the contracts above, 40 slots in CLEARER and DESTRUCTOR, and 60
/// filler accounts, so that removing two accounts collapses inner account-trie branches.
fn genesis() -> Genesis {
    let storage = || (1..=40u64).map(|s| (U256::from(s), U256::from(s * 7)));
    let mut genesis = GenesisBuilder::new(Fork::Shanghai)
        .contract(CLEARER, clearer_code(), storage())
        .contract(DESTRUCTOR, hex!("6000ff"), storage())
        .fund(DESTRUCTOR, U256::from(5))
        .fund(EMPTY, U256::ZERO)
        .contract(HASHER, hex!("43600390034060005500"), []);
    for i in 1..=60u8 {
        let mut filler = [0u8; 20];
        (filler[0], filler[19]) = (0xf0, i);
        genesis = genesis.fund(Address::from(filler), U256::from(1));
    }
    genesis.build()
}

/// `PUSH1 0 PUSH1 s SSTORE` for slots 1..=8, then `PUSH1 1 PUSH1 100 SSTORE`.
fn clearer_code() -> Vec<u8> {
    let mut code: Vec<u8> = (1..=8u8)
        .flat_map(|s| [0x60, 0x00, 0x60, s, 0x55])
        .collect();
    code.extend(hex!("6001606455"));
    code
}

/// A call of `to` with 200,000 gas, signed by dev account 0.
fn call(nonce: u64, to: Address) -> Transaction {
    TxBuilder::new()
        .nonce(nonce)
        .to(to)
        .gas_limit(200_000)
        .eip1559()
}

/// A chain of four blocks (so `BLOCKHASH(NUMBER - 3)` reaches back), then the block under test.
fn chain_with(txs: impl Fn(u64) -> Vec<Transaction>) -> (Blockchain, Block) {
    let chain = new_chain(&genesis());
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
    let code = clearer_code();
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
