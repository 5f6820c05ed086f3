//! `ethrex l2 --dev`: a whole local rollup in one process on free loopback ports — the
//! in-process L1, the contracts deployed on it, the sequencer. A deposit on L1 reaches the L2
//! balance; an L2 transfer is mined; SIGTERM stops everything cleanly.

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex, mpsc},
    time::{Duration, Instant},
};

use alloy_primitives::{Address, U256};
use alloy_sol_types::SolCall;
use ethrex_common::dev::dev_accounts;
use ethrex_l2_sdk::{
    EthClient,
    calls::ICommonBridge,
    tx::{Call, Signer},
};

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

#[test]
fn a_deposit_reaches_the_l2_and_an_l2_transfer_is_mined() {
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
