//! The ethrex EVM ("LEVM"): interpreter, gas rules, precompiles and transaction processing for
//! every fork from Frontier to Osaka.
//!
//! The VM never touches storage directly: it reads through the [`Database`] trait and returns
//! the [`StateChanges`] of what it executed. Where to start reading: [`Evm`] (a block's worth of
//! transactions over one state), `l1_hook.rs` (the L1 transaction hook: validation, gas
//! purchase, refunds, fees), `interpreter.rs` (the frame loop) and `opcodes/` (one file per
//! opcode family, indexed by a 256-entry table per fork).

#![deny(clippy::as_conversions, clippy::arithmetic_side_effects)]
#![cfg_attr(test, allow(clippy::as_conversions, clippy::arithmetic_side_effects))]

mod code;
mod db;
mod env;
mod errors;
mod evm;
mod frame;
pub mod gas;
mod hook;
pub mod inspector;
mod interpreter;
mod l1_hook;
mod l2_hook;
mod memory;
pub mod opcode;
mod opcodes;
pub mod precompiles;
mod stack;
mod state;
pub mod tracers;

use alloy_primitives::{Address, Bytes, Log};

pub use db::{
    AccountChange, AccountInfo, Database, GenesisAccount, InMemoryDb, Overlay, StateChanges,
    StateDiff, StateError,
};
pub use env::BlockEnv;
pub use errors::{Halt, InvalidTransaction, TxError, VmError};
pub use evm::{Evm, SYSTEM_CALL_GAS};
pub use hook::{Hook, Prepared};
pub use interpreter::{create_address, create2_address};
pub use l1_hook::{CallHook, L1Hook, Validation};
pub use l2_hook::{L2Hook, l1_fee, l1_gas};

/// The outcome of an included transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxResult {
    /// Whether execution succeeded (receipt status 1).
    pub success: bool,
    /// Gas charged to the sender (after refunds and the EIP-7623 floor).
    pub gas_used: u64,
    /// Return data, or revert data.
    pub output: Bytes,
    /// Logs emitted (empty when the transaction failed).
    pub logs: Vec<Log>,
    /// Why the top frame halted, if it did exceptionally.
    pub halt: Option<Halt>,
    /// The created contract's address, for a successful creation.
    pub created: Option<Address>,
}
