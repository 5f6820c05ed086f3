//! `ethrex-bench l2`: the rollup (`ethrex l2 --dev`) against its own L1 (`ethrex --dev`) in one
//! run, and the rollup's own latencies and costs. See the README's `l2` section.
//!
//! 1. Throughput: the same plan of signed transfers (the `dev` benchmark's [`transfers`] case)
//!    first on `ethrex --dev --dev.block-time <block time>`, killed after, then on `ethrex l2
//!    --dev` (block producer at the same block time); time until all are mined, tx/s, and the
//!    ratio of the times.
//! 2. The rollup then seals, commits and proves the transfers' batches; the run waits until L1
//!    has verified all of them (time reported) and reads the in-process exec prover's timings
//!    from the log ([`rollup::proved_batches`]).
//! 3. Transfers per full blob ([`blob`]): the L2's transfer blocks packed into one blob.
//! 4. Deposits and withdrawals ([`bridge`]), one at a time, on the now idle rollup: medians.
//!
//! Every step checks what it measures (transfers mined and successful, balances, the claim)
//! and the run fails otherwise; there are no assertions on speed: targets are printed with
//! whether they are met.

mod blob;
mod bridge;
mod rollup;

use std::{
    path::PathBuf,
    thread,
    time::{Duration, Instant},
};

use alloy_primitives::{Address, U256, keccak256};
use clap::Args;
use ethrex_common::dev::dev_accounts;
use ethrex_l2_sdk::{EthClient, tx::Signer};
use serde_json::json;

use self::{blob::BlobFill, bridge::Endpoints, rollup::Rollup};
use crate::{
    dev::{
        cases::{self, TransferPlan, Transfers, quantity},
        node::{self, Node},
        txs::Sender,
    },
    stats::{format_time, median},
};

/// The targets.
const TARGET_RATIO: f64 = 1.25;
const TARGET_DEPOSIT: Duration = Duration::from_secs(5);
const TARGET_WITHDRAWAL: Duration = Duration::from_secs(30);
/// What ethrex measured per RLP-block blob (the figure, for comparison).
const ETHREX_PER_BLOB: usize = 965;
/// How long the rollup may take to verify the transfers' batches on L1 after they are mined.
const VERIFY_TIMEOUT: Duration = Duration::from_secs(600);

/// Flags of `ethrex-bench l2`.
#[derive(Args)]
pub struct L2Args {
    /// The ethrex binary (default: `ethrex` next to this executable).
    #[arg(long)]
    ethrex: Option<PathBuf>,
    /// Transfer senders (dev accounts from #0, rich on both chains).
    #[arg(long, default_value_t = 100)]
    senders: usize,
    /// Transfers per sender.
    #[arg(long, default_value_t = 200)]
    per_sender: u64,
    /// Most transfers sent and not yet mined (sending waits above it; the mempool holds 10,000).
    #[arg(long, default_value_t = 5_000)]
    window: usize,
    /// Milliseconds between blocks on both chains (`--dev.block-time` of the L1, the L2's
    /// `--block-producer.block-time`; 1000 is the L2's dev default, which the deposit and
    /// withdrawal targets assume).
    #[arg(long, default_value_t = 1_000)]
    block_time: u64,
    /// Deposits timed (median reported).
    #[arg(long, default_value_t = 5)]
    deposits: usize,
    /// Withdrawals timed (median reported).
    #[arg(long, default_value_t = 3)]
    withdrawals: usize,
}

