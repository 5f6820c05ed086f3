//! Tampered inputs: each fails with a typed error that names the block and the check.

use alloy_primitives::{Bytes, keccak256};
use alloy_rlp::Decodable;
use ethrex_common::types::{Block, Header};
use ethrex_l2_common::{BatchBlob, SidecarVersion, protocol::ProverInput};
use ethrex_l2_prover::{GuestError, execute_batch};

use crate::batch::sample_input;

fn failure(input: &ProverInput) -> GuestError {
    match execute_batch(input) {
        Ok(public) => panic!("a tampered input proved: {public:?}"),
        Err(e) => e,
    }
}

/// The index in block `index`'s witness of the node of its parent's state root.
fn root_node(input: &ProverInput, index: usize) -> usize {
    let witness = &input.execution_witness.blocks[index];
    let parent = Header::decode(&mut witness.headers.last().unwrap().as_ref()).unwrap();
    witness
        .state
        .iter()
        .position(|node| keccak256(node) == parent.state_root)
        .expect("the witness holds its state root's node")
}

fn assert_execution_failure(err: &GuestError, index: usize, number: u64, reason: &str) {
    let text = err.to_string();
    assert!(
        matches!(err, GuestError::Execution { index: i, number: n, .. } if *i == index && *n == number),
        "expected block {index} (#{number}) to fail execution, got: {text}"
    );
    assert!(text.contains(reason), "expected {reason:?} in: {text}");
}

#[test]
fn the_untampered_input_proves() {
    execute_batch(&sample_input()).unwrap();
}

#[test]
fn a_removed_witness_node_fails_its_block() {
    let mut input = sample_input();
    let node = root_node(&input, 1);
    input.execution_witness.blocks[1].state.remove(node);
    let err = failure(&input);
    assert_execution_failure(&err, 1, 2, "the witness cannot resolve");
}

#[test]
fn an_altered_witness_node_fails_its_block() {
    let mut input = sample_input();
    let node = root_node(&input, 2);
    let mut altered = input.execution_witness.blocks[2].state[node].to_vec();
    let last = altered.len() - 1;
    altered[last] ^= 1;
    input.execution_witness.blocks[2].state[node] = Bytes::from(altered);
    let err = failure(&input);
    assert_execution_failure(&err, 2, 3, "the witness cannot resolve");
}

#[test]
fn another_blocks_witness_fails_as_not_the_parents() {
    let mut input = sample_input();
    input.execution_witness.blocks.swap(0, 1);
    let err = failure(&input);
    assert_execution_failure(&err, 0, 1, "is not the block's parent");
}

#[test]
fn a_changed_fee_config_fails_the_block_it_belongs_to() {
    let mut input = sample_input();
    input.fee_configs[1].operator_fee_per_gas += 1;
    let err = failure(&input);
    // Another operator fee moves other amounts to the vaults: another state root.
    assert_execution_failure(&err, 1, 2, "state root");
    let mut input = sample_input();
    input.fee_configs[0].l1_fee_vault = None;
    let err = failure(&input);
    // Without the L1 fee vault the transfer costs less gas than the header says.
    assert_execution_failure(&err, 0, 1, "mismatch");
}

#[test]
fn a_removed_transaction_fails_its_block() {
    let mut input = sample_input();
    let mut block = Block::decode(&mut input.blocks[1].as_ref()).unwrap();
    block.body.transactions.remove(2);
    input.blocks[1] = Bytes::from(alloy_rlp::encode(&block));
    let err = failure(&input);
    assert_execution_failure(&err, 1, 2, "transactions root mismatch");
}

#[test]
fn a_wrong_blob_commitment_or_proof_fails_the_blob_check() {
    let input = sample_input();
    // The blob of the same blocks under other fee configs.
    let blocks: Vec<Block> = input
        .blocks
        .iter()
        .map(|rlp| Block::decode(&mut rlp.as_ref()).unwrap())
        .collect();
    let other_fees = vec![ethrex_common::types::FeeConfig::default(); blocks.len()];
    let other = BatchBlob::from_batch(&blocks, &other_fees, SidecarVersion::BlobProof).unwrap();
    let ethrex_l2_common::BlobProofs::Blob(other_proof) = other.proofs else {
        panic!("a blob proof was asked for");
    };

    let mut wrong_commitment = input.clone();
    wrong_commitment.blob_commitment = Bytes::copy_from_slice(&other.commitment);
    let err = failure(&wrong_commitment);
    assert!(matches!(err, GuestError::BlobCommitment { .. }), "{err}");
    let text = err.to_string();
    assert!(text.contains("blob commitment mismatch"), "{text}");
    assert!(
        text.contains(&alloy_primitives::hex::encode(other.commitment)),
        "names the input's commitment: {text}"
    );

    let mut wrong_proof = input.clone();
    wrong_proof.blob_proof = Bytes::copy_from_slice(&other_proof);
    let err = failure(&wrong_proof);
    assert!(matches!(err, GuestError::BlobProof { .. }), "{err}");

    let mut short = input;
    short.blob_commitment = Bytes::from_static(&[1, 2, 3]);
    let err = failure(&short);
    assert_eq!(
        err.to_string(),
        "the blob commitment is 3 bytes, expected 48"
    );
}

#[test]
fn a_wrong_elasticity_multiplier_is_refused_naming_both() {
    let mut input = sample_input();
    input.elasticity_multiplier = 4;
    assert_eq!(
        failure(&input).to_string(),
        "elasticity multiplier 4, but the chain's header rules use 2"
    );
}

#[test]
fn counts_chaining_and_encoding_are_checked() {
    let base = sample_input();
    let mut fewer_fees = base.clone();
    fewer_fees.fee_configs.pop();
    assert_eq!(
        failure(&fewer_fees).to_string(),
        "3 blocks, 2 fee configs and 3 witnesses: one each per block"
    );
    let mut gap = base.clone();
    gap.blocks.remove(1);
    gap.fee_configs.remove(1);
    gap.execution_witness.blocks.remove(1);
    let err = failure(&gap);
    assert!(
        matches!(
            err,
            GuestError::NotChained {
                index: 1,
                number: 3,
                ..
            }
        ),
        "{err}"
    );
    let mut junk = base.clone();
    junk.blocks[0] = Bytes::from_static(&[0xde, 0xad]);
    let err = failure(&junk);
    assert!(
        matches!(err, GuestError::BlockRlp { index: 0, .. }),
        "{err}"
    );
    let mut empty = base;
    empty.blocks.clear();
    assert_eq!(failure(&empty).to_string(), "the batch has no blocks");
}
