//! What ethrex's rollup tools need to talk to an L1: the deployer (`ethrex l2 deploy`) now, the
//! sequencer later.
//!
//! - [`client::EthClient`]: a blocking JSON-RPC client over HTTP(S) (chain id, balances, nonces,
//!   code, `eth_call`, fees, gas estimates, raw transactions, receipts, logs), with typed errors.
//!   Blocking on purpose: async callers run it in `spawn_blocking`.
//! - [`tx`]: EIP-1559 transactions built with `ethrex_common`'s `TxFields` and signed with its
//!   `Transaction::sign` (there is one signer in the workspace), and sent with fees suggested by
//!   the L1.
//! - [`calls`]: the ABI of the calls the deployer and sequencer make (`alloy-sol-types`).
//! - [`create2`]: deterministic deployment through the CREATE2 proxy at
//!   [`create2::DETERMINISTIC_DEPLOYER`], installed from its presigned transaction when the L1
//!   lacks it; deploying the same code with the same salt twice is an error, never a reuse.
//! - [`deploy`]: the rollup's L1 contracts behind their proxies, initialized, in a fixed order.
//! - [`genesis`]: the L2 genesis (`fixtures/genesis/l2.json`), generated from the dev chain's
//!   and the embedded contracts' data, reproducibly.
//!
//! Where to start reading: [`deploy::deploy`], which uses everything else.

pub mod blob_tx;
pub mod calls;
pub mod client;
pub mod create2;
pub mod deploy;
pub mod genesis;
pub mod tx;

use alloy_primitives::{Address, B256};

pub use client::EthClient;

/// Everything that can go wrong talking to an L1 or preparing what is sent to it.
#[derive(Debug, thiserror::Error)]
pub enum SdkError {
    /// The L1 could not be reached or the HTTP exchange failed.
    #[error("cannot reach the L1 at {url}: {reason}")]
    Transport { url: String, reason: String },
    /// The L1 answered a JSON-RPC error; a revert's `Error(string)` reason is shown decoded.
    #[error("{method}: the L1 answered error {code}: {message}{}", describe_data(data.as_deref()))]
    Rpc {
        method: String,
        code: i64,
        message: String,
        data: Option<String>,
    },
    /// The L1 answered something that is not what the method returns.
    #[error("{method}: malformed answer from the L1: {reason}")]
    Malformed { method: String, reason: String },
    /// Waiting for something on the L1 took longer than allowed.
    #[error("timed out after {waited:?} waiting for {what}")]
    Timeout {
        what: String,
        waited: std::time::Duration,
    },
    /// A transaction was mined but reverted.
    #[error("transaction {hash} ({what}) reverted on the L1")]
    Reverted { what: String, hash: B256 },
    /// CREATE2 would deploy where code already is: the same code with the same salt.
    #[error(
        "{what} is already deployed at {address} (same code, same salt): deploy with another salt (--randomize-contract-deployment)"
    )]
    AlreadyDeployed { what: String, address: Address },
    /// An account cannot pay for what it must send.
    #[error("{address} has {balance} wei, needs at least {needed} wei for {what}")]
    InsufficientFunds {
        what: String,
        address: Address,
        balance: alloy_primitives::U256,
        needed: alloy_primitives::U256,
    },
    /// Wrong input: a key, an address, a genesis, a combination of options.
    #[error("{0}")]
    InvalidInput(String),
    /// An error from ethrex-common (genesis, transactions, keys).
    #[error(transparent)]
    Common(#[from] ethrex_common::CommonError),
    /// An error from the crypto primitives (signing).
    #[error(transparent)]
    Crypto(#[from] ethrex_crypto::CryptoError),
    /// An embedded contract artifact could not be used.
    #[error(transparent)]
    Contracts(#[from] ethrex_l2_contracts::Error),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
}

/// The crate's result type.
pub type Result<T, E = SdkError> = std::result::Result<T, E>;

/// The ` (…)` suffix of an RPC error's data: a revert reason when the data is `Error(string)`.
fn describe_data(data: Option<&str>) -> String {
    let Some(data) = data else {
        return String::new();
    };
    let reason = alloy_primitives::hex::decode(data)
        .ok()
        .and_then(|bytes| calls::revert_reason(&bytes));
    match reason {
        Some(reason) => format!(" (reverted: {reason})"),
        None => format!(" ({data})"),
    }
}
