//! BlockchainTests (EEST and legacy): each test's genesis and pre-state go into a real
//! [`Store`] (in memory; every `--rocksdb-every`-th test on RocksDB in a temporary directory), and
//! its blocks are imported in order through [`Blockchain::import_block`]: a block with
//! `expectException` must be rejected (its RLP, its header, its body or its execution), every
//! other block accepted. At the end the head chosen by the chain (total difficulty before the
//! merge, the last block after it) must be `lastblockhash`, and the head state must hold every
//! account of `postState` (or have the root `postStateHash`).

use std::{
    collections::BTreeMap,
    path::Path,
    sync::atomic::{AtomicU64, Ordering},
};

use alloy_primitives::{Address, B256, U256};
use ethrex_blockchain::Blockchain;
use ethrex_common::{ChainConfig, Fork, types::decode_block};
use ethrex_storage::{StateReader, Store};
use ethrex_vm::{AccountChange, AccountInfo, Database, StateChanges};
use serde::Deserialize;

use super::state::fixture::{Account, BlobSchedule};
use crate::{
    fixtures::{FixtureError, hex_bytes, read_json},
    report::Report,
};

/// Tests run so far (to pick the RocksDB sample).
static TESTS_RUN: AtomicU64 = AtomicU64::new(0);

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BlockchainTest {
    pub(crate) network: String,
    #[serde(rename = "genesisRLP")]
    pub(crate) genesis_rlp: String,
    pub(crate) blocks: Vec<TestBlock>,
    pub(crate) pre: BTreeMap<Address, Account>,
    #[serde(default)]
    post_state: Option<BTreeMap<Address, Account>>,
    #[serde(default)]
    post_state_hash: Option<B256>,
    pub(crate) lastblockhash: B256,
    #[serde(default)]
    config: Option<TestConfig>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TestConfig {
    #[serde(default)]
    chainid: Option<String>,
    #[serde(default)]
    blob_schedule: BTreeMap<String, BlobSchedule>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TestBlock {
    pub(crate) rlp: String,
    #[serde(default)]
    pub(crate) expect_exception: Option<String>,
}

/// Runs every test of the file at `path`; every `rocksdb_every`-th test overall (0: none) runs on
/// RocksDB.
pub fn run_file(
    path: &Path,
    fork_filter: Option<Fork>,
    rocksdb_every: u64,
    report: &mut Report,
) -> Result<(), FixtureError> {
    let tests: BTreeMap<String, BlockchainTest> = read_json(path)?;
    for (name, test) in tests {
        let id = format!("{}::{name}", path.display());
        let config = match chain_config(&test) {
            Ok(config) => config,
            Err(reason) => {
                report.skip(&test.network, &id, reason);
                continue;
            }
        };
        if fork_filter
            .is_some_and(|f| config.fork_at(0, 0) != f && !test.network.starts_with(f.name()))
        {
            continue;
        }
        let n = TESTS_RUN.fetch_add(1, Ordering::Relaxed);
        let on_rocksdb = rocksdb_every > 0 && n.is_multiple_of(rocksdb_every);
        report.record(&test.network, &id, run_test(&test, &config, on_rocksdb));
    }
    Ok(())
}

/// The chain config of a fixture network: one fork from genesis, or `AToBAtTime15k`/`AToBAt5`.
pub(crate) fn chain_config(test: &BlockchainTest) -> Result<ChainConfig, String> {
    let chain_id = test
        .config
        .as_ref()
        .and_then(|c| c.chainid.as_deref())
        .map(|id| {
            u64::from_str_radix(id.trim_start_matches("0x"), 16)
                .map_err(|e| format!("bad chainid {id}: {e}"))
        })
        .transpose()?
        .unwrap_or(1);
    let network = test.network.as_str();
    let mut config = match network.split_once("To") {
        None => ChainConfig::all_active_up_to(
            chain_id,
            network.parse::<Fork>().map_err(|e| e.to_string())?,
        ),
        Some((from, rest)) => {
            let (to, at) = rest
                .split_once("At")
                .ok_or_else(|| format!("unsupported network {network}"))?;
            let (from, to) = (
                from.parse::<Fork>().map_err(|e| e.to_string())?,
                to.parse::<Fork>().map_err(|e| e.to_string())?,
            );
            let mut config = ChainConfig::all_active_up_to(chain_id, from);
            let (by_time, value) = match at.strip_prefix("Time") {
                Some(t) => (true, t),
                None => (false, at),
            };
            let value = match value.strip_suffix('k') {
                Some(k) => k.parse::<u64>().map(|v| v * 1000),
                None => value.parse::<u64>(),
            }
            .map_err(|e| format!("unsupported network {network}: {e}"))?;
            let target = ChainConfig::all_active_up_to(chain_id, to);
            for fork in Fork::ALL.into_iter().filter(|f| *f > from && *f <= to) {
                if fork.is_timestamp_based() != by_time {
                    continue;
                }
                config.schedule(fork, value);
            }
            config.blob_schedule = target.blob_schedule;
            config
        }
    };
    if let Some(test_config) = &test.config {
        for (name, params) in &test_config.blob_schedule {
            let fork = name.parse::<Fork>().map_err(|e| e.to_string())?;
            config.blob_schedule.insert(
                fork,
                ethrex_common::BlobParams {
                    target: params.target,
                    max: params.max,
                    base_fee_update_fraction: params.base_fee_update_fraction,
                },
            );
        }
    }
    Ok(config)
}

fn run_test(test: &BlockchainTest, config: &ChainConfig, on_rocksdb: bool) -> Result<(), String> {
    let genesis = decode_block(&hex_bytes(&test.genesis_rlp).map_err(|e| e.to_string())?)
        .map_err(|e| format!("genesis: {e}"))?;
    let dir = if on_rocksdb {
        Some(tempfile::tempdir().map_err(|e| format!("temporary directory: {e}"))?)
    } else {
        None
    };
    let store = match &dir {
        Some(dir) => Store::open(dir.path()).map_err(|e| format!("RocksDB store: {e}"))?,
        None => Store::in_memory(),
    };
    store
        .init_chain(&genesis, &pre_state(&test.pre), config)
        .map_err(|e| format!("genesis: {e}"))?;
    let chain = Blockchain::new(store).map_err(|e| e.to_string())?;
    for (index, block) in test.blocks.iter().enumerate() {
        let expected_failure = block.expect_exception.as_deref();
        match import(&chain, block) {
            Ok(()) => {
                if let Some(exception) = expected_failure {
                    return Err(format!(
                        "block {index}: expected {exception}, but it was accepted"
                    ));
                }
            }
            Err(reason) if expected_failure.is_none() => {
                return Err(format!("block {index}: {reason}"));
            }
            Err(_) => {}
        }
    }
    let store = chain.store();
    let head = store
        .head_header()
        .map_err(|e| e.to_string())?
        .ok_or("no head")?;
    let head_hash = head.hash_slow();
    if head_hash != test.lastblockhash {
        return Err(format!(
            "head: expected {}, got {head_hash}",
            test.lastblockhash
        ));
    }
    if let Some(hash) = test.post_state_hash
        && hash != head.state_root
    {
        return Err(format!(
            "post-state root: expected {hash}, head has {}",
            head.state_root
        ));
    }
    if let Some(post) = &test.post_state {
        let reader = store.state_at(head.state_root).map_err(|e| e.to_string())?;
        check_post_state(&reader, post)?;
    }
    Ok(())
}

/// Decodes one block and imports it.
fn import(chain: &Blockchain, block: &TestBlock) -> Result<(), String> {
    let bytes = hex_bytes(&block.rlp).map_err(|e| e.to_string())?;
    let block = decode_block(&bytes).map_err(|e| e.to_string())?;
    chain.import_block(&block).map_err(|e| e.to_string())?;
    Ok(())
}

/// The fixture's pre-state as changes on the empty state.
pub(crate) fn pre_state(pre: &BTreeMap<Address, Account>) -> StateChanges {
    let accounts = pre
        .iter()
        .map(|(address, account)| {
            let code = (!account.code.is_empty()).then(|| account.code.clone());
            AccountChange {
                address: *address,
                info: Some(AccountInfo {
                    nonce: account.nonce,
                    balance: account.balance,
                    code_hash: code.as_ref().map_or(AccountInfo::default().code_hash, |c| {
                        alloy_primitives::keccak256(c)
                    }),
                }),
                code,
                storage_cleared: false,
                storage: account
                    .storage
                    .iter()
                    .filter(|(_, v)| !v.is_zero())
                    .map(|(k, v)| (*k, *v))
                    .collect(),
            }
        })
        .collect();
    StateChanges { accounts }
}

/// Every account of `post` as the head state has it.
fn check_post_state(reader: &StateReader, post: &BTreeMap<Address, Account>) -> Result<(), String> {
    fn err(e: impl std::fmt::Display) -> String {
        e.to_string()
    }
    for (address, expected) in post {
        let info = reader
            .account(address)
            .map_err(err)?
            .ok_or_else(|| format!("post-state: account {address} missing"))?;
        if info.nonce != expected.nonce || info.balance != expected.balance {
            return Err(format!(
                "post-state {address}: nonce {} balance {}, expected nonce {} balance {}",
                info.nonce, info.balance, expected.nonce, expected.balance
            ));
        }
        let code = reader.code(&info.code_hash).map_err(err)?;
        if code != expected.code {
            return Err(format!("post-state {address}: code differs"));
        }
        for (slot, value) in &expected.storage {
            let got = reader.storage(address, slot).map_err(err)?;
            if got != *value {
                return Err(format!(
                    "post-state {address} slot {slot}: {got}, expected {value}"
                ));
            }
        }
        let _: U256 = info.balance;
    }
    Ok(())
}
