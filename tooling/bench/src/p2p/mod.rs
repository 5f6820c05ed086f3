//! `ethrex-bench p2p`: what the p2p layer serves per second, over real RLPx connections on
//! 127.0.0.1, measured by our own client session (`ethrex_p2p::eth::EthPeer`) in this process.
//!
//! - Headers+bodies (`chain.rs`): a chain with transactions (by default go-ethereum v1.17.5's
//!   devp2p test chain, 600 blocks) imported into a RocksDB store and served by an ethrex
//!   session; then the same chain imported by geth ([`geth::GETH_VERSION`]) and served by it to
//!   the same client code. Blocks/s, headers/s, bodies/s and MB/s of each, and their ratio.
//! - Snap (`snap.rs`): a chaingen state of `--accounts` senders (1,000,000 by default) served by
//!   an ethrex session; the whole account range walked with GetAccountRange. Accounts/s and
//!   bytes/s. No reference: geth cannot be fed the same generated state quickly.
//!
//! For the ethrex server both ends of the connection run in this process (2 runtime threads),
//! so the client's cost is in the ethrex numbers and, in a separate process, out of geth's.

mod chain;
mod geth;
mod session;
mod snap;

use std::{path::PathBuf, process::Command, sync::Arc, time::Duration, time::Instant};

use alloy_primitives::B256;
use clap::Args;
use ethrex_common::Genesis;

use chain::{Client, FetchParams, Fetched};

/// The go-ethereum release whose devp2p test chain is served by default (the newest without
/// Amsterdam blocks, as in `tests/devp2p/rlpx.sh`).
const TEST_CHAIN_VERSION: &str = "v1.17.5";
/// How long geth may take to accept our connection after it starts.
const GETH_STARTUP: Duration = Duration::from_secs(60);

#[derive(Args)]
pub struct P2pArgs {
    /// The served chain's directory (genesis.json and chain.rlp) [default: go-ethereum
    /// v1.17.5's devp2p test chain, from the Go module cache].
    #[arg(long)]
    chain: Option<PathBuf>,
    /// Seconds of fetching from each server (whole rounds, after one untimed round).
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    /// Headers per GetBlockHeaders.
    #[arg(long, default_value_t = 192)]
    header_batch: u64,
    /// Hashes per GetBlockBodies.
    #[arg(long, default_value_t = 128)]
    body_batch: usize,
    /// Requests in flight at once while fetching headers and bodies.
    #[arg(long, default_value_t = 4)]
    inflight: usize,
    /// The most requests sent over one session before the client opens a new one (untimed), to
    /// stay below a per-peer request budget of the serving node.
    #[arg(long, default_value_t = 500)]
    session_requests: u64,
    /// The geth binary (installed there if missing).
    #[arg(long, default_value = "target/tools/bin/geth")]
    geth: PathBuf,
    /// Funded senders of the generated snap state (it holds 5 more accounts).
    #[arg(long, default_value_t = 1_000_000)]
    accounts: usize,
    /// Slices of the key space walked at once by the snap client.
    #[arg(long, default_value_t = 1)]
    snap_chunks: u64,
    /// Run only the headers+bodies part.
    #[arg(long, conflicts_with = "snap_only")]
    chain_only: bool,
    /// Run only the snap part.
    #[arg(long)]
    snap_only: bool,
}

pub fn run(args: &P2pArgs) -> Result<(), String> {
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    if !args.snap_only {
        headers_and_bodies(args, &runtime)?;
    }
    if !args.chain_only {
        snap_accounts(args, &runtime)?;
    }
    Ok(())
}

fn headers_and_bodies(args: &P2pArgs, runtime: &tokio::runtime::Runtime) -> Result<(), String> {
    let dir = match &args.chain {
        Some(dir) => dir.clone(),
        None => default_chain()?,
    };
    let (genesis_file, chain_file) = (dir.join("genesis.json"), dir.join("chain.rlp"));
    let genesis = Genesis::from_file(&genesis_file).map_err(|e| e.to_string())?;
    let network_id = genesis.config().chain_id;
    let blocks = chain::read_blocks(&chain_file)?;
    let hashes: Arc<Vec<B256>> = Arc::new(blocks.iter().map(|b| b.header.hash_slow()).collect());
    let txs: usize = blocks.iter().map(|b| b.body.transactions.len()).sum();
    let params = FetchParams {
        header_batch: args.header_batch,
        body_batch: args.body_batch,
        inflight: args.inflight,
        duration: Duration::from_secs_f64(args.seconds),
        session_requests: args.session_requests,
    };
    println!(
        "p2p headers+bodies: {} ({} blocks, {txs} transactions); GetBlockHeaders of {}, \
         GetBlockBodies of {}, {} in flight, {} s per server, servers taking turns round by round",
        dir.display(),
        blocks.len(),
        params.header_batch,
        params.body_batch,
        params.inflight,
        args.seconds
    );
    let work = tempfile::tempdir().map_err(|e| e.to_string())?;
    let started = Instant::now();
    let store = chain::import(&genesis, &blocks, &work.path().join("ethrex"))?;
    println!(
        "  ethrex: imported the chain in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let reference = match geth::find_or_install(&args.geth) {
        Ok(bin) => {
            let key = session::Key::random()?;
            let node = geth::start(
                &bin,
                &genesis_file,
                &chain_file,
                network_id,
                (key.secret, key.public_key()),
                work.path(),
            )?;
            Some(node)
        }
        Err(reason) => {
            println!("  geth: reference skipped: {reason}");
            None
        }
    };
    let result = runtime.block_on(async {
        let mut ethrex = Client::new(
            async || session::loopback(&store, network_id).await,
            hashes.clone(),
            params,
        )
        .await?;
        let Some(node) = &reference else {
            while !ethrex.done() {
                ethrex.round().await?;
            }
            return Ok((ethrex.fetched, None));
        };
        let (addr, id) = (node.addr, node.id);
        let mut geth = Client::new(
            async || session::dial_when_up(addr, id, &store, network_id, GETH_STARTUP).await,
            hashes.clone(),
            params,
        )
        .await
        .map_err(|e| format!("geth: {e}"))?;
        while !ethrex.done() || !geth.done() {
            if !ethrex.done() {
                ethrex.round().await?;
            }
            if !geth.done() {
                geth.round().await.map_err(|e| format!("geth: {e}"))?;
            }
        }
        Ok::<_, String>((ethrex.fetched, Some(geth.fetched)))
    });
    let (ethrex, geth) = match (result, &reference) {
        (Ok(fetched), _) => fetched,
        (Err(e), Some(node)) if e.starts_with("geth") => {
            let log = std::fs::read_to_string(&node.log).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(20).collect();
            return Err(format!("{e}; geth's log ends with:\n{}", tail.join("\n")));
        }
        (Err(e), _) => return Err(e),
    };
    drop(reference);
    print_fetched("ethrex", &ethrex);
    let Some(geth) = geth else {
        return Ok(());
    };
    print_fetched("geth", &geth);
    println!(
        "  ratio ethrex/geth: blocks/s {:.2}x, headers/s {:.2}x, bodies/s {:.2}x (above 1: \
         ethrex serves faster)",
        ethrex.blocks_per_sec() / geth.blocks_per_sec(),
        ethrex.headers_per_sec() / geth.headers_per_sec(),
        ethrex.bodies_per_sec() / geth.bodies_per_sec()
    );
    Ok(())
}

