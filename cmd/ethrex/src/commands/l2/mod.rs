//! `ethrex l2`: the rollup's commands. Today `ethrex l2 deploy` (the L1 contracts); the
//! sequencer (`ethrex l2` with its own flags, in [`L2Args`]) and `ethrex l2 prover` come next as
//! more fields and [`L2Command`] variants, each in its own module here.

pub mod deploy;

use clap::{Args, Subcommand};

use super::CliError;

/// `ethrex l2`'s flags and subcommand.
#[derive(Debug, Args)]
#[command(subcommand_required = true, arg_required_else_help = true)]
pub struct L2Args {
    #[command(subcommand)]
    pub command: L2Command,
}

/// The subcommands of `ethrex l2`.
#[derive(Debug, Subcommand)]
pub enum L2Command {
    /// Deploy the rollup's L1 contracts (OnChainProposer and CommonBridge, each behind an
    /// ERC1967Proxy, initialized) and write their addresses to an env file.
    Deploy(deploy::DeployArgs),
}

/// Runs `ethrex l2 <command>`.
pub fn run(args: &L2Args) -> Result<(), CliError> {
    match &args.command {
        L2Command::Deploy(deploy) => deploy::run(deploy),
    }
}
