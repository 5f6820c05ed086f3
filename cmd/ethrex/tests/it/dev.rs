//! Dev mode: `ethrex --dev` mines a signed transfer as soon as it arrives (announcing it and
//! the new head over WebSocket), keeps a nonce-gapped transaction queued until the gap is
//! filled, refuses a replacement without a price bump, never builds empty blocks on demand,
//! builds them on an interval with `--dev.block-time`, and keeps its chain in a datadir.

use std::time::Duration;

use alloy_primitives::U256;
use ethrex_common::dev::DEV_BALANCE;
use ethrex_test_utils::{
    dev_address,
    node::{Node, stderr, wait_for},
    tx::{DEFAULT_RECIPIENT as RECIPIENT, GWEI},
    ws::{ws_call, ws_connect, ws_next},
};
use serde_json::{Value, json};

use crate::{ETHREX, dev_transfer, ethrex};
const ETHER: u64 = 1_000_000_000_000_000_000;
const WAIT: Duration = Duration::from_secs(30);

fn sender() -> String {
    dev_address(0).to_string()
}

fn quantity(value: &Value) -> u64 {
    let text = value.as_str().expect("a hex quantity");
    u64::from_str_radix(text.trim_start_matches("0x"), 16).expect("hex")
}

fn nonce(node: &Node) -> u64 {
    quantity(&node.result("eth_getTransactionCount", json!([sender(), "latest"])))
}

fn balance(node: &Node, address: &str) -> U256 {
    let value = node.result("eth_getBalance", json!([address, "latest"]));
    value.as_str().expect("hex").parse().expect("a balance")
}

#[test]
fn a_transfer_is_mined_at_once_and_a_gapped_transaction_waits_queued() {
    let node = ETHREX.start(&["--dev", "--datadir", "memory", "--ws.enabled"]);
    assert_eq!(node.result("eth_chainId", json!([])), "0x539");
    let mut ws = ws_connect(node.ws.expect("WebSocket address"));
    for kind in ["newHeads", "newPendingTransactions"] {
        let reply = ws_call(
            &mut ws,
            json!({"jsonrpc": "2.0", "id": 1, "method": "eth_subscribe", "params": [kind]}),
        );
        assert!(reply["result"].is_string(), "{reply}");
    }

    let hash = node.result("eth_sendRawTransaction", json!([dev_transfer(0, ETHER)]));
    wait_for(WAIT, "the transfer to be mined", || {
        (nonce(&node) == 1).then_some(())
    });
    assert_eq!(node.result("eth_blockNumber", json!([])), "0x1");
    assert_eq!(balance(&node, &RECIPIENT.to_string()), U256::from(ETHER));
    // Block 1's base fee is 7/8 gwei (genesis: 1 gwei, no gas used); the tip is 1 gwei.
    let fees = U256::from(21_000u64) * U256::from(GWEI + GWEI * 7 / 8);
    assert_eq!(
        balance(&node, &sender()),
        DEV_BALANCE - U256::from(ETHER) - fees
    );
    let receipt = node.call("eth_getTransactionReceipt", json!([hash]));
    if receipt["error"]["code"] != -32601 {
        assert_eq!(receipt["result"]["status"], "0x1", "{receipt}");
        assert_eq!(receipt["result"]["blockNumber"], "0x1", "{receipt}");
    }
    // Both subscriptions saw it: the pending hash and the head. Each subscription forwards
    // its own event stream, so the two notifications may arrive in either order.
    let notifications = [ws_next(&mut ws), ws_next(&mut ws)];
    let results = notifications.clone().map(|n| n["params"]["result"].clone());
    assert!(
        results.contains(&hash),
        "no pending-transaction notification: {notifications:?}"
    );
    assert!(
        results.iter().any(|r| r["number"] == "0x1"),
        "no newHeads notification of block 1: {notifications:?}"
    );

    // Nonce 5 leaves a gap: queued, and no block is built for it.
    node.result("eth_sendRawTransaction", json!([dev_transfer(5, 1)]));
    let status = node.result("txpool_status", json!([]));
    assert_eq!(status, json!({"pending": "0x0", "queued": "0x1"}));
    let refused = node.call("eth_sendRawTransaction", json!([dev_transfer(5, 2)]));
    assert_eq!(refused["error"]["code"], -32000, "{refused}");
    assert_eq!(
        refused["error"]["message"], "replacement transaction underpriced",
        "{refused}"
    );
    let refused = node.call("eth_sendRawTransaction", json!([dev_transfer(0, 3)]));
    let message = refused["error"]["message"].as_str().unwrap_or_default();
    assert!(message.starts_with("nonce too low"), "{refused}");
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(node.result("eth_blockNumber", json!([])), "0x1");

    // Filling the gap makes all of them executable.
    for n in 1..5 {
        node.result("eth_sendRawTransaction", json!([dev_transfer(n, 1)]));
    }
    wait_for(WAIT, "the gap to be filled and mined", || {
        (nonce(&node) == 6).then_some(())
    });
    let status = node.result("txpool_status", json!([]));
    assert_eq!(status, json!({"pending": "0x0", "queued": "0x0"}));
    let status = node.terminate();
    assert!(status.success(), "exit status {status}");
}

#[test]
fn a_block_time_produces_blocks_without_transactions() {
    let node = ETHREX.start(&["--dev", "--datadir", "memory", "--dev.block-time", "200"]);
    let head = wait_for(WAIT, "three blocks", || {
        let number = quantity(&node.result("eth_blockNumber", json!([])));
        (number >= 3).then_some(number)
    });
    let mut timestamps = Vec::new();
    for number in 1..=head {
        let block = node.result(
            "eth_getBlockByNumber",
            json!([format!("{number:#x}"), false]),
        );
        assert_eq!(block["transactions"], json!([]), "{block}");
        assert_eq!(block["gasLimit"], "0x1c9c380", "{block}");
        timestamps.push(quantity(&block["timestamp"]));
    }
    assert!(timestamps.windows(2).all(|w| w[0] < w[1]), "{timestamps:?}");
    let log = node.log.lock().expect("log").join("\n");
    assert!(log.contains("block #1 0x"), "{log}");
}

#[test]
fn a_dev_chain_in_a_datadir_survives_a_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let datadir = dir.path().join("dev").to_str().expect("utf-8").to_string();
    let node = ETHREX.start(&["--dev", "--datadir", &datadir]);
    node.result("eth_sendRawTransaction", json!([dev_transfer(0, ETHER)]));
    wait_for(WAIT, "the transfer to be mined", || {
        (nonce(&node) == 1).then_some(())
    });
    assert!(node.terminate().success());

    let node = ETHREX.start(&["--dev", "--datadir", &datadir]);
    assert_eq!(node.result("eth_blockNumber", json!([])), "0x1");
    assert_eq!(balance(&node, &RECIPIENT.to_string()), U256::from(ETHER));
    // Another gas limit is another genesis: refused, not silently mixed.
    drop(node);
    let out = ethrex(&[
        "--dev",
        "--datadir",
        &datadir,
        "--builder.gas-limit",
        "40000000",
        "--http.port",
        "0",
    ]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("genesis"), "{}", stderr(&out));
}
