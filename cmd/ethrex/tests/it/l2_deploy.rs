//! `ethrex l2 deploy` against a real `ethrex --dev` L1 on loopback: the proxies point to their
//! implementations and are initialized (batch 0 holds the L2 genesis root as a separately
//! started `ethrex --network fixtures/genesis/l2.json` reports it, the sequencers, owners, the
//! bridge), the env file names the proxies, a deposit emits `PrivilegedTxSent` with id 0, a
//! second deployment with the same salt is refused, a random salt deploys again and hands the
//! proposer's ownership over in two steps. Bad input fails with exit status ≠ 0 and a message.
//!
//! Accounts: rich accounts #189 (deployer, owners, committer) and #190 (proof sender) of
//! `dev-keys.txt`, counted from 0 over the key lines (`ethrex_common::dev::dev_accounts`).

use std::{path::PathBuf, process::Output};

use alloy_primitives::{Address, B256, Bytes, U256, address, keccak256};
use alloy_sol_types::{SolCall, SolValue, sol};
use ethrex_test_utils::{
    TxBuilder, dev_address, dev_secret,
    node::{Node, stderr, stdout, wait_for},
    raw,
};
use serde_json::{Value, json};

use crate::{ETHREX, ethrex};

sol! {
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

const DEPLOYER: usize = 189;
const PROOF_SENDER: usize = 190;
const ETHER: u64 = 1_000_000_000_000_000_000;
/// ERC-1967's implementation slot (EIP-1967: `keccak256("eip1967.proxy.implementation") - 1`).
const IMPLEMENTATION_SLOT: &str =
    "0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc";
/// The deterministic deployment proxy, which `ethrex --dev` lacks until the deployer installs it.
const CREATE2_DEPLOYER: Address = address!("0x4e59b44847b379578588920ca78fbf26c0b4956c");

fn l2_genesis_path() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/genesis/l2.json"
    ))
}

