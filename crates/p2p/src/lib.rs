//! # ethrex-p2p
//!
//! Peer-to-peer networking: the node's identity — the secp256k1 node key kept in
//! `<datadir>/nodekey` ([`NodeKey`]), the node id derived from it, and how the node describes
//! itself to peers, its enode URL and its signed Ethereum Node Record (EIP-778, [`enr`]), both
//! built by [`LocalNode`] — discovery v4, the RLPx transport, the eth protocol and the peer
//! manager (below), and full sync ([`sync`]).
//!
//! Where to start reading: `key.rs` ([`NodeKey`]: create, persist, load), `node.rs`
//! ([`LocalNode`]: id, enode URL, ENR of this node), `enr.rs` (the record's encoding and
//! signature), `error.rs` ([`P2pError`]).
//!
//! RLPx ([`rlpx`]) is the encrypted TCP transport to peers: the ECIES handshake (EIP-8 auth/ack,
//! legacy accepted), framing with its MACs, the p2p base protocol (Hello, Disconnect, Ping/Pong,
//! capability negotiation, snappy); start at [`rlpx::Connection`].
//!
//! Discovery v4 ([`discv4`]) finds peers over UDP: start at [`discv4::Discv4::start`].
//!
//! The eth wire protocol ([`eth`], eth/68 and eth/69) runs over an RLPx connection: the Status
//! handshake, serving headers, bodies, receipts and pooled transactions, and requests for the
//! syncer; start at [`eth::EthPeer::start`].
//!
//! The snap/1 protocol ([`snap`]): its messages and answers to them over the store (account and
//! storage ranges with proofs, codes, trie nodes), served by every eth session whose peer
//! shares snap/1 ([`protocols`] is what a node announces).
//!
//! Transaction gossip ([`gossip`]): [`gossip::TxGossip`] announces the mempool's admissions to
//! the peers and fetches what they announce, disconnecting peers that break the rules.
//!
//! Full sync ([`sync`]): [`sync::FullSync`] takes the heads the Engine API cannot follow,
//! downloads headers backwards to a known block, bodies from every peer, and executes them in
//! batches through the normal import path.
//!
//! The node's peers ([`peers`]): [`peers::PeerManager`] accepts and dials RLPx connections up
//! to a target, runs an eth session on each and lists them for `admin_peers`.

pub mod discv4;
pub mod enr;
mod error;
pub mod eth;
pub mod gossip;
mod key;
mod node;
pub mod peers;
pub mod rlpx;
pub mod snap;
pub mod sync;

pub use error::{P2pError, Result};

/// Every protocol a node announces in Hello: eth/68, eth/69, eth/70 and snap/1.
pub fn protocols() -> Vec<rlpx::Protocol> {
    let mut protocols = eth::protocols();
    protocols.push(eth::EthVersion::Eth70.protocol());
    protocols.push(snap::SnapVersion::Snap1.protocol());
    protocols
}
pub use key::{NODE_KEY_FILE, NodeKey};
pub use node::LocalNode;
