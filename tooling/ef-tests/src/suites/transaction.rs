//! TransactionTests: for each fork in `result`, the transaction in `txbytes` must be invalid
//! when an `exception` is given, and otherwise valid with the given `hash`, `sender` and
//! `intrinsicGas`. Validity is decoding, sender recovery and
//! [`ethrex_common::validation::validate_transaction`] for chain id 1.

use std::{collections::BTreeMap, path::Path};

use alloy_primitives::{Address, B256};
use ethrex_common::{
    Fork,
    types::decode_transaction,
    validation::{intrinsic_gas, validate_transaction},
};
use serde::Deserialize;

use crate::{
    fixtures::{FixtureError, hex_bytes, quantity_u64, read_json},
    report::Report,
};

/// Chain id the transaction fixtures are filled for.
const CHAIN_ID: u64 = 1;

#[derive(Debug, Deserialize)]
struct Case {
    txbytes: String,
    result: BTreeMap<String, Expectation>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Expectation {
    exception: Option<String>,
    hash: Option<B256>,
    sender: Option<Address>,
    intrinsic_gas: Option<String>,
}

/// What ethrex makes of a transaction under a fork.
struct Outcome {
    hash: B256,
    sender: Address,
    intrinsic_gas: u64,
}

pub fn run_file(path: &Path, report: &mut Report) -> Result<(), FixtureError> {
    let cases: BTreeMap<String, Case> = read_json(path)?;
    for (name, case) in cases {
        let id = format!("{}::{name}", path.display());
        let bytes = hex_bytes(&case.txbytes);
        for (fork_name, expected) in &case.result {
            let Ok(fork) = fork_name.parse::<Fork>() else {
                report.skip(fork_name, &id, format!("unknown fork name {fork_name}"));
                continue;
            };
            let outcome = match &bytes {
                Ok(bytes) => execute(bytes, fork),
                Err(e) => Err(e.to_string()),
            };
            report.record(fork.name(), &id, compare(expected, outcome));
        }
    }
    Ok(())
}

fn execute(bytes: &[u8], fork: Fork) -> Result<Outcome, String> {
    let tx = decode_transaction(bytes).map_err(|e| e.to_string())?;
    validate_transaction(&tx, fork, CHAIN_ID).map_err(|e| e.to_string())?;
    let sender = tx.sender().map_err(|e| e.to_string())?;
    Ok(Outcome {
        hash: tx.hash(),
        sender,
        intrinsic_gas: intrinsic_gas(&tx, fork),
    })
}

fn compare(expected: &Expectation, outcome: Result<Outcome, String>) -> Result<(), String> {
    match (&expected.exception, outcome) {
        (Some(_), Err(_)) => Ok(()),
        (Some(exception), Ok(_)) => Err(format!(
            "expected {exception}, but the transaction is valid"
        )),
        (None, Err(reason)) => Err(format!("expected valid, rejected: {reason}")),
        (None, Ok(got)) => {
            if let Some(hash) = expected.hash.filter(|h| *h != got.hash) {
                return Err(format!("hash: expected {hash}, got {}", got.hash));
            }
            if let Some(sender) = expected.sender.filter(|s| *s != got.sender) {
                return Err(format!("sender: expected {sender}, got {}", got.sender));
            }
            if let Some(gas) = &expected.intrinsic_gas {
                let gas = quantity_u64(gas).map_err(|e| e.to_string())?;
                if gas != got.intrinsic_gas {
                    return Err(format!(
                        "intrinsic gas: expected {gas}, got {}",
                        got.intrinsic_gas
                    ));
                }
            }
            Ok(())
        }
    }
}
