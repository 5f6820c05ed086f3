//! Discovery v4 in the node: three nodes on 127.0.0.1, the second and third bootstrapped from
//! the first, each learn of the other two (the metric `ethrex_p2p_discovery_nodes`);
//! `--p2p.disabled` and `--dev` open no UDP socket; an invalid `--bootnodes` URL stops the node
//! and names the URL.

use std::{
    path::{Path, PathBuf},
    process::{Output, Stdio},
    time::{Duration, Instant},
};

use ethrex_common::Fork;
use ethrex_test_utils::{
    GenesisBuilder,
    node::{Node, http_get, stderr, wait_for},
};
use serde_json::json;

use crate::ETHREX;

/// The log line prefix of a running discovery service.
const DISCOVERY_LINE: &str = "discovery on udp://";
/// How long a node may take to log its discovery line (it precedes the RPC servers' lines).
const LOG_TIMEOUT: Duration = Duration::from_secs(5);
/// How long the three nodes may take to find each other.
const DISCOVERY_TIMEOUT: Duration = Duration::from_secs(30);

/// A small Cancun genesis written to `dir`.
fn genesis_file(dir: &Path) -> PathBuf {
    let path = dir.join("genesis.json");
    let json = GenesisBuilder::new(Fork::Cancun).json();
    std::fs::write(&path, json.to_string()).expect("write the genesis");
    path
}

/// A node on `genesis` with discovery on 127.0.0.1 (any free port, lookups every 200 ms) and
/// metrics on any free port, plus `extra` arguments.
fn start(genesis: &str, extra: &[&str]) -> Node {
    let mut args = vec![
        "--datadir",
        "memory",
        "--network",
        genesis,
        "--p2p.addr",
        "127.0.0.1",
        "--discovery.port",
        "0",
        "--p2p.lookup-interval",
        "200",
        "--metrics",
        "--metrics.addr",
        "127.0.0.1",
        "--metrics.port",
        "0",
    ];
    args.extend_from_slice(extra);
    ETHREX.start(&args)
}

/// The bound address and the enode URL of the node's `discovery on udp://ADDR, enode URL` line.
fn discovery_line(node: &Node) -> (String, String) {
    let line = node.wait_for_log(DISCOVERY_LINE, LOG_TIMEOUT);
    let rest = &line[DISCOVERY_LINE.len()..];
    let (addr, enode) = rest
        .split_once(", enode ")
        .unwrap_or_else(|| panic!("no enode in {line:?}"));
    (addr.to_string(), enode.trim().to_string())
}

/// The value of `ethrex_p2p_discovery_nodes` on the node's metrics endpoint (absent: none yet).
fn discovery_nodes(node: &Node) -> Option<f64> {
    let (status, text) = http_get(node.metrics_addr(), "/metrics");
    assert_eq!(status, 200, "{text}");
    text.lines()
        .find_map(|line| line.strip_prefix("ethrex_p2p_discovery_nodes "))
        .map(|value| value.trim().parse().expect("a number"))
}

/// The UDP sockets the process `pid` holds: its socket descriptors' inodes found in
/// `/proc/net/udp` or `/proc/net/udp6`.
#[cfg(target_os = "linux")]
fn udp_sockets(pid: u32) -> usize {
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).expect("the node's descriptors");
    let inodes: Vec<String> = fds
        .filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
        .filter_map(|target| {
            let target = target.to_string_lossy().into_owned();
            let inode = target.strip_prefix("socket:[")?.strip_suffix(']')?;
            Some(inode.to_string())
        })
        .collect();
    ["/proc/net/udp", "/proc/net/udp6"]
        .iter()
        .filter_map(|table| std::fs::read_to_string(table).ok())
        .flat_map(|table| {
            table
                .lines()
                .skip(1)
                .filter_map(|row| row.split_whitespace().nth(9).map(str::to_string))
                .collect::<Vec<_>>()
        })
        .filter(|inode| inodes.contains(inode))
        .count()
}

