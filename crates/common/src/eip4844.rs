//! EIP-4844 blob gas: the gas a blob uses and the blob base fee, computed once here for the
//! VM (BLOBBASEFEE, blob fees), header validation and building (excess blob gas), and the RPC
//! (`eth_blobBaseFee`, fee history).

use alloy_primitives::U256;

/// Gas per blob (`GAS_PER_BLOB`).
pub const GAS_PER_BLOB: u64 = 1 << 17;
/// Minimum blob base fee (`MIN_BASE_FEE_PER_BLOB_GAS`).
pub const MIN_BLOB_BASE_FEE: u64 = 1;

/// The blob base fee of a block with `excess_blob_gas`, under a fork whose blob parameters have
/// this `update_fraction` (`BLOB_BASE_FEE_UPDATE_FRACTION`).
pub fn blob_base_fee(excess_blob_gas: u64, update_fraction: u64) -> U256 {
    fake_exponential(
        U256::from(MIN_BLOB_BASE_FEE),
        U256::from(excess_blob_gas),
        U256::from(update_fraction),
    )
}

/// `factor * e ** (numerator / denominator)` by Taylor expansion, as EIP-4844 defines it
/// (zero for a zero denominator).
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
        i = i.saturating_add(U256::from(1));
    }
    output / denominator
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cancun's `BLOB_BASE_FEE_UPDATE_FRACTION`.
    const CANCUN_FRACTION: u64 = 3_338_477;

    #[test]
    fn blob_base_fee_follows_e_to_the_excess_over_the_fraction() {
        assert_eq!(blob_base_fee(0, CANCUN_FRACTION), U256::from(1));
        // e^1 = 2.718.. and e^10 = 22026.46.., floored.
        assert_eq!(
            blob_base_fee(CANCUN_FRACTION, CANCUN_FRACTION),
            U256::from(2)
        );
        assert_eq!(
            blob_base_fee(10 * CANCUN_FRACTION, CANCUN_FRACTION),
            U256::from(22_026)
        );
        assert_eq!(
            fake_exponential(U256::from(5), U256::ZERO, U256::ZERO),
            U256::ZERO
        );
    }
}
