//! `eth_estimateGas`: the least gas limit with which a call succeeds, by geth's search — a run
//! at the highest allowed limit (its failure is the answer), a plain transfer tried at 21000
//! first, an optimistic guess, then bisection. Unlike geth, the search is exact (no error
//! ratio): the estimate succeeds and one gas less does not. On a rollup the call runs under the
//! rollup's rules ([`super::rollup_fees`]): the gas it needs includes its L1 data gas, and a
//! limit that cannot cover that gas fails like one below the intrinsic gas.

use alloy_primitives::U256;
use ethrex_common::{
    Fork,
    constants::EMPTY_CODE_HASH,
    eip4844::GAS_PER_BLOB,
    validation::{MAX_TX_GAS_LIMIT_OSAKA, TX_BASE_GAS, TxValidityError},
};
use ethrex_vm::{Database, Halt, InvalidTransaction, inspector::NoopInspector};
use serde_json::Value;

use super::{
    call::{Call, halt_message, invalid_message, revert_error, state_of, vm_error},
    call_args::GAS_CAP,
    overlay::with_overrides,
    params::Params,
};
use crate::{RpcContext, RpcError};

/// Gas EIP-150 leaves a callee's parent (1/64) and a value call's stipend, for the optimistic
/// first guess.
const CALL_STIPEND: u64 = 2_300;

/// `eth_estimateGas(callObject, block = latest, stateOverrides?, blockOverrides?)`.
pub fn estimate_gas(ctx: &RpcContext, p: &Params) -> Result<Value, RpcError> {
    let (args, header, state_overrides, block_overrides) = super::call::call_params(ctx, p)?;
    let state = state_of(ctx, &header)?;
    let overlay = with_overrides(&state, state_overrides.as_ref())?;
    let call = Call::new(ctx, args, &header, block_overrides.as_ref(), &overlay)?
        .with_state_overrides(state_overrides.as_ref())?;
    let gas = estimate(&call, &overlay)?;
    Ok(Value::String(format!("{gas:#x}")))
}

/// Whether the call succeeds with `gas`; `Err` when it cannot run for another reason than
/// too little gas.
fn succeeds(call: &Call, db: &dyn Database, gas: u64) -> Result<bool, RpcError> {
    Ok(match call.run(db, gas, &mut NoopInspector)? {
        Ok(out) => out.result.success,
        Err(InvalidTransaction::Stateless(TxValidityError::IntrinsicGasTooLow { .. })) => false,
        Err(InvalidTransaction::SurchargeGasAboveLimit { .. }) => false,
        Err(invalid) => return Err(RpcError::server(invalid_message(&invalid, call.from))),
    })
}

/// The highest gas limit the call may have: its own (the cap when absent, the block's when
/// below 21000), what the sender's balance pays for at its fee, [`GAS_CAP`], EIP-7825's cap.
fn upper_bound(call: &Call, db: &dyn Database) -> Result<u64, RpcError> {
    let mut hi = match call.args.gas {
        None => GAS_CAP,
        Some(gas) if gas.to::<u64>() >= TX_BASE_GAS => gas.to(),
        Some(_) => call.env.gas_limit,
    };
    let fee_cap = call.fees.max_fee_per_gas();
    if !fee_cap.is_zero() {
        let balance = db
            .account(&call.from)
            .map_err(vm_error)?
            .map_or(U256::ZERO, |a| a.balance);
        let value = call.args.value.unwrap_or_default();
        if value >= balance {
            return Err(RpcError::server("insufficient funds for transfer"));
        }
        let mut available = balance - value;
        if let Some(hashes) = &call.args.blob_versioned_hashes
            && call.env.fork >= Fork::Cancun
        {
            let blob_gas = U256::from(hashes.len() as u64 * GAS_PER_BLOB);
            let blob_cost =
                blob_gas.saturating_mul(call.args.max_fee_per_blob_gas.unwrap_or_default());
            if blob_cost > available {
                return Err(RpcError::server("insufficient funds for blob transaction"));
            }
            available -= blob_cost;
        }
        let allowance = available / fee_cap;
        if let Ok(allowance) = u64::try_from(allowance) {
            hi = hi.min(allowance);
        }
    }
    hi = hi.min(GAS_CAP);
    if call.env.fork >= Fork::Osaka {
        hi = hi.min(MAX_TX_GAS_LIMIT_OSAKA);
    }
    Ok(hi)
}

/// The least gas with which `call` succeeds over `db`.
pub fn estimate(call: &Call, db: &dyn Database) -> Result<u64, RpcError> {
    let hi = upper_bound(call, db)?;
    if call.args.input()?.is_empty()
        && let Some(to) = call.args.to
        && db
            .account(&to)
            .map_err(vm_error)?
            .is_none_or(|a| a.code_hash == EMPTY_CODE_HASH)
        && succeeds(call, db, TX_BASE_GAS)?
    {
        return Ok(TX_BASE_GAS);
    }
    let exceeds = || RpcError::server(format!("gas required exceeds allowance ({hi})"));
    let used = match call.run(db, hi, &mut NoopInspector)? {
        Err(
            InvalidTransaction::Stateless(TxValidityError::IntrinsicGasTooLow { .. })
            | InvalidTransaction::SurchargeGasAboveLimit { .. },
        ) => {
            return Err(exceeds());
        }
        Err(invalid) => return Err(RpcError::server(invalid_message(&invalid, call.from))),
        Ok(out) => match (out.result.success, out.result.halt) {
            (true, _) => out.result.gas_used,
            (false, Some(Halt::OutOfGas)) => return Err(exceeds()),
            (false, Some(halt)) => return Err(RpcError::server(halt_message(halt))),
            (false, None) => return Err(revert_error(&out.result.output)),
        },
    };
    // Invariant: the call fails with `lo` gas and succeeds with `hi`.
    let (mut lo, mut hi) = (used.saturating_sub(1), hi);
    let optimistic = used.saturating_add(CALL_STIPEND).saturating_mul(64) / 63;
    if optimistic < hi {
        if succeeds(call, db, optimistic)? {
            hi = optimistic;
        } else {
            lo = optimistic;
        }
    }
    while lo + 1 < hi {
        let mid = (lo / 2 + hi / 2 + (lo % 2 + hi % 2) / 2).min(lo.saturating_mul(2));
        if succeeds(call, db, mid)? {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Ok(hi)
}
