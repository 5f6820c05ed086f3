//! `eth_getLogs`: the logs of one block (by hash) or of a range of canonical blocks that match
//! an address and topics filter; and the range and block scans the polled filters reuse.
//!
//! A range must lie within the chain (`toBlock` at most the head: -32602 otherwise, as geth)
//! and span at most [`MAX_BLOCK_RANGE`] blocks (-32000); a response holds at most [`MAX_LOGS`]
//! logs (-32000). Blocks whose logs bloom cannot match are skipped without reading receipts.

use alloy_primitives::B256;
use alloy_rpc_types_eth::{BlockNumberOrTag, Filter, FilterBlockOption};
use ethrex_common::types::Header;

use super::params::{Params, block_number};
use crate::{
    RpcContext, RpcError,
    logs::{LogPosition, LogsText, RpcLog, matches},
};

/// Most blocks one query may scan.
pub const MAX_BLOCK_RANGE: u64 = 10_000;
/// Most logs one response may hold.
pub const MAX_LOGS: usize = 10_000;

/// `eth_getLogs`: the JSON text of the selected logs' array.
pub fn get_logs(ctx: &RpcContext, p: &Params) -> Result<String, RpcError> {
    p.at_most(1)?;
    let filter: Filter = p.required(0)?;
    Ok(filter_logs(ctx, &filter)?.finish())
}

/// Every log `filter` selects in its block (by hash) or block range.
pub(super) fn filter_logs(ctx: &RpcContext, filter: &Filter) -> Result<LogsText, RpcError> {
    match filter.block_option {
        FilterBlockOption::AtBlockHash(hash) => {
            let header = ctx
                .store
                .header_by_hash(&hash)?
                .ok_or_else(|| RpcError::server(format!("unknown block {hash}")))?;
            let mut logs = LogsText::default();
            block_logs(ctx, &header, hash, filter, &mut logs)?;
            Ok(logs)
        }
        FilterBlockOption::Range {
            from_block,
            to_block,
        } => {
            let (from, to) = block_range(ctx, from_block, to_block)?;
            range_logs(ctx, filter, from, to)
        }
    }
}

/// The numbers of the blocks `from..=to` designate (each defaults to `latest`), checked against
/// the head and [`MAX_BLOCK_RANGE`].
pub(super) fn block_range(
    ctx: &RpcContext,
    from: Option<BlockNumberOrTag>,
    to: Option<BlockNumberOrTag>,
) -> Result<(u64, u64), RpcError> {
    let resolve = |tag: Option<BlockNumberOrTag>| -> Result<u64, RpcError> {
        let tag = tag.unwrap_or(BlockNumberOrTag::Latest);
        block_number(ctx, tag)?.ok_or_else(|| RpcError::server(format!("{tag} block not found")))
    };
    check_range(head_number(ctx)?, resolve(from)?, resolve(to)?)
}

/// Checks that `from..=to` is a non-empty range within the chain of head `head`, of at most
/// [`MAX_BLOCK_RANGE`] blocks.
fn check_range(head: u64, from: u64, to: u64) -> Result<(u64, u64), RpcError> {
    if to > head {
        return Err(RpcError::invalid_params(
            "block range extends beyond current head block",
        ));
    }
    if from > to {
        return Err(RpcError::invalid_params("invalid block range params"));
    }
    let span = to - from + 1;
    if span > MAX_BLOCK_RANGE {
        return Err(RpcError::server(format!(
            "block range of {span} blocks exceeds the limit of {MAX_BLOCK_RANGE}: query a \
             narrower fromBlock/toBlock range"
        )));
    }
    Ok((from, to))
}

/// The logs `filter` selects in canonical blocks `from..=to`.
pub(super) fn range_logs(
    ctx: &RpcContext,
    filter: &Filter,
    from: u64,
    to: u64,
) -> Result<LogsText, RpcError> {
    let mut logs = LogsText::default();
    for number in from..=to {
        let Some(hash) = ctx.store.canonical_hash(number)? else {
            break;
        };
        let header = ctx.store.header_by_hash(&hash)?.ok_or_else(|| {
            RpcError::internal(format!("canonical block #{number} {hash} has no header"))
        })?;
        block_logs(ctx, &header, hash, filter, &mut logs)?;
        if logs.len() > MAX_LOGS {
            return Err(RpcError::server(format!(
                "query returned more than {MAX_LOGS} logs: query a narrower block range"
            )));
        }
    }
    Ok(logs)
}

