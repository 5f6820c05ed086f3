//! `ethrex l2 deploy` on bad input: a missing or malformed key, a proof required without its
//! verifier (or a verifier without its proof), an unreachable L1, an unfunded deployer. Each
//! exits with status 1 (clap's usage errors: 2) and a message naming the culprit, never a panic.

use ethrex_test_utils::{dev_secret, node::stderr};
use serde_json::json;

use super::*;
use crate::{ETHREX, ethrex};

#[test]
fn deploy_without_a_private_key_names_the_flag() {
    let out = ethrex(&[
        "l2",
        "deploy",
        "--committer.l1-address",
        "0x0000000000000000000000000000000000000001",
        "--proof-sender.l1-address",
        "0x0000000000000000000000000000000000000002",
    ]);
    assert_ne!(out.status.code(), Some(0));
    let message = stderr(&out);
    assert!(message.contains("--private-key"), "{message}");
    assert!(!message.contains("panicked"), "{message}");
}

#[test]
fn deploy_to_an_unreachable_l1_fails_naming_it() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let dir = tempfile::tempdir().unwrap();
    let env_file = dir.path().join(".env");
    let key = dev_secret(DEPLOYER).to_string();
    let genesis = l2_genesis_path();
    let out = ethrex(&[
        "l2",
        "deploy",
        "--eth-rpc-url",
        &url,
        "--private-key",
        &key,
        "--genesis-l2-path",
        genesis.to_str().unwrap(),
        "--committer.l1-address",
        "0x0000000000000000000000000000000000000001",
        "--proof-sender.l1-address",
        "0x0000000000000000000000000000000000000002",
        "--env-file-path",
        env_file.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let message = stderr(&out);
    assert!(
        message.contains(&format!("cannot reach the L1 at {url}")),
        "{message}"
    );
    assert!(message.contains("connection refused"), "{message}");
    assert!(!env_file.exists());
}

#[test]
fn deploy_from_an_unfunded_account_fails_saying_so() {
    let l1 = ETHREX.start(&["--dev", "--datadir", "memory"]);
    let dir = tempfile::tempdir().unwrap();
    let env_file = dir.path().join(".env");
    let url = format!("http://{}", l1.http);
    let genesis = l2_genesis_path();
    let out = ethrex(&[
        "l2",
        "deploy",
        "--eth-rpc-url",
        &url,
        "--private-key",
        "0x0101010101010101010101010101010101010101010101010101010101010101",
        "--genesis-l2-path",
        genesis.to_str().unwrap(),
        "--committer.l1-address",
        "0x0000000000000000000000000000000000000001",
        "--proof-sender.l1-address",
        "0x0000000000000000000000000000000000000002",
        "--env-file-path",
        env_file.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let message = stderr(&out);
    assert!(message.contains("insufficient funds"), "{message}");
    assert!(!message.contains("panicked"), "{message}");
    assert!(!env_file.exists());
    assert_eq!(l1.result("eth_blockNumber", json!([])), "0x0");
}

#[test]
fn deploy_refuses_a_required_proof_without_its_verifier_and_bad_keys() {
    let cases: [(&[&str], &str); 3] = [
        (&["--sp1", "true"], "--sp1.verifier-address"),
        (
            &[
                "--risc0.verifier-address",
                "0x0000000000000000000000000000000000000003",
            ],
            "only used with --risc0 true",
        ),
        (&["--private-key", "0x1234"], "--private-key"),
    ];
    for (extra, expected) in cases {
        let mut args = vec![
            "l2",
            "deploy",
            // Never contacted: the flags are refused first.
            "--eth-rpc-url",
            "http://127.0.0.1:9",
            "--committer.l1-address",
            "0x0000000000000000000000000000000000000001",
            "--proof-sender.l1-address",
            "0x0000000000000000000000000000000000000002",
        ];
        let key = dev_secret(DEPLOYER).to_string();
        if !extra.contains(&"--private-key") {
            args.extend(["--private-key", &key]);
        }
        args.extend_from_slice(extra);
        let out = ethrex(&args);
        assert_eq!(out.status.code(), Some(1), "{extra:?}");
        let message = stderr(&out);
        assert!(message.contains(expected), "{extra:?}: {message}");
    }
}
