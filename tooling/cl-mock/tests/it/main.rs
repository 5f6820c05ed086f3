//! The CL mock against real `ethrex` processes: two nodes on one genesis (Prague or Osaka,
//! `--datadir memory`) driven through reorgs, re-orged transactions, an invalid payload and
//! blob transactions (`scenarios`), and one node on RocksDB killed with SIGKILL and restarted
//! (`restart`); `clients` cross-checks the same chains with geth and ethereumjs (ignored unless
//! asked for: `make cl-mock-clients`).
//!
//! The `ethrex` binary is `$ETHREX_BIN`, or the one cargo built next to this test binary (a
//! workspace build; `cargo build -p ethrex` first when running `-p cl-mock` alone). Every node is
//! killed when its [`EthrexNode`] is dropped, every wait is bounded.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "integration tests: a failed step fails the test"
)]

mod clients;
mod restart;
mod scenarios;

use std::{
    collections::VecDeque,
    io::BufRead,
    net::SocketAddr,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex, mpsc},
    time::{Duration, Instant},
};

use alloy_primitives::{Address, B256};
use cl_mock::{ClMock, JwtSecret, RpcClient, Schedule};
use ethrex_common::{Fork, types::Transaction};
use ethrex_test_utils::{GenesisBuilder, TxBuilder, tx::dev_secret};
use serde_json::{Value, json};

/// How long a node may take to log its servers' addresses.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How many log lines a node keeps for failure messages.
const LOG_TAIL: usize = 100;
/// The JWT secret of every test node.
const SECRET: JwtSecret = JwtSecret::new([0x42; 32]);

/// The `ethrex` binary under test.
pub fn ethrex_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("ETHREX_BIN") {
        return PathBuf::from(path);
    }
    // This test runs from `<target>/debug/deps/`; cargo puts the binaries in `<target>/debug/`.
    let exe = std::env::current_exe().unwrap();
    let path = exe.parent().and_then(Path::parent).unwrap().join("ethrex");
    assert!(
        path.is_file(),
        "{} is missing: build it (cargo build -p ethrex) or set ETHREX_BIN",
        path.display()
    );
    path
}

/// A running `ethrex` node, killed (SIGKILL) when dropped.
pub struct EthrexNode {
    child: Child,
    pub http: SocketAddr,
    pub auth: SocketAddr,
    log: Arc<Mutex<VecDeque<String>>>,
}

impl EthrexNode {
    /// Starts `ethrex --network <genesis> --datadir <datadir>` with both RPC ports on
    /// 127.0.0.1 chosen by the system and `jwt` as the Engine API secret.
    pub fn start(genesis: &Path, datadir: &str, jwt: &Path) -> EthrexNode {
        let binary = ethrex_binary();
        let mut child = Command::new(&binary)
            .arg("--network")
            .arg(genesis)
            .args(["--datadir", datadir])
            .args(["--http.addr", "127.0.0.1", "--http.port", "0"])
            .args(["--authrpc.addr", "127.0.0.1", "--authrpc.port", "0"])
            // No discovery: nothing but loopback traffic.
            .arg("--p2p.disabled")
            .arg("--authrpc.jwtsecret")
            .arg(jwt)
            .args(["--log.color", "never"])
            .env_clear()
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", binary.display()));
        let log = Arc::new(Mutex::new(VecDeque::new()));
        let (lines_tx, lines) = mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        let sink = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr)
                .lines()
                .map_while(Result::ok)
            {
                let _ = lines_tx.send(line.clone());
                let mut tail = sink.lock().unwrap();
                if tail.len() == LOG_TAIL {
                    tail.pop_front();
                }
                tail.push_back(line);
            }
        });
        let address = |line: &str, prefix: &str| -> Option<SocketAddr> {
            line.split(prefix).nth(1)?.trim().parse().ok()
        };
        let (mut http, mut auth) = (None, None);
        let deadline = Instant::now() + START_TIMEOUT;
        while http.is_none() || auth.is_none() {
            let left = deadline.saturating_duration_since(Instant::now());
            let Ok(line) = lines.recv_timeout(left) else {
                let _ = child.kill();
                panic!("ethrex did not start: {:?}", log.lock().unwrap());
            };
            http = http.or_else(|| address(&line, "HTTP JSON-RPC on http://"));
            auth = auth.or_else(|| address(&line, "Engine API on http://"));
        }
        EthrexNode {
            child,
            http: http.unwrap(),
            auth: auth.unwrap(),
            log,
        }
    }

    pub fn engine(&self) -> RpcClient {
        RpcClient::authenticated(self.auth, SECRET)
    }

    pub fn public(&self) -> RpcClient {
        RpcClient::new(self.http)
    }

    /// SIGKILL, and waits for the process to be gone.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The last lines the node logged.
    pub fn log_tail(&self) -> Vec<String> {
        self.log.lock().unwrap().iter().cloned().collect()
    }
}

