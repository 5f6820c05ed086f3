//! Node Discovery Protocol v4 (devp2p `discv4.md`, with EIP-8's forward compatibility and
//! EIP-868's ENR packets): how the node finds peers over UDP.
//!
//! Where to start reading: [`Discv4::start`] (the service and its handle, `server.rs`), then
//! `packet.rs` (the six packets, signing and verification), `table.rs` (the Kademlia table and
//! the endpoint-proof bookkeeping), `lookup.rs` (the recursive lookup) and `enode.rs` ([`Enode`]:
//! a peer's public key and endpoint, enode URLs).
//!
//! Invariants kept here:
//! - A datagram is acted on only if it is at most 1280 bytes, its hash matches, its signature
//!   recovers a public key, and it has not expired; anything else is a [`Discv4Error`] and is
//!   dropped silently — never a panic (a property test feeds the decoder arbitrary bytes).
//! - No amplification: FindNode and ENRRequest are answered only for a node whose endpoint is
//!   proven, i.e. that answered one of our Pings with a matching Pong within the last 12 hours.
//! - Only nodes that answered a Ping enter the table.

mod enode;
mod lookup;
pub mod packet;
pub(crate) mod record;
mod server;
pub mod table;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub use enode::Enode;
pub use record::verify_record;
pub use server::{Discv4, Discv4Config};

/// The largest datagram discv4 sends or accepts.
pub const MAX_PACKET_SIZE: usize = 1280;

/// How long the packets we send stay valid.
pub const EXPIRATION: Duration = Duration::from_secs(20);

/// How long an endpoint proof (a Pong to our Ping, or our Pong to a Ping) lasts.
pub const BOND_EXPIRATION: Duration = Duration::from_secs(12 * 60 * 60);

/// Errors of discovery: malformed or forged packets, bad enode URLs, socket failures.
#[derive(Debug, thiserror::Error)]
pub enum Discv4Error {
    /// A datagram shorter than the 98-byte header (hash, signature, type).
    #[error("discv4 packet of {0} bytes is shorter than its 98-byte header")]
    PacketTooSmall(usize),
    /// A datagram over the 1280-byte limit.
    #[error("discv4 packet of {0} bytes exceeds the 1280-byte limit")]
    PacketTooLarge(usize),
    /// The packet's first 32 bytes are not the keccak256 of the rest.
    #[error("discv4 packet hash {0} does not match its contents")]
    HashMismatch(alloy_primitives::B256),
    /// The signature does not recover a public key.
    #[error("discv4 packet signature is invalid: {0}")]
    BadSignature(secp256k1::Error),
    /// A packet type this implementation does not know (EIP-8: discard silently).
    #[error("unknown discv4 packet type {0:#04x}")]
    UnknownPacketType(u8),
    /// The packet data is not the RLP the packet type requires.
    #[error("malformed discv4 {packet} packet: {source}")]
    Rlp {
        packet: &'static str,
        source: alloy_rlp::Error,
    },
    /// An endpoint's IP is neither 4 nor 16 bytes.
    #[error("endpoint IP of {0} bytes (expected 4 or 16)")]
    InvalidIp(usize),
    /// The packet's expiration time lies in the past.
    #[error("discv4 packet expired at {expiration} (now {now})")]
    Expired { expiration: u64, now: u64 },
    /// A packet we build would exceed 1280 bytes.
    #[error("discv4 packet of {0} bytes would exceed the 1280-byte limit")]
    Oversized(usize),
    /// A node record (ENRResponse) that is malformed or not signed by the responder.
    #[error("invalid node record: {0}")]
    InvalidRecord(&'static str),
    /// An enode URL that cannot be parsed.
    #[error("invalid enode URL {url:?}: {reason}")]
    InvalidEnode { url: String, reason: &'static str },
    /// The UDP socket failed.
    #[error("discovery socket {addr}: {source}")]
    Io {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
}

/// Result of discovery.
pub type Result<T> = std::result::Result<T, Discv4Error>;

/// Seconds since the UNIX epoch (0 if the clock is before it).
pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

/// The expiration stamp of a packet sent now.
pub(crate) fn expiration_from_now() -> u64 {
    unix_now().saturating_add(EXPIRATION.as_secs())
}
