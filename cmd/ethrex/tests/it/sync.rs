//! Full sync between nodes on 127.0.0.1: node A imports a generated post-merge chain of 3,000
//! blocks with transfers. Node B (A as bootnode, empty data directory) is told A's head by
//! `engine_forkchoiceUpdatedV3`, as a consensus client would: it answers SYNCING (never
//! INVALID) while it downloads and executes the chain, `eth_syncing` shows its progress, and it
//! ends with A's head hash and state root (time and blocks/s printed). Node C does the same on
//! a disk data directory but is SIGKILLed mid-sync: restarted, it keeps the blocks it had
//! committed, executes only the rest (the `ethrex_sync_blocks_total` metric) and reaches the
//! same head. Node D snap-syncs instead (`--syncmode snap`): it downloads the state of block
//! 2,936 (64 below the head), proof-checked, and executes only the last 64 blocks.

use std::time::{Duration, Instant};

use ethrex_test_utils::node::{Node, http_get, wait_for};
use serde_json::{Value, json};

use crate::ETHREX;

const BLOCKS: u64 = 3000;
/// How long a node may take to sync the whole chain.
const SYNC_TIMEOUT: Duration = Duration::from_secs(600);

fn start(genesis: &str, datadir: &str, extra: &[&str]) -> Node {
    let syncmode = if extra.contains(&"snap") {
        "snap"
    } else {
        "full"
    };
    let extra: Vec<&str> = extra.iter().copied().filter(|a| *a != "snap").collect();
    let mut args = vec![
        "--datadir",
        datadir,
        "--network",
        genesis,
        "--p2p.addr",
        "127.0.0.1",
        "--p2p.port",
        "0",
        "--discovery.port",
        "0",
        "--p2p.lookup-interval",
        "200",
        "--syncmode",
        syncmode,
    ];
    args.extend_from_slice(&extra);
    ETHREX.start(&args)
}

fn enode(node: &Node) -> String {
    let line = node.wait_for_log("discovery on udp://", Duration::from_secs(5));
    let (_, enode) = line.split_once(", enode ").expect("an enode");
    enode.trim().to_string()
}

fn number(value: &Value) -> u64 {
    u64::from_str_radix(value.as_str().expect("hex").trim_start_matches("0x"), 16).expect("hex")
}

fn wait_for_peer(node: &Node) {
    wait_for(Duration::from_secs(30), "a peer", || {
        let count = node.result("net_peerCount", json!([]));
        (number(&count) >= 1).then_some(())
    });
}

