//! [`EthError`]: everything that can go wrong in an eth session, from an undecodable message to
//! an incompatible chain, each with the Disconnect reason to send ([`EthError::disconnect_reason`]).
//! It converts into the crate's [`crate::P2pError`].

use std::time::Duration;

use alloy_primitives::B256;
use ethrex_common::ForkIdError;
use ethrex_storage::StoreError;

use crate::{
    rlpx::{DisconnectReason, RlpxError},
    snap::SnapError,
};

/// Errors of the eth protocol.
#[derive(Debug, thiserror::Error)]
pub enum EthError {
    /// A message's RLP cannot be decoded.
    #[error("invalid {message} message: {source}")]
    Rlp {
        message: &'static str,
        source: alloy_rlp::Error,
    },
    /// A message decodes but breaks a rule of its own (unequal list lengths, unknown type...).
    #[error("invalid {message} message: {reason}")]
    Invalid {
        message: &'static str,
        reason: String,
    },
    /// A message id outside the eth range of the negotiated version.
    #[error("unknown eth message id 0x{0:02x}")]
    UnknownMessage(u64),
    /// A message that is valid but not at this point (a second Status, a request before Status).
    #[error("unexpected {got} message, expected {expected}")]
    UnexpectedMessage {
        expected: &'static str,
        got: &'static str,
    },
    /// A snap message could not be decoded or served.
    #[error(transparent)]
    Snap(#[from] SnapError),
    /// The peer sent requests faster than its budget allows.
    #[error("the peer floods us with requests")]
    RequestFlood,
    /// A snap request to a peer that does not speak snap.
    #[error("the peer does not speak snap/1")]
    NoSnapCapability,
    /// We disconnected the peer (a handle asked for it) with this reason.
    #[error("disconnected by us: {0}")]
    Disconnected(DisconnectReason),
    /// The peer shares no eth version with us.
    #[error("the connection has no eth/68 or eth/69 capability")]
    NoEthCapability,
    /// The peer's Status announces another version than the one negotiated in Hello.
    #[error("peer's Status announces eth/{announced}, negotiated eth/{negotiated}")]
    VersionMismatch { negotiated: u64, announced: u64 },
    /// The peer is on another network.
    #[error("peer's network id is {theirs}, ours is {ours}")]
    NetworkIdMismatch { ours: u64, theirs: u64 },
    /// The peer's chain has another genesis block.
    #[error("peer's genesis is {theirs}, ours is {ours}")]
    GenesisMismatch { ours: B256, theirs: B256 },
    /// The peer's fork identifier is incompatible with our chain (EIP-2124).
    #[error("peer's fork id: {0}")]
    ForkId(#[from] ForkIdError),
    /// The peer announces a block range whose earliest block is after its latest.
    #[error("peer's block range is empty: earliest {earliest} > latest {latest}")]
    InvalidBlockRange { earliest: u64, latest: u64 },
    /// The Status exchange did not finish in time.
    #[error("Status exchange timed out after {0:?}")]
    StatusTimeout(Duration),
    /// A request got no answer in time.
    #[error("request {request_id} got no answer within {timeout:?}")]
    RequestTimeout { request_id: u64, timeout: Duration },
    /// The session ended (the peer disconnected or the connection failed) before the answer.
    #[error("the eth session is closed")]
    SessionClosed,
    /// Our store lacks what the Status needs (no genesis, head or chain config).
    #[error("the local chain has no {0}")]
    MissingChainData(&'static str),
    /// Our store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The RLPx connection failed or the peer disconnected.
    #[error(transparent)]
    Rlpx(#[from] RlpxError),
}

impl EthError {
    pub(crate) fn rlp(message: &'static str) -> impl Fn(alloy_rlp::Error) -> Self + Copy {
        move |source| Self::Rlp { message, source }
    }

    /// The reason to send the peer in a Disconnect, or `None` when the connection is already
    /// gone or the error is the caller's alone (a request timeout).
    pub fn disconnect_reason(&self) -> Option<DisconnectReason> {
        match self {
            Self::Rlp { .. }
            | Self::Invalid { .. }
            | Self::UnknownMessage(_)
            | Self::UnexpectedMessage { .. }
            | Self::InvalidBlockRange { .. }
            | Self::RequestFlood
            | Self::Snap(
                SnapError::Rlp { .. } | SnapError::UnknownMessage(_) | SnapError::BadRequest(_),
            ) => Some(DisconnectReason::BreachOfProtocol),
            Self::NoEthCapability
            | Self::VersionMismatch { .. }
            | Self::NetworkIdMismatch { .. }
            | Self::GenesisMismatch { .. }
            | Self::ForkId(_) => Some(DisconnectReason::UselessPeer),
            // 0x0b is the "read timeout" reason.
            Self::StatusTimeout(_) => Some(DisconnectReason::PingTimeout),
            Self::MissingChainData(_) | Self::Store(_) | Self::Snap(SnapError::Store(_)) => {
                Some(DisconnectReason::SubprotocolReason)
            }
            Self::RequestTimeout { .. }
            | Self::SessionClosed
            | Self::Rlpx(_)
            | Self::NoSnapCapability
            | Self::Disconnected(_) => None,
        }
    }
}

/// Result of the eth protocol.
pub type EthResult<T> = std::result::Result<T, EthError>;
