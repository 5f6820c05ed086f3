//! The authenticated Engine API port: a node always serves it, refuses requests without a valid
//! JWT with HTTP 401, serves `engine_*` and the spec's `eth_` subset there and nothing else;
//! the public port does not serve `engine_*`. The JWT secret file is created when absent, used
//! as is when given, and a malformed one stops the node naming the file. The RPC servers listen
//! on 127.0.0.1 unless told otherwise.

use std::{
    process::Stdio,
    time::{Duration, Instant},
};

use ethrex_test_utils::node::{Node, jwt_token, now_secs, stderr, stdout};
use serde_json::{Value, json};

use crate::{ETHREX, ethrex};

/// The hoodi chain id, as `eth_chainId` answers it.
const HOODI_CHAIN_ID: &str = "0x88bb0";

fn request(method: &str, params: Value) -> String {
    json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string()
}

fn error_code(text: &str) -> i64 {
    let value: Value = serde_json::from_str(text).expect("a JSON response");
    value["error"]["code"]
        .as_i64()
        .unwrap_or_else(|| panic!("no error code: {text}"))
}

#[test]
fn the_engine_port_needs_a_valid_jwt_and_serves_the_eth_subset_only() {
    let node = ETHREX.start(&["--datadir", "memory", "--network", "hoodi"]);
    assert_ne!(node.auth, node.http, "a port of its own");
    let chain_id = request("eth_chainId", json!([]));

    let (status, text) = node.auth_post(None, &chain_id);
    assert_eq!((status, text.as_str()), (401, "missing bearer token"));
    let (status, text) = node.auth_post(Some("not.a.token"), &chain_id);
    assert_eq!(status, 401, "{text}");
    assert!(text.starts_with("malformed token"), "{text}");
    let (status, text) = node.auth_post(Some(&jwt_token(&[1; 32], now_secs())), &chain_id);
    assert_eq!((status, text.as_str()), (401, "signature mismatch"));
    let stale = jwt_token(&node.jwt_secret, now_secs() - 120);
    let (status, text) = node.auth_post(Some(&stale), &chain_id);
    assert_eq!(status, 401, "{text}");
    assert!(text.contains("in the past: outside ±60 s"), "{text}");

    // A valid token: the eth_ subset is served, other namespaces are not.
    let answer = node.engine_call("eth_chainId", json!([]));
    assert_eq!(answer["result"], HOODI_CHAIN_ID, "{answer}");
    let answer = node.engine_call("eth_blockNumber", json!([]));
    assert_eq!(answer["result"], "0x0", "{answer}");
    // engine_* reaches the Engine API router.
    let answer = node.engine_call(
        "engine_exchangeCapabilities",
        json!([["engine_newPayloadV4"]]),
    );
    let capabilities = answer["result"].as_array().expect("a list of methods");
    assert!(
        capabilities.contains(&json!("engine_forkchoiceUpdatedV3")),
        "{answer}"
    );
    for method in ["eth_getBalance", "debug_traceTransaction", "admin_nodeInfo"] {
        let answer = node.engine_call(method, json!([]));
        assert_eq!(answer["error"]["code"], -32601, "{method}: {answer}");
    }
    // Batches are answered in order.
    let batch = format!(
        "[{},{}]",
        request("eth_chainId", json!([])),
        request("web3_clientVersion", json!([]))
    );
    let (status, text) = node.auth_post(Some(&node.jwt_token()), &batch);
    assert_eq!(status, 200, "{text}");
    let batch: Value = serde_json::from_str(&text).expect("batch JSON");
    assert_eq!(batch[0]["result"], HOODI_CHAIN_ID, "{batch}");
    assert_eq!(batch[1]["error"]["code"], -32601, "{batch}");
    // Oversized bodies are refused as on the public port.
    let huge = request("eth_chainId", json!(["00".repeat(6 * 1024 * 1024)]));
    let (status, _) = node.auth_post(Some(&node.jwt_token()), &huge);
    assert_eq!(status, 413, "oversized body");

    // The public port serves no engine_ method, and still serves its own.
    for method in [
        "engine_foo",
        "engine_exchangeCapabilities",
        "engine_getClientVersionV1",
    ] {
        let (_, text) = node.post(&request(method, json!([])));
        assert_eq!(error_code(&text), -32601, "{method}: {text}");
    }
    assert_eq!(node.result("eth_chainId", json!([])), HOODI_CHAIN_ID);
    assert!(node.terminate().success());
}

