//! The guest program: what a zkVM would run to prove a batch, and what the `exec` backend runs
//! natively. [`execute_batch`] takes a [`ProverInput`] and either returns the batch's
//! [`PublicInputs`] or a [`GuestError`] naming the block, the check, and what was expected
//! against what was found.
//!
//! Checks, in order:
//! 1. the input's shape: at least one block, as many fee configs and witnesses as blocks, the
//!    blocks decode and chain by parent hash, the elasticity multiplier is the header rules'
//!    ([`ELASTICITY_MULTIPLIER`]);
//! 2. each block re-executes over its witness under the rollup's rules with its fee config
//!    (`execute_stateless_with_rules`: the witness is checked against the parent's state root,
//!    the header against the parent, the state root, receipts and gas against execution);
//! 3. the blob: the batch re-encoded from the blocks and fee configs has the input's KZG
//!    commitment, and the input's blob proof verifies for it.
//!
//! The public inputs are then: the first block's parent state root (the last header of the
//! first witness, checked against the block's parent hash by execution), the last block's state
//! root, the Merkle root of the withdrawal messages in the executed receipts (zero without
//! any), the rolling hash of the privileged transactions' hashes (zero without any), the blob's
//! versioned hash, the last block's hash, the chain id and the count of non-privileged
//! transactions.

use alloy_primitives::{B256, U256};
use alloy_rlp::Decodable;
use ethrex_blockchain::{ChainError, ExecutionWitness, Rules, execute_stateless_with_rules};
use ethrex_common::types::{Block, FeeConfig, Header, Transaction};
use ethrex_crypto::kzg;
use ethrex_l2_common::{
    BatchMessages, encode_batch,
    messages::block_l1_messages,
    protocol::{BlockWitness, ProverInput},
};
use ethrex_l2_contracts::hashes::{PublicInputs, rolling_hash};

/// The EIP-1559 elasticity multiplier of the header rules (`ethrex_blockchain::header`): the
/// only value a batch may name, since its blocks' base fees were checked with it.
pub const ELASTICITY_MULTIPLIER: u64 = 2;

/// Why a batch does not prove.
#[derive(Debug, thiserror::Error)]
pub enum GuestError {
    #[error("the batch has no blocks")]
    NoBlocks,
    #[error(
        "{blocks} blocks, {fee_configs} fee configs and {witnesses} witnesses: one each per block"
    )]
    CountMismatch {
        blocks: usize,
        fee_configs: usize,
        witnesses: usize,
    },
    #[error("batch block {index}: invalid block RLP: {source}")]
    BlockRlp {
        index: usize,
        source: alloy_rlp::Error,
    },
    #[error(
        "batch block {index} (#{number}) does not chain: parent hash {got}, but the previous block is {expected}"
    )]
    NotChained {
        index: usize,
        number: u64,
        expected: B256,
        got: B256,
    },
    #[error("elasticity multiplier {got}, but the chain's header rules use {expected}")]
    ElasticityMultiplier { expected: u64, got: u64 },
    #[error("batch block {index} (#{number}): the witness has no headers (it needs the parent's)")]
    NoParentHeader { index: usize, number: u64 },
    #[error("batch block {index} (#{number}): invalid witness header RLP: {source}")]
    HeaderRlp {
        index: usize,
        number: u64,
        source: alloy_rlp::Error,
    },
    #[error("batch block {index} (#{number}) does not execute: {source}")]
    Execution {
        index: usize,
        number: u64,
        source: Box<ChainError>,
    },
    #[error("batch block {index} (#{number}): {source}")]
    Messages {
        index: usize,
        number: u64,
        source: ethrex_l2_common::Error,
    },
    #[error("{0} privileged transactions: the rolling hash counts at most 65535")]
    TooManyPrivileged(usize),
    #[error("the blob cannot be rebuilt from the blocks and fee configs: {0}")]
    Blob(ethrex_l2_common::Error),
    #[error("the {what} is {got} bytes, expected 48")]
    KzgLength { what: &'static str, got: usize },
    #[error(
        "blob commitment mismatch: the blocks and fee configs give {expected}, the input has {got}"
    )]
    BlobCommitment { expected: String, got: String },
    #[error(
        "blob proof {proof} does not prove the blob rebuilt from the blocks against commitment {commitment}: {reason}"
    )]
    BlobProof {
        proof: String,
        commitment: String,
        reason: String,
    },
    #[error("KZG: {0}")]
    Kzg(ethrex_crypto::CryptoError),
}

