//! The engine replay: every blockchain test whose genesis is post-merge (network Paris or later,
//! transitions such as `ShanghaiToCancunAtTime15k` included) replayed against a real `ethrex`
//! process, one per test, over its authenticated Engine API port (HTTP + JWT on 127.0.0.1).
//! Pre-merge tests are not engine tests and are left out (not counted).
//!
//! Where to start reading: [`replay`] (the checks of one test), then [`payload`] (a block as
//! `newPayload`/`forkchoiceUpdated` calls), [`requests`] (Prague's execution requests),
//! [`genesis`] (the fixture's genesis as a genesis file), [`node`] (the process) and [`client`]
//! (HTTP + JWT).
//!
//! `--jobs N` workers take fixture files in turn, so up to N nodes run at once; results are
//! recorded per network in the [`Report`]. A panic in a test fails that test only (its node is
//! killed on unwinding).

mod client;
mod genesis;
mod node;
mod payload;
mod replay;
mod requests;

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    sync::{
        atomic::{AtomicUsize, Ordering},
        mpsc,
    },
    time::{Instant, SystemTime, UNIX_EPOCH},
};

use ethrex_common::Fork;
use replay::{Outcome, Setup, Tally};

use crate::{
    fixtures::read_json,
    report::{NO_FORK, Report},
    suites::blockchain::{BlockchainTest, chain_config},
};

/// How a run is done.
#[derive(Debug)]
pub struct Options {
    /// The `ethrex` binary.
    pub ethrex: PathBuf,
    /// How many tests run at once.
    pub jobs: usize,
}

/// One test's result, sent from a worker.
struct Done {
    network: String,
    id: String,
    outcome: Outcome,
}

/// Replays every post-merge test of `files` into `report`, then prints what the passed tests
/// sent and the elapsed time. Fails (before running anything) without a binary or scratch space.
pub fn run(files: &[PathBuf], options: &Options, report: &mut Report) -> Result<(), String> {
    if !options.ethrex.is_file() {
        return Err(format!(
            "no ethrex binary at {} (build it with `cargo build -p ethrex`, or pass --ethrex)",
            options.ethrex.display()
        ));
    }
    let dir = tempfile::tempdir().map_err(|e| format!("temporary directory: {e}"))?;
    let secret = jwt_secret();
    let jwt_file = dir.path().join("jwt.hex");
    std::fs::write(&jwt_file, alloy_primitives::hex::encode(secret))
        .map_err(|e| format!("write {}: {e}", jwt_file.display()))?;
    let start = Instant::now();
    let next_file = AtomicUsize::new(0);
    let (done_tx, done) = mpsc::channel::<Done>();
    let mut tally = Tally::default();
    std::thread::scope(|scope| -> Result<(), String> {
        for worker in 0..options.jobs.max(1) {
            let scratch = dir.path().join(format!("worker-{worker}"));
            std::fs::create_dir_all(&scratch)
                .map_err(|e| format!("create {}: {e}", scratch.display()))?;
            let (done_tx, next_file, jwt_file) = (done_tx.clone(), &next_file, &jwt_file);
            scope.spawn(move || {
                let setup = Setup {
                    ethrex: &options.ethrex,
                    jwt_file,
                    secret,
                    scratch: &scratch,
                };
                while let Some(file) = files.get(next_file.fetch_add(1, Ordering::Relaxed)) {
                    run_file(file, &setup, &done_tx);
                }
            });
        }
        drop(done_tx);
        let mut count = 0usize;
        for Done {
            network,
            id,
            outcome,
        } in done
        {
            match outcome {
                Outcome::Passed(t) => {
                    tally += t;
                    report.pass(&network);
                }
                Outcome::Failed(reason) => report.fail(&network, &id, reason),
                Outcome::Skipped(reason) => report.skip(&network, &id, reason),
            }
            count += 1;
            if count.is_multiple_of(500) {
                eprintln!(
                    "engine replay: {count} tests in {:.0} s, {} failed",
                    start.elapsed().as_secs_f64(),
                    report.failed()
                );
            }
        }
        Ok(())
    })?;
    println!(
        "blocks sent by passed tests: {} valid, {} invalid ({} of them reshaped by the payload \
         format); {} undecodable invalid blocks not sent",
        tally.valid_blocks, tally.invalid_sent, tally.invalid_reshaped, tally.invalid_undecodable
    );
    println!(
        "engine replay took {:.1} s with {} jobs",
        start.elapsed().as_secs_f64(),
        options.jobs.max(1)
    );
    Ok(())
}

