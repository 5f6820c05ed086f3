//! The shared test kit of ethrex: what the integration tests of several crates need and would
//! otherwise each write again.
//!
//! - [`tx`]: transactions signed by a dev key ([`TxBuilder`]: legacy, EIP-1559, blob, EIP-7702),
//!   EIP-7702 authorizations, the raw hex `eth_sendRawTransaction` takes.
//! - [`genesis`]: a small genesis ([`GenesisBuilder`]) with every fork up to a chosen one active
//!   from block 0, the first dev accounts prefunded and, from Prague, the system contracts.
//! - [`fixtures`]: paths into the shared fixtures (`../shared` next to the checkout), and
//!   [`require_fixture!`], which skips a test with a message when they are absent.
//! - [`node`], [`ws`]: the `ethrex` binary run as a command or started as a node, plain HTTP and
//!   WebSocket clients to talk to it, and [`node::wait_for`].
//!
//! Where to start reading: [`TxBuilder`] and [`GenesisBuilder`] for in-process chains,
//! [`node::Binary`] for tests of the binary.
//!
//! Only a dev-dependency. It depends on `ethrex-common` and `ethrex-crypto` and nothing above
//! them, so the tests of any crate above them can use it; the unit tests of those two cannot
//! (their types would exist twice).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test kit: a failed setup step aborts the test that called it"
)]

pub mod fixtures;
pub mod genesis;
pub mod node;
pub mod tx;
pub mod ws;

pub use fixtures::{EXECUTION_APIS, fixture_path};
pub use genesis::GenesisBuilder;
pub use tx::{TxBuilder, dev_address, dev_secret, raw, sign};
