//! [`L1Hook`]: Ethereum's transaction rules around execution.
//!
//! Prepare: stateless validity, block gas, base fee, blob fees and counts, sender nonce, EIP-3607
//! (no code, or an EIP-7702 designator), balance for the maximum cost; then buy gas, bump the
//! nonce, warm the access set (EIP-2929/2930/3651) and apply EIP-7702 authorizations.
//! Settle: refunds (capped by EIP-3529's quotient), the EIP-7623 floor, unused gas back to the
//! sender, the priority fee to the coinbase.
//!
//! [`CallHook`] is the same processing in "call mode", for `eth_call`, `eth_estimateGas` and
//! simulations: the checks geth skips for such messages are skipped (see [`Validation::Call`]).

use alloy_primitives::{Address, U256};
use ethrex_common::{
    Fork,
    eip4844::GAS_PER_BLOB,
    eip7702::{delegate_of, designator},
    types::Transaction,
    validation::{
        MAX_TX_GAS_LIMIT_OSAKA, TxValidityError, calldata_floor_gas, intrinsic_gas,
        validate_transaction,
    },
};

use crate::{
    InvalidTransaction, TxError, VmError,
    frame::Machine,
    gas,
    hook::{Hook, Prepared},
    interpreter::FrameResult,
};

/// EIP-7702: refund when an authority already existed (`PER_EMPTY_ACCOUNT_COST - PER_AUTH_BASE_COST`).
const AUTH_EXISTING_REFUND: i64 = 25_000 - 12_500;

/// Ethereum L1 transaction processing.
#[derive(Debug, Default, Clone, Copy)]
pub struct L1Hook;

/// Ethereum L1 processing of a message that is not a transaction of a block (`eth_call`,
/// `eth_estimateGas`, `eth_simulateV1`): [`L1Hook`] under relaxed [`Validation`] rules
/// ([`Validation::Call`] by default). The caller builds the transaction with any in-range
/// signature and names its sender.
#[derive(Debug, Clone, Copy)]
pub struct CallHook {
    pub validation: Validation,
}

impl Default for CallHook {
    fn default() -> Self {
        Self {
            validation: Validation::Call,
        }
    }
}

/// Which rules a transaction is held to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validation {
    /// Every rule: a transaction of a block.
    Full,
    /// Geth's `eth_simulateV1` with validation: every rule but EIP-3607 (the sender may have
    /// code) and EIP-7825's gas limit cap.
    Simulate,
    /// Geth's rules for a call: besides [`Validation::Simulate`]'s, the nonce is not checked
    /// (it is still bumped, wrapping at the EIP-2681 maximum), the gas limit is not bounded by the block's gas left, and neither
    /// the base fee nor the blob fee is checked against a call that offers none (geth's
    /// `NoBaseFee`). The balance must still cover `gas * price + value`.
    Call,
}

fn u(v: u64) -> U256 {
    U256::from(v)
}

impl Hook for L1Hook {
    fn prepare(
        &self,
        m: &mut Machine,
        tx: &Transaction,
        sender: Address,
        block_gas_used: u64,
    ) -> Result<Prepared, TxError> {
        prepare(
            m,
            tx,
            sender,
            block_gas_used,
            Validation::Full,
            Surcharge::default(),
        )
    }

    fn settle(
        &self,
        m: &mut Machine,
        tx: &Transaction,
        sender: Address,
        prepared: &Prepared,
        result: &FrameResult,
    ) -> Result<u64, VmError> {
        settle(m, tx, sender, prepared, result)
    }
}

impl Hook for CallHook {
    fn prepare(
        &self,
        m: &mut Machine,
        tx: &Transaction,
        sender: Address,
        block_gas_used: u64,
    ) -> Result<Prepared, TxError> {
        prepare(
            m,
            tx,
            sender,
            block_gas_used,
            self.validation,
            Surcharge::default(),
        )
    }

    fn settle(
        &self,
        m: &mut Machine,
        tx: &Transaction,
        sender: Address,
        prepared: &Prepared,
        result: &FrameResult,
    ) -> Result<u64, VmError> {
        settle(m, tx, sender, prepared, result)
    }
}

