//! `ethrex-bench`: benchmarks of ethrex against reference implementations, run side by side on
//! the same inputs in one process, so their ratio is meaningful on a noisy machine.
//!
//! One subcommand per benchmark, each in its own module with a `#[derive(Args)]` struct for its
//! flags. A benchmark exits non-zero when the implementations disagree on the result, so it
//! doubles as a large-input correctness check. See `README.md` for how to run and read them.

mod dev;
mod engine;
mod evm;
mod l2;
mod p2p;
mod stats;
mod trie;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Benchmarks of ethrex against reference implementations.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Trie root of random leaves: ethrex TrieBuilder and Trie against alloy-trie's HashBuilder.
    Trie(trie::TrieArgs),
    /// EVM execution: ethrex's VM against revm on the same transactions and pre-state.
    Evm(evm::EvmArgs),
    /// `ethrex --dev` against anvil over JSON-RPC: transfers, eth_call, eth_getLogs.
    Dev(dev::DevArgs),
    /// The Engine API path (newPayload + forkchoiceUpdated per block) against `import` on the
    /// chaingen chain: latency and Mgas/s.
    Engine(engine::EngineArgs),
    /// Headers+bodies served per second by an ethrex session against geth over loopback RLPx,
    /// and snap AccountRange throughput over a generated state.
    P2p(p2p::P2pArgs),
    /// `ethrex l2 --dev` against `ethrex --dev`: transfer throughput, transfers per blob,
    /// deposit and withdrawal latency, exec proving.
    L2(l2::L2Args),
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Trie(args) => trie::run(&args),
        Command::Evm(args) => evm::run(&args),
        Command::Dev(args) => dev::run(&args),
        Command::Engine(args) => engine::run(&args),
        Command::P2p(args) => p2p::run(&args),
        Command::L2(args) => l2::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}
