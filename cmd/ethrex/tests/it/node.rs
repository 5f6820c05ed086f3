//! The node: starts on an imported chain, answers JSON-RPC over HTTP, rejects bad requests with
//! geth's error codes and keeps serving, and stops cleanly on SIGTERM.

use ethrex_test_utils::{
    fixtures::EXECUTION_APIS,
    node::{Node, stderr},
    require_fixture,
};
use serde_json::{Value, json};

use crate::{ETHREX, import_chain};

#[test]
fn node_serves_the_imported_chain_and_stops_on_sigterm() {
    let apis = require_fixture!(EXECUTION_APIS);
    let dir = tempfile::tempdir().expect("temp dir");
    let datadir = dir.path().join("db").to_str().expect("utf-8").to_string();
    let out = import_chain(&datadir, &apis);
    assert!(out.status.success(), "{}", stderr(&out));
    let genesis = apis.join("genesis.json");
    let genesis = genesis.to_str().expect("utf-8");
    let node = ETHREX.start(&["--datadir", &datadir, "--network", genesis]);
    let number = node.call("eth_blockNumber", json!([]));
    assert_eq!(number["result"], "0x36", "{number}");
    let chain_id = node.call("eth_chainId", json!([]));
    assert_eq!(chain_id["result"], "0xc72dd9d5e883e", "{chain_id}");
    let block = node.call("eth_getBlockByNumber", json!(["0x1", false]));
    assert_eq!(block["result"]["number"], "0x1", "{block}");
    let status = node.terminate();
    assert!(status.success(), "exit status {status}");
}

#[test]
fn bad_requests_get_geth_error_codes_and_the_node_keeps_serving() {
    let node = ETHREX.start(&["--datadir", "memory", "--network", "hoodi"]);
    let code = |text: &str| -> i64 {
        let value: Value = serde_json::from_str(text).expect("JSON error response");
        value["error"]["code"].as_i64().expect("an error code")
    };
    let (status, text) = node.post("{not json");
    assert_eq!((status, code(&text)), (200, -32700), "{text}");
    let (_, text) =
        node.post(r#"{"jsonrpc":"2.0","id":1,"method":"eth_noSuchMethod","params":[]}"#);
    assert_eq!(code(&text), -32601, "{text}");
    let (_, text) =
        node.post(r#"{"jsonrpc":"2.0","id":1,"method":"eth_getBalance","params":["0x12"]}"#);
    assert_eq!(code(&text), -32602, "{text}");
    let (_, text) = node.post(r#"{"id":1,"method":"eth_chainId"}"#);
    assert_eq!(code(&text), -32600, "{text}");
    let (_, text) = node.post("[]");
    assert_eq!(code(&text), -32600, "{text}");
    let huge = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"web3_sha3","params":["0x{}"]}}"#,
        "00".repeat(6 * 1024 * 1024)
    );
    let (status, _) = node.post(&huge);
    assert_eq!(status, 413, "oversized body");
    // A batch mixes answers and errors, in order.
    let (_, text) = node.post(
        r#"[{"jsonrpc":"2.0","id":1,"method":"eth_chainId"},{"jsonrpc":"2.0","id":2,"method":"nope"}]"#,
    );
    let batch: Value = serde_json::from_str(&text).expect("batch JSON");
    assert_eq!(batch[0]["result"], "0x88bb0", "{batch}");
    assert_eq!(batch[1]["error"]["code"], -32601, "{batch}");
    // Still serving.
    let version = node.call("web3_clientVersion", json!([]));
    assert!(
        version["result"]
            .as_str()
            .is_some_and(|v| v.starts_with("ethrex/v")),
        "{version}"
    );
}

#[test]
fn node_info_shows_a_persistent_node_key_and_the_p2p_endpoint() {
    let dir = tempfile::tempdir().expect("temp dir");
    let datadir = dir.path().join("db").to_str().expect("utf-8").to_string();
    let args = [
        "--datadir",
        &datadir,
        "--network",
        "hoodi",
        "--p2p.port",
        "30311",
        "--discovery.port",
        "30312",
    ];
    let info = |node: &Node| node.call("admin_nodeInfo", json!([]))["result"].clone();
    let node = ETHREX.start(&args);
    let first = info(&node);
    assert!(node.terminate().success());
    let key = std::fs::read_to_string(dir.path().join("db").join("nodekey")).expect("nodekey");
    assert_eq!(key.len(), 64, "{key}");
    let id = first["id"].as_str().expect("id");
    let enode = first["enode"].as_str().expect("enode");
    assert!(
        enode.starts_with("enode://") && enode.ends_with("@127.0.0.1:30311?discport=30312"),
        "{first}"
    );
    assert!(
        first["enr"]
            .as_str()
            .is_some_and(|e| e.starts_with("enr:-")),
        "{first}"
    );
    assert_eq!(
        first["ports"],
        json!({ "discovery": 30312, "listener": 30311 }),
        "{first}"
    );
    assert_eq!(
        first["protocols"]["eth"]["network"],
        json!(560048),
        "{first}"
    );
    // Same key after a restart.
    let node = ETHREX.start(&args);
    assert_eq!(info(&node)["id"], id, "the node id survives restarts");
    assert!(node.terminate().success());
}
