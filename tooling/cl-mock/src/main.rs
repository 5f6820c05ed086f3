//! `cl-mock`: drives a running execution client as a consensus client would, one block per
//! interval, until the block count is reached — for a local node that has no beacon node.
//!
//! Usage: `cl-mock --engine http://127.0.0.1:8551 --jwt-secret jwt.hex --blocks 20
//! --interval-ms 1000` (`--engine` may be repeated: the first builds, every one imports).
//! Each block's timestamp is the wall clock (at least its parent's + 1); the method versions
//! come from `--genesis` when given, else by trying the newest first. Prints one line per
//! block; exits 1 on the first failed call.

use std::{
    path::PathBuf,
    process::ExitCode,
    time::{Duration, Instant},
};

use cl_mock::{Attributes, ClMock, JwtSecret, RpcClient, Schedule, now_secs};
use clap::Parser;
use ethrex_common::Genesis;

/// Drives execution clients through the Engine API (fcU with attributes → getPayload →
/// newPayload → fcU), one block per interval.
#[derive(Debug, Parser)]
#[command(name = "cl-mock", version, about)]
struct Args {
    /// An Engine API endpoint (`http://HOST:PORT`); repeat for several nodes: the first builds.
    #[arg(long, required = true)]
    engine: Vec<String>,
    /// The file holding the hex JWT secret the nodes were started with.
    #[arg(long)]
    jwt_secret: PathBuf,
    /// How many blocks to produce (0: until interrupted).
    #[arg(long, default_value_t = 10)]
    blocks: u64,
    /// Time between the starts of two blocks.
    #[arg(long, default_value_t = 1000)]
    interval_ms: u64,
    /// Time the builder gets between the build's start and getPayload.
    #[arg(long, default_value_t = 200)]
    build_ms: u64,
    /// The nodes' genesis file, for the fork schedule (method versions); probed without it.
    #[arg(long)]
    genesis: Option<PathBuf>,
    /// The fee recipient of the blocks.
    #[arg(long, default_value = "0x0000000000000000000000000000000000000000")]
    fee_recipient: alloy_primitives::Address,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cl-mock: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> Result<(), String> {
    let secret = JwtSecret::read(&args.jwt_secret).map_err(|e| e.to_string())?;
    let engines = args
        .engine
        .iter()
        .map(|url| RpcClient::from_url(url, Some(secret)))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    let schedule = match &args.genesis {
        Some(path) => {
            let genesis =
                Genesis::from_file(path).map_err(|e| format!("{}: {e}", path.display()))?;
            Schedule::Known(Box::new(genesis.config().clone()))
        }
        None => Schedule::Probe,
    };
    let mut mock = ClMock::new(engines, schedule).map_err(|e| e.to_string())?;
    mock.build_time = Duration::from_millis(args.build_ms);
    let interval = Duration::from_millis(args.interval_ms);
    let head = mock.head();
    println!(
        "head #{} {} on {}",
        head.number,
        head.hash,
        args.engine.join(", ")
    );
    let mut produced = 0;
    while args.blocks == 0 || produced < args.blocks {
        let started = Instant::now();
        let parent = mock.head();
        let attrs = Attributes {
            timestamp: now_secs().max(parent.timestamp.saturating_add(1)),
            fee_recipient: args.fee_recipient,
            ..Attributes::after(&parent, 1, 0)
        };
        let built = mock.produce_block(&attrs).map_err(|e| e.to_string())?;
        let blobs = built.check_blobs().map_err(|e| e.to_string())?;
        println!(
            "block #{} {} txs {} blobs {} gas {} (getPayloadV{}, newPayloadV{})",
            built.head.number,
            built.head.hash,
            built.transactions().len(),
            blobs,
            cl_mock::quantity(&built.payload["gasUsed"]).unwrap_or_default(),
            built.versions.get_payload,
            built.versions.new_payload,
        );
        produced += 1;
        std::thread::sleep(interval.saturating_sub(started.elapsed()));
    }
    Ok(())
}
