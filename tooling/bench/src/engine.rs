//! `ethrex-bench engine`: the cost of the Engine API path. The chaingen chain (`make
//! import-bench` writes it; Osaka blocks of ETH and ERC20 transfers) is replayed twice with the
//! same `ethrex` binary, each into a fresh RocksDB datadir:
//!
//! - through the Engine API, as a consensus client drives a node: per block
//!   `engine_newPayloadV4` (timed, must be `VALID`) then `engine_forkchoiceUpdatedV3` (timed),
//!   over HTTP with a fresh JWT per request on 127.0.0.1;
//! - through `ethrex import-bench --batch-size 1` (one block per write, the same per-block
//!   commit as the engine path), and for reference with the default batches.
//!
//! It prints newPayload latency (median, p99), forkchoiceUpdated latency, and Mgas/s of each
//! path; the overhead is `import / engine - 1` of the per-block rates.

use std::{
    net::{SocketAddr, TcpListener},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use alloy_primitives::{B256, Bytes, U256};
use alloy_rlp::Decodable;
use clap::Args;
use ethrex_common::types::{Block, Transaction};
use serde_json::{Value, json};

use crate::{
    dev::rpc::Client,
    stats::{format_time, median},
};

/// How long the node may take to answer its first Engine API call.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Args)]
pub struct EngineArgs {
    /// The chaingen chain directory (genesis.json and chain.rlp).
    #[arg(long, default_value = "target/bench-chain")]
    chain: PathBuf,
    /// The ethrex binary [default: `ethrex` next to this benchmark's binary].
    #[arg(long)]
    ethrex: Option<PathBuf>,
    /// Replay only the first N blocks.
    #[arg(long)]
    blocks: Option<usize>,
}

/// A child process killed (and reaped) on drop.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn run(args: &EngineArgs) -> Result<(), String> {
    let binary = match &args.ethrex {
        Some(path) => path.clone(),
        None => std::env::current_exe()
            .map_err(|e| e.to_string())?
            .with_file_name("ethrex"),
    };
    if !binary.exists() {
        return Err(format!(
            "{} not found: build it (`cargo build --release -p ethrex`) or pass --ethrex",
            binary.display()
        ));
    }
    let genesis = args.chain.join("genesis.json");
    let chain_file = args.chain.join("chain.rlp");
    let mut blocks = read_blocks(&chain_file)?;
    if let Some(n) = args.blocks {
        blocks.truncate(n);
    }
    let gas: u64 = blocks.iter().map(|b| b.header.gas_used).sum();
    let work = tempfile::tempdir().map_err(|e| e.to_string())?;
    println!(
        "engine: {} blocks, {:.1} Mgas, ethrex {}",
        blocks.len(),
        gas as f64 / 1e6,
        binary.display()
    );

    let engine = replay_through_engine(&binary, &genesis, &blocks, work.path())?;
    let engine_total: Duration = engine.iter().map(|(np, fcu)| *np + *fcu).sum();
    let engine_rate = gas as f64 / 1e6 / engine_total.as_secs_f64();
    let new_payloads: Vec<Duration> = engine.iter().map(|(np, _)| *np).collect();
    let fcus: Vec<Duration> = engine.iter().map(|(_, fcu)| *fcu).collect();
    println!(
        "  newPayloadV4        median {:>10}  p99 {:>10}",
        format_time(median(new_payloads.clone())),
        format_time(percentile(new_payloads, 99))
    );
    println!(
        "  forkchoiceUpdatedV3 median {:>10}  p99 {:>10}",
        format_time(median(fcus.clone())),
        format_time(percentile(fcus, 99))
    );
    println!("  engine path         {engine_rate:>8.1} Mgas/s (newPayload + forkchoiceUpdated)");

    let file = if args.blocks.is_some() {
        let path = work.path().join("chain.rlp");
        let mut bytes = Vec::new();
        for block in &blocks {
            alloy_rlp::Encodable::encode(block, &mut bytes);
        }
        std::fs::write(&path, bytes).map_err(|e| e.to_string())?;
        path
    } else {
        chain_file
    };
    let per_block = import_bench(&binary, &genesis, &file, 1)?;
    let batched = import_bench(&binary, &genesis, &file, 1024)?;
    println!("  import, 1 per batch {per_block:>8.1} Mgas/s");
    println!("  import, batches     {batched:>8.1} Mgas/s (pipelined, for reference)");
    println!(
        "  engine overhead over import (1 per batch): {:+.1}%",
        (per_block / engine_rate - 1.0) * 100.0
    );
    Ok(())
}

/// The blocks of a chain file (consecutive RLP blocks).
fn read_blocks(path: &Path) -> Result<Vec<Block>, String> {
    let bytes = std::fs::read(path).map_err(|e| {
        format!(
            "{}: {e} (generate the chain with `make import-bench`)",
            path.display()
        )
    })?;
    let mut buf = bytes.as_slice();
    let mut blocks = Vec::new();
    while !buf.is_empty() {
        blocks.push(Block::decode(&mut buf).map_err(|e| format!("{}: {e}", path.display()))?);
    }
    Ok(blocks)
}

