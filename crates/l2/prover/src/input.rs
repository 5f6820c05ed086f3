//! Building a batch's [`ProverInput`] from the chain that produced it: the proof coordinator
//! calls [`build_input`] for the batch it hands out, and the tests for the batches they prove.
//!
//! The blocks are the canonical blocks of the range, each with the fee parameters recorded for
//! it ([`ethrex_storage::Store::fee_config`]) and its execution witness. The witnesses are either
//! given ([`Witnesses::Given`]: the sequencer records each block's witness when it produces it,
//! so a batch longer than the in-memory state window still proves) or computed now
//! ([`Witnesses::Compute`]: needs every parent's state). The blob's proof is the EIP-4844 one;
//! a blob holding only cell proofs (an Osaka sidecar) gets it computed here.

use std::ops::RangeInclusive;

use alloy_primitives::Bytes;
use ethrex_blockchain::{Blockchain, ExecutionWitness};
use ethrex_common::types::Block;
use ethrex_crypto::kzg;
use ethrex_l2_common::{
    BatchBlob, BlobProofs,
    protocol::{BatchWitness, BlockWitness, FeeConfigJson, ProverInput},
};

use crate::{Error, Result, guest::ELASTICITY_MULTIPLIER};

/// Where the witnesses of a batch's blocks come from.
#[derive(Debug, Clone, Copy)]
pub enum Witnesses<'a> {
    /// One per block of the range, in order (recorded when each block was produced).
    Given(&'a [ExecutionWitness]),
    /// Computed from the store ([`Blockchain::execution_witness`]).
    Compute,
}

/// The input proving the canonical blocks `range` of `chain` needs, with the batch's `blob`
/// (which the guest checks against the blocks and their fee configs).
pub fn build_input(
    chain: &Blockchain,
    range: RangeInclusive<u64>,
    witnesses: Witnesses<'_>,
    blob: &BatchBlob,
) -> Result<ProverInput> {
    let (first, last) = (*range.start(), *range.end());
    if first > last {
        return Err(Error::EmptyRange { first, last });
    }
    let store = chain.store();
    let mut blocks: Vec<Block> = Vec::new();
    let mut fee_configs = Vec::new();
    for number in range {
        let block = store
            .block_by_number(number)?
            .ok_or(Error::MissingBlock(number))?;
        let hash = block.header.hash_slow();
        let fee_config = store
            .fee_config(&hash)?
            .ok_or(Error::MissingFeeConfig { number, hash })?;
        fee_configs.push(FeeConfigJson::from(fee_config));
        blocks.push(block);
    }
    let witnesses = match witnesses {
        Witnesses::Given(given) if given.len() != blocks.len() => {
            return Err(Error::WitnessCount {
                blocks: blocks.len(),
                witnesses: given.len(),
            });
        }
        Witnesses::Given(given) => given.iter().map(block_witness).collect(),
        Witnesses::Compute => blocks
            .iter()
            .map(|block| {
                chain
                    .execution_witness(block)
                    .map(|w| block_witness(&w))
                    .map_err(|e| Error::Chain(Box::new(e)))
            })
            .collect::<Result<Vec<_>>>()?,
    };
    Ok(ProverInput {
        blocks: blocks
            .iter()
            .map(|block| Bytes::from(alloy_rlp::encode(block)))
            .collect(),
        execution_witness: BatchWitness {
            chain_config: chain.config().clone(),
            blocks: witnesses,
        },
        elasticity_multiplier: ELASTICITY_MULTIPLIER,
        fee_configs,
        blob_commitment: Bytes::copy_from_slice(&blob.commitment),
        blob_proof: Bytes::copy_from_slice(&blob_proof(blob)?),
    })
}

/// The EIP-4844 proof of `blob`: its own, or computed when it carries cell proofs.
fn blob_proof(blob: &BatchBlob) -> Result<[u8; 48]> {
    match &blob.proofs {
        BlobProofs::Blob(proof) => Ok(*proof),
        BlobProofs::Cells(_) => {
            kzg::blob_proof(blob.blob.as_bytes(), &blob.commitment).map_err(Error::Kzg)
        }
    }
}

fn block_witness(witness: &ExecutionWitness) -> BlockWitness {
    BlockWitness {
        state: witness.state.clone(),
        codes: witness.codes.clone(),
        keys: witness.keys.clone(),
        headers: witness.headers.clone(),
    }
}
