//! SHA256 (0x02) and RIPEMD160 (0x03), both Frontier: digests of the whole input.
//!
//! Costs `60 + 12 * words` and `600 + 120 * words` gas, `words = ceil(len / 32)`. RIPEMD-160's
//! 20-byte digest is returned left-padded with zeros to 32 bytes.

use alloy_primitives::B256;
use ethrex_common::Fork;
use ethrex_crypto::hash;

use super::{PrecompileResult, charge, linear_cost, success};

pub(super) fn sha256(input: &[u8], gas_limit: u64, _fork: Fork) -> PrecompileResult {
    let gas = charge(linear_cost(input.len(), 60, 12), gas_limit)?;
    success(gas, hash::sha256(input).to_vec())
}

pub(super) fn ripemd160(input: &[u8], gas_limit: u64, _fork: Fork) -> PrecompileResult {
    let gas = charge(linear_cost(input.len(), 600, 120), gas_limit)?;
    success(
        gas,
        B256::left_padding_from(&hash::ripemd160(input)).to_vec(),
    )
}
