//! RLPx, the encrypted TCP transport between Ethereum nodes (devp2p `rlpx.md`, EIP-8, EIP-706).
//!
//! Layers, bottom up: [`ecies`] encrypts the handshake packets; [`handshake`] builds and reads
//! `auth`/`ack` and derives the session [`Secrets`]; [`frame`] encrypts and authenticates each
//! message as a frame ([`FrameCodec`]); [`p2p`] is the base protocol (Hello, Disconnect,
//! Ping/Pong), capability negotiation and snappy compression; [`conn`] puts them together over a
//! tokio `TcpStream` ([`Connection`]). Errors are [`RlpxError`]. Test builds add `fuzz`, the
//! crate's decoder fuzz driver.
//!
//! Where to start reading: `conn.rs`, then each layer it calls.

pub mod conn;
pub mod ecies;
mod error;
pub mod frame;
#[cfg(test)]
pub(crate) mod fuzz;
pub mod handshake;
pub mod p2p;

pub use conn::{Connection, ConnectionConfig, DEFAULT_HANDSHAKE_TIMEOUT, Message};
pub use error::{RlpxError, RlpxResult};
pub use frame::{Frame, FrameCodec};
pub use handshake::Secrets;
pub use p2p::{Capability, DisconnectReason, Hello, P2pMessage, Protocol, SharedCapability};
