//! The cases of `ethrex-bench dev`, each run against one node through [`Client`], the same code
//! for ethrex and anvil. Everything is signed before the clock starts; each case checks what it
//! got (receipts successful, the call's value, the log count) and fails otherwise.
//!
//! - [`transfers`]: N senders × M nonces of 1-wei transfers to fresh addresses, sent in JSON-RPC
//!   batches with a bounded number in flight, timed from the first send until the senders'
//!   nonces show every transfer mined.
//! - [`eth_call`]: round trips of `eth_call` to the probe contract's getter, one at a time,
//!   alternating between the two nodes.
//! - [`log_blocks`] then [`get_logs`]: one log-emitting transaction at a time, each waited for,
//!   so each lands in its own block; then `eth_getLogs` over that block range, alternating.

use std::{
    collections::BTreeSet,
    thread,
    time::{Duration, Instant},
};

use alloy_primitives::{Address, U256};
use serde_json::{Value, json};

use super::{
    node::Node,
    rpc::Client,
    txs::{
        Call, PROBE_SLOT_VALUE, PROBE_TOPIC, Sender, Signed, created_address, fresh_address,
        sign_raw,
    },
};
use crate::stats::median;

/// Transactions per `eth_sendRawTransaction` batch.
const SEND_BATCH: usize = 100;
/// Receipts per `eth_getTransactionReceipt` batch when checking.
const RECEIPT_BATCH: usize = 500;
/// Pause between two polls for a receipt.
const POLL_INTERVAL: Duration = Duration::from_micros(500);
/// Pause between two polls of the senders' nonces while transfers are mined.
const TRANSFER_POLL_INTERVAL: Duration = Duration::from_millis(2);
/// How long transactions may take to be mined.
const MINE_TIMEOUT: Duration = Duration::from_secs(300);
/// Untimed requests before a latency is measured.
const WARM_UP: usize = 20;

/// A `0x`-hex quantity as a number.
pub fn quantity(value: &Value) -> Result<u64, String> {
    value
        .as_str()
        .and_then(|s| s.strip_prefix("0x"))
        .and_then(|hex| u64::from_str_radix(hex, 16).ok())
        .ok_or_else(|| format!("not a quantity: {value}"))
}

fn hex_quantity(n: u64) -> String {
    format!("{n:#x}")
}

/// Gives each of `addresses` `balance` wei with `anvil_setBalance` (anvil only: its own
/// accounts are not ethrex's dev accounts).
pub fn fund_on_anvil(node: &Node, addresses: &[Address], balance: U256) -> Result<(), String> {
    let params = addresses
        .iter()
        .map(|address| json!([address, format!("{balance:#x}")]))
        .collect();
    node.client()?.batch("anvil_setBalance", params)?;
    Ok(())
}

/// The next nonce of each of `senders` (their mined transactions' count).
fn nonces(client: &mut Client, senders: &[Sender]) -> Result<Vec<u64>, String> {
    let params = senders
        .iter()
        .map(|s| json!([s.address, "latest"]))
        .collect();
    client
        .batch("eth_getTransactionCount", params)?
        .iter()
        .map(quantity)
        .collect()
}

/// Sends `tx` and returns once its receipt is there, successful.
fn send_and_wait(client: &mut Client, tx: &Signed) -> Result<Value, String> {
    send(client, std::slice::from_ref(tx))?;
    let started = Instant::now();
    loop {
        let receipt = client.call("eth_getTransactionReceipt", json!([tx.hash]))?;
        if !receipt.is_null() {
            return successful(receipt);
        }
        if started.elapsed() > MINE_TIMEOUT {
            return Err(format!("{} not mined after {MINE_TIMEOUT:?}", tx.hash));
        }
        thread::sleep(POLL_INTERVAL);
    }
}

/// Sends `txs` in one batch and checks the node returned their hashes.
fn send(client: &mut Client, txs: &[Signed]) -> Result<(), String> {
    let params = txs.iter().map(|tx| json!([tx.raw_hex()])).collect();
    let hashes = client.batch("eth_sendRawTransaction", params)?;
    for (tx, hash) in txs.iter().zip(&hashes) {
        if hash.as_str() != Some(tx.hash.to_string().as_str()) {
            return Err(format!("sent {}, the node answered {hash}", tx.hash));
        }
    }
    Ok(())
}