/// Runs the guest over `input` (see the module docs).
pub fn execute_batch(input: &ProverInput) -> Result<PublicInputs, GuestError> {
    let blocks = decode_blocks(input)?;
    let fee_configs: Vec<FeeConfig> = input.fee_configs.iter().copied().map(Into::into).collect();
    let config = &input.execution_witness.chain_config;

    let mut messages = BatchMessages::new();
    let mut privileged = Vec::new();
    let mut non_privileged: u64 = 0;
    let witnesses = &input.execution_witness.blocks;
    for (index, ((block, fee_config), witness)) in
        blocks.iter().zip(&fee_configs).zip(witnesses).enumerate()
    {
        let number = block.header.number;
        let witness = execution_witness(witness);
        let outcome =
            execute_stateless_with_rules(config, block, &witness, Rules::Rollup(*fee_config))
                .map_err(|source| GuestError::Execution {
                    index,
                    number,
                    source: Box::new(source),
                })?;
        let block_messages =
            block_l1_messages(block, &outcome.receipts).map_err(|source| GuestError::Messages {
                index,
                number,
                source,
            })?;
        messages.extend(block_messages.messages);
        for tx in &block.body.transactions {
            match tx {
                Transaction::Privileged(tx) => privileged.push(tx.hash()),
                _ => non_privileged = non_privileged.saturating_add(1),
            }
        }
    }

    let privileged_rolling_hash = match privileged.len() {
        0 => B256::ZERO,
        n => rolling_hash(&privileged).ok_or(GuestError::TooManyPrivileged(n))?,
    };
    let blob_versioned_hash = check_blob(input, &blocks, &fee_configs)?;
    // `decode_blocks` refused an empty batch, so both ends exist.
    let (Some(first), Some(last)) = (blocks.first(), blocks.last()) else {
        return Err(GuestError::NoBlocks);
    };
    Ok(PublicInputs {
        initial_state_root: parent_header(first, witnesses.first())?.state_root,
        final_state_root: last.header.state_root,
        withdrawals_merkle_root: messages.merkle_root(),
        privileged_rolling_hash,
        blob_versioned_hash,
        last_block_hash: last.header.hash_slow(),
        chain_id: U256::from(config.chain_id),
        non_privileged_transactions: U256::from(non_privileged),
    })
}

/// The blocks of `input`, after the shape checks (counts, chaining, elasticity multiplier).
fn decode_blocks(input: &ProverInput) -> Result<Vec<Block>, GuestError> {
    let (blocks, fee_configs, witnesses) = (
        input.blocks.len(),
        input.fee_configs.len(),
        input.execution_witness.blocks.len(),
    );
    if blocks == 0 {
        return Err(GuestError::NoBlocks);
    }
    if fee_configs != blocks || witnesses != blocks {
        return Err(GuestError::CountMismatch {
            blocks,
            fee_configs,
            witnesses,
        });
    }
    if input.elasticity_multiplier != ELASTICITY_MULTIPLIER {
        return Err(GuestError::ElasticityMultiplier {
            expected: ELASTICITY_MULTIPLIER,
            got: input.elasticity_multiplier,
        });
    }
    let mut decoded: Vec<Block> = Vec::with_capacity(blocks);
    for (index, rlp) in input.blocks.iter().enumerate() {
        let block = Block::decode(&mut rlp.as_ref())
            .map_err(|source| GuestError::BlockRlp { index, source })?;
        if let Some(previous) = decoded.last() {
            let expected = previous.header.hash_slow();
            if block.header.parent_hash != expected {
                return Err(GuestError::NotChained {
                    index,
                    number: block.header.number,
                    expected,
                    got: block.header.parent_hash,
                });
            }
        }
        decoded.push(block);
    }
    Ok(decoded)
}