#[test]
fn three_nodes_find_each_other_through_a_bootnode() {
    let dir = tempfile::tempdir().expect("temp dir");
    let genesis = genesis_file(dir.path());
    let genesis = genesis.to_str().expect("utf-8");
    let started = Instant::now();

    let first = start(genesis, &[]);
    let (addr, enode) = discovery_line(&first);
    let port = addr
        .strip_prefix("127.0.0.1:")
        .unwrap_or_else(|| panic!("discovery bound {addr}, not 127.0.0.1"));
    assert_ne!(port, "0", "{addr}");
    assert!(
        enode.ends_with(&format!("@127.0.0.1:30303?discport={port}")),
        "{enode} does not announce udp port {port}"
    );
    // admin_nodeInfo announces the bound port too.
    let info = first.result("admin_nodeInfo", json!([]));
    assert_eq!(info["enode"], enode.as_str(), "{info}");
    #[cfg(target_os = "linux")]
    assert_eq!(udp_sockets(first.child.id()), 1);

    let second = start(genesis, &["--bootnodes", &enode]);
    let third = start(genesis, &["--bootnodes", &enode]);
    let nodes = [&first, &second, &third];
    let enodes: Vec<String> = nodes.iter().map(|node| discovery_line(node).1).collect();
    assert!(enodes[0] != enodes[1] && enodes[1] != enodes[2] && enodes[0] != enodes[2]);

    for (i, node) in nodes.iter().enumerate() {
        wait_for(
            DISCOVERY_TIMEOUT,
            &format!("node {i} to learn of the other two"),
            || discovery_nodes(node).filter(|&count| count >= 2.0),
        );
    }
    // No RLPx peers yet.
    assert_eq!(first.result("net_peerCount", json!([])), "0x0");
    eprintln!("three nodes found each other in {:?}", started.elapsed());
}

#[test]
fn p2p_disabled_and_dev_mode_open_no_discovery_socket() {
    let dir = tempfile::tempdir().expect("temp dir");
    let genesis = genesis_file(dir.path());
    let genesis = genesis.to_str().expect("utf-8");
    let disabled = start(genesis, &["--p2p.disabled"]);
    let dev = ETHREX.start(&["--dev", "--datadir", "memory"]);
    for (node, reason) in [(&disabled, "--p2p.disabled"), (&dev, "--dev")] {
        let line = node.wait_for_log("discovery disabled: ", LOG_TIMEOUT);
        assert_eq!(line, format!("discovery disabled: {reason}"));
        let log = node.log.lock().expect("log");
        assert!(
            !log.iter().any(|line| line.contains(DISCOVERY_LINE)),
            "{log:?}"
        );
        #[cfg(target_os = "linux")]
        assert_eq!(udp_sockets(node.child.id()), 0, "{reason}");
    }
}

/// Runs `ethrex <args>`, which must exit within 30 s.
fn run_to_exit(args: &[&str]) -> Output {
    let jwt = tempfile::tempdir().expect("temp dir");
    let secret = jwt.path().join("jwt.hex");
    let mut child = ETHREX
        .command()
        .args(args)
        .arg("--authrpc.jwtsecret")
        .arg(&secret)
        .args([
            "--http.port",
            "0",
            "--authrpc.port",
            "0",
            "--log.color",
            "never",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn ethrex");
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().expect("poll ethrex").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().expect("ethrex output");
            panic!("ethrex did not exit: {}", stderr(&out));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().expect("ethrex output")
}

#[test]
fn an_invalid_bootnode_stops_the_node_and_is_named() {
    let dir = tempfile::tempdir().expect("temp dir");
    let genesis = genesis_file(dir.path());
    let genesis = genesis.to_str().expect("utf-8");
    let key = "ca634cae0d49acb401d8a4c6b6fe8c55b70d115bf400769cc1400f3258cd31387574077f301b421bc84df7266c44e9e6d569fc56be00812904767bf5ccd1fc7f";
    let good = format!("enode://{key}@127.0.0.1:30303");
    let bad = "enode://not-a-key@127.0.0.1:30303";
    let bootnodes = format!("{good},{bad}");
    let out = run_to_exit(&[
        "--datadir",
        "memory",
        "--network",
        genesis,
        "--discovery.port",
        "0",
        "--bootnodes",
        &bootnodes,
    ]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("--bootnodes"), "{err}");
    assert!(err.contains(&format!("\"{bad}\"")), "{err}");
    assert!(!err.contains(DISCOVERY_LINE), "{err}");
}
