//! RLPx peers in the node: three nodes on 127.0.0.1 (any free ports). The second, bootstrapped
//! from the first by discovery, connects to it and both count one peer speaking eth/68 to eth/70;
//! `admin_addPeer` on the first connects the third, which has no bootnodes. The enode's TCP
//! port is the bound one (`--p2p.port 0`).

use std::time::Duration;

use ethrex_common::Fork;
use ethrex_test_utils::{
    GenesisBuilder,
    node::{Node, wait_for},
};
use serde_json::{Value, json};

use crate::ETHREX;

/// The log line prefix of the RLPx listener.
const RLPX_LINE: &str = "rlpx on tcp://";
/// The log line prefix of discovery, followed by `ADDR, enode URL`.
const DISCOVERY_LINE: &str = "discovery on udp://";
/// How long a node may take to log its p2p lines (they precede the RPC servers' lines).
const LOG_TIMEOUT: Duration = Duration::from_secs(5);
/// How long nodes may take to connect.
const PEER_TIMEOUT: Duration = Duration::from_secs(20);

/// A node on `genesis` with RLPx and discovery on 127.0.0.1, any free ports, plus `extra`.
fn start(genesis: &str, extra: &[&str]) -> Node {
    let mut args = vec![
        "--datadir",
        "memory",
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
    ];
    args.extend_from_slice(extra);
    ETHREX.start(&args)
}

/// The node's enode URL, checked to carry the bound RLPx port.
fn enode(node: &Node) -> String {
    let rlpx = node.wait_for_log(RLPX_LINE, LOG_TIMEOUT);
    let port = rlpx[RLPX_LINE.len()..]
        .trim()
        .strip_prefix("127.0.0.1:")
        .unwrap_or_else(|| panic!("rlpx bound {rlpx:?}, not 127.0.0.1"))
        .to_string();
    assert_ne!(port, "0", "{rlpx}");
    let line = node.wait_for_log(DISCOVERY_LINE, LOG_TIMEOUT);
    let (_, enode) = line
        .split_once(", enode ")
        .unwrap_or_else(|| panic!("no enode in {line:?}"));
    let enode = enode.trim().to_string();
    assert!(
        enode.contains(&format!("@127.0.0.1:{port}?discport=")),
        "{enode} does not announce tcp port {port}"
    );
    let info = node.result("admin_nodeInfo", json!([]));
    assert_eq!(info["enode"], json!(enode));
    assert_eq!(
        info["ports"]["listener"],
        json!(port.parse::<u16>().unwrap())
    );
    enode
}

fn peer_count(node: &Node) -> u64 {
    let count = node.result("net_peerCount", json!([]));
    u64::from_str_radix(count.as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
}

/// Waits until `node` has at least `count` peers; returns `admin_peers`.
fn wait_for_peers(node: &Node, count: u64, what: &str) -> Vec<Value> {
    wait_for(PEER_TIMEOUT, what, || {
        (peer_count(node) >= count).then_some(())
    });
    let peers = node.result("admin_peers", json!([]));
    peers.as_array().unwrap().clone()
}

#[test]
fn nodes_connect_through_a_bootnode_and_admin_add_peer() {
    let dir = tempfile::tempdir().expect("temp dir");
    let genesis = dir.path().join("genesis.json");
    let json = GenesisBuilder::new(Fork::Cancun).json();
    std::fs::write(&genesis, json.to_string()).expect("write the genesis");
    let genesis = genesis.to_str().expect("utf-8");

    let a = start(genesis, &[]);
    let a_enode = enode(&a);
    assert_eq!(peer_count(&a), 0);
    let b = start(genesis, &["--bootnodes", &a_enode]);
    let b_enode = enode(&b);

    wait_for_peers(&b, 1, "B to connect to A");
    wait_for_peers(&a, 1, "A to see B");
    // Either may have dialed (A learns of B when B bonds with it); both keep the same one.
    let (on_a, on_b) = wait_for(PEER_TIMEOUT, "A and B to list the same connection", || {
        let on_a = a.result("admin_peers", json!([]));
        let on_b = b.result("admin_peers", json!([]));
        let same = on_a[0]["network"]["remoteAddress"] == on_b[0]["network"]["localAddress"];
        same.then_some((on_a, on_b))
    });
    assert_eq!(on_a.as_array().unwrap().len(), 1, "{on_a}");
    assert_eq!(on_b.as_array().unwrap().len(), 1, "{on_b}");
    let a_key = a_enode.split('@').next().unwrap();
    let b_key = b_enode.split('@').next().unwrap();
    assert!(
        on_b[0]["enode"].as_str().unwrap().starts_with(a_key),
        "{on_b}"
    );
    assert!(
        on_a[0]["enode"].as_str().unwrap().starts_with(b_key),
        "{on_a}"
    );
    assert_ne!(on_a[0]["network"]["inbound"], on_b[0]["network"]["inbound"]);
    for peer in [&on_a[0], &on_b[0]] {
        let version = peer["protocols"]["eth"]["version"].as_u64().unwrap();
        assert!((68..=70).contains(&version), "{peer}");
        assert!(
            peer["name"].as_str().unwrap().starts_with("ethrex/"),
            "{peer}"
        );
        assert!(
            peer["caps"].as_array().unwrap().contains(&json!("eth/69")),
            "{peer}"
        );
    }

    // A third node, unknown to discovery, connects when A adds it.
    let c = start(genesis, &["--bootnodes", ""]);
    let c_enode = enode(&c);
    assert_eq!(a.result("admin_addPeer", json!([c_enode])), json!(true));
    let on_c = wait_for_peers(&c, 1, "A to connect to C");
    let c_key = c_enode.split('@').next().unwrap();
    let on_a = wait_for_peers(&a, 2, "A to list C");
    let c_on_a = on_a
        .iter()
        .find(|peer| peer["enode"].as_str().unwrap().starts_with(c_key))
        .unwrap_or_else(|| panic!("C not among A's peers: {on_a:?}"));
    assert_eq!(c_on_a["network"]["static"], json!(true));
    assert!(
        on_c.iter()
            .any(|peer| peer["enode"].as_str().unwrap().starts_with(a_key))
    );
    let bad = a.call("admin_addPeer", json!(["enode://nope"]));
    assert_eq!(bad["error"]["code"], json!(-32602), "{bad}");

    for node in [a, b, c] {
        assert!(node.terminate().success());
    }
}
