//! `ethrex l2 --dev`: a whole local rollup in one process on free loopback ports — the
//! in-process L1, the contracts deployed on it, the sequencer. A deposit on L1 reaches the L2
//! balance; an L2 transfer is mined; SIGTERM stops everything cleanly.

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex, mpsc},
    time::{Duration, Instant},
};

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::{SolCall, sol};
use ethrex_common::dev::dev_accounts;
use ethrex_l2_sdk::{
    EthClient,
    calls::ICommonBridge,
    tx::{Call, Signer},
};

sol! {
    function withdraw(address _receiverOnL1) external payable;
    function claimWithdrawal(
        bytes32 l2WithdrawalTxHash,
        uint256 claimedAmount,
        uint256 withdrawalBatchNumber,
        uint256 withdrawalMessageId,
        bytes32[] withdrawalProof
    ) external;
    function lastVerifiedBatch() external view returns (uint256);
}

/// The L2 bridge (`CommonBridgeL2`, genesis code).
const L2_BRIDGE: Address = Address::new([
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff,
]);

/// A running `ethrex l2 --dev`, killed when dropped.
struct Rollup {
    child: Child,
    l1: String,
    l2: String,
    log: Arc<Mutex<Vec<String>>>,
    env_file: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for Rollup {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn after<'a>(line: &'a str, marker: &str) -> Option<&'a str> {
    line.find(marker).map(|at| line[at + marker.len()..].trim())
}

fn start(extra: &[&str]) -> Rollup {
    let dir = tempfile::tempdir().unwrap();
    let env_file = dir.path().join(".env");
    let mut child = Command::new(env!("CARGO_BIN_EXE_ethrex"))
        .args(["--log.color", "never", "l2", "--dev"])
        .args(["--http.port", "0", "--dev.l1-http-port", "0"])
        .args(["--block-producer.block-time", "500"])
        .args(["--watcher.watch-interval", "300"])
        .args(["--committer.commit-time", "1000"])
        .args(["--proof-coordinator.port", "0"])
        .args(["--proof-coordinator.send-interval", "500"])
        .arg("--env-file-path")
        .arg(&env_file)
        .args(extra)
        .env_clear()
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let log = Arc::new(Mutex::new(Vec::new()));
    let (tx, rx) = mpsc::channel();
    let sink = Arc::clone(&log);
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line.clone());
            sink.lock().unwrap().push(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(120);
    let (mut l1, mut l2, mut started) = (None, None, false);
    while !started {
        let left = deadline.saturating_duration_since(Instant::now());
        let Ok(line) = rx.recv_timeout(left) else {
            let _ = child.kill();
            panic!("ethrex l2 --dev did not start: {:?}", log.lock().unwrap());
        };
        l1 = l1.or_else(|| after(&line, "L1 JSON-RPC on ").map(str::to_string));
        l2 = l2.or_else(|| after(&line, "L2 HTTP JSON-RPC on ").map(str::to_string));
        started = line.contains("sequencer started");
    }
    Rollup {
        child,
        l1: l1.expect("L1 address logged"),
        l2: l2.expect("L2 address logged"),
        log,
        env_file,
        _dir: dir,
    }
}

