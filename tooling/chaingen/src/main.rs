//! `ethrex-chaingen`: writes a benchmark chain (`genesis.json` and `chain.rlp`) into a
//! directory. Progress goes to stderr every 100 blocks, the summary to stdout.

use std::{path::PathBuf, process::ExitCode};

use clap::Parser;
use ethrex_chaingen::{ChainParams, Progress, write_chain};

/// Generates a chain of blocks full of ETH and ERC20 transfers, for benchmarking
/// `ethrex import`. The same arguments always give the same files.
#[derive(Debug, Parser)]
#[command(name = "ethrex-chaingen", version, about, long_about = None)]
struct Cli {
    /// Number of blocks after the genesis.
    #[arg(long)]
    blocks: u64,
    /// Output directory (created if missing): genesis.json and chain.rlp are written there.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    #[command(flatten)]
    chain: ChainParams,
}

/// Blocks between progress lines.
const PROGRESS_EVERY: u64 = 100;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let report = |p: &Progress| {
        if p.block.is_multiple_of(PROGRESS_EVERY) {
            let secs = p.elapsed.as_secs_f64();
            eprintln!(
                "block {}/{}: {} transactions, {:.2} Ggas, {secs:.1} s",
                p.block,
                cli.blocks,
                p.transactions,
                p.gas_used as f64 / 1e9,
            );
        }
    };
    match write_chain(&cli.chain, cli.blocks, &cli.out, report) {
        Ok(summary) => {
            println!(
                "{} blocks, {} transactions, {} gas in {:.1} s",
                summary.blocks,
                summary.transactions,
                summary.gas_used,
                summary.elapsed.as_secs_f64()
            );
            println!("genesis: {}", summary.genesis.display());
            println!("chain:   {}", summary.chain.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("ethrex-chaingen: {e}");
            ExitCode::FAILURE
        }
    }
}
