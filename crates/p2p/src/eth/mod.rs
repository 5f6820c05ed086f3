//! The eth wire protocol, versions 68, 69 and 70 (devp2p `caps/eth.md`, EIP-5793, EIP-7642,
//! EIP-7975), over an
//! RLPx [`crate::rlpx::Connection`].
//!
//! Layers: [`messages`] (every message, typed, with its encoding for the negotiated
//! [`EthVersion`]; [`receipts`] holds the two receipt shapes), [`status`] (our Status from the
//! store and the checks of the peer's: network, genesis, EIP-2124 fork id), [`serve`] (answers
//! to header, body, receipt and pooled-transaction requests, pure functions over the store) and
//! [`session`] ([`EthPeer`]: the Status exchange, then a task answering the peer and matching
//! our requests to its answers). Errors are [`EthError`], each with the Disconnect reason to send.
//!
//! Where to start reading: `session.rs` ([`EthPeer::start`]), then `messages.rs`.
//!
//! Invariants: decoding never panics (a property test feeds arbitrary bytes to every decoder);
//! no message but Status is sent or accepted before the Status exchange; an undecodable or
//! unknown message ends the session with a Disconnect naming the reason.

mod error;
pub mod messages;
pub mod receipts;
pub mod serve;
pub mod session;
pub mod status;
#[cfg(test)]
mod test_chain;

pub use error::{EthError, EthResult};
pub use messages::{EthMessage, HashOrNumber, HeadersQuery, Status};
pub use session::{EthContext, EthPeer, PeerEvent};
pub use status::LocalChain;

use crate::rlpx::{Capability, Protocol, SharedCapability};

/// An eth protocol version we speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EthVersion {
    /// eth/68 (EIP-5793): Status with total difficulty, receipts with bloom.
    Eth68,
    /// eth/69 (EIP-7642): Status with the served block range, BlockRangeUpdate, receipts
    /// without bloom.
    Eth69,
    /// eth/70 (EIP-7975): eth/69 with partial receipt lists (GetReceipts names the first
    /// block's first receipt wanted; Receipts says whether its last list is incomplete).
    Eth70,
}

impl EthVersion {
    /// The version number announced in Hello and Status.
    pub const fn number(self) -> u64 {
        match self {
            Self::Eth68 => 68,
            Self::Eth69 => 69,
            Self::Eth70 => 70,
        }
    }

    /// How many message ids the version uses (eth/68: 0x00..=0x10; eth/69 adds 0x11).
    pub const fn message_count(self) -> u64 {
        match self {
            Self::Eth68 => 17,
            Self::Eth69 | Self::Eth70 => 18,
        }
    }

    /// The version of a negotiated eth capability, if we speak it.
    pub fn of(capability: &Capability) -> Option<Self> {
        match (capability.name.as_str(), capability.version) {
            ("eth", 68) => Some(Self::Eth68),
            ("eth", 69) => Some(Self::Eth69),
            ("eth", 70) => Some(Self::Eth70),
            _ => None,
        }
    }

    /// The eth version negotiated on a connection and its first message id.
    pub fn negotiated(shared: &[SharedCapability]) -> Option<(Self, u64)> {
        shared
            .iter()
            .find_map(|s| Self::of(&s.capability).map(|version| (version, s.offset)))
    }

    /// The protocol entry to announce in Hello.
    pub fn protocol(self) -> Protocol {
        Protocol {
            capability: Capability::new("eth", self.number()),
            message_count: self.message_count(),
        }
    }
}

impl std::fmt::Display for EthVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "eth/{}", self.number())
    }
}

/// eth/68 and eth/69, for a [`crate::rlpx::ConnectionConfig`]'s protocols (tests and tools
/// that speak no eth/70); a node announces [`crate::protocols`], eth/70 and snap/1 included.
pub fn protocols() -> Vec<Protocol> {
    vec![EthVersion::Eth68.protocol(), EthVersion::Eth69.protocol()]
}
