//! Cryptographic primitives of ethrex.
//!
//! Holds keccak-256 (alloy's fast implementation), secp256k1 public-key recovery and signing
//! (libsecp256k1), and the primitives behind the EVM's precompiled contracts: sha256 and
//! ripemd160 ([`hash`]), big-integer modular exponentiation ([`modexp`]), BN254 ("alt_bn128")
//! add/mul/pairing ([`bn254`]), the BLAKE2b compression function ([`blake2`]), KZG proof
//! verification ([`kzg`]), BLS12-381 ([`bls12_381`]) and secp256r1 verification ([`p256`]).
//!
//! Everything here is pure and deterministic: bytes in, bytes out, invalid inputs are
//! [`CryptoError`] values, never panics. Gas, fork rules and the precompile input framing live in
//! the VM (`ethrex-vm`'s `precompiles` module), not here. Where to start reading:
//! [`recover_address`] and [`sign_hash`], then one module per family.

pub mod blake2;
pub mod bls12_381;
pub mod bn254;
pub mod hash;
pub mod kzg;
pub mod modexp;
pub mod p256;
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
    /// An input has the wrong length for the operation.
    #[error("invalid input length for {what}: expected {expected}, got {got}")]
    InvalidLength {
        /// The operation or value being decoded.
        what: &'static str,
        /// The expected length in bytes (for variable inputs: the unit it must be a multiple of).
        expected: usize,
        /// The length received.
        got: usize,
    },
    /// An encoded field element is not below the field modulus (or, for BLS12-381, its 16
    /// padding bytes are not zero).
    #[error("invalid {0} field element")]
    InvalidFieldElement(&'static str),
    /// The coordinates decode but the point is not on the curve.
    #[error("{0} point is not on the curve")]
    PointNotOnCurve(&'static str),
    /// The point is on the curve but not in the prime-order subgroup.
    #[error("{0} point is not in the prime-order subgroup")]
    PointNotInSubgroup(&'static str),
    /// The BLAKE2b final-block flag is neither 0 nor 1.
    #[error("invalid blake2f final-block flag {0}")]
    InvalidBlake2Flag(u8),
    /// The KZG library rejected an input (malformed commitment, proof or field element).
    #[error("KZG error: {0}")]
    Kzg(String),
}

/// Result alias of this crate.
pub type Result<T> = std::result::Result<T, CryptoError>;
