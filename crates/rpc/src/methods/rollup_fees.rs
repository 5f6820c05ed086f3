//! The rollup's fee rules as the RPC shows them, on a rollup chain
//! ([`ethrex_blockchain::Blockchain::is_rollup`]) only; on an Ethereum chain nothing here runs
//! and every answer is L1's.
//!
//! - Calls and estimates run under [`ethrex_vm::L2Hook::for_calls`] with the *current* fee
//!   parameters ([`current_fee_config`]): the sequencer's through
//!   [`crate::ExtraMethods::fee_config`], else those recorded for the head block. An estimate
//!   then includes the L1 data gas of the call's transaction.
//! - `eth_gasPrice` = next base fee + operator fee + suggested tip.
//! - A receipt's `effectiveGasPrice` = base + priority, priority = `min(max priority fee, max
//!   fee − base − operator fee)` with the fee parameters recorded for its block; a privileged
//!   transaction pays nothing (0).
//!
//! The L1 data fee of a call is priced on its transaction as the VM builds it; on a rollup that
//! transaction carries [`ROLLUP_CALL_SIGNATURE`], as long as a real signature (32-byte `r` and
//! `s`), so the estimate covers the signed transaction a wallet sends with the same fields.

use alloy_primitives::U256;
use ethrex_common::types::{FeeConfig, Transaction};
use ethrex_crypto::RecoverableSig;

use crate::{RpcContext, RpcError};

/// The signature of calls on a rollup: never recovered (the VM is told the sender), but as long
/// as a real one (`r` and `s` of 32 bytes, `s` below secp256k1's n/2), so the L1 data fee of a
/// call is that of its signed transaction.
pub const ROLLUP_CALL_SIGNATURE: RecoverableSig = RecoverableSig {
    r: U256::from_limbs([1, 0, 0, 0x4000_0000_0000_0000]),
    s: U256::from_limbs([1, 0, 0, 0x4000_0000_0000_0000]),
    y_parity: false,
};

/// The fee parameters calls are priced at: `None` on an Ethereum chain; on a rollup the
/// sequencer's current ones, else the head block's, else none charged.
pub fn current_fee_config(ctx: &RpcContext) -> Result<Option<FeeConfig>, RpcError> {
    if !ctx.chain.is_rollup() {
        return Ok(None);
    }
    if let Some(fees) = ctx.extra.as_ref().and_then(|extra| extra.fee_config()) {
        return Ok(Some(fees));
    }
    let Some(head) = ctx.store.head_header()? else {
        return Ok(Some(FeeConfig::default()));
    };
    Ok(Some(
        ctx.store.fee_config(&head.hash_slow())?.unwrap_or_default(),
    ))
}

/// The fee parameters recorded for the rollup block `hash`: `None` on an Ethereum chain; an
/// error when a rollup block has none.
pub fn block_fee_config(
    ctx: &RpcContext,
    hash: &alloy_primitives::B256,
    number: u64,
) -> Result<Option<FeeConfig>, RpcError> {
    if !ctx.chain.is_rollup() {
        return Ok(None);
    }
    // The genesis is not produced: it has no record, and no transactions to price.
    if number == 0 {
        return Ok(Some(ctx.store.fee_config(hash)?.unwrap_or_default()));
    }
    ctx.store.fee_config(hash)?.map(Some).ok_or_else(|| {
        RpcError::internal(format!(
            "rollup block #{number} {hash} has no recorded fee parameters"
        ))
    })
}

/// The priority fee per gas `tx` pays in a block of base fee `base_fee` under `fees`:
/// `min(max priority fee, max fee − base − operator)` (0 for a privileged transaction).
pub fn priority_fee(tx: &Transaction, base_fee: Option<u64>, fees: &FeeConfig) -> U256 {
    if matches!(tx, Transaction::Privileged(_)) {
        return U256::ZERO;
    }
    let base = U256::from(base_fee.unwrap_or(0));
    let operator = U256::from(fees.operator_fee());
    let cap = tx
        .max_fee_per_gas()
        .saturating_sub(base)
        .saturating_sub(operator);
    tx.max_priority_fee_per_gas()
        .unwrap_or_else(|| tx.max_fee_per_gas())
        .min(cap)
}

/// A receipt's `effectiveGasPrice` on the rollup: base + priority (0 for a privileged
/// transaction, which pays nothing).
pub fn effective_gas_price(tx: &Transaction, base_fee: Option<u64>, fees: &FeeConfig) -> U256 {
    if matches!(tx, Transaction::Privileged(_)) {
        return U256::ZERO;
    }
    U256::from(base_fee.unwrap_or(0)).saturating_add(priority_fee(tx, base_fee, fees))
}

#[cfg(test)]
mod tests {
    use alloy_primitives::{Address, TxKind};
    use ethrex_common::types::{Eip1559Tx, LegacyTx};

    use super::*;

    const FEES: FeeConfig = FeeConfig {
        base_fee_vault: None,
        operator_fee_vault: Some(Address::repeat_byte(0x0c)),
        operator_fee_per_gas: 30,
        l1_fee_vault: None,
        l1_fee_per_blob_gas: 0,
    };

    fn eip1559(max_fee: u64, max_priority: u64) -> Transaction {
        Transaction::Eip1559(Eip1559Tx {
            max_fee_per_gas: U256::from(max_fee),
            max_priority_fee_per_gas: U256::from(max_priority),
            to: TxKind::Call(Address::ZERO),
            ..Default::default()
        })
    }

    #[test]
    fn priority_is_capped_by_what_is_left_after_base_and_operator_fees() {
        // Room above base (100) + operator (30): 170; the priority fee asks 50.
        assert_eq!(
            effective_gas_price(&eip1559(300, 50), Some(100), &FEES),
            U256::from(150)
        );
        // Room 20: the priority fee is cut to it.
        assert_eq!(
            effective_gas_price(&eip1559(150, 50), Some(100), &FEES),
            U256::from(120)
        );
        // Without an operator vault no operator fee is charged.
        let no_operator = FeeConfig {
            operator_fee_vault: None,
            ..FEES
        };
        assert_eq!(
            effective_gas_price(&eip1559(150, 50), Some(100), &no_operator),
            U256::from(150)
        );
        // A legacy transaction's priority fee is its gas price above base and operator fees.
        let legacy = Transaction::Legacy(LegacyTx {
            gas_price: U256::from(200),
            to: TxKind::Call(Address::ZERO),
            ..Default::default()
        });
        assert_eq!(
            effective_gas_price(&legacy, Some(100), &FEES),
            U256::from(170)
        );
    }

    #[test]
    fn the_call_signature_is_as_long_as_a_real_one() {
        let bytes = |n: U256| n.to_be_bytes_trimmed_vec().len();
        assert_eq!(bytes(ROLLUP_CALL_SIGNATURE.r), 32);
        assert_eq!(bytes(ROLLUP_CALL_SIGNATURE.s), 32);
    }
}
