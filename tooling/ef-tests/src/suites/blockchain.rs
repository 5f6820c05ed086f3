//! BlockchainTests (EEST and legacy): import each test's blocks in order on top of its genesis,
//! through `ethrex_blockchain::execute_block` over an in-memory state per block; a block with
//! `expectException` must be rejected (its RLP, its header, its body or its execution), every
//! other block accepted with the state root of its header. At the end the head (highest total
//! difficulty; after the merge, the last block imported) must be `lastblockhash`.

use std::{collections::BTreeMap, path::Path};

use alloy_primitives::{Address, B256, U256};
use ethrex_blockchain::execute_block;
use ethrex_common::{
    ChainConfig, Fork,
    types::{Header, decode_block},
};
use ethrex_vm::InMemoryDb;
use serde::Deserialize;

use super::state::{
    fixture::{Account, BlobSchedule, in_memory_db},
    root::state_root,
};
use crate::{
    fixtures::{FixtureError, hex_bytes, read_json},
    report::Report,
};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BlockchainTest {
    network: String,
    #[serde(rename = "genesisRLP")]
    genesis_rlp: String,
    blocks: Vec<TestBlock>,
    pre: BTreeMap<Address, Account>,
    lastblockhash: B256,
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
struct TestBlock {
    rlp: String,
    #[serde(default)]
    expect_exception: Option<String>,
}

pub fn run_file(
    path: &Path,
    fork_filter: Option<Fork>,
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
        report.record(&test.network, &id, run_test(&test, &config));
    }
    Ok(())
}

/// The chain config of a fixture network: one fork from genesis, or `AToBAtTime15k`/`AToBAt5`.
fn chain_config(test: &BlockchainTest) -> Result<ChainConfig, String> {
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

/// An imported block: its header, the state after it, and the chain's total difficulty.
struct Imported {
    header: Header,
    state: InMemoryDb,
    total_difficulty: U256,
}

fn run_test(test: &BlockchainTest, config: &ChainConfig) -> Result<(), String> {
    let genesis = decode_block(&hex_bytes(&test.genesis_rlp).map_err(|e| e.to_string())?)
        .map_err(|e| format!("genesis: {e}"))?;
    let mut pre = in_memory_db(&test.pre);
    let root = state_root(&pre)?;
    if root != genesis.header.state_root {
        return Err(format!(
            "genesis state root: header {}, pre-state {root}",
            genesis.header.state_root
        ));
    }
    let genesis_hash = genesis.header.hash_slow();
    pre.block_hashes.insert(0, genesis_hash);
    let mut chain: std::collections::HashMap<B256, Imported> = std::collections::HashMap::new();
    let mut head = genesis_hash;
    chain.insert(
        genesis_hash,
        Imported {
            total_difficulty: genesis.header.difficulty,
            header: genesis.header,
            state: pre,
        },
    );
    for (index, block) in test.blocks.iter().enumerate() {
        let expected_failure = block.expect_exception.as_deref();
        match import(config, &chain, block) {
            Ok((hash, imported)) => {
                if let Some(exception) = expected_failure {
                    return Err(format!(
                        "block {index}: expected {exception}, but it was accepted"
                    ));
                }
                let head_td = chain.get(&head).map_or(U256::ZERO, |h| h.total_difficulty);
                let post_merge = imported.header.difficulty.is_zero();
                if imported.total_difficulty > head_td || post_merge {
                    head = hash;
                }
                chain.insert(hash, imported);
            }
            Err(reason) if expected_failure.is_none() => {
                return Err(format!("block {index}: {reason}"));
            }
            Err(_) => {}
        }
    }
    if head != test.lastblockhash {
        return Err(format!("head: expected {}, got {head}", test.lastblockhash));
    }
    Ok(())
}

/// Decodes, validates and executes one block on top of its parent.
fn import(
    config: &ChainConfig,
    chain: &std::collections::HashMap<B256, Imported>,
    block: &TestBlock,
) -> Result<(B256, Imported), String> {
    let bytes = hex_bytes(&block.rlp).map_err(|e| e.to_string())?;
    let block = decode_block(&bytes).map_err(|e| e.to_string())?;
    let parent = chain
        .get(&block.header.parent_hash)
        .ok_or("unknown parent")?;
    let root_after = |changes: &ethrex_vm::StateChanges| {
        let mut state = parent.state.clone();
        state.apply(changes);
        state_root(&state).map_err(ethrex_blockchain::BlockError::StateRoot)
    };
    let outcome = execute_block(config, &block, &parent.header, &parent.state, &root_after)
        .map_err(|e| e.to_string())?;
    let mut state = parent.state.clone();
    state.apply(&outcome.changes);
    let root = state_root(&state)?;
    if root != block.header.state_root {
        return Err(format!(
            "state root: header {}, execution {root}",
            block.header.state_root
        ));
    }
    let hash = block.header.hash_slow();
    state.block_hashes.insert(block.header.number, hash);
    let total_difficulty = parent.total_difficulty + block.header.difficulty;
    Ok((
        hash,
        Imported {
            header: block.header,
            state,
            total_difficulty,
        },
    ))
}
