//! [`SnapError`]: what can go wrong decoding or serving a snap message. It converts into
//! [`crate::eth::EthError`] (sessions carry snap).

use ethrex_storage::StoreError;

/// Errors of the snap protocol.
#[derive(Debug, thiserror::Error)]
pub enum SnapError {
    /// A message's RLP cannot be decoded (or bytes are left after it).
    #[error("invalid {message} message: {source}")]
    Rlp {
        message: &'static str,
        source: alloy_rlp::Error,
    },
    /// A request that breaks a rule of the protocol (an empty GetTrieNodes path set).
    #[error("bad snap request: {0}")]
    BadRequest(&'static str),
    /// A message id outside snap/1's range.
    #[error("unknown snap message id 0x{0:02x}")]
    UnknownMessage(u64),
    /// Our store failed while serving.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl SnapError {
    pub(crate) fn rlp(message: &'static str) -> impl Fn(alloy_rlp::Error) -> Self + Copy {
        move |source| Self::Rlp { message, source }
    }
}

/// Result of the snap protocol.
pub type SnapResult<T> = std::result::Result<T, SnapError>;
