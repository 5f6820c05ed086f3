//! Differential testing of the ethrex EVM against revm: random but valid bytecode programs run
//! through both, and every consensus-visible result compared.
//!
//! Where to start reading: [`generate::case`] (a seed to a [`Case`]: fork, block, pre-state with
//! random contracts, one to three transactions; the programs come from [`program`]), the two
//! runners [`ethrex_runner::run`] and
//! [`revm_runner::run`] (a case to an [`Outcome`]), and [`compare`] (two outcomes to a list of
//! differences). The test itself is `tests/differential.rs`.

pub mod case;
pub mod ethrex_runner;
pub mod forks;
pub mod generate;
pub mod outcome;
pub mod program;
pub mod revm_runner;
pub mod world;

pub use case::Case;
pub use outcome::{Outcome, Status, TxOutcome, compare};
pub use world::{Account, World};