/// Polls `check` every 100 ms for at most `timeout`; how long it took.
fn wait_until(timeout: Duration, what: &str, mut check: impl FnMut() -> bool) -> Duration {
    let started = Instant::now();
    while !check() {
        assert!(started.elapsed() < timeout, "{what}: not after {timeout:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
    started.elapsed()
}

fn env_address(rollup: &Rollup, key: &str) -> Address {
    let env = std::fs::read_to_string(&rollup.env_file).unwrap();
    env.lines()
        .find_map(|line| line.strip_prefix(key))
        .unwrap_or_else(|| panic!("{key} in the env file: {env}"))
        .parse()
        .unwrap()
}

#[test]
fn deposit_transfer_withdraw_and_claim() {
    let rollup = start(&[]);
    let env = std::fs::read_to_string(&rollup.env_file).unwrap();
    let bridge: Address = env
        .lines()
        .find_map(|line| line.strip_prefix("ETHREX_WATCHER_BRIDGE_ADDRESS="))
        .expect("bridge address in the env file")
        .parse()
        .unwrap();
    let l1 = EthClient::new(&rollup.l1).unwrap();
    let l2 = EthClient::new(&rollup.l2).unwrap();
    assert_eq!(l2.chain_id().unwrap(), 65_536_999);

    // A deposit from dev account 5 to a fresh L2 address.
    let accounts = dev_accounts().unwrap();
    let depositor = Signer::new(accounts[5].secret).unwrap();
    let recipient = Address::repeat_byte(0x5e);
    let amount = U256::from(10u64).pow(U256::from(18));
    let deposit = ICommonBridge::depositCall {
        l2Recipient: recipient,
    }
    .abi_encode();
    let call = Call::new(bridge, deposit).with_value(amount);
    l1.send_and_wait(&depositor, "deposit", &call, Duration::from_secs(30))
        .unwrap();
    let took = wait_until(Duration::from_secs(30), "the deposit on L2", || {
        l2.balance(recipient).unwrap() == amount
    });
    eprintln!("deposit → L2 balance: {:.1} s", took.as_secs_f64());

    // An L2 transfer from dev account 6 (rich in the L2 genesis).
    let sender = Signer::new(accounts[6].secret).unwrap();
    let other = Address::repeat_byte(0x6e);
    let receipt = l2
        .send_and_wait(
            &sender,
            "L2 transfer",
            &Call::transfer(other, U256::from(12_345)),
            Duration::from_secs(30),
        )
        .unwrap();
    assert!(receipt.succeeded());
    assert_eq!(l2.balance(other).unwrap(), U256::from(12_345));

    let log = rollup.log.lock().unwrap().join("\n");
    assert!(log.contains("privileged transaction 0"), "{log}");

    // Withdraw 0.1 ETH of account 6 to its own L1 address, then claim it there.
    let amount = U256::from(10u64).pow(U256::from(17));
    let call = Call::new(
        L2_BRIDGE,
        withdrawCall {
            _receiverOnL1: sender.address(),
        }
        .abi_encode(),
    )
    .with_value(amount);
    let withdrawal = l2
        .send_and_wait(&sender, "withdraw", &call, Duration::from_secs(30))
        .unwrap();
    let tx_hash = withdrawal.transaction_hash;
    let mut proof = serde_json::Value::Null;
    let took = wait_until(Duration::from_secs(60), "the withdrawal proof", || {
        proof = l2
            .request("ethrex_getWithdrawalProof", serde_json::json!([tx_hash]))
            .unwrap();
        !proof.is_null()
    });
    let message = &proof[0];
    let batch = message["batch_number"].as_u64().unwrap();
    let message_id = message["message_id"].as_u64().unwrap();
    let path: Vec<B256> = serde_json::from_value(message["merkle_proof"].clone()).unwrap();
    let proposer = env_address(&rollup, "ETHREX_COMMITTER_ON_CHAIN_PROPOSER_ADDRESS=");
    let verified = || {
        let data = l1
            .call(&ethrex_l2_sdk::client::CallRequest {
                to: Some(proposer),
                data: lastVerifiedBatchCall {}.abi_encode().into(),
                ..Default::default()
            })
            .unwrap();
        U256::from_be_slice(&data)
    };
    let took_verify = wait_until(Duration::from_secs(90), "the batch verified on L1", || {
        verified() >= U256::from(batch)
    });
    eprintln!(
        "withdrawal → proof {:.1} s, → verified batch {batch} {:.1} s more",
        took.as_secs_f64(),
        took_verify.as_secs_f64()
    );
    let claim = |proof: Vec<B256>| {
        let call = Call::new(
            bridge,
            claimWithdrawalCall {
                l2WithdrawalTxHash: tx_hash,
                claimedAmount: amount,
                withdrawalBatchNumber: U256::from(batch),
                withdrawalMessageId: U256::from(message_id),
                withdrawalProof: proof,
            }
            .abi_encode(),
        );
        // A fixed limit: a reverting claim is sent (not refused by the estimate) and reverts.
        Call {
            gas_limit: Some(200_000),
            ..call
        }
    };
    let before = l1.balance(sender.address()).unwrap();
    let receipt = l1
        .send_and_wait(
            &sender,
            "claim",
            &claim(path.clone()),
            Duration::from_secs(30),
        )
        .unwrap();
    let raw: serde_json::Value = l1
        .request(
            "eth_getTransactionReceipt",
            serde_json::json!([receipt.transaction_hash]),
        )
        .unwrap();
    let price: U256 = serde_json::from_value(raw["effectiveGasPrice"].clone()).unwrap();
    let gas = U256::from(receipt.gas_used.to::<u64>());
    assert_eq!(
        l1.balance(sender.address()).unwrap(),
        before + amount - gas * price,
        "the claim pays exactly the withdrawn amount"
    );
    // A second claim of the same message reverts.
    assert!(
        l1.send_and_wait(
            &sender,
            "claim again",
            &claim(path),
            Duration::from_secs(30)
        )
        .is_err()
    );
    terminate(rollup);
}

/// SIGTERM, then the process must exit with success within 30 s.
fn terminate(mut rollup: Rollup) {
    let pid = rollup.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = rollup.child.try_wait().unwrap() {
            let log = rollup.log.lock().unwrap().join("\n");
            assert!(status.success(), "exit {status}: {log}");
            assert!(log.contains("stopped"), "{log}");
            return;
        }
        assert!(Instant::now() < deadline, "no exit 30 s after SIGTERM");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn without_dev_the_l1_and_keys_are_required() {
    let out = Command::new(env!("CARGO_BIN_EXE_ethrex"))
        .args(["l2", "--http.port", "0"])
        .env_clear()
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--eth.rpc-url is required"), "{err}");
}
