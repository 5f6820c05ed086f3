//! A blockchain test's genesis as the geth-style genesis JSON the node reads: the fork schedule
//! of its `network` (the same [`ChainConfig`] the in-process runner uses; the merge at block 0
//! with a terminal total difficulty of 0), its `blobSchedule`, the genesis header's fields and
//! the `pre` allocation.
//!
//! [`genesis_json`] also checks, in process, that our genesis parser turns the JSON back into the
//! fixture's genesis block (same hash); when it cannot, it names the header field the JSON could
//! not express, so the test is skipped with that reason instead of failing on the node.

use std::collections::BTreeMap;

use alloy_primitives::{Address, B256};
use ethrex_common::{ChainConfig, Genesis, genesis::GenesisAccount, types::Header};
use serde_json::{Value, json};

use crate::suites::state::fixture::Account;

/// The genesis JSON of a test whose genesis block has `header`, or why it cannot be expressed.
pub(super) fn genesis_json(
    config: &ChainConfig,
    header: &Header,
    pre: &BTreeMap<Address, Account>,
) -> Result<String, String> {
    let mut genesis = json!({
        "config": config_json(config)?,
        "nonce": format!("{:#x}", u64::from_be_bytes(header.nonce.0)),
        "timestamp": format!("{:#x}", header.timestamp),
        "extraData": header.extra_data,
        "gasLimit": format!("{:#x}", header.gas_limit),
        "difficulty": format!("{:#x}", header.difficulty),
        "mixHash": header.mix_hash,
        "coinbase": header.beneficiary,
        "number": format!("{:#x}", header.number),
        "parentHash": header.parent_hash,
        "alloc": alloc_json(pre)?,
    });
    if let Some(fee) = header.base_fee_per_gas {
        genesis["baseFeePerGas"] = json!(format!("{fee:#x}"));
    }
    if let Some(gas) = header.blob_gas_used {
        genesis["blobGasUsed"] = json!(format!("{gas:#x}"));
    }
    if let Some(gas) = header.excess_blob_gas {
        genesis["excessBlobGas"] = json!(format!("{gas:#x}"));
    }
    let text = genesis.to_string();
    let ours = Genesis::from_json(&text)
        .and_then(|g| g.header())
        .map_err(|e| format!("genesis JSON rejected by our parser: {e}"))?;
    if ours.hash_slow() != header.hash_slow() {
        return Err(format!(
            "genesis not expressible as genesis JSON: our parser gives a different {}",
            differing_field(&ours, header)
        ));
    }
    Ok(text)
}

/// The chain config as a genesis `config`: geth's field names, the blob schedule keyed by
/// `Fork::blob_schedule_key`, unset fields left out.
fn config_json(config: &ChainConfig) -> Result<Value, String> {
    let mut json = serde_json::to_value(config).map_err(|e| format!("config to JSON: {e}"))?;
    let mut blobs = serde_json::Map::new();
    for (fork, params) in &config.blob_schedule {
        let key = fork
            .blob_schedule_key()
            .ok_or_else(|| format!("no genesis blobSchedule key for {fork}"))?;
        let params = serde_json::to_value(params).map_err(|e| format!("blob params: {e}"))?;
        blobs.insert(key.to_string(), params);
    }
    json["blobSchedule"] = Value::Object(blobs);
    if let Value::Object(fields) = &mut json {
        fields.retain(|_, value| !value.is_null());
    }
    Ok(json)
}

fn alloc_json(pre: &BTreeMap<Address, Account>) -> Result<Value, String> {
    let alloc: BTreeMap<Address, GenesisAccount> = pre
        .iter()
        .map(|(address, account)| {
            let storage: BTreeMap<B256, B256> = account
                .storage
                .iter()
                .map(|(slot, value)| (B256::from(*slot), B256::from(*value)))
                .collect();
            let account = GenesisAccount {
                nonce: Some(account.nonce),
                balance: account.balance,
                code: (!account.code.is_empty()).then(|| account.code.clone()),
                storage: (!storage.is_empty()).then_some(storage),
                ..Default::default()
            };
            (*address, account)
        })
        .collect();
    serde_json::to_value(alloc).map_err(|e| format!("alloc to JSON: {e}"))
}

/// The first header field where `ours` and `theirs` differ, with both values.
fn differing_field(ours: &Header, theirs: &Header) -> String {
    macro_rules! compare {
        ($($field:ident),*) => {
            $(if ours.$field != theirs.$field {
                return format!(
                    "{} ({:?}, the fixture has {:?})",
                    stringify!($field), ours.$field, theirs.$field
                );
            })*
        };
    }
    compare!(
        parent_hash,
        ommers_hash,
        beneficiary,
        state_root,
        transactions_root,
        receipts_root,
        logs_bloom,
        difficulty,
        number,
        gas_limit,
        gas_used,
        timestamp,
        extra_data,
        mix_hash,
        nonce,
        base_fee_per_gas,
        withdrawals_root,
        blob_gas_used,
        excess_blob_gas,
        parent_beacon_block_root,
        requests_hash
    );
    "header (no field differs?)".to_string()
}
