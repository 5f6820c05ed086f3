//! Core types of ethrex: blocks, transactions, receipts, account state, the chain configuration
//! with its fork schedule, EIP-2124 fork identifiers and genesis.
//!
//! Where to start reading: [`Fork`] (the fork list), [`ChainConfig::fork_at`] (which rules
//! apply to a block), [`Genesis`] (from a JSON file to the genesis block), [`types`] (the data
//! types, on top of alloy's wire types) and [`validation`] (stateless transaction rules).
//! [`dev`] defines the chain of `ethrex --dev`; [`system_contracts`] the code of the system
//! contracts a Prague genesis holds.

pub mod config;
pub mod constants;
pub mod dev;
pub mod eip4844;
pub mod eip7702;
mod error;
pub mod fork;
pub mod forkid;
pub mod genesis;
pub mod header_fields;
pub mod network;
pub mod state;
pub mod system_contracts;
pub mod types;
pub mod validation;

pub use alloy_primitives::{Address, B256, Bloom, Bytes, U256, keccak256};
pub use config::{BlobParams, ChainConfig};
pub use error::{CommonError, Result};
pub use fork::Fork;
pub use forkid::{ForkFilter, ForkId, ForkIdError};
pub use genesis::Genesis;
pub use header_fields::HeaderFields;
pub use network::Network;
