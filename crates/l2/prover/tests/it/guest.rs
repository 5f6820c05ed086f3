//! The guest's public inputs for the sample batch, against values computed here from the
//! chain's headers and the contracts' hash formulas.

use alloy_primitives::{B256, U256, keccak256};
use ethrex_common::types::{Block, Transaction};
use ethrex_crypto::kzg;
use ethrex_l2_common::encode_batch;
use ethrex_l2_contracts::{
    ETH_TOKEN_ADDRESS, L2_BRIDGE_ADDRESS,
    hashes::{rolling_hash, withdrawal_data_hash, withdrawal_leaf},
};
use ethrex_l2_prover::{Witnesses, backend, build_input, execute_batch};

use crate::batch::{
    DEPOSIT_RECIPIENTS, FEES, GWEI, L1_RECEIVER, WITHDRAWN, batch_blob, sample_batch, witnesses,
};

/// The bridge's hash of deposit `id` (of `(id + 1)` gwei to `DEPOSIT_RECIPIENTS[id]`), written
/// out from the formula: keccak256(bytes20(from) ‖ bytes20(to) ‖ bytes32(transactionId)
/// ‖ bytes32(value) ‖ bytes32(gasLimit) ‖ keccak256(data)), from and to being 0x…ffff.
fn deposit_hash(id: usize) -> B256 {
    let mut data = keccak256("mintETH(address)")[..4].to_vec();
    data.extend_from_slice(&[0; 12]);
    data.extend_from_slice(DEPOSIT_RECIPIENTS[id].as_slice());
    let word = |n: u64| U256::from(n).to_be_bytes::<32>();
    let mut preimage = Vec::new();
    preimage.extend_from_slice(L2_BRIDGE_ADDRESS.as_slice());
    preimage.extend_from_slice(L2_BRIDGE_ADDRESS.as_slice());
    preimage.extend_from_slice(&word(id as u64));
    preimage.extend_from_slice(&word((id as u64 + 1) * GWEI));
    preimage.extend_from_slice(&word(100_000));
    preimage.extend_from_slice(keccak256(&data).as_slice());
    keccak256(preimage)
}

fn withdrawal_tx_hash(blocks: &[Block]) -> B256 {
    // Block 2's second transaction.
    let tx = &blocks[1].body.transactions[1];
    assert!(matches!(tx, Transaction::Eip1559(_)));
    tx.hash()
}

#[test]
fn the_public_inputs_are_the_batchs() {
    let (chain, blocks) = sample_batch();
    let genesis = chain.store().header_by_number(0).unwrap().unwrap();
    let input = build_input(&chain, 1..=3, Witnesses::Compute, &batch_blob(&blocks)).unwrap();
    let public = execute_batch(&input).unwrap();

    assert_eq!(public.initial_state_root, genesis.state_root);
    assert_ne!(blocks[2].header.state_root, genesis.state_root);
    assert_eq!(public.final_state_root, blocks[2].header.state_root);
    // One withdrawal, the Messenger's first message (id 1): the root is its leaf.
    let data = withdrawal_data_hash(
        ETH_TOKEN_ADDRESS,
        ETH_TOKEN_ADDRESS,
        L1_RECEIVER,
        U256::from(WITHDRAWN),
    );
    let leaf = withdrawal_leaf(withdrawal_tx_hash(&blocks), data, U256::from(1));
    assert_eq!(public.withdrawals_merkle_root, leaf);
    let deposits = [deposit_hash(0), deposit_hash(1), deposit_hash(2)];
    let rolling = rolling_hash(&deposits).unwrap();
    assert_eq!(&rolling[..2], &[0, 3], "the count of deposits");
    assert_eq!(public.privileged_rolling_hash, rolling);
    let blob = encode_batch(&blocks, &[FEES; 3]).unwrap();
    let commitment = kzg::blob_commitment(blob.as_bytes()).unwrap();
    assert_eq!(
        public.blob_versioned_hash,
        kzg::kzg_commitment_to_versioned_hash(&commitment)
    );
    assert_eq!(public.last_block_hash, blocks[2].header.hash_slow());
    assert_eq!(public.chain_id, U256::from(65_536_999u64));
    assert_eq!(public.non_privileged_transactions, U256::from(5));

    // The 256 bytes are the eight words in order.
    let values = backend::exec_public_values(&input).unwrap();
    assert_eq!(&values[..32], genesis.state_root.as_slice());
    assert_eq!(&values[160..192], blocks[2].header.hash_slow().as_slice());
    assert_eq!(
        U256::from_be_slice(&values[192..224]),
        U256::from(65_536_999u64)
    );
    assert_eq!(values, public.encode());
}

