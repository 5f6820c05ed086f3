//! Block validation and execution for ethrex.
//!
//! Where to start reading: [`execute_block`] (checks a block against its parent and runs it
//! over the parent's state through the VM), `header.rs` (header rules per fork), `requests.rs`
//! (EIP-6110/7002/7251/7685). Storage, fork choice and batch import come with `ethrex-storage`.

mod chain;
mod error;
mod execution;
pub mod header;
pub mod requests;

pub use chain::{Blockchain, ChainError};
pub use error::{BlockError, Result};
pub use execution::{BlockOutcome, StateRootFn, block_env, execute_block};
