//! IDENTITY (0x04, Frontier): returns its input, for `15 + 3 * ceil(len / 32)` gas.

use alloy_primitives::Bytes;
use ethrex_common::Fork;

use super::{PrecompileResult, charge, linear_cost, success};

pub(super) fn identity(input: &[u8], gas_limit: u64, _fork: Fork) -> PrecompileResult {
    let gas = charge(linear_cost(input.len(), 15, 3), gas_limit)?;
    success(gas, Bytes::copy_from_slice(input))
}