#[test]
fn given_witnesses_prove_like_computed_ones_and_a_batch_may_start_anywhere() {
    let (chain, blocks) = sample_batch();
    let tail = &blocks[1..];
    let given = witnesses(&chain, tail);
    let blob = batch_blob(tail);
    let computed = build_input(&chain, 2..=3, Witnesses::Compute, &blob).unwrap();
    let recorded = build_input(&chain, 2..=3, Witnesses::Given(&given), &blob).unwrap();
    assert_eq!(computed, recorded);
    let public = execute_batch(&recorded).unwrap();
    assert_eq!(public.initial_state_root, blocks[0].header.state_root);
    assert_eq!(public.final_state_root, blocks[2].header.state_root);
    // Only the last deposit is in this batch.
    assert_eq!(
        public.privileged_rolling_hash,
        rolling_hash(&[deposit_hash(2)]).unwrap()
    );
    assert_eq!(public.non_privileged_transactions, U256::from(4));
}

#[test]
fn a_batch_without_withdrawals_or_deposits_has_zero_root_and_rolling_hash() {
    let (chain, blocks) = sample_batch();
    let transfers_only = crate::batch::produce(
        &chain,
        vec![crate::batch::transfer(5, 0, DEPOSIT_RECIPIENTS[0], 1)],
        FEES,
    );
    let input = crate::batch::input_of(&chain, std::slice::from_ref(&transfers_only));
    let public = execute_batch(&input).unwrap();
    assert_eq!(public.withdrawals_merkle_root, B256::ZERO);
    assert_eq!(public.privileged_rolling_hash, B256::ZERO);
    assert_eq!(public.non_privileged_transactions, U256::from(1));
    assert_eq!(public.initial_state_root, blocks[2].header.state_root);
}

#[test]
fn the_input_builder_refuses_what_it_cannot_build() {
    let (chain, blocks) = sample_batch();
    let blob = batch_blob(&blocks);
    let err = build_input(&chain, 1..=4, Witnesses::Compute, &blob).unwrap_err();
    assert_eq!(err.to_string(), "canonical block #4 is not stored");
    let one = witnesses(&chain, &blocks[..1]);
    let err = build_input(&chain, 1..=3, Witnesses::Given(&one), &blob).unwrap_err();
    assert_eq!(err.to_string(), "1 witnesses given for 3 blocks");
    #[allow(clippy::reversed_empty_ranges)]
    let err = build_input(&chain, 3..=1, Witnesses::Compute, &blob).unwrap_err();
    assert_eq!(err.to_string(), "empty block range 3..=1");
    // The genesis block is no rollup block: it has no fee config.
    let err = build_input(&chain, 0..=1, Witnesses::Compute, &blob).unwrap_err();
    assert!(err.to_string().contains("block #0"), "{err}");
    assert!(err.to_string().contains("no recorded fee config"), "{err}");
}

/// 130 blocks: past the 128 states the store keeps, the early blocks' witnesses cannot be
/// computed any more, but the ones recorded as each block was produced still prove the batch.
#[test]
fn a_batch_longer_than_the_state_window_proves_with_recorded_witnesses() {
    const BLOCKS: u64 = 130;
    let chain = crate::batch::rollup_chain();
    let mut blocks = Vec::new();
    let mut recorded = Vec::new();
    for nonce in 0..BLOCKS {
        let transfer = crate::batch::transfer(7, nonce, DEPOSIT_RECIPIENTS[1], 1);
        let block = crate::batch::produce(&chain, vec![transfer], FEES);
        recorded.push(chain.execution_witness(&block).unwrap());
        blocks.push(block);
    }
    let blob = batch_blob(&blocks);
    let err = build_input(&chain, 1..=BLOCKS, Witnesses::Compute, &blob).unwrap_err();
    assert!(err.to_string().contains("no longer available"), "{err}");
    let input = build_input(&chain, 1..=BLOCKS, Witnesses::Given(&recorded), &blob).unwrap();
    let public = execute_batch(&input).unwrap();
    let genesis = chain.store().header_by_number(0).unwrap().unwrap();
    assert_eq!(public.initial_state_root, genesis.state_root);
    assert_eq!(public.final_state_root, blocks[129].header.state_root);
    assert_eq!(public.non_privileged_transactions, U256::from(BLOCKS));
}
