//! `ethrex --metrics`: a dev node serves Prometheus text on `GET /metrics` at the port it logs,
//! and after an RPC call and a mined transfer reports the head, the block's gas and stage
//! times, the calls per method (unknown methods under one label), the mempool's size and the
//! process's memory, threads and descriptors.

use std::{collections::HashMap, time::Duration};

use ethrex_test_utils::node::{Node, http_get, wait_for};
use serde_json::json;

use crate::{ETHREX, dev_transfer};

/// The samples of a Prometheus text: series (name and labels) to value.
fn scrape(node: &Node) -> HashMap<String, f64> {
    let (status, text) = http_get(node.metrics_addr(), "/metrics");
    assert_eq!(status, 200, "{text}");
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .map(|line| {
            let (series, value) = line.rsplit_once(' ').expect("a sample line");
            (series.to_string(), value.parse().expect("a number"))
        })
        .collect()
}

fn sample(samples: &HashMap<String, f64>, series: &str) -> f64 {
    assert!(samples.contains_key(series), "no {series} in {samples:?}");
    samples[series]
}

#[test]
fn a_dev_node_reports_head_rpc_calls_mempool_and_process() {
    let node = ETHREX.start(&[
        "--dev",
        "--datadir",
        "memory",
        "--metrics",
        "--metrics.addr",
        "127.0.0.1",
        "--metrics.port",
        "0",
    ]);
    assert_eq!(node.result("eth_chainId", json!([])), "0x539");
    let unknown = node.call("no_suchMethod", json!([]));
    assert_eq!(unknown["error"]["code"], -32601, "{unknown}");
    node.result("eth_sendRawTransaction", json!([dev_transfer(0, 1)]));
    wait_for(Duration::from_secs(30), "block 1", || {
        (node.result("eth_blockNumber", json!([])) == "0x1").then_some(())
    });
    // A nonce gap: the transaction stays queued in the mempool.
    node.result("eth_sendRawTransaction", json!([dev_transfer(5, 1)]));

    let samples = scrape(&node);
    let exact = [
        ("ethrex_block_height", 1.0),
        ("ethrex_blocks_processed_total", 1.0),
        ("ethrex_transactions_processed_total", 1.0),
        ("ethrex_block_gas_used", 21_000.0),
        ("ethrex_gas_used_total", 21_000.0),
        ("ethrex_dev_blocks_produced_total", 1.0),
        (
            "ethrex_block_processing_seconds_count{stage=\"merkleization\"}",
            1.0,
        ),
        ("ethrex_rpc_requests_total{method=\"eth_chainId\"}", 1.0),
        ("ethrex_rpc_requests_total{method=\"unknown\"}", 1.0),
        ("ethrex_rpc_errors_total{method=\"unknown\"}", 1.0),
        (
            "ethrex_rpc_request_duration_seconds_count{method=\"eth_sendRawTransaction\"}",
            2.0,
        ),
        ("ethrex_mempool_transactions", 1.0),
    ];
    for (series, want) in exact {
        assert_eq!(sample(&samples, series), want, "{series}");
    }
    assert!(
        !samples.contains_key("ethrex_rpc_errors_total{method=\"eth_chainId\"}"),
        "{samples:?}"
    );
    assert!(!samples.keys().any(|s| s.contains("no_suchMethod")));
    assert!(
        sample(
            &samples,
            "ethrex_rpc_requests_total{method=\"eth_blockNumber\"}"
        ) >= 1.0
    );
    assert!(sample(&samples, "ethrex_block_mgas_per_second") > 0.0);
    let rss = sample(&samples, "process_resident_memory_bytes");
    assert!(rss > 1e6 && rss < 24e9, "resident memory {rss}");
    assert!(sample(&samples, "process_threads") >= 2.0);
    assert!(sample(&samples, "process_open_fds") >= 3.0);

    let (status, _) = http_get(node.metrics_addr(), "/");
    assert_eq!(status, 404);
    let log = node.log.clone();
    let status = node.terminate();
    assert!(status.success(), "{status}: {:?}", log.lock().expect("log"));
}

#[test]
fn without_the_flag_no_metrics_are_served() {
    let node = ETHREX.start(&["--dev", "--datadir", "memory"]);
    let log = node.log.lock().expect("log").join("\n");
    assert!(!log.contains("metrics on"), "{log}");
}
