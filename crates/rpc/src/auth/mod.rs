//! Authentication of the Engine API port, as execution-apis `authentication.md` specifies: a
//! 256-bit secret shared with the consensus client ([`JwtSecret`], read from or created as a
//! hex file), and HS256 JSON Web Tokens checked on every HTTP request
//! ([`JwtSecret::check_authorization`]).
//!
//! Guarantees: only `alg: HS256` is accepted (`none` and every other algorithm are refused
//! before the signature is looked at); the signature must verify under the secret; the `iat`
//! claim is required and must lie within ±[`IAT_WINDOW_SECS`] of the current time; every other
//! claim (`id`, `clv`, `exp`, ...) is ignored. Each refusal is a [`JwtError`] whose message is
//! short enough to send back as the body of an HTTP 401.
//!
//! - `secret.rs`: [`JwtSecret`], its file format and `load_or_create`.
//! - `token.rs`: token validation and minting.

mod secret;
mod token;

use std::path::PathBuf;

pub use secret::{JwtSecret, SecretOrigin};
pub use token::{IAT_WINDOW_SECS, now_secs};

/// Errors of the JWT secret file and of token validation.
#[derive(Debug, thiserror::Error)]
pub enum JwtError {
    /// The secret file exists but cannot be read (or, when created, written).
    #[error("JWT secret file {path}: {source}")]
    SecretIo {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The secret file does not hold 32 hex-encoded bytes.
    #[error("JWT secret file {path} is invalid: {reason} (expected 64 hex digits, 0x optional)")]
    InvalidSecret { path: PathBuf, reason: String },
    /// No `Authorization: Bearer <token>` header.
    #[error("missing bearer token")]
    MissingToken,
    /// The token is not three base64url parts with a JSON header and claims.
    #[error("malformed token: {0}")]
    MalformedToken(String),
    /// The header names an algorithm other than HS256.
    #[error("algorithm {0} is not accepted (only HS256)")]
    Algorithm(String),
    /// The HMAC does not verify under the secret.
    #[error("signature mismatch")]
    Signature,
    /// The claims have no `iat`.
    #[error("missing iat claim")]
    MissingIat,
    /// `iat` lies outside the window around now.
    #[error("iat {seconds} s in the {when}: outside ±{window} s", window = IAT_WINDOW_SECS)]
    IatDrift { seconds: u64, when: &'static str },
    /// Minting a token failed (not expected with an HMAC key).
    #[error("cannot sign a token: {0}")]
    Signing(String),
}
