//! The snap/1 protocol (devp2p `caps/snap.md`): the state of a recent block served as ranges of
//! accounts and storage slots with their edge proofs, contract codes by hash and trie nodes by
//! path, so a peer can sync a state without replaying the chain.
//!
//! Layers: [`messages`] (the eight messages, typed, with their encoding; accounts in the slim
//! format) and [`serve`] (answers as pure functions over the store, with the spec's rules:
//! unknown roots answered empty, byte limits, proofs). Errors are [`SnapError`]. The eth
//! session ([`crate::eth::EthPeer`]) serves these requests and sends ours
//! ([`crate::eth::EthPeer::request_snap`]) when the peer shares snap/1.
//!
//! Where to start reading: `serve.rs`, then `messages.rs`.
//!
//! Invariants: decoding never panics (a property test feeds arbitrary bytes to every decoder);
//! every answer verifies against the requested root with `ethrex_trie::verify_range`.

mod error;
pub mod messages;
pub mod serve;

pub use error::{SnapError, SnapResult};
pub use messages::SnapMessage;

use crate::rlpx::{Capability, Protocol};

/// A snap protocol version we speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SnapVersion {
    /// snap/1: account and storage ranges, byte codes, trie nodes (ids 0x00..=0x07).
    Snap1,
}

impl SnapVersion {
    /// The version number announced in Hello.
    pub const fn number(self) -> u64 {
        match self {
            Self::Snap1 => 1,
        }
    }

    /// How many message ids the version uses.
    pub const fn message_count(self) -> u64 {
        match self {
            Self::Snap1 => 8,
        }
    }

    /// The version of a negotiated snap capability, if we speak it.
    pub fn of(capability: &Capability) -> Option<Self> {
        match (capability.name.as_str(), capability.version) {
            ("snap", 1) => Some(Self::Snap1),
            _ => None,
        }
    }

    /// The protocol entry to announce in Hello.
    pub fn protocol(self) -> Protocol {
        Protocol {
            capability: Capability::new("snap", self.number()),
            message_count: self.message_count(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snap1_capability_round_trips() {
        let protocol = SnapVersion::Snap1.protocol();
        assert_eq!(protocol.message_count, 8);
        assert_eq!(
            SnapVersion::of(&protocol.capability),
            Some(SnapVersion::Snap1)
        );
        assert_eq!(SnapVersion::of(&Capability::new("snap", 2)), None);
    }
}