#[test]
fn a_missing_secret_file_is_generated_and_a_given_one_is_used() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("secrets").join("jwt.hex");
    let path_text = path.to_str().expect("utf-8");
    let args = [
        "--dev",
        "--datadir",
        "memory",
        "--authrpc.jwtsecret",
        path_text,
    ];
    let node = ETHREX.start(&args);
    let generated = node.jwt_secret;
    let logged = |node: &Node| {
        let log = node.log.lock().expect("log");
        log.iter()
            .find_map(|line| line.split("JWT secret: ").nth(1).map(str::to_string))
            .unwrap_or_else(|| panic!("no JWT secret line: {log:?}"))
    };
    let line = logged(&node);
    assert!(line.ends_with("jwt.hex (generated)"), "{line}");
    assert!(line.contains("secrets"), "{line}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path)
            .expect("secret file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "mode {mode:o}");
    }
    let answer = node.engine_call("eth_chainId", json!([]));
    assert_eq!(answer["result"], "0x539", "{answer}");
    assert!(node.terminate().success());

    // A second start reads the same file.
    let node = ETHREX.start(&args);
    assert_eq!(node.jwt_secret, generated);
    let line = logged(&node);
    assert!(line.ends_with("jwt.hex"), "{line}");

    // A secret written by hand (bare hex, trailing newline) is taken as is.
    let given = dir.path().join("given.hex");
    std::fs::write(&given, format!("{}\n", "ab".repeat(32))).expect("write");
    let given = given.to_str().expect("utf-8");
    let node = ETHREX.start(&["--dev", "--datadir", "memory", "--authrpc.jwtsecret", given]);
    assert_eq!(node.jwt_secret, [0xab; 32]);
    let token = jwt_token(&[0xab; 32], now_secs());
    let (status, text) = node.auth_post(Some(&token), &request("eth_chainId", json!([])));
    assert_eq!(status, 200, "{text}");
}

#[test]
fn a_malformed_secret_file_stops_the_node_naming_the_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cases = [
        ("short.hex", "0x1234".to_string(), "4 hex digits"),
        ("nothex.hex", "zz".repeat(32), "is not a hex digit"),
    ];
    for (name, contents, reason) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, &contents).expect("write");
        let mut child = ETHREX
            .command()
            .args(["--datadir", "memory", "--network", "hoodi"])
            .args([
                "--http.port",
                "0",
                "--authrpc.port",
                "0",
                "--log.color",
                "never",
            ])
            .arg("--authrpc.jwtsecret")
            .arg(&path)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn ethrex");
        let deadline = Instant::now() + Duration::from_secs(60);
        while child.try_wait().expect("poll").is_none() {
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("{name}: the node kept running with a malformed secret");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let out = child.wait_with_output().expect("output");
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{name}: {err}");
        assert!(err.contains(&path.display().to_string()), "{name}: {err}");
        assert!(err.contains(reason), "{name}: {err}");
        assert!(!err.contains("Engine API on"), "{name}: {err}");
        assert!(!err.contains("panicked"), "{name}: {err}");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), contents);
    }
}

#[test]
fn the_rpc_servers_listen_on_loopback_by_default() {
    let help = stdout(&ethrex(&["--help"]));
    for flag in [
        "--http.addr",
        "--ws.addr",
        "--authrpc.addr",
        "--metrics.addr",
    ] {
        // A flag's help runs from its line to the next flag's.
        let start = help
            .find(&format!("{flag} <"))
            .unwrap_or_else(|| panic!("no {flag} in --help"));
        let rest = &help[start + flag.len()..];
        let end = rest.find("\n      --").unwrap_or(rest.len());
        let section = &rest[..end];
        assert!(
            section.contains("[default: 127.0.0.1]"),
            "{flag}: {section}"
        );
    }
}
