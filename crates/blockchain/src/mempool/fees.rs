//! Fee arithmetic of pooled transactions: the effective tip at a base fee (what the block's fee
//! recipient earns per gas, and how the pool ranks transactions), the most a transaction can
//! cost its sender, and the price bump a replacement needs.

use alloy_primitives::U256;
use ethrex_common::{eip4844::GAS_PER_BLOB, types::Transaction};

use super::pool::PRICE_BUMP_PERCENT;

/// The tip cap: the EIP-1559 max priority fee, or the gas price of older types.
pub fn tip_cap(tx: &Transaction) -> U256 {
    tx.max_priority_fee_per_gas()
        .unwrap_or_else(|| tx.max_fee_per_gas())
}

/// What the fee recipient earns per gas at `base_fee`: `min(tip cap, fee cap - base fee)`;
/// `None` when the fee cap is below the base fee (the transaction cannot be included).
pub fn effective_tip(tx: &Transaction, base_fee: u64) -> Option<U256> {
    let above_base = tx.max_fee_per_gas().checked_sub(U256::from(base_fee))?;
    Some(above_base.min(tip_cap(tx)))
}

/// The most `tx` can cost: gas limit times fee cap, plus value, plus (blob transactions) blob
/// gas times the blob fee cap. Saturates (such a transaction is unaffordable anyway).
pub fn max_cost(tx: &Transaction) -> U256 {
    let gas = U256::from(tx.gas_limit()).saturating_mul(tx.max_fee_per_gas());
    let blob = match tx {
        Transaction::Eip4844(blob_tx, _) => {
            let blobs = blob_tx.blob_versioned_hashes.len() as u64;
            U256::from(blobs.saturating_mul(GAS_PER_BLOB))
                .saturating_mul(blob_tx.max_fee_per_blob_gas)
        }
        _ => U256::ZERO,
    };
    gas.saturating_add(tx.value()).saturating_add(blob)
}

/// Whether `new` may replace `old` (same sender and nonce): both its fee cap and its tip cap
/// are higher, by at least [`PRICE_BUMP_PERCENT`].
pub fn is_sufficient_bump(old: &Transaction, new: &Transaction) -> bool {
    let bumped = |old: U256, new: U256| {
        let threshold = old.saturating_mul(U256::from(100 + PRICE_BUMP_PERCENT)) / U256::from(100);
        new > old && new >= threshold
    };
    bumped(old.max_fee_per_gas(), new.max_fee_per_gas()) && bumped(tip_cap(old), tip_cap(new))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mempool::test_tx::with_fees;

    #[test]
    fn effective_tip_is_capped_by_the_room_above_the_base_fee() {
        let tx = with_fees(0, 0, 100, 10).transaction;
        assert_eq!(effective_tip(&tx, 50), Some(U256::from(10)));
        assert_eq!(effective_tip(&tx, 95), Some(U256::from(5)));
        assert_eq!(effective_tip(&tx, 100), Some(U256::ZERO));
        assert_eq!(effective_tip(&tx, 101), None);
    }

    #[test]
    fn max_cost_is_gas_times_fee_cap_plus_value() {
        let tx = with_fees(0, 0, 100, 10).transaction;
        assert_eq!(max_cost(&tx), U256::from(21_000 * 100) + tx.value());
    }

    #[test]
    fn a_one_wei_price_still_needs_a_strict_increase() {
        let old = with_fees(0, 0, 1, 1).transaction;
        assert!(!is_sufficient_bump(
            &old,
            &with_fees(0, 0, 1, 1).transaction
        ));
        assert!(is_sufficient_bump(&old, &with_fees(0, 0, 2, 2).transaction));
    }
}
