//! The error type of `ethrex-common`.

use std::path::PathBuf;

/// Errors of decoding and validating core types, chain configuration and genesis.
#[derive(Debug, thiserror::Error)]
pub enum CommonError {
    #[error("invalid {what} RLP: {source}")]
    Rlp {
        what: &'static str,
        source: alloy_rlp::Error,
    },
    #[error("{count} trailing bytes after the {what}")]
    TrailingBytes { what: &'static str, count: usize },
    #[error("invalid transaction: {0}")]
    InvalidTransaction(String),
    #[error(transparent)]
    Trie(#[from] ethrex_trie::TrieError),
    #[error(transparent)]
    Crypto(#[from] ethrex_crypto::CryptoError),
    #[error("invalid genesis: {0}")]
    InvalidGenesis(String),
    #[error("invalid chain config: {0}")]
    InvalidChainConfig(String),
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "unknown network {0:?}: expected mainnet, sepolia, holesky, hoodi or the path of a genesis file"
    )]
    UnknownNetwork(String),
}

impl CommonError {
    /// An RLP decoding error of `what` (a block, a header, ...).
    pub fn rlp(what: &'static str, source: alloy_rlp::Error) -> Self {
        CommonError::Rlp { what, source }
    }
}

/// Result alias of this crate.
pub type Result<T> = std::result::Result<T, CommonError>;
