//! BasicTests difficulty fixtures: the proof-of-work difficulty of a block from its parent's
//! difficulty, timestamp and ommers, under a chain's fork schedule (the file names the chain:
//! `difficulty`, `difficultyMainNetwork` and `difficultyCustomMainNetwork` use mainnet's block
//! schedule, `difficultyCustomHomestead` Homestead from genesis; Ropsten's schedule is not built
//! in, so its file is skipped, as are the BasicTests files that are not difficulty tests).

use std::{collections::BTreeMap, path::Path};

use alloy_primitives::U256;
use ethrex_blockchain::header::calc_difficulty;
use ethrex_common::{ChainConfig, Fork, Network, constants::EMPTY_OMMERS_HASH};
use serde::Deserialize;

use crate::{
    fixtures::{FixtureError, read_json},
    report::Report,
};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Case {
    parent_timestamp: String,
    parent_difficulty: String,
    current_timestamp: String,
    current_block_number: String,
    current_difficulty: String,
    #[serde(default)]
    parent_uncles: Option<String>,
}

/// A quantity as these fixtures write it: `0x` hex or decimal.
fn number(s: &str) -> Result<U256, String> {
    match s.strip_prefix("0x") {
        Some(hex) => U256::from_str_radix(hex, 16),
        None => U256::from_str_radix(s, 10),
    }
    .map_err(|e| format!("bad number {s:?}: {e}"))
}

pub fn run_file(path: &Path, report: &mut Report) -> Result<(), FixtureError> {
    let name = path
        .file_stem()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let config = match name.as_str() {
        "difficulty" | "difficultyMainNetwork" | "difficultyCustomMainNetwork" => Network::Mainnet
            .genesis()
            .map_err(|e| FixtureError::Malformed(e.to_string()))?
            .config()
            .clone(),
        "difficultyCustomHomestead" => ChainConfig::all_active_up_to(1, Fork::Homestead),
        _ => {
            let reason = if name.starts_with("difficulty") {
                format!("no built-in chain schedule for {name}")
            } else {
                "not a difficulty fixture".to_string()
            };
            report.skip("-", &path.display().to_string(), reason);
            return Ok(());
        }
    };
    let cases: BTreeMap<String, Case> = read_json(path)?;
    for (case_name, case) in cases {
        let id = format!("{}::{case_name}", path.display());
        let outcome = run_case(&config, &case);
        let fork = outcome.as_ref().map_or("-", |(fork, _)| fork.name());
        report.record(fork, &id, outcome.and_then(|(_, result)| result));
    }
    Ok(())
}

fn run_case(config: &ChainConfig, case: &Case) -> Result<(Fork, Result<(), String>), String> {
    let to_u64 = |s: &str| {
        number(s).and_then(|n| u64::try_from(n).map_err(|_| format!("{s} exceeds 64 bits")))
    };
    let block = to_u64(&case.current_block_number)?;
    let timestamp = to_u64(&case.current_timestamp)?;
    // These fixtures predate timestamp forks: the schedule is by block number alone.
    let fork = config.fork_at(block, 0).min(Fork::GrayGlacier);
    let has_ommers = match &case.parent_uncles {
        Some(hash) => {
            hash.parse::<alloy_primitives::B256>()
                .map_err(|e| e.to_string())?
                != EMPTY_OMMERS_HASH
        }
        None => false,
    };
    let got = calc_difficulty(
        fork,
        block,
        timestamp,
        number(&case.parent_difficulty)?,
        to_u64(&case.parent_timestamp)?,
        has_ommers,
    );
    let expected = number(&case.current_difficulty)?;
    Ok((
        fork,
        if got == expected {
            Ok(())
        } else {
            Err(format!("difficulty: expected {expected}, got {got}"))
        },
    ))
}
