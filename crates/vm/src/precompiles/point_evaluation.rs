//! POINT EVALUATION (0x0a, Cancun, EIP-4844): checks a KZG proof that the blob committed to by
//! `commitment` evaluates to `y` at `z`.
//!
//! The input is exactly `versioned_hash || z || y || commitment || proof` (192 bytes). Costs
//! 50 000 gas. The versioned hash must be the commitment's (version byte 0x01) and the proof
//! must verify, else the call fails. On success it returns `FIELD_ELEMENTS_PER_BLOB` (4096) and
//! the BLS12-381 scalar modulus, as two 32-byte words.

use alloy_primitives::{B256, U256};
use ethrex_common::Fork;
use ethrex_crypto::{
    CryptoError,
    kzg::{
        BLS_MODULUS, FIELD_ELEMENTS_PER_BLOB, kzg_commitment_to_versioned_hash, verify_kzg_proof,
    },
};

use super::{PrecompileError, PrecompileResult, charge, chunk_at, success};

const GAS: u64 = 50_000;
const INPUT_LEN: usize = 192;

pub(super) fn point_evaluation(input: &[u8], gas_limit: u64, _fork: Fork) -> PrecompileResult {
    if input.len() != INPUT_LEN {
        return Err(CryptoError::InvalidLength {
            what: "point evaluation input",
            expected: INPUT_LEN,
            got: input.len(),
        }
        .into());
    }
    let gas = charge(GAS, gas_limit)?;
    let (Some(versioned_hash), Some(z), Some(y), Some(commitment), Some(proof)) = (
        chunk_at::<32>(input, 0),
        chunk_at::<32>(input, 32),
        chunk_at::<32>(input, 64),
        chunk_at::<48>(input, 96),
        chunk_at::<48>(input, 144),
    ) else {
        return Err(PrecompileError::InvalidInput(
            "point evaluation input too short".into(),
        ));
    };
    if kzg_commitment_to_versioned_hash(commitment) != B256::from(versioned_hash) {
        return Err(PrecompileError::InvalidInput(
            "versioned hash does not match the commitment".into(),
        ));
    }
    if !verify_kzg_proof(commitment, z, y, proof)? {
        return Err(PrecompileError::InvalidInput(
            "KZG proof does not verify".into(),
        ));
    }
    let mut output = Vec::with_capacity(64);
    output.extend_from_slice(B256::from(U256::from(FIELD_ELEMENTS_PER_BLOB)).as_slice());
    output.extend_from_slice(&BLS_MODULUS);
    success(gas, output)
}
