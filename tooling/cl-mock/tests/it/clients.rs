//! Cross-checks with real execution clients, driven by the same CL mock as ethrex: geth
//! (`$GETH`, v1.17.10) on an Osaka chain and ethereumjs (`$ETHEREUMJS`, @ethereumjs/client
//! 0.10.5) on a Prague chain. Blocks built by one client are imported by the other; every
//! import must be `VALID` and both clients must report the same block hashes and state roots.
//!
//! Ignored by default (they need the clients installed): `make cl-mock-clients` installs them
//! into `target/tools` and runs these tests; a missing client skips its test with the reason.
//! ethereumjs ignores SIGTERM: it is killed with SIGKILL by PID, and its error codes deviate
//! from the spec, so only statuses and hashes are compared.

use std::{
    net::{SocketAddr, TcpListener},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use alloy_primitives::{Address, B256};
use cl_mock::{Attributes, ClMock, Head, RpcClient, Schedule};
use ethrex_common::{Fork, system_contracts::MAINNET_DEPOSIT_CONTRACT};
use ethrex_test_utils::{GenesisBuilder, TxBuilder, tx::dev_secret};
use serde_json::{Value, json};

use crate::{Chain, EthrexNode, SECRET, blob_tx, canonical_hash, hash, send, transfer, tx_hashes};

/// How long a client may take to answer on its ports after starting.
const START_TIMEOUT: Duration = Duration::from_secs(90);

/// Init code deploying a contract whose code is `PUSH1 42 PUSH1 0 SSTORE STOP` (it stores 42
/// in slot 0 when called).
const DEPLOY: &str = "0x6006600c60003960066000f3602a60005500";

/// The client binary in `$var`, or `None` after printing why the test is skipped.
fn client(var: &str, name: &str) -> Option<PathBuf> {
    match std::env::var_os(var).map(PathBuf::from) {
        Some(path) if path.is_file() => Some(path),
        Some(path) => {
            println!("SKIP {name}: ${var} = {} is not a file", path.display());
            None
        }
        None => {
            println!("SKIP {name}: ${var} is not set (make cl-mock-clients installs it)");
            None
        }
    }
}

/// A loopback port free at the time of the call.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Another client's process, killed with SIGKILL (by PID) when dropped.
struct Process {
    child: Child,
    name: &'static str,
    log: PathBuf,
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Process {
    /// Waits until `client` answers `eth_chainId`, the process still running.
    fn wait_ready(&mut self, client: &RpcClient) {
        let deadline = Instant::now() + START_TIMEOUT;
        while client.call("eth_chainId", json!([])).is_err() {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("{} exited ({status}): {}", self.name, self.log_tail());
            }
            assert!(
                Instant::now() < deadline,
                "{} did not answer in {START_TIMEOUT:?}: {}",
                self.name,
                self.log_tail()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let start = text.len().saturating_sub(3000);
        text.get(start..).unwrap_or_default().to_string()
    }
}

/// The genesis both clients run: every fork up to `fork` at genesis, the mainnet deposit
/// contract named (geth needs it from Prague; ethrex defaults to it) and, from Osaka, Osaka's
/// blob parameters written out (geth requires an entry per blob fork).
fn shared_genesis(fork: Fork) -> (GenesisBuilder, Value) {
    let builder = GenesisBuilder::new(fork);
    let mut json = builder.json();
    json["config"]["depositContractAddress"] = json!(MAINNET_DEPOSIT_CONTRACT);
    // geth reads the terminal total difficulty as a JSON number only.
    json["config"]["terminalTotalDifficulty"] = json!(0);
    // ethereumjs requires the header fields geth writes (all zero here).
    json["nonce"] = json!("0x0");
    json["mixHash"] = json!(B256::ZERO);
    json["coinbase"] = json!(Address::ZERO);
    if fork >= Fork::Osaka {
        json["config"]["blobSchedule"]["osaka"] = json["config"]["blobSchedule"]["prague"].clone();
    }
    (builder, json)
}

/// Starts geth on `genesis` (after `geth init`) in `dir`: Engine API and HTTP on free ports.
fn start_geth(
    geth: &Path,
    dir: &Path,
    genesis: &Path,
    jwt: &Path,
) -> (Process, RpcClient, RpcClient) {
    let datadir = dir.join("geth");
    let log = dir.join("geth.log");
    let init = Command::new(geth)
        .env_clear()
        .arg("init")
        .arg("--datadir")
        .arg(&datadir)
        .args(["--state.scheme", "path"])
        .arg(genesis)
        .output()
        .unwrap();
    assert!(
        init.status.success(),
        "geth init: {}",
        String::from_utf8_lossy(&init.stderr)
    );
    let (auth_port, http_port) = (free_port(), free_port());
    let child = Command::new(geth)
        .env_clear()
        .arg("--datadir")
        .arg(&datadir)
        .args([
            "--authrpc.addr",
            "127.0.0.1",
            "--authrpc.port",
            &auth_port.to_string(),
        ])
        .arg("--authrpc.jwtsecret")
        .arg(jwt)
        .args([
            "--http",
            "--http.addr",
            "127.0.0.1",
            "--http.port",
            &http_port.to_string(),
        ])
        .args(["--http.api", "eth,net,web3,txpool"])
        .args([
            "--nodiscover",
            "--maxpeers",
            "0",
            "--port",
            "0",
            "--ipcdisable",
        ])
        .args([
            "--syncmode",
            "full",
            "--state.scheme",
            "path",
            "--verbosity",
            "3",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let mut process = Process {
        child,
        name: "geth",
        log,
    };
    let public = RpcClient::new(SocketAddr::from(([127, 0, 0, 1], http_port)));
    let engine = RpcClient::authenticated(SocketAddr::from(([127, 0, 0, 1], auth_port)), SECRET);
    process.wait_ready(&public);
    process.wait_ready(&engine);
    (process, public, engine)
}

/// Every block of both clients from 1 to `head`: equal hashes and state roots.
fn compare_chains(a: &RpcClient, b: &RpcClient, head: &Head) -> usize {
    for number in 1..=head.number {
        let tag = format!("{number:#x}");
        let (x, y) = (
            a.block_by_number(&tag).unwrap(),
            b.block_by_number(&tag).unwrap(),
        );
        assert_eq!(
            hash(&x["hash"]),
            hash(&y["hash"]),
            "block {number}: {x}\n{y}"
        );
        assert_eq!(
            hash(&x["stateRoot"]),
            hash(&y["stateRoot"]),
            "block {number}"
        );
    }
    assert_eq!(canonical_hash(a, head.number), head.hash);
    usize::try_from(head.number).unwrap()
}

/// The transactions sent before block `i` of the cross-check, to `public`: transfers every
/// block, a contract deployment, a call of it and blob transactions. `nonces` per dev account.
fn send_block_txs(public: &RpcClient, i: u64, fork: Fork, nonces: &mut [u64; 4]) -> usize {
    let mut next = |account: usize| {
        let nonce = nonces[account];
        nonces[account] += 1;
        nonce
    };
    let mut sent = vec![transfer(0, next(0), 1_000 + i)];
    match i {
        2 => sent.push(
            TxBuilder::new()
                .nonce(next(1))
                .create()
                .data(alloy_primitives::hex::decode(DEPLOY).unwrap())
                .gas_limit(100_000)
                .signer(dev_secret(1))
                .fees(20_000_000_000, 1_000_000_000)
                .eip1559(),
        ),
        4 => {
            let contract = Address::create(&ethrex_test_utils::dev_address(1), 0);
            sent.push(
                TxBuilder::new()
                    .nonce(next(1))
                    .to(contract)
                    .gas_limit(60_000)
                    .signer(dev_secret(1))
                    .fees(20_000_000_000, 1_000_000_000)
                    .eip1559(),
            );
        }
        3 | 6 => sent.push(blob_tx(2, next(2), fork)),
        _ => {}
    }
    for tx in &sent {
        send(public, tx);
    }
    sent.len()
}

/// geth and ethrex on one Osaka chain: blocks built alternately by each (transfers, a contract
/// deployment and call, blob transactions), imported by the other, a 3-deep reorg and back;
/// then every block compared.
#[test]
#[ignore = "needs geth: make cl-mock-clients"]
fn geth_and_ethrex_agree_on_an_osaka_chain() {
    let Some(geth) = client("GETH", "geth") else {
        return;
    };
    let started = Instant::now();
    let fork = Fork::Osaka;
    let (builder, genesis_json) = shared_genesis(fork);
    let mut chain = Chain::files(builder);
    std::fs::write(&chain.genesis_path, genesis_json.to_string()).unwrap();
    chain.nodes.push(EthrexNode::start(
        &chain.genesis_path,
        "memory",
        &chain.jwt_path,
    ));
    let (_geth, geth_public, geth_engine) = start_geth(
        &geth,
        chain.dir.path(),
        &chain.genesis_path,
        &chain.jwt_path,
    );
    let ethrex_public = chain.nodes[0].public();
    let genesis_hash = |c: &RpcClient| hash(&c.block_by_number("0x0").unwrap()["hash"]);
    assert_eq!(
        genesis_hash(&ethrex_public),
        genesis_hash(&geth_public),
        "genesis"
    );

    let engines = vec![chain.nodes[0].engine(), geth_engine];
    let config = chain.genesis.build().config().clone();
    let mut mock = ClMock::new(engines, Schedule::Known(Box::new(config))).unwrap();
    mock.build_time = Duration::from_millis(500);
    let publics = [ethrex_public.clone(), geth_public.clone()];
    let mut nonces = [0u64; 4];
    let mut blob_blocks = 0;
    for i in 1..=8u64 {
        // Even blocks by geth, odd by ethrex; the transactions go to the builder's pool.
        mock.builder = usize::from(i % 2 == 0);
        let sent = send_block_txs(&publics[mock.builder], i, fork, &mut nonces);
        let built = mock.produce_next().unwrap();
        assert_eq!(
            tx_hashes(&built).len(),
            sent,
            "block {i} by builder {}: {}",
            mock.builder,
            built.payload
        );
        blob_blocks += usize::from(built.check_blobs().unwrap() > 0);
    }
    assert_eq!(blob_blocks, 2);
    // A 3-deep reorg onto a side branch built by geth, and back.
    let main_head = mock.head();
    let fork_point = Head::from_block(
        &ethrex_public
            .block_by_number(&format!("{:#x}", main_head.number - 3))
            .unwrap(),
    )
    .unwrap();
    mock.builder = 1;
    let mut side = fork_point;
    for _ in 0..4 {
        let built = mock
            .build(1, &side, &Attributes::after(&side, 12, 7))
            .unwrap();
        mock.import(&built).unwrap();
        side = built.head;
    }
    mock.reorg_to(&side).unwrap();
    compare_chains(&ethrex_public, &geth_public, &side);
    mock.reorg_to(&main_head).unwrap();
    mock.builder = 0;
    let last = mock.produce_next().unwrap().head;
    let blocks = compare_chains(&ethrex_public, &geth_public, &last);
    println!(
        "geth v1.17.10 and ethrex agree on {blocks} blocks (and a 4-block side branch) in {:?}",
        started.elapsed()
    );
}

/// ethereumjs imports ethrex's Prague blocks: `VALID`, the same hashes and state roots.
#[test]
#[ignore = "needs ethereumjs: make cl-mock-clients"]
fn ethereumjs_accepts_ethrex_prague_blocks() {
    let Some(ethereumjs) = client("ETHEREUMJS", "ethereumjs") else {
        return;
    };
    let started = Instant::now();
    let fork = Fork::Prague;
    let (builder, genesis_json) = shared_genesis(fork);
    let mut chain = Chain::files(builder);
    std::fs::write(&chain.genesis_path, genesis_json.to_string()).unwrap();
    chain.nodes.push(EthrexNode::start(
        &chain.genesis_path,
        "memory",
        &chain.jwt_path,
    ));
    let (engine_port, http_port) = (free_port(), free_port());
    let log = chain.dir.path().join("ethereumjs.log");
    let jwt = chain.dir.path().join("jwt-plain.hex");
    // ethereumjs reads the secret without a 0x prefix.
    std::fs::write(&jwt, SECRET.to_hex().trim_start_matches("0x")).unwrap();
    // ethereumjs writes log and audit files into its working directory (even with
    // `--logFile false`, a file named after the date and "false"): keep them in the temp dir.
    let child = Command::new(&ethereumjs)
        .current_dir(chain.dir.path())
        .arg("--gethGenesis")
        .arg(&chain.genesis_path)
        .arg("--dataDir")
        .arg(chain.dir.path().join("ethereumjs"))
        .args([
            "--rpc",
            "--rpcAddr",
            "127.0.0.1",
            "--rpcPort",
            &http_port.to_string(),
        ])
        .args(["--rpcEngine", "--rpcEngineAddr", "127.0.0.1"])
        .args(["--rpcEnginePort", &engine_port.to_string()])
        .arg("--jwtSecret")
        .arg(&jwt)
        .args(["--port", &free_port().to_string(), "--maxPeers", "0"])
        .args([
            "--discDns",
            "false",
            "--discV4",
            "false",
            "--logFile",
            "false",
        ])
        .args(["--wsEnginePort", &free_port().to_string()])
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&log).unwrap())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut process = Process {
        child,
        name: "ethereumjs",
        log,
    };
    let ejs_public = RpcClient::new(SocketAddr::from(([127, 0, 0, 1], http_port)));
    let ejs_engine =
        RpcClient::authenticated(SocketAddr::from(([127, 0, 0, 1], engine_port)), SECRET);
    process.wait_ready(&ejs_public);
    let ethrex_public = chain.nodes[0].public();
    let genesis_hash = |c: &RpcClient| hash(&c.block_by_number("0x0").unwrap()["hash"]);
    assert_eq!(
        genesis_hash(&ethrex_public),
        genesis_hash(&ejs_public),
        "genesis: {}",
        process.log_tail()
    );

    let engines = vec![chain.nodes[0].engine(), ejs_engine];
    let config = chain.genesis.build().config().clone();
    let mut mock = ClMock::new(engines, Schedule::Known(Box::new(config))).unwrap();
    mock.build_time = Duration::from_millis(300);
    let mut nonces = [0u64; 4];
    let mut blob_blocks = 0;
    for i in 1..=6u64 {
        let sent = send_block_txs(&ethrex_public, i, fork, &mut nonces);
        let built = mock.produce_next();
        let built = built.unwrap_or_else(|e| panic!("block {i}: {e}\n{}", process.log_tail()));
        assert_eq!(built.transactions().len(), sent, "block {i}");
        blob_blocks += usize::from(built.check_blobs().unwrap() > 0);
    }
    assert_eq!(blob_blocks, 2);
    let head = mock.head();
    let blocks = compare_chains(&ethrex_public, &ejs_public, &head);
    println!(
        "ethereumjs 0.10.5 accepted {blocks} ethrex-built Prague blocks (equal hashes and state roots) in {:?}",
        started.elapsed()
    );
}
