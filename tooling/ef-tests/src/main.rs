//! `ef-tests`: runs Ethereum conformance fixtures against ethrex and reports per fork.
//!
//! Usage: `ef-tests <suite> <path>... [--fork NAME] [--quiet]` where each path is a fixture
//! file or a directory searched recursively for `.json` files; `ef-tests engine <path>...
//! [--jobs N] [--ethrex PATH]` replays the post-merge blockchain tests against a real `ethrex`
//! process through the Engine API. Prints counts per fork, every
//! failure and skip with its reason, and ends with `N passed, M failed, K skipped`; exits 1 on
//! any failure, 2 on a usage or I/O error. Where to start reading: [`suites`] (one module per
//! fixture format), [`report`].

mod fixtures;
mod report;
mod suites;

use std::{path::PathBuf, process::ExitCode};

use clap::{Parser, ValueEnum};
use ethrex_common::Fork;

/// Runs Ethereum conformance fixtures against ethrex.
#[derive(Debug, Parser)]
#[command(name = "ef-tests", version, about)]
struct Args {
    /// Fixture format to run.
    #[arg(value_enum)]
    suite: Suite,
    /// Fixture files, or directories searched recursively for `.json` files.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Print only the summary, not each failure and skip.
    #[arg(long)]
    quiet: bool,
    /// Run only this fork's cases (state suite), e.g. `Cancun` or `EIP150`.
    #[arg(long, value_name = "NAME")]
    fork: Option<Fork>,
    /// Blockchain suite: run every N-th test on a RocksDB store in a temporary directory (the
    /// others in memory); 0 for none.
    #[arg(long, value_name = "N", default_value_t = 50)]
    rocksdb_every: u64,
    /// Engine suite: how many tests (each with its own node) run at once.
    #[arg(long, value_name = "N", default_value_t = 2)]
    jobs: usize,
    /// Engine suite: the `ethrex` binary (default: `$CARGO_TARGET_DIR/debug/ethrex`, else
    /// `target/debug/ethrex`).
    #[arg(long, value_name = "PATH")]
    ethrex: Option<PathBuf>,
}

/// The fixture formats.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum Suite {
    /// `ethereum/tests` TrieTests: roots of key/value sets, and next/prev key lookups.
    Trie,
    /// `ethereum/tests` RLPTests: encodings, invalid and random valid inputs.
    Rlp,
    /// `ethereum/tests` TransactionTests: validity per fork, sender, hash, intrinsic gas.
    Transaction,
    /// `state_tests` and GeneralStateTests: one transaction's post-state root and logs per fork.
    State,
    /// BlockchainTests (EEST and legacy): import blocks, expected exceptions, final head.
    Blockchain,
    /// BasicTests difficulty fixtures: the proof-of-work difficulty formula per fork.
    Difficulty,
    /// Post-merge BlockchainTests replayed against a real `ethrex` process through the Engine
    /// API (newPayload, forkchoiceUpdated; HTTP + JWT).
    Engine,
}

fn main() -> ExitCode {
    let args = Args::parse();
    if args.fork.is_some() && !matches!(args.suite, Suite::State | Suite::Blockchain) {
        eprintln!("error: --fork applies to the state and blockchain suites only");
        return ExitCode::from(2);
    }
    let files = match fixtures::collect_json_files(&args.paths) {
        Ok(files) => files,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::from(2);
        }
    };
    let mut report = report::Report::default();
    if let Suite::Engine = args.suite {
        let options = suites::engine::Options {
            ethrex: args.ethrex.clone().unwrap_or_else(default_ethrex),
            jobs: args.jobs,
        };
        if let Err(err) = suites::engine::run(&files, &options, &mut report) {
            eprintln!("error: {err}");
            return ExitCode::from(2);
        }
    } else {
        for file in &files {
            run_file(&args, file, &mut report);
        }
    }
    report.print(files.len(), args.quiet);
    if report.failed() > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// Runs one fixture file of an in-process suite; a file that cannot be read fails as a whole.
fn run_file(args: &Args, file: &std::path::Path, report: &mut report::Report) {
    let result = match args.suite {
        Suite::Trie => suites::trie::run_file(file, report),
        Suite::Rlp => suites::rlp::run_file(file, report),
        Suite::Transaction => suites::transaction::run_file(file, report),
        Suite::State => suites::state::run_file(file, args.fork, report),
        Suite::Blockchain => {
            suites::blockchain::run_file(file, args.fork, args.rocksdb_every, report)
        }
        Suite::Difficulty => suites::difficulty::run_file(file, report),
        Suite::Engine => Ok(()),
    };
    if let Err(err) = result {
        report.fail(
            report::NO_FORK,
            &file.display().to_string(),
            err.to_string(),
        );
    }
}

/// `$CARGO_TARGET_DIR/debug/ethrex`, or `target/debug/ethrex` without the variable.
fn default_ethrex() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| PathBuf::from("target"), PathBuf::from)
        .join("debug")
        .join("ethrex")
}