fn print_fetched(name: &str, fetched: &Fetched) {
    println!(
        "  {name:<7} {:>9.0} blocks/s  {:>9.0} headers/s  {:>9.0} bodies/s  {:>7.1} MB/s  \
         ({} rounds, {} blocks, {:.1} MB in {:.2} s)",
        fetched.blocks_per_sec(),
        fetched.headers_per_sec(),
        fetched.bodies_per_sec(),
        fetched.mb_per_sec(),
        fetched.rounds,
        fetched.blocks,
        fetched.bytes as f64 / 1e6,
        fetched.elapsed().as_secs_f64()
    );
}

/// go-ethereum's devp2p test chain in the Go module cache, downloaded there if missing.
fn default_chain() -> Result<PathBuf, String> {
    let cache = Command::new("go")
        .args(["env", "GOMODCACHE"])
        .output()
        .ok()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_string())
        .filter(|dir| !dir.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join("go/pkg/mod")))
        .ok_or("no Go module cache: pass --chain")?;
    let dir = cache.join(format!(
        "github.com/ethereum/go-ethereum@{TEST_CHAIN_VERSION}/cmd/devp2p/internal/ethtest/testdata"
    ));
    if !dir.join("chain.rlp").exists() {
        let _ = Command::new("go")
            .args(["mod", "download"])
            .arg(format!(
                "github.com/ethereum/go-ethereum@{TEST_CHAIN_VERSION}"
            ))
            .env("GOFLAGS", "-mod=mod")
            .current_dir(std::env::temp_dir())
            .status();
    }
    if !dir.join("chain.rlp").exists() {
        return Err(format!("{} not found: pass --chain", dir.display()));
    }
    Ok(dir)
}

fn snap_accounts(args: &P2pArgs, runtime: &tokio::runtime::Runtime) -> Result<(), String> {
    let work = tempfile::tempdir().map_err(|e| e.to_string())?;
    let state = snap::generate(args.accounts, work.path())?;
    let setup = state.generate + state.write;
    println!(
        "p2p snap AccountRange: chaingen state of {} accounts ({} senders), root {}; generated \
         in {:.1} s (keys, genesis JSON, its trie), written to RocksDB in {:.1} s",
        state.accounts,
        args.accounts,
        state.root,
        state.generate.as_secs_f64(),
        state.write.as_secs_f64()
    );
    if setup > Duration::from_secs(300) {
        println!(
            "  note: generating the state took over 5 minutes; a smaller --accounts is quicker"
        );
    }
    let (walked, elapsed) = runtime.block_on(async {
        let link = session::loopback(&state.store, state.network_id).await?;
        let started = Instant::now();
        let walked = snap::walk(&link.client, state.root, args.snap_chunks).await?;
        Ok::<_, String>((walked, started.elapsed()))
    })?;
    let secs = elapsed.as_secs_f64();
    println!(
        "  ethrex  {:>9.0} accounts/s  {:>7.1} MB/s  ({} accounts, {:.1} MB in {} requests of \
         {} KiB, {} in flight, {secs:.2} s)",
        walked.accounts as f64 / secs,
        walked.bytes as f64 / 1e6 / secs,
        walked.accounts,
        walked.bytes as f64 / 1e6,
        walked.requests,
        snap::RESPONSE_BYTES / 1024,
        args.snap_chunks
    );
    println!(
        "  no reference client: geth cannot be fed the same generated state quickly (it would \
         have to import a {}-account genesis itself)",
        state.accounts
    );
    if walked.accounts != state.accounts {
        return Err(format!(
            "the walk received {} accounts, the state holds {}",
            walked.accounts, state.accounts
        ));
    }
    Ok(())
}
