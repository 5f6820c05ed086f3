//! The `ethrex` binary: parses the command line and runs the chosen subcommand.
//!
//! Where to start reading: [`cli::Cli`] (every flag, grouped), then the subcommand modules.
//! Running `ethrex` without a subcommand starts the node (`commands/node.rs`).

mod cli;
mod commands;
mod logging;

use std::process::ExitCode;

/// mimalloc instead of glibc's malloc: the node allocates many small, short-lived buffers
/// (decoded receipts, JSON, trie nodes) from several threads.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = cli::Cli::parse_args();
    logging::init(&cli.log);
    let result = match &cli.command {
        Some(cli::Command::ComputeStateRoot) => {
            commands::compute_state_root::run(&cli.node.network)
        }
        Some(cli::Command::Import { files, batch_size }) => commands::import::run(
            &cli.node.datadir,
            &cli.node.network,
            files,
            *batch_size as usize,
        ),
        Some(cli::Command::ImportBench {
            file,
            in_memory,
            batch_size,
        }) => {
            commands::import_bench::run(&cli.node.network, file, *in_memory, *batch_size as usize)
        }
        Some(cli::Command::Removedb) => commands::removedb::run(&cli.node.datadir, cli.node.force),
        Some(cli::Command::Export(args)) => commands::export::run(&cli.node, args),
        Some(cli::Command::L2(args)) => commands::l2::run(&cli, args),
        None => commands::node::run(&cli),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::from(err.exit_code())
        }
    }
}
