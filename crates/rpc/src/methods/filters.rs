//! Polled filters: `eth_newFilter`, `eth_newBlockFilter`, `eth_newPendingTransactionFilter`,
//! `eth_getFilterChanges`, `eth_getFilterLogs`, `eth_uninstallFilter`.
//!
//! [`FilterRegistry`] (one per [`RpcContext`]) holds the installed filters and what each has
//! reported: log and block filters the next block to report, pending-transaction filters a
//! subscription to the mempool's announcements (a filter polled too rarely skips what the
//! channel dropped). A filter not polled for [`FILTER_TIMEOUT`] is dropped, as in geth. Reorgs
//! are not reported: a log filter reports the canonical blocks after the last one it reported.

use std::{
    collections::HashMap,
    sync::{
        Mutex, MutexGuard, PoisonError,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use alloy_primitives::{B256, keccak256};
use alloy_rpc_types_eth::{BlockNumberOrTag, Filter, FilterBlockOption};
use serde_json::Value;
use tokio::sync::broadcast::{self, error::TryRecvError};

use super::{
    Output,
    get_logs::{MAX_BLOCK_RANGE, filter_logs, head_number, range_logs},
    params::Params,
};
use crate::{RpcContext, RpcError};

/// How long a filter lives without being polled.
pub const FILTER_TIMEOUT: Duration = Duration::from_secs(5 * 60);
/// Most filters installed at once.
pub const MAX_FILTERS: usize = 10_000;

/// What a filter watches, and how far it has reported.
#[derive(Debug)]
enum Watch {
    Logs {
        filter: Box<Filter>,
        next_block: u64,
    },
    Blocks {
        next_block: u64,
    },
    PendingTransactions(broadcast::Receiver<B256>),
}

#[derive(Debug)]
struct Installed {
    watch: Watch,
    last_poll: Instant,
}

/// The installed filters, by id.
#[derive(Debug, Default)]
pub struct FilterRegistry {
    filters: Mutex<HashMap<String, Installed>>,
    created: AtomicU64,
}

impl FilterRegistry {
    /// The filters, without those that timed out.
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Installed>> {
        let mut filters = self.filters.lock().unwrap_or_else(PoisonError::into_inner);
        filters.retain(|_, f| f.last_poll.elapsed() < FILTER_TIMEOUT);
        filters
    }

    fn install(&self, watch: Watch) -> Result<Value, RpcError> {
        let mut filters = self.lock();
        if filters.len() >= MAX_FILTERS {
            return Err(RpcError::server(format!(
                "too many filters installed (at most {MAX_FILTERS}): uninstall some first"
            )));
        }
        let id = self.new_id();
        filters.insert(
            id.clone(),
            Installed {
                watch,
                last_poll: Instant::now(),
            },
        );
        Ok(Value::String(id))
    }

    /// A fresh id: 16 bytes of the hash of a counter and the clock (ids must not repeat, and
    /// should not be guessable from one another).
    fn new_id(&self) -> String {
        let count = self.created.fetch_add(1, Ordering::Relaxed);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let mut seed = count.to_be_bytes().to_vec();
        seed.extend_from_slice(&nanos.to_be_bytes());
        let hash = keccak256(seed);
        format!("0x{}", alloy_primitives::hex::encode(&hash[..16]))
    }

    fn uninstall(&self, id: &str) -> bool {
        self.lock().remove(id).is_some()
    }
}

fn not_found() -> RpcError {
    RpcError::server("filter not found")
}

pub fn new_filter(ctx: &RpcContext, p: &Params) -> Result<Value, RpcError> {
    p.at_most(1)?;
    let filter: Filter = p.required(0)?;
    if let FilterBlockOption::AtBlockHash(_) = filter.block_option {
        return Err(RpcError::invalid_params(
            "a filter cannot be bound to a block hash: use eth_getLogs",
        ));
    }
    let next_block = head_number(ctx)? + 1;
    ctx.filters.install(Watch::Logs {
        filter: Box::new(filter),
        next_block,
    })
}

pub fn new_block_filter(ctx: &RpcContext, p: &Params) -> Result<Value, RpcError> {
    p.at_most(0)?;
    let next_block = head_number(ctx)? + 1;
    ctx.filters.install(Watch::Blocks { next_block })
}

pub fn new_pending_transaction_filter(ctx: &RpcContext, p: &Params) -> Result<Value, RpcError> {
    // geth accepts a `fullTx` flag; hashes are all this node reports.
    p.at_most(1)?;
    let receiver = ctx.events.pending_transactions.subscribe();
    ctx.filters.install(Watch::PendingTransactions(receiver))
}

pub fn uninstall_filter(ctx: &RpcContext, p: &Params) -> Result<Value, RpcError> {
    p.at_most(1)?;
    let id: String = p.required(0)?;
    Ok(Value::Bool(ctx.filters.uninstall(&id)))
}

/// What happened since the last poll: logs, block hashes or transaction hashes.
pub fn get_filter_changes(ctx: &RpcContext, p: &Params) -> Result<Output, RpcError> {
    p.at_most(1)?;
    let id: String = p.required(0)?;
    let mut filters = ctx.filters.lock();
    let installed = filters.get_mut(&id).ok_or_else(not_found)?;
    installed.last_poll = Instant::now();
    match &mut installed.watch {
        Watch::PendingTransactions(receiver) => {
            let mut hashes = Vec::new();
            loop {
                match receiver.try_recv() {
                    Ok(hash) => hashes.push(Value::String(hash.to_string())),
                    Err(TryRecvError::Lagged(_)) => continue,
                    Err(TryRecvError::Empty | TryRecvError::Closed) => break,
                }
            }
            Ok(Output::Value(Value::Array(hashes)))
        }
        Watch::Blocks { next_block } => {
            let head = head_number(ctx)?;
            let mut hashes = Vec::new();
            for number in *next_block..=head {
                if let Some(hash) = ctx.store.canonical_hash(number)? {
                    hashes.push(Value::String(hash.to_string()));
                }
            }
            *next_block = (*next_block).max(head + 1);
            Ok(Output::Value(Value::Array(hashes)))
        }
        Watch::Logs { filter, next_block } => {
            let (from_bound, to_bound) = filter.block_option.as_range();
            let from = match from_bound {
                Some(BlockNumberOrTag::Number(n)) => (*next_block).max(*n),
                _ => *next_block,
            };
            let mut to = head_number(ctx)?;
            if let Some(BlockNumberOrTag::Number(n)) = to_bound {
                to = to.min(*n);
            }
            to = to.min(from.saturating_add(MAX_BLOCK_RANGE - 1));
            if from > to {
                return Ok(Output::Value(Value::Array(Vec::new())));
            }
            let logs = range_logs(ctx, filter, from, to)?;
            *next_block = to + 1;
            Ok(Output::Text(logs.finish()))
        }
    }
}

/// Every log a log filter selects over its whole range (as `eth_getLogs` would).
pub fn get_filter_logs(ctx: &RpcContext, p: &Params) -> Result<String, RpcError> {
    p.at_most(1)?;
    let id: String = p.required(0)?;
    let filter = {
        let mut filters = ctx.filters.lock();
        let installed = filters.get_mut(&id).ok_or_else(not_found)?;
        installed.last_poll = Instant::now();
        match &installed.watch {
            Watch::Logs { filter, .. } => filter.clone(),
            _ => return Err(not_found()),
        }
    };
    Ok(filter_logs(ctx, &filter)?.finish())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::methods::test_chain::test_chain;

    const CONTRACT: &str = "0x7dcd17433742f4c0ca53122ab541d0ba67fc27df";

    #[test]
    fn a_block_filter_reports_each_new_block_once() {
        let mut chain = test_chain!(50);
        let id = chain.ok("eth_newBlockFilter", json!([]));
        assert_eq!(chain.ok("eth_getFilterChanges", json!([id])), json!([]));
        chain.import_rest();
        let hashes: Vec<Value> = (51..=54)
            .map(|n| json!(chain.ctx.store.canonical_hash(n).unwrap().unwrap()))
            .collect();
        assert_eq!(
            chain.ok("eth_getFilterChanges", json!([id])),
            Value::Array(hashes)
        );
        assert_eq!(chain.ok("eth_getFilterChanges", json!([id])), json!([]));
    }

    #[test]
    fn a_log_filter_reports_new_matching_logs_once() {
        let mut chain = test_chain!(40);
        let id = chain.ok("eth_newFilter", json!([{ "address": CONTRACT }]));
        chain.import_rest();
        let expected = chain.ok(
            "eth_getLogs",
            json!([{ "address": CONTRACT, "fromBlock": "0x29", "toBlock": "latest" }]),
        );
        assert!(
            !expected.as_array().unwrap().is_empty(),
            "the range has logs"
        );
        assert_eq!(chain.ok("eth_getFilterChanges", json!([id])), expected);
        assert_eq!(chain.ok("eth_getFilterChanges", json!([id])), json!([]));
        // eth_getFilterLogs runs the filter's own range (latest to latest).
        let latest = chain.ok("eth_getLogs", json!([{ "address": CONTRACT }]));
        assert_eq!(chain.ok("eth_getFilterLogs", json!([id])), latest);
    }

    #[test]
    fn a_log_filter_stops_at_its_to_block() {
        let mut chain = test_chain!(40);
        let id = chain.ok(
            "eth_newFilter",
            json!([{ "address": CONTRACT, "toBlock": "0x2a" }]),
        );
        chain.import_rest();
        let expected = chain.ok(
            "eth_getLogs",
            json!([{ "address": CONTRACT, "fromBlock": "0x29", "toBlock": "0x2a" }]),
        );
        assert_eq!(chain.ok("eth_getFilterChanges", json!([id])), expected);
        assert_eq!(chain.ok("eth_getFilterChanges", json!([id])), json!([]));
    }

    #[test]
    fn a_pending_transaction_filter_reports_announced_hashes() {
        let chain = test_chain!(1);
        let id = chain.ok("eth_newPendingTransactionFilter", json!([]));
        let hash = B256::repeat_byte(7);
        chain.ctx.events.pending_transactions.send(hash).unwrap();
        assert_eq!(chain.ok("eth_getFilterChanges", json!([id])), json!([hash]));
        assert_eq!(chain.ok("eth_getFilterChanges", json!([id])), json!([]));
        // Only log filters have logs.
        let error = chain.call("eth_getFilterLogs", json!([id])).unwrap_err();
        assert_eq!(error.code, -32000);
    }

    #[test]
    fn an_uninstalled_filter_is_gone() {
        let chain = test_chain!(1);
        let id = chain.ok("eth_newBlockFilter", json!([]));
        assert_eq!(chain.ok("eth_uninstallFilter", json!([id])), json!(true));
        assert_eq!(chain.ok("eth_uninstallFilter", json!([id])), json!(false));
        let error = chain.call("eth_getFilterChanges", json!([id])).unwrap_err();
        assert_eq!(
            (error.code, error.message.as_str()),
            (-32000, "filter not found")
        );
    }

    #[test]
    fn filters_get_distinct_ids_and_refuse_block_hashes() {
        let chain = test_chain!(1);
        let a = chain.ok("eth_newBlockFilter", json!([]));
        let b = chain.ok("eth_newBlockFilter", json!([]));
        assert_ne!(a, b);
        assert_eq!(a.as_str().unwrap().len(), 34, "0x and 16 bytes");
        let error = chain
            .call("eth_newFilter", json!([{ "blockHash": B256::ZERO }]))
            .unwrap_err();
        assert_eq!(error.code, -32602);
    }

    #[test]
    fn filters_not_polled_in_time_expire() {
        let chain = test_chain!(1);
        let id = chain.ok("eth_newBlockFilter", json!([]));
        {
            let mut filters = chain.ctx.filters.lock();
            for installed in filters.values_mut() {
                installed.last_poll = Instant::now().checked_sub(FILTER_TIMEOUT).unwrap();
            }
        }
        let error = chain.call("eth_getFilterChanges", json!([id])).unwrap_err();
        assert_eq!(error.code, -32000);
    }
}
