//! [`L2Hook`]: the rollup's transaction rules around execution, for one block's
//! [`FeeConfig`].
//!
//! **Ordinary transactions** follow Ethereum's rules ([`crate::L1Hook`]) with the rollup's fees:
//! - the fee cap must cover the base fee plus the operator fee; the priority fee is
//!   `min(max priority fee, max fee − base fee − operator fee)`, and the sender pays
//!   `P = base + operator + priority` per gas;
//! - with an L1 fee vault, the L1 data fee `(l1_fee_per_blob_gas × 131072 / 126976) ×
//!   len(signed tx)` (integer arithmetic, in that order) is charged as `l1_gas = ⌈l1_fee / P⌉`
//!   extra gas before execution: the gas limit must cover it, and it counts in the gas used;
//! - the execution gas (intrinsic + execution − refund, at least the EIP-7623 floor) pays
//!   `base` to the base-fee vault (burned without one), `operator` to the operator vault and
//!   the priority fee to the coinbase; `l1_gas × P` goes to the L1 fee vault;
//! - blob transactions are refused: the rollup has no blob market.
//!
//! **Privileged transactions** (type `0x7e`) are included whatever happens: unsigned (the
//! sender is their `from`), fee-free (price 0, nothing charged or paid), the sender's nonce
//! untouched; the value of one from the L2 bridge is minted to the bridge first. One whose gas
//! limit is below its intrinsic gas, or whose sender cannot pay its value, is included as
//! failed, using its whole gas limit, without running. Only a wrong chain id or a gas limit
//! above the block's available gas makes one invalid (the sequencer never builds those).

use alloy_primitives::{Address, U256};
use ethrex_common::{
    types::{FeeConfig, L2_BRIDGE_ADDRESS, PrivilegedL2Tx, Transaction},
    validation::{TxValidityError, intrinsic_gas},
};

use crate::{
    InvalidTransaction, TxError, VmError,
    frame::Machine,
    hook::{Hook, Prepared},
    interpreter::FrameResult,
    l1_hook::{Surcharge, Validation, execution_gas_used, offered_price, prepare, warm_access_set},
};

/// Bytes of a blob.
const BLOB_BYTES: u64 = 131_072;
/// Bytes of payload a blob carries (4,096 field elements of 31 bytes).
const BLOB_PAYLOAD_BYTES: u64 = 126_976;

/// The rollup's transaction processing for a block built with `fees`.
#[derive(Debug, Clone, Copy)]
pub struct L2Hook {
    pub fees: FeeConfig,
    /// [`Validation::Full`] for a block's transactions; [`Validation::Call`] for `eth_call`
    /// and `eth_estimateGas` on the rollup.
    pub validation: Validation,
}

impl L2Hook {
    /// The hook for the transactions of a block.
    pub fn new(fees: FeeConfig) -> Self {
        L2Hook {
            fees,
            validation: Validation::Full,
        }
    }

    /// The hook for calls and estimates (see [`Validation::Call`]).
    pub fn for_calls(fees: FeeConfig) -> Self {
        L2Hook {
            fees,
            validation: Validation::Call,
        }
    }
}

/// The L1 data fee of a transaction whose signed encoding is `tx_len` bytes long (0 without an
/// L1 fee vault).
pub fn l1_fee(fees: &FeeConfig, tx_len: usize) -> U256 {
    if fees.l1_fee_vault.is_none() {
        return U256::ZERO;
    }
    // The divisor is a non-zero constant: `checked_div` never returns `None`.
    let per_byte = U256::from(fees.l1_fee_per_blob_gas)
        .saturating_mul(U256::from(BLOB_BYTES))
        .checked_div(U256::from(BLOB_PAYLOAD_BYTES))
        .unwrap_or_default();
    per_byte.saturating_mul(U256::from(tx_len))
}

/// The L1 data fee in gas at `price` per gas: `⌈l1_fee / price⌉` (0 at a zero price, which
/// cannot pay it), saturating at `u64::MAX`.
pub fn l1_gas(l1_fee: U256, price: U256) -> u64 {
    if price.is_zero() {
        return 0;
    }
    let gas = l1_fee.div_ceil(price);
    u64::try_from(gas).unwrap_or(u64::MAX)
}

