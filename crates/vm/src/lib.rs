//! The ethrex EVM ("LEVM"): interpreter, gas rules, precompiles and transaction processing for
//! every fork from Frontier to Osaka.
//!
//! The VM never touches storage directly: it reads through the [`Database`] trait and returns
//! the state changes of what it executed.

pub mod precompiles;