/// Sends forkchoiceUpdated of `head` until it is VALID (every answer must be SYNCING, ACCEPTED
/// or VALID); returns the statuses seen in order and whether `eth_syncing` ever showed a
/// sync towards `head`. `stop_when` ends early (returning what was seen) once it holds.
fn sync_to(node: &Node, head: &Value, stop_when: impl Fn(&Node) -> bool) -> (Vec<String>, bool) {
    let state = json!({
        "headBlockHash": head["hash"],
        "safeBlockHash": head["hash"],
        "finalizedBlockHash": head["hash"],
    });
    let started = Instant::now();
    let mut statuses: Vec<String> = Vec::new();
    let mut reported = false;
    loop {
        let answer = node.engine_call("engine_forkchoiceUpdatedV3", json!([state, null]));
        let status = answer["result"]["payloadStatus"]["status"]
            .as_str()
            .unwrap_or_else(|| panic!("no status in {answer}"))
            .to_string();
        assert!(
            ["SYNCING", "ACCEPTED", "VALID"].contains(&status.as_str()),
            "while syncing the node answered {answer}"
        );
        if statuses.last() != Some(&status) {
            statuses.push(status.clone());
        }
        if status == "VALID" {
            return (statuses, reported);
        }
        let syncing = node.result("eth_syncing", json!([]));
        if syncing.is_object() && syncing["highestBlock"] == head["number"] {
            assert!(number(&syncing["currentBlock"]) <= number(&head["number"]));
            reported = true;
        }
        if stop_when(node) {
            return (statuses, reported);
        }
        assert!(
            started.elapsed() < SYNC_TIMEOUT,
            "not synced after {SYNC_TIMEOUT:?}: at {}",
            node.result("eth_blockNumber", json!([]))
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn metric(node: &Node, name: &str) -> f64 {
    let (status, body) = http_get(node.metrics_addr(), "/metrics");
    assert_eq!(status, 200);
    body.lines()
        .find_map(|line| line.strip_prefix(name)?.trim().parse().ok())
        .unwrap_or(0.0)
}

#[test]
fn nodes_full_sync_a_3000_block_chain_from_a_peer_and_resume_after_sigkill() {
    let dir = tempfile::tempdir().expect("temp dir");
    let chain = dir.path().join("chain");
    let params = ethrex_chaingen::ChainParams {
        senders: 50,
        gas_limit: 1_000_000,
        erc20_share: 30,
        seed: 11,
    };
    let summary =
        ethrex_chaingen::write_chain(&params, BLOCKS, &chain, |_| {}).expect("generate the chain");
    assert_eq!(summary.blocks, BLOCKS);
    let genesis = chain.join("genesis.json");
    let genesis = genesis.to_str().expect("utf-8");
    let a_dir = dir.path().join("a");
    let a_dir = a_dir.to_str().expect("utf-8");
    let import = ETHREX
        .command()
        .args(["--datadir", a_dir, "--network", genesis, "import"])
        .arg(chain.join("chain.rlp"))
        .output()
        .expect("run ethrex import");
    assert!(import.status.success(), "{import:?}");
    let a = start(genesis, a_dir, &[]);
    let a_enode = enode(&a);
    let head = a.result("eth_getBlockByNumber", json!(["latest", false]));
    assert_eq!(number(&head["number"]), BLOCKS);

    // B: one uninterrupted sync.
    let b = start(genesis, "memory", &["--bootnodes", &a_enode]);
    wait_for_peer(&b);
    let started = Instant::now();
    let (statuses, reported) = sync_to(&b, &head, |_| false);
    let elapsed = started.elapsed();
    assert_eq!(statuses.first().map(String::as_str), Some("SYNCING"));
    assert!(reported, "eth_syncing never showed the sync");
    let b_head = b.result("eth_getBlockByNumber", json!(["latest", false]));
    assert_eq!(b_head["hash"], head["hash"]);
    assert_eq!(b_head["stateRoot"], head["stateRoot"]);
    assert_eq!(b.result("eth_syncing", json!([])), json!(false));
    println!(
        "full sync: {BLOCKS} blocks ({} transactions) in {:.1} s, {:.0} blocks/s",
        summary.transactions,
        elapsed.as_secs_f64(),
        BLOCKS as f64 / elapsed.as_secs_f64()
    );
    drop(b);

    // C: killed once it committed a batch, restarted on the same data directory.
    let c_dir = dir.path().join("c");
    let c_dir = c_dir.to_str().expect("utf-8");
    let metrics = [
        "--metrics",
        "--metrics.addr",
        "127.0.0.1",
        "--metrics.port",
        "0",
    ];
    let mut args = vec!["--bootnodes", a_enode.as_str()];
    args.extend_from_slice(&metrics);
    let mut c = start(genesis, c_dir, &args);
    wait_for_peer(&c);
    let (statuses, _) = sync_to(&c, &head, |node| {
        number(&node.result("eth_blockNumber", json!([]))) >= 1024
    });
    assert!(
        !statuses.contains(&"VALID".to_string()),
        "synced before the kill"
    );
    c.child.kill().expect("SIGKILL");
    let _ = c.child.wait();
    drop(c);
    let c = start(genesis, c_dir, &args);
    let kept = number(&c.result("eth_blockNumber", json!([])));
    assert!(kept >= 1024, "the committed batch survived: at #{kept}");
    wait_for_peer(&c);
    sync_to(&c, &head, |_| false);
    let c_head = c.result("eth_getBlockByNumber", json!(["latest", false]));
    assert_eq!(c_head["hash"], head["hash"]);
    assert_eq!(c_head["stateRoot"], head["stateRoot"]);
    // The head moves inside the last batch's commit; the counter follows right after.
    let expected = (BLOCKS - kept) as f64;
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut executed = metric(&c, "ethrex_sync_blocks_total");
    while executed < expected && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
        executed = metric(&c, "ethrex_sync_blocks_total");
    }
    assert_eq!(
        executed, expected,
        "after the restart only the blocks above #{kept} were executed"
    );
    println!(
        "crash: killed at #{kept} or later, restarted, executed {executed} blocks to the head"
    );
    drop(c);

    // D: snap sync.
    let mut args = vec!["--bootnodes", a_enode.as_str(), "snap"];
    args.extend_from_slice(&metrics);
    let d = start(genesis, "memory", &args);
    wait_for_peer(&d);
    let started = Instant::now();
    let (statuses, _) = sync_to(&d, &head, |_| false);
    let elapsed = started.elapsed();
    assert_eq!(statuses.first().map(String::as_str), Some("SYNCING"));
    let d_head = d.result("eth_getBlockByNumber", json!(["latest", false]));
    assert_eq!(d_head["hash"], head["hash"]);
    assert_eq!(d_head["stateRoot"], head["stateRoot"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut executed = metric(&d, "ethrex_sync_blocks_total");
    while executed < 64.0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
        executed = metric(&d, "ethrex_sync_blocks_total");
    }
    assert_eq!(
        executed, 64.0,
        "only the blocks above the pivot are executed"
    );
    // Blocks below the pivot came with their receipts.
    let tx = d.result("eth_getBlockByNumber", json!(["0x64", false]))["transactions"][0].clone();
    let receipt = d.result("eth_getTransactionReceipt", json!([tx]));
    assert_eq!(receipt, a.result("eth_getTransactionReceipt", json!([tx])));
    println!(
        "snap sync: {BLOCKS} blocks (state at #{}, 64 executed) in {:.1} s",
        BLOCKS - 64,
        elapsed.as_secs_f64()
    );
}
