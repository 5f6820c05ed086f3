//! `ethrex l2 deploy` against real L1s on loopback, and what they share: the accounts, the
//! deploy invocation, JSON-RPC reads and the calls' ABI (declared here from the contracts'
//! signatures, apart from the SDK's own).
//!
//! - `dev`: on `ethrex --dev`: proxies, initialization, batch 0, a deposit, a refused second
//!   deployment, a random salt with an ownership hand-over and a required SP1 proof;
//! - `anvil`: the same addresses on npm anvil (skips, saying so, when `make l2-anvil` has not
//!   installed it);
//! - `input`: bad flags, an unreachable L1, an unfunded deployer: exit status 1 and a message;
//! - `client`: `ethrex_l2_sdk` itself (reads, a transfer, the library deployment, logs, a
//!   revert's reason) against a dev node.
//!
//! Accounts: rich accounts #189 (deployer, owners, committer) and #190 (proof sender) of
//! `dev-keys.txt`, counted from 0 over the key lines (`ethrex_common::dev::dev_accounts`).

mod anvil;
mod client;
mod dev;
mod input;

use std::{
    path::{Path, PathBuf},
    process::Output,
};

use alloy_primitives::{Address, B256, Bytes, address};
use alloy_sol_types::sol;
use ethrex_test_utils::{
    dev_address, dev_secret,
    node::{Node, wait_for},
};
use serde_json::{Value, json};

use crate::ethrex;

sol! {
    function REQUIRE_SP1_PROOF() external view returns (bool);
    function REQUIRE_RISC0_PROOF() external view returns (bool);
    function REQUIRE_TDX_PROOF() external view returns (bool);
    function SP1_VERIFIER_ADDRESS() external view returns (address);
    function inclusionMaxWait() external view returns (uint256);
    function lastCommittedBatch() external view returns (uint256);
    function batchCommitments(uint256 batchNumber) external view returns (bytes32, bytes32, bytes32, bytes32, bytes32, uint256);
    function authorizedSequencerAddresses(address sequencer) external view returns (bool);
    function owner() external view returns (address);
    function pendingOwner() external view returns (address);
    function acceptOwnership() external;
    function BRIDGE() external view returns (address);
    function CHAIN_ID() external view returns (uint256);
    function deposit(address l2Recipient) external payable;
}

pub const DEPLOYER: usize = 189;
pub const PROOF_SENDER: usize = 190;
pub const ETHER: u64 = 1_000_000_000_000_000_000;
/// ERC-1967's implementation slot (EIP-1967: `keccak256("eip1967.proxy.implementation") - 1`).
pub const IMPLEMENTATION_SLOT: &str =
    "0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc";
/// The deterministic deployment proxy, which `ethrex --dev` lacks until the deployer installs it.
pub const CREATE2_DEPLOYER: Address = address!("0x4e59b44847b379578588920ca78fbf26c0b4956c");

pub fn l2_genesis_path() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/genesis/l2.json"
    ))
}

/// `ethrex l2 deploy` on the node's RPC with the usual accounts, plus `extra` flags.
pub fn deploy(node: &Node, env_file: &Path, extra: &[&str]) -> Output {
    deploy_to(&format!("http://{}", node.http), env_file, extra)
}

/// `ethrex l2 deploy` on the L1 at `url` with the usual accounts, plus `extra` flags.
pub fn deploy_to(url: &str, env_file: &Path, extra: &[&str]) -> Output {
    let key = dev_secret(DEPLOYER).to_string();
    let genesis = l2_genesis_path();
    let committer = dev_address(DEPLOYER).to_string();
    let proof_sender = dev_address(PROOF_SENDER).to_string();
    let mut args = vec![
        "l2",
        "deploy",
        "--eth-rpc-url",
        url,
        "--private-key",
        &key,
        "--genesis-l2-path",
        genesis.to_str().unwrap(),
        "--committer.l1-address",
        &committer,
        "--proof-sender.l1-address",
        &proof_sender,
        "--env-file-path",
        env_file.to_str().unwrap(),
        "--inclusion-max-wait",
        "300",
    ];
    args.extend_from_slice(extra);
    ethrex(&args)
}

pub fn eth_call(node: &Node, to: Address, data: Vec<u8>) -> Bytes {
    let result = node.result(
        "eth_call",
        json!([{"to": to, "input": Bytes::from(data)}, "latest"]),
    );
    result.as_str().unwrap().parse().unwrap()
}

pub fn code(node: &Node, at: Address) -> Bytes {
    let result = node.result("eth_getCode", json!([at, "latest"]));
    result.as_str().unwrap().parse().unwrap()
}

pub fn implementation(node: &Node, proxy: Address) -> Address {
    let word: B256 = node
        .result(
            "eth_getStorageAt",
            json!([proxy, IMPLEMENTATION_SLOT, "latest"]),
        )
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    Address::from_word(word)
}

/// The value of `KEY=` in an env file's text.
pub fn env_value(text: &str, key: &str) -> Address {
    text.lines()
        .find_map(|line| line.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("no {key} in {text:?}"))
        .parse()
        .unwrap()
}

/// The address printed after `<what> at ` in the deploy's output.
pub fn printed_address(out: &str, what: &str) -> Address {
    let prefix = format!("{what} at ");
    out.lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .and_then(|rest| rest.split(':').next())
        .unwrap_or_else(|| panic!("no {prefix:?} line in {out}"))
        .parse()
        .unwrap()
}

/// Sends a signed raw transaction and waits for its successful receipt.
pub fn send(node: &Node, raw_tx: String) -> Value {
    let hash = node.result("eth_sendRawTransaction", json!([raw_tx]));
    let receipt = wait_for(std::time::Duration::from_secs(30), "a receipt", || {
        let receipt = node.result("eth_getTransactionReceipt", json!([hash]));
        (!receipt.is_null()).then_some(receipt)
    });
    assert_eq!(receipt["status"], "0x1", "{receipt}");
    receipt
}