impl Drop for EthrexNode {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A genesis file and a JWT secret file in a temporary directory, and nodes started on them.
pub struct Chain {
    pub dir: tempfile::TempDir,
    pub genesis: GenesisBuilder,
    pub genesis_path: PathBuf,
    pub jwt_path: PathBuf,
    pub nodes: Vec<EthrexNode>,
}

impl Chain {
    /// `count` in-memory nodes on `genesis`.
    pub fn start(genesis: GenesisBuilder, count: usize) -> Chain {
        let mut chain = Chain::files(genesis);
        for _ in 0..count {
            let node = EthrexNode::start(&chain.genesis_path, "memory", &chain.jwt_path);
            chain.nodes.push(node);
        }
        chain
    }

    /// The files, no node yet.
    pub fn files(genesis: GenesisBuilder) -> Chain {
        let dir = tempfile::tempdir().unwrap();
        let genesis_path = dir.path().join("genesis.json");
        std::fs::write(&genesis_path, genesis.json().to_string()).unwrap();
        let jwt_path = dir.path().join("jwt.hex");
        std::fs::write(&jwt_path, SECRET.to_hex()).unwrap();
        Chain {
            dir,
            genesis,
            genesis_path,
            jwt_path,
            nodes: Vec::new(),
        }
    }

    /// A CL mock over every node's Engine API, node 0 building.
    pub fn mock(&self) -> ClMock {
        let engines = self.nodes.iter().map(EthrexNode::engine).collect();
        let schedule = Schedule::Known(Box::new(self.genesis.build().config().clone()));
        let mut mock = ClMock::new(engines, schedule).unwrap();
        mock.build_time = Duration::from_millis(300);
        mock
    }

    /// Asserts that every node's latest block is `expected`, with the same state root; returns
    /// the root.
    pub fn assert_heads(&self, expected: B256) -> B256 {
        let mut roots = Vec::new();
        for (i, node) in self.nodes.iter().enumerate() {
            let latest = node.public().block_by_number("latest").unwrap();
            assert_eq!(
                hash(&latest["hash"]),
                expected,
                "node {i} head: {latest}\nlog: {:?}",
                node.log_tail()
            );
            roots.push(hash(&latest["stateRoot"]));
        }
        assert!(
            roots.windows(2).all(|w| w[0] == w[1]),
            "state roots {roots:?}"
        );
        roots[0]
    }
}

/// A 32-byte hash in JSON.
pub fn hash(value: &Value) -> B256 {
    serde_json::from_value(value.clone()).unwrap_or_else(|_| panic!("not a hash: {value}"))
}

/// Node's canonical block hash at `number`.
pub fn canonical_hash(client: &RpcClient, number: u64) -> B256 {
    hash(&client.block_by_number(&format!("{number:#x}")).unwrap()["hash"])
}

/// Sends `tx` (network encoding) to `client`; returns its hash.
pub fn send(client: &RpcClient, tx: &Transaction) -> B256 {
    let answer = client
        .send_raw_transaction(&ethrex_test_utils::raw(tx))
        .unwrap();
    hash(&answer)
}

/// A blob transaction of dev account `account` carrying one blob, with its sidecar: blob proofs
/// (version 0, up to Prague) or cell proofs (version 1, from Osaka).
pub fn blob_tx(account: usize, nonce: u64, fork: Fork) -> Transaction {
    let seed = [
        42,
        u8::try_from(account).unwrap(),
        u8::try_from(nonce).unwrap(),
    ];
    TxBuilder::new()
        .nonce(nonce)
        .to(Address::repeat_byte(0x42))
        .signer(dev_secret(account))
        .fees(20_000_000_000, 1_000_000_000)
        .eip4844_with_sidecar(&seed, fork >= Fork::Osaka, 1_000_000_000)
}

/// A transfer of `value` wei from dev account `account`.
pub fn transfer(account: usize, nonce: u64, value: u64) -> Transaction {
    TxBuilder::new()
        .nonce(nonce)
        .to(Address::repeat_byte(0x77))
        .value(value)
        .signer(dev_secret(account))
        .fees(20_000_000_000, 1_000_000_000)
        .eip1559()
}

/// The hashes of a built payload's transactions.
pub fn tx_hashes(built: &cl_mock::Built) -> Vec<B256> {
    built
        .transactions()
        .iter()
        .map(|raw| {
            let bytes = alloy_primitives::hex::decode(raw).unwrap();
            ethrex_common::types::decode_transaction(&bytes)
                .unwrap()
                .hash()
        })
        .collect()
}

/// `eth_getTransactionByHash` on `client`.
pub fn transaction(client: &RpcClient, hash: B256) -> Value {
    client
        .call("eth_getTransactionByHash", json!([hash]))
        .unwrap()
}
