//! What the proof coordinator computes from the sequencer's records: a batch's prover input
//! ([`prover_input`], built by `ethrex_l2_prover::build_input`), the public inputs a proof of it
//! must carry ([`expected_public_inputs`]), and where submitted public values differ from them
//! ([`first_difference`]).

use alloy_primitives::{B256, U256, hex};
use ethrex_blockchain::{Blockchain, ExecutionWitness};
use ethrex_l2_common::{
    BatchBlob, BlobProofs, SidecarVersion, encode_batch, protocol::ProverInput,
};
use ethrex_l2_contracts::hashes::PublicInputs;
use ethrex_l2_prover::{Witnesses, build_input};

use crate::{
    SequencerError,
    state::{Batch, RollupState},
};

/// The names of the eight words of the public inputs, in order.
pub const WORD_NAMES: [&str; 8] = [
    "initial state root",
    "final state root",
    "L1 messages merkle root",
    "privileged transactions rolling hash",
    "blob versioned hash",
    "last block hash",
    "chain id",
    "non-privileged transaction count",
];

/// The input proving `batch` needs: its blocks with their recorded fee configs and witnesses
/// (computed from the store for a block without a recorded one), the batch's blob commitment
/// and proof, and `elasticity_multiplier`.
pub fn prover_input(
    chain: &Blockchain,
    state: &RollupState,
    batch: &Batch,
    elasticity_multiplier: u64,
) -> Result<ProverInput, SequencerError> {
    let store = chain.store();
    let (mut blocks, mut fee_configs, mut witnesses) = (Vec::new(), Vec::new(), Vec::new());
    let mut all_recorded = true;
    for number in batch.first_block..=batch.last_block {
        let block = store.block_by_number(number)?.ok_or_else(|| {
            SequencerError::Corrupt(format!(
                "block #{number} of batch {} is missing",
                batch.number
            ))
        })?;
        let hash = block.header.hash_slow();
        let fees = store.fee_config(&hash)?.ok_or_else(|| {
            SequencerError::Corrupt(format!("block #{number} {hash} has no fee config"))
        })?;
        match state.witness(&hash)? {
            Some(w) => witnesses.push(ExecutionWitness {
                state: w.state,
                codes: w.codes,
                keys: w.keys,
                headers: w.headers,
            }),
            None => all_recorded = false,
        }
        blocks.push(block);
        fee_configs.push(fees);
    }
    let blob = encode_batch(&blocks, &fee_configs)?;
    let commitment = <[u8; 48]>::try_from(batch.blob_commitment.as_ref());
    let proof = <[u8; 48]>::try_from(batch.blob_proof.as_ref());
    let blob = match (commitment, proof) {
        (Ok(commitment), Ok(proof)) => BatchBlob {
            blob,
            commitment,
            versioned_hash: batch.blob_versioned_hash,
            proofs: BlobProofs::Blob(proof),
        },
        // No EIP-4844 proof recorded: commit to the blob again.
        _ => {
            let blob = BatchBlob::new(blob, SidecarVersion::BlobProof)?;
            if blob.versioned_hash != batch.blob_versioned_hash {
                return Err(SequencerError::Corrupt(format!(
                    "batch {}: its blocks give blob {}, its record says {}",
                    batch.number, blob.versioned_hash, batch.blob_versioned_hash
                )));
            }
            blob
        }
    };
    let witnesses = match all_recorded {
        true => Witnesses::Given(&witnesses),
        false => Witnesses::Compute,
    };
    let mut input = build_input(
        chain,
        batch.first_block..=batch.last_block,
        witnesses,
        &blob,
    )
    .map_err(|e| {
        SequencerError::Other(format!("the prover input of batch {}: {e}", batch.number))
    })?;
    input.elasticity_multiplier = elasticity_multiplier;
    Ok(input)
}

/// The public inputs a proof of `batch` must carry: the previous batch's state root (the
/// genesis's for batch 1), then the batch record's final root, message root, rolling hash,
/// blob versioned hash and last block hash, the chain id and the non-privileged count.
pub fn expected_public_inputs(
    chain: &Blockchain,
    state: &RollupState,
    batch: &Batch,
) -> Result<PublicInputs, SequencerError> {
    let initial_state_root = initial_state_root(chain, state, batch.number)?;
    Ok(PublicInputs {
        initial_state_root,
        final_state_root: batch.state_root,
        withdrawals_merkle_root: batch.l1_messages_merkle_root,
        privileged_rolling_hash: batch.privileged_transactions_hash,
        blob_versioned_hash: batch.blob_versioned_hash,
        last_block_hash: batch.last_block_hash,
        chain_id: U256::from(chain.config().chain_id),
        non_privileged_transactions: U256::from(batch.non_privileged_transactions),
    })
}

/// The state root batch `number` starts from.
fn initial_state_root(
    chain: &Blockchain,
    state: &RollupState,
    number: u64,
) -> Result<B256, SequencerError> {
    if number <= 1 {
        let genesis = chain
            .store()
            .header_by_number(0)?
            .ok_or_else(|| SequencerError::Corrupt("the genesis header is missing".into()))?;
        return Ok(genesis.state_root);
    }
    let previous = number.saturating_sub(1);
    let batch = state.batch(previous)?.ok_or_else(|| {
        SequencerError::Corrupt(format!("batch {previous} before batch {number} is missing"))
    })?;
    Ok(batch.state_root)
}

/// Where `got` differs from the 256 bytes `expected`: its length, or the first differing word
/// (named, both values shown). `None` when they are equal.
pub fn first_difference(expected: &[u8; 256], got: &[u8]) -> Option<String> {
    if got.len() != expected.len() {
        return Some(format!(
            "public values are {} bytes, expected {}",
            got.len(),
            expected.len()
        ));
    }
    expected
        .chunks_exact(32)
        .zip(got.chunks_exact(32))
        .zip(WORD_NAMES)
        .enumerate()
        .find(|(_, ((want, have), _))| want != have)
        .map(|(index, ((want, have), name))| {
            format!(
                "word {index} ({name}) differs: expected 0x{}, got 0x{}",
                hex::encode(want),
                hex::encode(have)
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_differing_word_is_named() {
        let expected = [7u8; 256];
        assert_eq!(first_difference(&expected, &expected), None);
        let mut got = expected;
        got[200] = 0;
        got[255] = 0;
        let text = first_difference(&expected, &got).unwrap();
        assert!(text.starts_with("word 6 (chain id) differs"), "{text}");
        assert_eq!(
            first_difference(&expected, &[7; 255]).unwrap(),
            "public values are 255 bytes, expected 256"
        );
    }
}