fn successful(receipt: Value) -> Result<Value, String> {
    if receipt.get("status").and_then(Value::as_str) == Some("0x1") {
        Ok(receipt)
    } else {
        Err(format!("transaction failed: {receipt}"))
    }
}

fn block_number(receipt: &Value) -> Result<u64, String> {
    quantity(receipt.get("blockNumber").unwrap_or(&Value::Null))
}

/// What [`transfers`] measured.
pub struct Transfers {
    pub count: usize,
    pub elapsed: Duration,
    /// How many blocks the transactions landed in.
    pub blocks: usize,
}

impl Transfers {
    pub fn per_second(&self) -> f64 {
        self.count as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// How [`transfers`] sends.
#[derive(Debug, Clone, Copy)]
pub struct TransferPlan {
    /// Transfers per sender.
    pub per_sender: u64,
    /// Most transactions sent and not yet mined (sending pauses above it).
    pub window: usize,
}

/// `plan.per_sender` transfers from each of `senders`, nonce by nonce (all senders' first
/// transaction, then all their second, ...), in batches of [`SEND_BATCH`], with at most
/// `plan.window` of them sent and not yet mined. Progress is the senders' mined nonces.
pub fn transfers(node: &Node, senders: &[Sender], plan: TransferPlan) -> Result<Transfers, String> {
    let mut client = node.client()?;
    let first_nonces = nonces(&mut client, senders)?;
    let mut txs = Vec::new();
    for offset in 0..plan.per_sender {
        for (index, (sender, first)) in senders.iter().zip(&first_nonces).enumerate() {
            let nonce = first + offset;
            let call = Call::transfer(fresh_address(index, nonce));
            txs.push(sign_raw(node.chain_id, sender, nonce, call)?);
        }
    }

    // The end of the next batch that fits in the window, if one does: a whole batch, or what
    // is left at the end.
    let total = txs.len();
    let next_batch = |sent: usize, mined: usize| {
        let room = (mined + plan.window.max(SEND_BATCH)).min(total);
        let end = (sent + SEND_BATCH).min(room);
        (end == sent + SEND_BATCH || (end > sent && end == total)).then_some(end)
    };
    let started = Instant::now();
    let (mut sent, mut mined) = (0, 0);
    while mined < total {
        if let Some(end) = next_batch(sent, mined) {
            send(&mut client, &txs[sent..end])?;
            sent = end;
            continue;
        }
        mined = mined_count(&mut client, senders, &first_nonces)?;
        if mined < total && next_batch(sent, mined).is_none() {
            if started.elapsed() > MINE_TIMEOUT {
                let left = total - mined;
                return Err(format!("{left} transfers not mined after {MINE_TIMEOUT:?}"));
            }
            thread::sleep(TRANSFER_POLL_INTERVAL);
        }
    }
    let elapsed = started.elapsed();

    let mut blocks = BTreeSet::new();
    for chunk in txs.chunks(RECEIPT_BATCH) {
        let params = chunk.iter().map(|tx| json!([tx.hash])).collect();
        for receipt in client.batch("eth_getTransactionReceipt", params)? {
            blocks.insert(block_number(&successful(receipt)?)?);
        }
    }
    Ok(Transfers {
        count: txs.len(),
        elapsed,
        blocks: blocks.len(),
    })
}

/// How many transactions of `senders` were mined since their nonces were `first_nonces`.
fn mined_count(
    client: &mut Client,
    senders: &[Sender],
    first_nonces: &[u64],
) -> Result<usize, String> {
    let now = nonces(client, senders)?;
    let mined: u64 = now
        .iter()
        .zip(first_nonces)
        .map(|(now, first)| now.saturating_sub(*first))
        .sum();
    usize::try_from(mined).map_err(|e| e.to_string())
}

/// Deploys the probe contract from `deployer`, waits for it and checks its address.
pub fn deploy_probe(node: &Node, deployer: &Sender) -> Result<Address, String> {
    let mut client = node.client()?;
    let nonce = nonces(&mut client, std::slice::from_ref(deployer))?
        .first()
        .copied()
        .ok_or("no nonce for the deployer")?;
    let tx = sign_raw(node.chain_id, deployer, nonce, Call::deploy_probe())?;
    let receipt = send_and_wait(&mut client, &tx)?;
    let expected = created_address(deployer.address, nonce);
    let got = receipt.get("contractAddress").cloned().unwrap_or_default();
    if got.as_str().and_then(|s| s.parse::<Address>().ok()) != Some(expected) {
        return Err(format!("probe deployed at {got}, expected {expected}"));
    }
    Ok(expected)
}

/// Median round trips of `count` `eth_call`s of the probe's getter on each node (`probes[i]`
/// on `nodes[i]`), alternating, after [`WARM_UP`] untimed.
pub fn eth_call(
    nodes: [&Node; 2],
    probes: [Address; 2],
    count: usize,
) -> Result<[Duration; 2], String> {
    let expected = format!(
        "0x{}",
        alloy_primitives::hex::encode(U256::from(PROBE_SLOT_VALUE).to_be_bytes::<32>())
    );
    let params = probes.map(|probe| json!([{ "to": probe, "data": "0x" }, "latest"]));
    alternating(nodes, WARM_UP, count, |side, client| {
        let (result, elapsed) = client.timed_call("eth_call", params[side].clone())?;
        if result.as_str() != Some(expected.as_str()) {
            return Err(format!("eth_call returned {result}, expected {expected}"));
        }
        Ok(elapsed)
    })
}

/// Median round trips of `count` requests on each node, made by `request(i, client of node
/// i)`, alternating between the nodes request by request so that a change of load on the
/// machine hits both alike; the first `warm_up` of each are not timed.
fn alternating(
    nodes: [&Node; 2],
    warm_up: usize,
    count: usize,
    mut request: impl FnMut(usize, &mut Client) -> Result<Duration, String>,
) -> Result<[Duration; 2], String> {
    let mut clients = [nodes[0].client()?, nodes[1].client()?];
    let mut times = [Vec::with_capacity(count), Vec::with_capacity(count)];
    for round in 0..warm_up + count {
        for (side, client) in clients.iter_mut().enumerate() {
            let elapsed =
                request(side, client).map_err(|e| format!("{}: {e}", nodes[side].name))?;
            if round >= warm_up {
                times[side].push(elapsed);
            }
        }
    }
    Ok(times.map(median))
}

/// The blocks [`log_blocks`] produced.
pub struct LogBlocks {
    pub first: u64,
    pub last: u64,
    pub logs: usize,
    /// Median time from sending a transaction to seeing its receipt.
    pub mined_latency: Duration,
}

/// Makes the probe log `count` times, one transaction at a time, each sent once the previous
/// one has its receipt: on both nodes each lands in a block of its own.
pub fn log_blocks(
    node: &Node,
    probe: Address,
    sender: &Sender,
    count: u64,
) -> Result<LogBlocks, String> {
    let mut client = node.client()?;
    let first_nonce = nonces(&mut client, std::slice::from_ref(sender))?
        .first()
        .copied()
        .ok_or("no nonce for the log sender")?;
    let txs = (0..count)
        .map(|i| {
            let call = Call::emit_log(probe, U256::from(i));
            sign_raw(node.chain_id, sender, first_nonce + i, call)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let (mut first, mut last) = (u64::MAX, 0);
    let mut latencies = Vec::with_capacity(txs.len());
    for tx in &txs {
        let started = Instant::now();
        let receipt = send_and_wait(&mut client, tx)?;
        latencies.push(started.elapsed());
        let number = block_number(&receipt)?;
        (first, last) = (first.min(number), last.max(number));
    }
    Ok(LogBlocks {
        first,
        last,
        logs: txs.len(),
        mined_latency: median(latencies),
    })
}

/// Median time of `count` `eth_getLogs` on each node over the blocks it made
/// (`blocks[i]` on `nodes[i]`, the probe `probes[i]`), alternating, after two untimed; each
/// must return every log.
pub fn get_logs(
    nodes: [&Node; 2],
    probes: [Address; 2],
    blocks: [&LogBlocks; 2],
    count: usize,
) -> Result<[Duration; 2], String> {
    let filters = [0, 1].map(|side| {
        json!([{
            "fromBlock": hex_quantity(blocks[side].first),
            "toBlock": hex_quantity(blocks[side].last),
            "address": probes[side],
            "topics": [PROBE_TOPIC],
        }])
    });
    alternating(nodes, 2, count, |side, client| {
        let (logs, elapsed) = client.timed_call("eth_getLogs", filters[side].clone())?;
        let got = logs.as_array().map_or(0, Vec::len);
        if got != blocks[side].logs {
            return Err(format!(
                "eth_getLogs returned {got} logs, expected {}",
                blocks[side].logs
            ));
        }
        Ok(elapsed)
    })
}
