//! What goes into a batch, on an in-process rollup chain (no L1): blocks are taken in order
//! while they fit the batch gas limit, the privileged limit and one blob; a lone block over
//! the gas limit still makes a batch.

use alloy_primitives::{Address, Bytes, U256};
use alloy_sol_types::{SolCall, sol};
use ethrex_common::types::{L2_BRIDGE_ADDRESS, PrivilegedL2Tx};
use ethrex_l2_common::blob::MAX_PAYLOAD_BYTES;
use ethrex_l2_sequencer::{MAX_PRIVILEGED_PER_BLOCK, committer::batch::Candidate};

use super::setup::*;

sol! {
    function mintETH(address to);
}

fn deposit(id: u64) -> PrivilegedL2Tx {
    PrivilegedL2Tx::new(
        L2_CHAIN_ID,
        id,
        100_000,
        L2_BRIDGE_ADDRESS,
        L2_BRIDGE_ADDRESS,
        U256::from(1_000),
        Bytes::from(
            mintETHCall {
                to: Address::repeat_byte(0x42),
            }
            .abi_encode(),
        ),
    )
}

#[test]
fn blocks_are_taken_while_they_fit_the_batch_gas_limit() {
    let l2 = L2::local();
    for nonce in 0..3 {
        l2.produce(vec![transfer(10, nonce, Address::repeat_byte(1), 1)]);
    }
    let store = l2.chain.store();
    let blocks = |limit| {
        Candidate::collect(store, 1, 3, limit)
            .unwrap()
            .entries
            .len()
    };
    assert_eq!(blocks(None), 3);
    assert_eq!(blocks(Some(63_000)), 3);
    assert_eq!(blocks(Some(62_999)), 2);
    assert_eq!(blocks(Some(42_000)), 2);
    assert_eq!(blocks(Some(21_000)), 1);
    // A block over the limit alone cannot be split: it makes a batch of its own.
    assert_eq!(blocks(Some(1)), 1);
    let candidate = Candidate::collect(store, 2, 3, None).unwrap();
    assert_eq!(candidate.gas_used(), 42_000);
    assert_eq!(candidate.non_privileged(), 2);
    assert!(candidate.privileged().is_empty());
}

#[test]
fn a_batch_holds_at_most_200_privileged_transactions() {
    let l2 = L2::local();
    let count = u64::try_from(MAX_PRIVILEGED_PER_BLOCK).unwrap() + 1;
    let deposits: Vec<PrivilegedL2Tx> = (0..count).map(deposit).collect();
    l2.state.queue_privileged(&deposits, 1).unwrap();
    assert_eq!(l2.produce(vec![]), (1, MAX_PRIVILEGED_PER_BLOCK));
    assert_eq!(l2.produce(vec![]), (2, 1));
    let candidate = Candidate::collect(l2.chain.store(), 1, 2, None).unwrap();
    assert_eq!(
        candidate.entries.len(),
        1,
        "the 201st waits for the next batch"
    );
    assert_eq!(candidate.privileged().len(), MAX_PRIVILEGED_PER_BLOCK);
    let next = Candidate::collect(l2.chain.store(), 2, 2, None).unwrap();
    assert_eq!(next.privileged().len(), 1);
}

#[test]
fn a_batch_holds_one_blob() {
    let l2 = L2::local();
    // Two blocks of ~70 kB of calldata each: together more than a blob holds.
    for nonce in 0..2 {
        let data = Bytes::from(vec![0xab; 70_000]);
        l2.produce(vec![l2_tx(
            11,
            nonce,
            Address::repeat_byte(2),
            0,
            data,
            3_000_000,
        )]);
    }
    let store = l2.chain.store();
    let first = Candidate::collect(store, 1, 2, None).unwrap();
    assert_eq!(first.entries.len(), 1);
    let bytes = first.payload_bytes();
    assert!(bytes > 70_000 && bytes <= MAX_PAYLOAD_BYTES, "{bytes}");
    assert_eq!(
        Candidate::collect(store, 2, 2, None).unwrap().entries.len(),
        1
    );
}