/// The stateless rules; without the EIP-7825 cap unless [`Validation::Full`], without the
/// EIP-2681 nonce limit under [`Validation::Call`] (the other rules are then checked on a copy
/// of the message with its gas limit at the cap, or a zero nonce).
fn validate_stateless(
    tx: &Transaction,
    fork: Fork,
    chain_id: u64,
    validation: Validation,
) -> Result<(), TxValidityError> {
    match validate_transaction(tx, fork, chain_id) {
        Err(TxValidityError::GasLimitAboveCap { .. }) if validation != Validation::Full => {
            let capped = edited(tx, |_, gas_limit| *gas_limit = MAX_TX_GAS_LIMIT_OSAKA);
            validate_stateless(&capped, fork, chain_id, validation)
        }
        Err(TxValidityError::NonceTooBig(_)) if validation == Validation::Call => {
            let zero_nonce = edited(tx, |nonce, _| *nonce = 0);
            validate_stateless(&zero_nonce, fork, chain_id, validation)
        }
        other => other,
    }
}

/// A copy of `tx` with its nonce and gas limit changed by `edit`.
fn edited(tx: &Transaction, edit: impl FnOnce(&mut u64, &mut u64)) -> Transaction {
    let mut tx = tx.clone();
    match &mut tx {
        Transaction::Legacy(t) => edit(&mut t.nonce, &mut t.gas_limit),
        Transaction::Eip2930(t) => edit(&mut t.nonce, &mut t.gas_limit),
        Transaction::Eip1559(t) => edit(&mut t.nonce, &mut t.gas_limit),
        Transaction::Eip4844(t, _) => edit(&mut t.nonce, &mut t.gas_limit),
        Transaction::Eip7702(t) => edit(&mut t.nonce, &mut t.gas_limit),
        Transaction::Privileged(t) => edit(&mut t.transaction_id, &mut t.gas_limit),
    }
    tx
}

/// What a chain charges on top of Ethereum's rules (nothing on L1; the rollup's operator fee
/// and L1 data fee, see `l2_hook`).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Surcharge {
    /// Wei per gas on top of the base fee: the fee cap must cover it, the priority fee is
    /// what is left above it, and the sender pays it on every gas unit.
    pub per_gas: U256,
    /// Gas charged on top of the intrinsic gas, before execution.
    pub gas: u64,
}

/// The price per gas a transaction pays when the block's base fee plus the per-gas surcharge
/// is `floor`: its gas price, or `min(max fee, floor + max priority fee)`.
pub(crate) fn offered_price(tx: &Transaction, floor: Option<U256>) -> U256 {
    let max_fee = tx.max_fee_per_gas();
    match (floor, tx.max_priority_fee_per_gas()) {
        (Some(floor), Some(priority)) => max_fee.min(floor.saturating_add(priority)),
        _ => max_fee,
    }
}

