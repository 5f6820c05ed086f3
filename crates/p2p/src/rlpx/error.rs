//! [`RlpxError`]: everything that can go wrong on an RLPx connection, from a malformed ECIES
//! ciphertext to a peer's Disconnect. It converts into the crate's [`crate::P2pError`].
//!
//! Invariant: after any error of a connection's frame codec (bad MAC, oversized frame) its cipher
//! and MAC states are out of step with the peer's, so the connection must be dropped.

use std::time::Duration;

use super::p2p::DisconnectReason;

/// Errors of the RLPx transport.
#[derive(Debug, thiserror::Error)]
pub enum RlpxError {
    /// An ECIES ciphertext is shorter than its fixed overhead.
    #[error("ECIES message of {got} bytes is shorter than the {min}-byte minimum")]
    EciesTooShort { got: usize, min: usize },
    /// An ECIES ciphertext's ephemeral public key is not a valid secp256k1 point.
    #[error("ECIES message carries an invalid ephemeral public key")]
    EciesInvalidPublicKey,
    /// An ECIES ciphertext's HMAC does not match: wrong key, or the data was altered.
    #[error("ECIES message authentication failed")]
    EciesBadMac,
    /// A handshake packet (auth or ack) cannot be decoded.
    #[error("invalid {packet} packet: {reason}")]
    InvalidHandshake {
        packet: &'static str,
        reason: String,
    },
    /// A frame's header MAC or frame MAC does not match.
    #[error("frame {which} MAC mismatch")]
    BadFrameMac { which: &'static str },
    /// A frame declares more data than the codec accepts.
    #[error("frame of {size} bytes exceeds the {max}-byte limit")]
    FrameTooLarge { size: usize, max: usize },
    /// A message's RLP cannot be decoded.
    #[error("invalid {what}: {source}")]
    Rlp {
        what: &'static str,
        source: alloy_rlp::Error,
    },
    /// A snappy-compressed message declares a decompressed size over the limit.
    #[error("message decompresses to {size} bytes, over the {max}-byte limit")]
    MessageTooLarge { size: usize, max: usize },
    /// A snappy-compressed message is malformed.
    #[error("invalid snappy data: {0}")]
    Snappy(#[from] snap::Error),
    /// The peer sent something other than what the protocol expects at this point.
    #[error("protocol breach: {0}")]
    Protocol(String),
    /// The peer's Hello names a node other than the one the handshake authenticated.
    #[error("peer identifies as {got} in Hello but the handshake authenticated {expected}")]
    UnexpectedIdentity {
        expected: Box<alloy_primitives::B512>,
        got: Box<alloy_primitives::B512>,
    },
    /// The peer's Hello offers none of our capabilities (we disconnect it as a useless peer).
    #[error("no capability shared with the peer, which offers [{offered}]")]
    NoSharedCapability { offered: String },
    /// The peer disconnected, with its reason.
    #[error("peer disconnected: {0}")]
    Disconnected(DisconnectReason),
    /// The handshake and Hello exchange did not finish in time.
    #[error("handshake timed out after {0:?}")]
    Timeout(Duration),
    /// The TCP connection failed.
    #[error("connection I/O: {0}")]
    Io(#[from] std::io::Error),
}

impl RlpxError {
    pub(crate) fn rlp(what: &'static str) -> impl Fn(alloy_rlp::Error) -> Self + Copy {
        move |source| Self::Rlp { what, source }
    }
}

/// Result of the RLPx transport.
pub type RlpxResult<T> = std::result::Result<T, RlpxError>;