/// The wire witness as the stateless executor takes it.
fn execution_witness(witness: &BlockWitness) -> ExecutionWitness {
    ExecutionWitness {
        state: witness.state.clone(),
        codes: witness.codes.clone(),
        keys: witness.keys.clone(),
        headers: witness.headers.clone(),
    }
}

/// The parent header of the batch's first block: the last header of its witness.
fn parent_header(first: &Block, witness: Option<&BlockWitness>) -> Result<Header, GuestError> {
    let number = first.header.number;
    let rlp = witness
        .and_then(|w| w.headers.last())
        .ok_or(GuestError::NoParentHeader { index: 0, number })?;
    Header::decode(&mut rlp.as_ref()).map_err(|source| GuestError::HeaderRlp {
        index: 0,
        number,
        source,
    })
}

fn kzg_bytes(what: &'static str, bytes: &[u8]) -> Result<[u8; 48], GuestError> {
    bytes.try_into().map_err(|_| GuestError::KzgLength {
        what,
        got: bytes.len(),
    })
}

/// Checks the input's blob commitment and proof against the blob rebuilt from `blocks` and
/// `fee_configs`; returns its versioned hash.
fn check_blob(
    input: &ProverInput,
    blocks: &[Block],
    fee_configs: &[FeeConfig],
) -> Result<B256, GuestError> {
    let commitment = kzg_bytes("blob commitment", &input.blob_commitment)?;
    let proof = kzg_bytes("blob proof", &input.blob_proof)?;
    let blob = encode_batch(blocks, fee_configs).map_err(GuestError::Blob)?;
    let expected = kzg::blob_commitment(blob.as_bytes()).map_err(GuestError::Kzg)?;
    if expected != commitment {
        return Err(GuestError::BlobCommitment {
            expected: alloy_primitives::hex::encode_prefixed(expected),
            got: alloy_primitives::hex::encode_prefixed(commitment),
        });
    }
    let refused = |reason: String| GuestError::BlobProof {
        proof: alloy_primitives::hex::encode_prefixed(proof),
        commitment: alloy_primitives::hex::encode_prefixed(commitment),
        reason,
    };
    match kzg::verify_blob_proofs(&[blob.as_bytes()], &[commitment], &[proof]) {
        Ok(true) => {}
        Ok(false) => return Err(refused("it does not verify".into())),
        Err(e) => return Err(refused(e.to_string())),
    }
    Ok(kzg::kzg_commitment_to_versioned_hash(&commitment))
}

#[cfg(test)]
mod tests {
    use ethrex_blockchain::header::next_base_fee;
    use ethrex_common::Fork;

    use super::*;

    /// The header rules keep the base fee at `gas_limit / ELASTICITY_MULTIPLIER` gas used, raise
    /// it above and lower it below: the multiplier is theirs.
    #[test]
    fn the_elasticity_multiplier_is_the_header_rules() {
        let base_fee = 1_000_000_000;
        let at = |gas_used| {
            let parent = Header {
                gas_limit: 30_000_000,
                gas_used,
                base_fee_per_gas: Some(base_fee),
                ..Default::default()
            };
            next_base_fee(&parent, Fork::Osaka)
        };
        let target = 30_000_000 / ELASTICITY_MULTIPLIER;
        assert_eq!(at(target), base_fee);
        assert!(at(target + 1) > base_fee);
        assert!(at(target - 1) < base_fee);
    }
}
