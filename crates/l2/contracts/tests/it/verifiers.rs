//! `verifyBatch` hands each required verifier the batch's 256 bytes of public inputs: SP1
//! `verifyProof(vk, publicInputs, proof)`, RISC0 `verify(seal, imageId, sha256(publicInputs))`.
//! The mocks accept only what they were told to expect, so a verification passes only when the
//! proposer sent exactly that.

use alloy_primitives::{B256, Bytes, U256};
use ethrex_l2_contracts::hashes::{PublicInputs, rolling_hash};
use sha2::{Digest, Sha256};

use crate::{abi, harness::*};

/// Batch 1 with a deposit consumed and a withdrawal root, committed; its public inputs.
fn committed(proofs: Proofs) -> (Rollup, PublicInputs) {
    let mut rollup = Rollup::deploy(proofs);
    let deposit = abi::CommonBridge::depositCall { l2Recipient: BOB };
    rollup
        .chain
        .send(ALICE, rollup.bridge, ether(1), deposit)
        .ok();
    let mut batch = Batch::new(1);
    batch.rolling_hash = rolling_hash(&rollup.pending()).unwrap();
    batch.withdrawals_root = B256::repeat_byte(0x3e);
    batch.non_privileged = 17;
    rollup.commit(&batch).ok();
    let inputs = PublicInputs {
        initial_state_root: GENESIS_ROOT,
        final_state_root: batch.state_root,
        withdrawals_merkle_root: batch.withdrawals_root,
        privileged_rolling_hash: batch.rolling_hash,
        blob_versioned_hash: batch.blob_hash,
        last_block_hash: batch.last_block_hash,
        chain_id: U256::from(L2_CHAIN_ID),
        non_privileged_transactions: U256::from(17),
    };
    (rollup, inputs)
}

fn expect_sp1(rollup: &mut Rollup, vk: B256, public_values: &[u8], proof: &[u8]) {
    let call = abi::MockSP1Verifier::expectCall {
        vKey: vk,
        publicValues: Bytes::copy_from_slice(public_values),
        proofBytes: Bytes::copy_from_slice(proof),
    };
    rollup.chain.call(OWNER, rollup.sp1, call).ok();
}

fn expect_risc0(rollup: &mut Rollup, image_id: B256, digest: B256, seal: &[u8]) {
    let call = abi::MockRisc0Verifier::expectCall {
        imageId: image_id,
        journalDigest: digest,
        seal: Bytes::copy_from_slice(seal),
    };
    rollup.chain.call(OWNER, rollup.risc0, call).ok();
}

#[test]
fn the_public_inputs_are_the_eight_words_of_the_batch() {
    let (rollup, inputs) = committed(Proofs::default());
    let onchain = rollup.chain.view(
        rollup.proposer,
        abi::OnChainProposer::publicInputsOfCall {
            batch: U256::from(1),
        },
    );
    assert_eq!(onchain.len(), 256);
    assert_eq!(onchain.as_ref(), inputs.encode().as_slice());
}

#[test]
fn the_sp1_verifier_gets_the_key_the_256_bytes_and_the_proof() {
    let (mut rollup, inputs) = committed(Proofs {
        sp1: true,
        risc0: false,
    });
    let proof = b"sp1 proof bytes";
    // Expecting other public values (batch n-1's root taken as zero): refused.
    let mut other = inputs.clone();
    other.initial_state_root = B256::ZERO;
    expect_sp1(&mut rollup, SP1_VK, &other.encode(), proof);
    rollup
        .verify_with(1, Bytes::new(), Bytes::from_static(proof))
        .reverts_with("MockSP1Verifier: wrong public values");
    expect_sp1(&mut rollup, SP1_VK, &inputs.encode(), proof);
    rollup
        .verify_with(1, Bytes::new(), Bytes::from_static(b"another proof"))
        .reverts_with("MockSP1Verifier: wrong proof");
    rollup
        .verify_with(1, Bytes::new(), Bytes::new())
        .reverts_with("MockSP1Verifier: wrong proof");
    assert_eq!(rollup.last_verified(), 0);
    rollup
        .verify_with(1, Bytes::new(), Bytes::from_static(proof))
        .ok();
    assert_eq!(rollup.last_verified(), 1);
}

#[test]
fn the_risc0_verifier_gets_the_image_id_and_the_sha256_of_the_inputs() {
    let (mut rollup, inputs) = committed(Proofs {
        sp1: false,
        risc0: true,
    });
    let seal = b"risc0 seal";
    let digest = B256::from_slice(&Sha256::digest(inputs.encode()));
    // The keccak of the inputs is not what RISC0 commits to.
    let keccak = alloy_primitives::keccak256(inputs.encode());
    expect_risc0(&mut rollup, RISC0_IMAGE_ID, keccak, seal);
    rollup
        .verify_with(1, Bytes::from_static(seal), Bytes::new())
        .reverts_with("MockRisc0Verifier: wrong journal digest");
    expect_risc0(&mut rollup, RISC0_IMAGE_ID, digest, seal);
    rollup
        .verify_with(1, Bytes::from_static(b"forged"), Bytes::new())
        .reverts_with("MockRisc0Verifier: wrong seal");
    rollup
        .verify_with(1, Bytes::from_static(seal), Bytes::new())
        .ok();
    assert_eq!(rollup.last_verified(), 1);
}

#[test]
fn both_verifiers_must_accept_when_both_are_required() {
    let (mut rollup, inputs) = committed(Proofs {
        sp1: true,
        risc0: true,
    });
    let digest = B256::from_slice(&Sha256::digest(inputs.encode()));
    expect_risc0(&mut rollup, RISC0_IMAGE_ID, digest, b"seal");
    rollup
        .verify_with(1, Bytes::from_static(b"seal"), Bytes::from_static(b"proof"))
        .reverts_with("MockSP1Verifier");
    expect_sp1(&mut rollup, SP1_VK, &inputs.encode(), b"proof");
    rollup
        .verify_with(1, Bytes::from_static(b"seal"), Bytes::from_static(b"proof"))
        .ok();
    let flags = (
        rollup.chain.view(
            rollup.proposer,
            abi::OnChainProposer::REQUIRE_SP1_PROOFCall {},
        ),
        rollup.chain.view(
            rollup.proposer,
            abi::OnChainProposer::REQUIRE_RISC0_PROOFCall {},
        ),
    );
    assert_eq!(flags, (true, true));
}

#[test]
fn no_verifier_is_called_when_none_is_required() {
    // The mocks expect nothing (zero hashes) and would refuse any call.
    let (mut rollup, _) = committed(Proofs::default());
    rollup.verify_with(1, Bytes::new(), Bytes::new()).ok();
    assert_eq!(rollup.last_verified(), 1);
}