impl Hook for L2Hook {
    fn prepare(
        &self,
        m: &mut Machine,
        tx: &Transaction,
        sender: Address,
        block_gas_used: u64,
    ) -> Result<Prepared, TxError> {
        match tx {
            Transaction::Privileged(privileged) => {
                prepare_privileged(m, tx, privileged, block_gas_used)
            }
            Transaction::Eip4844(..) => Err(InvalidTransaction::NotOnRollup("blob").into()),
            _ => {
                let operator = U256::from(self.fees.operator_fee());
                let floor = m.env.base_fee.map(|base| base.saturating_add(operator));
                // A call offering no fee is still priced at the floor for its L1 gas.
                let mut price = offered_price(tx, floor);
                if price.is_zero() {
                    price = floor.unwrap_or_default();
                }
                // Encoding the transaction is only needed when an L1 fee is charged.
                let gas = if self.fees.l1_fee_vault.is_some() {
                    l1_gas(l1_fee(&self.fees, tx.encode_2718().len()), price)
                } else {
                    0
                };
                let surcharge = Surcharge {
                    per_gas: operator,
                    gas,
                };
                prepare(m, tx, sender, block_gas_used, self.validation, surcharge)
            }
        }
    }

    fn settle(
        &self,
        m: &mut Machine,
        tx: &Transaction,
        sender: Address,
        prepared: &Prepared,
        result: &FrameResult,
    ) -> Result<u64, VmError> {
        let execution_gas = execution_gas_used(m, tx, prepared, result);
        if matches!(tx, Transaction::Privileged(_)) {
            return Ok(execution_gas);
        }
        let gas_used = execution_gas.saturating_add(prepared.surcharge_gas);
        let price = prepared.effective_gas_price;
        let unused = tx.gas_limit().saturating_sub(gas_used);
        m.state
            .add_balance(sender, U256::from(unused).saturating_mul(price))?;
        let execution = U256::from(execution_gas);
        let base_fee = m.env.base_fee.unwrap_or_default();
        let operator = U256::from(self.fees.operator_fee());
        // The price is at least base + operator (checked in `prepare`) unless a call offered
        // no fee, which pays nothing to anyone.
        let tip = price.saturating_sub(base_fee).saturating_sub(operator);
        let paid_base = price.min(base_fee);
        let paid_operator = price.saturating_sub(paid_base).min(operator);
        m.state
            .add_balance(m.env.coinbase, execution.saturating_mul(tip))?;
        if let Some(vault) = self.fees.base_fee_vault {
            m.state
                .add_balance(vault, execution.saturating_mul(paid_base))?;
        }
        if let Some(vault) = self.fees.operator_fee_vault {
            m.state
                .add_balance(vault, execution.saturating_mul(paid_operator))?;
        }
        if let Some(vault) = self.fees.l1_fee_vault {
            let l1_gas = U256::from(prepared.surcharge_gas);
            m.state.add_balance(vault, l1_gas.saturating_mul(price))?;
        }
        Ok(gas_used)
    }
}

/// The checks and effects of a privileged transaction before it runs (see the module docs).
fn prepare_privileged(
    m: &mut Machine,
    tx: &Transaction,
    privileged: &PrivilegedL2Tx,
    block_gas_used: u64,
) -> Result<Prepared, TxError> {
    let env = m.env;
    if privileged.chain_id != env.chain_id {
        return Err(InvalidTransaction::from(TxValidityError::InvalidChainId {
            expected: env.chain_id,
            got: privileged.chain_id,
        })
        .into());
    }
    let available = env.gas_limit.saturating_sub(block_gas_used);
    if privileged.gas_limit > available {
        return Err(InvalidTransaction::GasAboveBlockLimit {
            gas_limit: privileged.gas_limit,
            available,
        }
        .into());
    }
    // Validated: from here on, the transaction is included.
    let from = privileged.from;
    if from == L2_BRIDGE_ADDRESS {
        m.state.add_balance(from, privileged.value)?;
    }
    warm_access_set(m, tx, from)?;
    let intrinsic = intrinsic_gas(tx, m.fork);
    let affordable = m.state.info(from)?.balance >= privileged.value;
    let runs = affordable && privileged.gas_limit >= intrinsic;
    Ok(Prepared {
        gas_left: if runs {
            privileged.gas_limit.saturating_sub(intrinsic)
        } else {
            0
        },
        effective_gas_price: U256::ZERO,
        floor_gas: 0,
        surcharge_gas: 0,
        skip: !runs,
    })
}