/// Appends to `out` the logs of block `hash` that `filter` selects (its receipts are read only
/// when its bloom may match; the transaction hashes come with them, the body is not read).
fn block_logs(
    ctx: &RpcContext,
    header: &Header,
    hash: B256,
    filter: &Filter,
    out: &mut LogsText,
) -> Result<(), RpcError> {
    if !filter.matches_bloom(header.logs_bloom) {
        return Ok(());
    }
    let receipts = ctx.store.receipts_with_tx_hashes(&hash)?;
    let mut log_index = 0u64;
    for (tx_index, (tx_hash, receipt)) in (0u64..).zip(&receipts) {
        for log in receipt.logs() {
            if matches(filter, log) {
                let at = LogPosition {
                    block_hash: hash,
                    block_number: header.number,
                    block_timestamp: header.timestamp,
                    transaction_hash: *tx_hash,
                    transaction_index: tx_index,
                    log_index,
                };
                out.push(RpcLog {
                    log,
                    at,
                    removed: false,
                });
            }
            log_index += 1;
        }
    }
    Ok(())
}

/// The head's number (0 before any block).
pub(super) fn head_number(ctx: &RpcContext) -> Result<u64, RpcError> {
    Ok(ctx.store.head_header()?.map_or(0, |h| h.number))
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::methods::test_chain::test_chain;

    #[test]
    fn ranges_are_checked_against_the_head_and_the_limit() {
        let chain = test_chain!(5);
        let code = |filter: Value| chain.call("eth_getLogs", json!([filter])).unwrap_err().code;
        assert_eq!(
            code(json!({ "fromBlock": "0x1", "toBlock": "0x6" })),
            -32602
        );
        assert_eq!(
            code(json!({ "fromBlock": "0x4", "toBlock": "0x3" })),
            -32602
        );
        assert_eq!(
            code(json!({ "fromBlock": "0x6" })),
            -32602,
            "from past latest"
        );
        assert_eq!(code(json!({ "blockHash": B256::repeat_byte(1) })), -32000);
        assert_eq!(
            chain.ok("eth_getLogs", json!([{ "fromBlock": "earliest" }])),
            chain.ok(
                "eth_getLogs",
                json!([{ "fromBlock": "0x0", "toBlock": "0x5" }])
            ),
        );
    }

    #[test]
    fn ranges_past_the_head_reversed_or_too_long_are_refused() {
        let head = 3 * MAX_BLOCK_RANGE;
        let cases = [
            ((0, 0), Ok((0, 0))),
            ((5, head), Err(-32000)),
            (
                (head - MAX_BLOCK_RANGE + 1, head),
                Ok((head - MAX_BLOCK_RANGE + 1, head)),
            ),
            ((head - MAX_BLOCK_RANGE, head), Err(-32000)),
            ((0, head + 1), Err(-32602)),
            ((7, 6), Err(-32602)),
        ];
        for ((from, to), want) in cases {
            let got = check_range(head, from, to).map_err(|e| e.code);
            assert_eq!(got, want, "{from}..={to}");
        }
    }

    #[test]
    fn log_indexes_count_every_log_of_the_block() {
        let chain = test_chain!(u64::MAX);
        let head = json!({ "fromBlock": "latest" });
        let all = chain.ok("eth_getLogs", json!([head]));
        let indexes: Vec<&str> = all
            .as_array()
            .unwrap()
            .iter()
            .map(|log| log["logIndex"].as_str().unwrap())
            .collect();
        let expected: Vec<String> = (0..indexes.len()).map(|i| format!("{i:#x}")).collect();
        assert_eq!(indexes, expected);
        // Filtering on the second log's topic keeps its block-wide index.
        let second = &all[1];
        let topic = &second["topics"][0];
        let only = chain.ok(
            "eth_getLogs",
            json!([{ "fromBlock": "latest", "topics": [[topic]] }]),
        );
        assert!(only.as_array().unwrap().contains(second));
    }
}
