//! The rollup's prover (`ethrex l2 prover`): it takes a batch from the sequencer's proof
//! coordinator, proves it, and sends the proof back.
//!
//! **The `exec` backend proves nothing.** It re-executes the batch natively with the same guest
//! program a zkVM would run and checks everything that program checks; its "proof" is only the
//! public values it computed, which the sequencer compares with its own commitment before it
//! sends `verifyBatch` (with empty proofs, no verifier required). The SP1, RISC0 and TDX
//! backends are named but absent from this build: asking for one is an error.
//!
//! - [`guest`]: [`guest::execute_batch`], the guest program: a [`ProverInput`] in, the batch's
//!   [`PublicInputs`](ethrex_l2_contracts::hashes::PublicInputs) (or a [`guest::GuestError`]
//!   saying which block and check failed) out;
//! - [`input`]: [`input::build_input`], the [`ProverInput`] of a block range of a rollup chain;
//! - [`backend`]: [`backend::prove`] by [`ProverType`];
//! - [`client`]: [`client::ProverClient`], which polls coordinators over TCP.
//!
//! Where to start reading: [`guest::execute_batch`], then [`client::ProverClient::poll`].
//!
//! [`ProverInput`]: ethrex_l2_common::protocol::ProverInput

pub mod backend;
pub mod client;
pub mod guest;
pub mod input;

use alloy_primitives::B256;
use ethrex_l2_common::protocol::ProtocolError;

pub use client::{ClientConfig, Coordinator, PollOutcome, ProverClient};
pub use ethrex_l2_common::protocol::ProverType;
pub use guest::{GuestError, execute_batch};
pub use input::{Witnesses, build_input};

/// Why proving, building an input, or talking to a coordinator failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the batch does not prove: {0}")]
    Guest(#[from] GuestError),
    #[error("{0} is not available in this build")]
    BackendUnavailable(ProverType),
    #[error("empty block range {first}..={last}")]
    EmptyRange { first: u64, last: u64 },
    #[error("canonical block #{0} is not stored")]
    MissingBlock(u64),
    #[error("block #{number} {hash} has no recorded fee config")]
    MissingFeeConfig { number: u64, hash: B256 },
    #[error("{witnesses} witnesses given for {blocks} blocks")]
    WitnessCount { blocks: usize, witnesses: usize },
    #[error(transparent)]
    Chain(Box<ethrex_blockchain::ChainError>),
    #[error(transparent)]
    Store(#[from] ethrex_storage::StoreError),
    #[error("KZG: {0}")]
    Kzg(ethrex_crypto::CryptoError),
    #[error("proof coordinator URL {url:?}: {reason}")]
    InvalidUrl { url: String, reason: String },
    #[error("no proof coordinator to poll")]
    NoCoordinator,
    #[error("proof coordinator {url} is down: {source}")]
    Unreachable { url: String, source: std::io::Error },
    #[error("proof coordinator {url}: {source}")]
    Protocol { url: String, source: ProtocolError },
    #[error("proof coordinator {url} answered {got} where a {expected} was expected")]
    UnexpectedAnswer {
        url: String,
        expected: &'static str,
        got: String,
    },
    #[error("the coordinator named batch {batch_number} but sent no input")]
    NoInput { batch_number: u64 },
    #[error("batch {batch_number}: {source}")]
    BatchFailed {
        batch_number: u64,
        source: Box<Error>,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