/// Runs the benchmark and prints its table; fails on any error or failed check.
pub fn run(args: &L2Args) -> Result<(), String> {
    let accounts = dev_accounts().map_err(|e| e.to_string())?;
    // Senders from #0, then depositors, then withdrawers; #189 and #190 are the rollup's own.
    let needed = args.senders + args.deposits + args.withdrawals;
    if needed > 189 {
        return Err(format!(
            "{needed} dev accounts needed, 189 available (#189, #190 run the rollup)"
        ));
    }
    let senders: Vec<Sender> = accounts[..args.senders]
        .iter()
        .map(|a| Sender {
            secret: a.secret,
            address: a.address,
        })
        .collect();
    let signer = |index: usize| {
        Signer::new(accounts[index].secret).map_err(|e| format!("dev key #{index}: {e}"))
    };
    let depositors = (args.senders..args.senders + args.deposits)
        .map(signer)
        .collect::<Result<Vec<_>, _>>()?;
    let withdrawers = (args.senders + args.deposits..needed)
        .map(signer)
        .collect::<Result<Vec<_>, _>>()?;
    let binary = node::ethrex_binary(args.ethrex.as_deref())?;
    let plan = TransferPlan {
        per_sender: args.per_sender,
        window: args.window,
    };
    let block_time = args.block_time.to_string();

    eprintln!(
        "l2: {} transfers on ethrex --dev --dev.block-time {block_time}",
        senders.len() as u64 * args.per_sender
    );
    let on_l1 = {
        let l1 = Node::start_ethrex_with(&binary, &["--dev.block-time", &block_time])?;
        cases::transfers(&l1, &senders, plan).map_err(|e| format!("ethrex --dev: {e}"))?
    };

    eprintln!("l2: starting ethrex l2 --dev");
    let rollup = Rollup::start(&binary, &["--block-producer.block-time", &block_time])?;
    let endpoints = Endpoints {
        l1: EthClient::new(&rollup.l1_url).map_err(|e| e.to_string())?,
        l2: EthClient::new(&format!("http://{}", rollup.l2.addr)).map_err(|e| e.to_string())?,
        bridge: rollup.bridge,
        proposer: rollup.proposer,
    };

    // The bridge first, on the idle rollup: what a user sees on the dev defaults.
    eprintln!("l2: {} deposits, one at a time", args.deposits);
    let amount = U256::from(10u64).pow(U256::from(17));
    let mut deposits = Vec::new();
    for (i, depositor) in depositors.iter().enumerate() {
        let recipient = Address::from_slice(&keccak256(format!("l2 bench deposit {i}"))[12..]);
        deposits.push(bridge::deposit(&endpoints, depositor, recipient, amount)?);
    }
    eprintln!("l2: {} withdrawals, one at a time", args.withdrawals);
    let mut withdrawals = Vec::new();
    for withdrawer in &withdrawers {
        withdrawals.push(bridge::withdrawal(&endpoints, withdrawer, amount)?);
    }

    eprintln!("l2: the same transfers on ethrex l2 --dev");
    let proved_before = rollup::proved_batches(&rollup.log()?).len();
    let mut client = rollup.l2.client()?;
    let first_block = quantity(&client.call("eth_blockNumber", json!([]))?)? + 1;
    let on_l2 = cases::transfers(&rollup.l2, &senders, plan)
        .map_err(|e| format!("ethrex l2 --dev: {e} (log: {})", rollup.log_tail(5)))?;
    let last_block = quantity(&client.call("eth_blockNumber", json!([]))?)?;
    let blocks = blob::fetch(&mut client, first_block, last_block)?;
    let fill = blob::per_full_blob(&blocks)?;
    let largest_block = blocks
        .iter()
        .map(|b| b.block.body.transactions.len())
        .max()
        .unwrap_or(0);

    eprintln!("l2: waiting for L1 to verify the batches of blocks {first_block}..={last_block}");
    let verified = wait_verified(&rollup, &endpoints, last_block);
    let proved: Vec<_> = rollup::proved_batches(&rollup.log()?)
        .into_iter()
        .skip(proved_before)
        .collect();

    let report = Report {
        block_time: args.block_time,
        senders: senders.len(),
        window: args.window,
        on_l1,
        on_l2,
        verified: verified.clone(),
        transfer_blocks: (first_block, last_block),
        largest_block,
        proved,
        fill,
        deposits,
        withdrawals,
    };
    print_report(&report);
    verified.map(|_| ())
}

/// Waits until L1's last verified batch ends at or after L2 block `last_block`; the time it
/// took.
fn wait_verified(
    rollup: &Rollup,
    endpoints: &Endpoints,
    last_block: u64,
) -> Result<Duration, String> {
    let started = Instant::now();
    loop {
        let verified = bridge::last_verified_batch(endpoints)?;
        let batch: serde_json::Value = endpoints
            .l2
            .request("ethrex_getBatchByNumber", json!([verified, false]))
            .map_err(|e| format!("ethrex_getBatchByNumber: {e}"))?;
        if batch["last_block"]
            .as_u64()
            .is_some_and(|last| last >= last_block)
        {
            return Ok(started.elapsed());
        }
        // A block larger than a blob can never be committed: no use waiting.
        if let Some(line) = rollup
            .log()?
            .lines()
            .find(|line| line.contains("one blob holds"))
        {
            return Err(format!(
                "the rollup cannot commit the transfers' blocks (verified up to batch \
                 {verified}): {line}"
            ));
        }
        if started.elapsed() > VERIFY_TIMEOUT {
            return Err(format!(
                "L1 verified only up to batch {verified} ({batch}) {VERIFY_TIMEOUT:?} after the \
                 transfers, not L2 block {last_block}; the rollup's last complaints:\n{}",
                rollup.log_tail(10)
            ));
        }
        thread::sleep(Duration::from_millis(200));
    }
}

