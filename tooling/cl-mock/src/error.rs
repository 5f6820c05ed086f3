//! The one error type of the CL mock: every message names the endpoint and the method, so a
//! failed scenario says which node answered what.

use serde_json::Value;

/// What a CL-mock step can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No JSON-RPC answer: connection, HTTP status, or a body that is not JSON.
    #[error("{method} on {endpoint}: {reason}")]
    Transport {
        endpoint: String,
        method: String,
        reason: String,
    },
    /// The node answered with a JSON-RPC error object.
    #[error("{method} on {endpoint}: JSON-RPC error {code}: {message}")]
    Rpc {
        endpoint: String,
        method: String,
        code: i64,
        message: String,
    },
    /// An answer of the wrong shape (a missing field, a malformed hash).
    #[error("{method} on {endpoint}: unexpected answer ({reason}): {answer}")]
    Unexpected {
        endpoint: String,
        method: String,
        reason: String,
        answer: Value,
    },
    /// A payload status other than the one the step needs (`VALID`).
    #[error("{method} on {endpoint}: {status}")]
    Status {
        endpoint: String,
        method: String,
        status: Box<crate::PayloadStatus>,
    },
    /// The JWT secret file is unreadable or not 32 bytes of hex.
    #[error("JWT secret {path}: {reason}")]
    Secret { path: String, reason: String },
    /// An endpoint that is not `http://HOST:PORT`.
    #[error("endpoint {0:?}: expected http://HOST:PORT")]
    Endpoint(String),
    /// A blobs bundle that does not match its transactions or whose proofs fail.
    #[error("blobs bundle: {0}")]
    Blobs(String),
    /// A payload that cannot be turned back into a block (to recompute its hash).
    #[error("payload: {0}")]
    Payload(String),
}

impl Error {
    /// The JSON-RPC error code, if the node answered with one.
    pub fn rpc_code(&self) -> Option<i64> {
        match self {
            Error::Rpc { code, .. } => Some(*code),
            _ => None,
        }
    }
}

pub type Result<T> = std::result::Result<T, Error>;
