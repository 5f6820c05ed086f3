//! [`MempoolError`]: why a transaction is refused, with geth's messages (clients and tools match
//! on their beginning: "nonce too low", "already known", ...), followed by the numbers.

use alloy_primitives::{Address, U256};
use ethrex_common::validation::TxValidityError;

/// Why the mempool refused a transaction.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MempoolError {
    #[error("already known")]
    AlreadyKnown,
    #[error("invalid sender: {0}")]
    InvalidSender(String),
    #[error("invalid chain id for signer: have {got} want {expected}")]
    InvalidChainId { expected: u64, got: u64 },
    #[error("nonce too low: next nonce {state}, tx nonce {tx}")]
    NonceTooLow { tx: u64, state: u64 },
    #[error(
        "insufficient funds for gas * price + value: balance {balance}, tx cost {cost}, \
         overshot {}", cost.saturating_sub(*balance)
    )]
    InsufficientFunds { balance: U256, cost: U256 },
    /// The sender's pending transactions and this one could together cost more than its
    /// balance (geth's message, with the pending cost as "queued cost").
    #[error(
        "insufficient funds for gas * price + value: balance {balance}, queued cost {queued}, \
         tx cost {cost}, overshot {}", queued.saturating_add(*cost).saturating_sub(*balance)
    )]
    Overdraft {
        balance: U256,
        queued: U256,
        cost: U256,
    },
    #[error("intrinsic gas too low: gas {gas}, minimum needed {needed}")]
    IntrinsicGasTooLow { gas: u64, needed: u64 },
    #[error("exceeds block gas limit: gas {gas}, block gas limit {limit}")]
    ExceedsBlockGasLimit { gas: u64, limit: u64 },
    #[error("transaction gas limit too high (cap: {cap}, tx: {gas})")]
    GasLimitTooHigh { gas: u64, cap: u64 },
    #[error("transaction underpriced: gas fee cap {fee_cap}, minimum needed {min}")]
    Underpriced { fee_cap: U256, min: U256 },
    #[error(
        "max fee per gas less than block base fee: maxFeePerGas: {fee_cap}, baseFee: {base_fee}"
    )]
    FeeCapBelowBaseFee { fee_cap: U256, base_fee: u64 },
    #[error("replacement transaction underpriced")]
    ReplaceUnderpriced,
    #[error("txpool is full")]
    PoolFull,
    #[error(
        "account queue full: sender {sender} already has {limit} transactions waiting for a \
         nonce gap to be filled"
    )]
    AccountQueueFull { sender: Address, limit: usize },
    #[error("oversized data: transaction size {size}, limit {limit}")]
    OversizedData { size: usize, limit: usize },
    #[error("sender not an eoa: address {0}, has code")]
    SenderNotEoa(Address),
    #[error("missing sidecar in blob transaction")]
    MissingSidecar,
    #[error("blob transactions are not accepted on the rollup")]
    BlobOnRollup,
    #[error("invalid blob sidecar: {0}")]
    InvalidSidecar(String),
    /// Another stateless rule of the fork (type not yet supported, priority fee above the fee
    /// cap, initcode too large, blob count, empty authorization list, ...).
    #[error("{0}")]
    Invalid(TxValidityError),
    /// The head or its state could not be read: a node problem, not the transaction's.
    #[error("cannot read the head state: {0}")]
    State(String),
}

impl From<TxValidityError> for MempoolError {
    fn from(e: TxValidityError) -> Self {
        match e {
            TxValidityError::IntrinsicGasTooLow {
                gas_limit,
                intrinsic,
            } => MempoolError::IntrinsicGasTooLow {
                gas: gas_limit,
                needed: intrinsic,
            },
            TxValidityError::InvalidChainId { expected, got } => {
                MempoolError::InvalidChainId { expected, got }
            }
            TxValidityError::GasLimitAboveCap { gas_limit, cap } => MempoolError::GasLimitTooHigh {
                gas: gas_limit,
                cap,
            },
            TxValidityError::HighS | TxValidityError::SignatureOutOfRange => {
                MempoolError::InvalidSender(e.to_string())
            }
            other => MempoolError::Invalid(other),
        }
    }
}

impl From<ethrex_storage::StoreError> for MempoolError {
    fn from(e: ethrex_storage::StoreError) -> Self {
        MempoolError::State(e.to_string())
    }
}

impl From<ethrex_common::state::StateError> for MempoolError {
    fn from(e: ethrex_common::state::StateError) -> Self {
        MempoolError::State(e.to_string())
    }
}
