//! Log matching and the log JSON: what `eth_getLogs`, filters and `logs` subscriptions share.

use alloy_primitives::{B256, Log};
use alloy_rpc_types_eth::Filter;
use serde_json::{Value, json};

/// Whether `log` passes the address and topic criteria of `filter` (block range not checked).
pub fn matches(filter: &Filter, log: &Log) -> bool {
    if !filter.address.matches(&log.address) {
        return false;
    }
    let topics = log.data.topics();
    filter.topics.iter().enumerate().all(|(i, wanted)| {
        wanted.is_empty() || topics.get(i).is_some_and(|topic| wanted.matches(topic))
    })
}

/// Where a log sits.
#[derive(Debug, Clone, Copy)]
pub struct LogPosition {
    pub block_hash: B256,
    pub block_number: u64,
    pub block_timestamp: u64,
    pub transaction_hash: B256,
    pub transaction_index: u64,
    /// Index of the log in the block.
    pub log_index: u64,
}

/// The JSON of a log.
pub fn log_json(log: &Log, at: LogPosition, removed: bool) -> Value {
    json!({
        "address": log.address,
        "topics": log.data.topics(),
        "data": log.data.data,
        "blockHash": at.block_hash,
        "blockNumber": format!("{:#x}", at.block_number),
        "blockTimestamp": format!("{:#x}", at.block_timestamp),
        "transactionHash": at.transaction_hash,
        "transactionIndex": format!("{:#x}", at.transaction_index),
        "logIndex": format!("{:#x}", at.log_index),
        "removed": removed,
    })
}