/// Checks `tx` under `validation`, charges the up-front cost, bumps the nonce, warms the access
/// set and applies EIP-7702 authorizations. Changes nothing if it fails. `surcharge` raises
/// the base fee the fee cap must cover and the gas charged before execution.
pub(crate) fn prepare(
    m: &mut Machine,
    tx: &Transaction,
    sender: Address,
    block_gas_used: u64,
    validation: Validation,
    surcharge: Surcharge,
) -> Result<Prepared, TxError> {
    let full = validation == Validation::Full;
    let call = validation == Validation::Call;
    let env = m.env;
    let fork = m.fork;
    validate_stateless(tx, fork, env.chain_id, validation).map_err(InvalidTransaction::from)?;
    let available = env.gas_limit.saturating_sub(block_gas_used);
    if !call && tx.gas_limit() > available {
        return Err(InvalidTransaction::GasAboveBlockLimit {
            gas_limit: tx.gas_limit(),
            available,
        }
        .into());
    }
    let max_fee = tx.max_fee_per_gas();
    let floor = env
        .base_fee
        .map(|base_fee| base_fee.saturating_add(surcharge.per_gas));
    if let Some(base_fee) = env.base_fee {
        let priority = tx.max_priority_fee_per_gas();
        let offers_no_fee = call && max_fee.is_zero() && priority.is_none_or(|p| p.is_zero());
        let needed = base_fee.saturating_add(surcharge.per_gas);
        if max_fee < needed && !offers_no_fee {
            return Err(if surcharge.per_gas.is_zero() {
                InvalidTransaction::FeeBelowBaseFee { max_fee, base_fee }
            } else {
                InvalidTransaction::FeeBelowBaseAndOperatorFee { max_fee, needed }
            }
            .into());
        }
    }
    let effective_gas_price = offered_price(tx, floor);
    let blob_count = tx.blob_versioned_hashes().map_or(0, <[_]>::len);
    let blob_count_u64 = u64::try_from(blob_count).unwrap_or(u64::MAX);
    let blob_gas = u(blob_count_u64.saturating_mul(GAS_PER_BLOB));
    let (mut max_blob_cost, mut blob_cost) = (U256::ZERO, U256::ZERO);
    if let Transaction::Eip4844(blob_tx, _) = tx {
        let blob_base_fee = env.blob_base_fee().unwrap_or_default();
        let offers_blob_fee = !call || !blob_tx.max_fee_per_blob_gas.is_zero();
        if offers_blob_fee && blob_tx.max_fee_per_blob_gas < blob_base_fee {
            return Err(InvalidTransaction::BlobFeeBelowBaseFee {
                max_fee: blob_tx.max_fee_per_blob_gas,
                blob_base_fee,
            }
            .into());
        }
        let max = env.blob_params.map_or(0, |p| p.max);
        if blob_count_u64 > max {
            return Err(InvalidTransaction::TooManyBlobs {
                count: blob_count,
                max,
            }
            .into());
        }
        max_blob_cost = blob_gas.saturating_mul(blob_tx.max_fee_per_blob_gas);
        blob_cost = blob_gas.saturating_mul(blob_base_fee);
    }
    let account = m.state.info(sender)?;
    if !call && account.nonce != tx.nonce() {
        return Err(InvalidTransaction::NonceMismatch {
            tx: tx.nonce(),
            state: account.nonce,
        }
        .into());
    }
    if !call && account.nonce == u64::MAX {
        return Err(InvalidTransaction::NonceOverflow.into());
    }
    if full && account.code_hash != ethrex_common::constants::EMPTY_CODE_HASH {
        let code = m.state.code(sender)?;
        if !(fork >= Fork::Prague && delegate_of(&code).is_some()) {
            return Err(InvalidTransaction::SenderNotEoa(sender).into());
        }
    }
    let gas_limit = u(tx.gas_limit());
    let max_cost = gas_limit
        .saturating_mul(max_fee)
        .saturating_add(tx.value())
        .saturating_add(max_blob_cost);
    if account.balance < max_cost {
        return Err(InvalidTransaction::InsufficientFunds {
            balance: account.balance,
            cost: max_cost,
        }
        .into());
    }
    // The gas limit covers the intrinsic gas and the EIP-7623 floor (stateless checks); the
    // surcharge comes on top of both.
    let mut intrinsic = intrinsic_gas(tx, fork);
    if fork >= Fork::Prague {
        intrinsic = intrinsic.max(calldata_floor_gas(tx));
    }
    if tx.gas_limit().saturating_sub(intrinsic) < surcharge.gas {
        return Err(InvalidTransaction::SurchargeGasAboveLimit {
            gas_limit: tx.gas_limit(),
            intrinsic,
            surcharge: surcharge.gas,
        }
        .into());
    }
    // Validated: from here on, the transaction is included.
    let upfront = gas_limit
        .saturating_mul(effective_gas_price)
        .saturating_add(blob_cost);
    // Within `max_cost` (the effective price is at most the fee cap, the blob base fee at most
    // the blob fee cap) except for a call offering no blob fee, which must still cover it.
    let Some(balance_left) = account.balance.checked_sub(upfront) else {
        return Err(InvalidTransaction::InsufficientFunds {
            balance: account.balance,
            cost: upfront,
        }
        .into());
    };
    m.state.set_balance(sender, balance_left)?;
    // Only a call may reach here at the maximum nonce: geth's wraps to zero.
    m.state.set_nonce(sender, account.nonce.wrapping_add(1))?;
    warm_access_set(m, tx, sender)?;
    if let Some(list) = tx.authorization_list() {
        for auth in list {
            apply_authorization(m, auth)?;
        }
    }
    let floor_gas = if fork >= Fork::Prague {
        calldata_floor_gas(tx)
    } else {
        0
    };
    // The stateless checks ensured the gas limit covers the intrinsic gas; the surcharge was
    // checked before anything changed.
    let gas_left = tx
        .gas_limit()
        .saturating_sub(intrinsic_gas(tx, fork))
        .saturating_sub(surcharge.gas);
    Ok(Prepared {
        gas_left,
        effective_gas_price,
        floor_gas,
        surcharge_gas: surcharge.gas,
        skip: false,
    })
}

