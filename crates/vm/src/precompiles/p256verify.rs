//! P256VERIFY (0x100, Osaka, EIP-7951): secp256r1 ECDSA verification of a prehashed message.
//!
//! Costs 6900 gas whatever the input. The input is `hash || r || s || x || y` (32 bytes each);
//! any other length, or any signature that does not verify, gives empty output (not an error);
//! a valid signature gives the 32-byte word 1.

use alloy_primitives::B256;
use ethrex_common::Fork;
use ethrex_crypto::p256::p256_verify;

use super::{PrecompileResult, charge, chunk_at, success};

const GAS: u64 = 6900;
const INPUT_LEN: usize = 160;

pub(super) fn p256verify(input: &[u8], gas_limit: u64, _fork: Fork) -> PrecompileResult {
    let gas = charge(GAS, gas_limit)?;
    if input.len() != INPUT_LEN {
        return success(gas, Vec::new());
    }
    let verified = match (
        chunk_at::<32>(input, 0),
        chunk_at::<64>(input, 32),
        chunk_at::<64>(input, 96),
    ) {
        (Some(hash), Some(signature), Some(key)) => p256_verify(hash, signature, key),
        _ => false,
    };
    if verified {
        success(gas, B256::with_last_byte(1).to_vec())
    } else {
        success(gas, Vec::new())
    }
}
