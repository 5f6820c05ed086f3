//! The transaction hook: what happens around a transaction's execution — validation against
//! the state, charging gas up front, and settling refunds and fees afterwards. [`L1Hook`] is
//! Ethereum's; the rollup will add its own (deposits, fee token, L1 data fee) without touching
//! the interpreter.

use alloy_primitives::{Address, U256};
use ethrex_common::types::Transaction;

use crate::{TxError, VmError, frame::Machine, interpreter::FrameResult};

/// What [`Hook::prepare`] decided for a transaction.
#[derive(Debug, Clone, Copy)]
pub struct Prepared {
    /// Gas available to execution (gas limit minus intrinsic gas).
    pub gas_left: u64,
    /// Price per gas the sender pays.
    pub effective_gas_price: U256,
    /// The EIP-7623 calldata floor (0 before Prague).
    pub floor_gas: u64,
    /// Gas charged before execution on top of the intrinsic gas (the rollup's L1 data fee;
    /// 0 on L1). It counts in the gas used.
    pub surcharge_gas: u64,
    /// The transaction is included but not executed: it fails using its whole gas limit (a
    /// rollup's privileged transaction that cannot run must still be included).
    pub skip: bool,
}

/// Validation and settlement around a transaction's execution.
pub trait Hook {
    /// Checks `tx` against the block and state, charges the up-front cost and warms the
    /// transaction's access set. Must change nothing if it fails.
    fn prepare(
        &self,
        m: &mut Machine,
        tx: &Transaction,
        sender: Address,
        block_gas_used: u64,
    ) -> Result<Prepared, TxError>;

    /// Applies refunds and pays fees after execution; returns the gas used by the transaction.
    fn settle(
        &self,
        m: &mut Machine,
        tx: &Transaction,
        sender: Address,
        prepared: &Prepared,
        result: &FrameResult,
    ) -> Result<u64, VmError>;
}
