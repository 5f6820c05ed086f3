//! `ethrex l2`: the rollup. Without a subcommand, the rollup node and its sequencer
//! (`sequencer.rs`, flags in `args.rs`; `--dev` runs a whole local rollup, `dev.rs`);
//! `ethrex l2 deploy` deploys the L1 contracts. Each subcommand has its own module here.

mod args;
pub mod deploy;
mod dev;
pub mod prover;
mod sequencer;

use clap::{Args, Subcommand};

use super::CliError;
use crate::cli::Cli;

/// `ethrex l2`'s flags and subcommand.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct L2Args {
    #[command(subcommand)]
    pub command: Option<L2Command>,
    #[command(flatten)]
    pub sequencer: args::SequencerArgs,
}

/// The subcommands of `ethrex l2`.
#[derive(Debug, Subcommand)]
#[allow(
    clippy::large_enum_variant,
    reason = "parsed once at startup: boxing the deploy flags would save nothing that matters"
)]
pub enum L2Command {
    /// Deploy the rollup's L1 contracts (OnChainProposer and CommonBridge, each behind an
    /// ERC1967Proxy, initialized) and write their addresses to an env file.
    Deploy(deploy::DeployArgs),
    /// Prove the sequencer's batches: poll its proof coordinators, prove each batch they hand
    /// out and submit the proof (exec proves nothing: it re-executes and checks).
    Prover(prover::ProverArgs),
}

/// Runs `ethrex l2 [<command>]`.
pub fn run(cli: &Cli, args: &L2Args) -> Result<(), CliError> {
    match &args.command {
        Some(L2Command::Deploy(deploy)) => deploy::run(deploy),
        Some(L2Command::Prover(prover)) => prover::run(prover),
        None => sequencer::run(cli, &args.sequencer),
    }
}
