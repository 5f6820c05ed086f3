//! Block validation and execution for ethrex.
//!
//! Where to start reading: [`execute_block`] (checks a block against its parent and runs it
//! over the parent's state through the VM), [`build_block`] (builds one over the same code),
//! `header.rs` (header rules per fork), `ommers.rs` (pre-merge ommer rules), `dao.rs` (the DAO
//! fork), `requests.rs` (EIP-6110/7002/7251/7685), `chain.rs` ([`Blockchain`]: blocks over a
//! store, fork choice, restart recovery) and `import.rs` (batch import). Transactions wait in
//! [`mempool`]; [`payload`] builds blocks from it on the head and imports them, and [`dev`]
//! produces blocks that way for `ethrex --dev`. `witness.rs` builds the execution witness of a
//! stored block ([`ExecutionWitness`]) and `stateless.rs` re-executes a block over one alone
//! ([`execute_stateless`]).

mod build;
mod chain;
mod dao;
pub mod dev;
mod error;
mod exec_db;
mod execution;
pub mod header;
mod import;
pub mod mempool;
mod ommers;
pub mod payload;
mod phases;
mod replay;
pub mod requests;
mod stateless;
pub mod sync;
mod witness;

pub use build::{
    BlockAttributes, BuiltBlock, Candidates, SkippedTransaction, build_block,
    build_block_with_rules,
};
pub use chain::{Blockchain, ChainError, Timings};
pub use error::{BlockError, Result};
pub use execution::{
    BlockOutcome, Rules, StateRootFn, block_env, check_body_commitments, execute_block,
    execute_block_with_rules, execute_block_with_senders, recover_senders,
};
pub use import::{ImportError, ImportStats};
pub use phases::{
    apply_block_prologue, apply_block_rewards, block_requests_hash, transaction_receipt,
};
pub use replay::{BlockReplay, MAX_REEXEC, ReplayedTx};
pub use stateless::{WitnessDb, execute_stateless, execute_stateless_with_rules};
pub use witness::ExecutionWitness;
