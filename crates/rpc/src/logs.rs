//! Log matching and the log JSON: what `eth_getLogs`, filters and `logs` subscriptions share.
//!
//! A log's JSON is written from [`RpcLog`] (no intermediate `Value`); [`LogsText`] collects
//! the logs of a query as the text of a JSON array, counting them to enforce a response limit.

use alloy_primitives::{B256, Log};
use alloy_rpc_types_eth::Filter;
use serde::{Serialize, Serializer, ser::SerializeMap};
use serde_json::Value;

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

/// A log at its position, serializing as the JSON-RPC log object.
#[derive(Debug, Clone, Copy)]
pub struct RpcLog<'a> {
    pub log: &'a Log,
    pub at: LogPosition,
    pub removed: bool,
}

/// A quantity: `0x`-prefixed hex without leading zeros.
struct Quantity(u64);

impl Serialize for Quantity {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&format_args!("{:#x}", self.0))
    }
}

impl Serialize for RpcLog<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let at = &self.at;
        let mut map = serializer.serialize_map(Some(10))?;
        map.serialize_entry("address", &self.log.address)?;
        map.serialize_entry("topics", self.log.data.topics())?;
        map.serialize_entry("data", &self.log.data.data)?;
        map.serialize_entry("blockHash", &at.block_hash)?;
        map.serialize_entry("blockNumber", &Quantity(at.block_number))?;
        map.serialize_entry("blockTimestamp", &Quantity(at.block_timestamp))?;
        map.serialize_entry("transactionHash", &at.transaction_hash)?;
        map.serialize_entry("transactionIndex", &Quantity(at.transaction_index))?;
        map.serialize_entry("logIndex", &Quantity(at.log_index))?;
        map.serialize_entry("removed", &self.removed)?;
        map.end()
    }
}

/// The JSON of a log.
pub fn log_json(log: &Log, at: LogPosition, removed: bool) -> Value {
    // Serializing into a `Value` fails only for non-string map keys; RpcLog has none.
    serde_json::to_value(RpcLog { log, at, removed }).unwrap_or(Value::Null)
}

/// The logs of a query as the text of a JSON array, written as they are found.
#[derive(Debug)]
pub struct LogsText {
    text: Vec<u8>,
    count: usize,
}

impl Default for LogsText {
    fn default() -> Self {
        Self {
            text: vec![b'['],
            count: 0,
        }
    }
}

impl LogsText {
    /// Appends one log.
    pub fn push(&mut self, log: RpcLog<'_>) {
        if self.count > 0 {
            self.text.push(b',');
        }
        let len = self.text.len();
        // Writing into a `Vec` does no I/O and RpcLog's keys are strings: this cannot fail,
        // and should it, the partial text is dropped.
        if serde_json::to_writer(&mut self.text, &log).is_err() {
            self.text.truncate(len);
            self.text.extend_from_slice(b"null");
        }
        self.count += 1;
    }

    /// How many logs were appended.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether no log was appended.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The JSON array's text.
    pub fn finish(mut self) -> String {
        self.text.push(b']');
        // Only serde_json's output and ASCII brackets and commas: always UTF-8.
        String::from_utf8(self.text)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::{Address, Bytes, LogData};
    use serde_json::json;

    use super::*;

    fn log() -> Log {
        Log {
            address: Address::repeat_byte(0xaa),
            data: LogData::new_unchecked(
                vec![B256::repeat_byte(1), B256::repeat_byte(2)],
                Bytes::from(vec![0xde, 0xad]),
            ),
        }
    }

    fn position() -> LogPosition {
        LogPosition {
            block_hash: B256::repeat_byte(3),
            block_number: 0x10,
            block_timestamp: 0,
            transaction_hash: B256::repeat_byte(4),
            transaction_index: 2,
            log_index: 255,
        }
    }

    #[test]
    fn a_log_serializes_as_the_json_rpc_log_object() {
        let expected = json!({
            "address": "0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "topics": [format!("0x{}", "01".repeat(32)), format!("0x{}", "02".repeat(32))],
            "data": "0xdead",
            "blockHash": format!("0x{}", "03".repeat(32)),
            "blockNumber": "0x10",
            "blockTimestamp": "0x0",
            "transactionHash": format!("0x{}", "04".repeat(32)),
            "transactionIndex": "0x2",
            "logIndex": "0xff",
            "removed": true,
        });
        assert_eq!(log_json(&log(), position(), true), expected);
    }

    #[test]
    fn logs_text_is_a_json_array_of_the_pushed_logs() {
        assert_eq!(LogsText::default().finish(), "[]");
        let log = log();
        let mut text = LogsText::default();
        for _ in 0..3 {
            text.push(RpcLog {
                log: &log,
                at: position(),
                removed: false,
            });
        }
        assert_eq!(text.len(), 3);
        let parsed: Value = serde_json::from_str(&text.finish()).unwrap();
        let one = log_json(&log, position(), false);
        assert_eq!(parsed, json!([one.clone(), one.clone(), one]));
    }
}