/// The gas a transaction used apart from its surcharge: intrinsic and execution gas, less the
/// refund (capped by the fork's quotient), at least the EIP-7623 floor.
pub(crate) fn execution_gas_used(
    m: &Machine,
    tx: &Transaction,
    prepared: &Prepared,
    result: &FrameResult,
) -> u64 {
    // Execution got at most `gas_limit - intrinsic - surcharge`; the refund is at most a half
    // of the gas used; the floor is at most the gas limit (a stateless check): no subtraction
    // saturates.
    let gas_used = tx
        .gas_limit()
        .saturating_sub(prepared.surcharge_gas)
        .saturating_sub(result.gas_left);
    let refund = u64::try_from(m.state.refund.max(0))
        .unwrap_or(0)
        .min(gas::max_refund(m.fork, gas_used));
    gas_used.saturating_sub(refund).max(prepared.floor_gas)
}

/// Applies refunds and the EIP-7623 floor, returns unused gas to the sender and pays the
/// priority fee to the coinbase; returns the gas used.
fn settle(
    m: &mut Machine,
    tx: &Transaction,
    sender: Address,
    prepared: &Prepared,
    result: &FrameResult,
) -> Result<u64, VmError> {
    let gas_used = execution_gas_used(m, tx, prepared, result);
    let price = prepared.effective_gas_price;
    let unused = tx.gas_limit().saturating_sub(gas_used);
    m.state
        .add_balance(sender, u(unused).saturating_mul(price))?;
    let tip = match m.env.base_fee {
        Some(base_fee) if m.fork >= Fork::London => price.saturating_sub(base_fee),
        _ => price,
    };
    m.state
        .add_balance(m.env.coinbase, u(gas_used).saturating_mul(tip))?;
    Ok(gas_used)
}

/// Warms what a transaction starts with: sender, recipient, coinbase (EIP-3651, Shanghai) and
/// the access list (Berlin). Precompiles are warm by rule (`Machine::access_account`).
pub(crate) fn warm_access_set(
    m: &mut Machine,
    tx: &Transaction,
    sender: Address,
) -> Result<(), VmError> {
    if m.fork < Fork::Berlin {
        return Ok(());
    }
    m.state.prewarm_account(sender);
    if let Some(to) = tx.to().to() {
        m.state.prewarm_account(*to);
    }
    if m.fork >= Fork::Shanghai {
        m.state.prewarm_account(m.env.coinbase);
    }
    if let Some(list) = tx.access_list() {
        for item in list.iter() {
            m.state.prewarm_account(item.address);
            for key in &item.storage_keys {
                m.state.prewarm_slot(item.address, (*key).into())?;
            }
        }
    }
    Ok(())
}

/// Applies one EIP-7702 authorization; invalid ones are skipped, as the EIP says.
fn apply_authorization(
    m: &mut Machine,
    auth: &alloy_eips::eip7702::SignedAuthorization,
) -> Result<(), VmError> {
    let chain_id = auth.chain_id;
    if !chain_id.is_zero() && chain_id != u(m.env.chain_id) {
        return Ok(());
    }
    if auth.nonce == u64::MAX {
        return Ok(());
    }
    let y_parity = auth.y_parity();
    if y_parity > 1 || auth.s() > ethrex_common::validation::SECP256K1_HALF_N {
        return Ok(());
    }
    let hash = auth.inner().signature_hash();
    let sig = ethrex_crypto::RecoverableSig {
        r: auth.r(),
        s: auth.s(),
        y_parity: y_parity == 1,
    };
    let Ok(authority) = ethrex_crypto::recover_address(&hash, &sig) else {
        return Ok(());
    };
    m.state.prewarm_account(authority);
    let info = m.state.info(authority)?;
    if info.code_hash != ethrex_common::constants::EMPTY_CODE_HASH
        && delegate_of(&m.state.code(authority)?).is_none()
    {
        return Ok(());
    }
    if info.nonce != auth.nonce {
        return Ok(());
    }
    if m.state.exists(authority)? {
        m.state.refund = m.state.refund.saturating_add(AUTH_EXISTING_REFUND);
    }
    let code = if auth.address == Address::ZERO {
        Default::default()
    } else {
        designator(auth.address)
    };
    m.state.set_code(authority, code)?;
    // `info.nonce == auth.nonce < u64::MAX` (checked above): the increment cannot saturate.
    m.state.set_nonce(authority, info.nonce.saturating_add(1))?;
    Ok(())
}
