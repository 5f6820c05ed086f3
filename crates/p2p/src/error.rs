//! The crate's single error type, [`P2pError`], and its [`Result`] alias. Messages name the file
//! or value at fault.

use std::path::PathBuf;

/// Errors of the p2p crate.
#[derive(Debug, thiserror::Error)]
pub enum P2pError {
    /// The node key file cannot be read or written.
    #[error("node key file {path}: {source}")]
    NodeKeyIo {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The node key file does not hold a valid secp256k1 secret key.
    #[error("node key file {path} is invalid: {reason} (expected 64 hex digits)")]
    InvalidNodeKey { path: PathBuf, reason: String },
    /// A node record would exceed EIP-778's 300-byte limit.
    #[error("node record of {0} bytes exceeds the 300-byte limit")]
    RecordTooLarge(usize),
    /// An RLPx connection failed (see [`crate::rlpx::RlpxError`]).
    #[error(transparent)]
    Rlpx(#[from] crate::rlpx::RlpxError),
    /// An eth session failed (see [`crate::eth::EthError`]).
    #[error(transparent)]
    Eth(#[from] crate::eth::EthError),
    /// Discovery failed (see [`crate::discv4::Discv4Error`]).
    #[error(transparent)]
    Discv4(#[from] crate::discv4::Discv4Error),
}

/// Result of the p2p crate.
pub type Result<T> = std::result::Result<T, P2pError>;
