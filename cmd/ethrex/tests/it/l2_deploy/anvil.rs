//! `ethrex l2 deploy` on anvil (npm `@foundry-rs/anvil`, which has the CREATE2 proxy in its
//! genesis): the same arguments give the same addresses as on `ethrex --dev`, where the deployer
//! installs the proxy, and anvil's proposer holds the L2 genesis root as batch 0.

use std::path::PathBuf;

use alloy_primitives::{B256, Bytes, U256};
use alloy_sol_types::{SolCall, SolValue};
use ethrex_test_utils::{
    dev_address,
    node::{stderr, stdout},
};
use serde_json::{Value, json};

use super::*;
use crate::ETHREX;

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
    let out = deploy_to(&url, &anvil_env, &[]);
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
    let root = ethrex_common::Genesis::from_file(&l2_genesis_path())
        .unwrap()
        .state_root()
        .unwrap();
    assert_eq!(B256::from_slice(&batch0[..32]), root);
}