/// Starts a node on a fresh datadir and sends every block through the Engine API; the
/// (newPayload, forkchoiceUpdated) round trips.
fn replay_through_engine(
    binary: &Path,
    genesis: &Path,
    blocks: &[Block],
    work: &Path,
) -> Result<Vec<(Duration, Duration)>, String> {
    let secret: [u8; 32] = rand::random();
    let secret_file = work.join("jwt.hex");
    std::fs::write(&secret_file, alloy_primitives::hex::encode(secret))
        .map_err(|e| e.to_string())?;
    let auth_port = free_port()?;
    let http_port = free_port()?;
    let child = Command::new(binary)
        .arg("--network")
        .arg(genesis)
        .arg("--datadir")
        .arg(work.join("engine-db"))
        .arg("--p2p.disabled")
        .args([
            "--authrpc.addr",
            "127.0.0.1",
            "--authrpc.port",
            &auth_port.to_string(),
        ])
        .arg("--authrpc.jwtsecret")
        .arg(&secret_file)
        .args([
            "--http.addr",
            "127.0.0.1",
            "--http.port",
            &http_port.to_string(),
        ])
        .args(["--log.level", "warn"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
    let _node = Process(child);
    let addr = SocketAddr::from(([127, 0, 0, 1], auth_port));
    let mut client = connect(addr, secret)?;
    let mut times = Vec::with_capacity(blocks.len());
    for block in blocks {
        let hash = block.header.hash_slow();
        let (status, new_payload) =
            client.timed_call("engine_newPayloadV4", new_payload_params(block))?;
        if status["status"] != "VALID" {
            return Err(format!("block #{}: {status}", block.header.number));
        }
        let state =
            json!({ "headBlockHash": hash, "safeBlockHash": hash, "finalizedBlockHash": hash });
        let (answer, fcu) =
            client.timed_call("engine_forkchoiceUpdatedV3", json!([state, null]))?;
        if answer["payloadStatus"]["status"] != "VALID" {
            return Err(format!("forkchoice to #{}: {answer}", block.header.number));
        }
        times.push((new_payload, fcu));
    }
    Ok(times)
}

/// A client of the Engine API port once the node answers there.
fn connect(addr: SocketAddr, secret: [u8; 32]) -> Result<Client, String> {
    let started = Instant::now();
    loop {
        let attempt = Client::connect(addr).and_then(|client| {
            let mut client = client.with_jwt(secret);
            client.call("engine_exchangeCapabilities", json!([[]]))?;
            Ok(client)
        });
        match attempt {
            Ok(client) => return Ok(client),
            Err(e) if started.elapsed() > STARTUP_TIMEOUT => {
                return Err(format!("the node's Engine API did not answer: {e}"));
            }
            Err(_) => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}

/// `engine_newPayloadV4` params of an Osaka block without execution requests.
fn new_payload_params(block: &Block) -> Value {
    let h = &block.header;
    let hex = |n: u64| format!("{n:#x}");
    let transactions: Vec<Bytes> = block
        .body
        .transactions
        .iter()
        .map(|tx| Bytes::from(tx.encode_2718()))
        .collect();
    let payload = json!({
        "parentHash": h.parent_hash,
        "feeRecipient": h.beneficiary,
        "stateRoot": h.state_root,
        "receiptsRoot": h.receipts_root,
        "logsBloom": h.logs_bloom,
        "prevRandao": h.mix_hash,
        "blockNumber": hex(h.number),
        "gasLimit": hex(h.gas_limit),
        "gasUsed": hex(h.gas_used),
        "timestamp": hex(h.timestamp),
        "extraData": h.extra_data,
        "baseFeePerGas": U256::from(h.base_fee_per_gas.unwrap_or_default()),
        "blockHash": h.hash_slow(),
        "transactions": transactions,
        "withdrawals": block.body.withdrawals.as_ref().map(|w| w.to_vec()).unwrap_or_default(),
        "blobGasUsed": hex(h.blob_gas_used.unwrap_or_default()),
        "excessBlobGas": hex(h.excess_blob_gas.unwrap_or_default()),
    });
    let hashes: Vec<B256> = block
        .body
        .transactions
        .iter()
        .filter_map(Transaction::blob_versioned_hashes)
        .flatten()
        .copied()
        .collect();
    let beacon_root = h.parent_beacon_block_root.unwrap_or_default();
    json!([payload, hashes, beacon_root, []])
}

/// `ethrex import-bench` of `file` with `batch_size`: its throughput line's Mgas/s (wall time).
fn import_bench(
    binary: &Path,
    genesis: &Path,
    file: &Path,
    batch_size: u64,
) -> Result<f64, String> {
    let out = Command::new(binary)
        .arg("--network")
        .arg(genesis)
        .args([
            "--log.level",
            "warn",
            "import-bench",
            "--batch-size",
            &batch_size.to_string(),
        ])
        .arg(file)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run import-bench: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!(
            "import-bench failed: {text}{}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    text.lines()
        .find_map(|line| {
            let rest = line.strip_prefix("throughput: ")?;
            rest.split_whitespace().next()?.parse().ok()
        })
        .ok_or_else(|| format!("no throughput line in import-bench's output: {text}"))
}

/// The `pct`-th percentile (nearest rank) of `times`; zero when empty.
fn percentile(mut times: Vec<Duration>, pct: usize) -> Duration {
    times.sort_unstable();
    if times.is_empty() {
        return Duration::ZERO;
    }
    let rank = (times.len() * pct).div_ceil(100).clamp(1, times.len());
    times[rank - 1]
}

fn free_port() -> Result<u16, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_takes_the_nearest_rank() {
        let ms = Duration::from_millis;
        let times: Vec<Duration> = (1..=100).map(ms).collect();
        assert_eq!(percentile(times.clone(), 99), ms(99));
        assert_eq!(percentile(times.clone(), 50), ms(50));
        assert_eq!(percentile(vec![ms(5)], 99), ms(5));
        assert_eq!(percentile(Vec::new(), 99), Duration::ZERO);
    }
}
