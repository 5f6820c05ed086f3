//! Integration tests of `ethrex-blockchain` over a real (in-memory) store, in one test binary:
//! fork choice between branches, and execution witnesses of blocks that delete state.
//!
//! Chains start from an `ethrex-test-utils` genesis and grow by [`build`] / [`add`], blocks of
//! dev-signed transactions. Modules are `#[cfg(test)]` so their helpers count as test code.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a failed step aborts the test that called it"
)]

#[cfg(test)]
mod fork_choice;
#[cfg(test)]
mod rollup;
#[cfg(test)]
mod witness;

use alloy_primitives::{Address, B256, Bytes};
use ethrex_blockchain::{BlockAttributes, Blockchain, payload::build_on};
use ethrex_common::{
    Fork, Genesis,
    types::{Block, Header, Transaction},
};
use ethrex_storage::Store;

/// Receives the priority fees of every block built here.
pub const FEE_RECIPIENT: Address = Address::repeat_byte(0xfe);

/// A chain over an in-memory store holding `genesis`.
pub fn new_chain(genesis: &Genesis) -> Blockchain {
    let store = Store::in_memory();
    store.init_genesis(genesis).unwrap();
    Blockchain::new(store).unwrap()
}

/// Builds the child of `parent` (12 s later, extra data `[extra]`) holding `txs`, all included;
/// nothing is stored.
pub fn build(chain: &Blockchain, parent: &Header, txs: Vec<Transaction>, extra: u8) -> Block {
    let timestamp = parent.timestamp + 12;
    let cancun = chain
        .config()
        .is_active(Fork::Cancun, parent.number + 1, timestamp);
    let attributes = BlockAttributes {
        timestamp,
        fee_recipient: FEE_RECIPIENT,
        prev_randao: B256::ZERO,
        gas_limit: parent.gas_limit,
        extra_data: Bytes::from(vec![extra]),
        withdrawals: Some(vec![]),
        parent_beacon_block_root: cancun.then_some(B256::ZERO),
    };
    let built = build_on(chain, parent, attributes, txs).unwrap();
    assert!(built.skipped.is_empty(), "{:?}", built.skipped);
    built.block
}

/// Builds a block on the head holding `txs` and imports it as the new head.
pub fn add(chain: &Blockchain, txs: Vec<Transaction>) -> Block {
    let parent = chain.store().head_header().unwrap().unwrap();
    let block = build(chain, &parent, txs, 0);
    assert!(chain.import_block(&block).unwrap());
    block
}