/// Replays the post-merge tests of one file, sending each result.
fn run_file(file: &Path, setup: &Setup<'_>, done: &mpsc::Sender<Done>) {
    let tests: BTreeMap<String, BlockchainTest> = match read_json(file) {
        Ok(tests) => tests,
        Err(e) => {
            let _ = done.send(Done {
                network: NO_FORK.to_string(),
                id: file.display().to_string(),
                outcome: Outcome::Failed(e.to_string()),
            });
            return;
        }
    };
    for (name, test) in tests {
        let id = format!("{}::{name}", file.display());
        let outcome = match chain_config(&test) {
            Err(reason) => Outcome::Skipped(format!("network {}: {reason}", test.network)),
            Ok(config) if config.fork_at(0, 0) < Fork::Paris => continue,
            Ok(config) => std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                replay::replay(&test, &config, setup)
            }))
            .unwrap_or_else(|panic| {
                let message = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                Outcome::Failed(format!("panicked: {message}"))
            }),
        };
        let network = test.network;
        if done
            .send(Done {
                network,
                id,
                outcome,
            })
            .is_err()
        {
            return;
        }
    }
}

/// A fresh 32-byte secret for this run's nodes (local only: unpredictability is not needed).
fn jwt_secret() -> [u8; 32] {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let seed = format!("ethrex engine replay {nanos} {}", std::process::id());
    alloy_primitives::keccak256(seed.as_bytes()).0
}

#[cfg(test)]
mod tests {
    use ethrex_common::types::decode_block;

    use super::*;
    use crate::fixtures::hex_bytes;

    /// A test of the EEST blockchain set, if `make fixtures` has unpacked it.
    fn eest_test(file: &str, name: &str) -> Option<BlockchainTest> {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../target/fixtures/eest-v5.4.0-blockchain_tests/blockchain_tests")
            .join(file);
        if !path.is_file() {
            eprintln!("skipped: {} absent (run `make fixtures`)", path.display());
            return None;
        }
        let mut tests: BTreeMap<String, BlockchainTest> = read_json(&path).unwrap();
        tests.remove(name)
    }

    #[test]
    fn a_deposit_block_is_sent_with_the_requests_its_header_commits_to() {
        let Some(test) = eest_test(
            "prague/eip6110_deposits/test_extra_logs.json",
            "tests/prague/eip6110_deposits/test_modified_contract.py::test_extra_logs\
             [fork_Prague-blockchain_test-include_deposit_event_True-extra_event_type_no_topics]",
        ) else {
            return;
        };
        let config = chain_config(&test).unwrap();
        let genesis = decode_block(&hex_bytes(&test.genesis_rlp).unwrap()).unwrap();
        genesis::genesis_json(&config, &genesis.header, &test.pre).unwrap();
        let block = decode_block(&hex_bytes(&test.blocks[0].rlp).unwrap()).unwrap();
        let local = requests::LocalChain::new(&test, &genesis, &config).unwrap();
        let (requests, problem) = requests::requests_for(&block, Some(&local));
        assert_eq!(problem, None);
        assert_eq!(requests.len(), 1);
        assert_eq!(requests[0][0], 0x00, "a deposit request");
        let call = payload::new_payload(&block, payload::versions(Fork::Prague), &requests);
        assert_eq!(call.rebuilt_hash, block.header.hash_slow());
    }

    #[test]
    fn a_cancun_genesis_with_excess_blob_gas_is_expressible() {
        let Some(test) = eest_test(
            "cancun/eip4844_blobs/test_invalid_blob_hash_versioning_single_tx.json",
            "tests/cancun/eip4844_blobs/test_blob_txs.py::test_invalid_blob_hash_versioning_single_tx\
             [fork_Cancun-blockchain_test_from_state_test--multiple_blobs]",
        ) else {
            return;
        };
        let config = chain_config(&test).unwrap();
        let genesis = decode_block(&hex_bytes(&test.genesis_rlp).unwrap()).unwrap();
        assert_eq!(genesis.header.excess_blob_gas, Some(0x140000));
        let json = genesis::genesis_json(&config, &genesis.header, &test.pre).unwrap();
        let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(parsed["config"]["cancunTime"], 0);
        assert_eq!(parsed["config"]["terminalTotalDifficulty"], "0x0");
        assert!(parsed["config"]["blobSchedule"]["cancun"].is_object());
    }
}
