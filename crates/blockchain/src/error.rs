//! The error type of `ethrex-blockchain`.

use alloy_primitives::B256;
use ethrex_vm::{InvalidTransaction, VmError};

/// Why a block is invalid, or could not be processed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlockError {
    #[error("invalid header: {0}")]
    InvalidHeader(String),
    #[error("invalid body: {0}")]
    InvalidBody(String),
    #[error("invalid ommer {hash}: {reason}")]
    InvalidOmmer { hash: B256, reason: String },
    #[error("transaction {index} ({hash}) is invalid: {reason}")]
    InvalidTransaction {
        index: usize,
        hash: B256,
        reason: InvalidTransaction,
    },
    #[error("transaction {index}: sender cannot be recovered: {reason}")]
    InvalidSender { index: usize, reason: String },
    #[error("{field} mismatch: header has {expected}, execution gives {got}")]
    Mismatch {
        field: &'static str,
        expected: String,
        got: String,
    },
    #[error("system contract call to {0} failed")]
    SystemCallFailed(alloy_primitives::Address),
    #[error("invalid deposit event layout: {0}")]
    InvalidDepositLayout(String),
    #[error("state root computation failed: {0}")]
    StateRoot(String),
    #[error(transparent)]
    Vm(#[from] VmError),
}

/// Result alias of this crate.
pub type Result<T> = std::result::Result<T, BlockError>;
