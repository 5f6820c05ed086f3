//! Cryptographic primitives of ethrex.
//!
//! Holds keccak-256 (alloy's fast implementation) and secp256k1 public-key recovery and signing
//! on top of libsecp256k1. Everything here is pure and deterministic; invalid inputs are errors,
//! never panics. Where to start reading: [`recover_address`] and [`sign_hash`].
//!
//! Later issues add KZG, BLS12-381, BN254, P256, blake2f and modexp behind the same crate.

mod secp;

pub use alloy_primitives::keccak256;
pub use secp::{
    RecoverableSig, SECP256K1_N, address_of, recover_address, secret_to_address, sign_hash,
};

/// Errors of the crypto primitives.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CryptoError {
    /// `r` or `s` is zero or not below the curve order, or the recovery id is out of range.
    #[error("invalid signature values: {0}")]
    InvalidSignature(String),
    /// The signature is well formed but no public key can be recovered from it.
    #[error("public key recovery failed")]
    RecoveryFailed,
    /// A secret key is zero or not below the curve order.
    #[error("invalid secret key")]
    InvalidSecretKey,
}

/// Result alias of this crate.
pub type Result<T> = std::result::Result<T, CryptoError>;