/// `ethrex l2 deploy` on the node's RPC with the usual accounts, plus `extra` flags.
fn deploy(node: &Node, env_file: &std::path::Path, extra: &[&str]) -> Output {
    let url = format!("http://{}", node.http);
    let key = dev_secret(DEPLOYER).to_string();
    let genesis = l2_genesis_path();
    let committer = dev_address(DEPLOYER).to_string();
    let proof_sender = dev_address(PROOF_SENDER).to_string();
    let mut args = vec![
        "l2",
        "deploy",
        "--eth-rpc-url",
        &url,
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

fn eth_call(node: &Node, to: Address, data: Vec<u8>) -> Bytes {
    let result = node.result(
        "eth_call",
        json!([{"to": to, "input": Bytes::from(data)}, "latest"]),
    );
    result.as_str().unwrap().parse().unwrap()
}

fn code(node: &Node, at: Address) -> Bytes {
    let result = node.result("eth_getCode", json!([at, "latest"]));
    result.as_str().unwrap().parse().unwrap()
}

fn implementation(node: &Node, proxy: Address) -> Address {
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
fn env_value(text: &str, key: &str) -> Address {
    text.lines()
        .find_map(|line| line.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("no {key} in {text:?}"))
        .parse()
        .unwrap()
}

/// The address printed after `<what> at ` in the deploy's output.
fn printed_address(out: &str, what: &str) -> Address {
    let prefix = format!("{what} at ");
    out.lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .and_then(|rest| rest.split(':').next())
        .unwrap_or_else(|| panic!("no {prefix:?} line in {out}"))
        .parse()
        .unwrap()
}

/// Sends a signed raw transaction and waits for its successful receipt.
fn send(node: &Node, raw_tx: String) -> Value {
    let hash = node.result("eth_sendRawTransaction", json!([raw_tx]));
    let receipt = wait_for(std::time::Duration::from_secs(30), "a receipt", || {
        let receipt = node.result("eth_getTransactionReceipt", json!([hash]));
        (!receipt.is_null()).then_some(receipt)
    });
    assert_eq!(receipt["status"], "0x1", "{receipt}");
    receipt
}

#[test]
fn deploy_on_the_dev_chain_initializes_the_proxies_and_refuses_a_second_time() {
    let l1 = ETHREX.start(&["--dev", "--datadir", "memory"]);
    let dir = tempfile::tempdir().unwrap();
    let env_file = dir.path().join("deploy.env");
    std::fs::write(&env_file, "KEEP_ME=1\n").unwrap();
    assert!(code(&l1, CREATE2_DEPLOYER).is_empty());

    let out = deploy(&l1, &env_file, &[]);
    let printed = stdout(&out);
    assert!(out.status.success(), "{printed}\n{}", stderr(&out));
    // One line per transaction with its hash: fund the proxy signer, install the proxy, four
    // deployments, initializeBridgeAddress.
    let tx_lines = printed
        .lines()
        .filter(|line| {
            line.rsplit(": ")
                .next()
                .is_some_and(|h| h.len() == 66 && h.parse::<B256>().is_ok())
        })
        .count();
    assert_eq!(tx_lines, 7, "{printed}");
    assert!(
        !code(&l1, CREATE2_DEPLOYER).is_empty(),
        "the pre-EIP-155 proxy transaction was accepted"
    );

    let env = std::fs::read_to_string(&env_file).unwrap();
    assert!(env.starts_with("KEEP_ME=1\n"), "{env}");
    let bridge = env_value(&env, "ETHREX_WATCHER_BRIDGE_ADDRESS");
    let proposer = env_value(&env, "ETHREX_COMMITTER_ON_CHAIN_PROPOSER_ADDRESS");
    assert!(printed.contains(&format!("ETHREX_WATCHER_BRIDGE_ADDRESS={bridge:#x}")));
    for (proxy, what) in [(bridge, "CommonBridge"), (proposer, "OnChainProposer")] {
        assert!(!code(&l1, proxy).is_empty(), "{what} proxy has code");
        let implementation_at = printed_address(&printed, &format!("{what} implementation"));
        assert_eq!(printed_address(&printed, &format!("{what} proxy")), proxy);
        assert_eq!(implementation(&l1, proxy), implementation_at, "{what}");
        assert!(!code(&l1, implementation_at).is_empty());
    }

    // Batch 0 is the L2 genesis, whose root a node started on that genesis reports.
    let l2 = ETHREX.start(&[
        "--network",
        l2_genesis_path().to_str().unwrap(),
        "--datadir",
        "memory",
    ]);
    assert_eq!(l2.result("eth_chainId", json!([])), "0x3e803e7");
    let genesis_root: B256 = l2.result("eth_getBlockByNumber", json!(["0x0", false]))["stateRoot"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    drop(l2);
    let last = eth_call(&l1, proposer, lastCommittedBatchCall {}.abi_encode());
    assert_eq!(U256::abi_decode(&last).unwrap(), U256::ZERO);
    let batch0 = eth_call(
        &l1,
        proposer,
        batchCommitmentsCall {
            batchNumber: U256::ZERO,
        }
        .abi_encode(),
    );
    assert_eq!(B256::from_slice(&batch0[..32]), genesis_root);
    let chain_id = eth_call(&l1, proposer, CHAIN_IDCall {}.abi_encode());
    assert_eq!(
        U256::abi_decode(&chain_id).unwrap(),
        U256::from(65_536_999u64)
    );
    let authorized = |who: Address| {
        let answer = eth_call(
            &l1,
            proposer,
            authorizedSequencerAddressesCall { sequencer: who }.abi_encode(),
        );
        bool::abi_decode(&answer).unwrap()
    };
    assert!(authorized(dev_address(DEPLOYER)));
    assert!(authorized(dev_address(PROOF_SENDER)));
    assert!(!authorized(dev_address(0)));
    let address_of =
        |to: Address, data: Vec<u8>| Address::abi_decode(&eth_call(&l1, to, data)).unwrap();
    assert_eq!(address_of(proposer, BRIDGECall {}.abi_encode()), bridge);
    assert_eq!(
        address_of(proposer, ownerCall {}.abi_encode()),
        dev_address(DEPLOYER)
    );
    assert_eq!(
        address_of(bridge, ownerCall {}.abi_encode()),
        dev_address(DEPLOYER)
    );

    // A deposit becomes privileged transaction 0.
    let recipient = Address::repeat_byte(0x42);
    let tx = TxBuilder::new()
        .to(bridge)
        .value(ETHER)
        .data(
            depositCall {
                l2Recipient: recipient,
            }
            .abi_encode(),
        )
        .gas_limit(300_000)
        .eip1559();
    let receipt = send(&l1, raw(&tx));
    let topic0 = keccak256("PrivilegedTxSent(address,address,uint256,uint256,uint256,bytes)");
    let log = receipt["logs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|log| log["topics"][0] == json!(topic0))
        .unwrap_or_else(|| panic!("no PrivilegedTxSent in {receipt}"));
    assert_eq!(log["address"], json!(bridge));
    let l2_bridge = B256::left_padding_from(&[0xff, 0xff]);
    assert_eq!(log["topics"][1], json!(l2_bridge));
    assert_eq!(log["topics"][2], json!(l2_bridge));
    assert_eq!(log["topics"][3], json!(B256::ZERO), "transaction id 0");

    // The same salt again: refused before any transaction, nothing changed.
    let nonce_before = l1.result(
        "eth_getTransactionCount",
        json!([dev_address(DEPLOYER), "latest"]),
    );
    let again = deploy(&l1, &env_file, &[]);
    assert_eq!(again.status.code(), Some(1), "{}", stdout(&again));
    let message = stderr(&again);
    assert!(message.contains("already deployed at"), "{message}");
    assert!(
        message.contains("--randomize-contract-deployment"),
        "{message}"
    );
    assert!(!message.contains("panicked"), "{message}");
    assert_eq!(
        l1.result(
            "eth_getTransactionCount",
            json!([dev_address(DEPLOYER), "latest"])
        ),
        nonce_before
    );

    // A random salt deploys anew; another proposer owner becomes pending, then accepts.
    let new_owner = dev_address(PROOF_SENDER).to_string();
    let random = deploy(
        &l1,
        &env_file,
        &[
            "--randomize-contract-deployment",
            "--on-chain-proposer-owner",
            &new_owner,
            "--bridge-owner",
            &new_owner,
        ],
    );
    let printed = stdout(&random);
    assert!(random.status.success(), "{printed}\n{}", stderr(&random));
    assert!(printed.contains("must call acceptOwnership()"), "{printed}");
    let env = std::fs::read_to_string(&env_file).unwrap();
    assert_eq!(env.lines().count(), 3, "{env}");
    let proposer2 = env_value(&env, "ETHREX_COMMITTER_ON_CHAIN_PROPOSER_ADDRESS");
    let bridge2 = env_value(&env, "ETHREX_WATCHER_BRIDGE_ADDRESS");
    assert_ne!(proposer2, proposer);
    assert_eq!(
        address_of(bridge2, ownerCall {}.abi_encode()),
        dev_address(PROOF_SENDER)
    );
    assert_eq!(
        address_of(proposer2, ownerCall {}.abi_encode()),
        dev_address(DEPLOYER)
    );
    assert_eq!(
        address_of(proposer2, pendingOwnerCall {}.abi_encode()),
        dev_address(PROOF_SENDER)
    );
    assert_eq!(address_of(proposer2, BRIDGECall {}.abi_encode()), bridge2);
    let accept = TxBuilder::new()
        .to(proposer2)
        .data(acceptOwnershipCall {}.abi_encode())
        .gas_limit(100_000)
        .signer(dev_secret(PROOF_SENDER))
        .eip1559();
    send(&l1, raw(&accept));
    assert_eq!(
        address_of(proposer2, ownerCall {}.abi_encode()),
        dev_address(PROOF_SENDER)
    );
}

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

/// anvil (npm `@foundry-rs/anvil`, installed by `make l2-anvil` into `target/l2-anvil`): the
/// platform binary itself, not npm's node wrapper, so that killing it stops it.
fn anvil_binary() -> Option<PathBuf> {
    let scope = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../target/l2-anvil/node_modules/@foundry-rs"
    ));
    std::fs::read_dir(scope)
        .ok()?
        .filter_map(Result::ok)
        .filter(|entry| entry.file_name().to_string_lossy().starts_with("anvil-"))
        .map(|entry| entry.path().join("bin/anvil"))
        .find(|path| path.is_file())
}

/// A running anvil, killed when dropped.
struct Anvil {
    child: std::process::Child,
    addr: std::net::SocketAddr,
}

impl Anvil {
    /// Starts anvil (Osaka rules, as the contracts are compiled for) on a free loopback port and
    /// waits (at most 30 s) for its `Listening on` line.
    fn start(binary: &std::path::Path) -> Anvil {
        use std::io::BufRead;
        let mut child = std::process::Command::new(binary)
            .args(["--host", "127.0.0.1", "--port", "0", "--hardfork", "osaka"])
            .env_clear()
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn anvil");
        let out = child.stdout.take().expect("piped stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
                if let Some(addr) = line.strip_prefix("Listening on ") {
                    let _ = tx.send(addr.trim().to_string());
                }
            }
        });
        let Ok(addr) = rx.recv_timeout(std::time::Duration::from_secs(30)) else {
            let _ = child.kill();
            panic!("anvil did not start");
        };
        Anvil {
            child,
            addr: addr.parse().expect("anvil's address"),
        }
    }

    fn result(&self, method: &str, params: Value) -> Value {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let (status, text) = ethrex_test_utils::node::http_post(self.addr, &body.to_string());
        assert_eq!(status, 200, "{text}");
        let answer: Value = serde_json::from_str(&text).expect("JSON");
        assert!(answer["error"].is_null(), "{method}: {answer}");
        answer["result"].clone()
    }
}

impl Drop for Anvil {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The same arguments on anvil (which has the CREATE2 proxy in its genesis) and on
/// `ethrex --dev` (where the deployer installs it) give the same addresses, and anvil's proposer
/// holds the L2 genesis root as batch 0.
#[test]
fn deploy_on_anvil_gives_the_addresses_of_the_dev_chain() {
    let Some(binary) = anvil_binary() else {
        eprintln!("SKIPPED: anvil is not installed (make l2-anvil installs npm @foundry-rs/anvil)");
        return;
    };
    let dev = ETHREX.start(&["--dev", "--datadir", "memory"]);
    let dir = tempfile::tempdir().unwrap();
    let dev_env = dir.path().join("dev.env");
    let out = deploy(&dev, &dev_env, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    drop(dev);

    let anvil = Anvil::start(&binary);
    assert_eq!(anvil.result("eth_chainId", json!([])), "0x7a69");
    let proxy_code = anvil.result("eth_getCode", json!([CREATE2_DEPLOYER, "latest"]));
    assert_ne!(proxy_code, "0x", "anvil's genesis has the CREATE2 proxy");
    let million_ether = U256::from(10u64).pow(U256::from(24));
    anvil.result(
        "anvil_setBalance",
        json!([dev_address(DEPLOYER), million_ether]),
    );
    let url = format!("http://{}", anvil.addr);
    let anvil_env = dir.path().join("anvil.env");
    let key = dev_secret(DEPLOYER).to_string();
    let genesis = l2_genesis_path();
    let committer = dev_address(DEPLOYER).to_string();
    let proof_sender = dev_address(PROOF_SENDER).to_string();
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
        &committer,
        "--proof-sender.l1-address",
        &proof_sender,
        "--env-file-path",
        anvil_env.to_str().unwrap(),
        "--inclusion-max-wait",
        "300",
    ]);
    let printed = stdout(&out);
    assert!(out.status.success(), "{printed}\n{}", stderr(&out));
    assert!(
        !printed.contains("deterministic deployment proxy"),
        "{printed}"
    );
    let env = std::fs::read_to_string(&anvil_env).unwrap();
    assert_eq!(env, std::fs::read_to_string(&dev_env).unwrap());

    let proposer = env_value(&env, "ETHREX_COMMITTER_ON_CHAIN_PROPOSER_ADDRESS");
    let call = |data: Vec<u8>| -> Bytes {
        let result = anvil.result(
            "eth_call",
            json!([{"to": proposer, "input": Bytes::from(data)}, "latest"]),
        );
        result.as_str().unwrap().parse().unwrap()
    };
    let last = call(lastCommittedBatchCall {}.abi_encode());
    assert_eq!(U256::abi_decode(&last).unwrap(), U256::ZERO);
    let batch0 = call(
        batchCommitmentsCall {
            batchNumber: U256::ZERO,
        }
        .abi_encode(),
    );
    let root = ethrex_common::Genesis::from_file(&genesis)
        .unwrap()
        .state_root()
        .unwrap();
    assert_eq!(B256::from_slice(&batch0[..32]), root);
}