/// Everything the run measured.
struct Report {
    block_time: u64,
    on_l1: Transfers,
    on_l2: Transfers,
    senders: usize,
    window: usize,
    /// The time from the last transfer mined to L1 verifying its batch, or why it did not.
    verified: Result<Duration, String>,
    transfer_blocks: (u64, u64),
    /// The most transfers in one L2 block.
    largest_block: usize,
    proved: Vec<rollup::Proved>,
    fill: BlobFill,
    deposits: Vec<Duration>,
    withdrawals: Vec<Duration>,
}

fn met(ok: bool) -> &'static str {
    if ok { "met" } else { "NOT met" }
}

fn print_report(r: &Report) {
    let ratio = r.on_l2.elapsed.as_secs_f64() / r.on_l1.elapsed.as_secs_f64().max(1e-9);
    let deposit = median(r.deposits.clone());
    let withdrawal = median(r.withdrawals.clone());
    let row = |what: &str, value: String, target: &str| {
        println!("{what:<40} {value:>26}  {target}");
    };
    println!(
        "ethrex l2 --dev (L2, block time {0} ms) against ethrex --dev (L1, --dev.block-time {0})",
        r.block_time
    );
    row("measure", "value".into(), "target");
    for (name, t) in [
        ("L1 ethrex --dev", &r.on_l1),
        ("L2 ethrex l2 --dev", &r.on_l2),
    ] {
        row(
            &format!("{name}: {} transfers", t.count),
            format!("{} {:>7.0} tx/s", format_time(t.elapsed), t.per_second()),
            &format!("{} blocks", t.blocks),
        );
    }
    row(
        "ratio l2/l1 (time)",
        format!("{ratio:.2}"),
        &format!("target ≤ {TARGET_RATIO}: {}", met(ratio <= TARGET_RATIO)),
    );
    let fill = &r.fill;
    row(
        if fill.full {
            "transfers per full blob"
        } else {
            "transfers in one blob (NOT full)"
        },
        fill.transfers.to_string(),
        &format!(
            "{} of {} bytes, {} whole blocks + a cut one; ethrex measured {ETHREX_PER_BLOB}",
            fill.payload_bytes,
            blob::CAPACITY,
            fill.whole_blocks
        ),
    );
    row(
        &format!("deposit → L2 balance (median of {})", r.deposits.len()),
        format_time(deposit),
        &format!(
            "target ≤ {} s: {}; all: {}",
            TARGET_DEPOSIT.as_secs(),
            met(deposit <= TARGET_DEPOSIT),
            list(&r.deposits)
        ),
    );
    row(
        &format!("withdrawal → claimable (median of {})", r.withdrawals.len()),
        format_time(withdrawal),
        &format!(
            "target ≤ {} s: {}; all: {}",
            TARGET_WITHDRAWAL.as_secs(),
            met(withdrawal <= TARGET_WITHDRAWAL),
            list(&r.withdrawals)
        ),
    );
    // The batches proved after the transfers started: theirs (and a few empty ones).
    let with_gas: Vec<&rollup::Proved> = r.proved.iter().filter(|p| p.gas_used > 0).collect();
    let seconds: f64 = with_gas.iter().map(|p| p.seconds).sum();
    let gas: u64 = with_gas.iter().map(|p| p.gas_used).sum();
    let per_batch = median(
        with_gas
            .iter()
            .map(|p| Duration::from_secs_f64(p.seconds))
            .collect(),
    );
    if with_gas.is_empty() {
        row(
            "exec proving of the transfers",
            "FAILED".into(),
            "no batch of the transfers was proved",
        );
    } else {
        row(
            &format!("exec proving ({} batches)", with_gas.len()),
            format!(
                "{} /batch {:>5.1} Mgas/s",
                format_time(per_batch),
                gas as f64 / seconds.max(1e-9) / 1e6
            ),
            &format!(
                "median; {:.1} Mgas in {seconds:.2} s in all",
                gas as f64 / 1e6
            ),
        );
    }
    match &r.verified {
        Ok(after) => row(
            "last transfer mined → verified on L1",
            format_time(*after),
            &format!(
                "L2 blocks {}..={}",
                r.transfer_blocks.0, r.transfer_blocks.1
            ),
        ),
        Err(e) => row("transfers verified on L1", "FAILED".into(), e),
    }
    println!(
        "sending: {} transfers from {} senders, at most {} sent and not yet mined; the largest \
         L2 block held {} transfers",
        r.on_l2.count, r.senders, r.window, r.largest_block
    );
}

fn list(times: &[Duration]) -> String {
    times
        .iter()
        .map(|t| format!("{:.2}", t.as_secs_f64()))
        .collect::<Vec<_>>()
        .join(", ")
        + " s"
}
