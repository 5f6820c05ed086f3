//! Errors of the VM, split by consensus meaning:
//! - [`InvalidTransaction`]: the transaction cannot be included in a block at all;
//! - [`Halt`]: an exceptional halt of a frame (it consumes the frame's gas; the transaction is
//!   still included, with a failed status);
//! - [`VmError`]: the VM could not run (database failure): nothing about the transaction is known.

use alloy_primitives::{Address, U256};
use ethrex_common::validation::TxValidityError;

/// The VM could not execute: the database failed or an internal invariant broke.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VmError {
    #[error("database error: {0}")]
    Database(#[from] crate::StateError),
    #[error("internal VM error: {0}")]
    Internal(String),
}

/// Why a transaction is invalid against the block and the state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidTransaction {
    #[error(transparent)]
    Stateless(#[from] TxValidityError),
    #[error("nonce {tx} does not match the sender's nonce {state}")]
    NonceMismatch { tx: u64, state: u64 },
    #[error("sender {0} has code (EIP-3607)")]
    SenderNotEoa(Address),
    #[error("sender balance {balance} is below the transaction's maximum cost {cost}")]
    InsufficientFunds { balance: U256, cost: U256 },
    #[error("max fee per gas {max_fee} is below the block base fee {base_fee}")]
    FeeBelowBaseFee { max_fee: U256, base_fee: U256 },
    #[error("max fee per blob gas {max_fee} is below the blob base fee {blob_base_fee}")]
    BlobFeeBelowBaseFee { max_fee: U256, blob_base_fee: U256 },
    #[error("gas limit {gas_limit} exceeds the block's available gas {available}")]
    GasAboveBlockLimit { gas_limit: u64, available: u64 },
    #[error("{count} blobs exceed the block maximum {max}")]
    TooManyBlobs { count: usize, max: u64 },
    #[error("sender nonce is at the maximum (EIP-2681)")]
    NonceOverflow,
    #[error(
        "max fee per gas {max_fee} is below the block base fee plus the operator fee, {needed}"
    )]
    FeeBelowBaseAndOperatorFee { max_fee: U256, needed: U256 },
    #[error(
        "gas limit {gas_limit} does not cover the intrinsic gas {intrinsic} plus the L1 data fee's {surcharge} gas"
    )]
    SurchargeGasAboveLimit {
        gas_limit: u64,
        intrinsic: u64,
        surcharge: u64,
    },
    #[error("{0} transactions are not accepted on the rollup")]
    NotOnRollup(&'static str),
}

/// Errors of [`crate::Evm::transact`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TxError {
    #[error("invalid transaction: {0}")]
    Invalid(#[from] InvalidTransaction),
    #[error(transparent)]
    Vm(#[from] VmError),
}

/// An exceptional halt: the frame ends, consuming all its gas, and its changes revert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Halt {
    #[error("out of gas")]
    OutOfGas,
    #[error("invalid opcode {0:#04x}")]
    InvalidOpcode(u8),
    #[error("stack underflow")]
    StackUnderflow,
    #[error("stack overflow")]
    StackOverflow,
    #[error("invalid jump destination")]
    InvalidJump,
    #[error("state modification in a static call")]
    StaticStateChange,
    #[error("return data read out of bounds")]
    ReturnDataOutOfBounds,
    #[error("contract address collision")]
    CreateCollision,
    #[error("deployed code starts with 0xef (EIP-3541)")]
    InvalidCodePrefix,
    #[error("deployed code exceeds the EIP-170 size limit")]
    CodeSizeExceeded,
    #[error("initcode exceeds the EIP-3860 size limit")]
    InitcodeSizeExceeded,
    #[error("precompile failure")]
    PrecompileFailure,
    #[error("nonce overflow")]
    NonceOverflow,
}
