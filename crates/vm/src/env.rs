//! The execution environment: the block a transaction runs in and the rules of its fork.

use alloy_primitives::{Address, B256, U256};
use ethrex_common::{BlobParams, Fork};

/// What the VM needs to know about the block being executed.
#[derive(Debug, Clone)]
pub struct BlockEnv {
    pub fork: Fork,
    pub chain_id: u64,
    pub number: u64,
    pub coinbase: Address,
    pub timestamp: u64,
    pub gas_limit: u64,
    /// EIP-1559 base fee (London on).
    pub base_fee: Option<U256>,
    /// Pre-merge difficulty (the DIFFICULTY opcode).
    pub difficulty: U256,
    /// Post-merge randomness (the PREVRANDAO opcode).
    pub prev_randao: Option<B256>,
    /// EIP-4844 excess blob gas of the block (Cancun on).
    pub excess_blob_gas: Option<u64>,
    /// Blob parameters in force (Cancun on).
    pub blob_params: Option<BlobParams>,
    /// A blob base fee to use instead of the one of `excess_blob_gas` (the RPC's
    /// `blobBaseFee` block override): BLOBBASEFEE and blob fees follow it, the header does not.
    pub blob_base_fee_override: Option<U256>,
}

/// Minimum blob base fee (EIP-4844 `MIN_BASE_FEE_PER_BLOB_GAS`).
pub const MIN_BLOB_BASE_FEE: u64 = 1;
/// Gas per blob (EIP-4844 `GAS_PER_BLOB`).
pub const GAS_PER_BLOB: u64 = 1 << 17;

impl BlockEnv {
    /// The blob base fee (EIP-4844 `fake_exponential`, or the override), when the fork has
    /// blobs.
    pub fn blob_base_fee(&self) -> Option<U256> {
        let params = self.blob_params?;
        if let Some(fee) = self.blob_base_fee_override {
            return Some(fee);
        }
        let excess = self.excess_blob_gas.unwrap_or(0);
        Some(fake_exponential(
            U256::from(MIN_BLOB_BASE_FEE),
            U256::from(excess),
            U256::from(params.base_fee_update_fraction),
        ))
    }
}

/// `factor * e ** (numerator / denominator)` by Taylor expansion, as EIP-4844 defines it.
pub fn fake_exponential(factor: U256, numerator: U256, denominator: U256) -> U256 {
    if denominator.is_zero() {
        return U256::ZERO;
    }
    let mut i = U256::from(1);
    let mut output = U256::ZERO;
    let mut accum = factor.saturating_mul(denominator);
    while !accum.is_zero() {
        output = output.saturating_add(accum);
        accum = accum.saturating_mul(numerator) / denominator.saturating_mul(i);
        i += U256::from(1);
    }
    output / denominator
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blob_base_fee_follows_eip4844_examples() {
        let f = |excess: u64| {
            fake_exponential(U256::from(1), U256::from(excess), U256::from(3_338_477u64))
        };
        assert_eq!(f(0), U256::from(1));
        assert_eq!(f(3_338_477), U256::from(2)); // e^1 = 2.71.. floored
        assert_eq!(f(10 * 3_338_477), U256::from(22_026)); // e^10 = 22026.46..
    }
}
