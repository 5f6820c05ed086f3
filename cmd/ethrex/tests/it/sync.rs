//! Full sync between two nodes on 127.0.0.1: node A imports a generated post-merge chain of
//! 3,000 blocks with transfers; node B, with A as its bootnode and an empty data directory, is
//! told A's head by `engine_forkchoiceUpdatedV3` (as a consensus client would), answers SYNCING
//! (never INVALID) while it downloads and executes the chain, and ends with A's head hash and
//! state root. The time and blocks/s are printed.

use std::time::{Duration, Instant};

use ethrex_test_utils::node::{Node, wait_for};
use serde_json::{Value, json};

use crate::ETHREX;

const BLOCKS: u64 = 3000;
/// How long B may take to sync the whole chain.
const SYNC_TIMEOUT: Duration = Duration::from_secs(600);

fn start(genesis: &str, datadir: &str, extra: &[&str]) -> Node {
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
        "full",
    ];
    args.extend_from_slice(extra);
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

#[test]
fn a_node_full_syncs_a_3000_block_chain_from_its_peer_when_forkchoice_names_the_head() {
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
    let b = start(genesis, "memory", &["--bootnodes", &a_enode]);
    wait_for(Duration::from_secs(30), "B connects to A", || {
        let count = b.result("net_peerCount", json!([]));
        (number(&count) >= 1).then_some(())
    });

    let state = json!({
        "headBlockHash": head["hash"],
        "safeBlockHash": head["hash"],
        "finalizedBlockHash": head["hash"],
    });
    let started = Instant::now();
    let mut statuses = Vec::new();
    loop {
        let answer = b.engine_call("engine_forkchoiceUpdatedV3", json!([state, null]));
        let status = answer["result"]["payloadStatus"]["status"]
            .as_str()
            .unwrap_or_else(|| panic!("no status in {answer}"))
            .to_string();
        assert!(
            ["SYNCING", "ACCEPTED", "VALID"].contains(&status.as_str()),
            "while syncing B answered {answer}"
        );
        if statuses.last() != Some(&status) {
            statuses.push(status.clone());
        }
        if status == "VALID" {
            break;
        }
        assert!(
            started.elapsed() < SYNC_TIMEOUT,
            "not synced after {SYNC_TIMEOUT:?}: B at {}",
            b.result("eth_blockNumber", json!([]))
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    let elapsed = started.elapsed();
    assert_eq!(statuses.first().map(String::as_str), Some("SYNCING"));
    let b_head = b.result("eth_getBlockByNumber", json!(["latest", false]));
    assert_eq!(b_head["hash"], head["hash"]);
    assert_eq!(b_head["stateRoot"], head["stateRoot"]);
    println!(
        "full sync: {BLOCKS} blocks ({} transactions) in {:.1} s, {:.0} blocks/s",
        summary.transactions,
        elapsed.as_secs_f64(),
        BLOCKS as f64 / elapsed.as_secs_f64()
    );
}
