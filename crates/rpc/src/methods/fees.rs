//! Fees: `eth_gasPrice`, `eth_maxPriorityFeePerGas`, `eth_feeHistory`, `eth_baseFee`,
//! `eth_blobBaseFee`; and a block's blob base fee, which receipts show.
//!
//! The suggested tip is the [`TIP_PERCENTILE`]th percentile of the [`TIP_SAMPLES`] cheapest
//! effective tips of each of the last [`TIP_BLOCKS`] blocks (tips under [`MIN_SAMPLED_TIP`] wei
//! ignored, at most [`MAX_TIP`]); [`FALLBACK_TIP`] when those blocks hold no transaction.
//! `eth_gasPrice` adds the next block's base fee (on a rollup, and the operator fee: see
//! [`super::rollup_fees`]; a rollup block's tips are its priority fees under its recorded fee
//! parameters). Fees of "the next block" assume it keeps the head's fork (its timestamp is not
//! known yet).

use alloy_primitives::U256;
use alloy_rpc_types_eth::BlockNumberOrTag;
use ethrex_blockchain::header::{fork_of, next_base_fee, next_excess_blob_gas};
use ethrex_common::eip4844::{GAS_PER_BLOB, blob_base_fee as blob_fee};
use ethrex_common::{Fork, types::Header};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{
    params::{Params, block_number},
    rollup_fees::{current_fee_config, priority_fee},
};
use crate::{RpcContext, RpcError, types::effective_gas_price};

/// Blocks sampled for the suggested tip.
pub const TIP_BLOCKS: u64 = 20;
/// Cheapest tips taken from each sampled block.
pub const TIP_SAMPLES: usize = 3;
/// Percentile of the samples suggested.
pub const TIP_PERCENTILE: usize = 60;
/// Tips below this (wei) are not sampled (zero-tip transactions of the block producer).
pub const MIN_SAMPLED_TIP: u64 = 2;
/// Largest tip suggested (wei): 500 gwei.
pub const MAX_TIP: u64 = 500_000_000_000;
/// Tip suggested when the sampled blocks hold no transaction (wei).
pub const FALLBACK_TIP: u64 = 1;
/// Most blocks one `eth_feeHistory` covers.
pub const MAX_FEE_HISTORY_BLOCKS: u64 = 1024;

fn hex(n: U256) -> Value {
    Value::String(format!("{n:#x}"))
}

fn head(ctx: &RpcContext) -> Result<Header, RpcError> {
    ctx.store
        .head_header()?
        .ok_or_else(|| RpcError::internal("the store has no head block"))
}

pub fn gas_price(ctx: &RpcContext, p: &Params) -> Result<Value, RpcError> {
    p.at_most(0)?;
    let head = head(ctx)?;
    let base_fee = next_block_base_fee(ctx, &head).unwrap_or(0);
    let operator_fee = current_fee_config(ctx)?.map_or(0, |fees| fees.operator_fee());
    Ok(hex(suggested_tip(ctx, &head)?
        + U256::from(base_fee)
        + U256::from(operator_fee)))
}

pub fn max_priority_fee(ctx: &RpcContext, p: &Params) -> Result<Value, RpcError> {
    p.at_most(0)?;
    Ok(hex(suggested_tip(ctx, &head(ctx)?)?))
}

/// The base fee of the block after the head.
pub fn base_fee(ctx: &RpcContext, p: &Params) -> Result<Value, RpcError> {
    p.at_most(0)?;
    let fee = next_block_base_fee(ctx, &head(ctx)?)
        .ok_or_else(|| RpcError::server("the next block has no base fee (before London)"))?;
    Ok(hex(U256::from(fee)))
}

/// The blob base fee of the block after the head.
pub fn blob_base_fee_method(ctx: &RpcContext, p: &Params) -> Result<Value, RpcError> {
    p.at_most(0)?;
    let fee = next_block_blob_base_fee(ctx, &head(ctx)?)
        .ok_or_else(|| RpcError::server("the next block has no blob fee (before Cancun)"))?;
    Ok(hex(fee))
}

/// The blob base fee of the block of `header` (EIP-4844, with its fork's update fraction);
/// `None` before Cancun.
pub(super) fn blob_base_fee(ctx: &RpcContext, header: &Header) -> Option<U256> {
    let excess = header.excess_blob_gas?;
    let config = ctx.chain.config();
    let params = config.blob_params(fork_of(config, header))?;
    Some(blob_fee(excess, params.base_fee_update_fraction))
}

/// The fork of the block after `parent`, taken at the parent's timestamp.
fn next_fork(ctx: &RpcContext, parent: &Header) -> Fork {
    ctx.chain
        .config()
        .fork_at(parent.number.saturating_add(1), parent.timestamp)
}

/// The base fee of the block after `parent` (`None` before London).
fn next_block_base_fee(ctx: &RpcContext, parent: &Header) -> Option<u64> {
    if next_fork(ctx, parent) < Fork::London {
        return None;
    }
    Some(next_base_fee(parent, fork_of(ctx.chain.config(), parent)))
}

/// The blob base fee of the block after `parent` (`None` before Cancun).
fn next_block_blob_base_fee(ctx: &RpcContext, parent: &Header) -> Option<U256> {
    let fork = next_fork(ctx, parent);
    let params = ctx.chain.config().blob_params(fork)?;
    let excess = match parent.excess_blob_gas {
        Some(_) => next_excess_blob_gas(parent, params, fork),
        None => 0,
    };
    Some(blob_fee(excess, params.base_fee_update_fraction))
}

/// What a transaction pays the block producer per gas in a block of base fee `base_fee`.
fn effective_tip(tx: &ethrex_common::types::Transaction, base_fee: Option<u64>) -> U256 {
    effective_gas_price(tx, base_fee).saturating_sub(U256::from(base_fee.unwrap_or(0)))
}

/// The suggested tip (see the module docs).
fn suggested_tip(ctx: &RpcContext, head: &Header) -> Result<U256, RpcError> {
    let mut samples = Vec::new();
    let first = head.number.saturating_sub(TIP_BLOCKS - 1);
    for number in first..=head.number {
        let Some(block) = ctx.store.block_by_number(number)? else {
            continue;
        };
        let base_fee = block.header.base_fee_per_gas;
        let rollup_fees = match ctx.chain.is_rollup() {
            true => Some(
                ctx.store
                    .fee_config(&block.header.hash_slow())?
                    .unwrap_or_default(),
            ),
            false => None,
        };
        let mut tips: Vec<U256> = block
            .body
            .transactions
            .iter()
            .map(|tx| match &rollup_fees {
                Some(fees) => priority_fee(tx, base_fee, fees),
                None => effective_tip(tx, base_fee),
            })
            .filter(|tip| *tip >= U256::from(MIN_SAMPLED_TIP))
            .collect();
        tips.sort_unstable();
        samples.extend(tips.into_iter().take(TIP_SAMPLES));
    }
    samples.sort_unstable();
    let index = samples.len().saturating_sub(1) * TIP_PERCENTILE / 100;
    Ok(samples
        .get(index)
        .copied()
        .unwrap_or(U256::from(FALLBACK_TIP))
        .min(U256::from(MAX_TIP)))
}

/// A block count: a hex quantity or a JSON number.
#[derive(Deserialize)]
#[serde(untagged)]
enum BlockCount {
    Quantity(alloy_primitives::U64),
    Number(u64),
}

/// `eth_feeHistory(blockCount, newestBlock, rewardPercentiles?)`: per block the base fee, the
/// gas used ratio, the blob base fee and blob gas used ratio, and the effective tips at the
/// given percentiles of gas; base fees include the block after the newest.
pub fn fee_history(ctx: &RpcContext, p: &Params) -> Result<Value, RpcError> {
    p.at_most(3)?;
    let count = match p.required::<BlockCount>(0)? {
        BlockCount::Quantity(n) => n.to::<u64>(),
        BlockCount::Number(n) => n,
    };
    let newest: BlockNumberOrTag = p.required(1)?;
    let percentiles: Option<Vec<f64>> = p.optional(2)?;
    if let Some(percentiles) = &percentiles {
        check_percentiles(percentiles)?;
    }
    let newest = block_number(ctx, newest)?
        .ok_or_else(|| RpcError::server(format!("{newest} block not found")))?;
    let head = head(ctx)?;
    if newest > head.number {
        return Err(RpcError::server(format!(
            "request beyond head block: requested #{newest}, head #{}",
            head.number
        )));
    }
    let count = count.min(MAX_FEE_HISTORY_BLOCKS).min(newest + 1);
    if count == 0 {
        return Ok(json!({
            "oldestBlock": "0x0",
            "baseFeePerGas": [],
            "gasUsedRatio": [],
            "baseFeePerBlobGas": [],
            "blobGasUsedRatio": [],
        }));
    }
    let oldest = newest + 1 - count;
    let config = ctx.chain.config();
    let (mut base_fees, mut gas_ratios, mut blob_fees, mut blob_ratios, mut rewards) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut last = None;
    for number in oldest..=newest {
        let header = ctx
            .store
            .header_by_number(number)?
            .ok_or_else(|| RpcError::internal(format!("canonical block #{number} not found")))?;
        base_fees.push(hex(U256::from(header.base_fee_per_gas.unwrap_or(0))));
        gas_ratios.push(json!(ratio(header.gas_used, header.gas_limit)));
        blob_fees.push(hex(blob_base_fee(ctx, &header).unwrap_or_default()));
        let max_blob_gas = config
            .blob_params(fork_of(config, &header))
            .map_or(0, |params| params.max.saturating_mul(GAS_PER_BLOB));
        blob_ratios.push(json!(ratio(
            header.blob_gas_used.unwrap_or(0),
            max_blob_gas
        )));
        if let Some(percentiles) = &percentiles {
            let tips = block_rewards(ctx, &header, percentiles)?;
            rewards.push(Value::Array(tips.into_iter().map(hex).collect()));
        }
        last = Some(header);
    }
    if let Some(newest) = &last {
        base_fees.push(hex(U256::from(
            next_block_base_fee(ctx, newest).unwrap_or(0),
        )));
        blob_fees.push(hex(
            next_block_blob_base_fee(ctx, newest).unwrap_or_default()
        ));
    }
    let mut result = json!({
        "oldestBlock": format!("{oldest:#x}"),
        "baseFeePerGas": base_fees,
        "gasUsedRatio": gas_ratios,
        "baseFeePerBlobGas": blob_fees,
        "blobGasUsedRatio": blob_ratios,
    });
    if percentiles.is_some()
        && let Some(object) = result.as_object_mut()
    {
        object.insert("reward".into(), Value::Array(rewards));
    }
    Ok(result)
}

fn ratio(used: u64, limit: u64) -> f64 {
    if limit == 0 {
        0.0
    } else {
        used as f64 / limit as f64
    }
}

fn check_percentiles(percentiles: &[f64]) -> Result<(), RpcError> {
    let mut previous = 0.0;
    for &p in percentiles {
        if !(0.0..=100.0).contains(&p) || p < previous {
            return Err(RpcError::invalid_params(format!(
                "invalid reward percentile {p}: percentiles must lie in [0, 100] and increase"
            )));
        }
        previous = p;
    }
    Ok(())
}

/// The effective tips at each percentile of the gas used in the block of `header`: the tip of
/// the transaction (cheapest first) at which the cumulative gas reaches that share.
fn block_rewards(
    ctx: &RpcContext,
    header: &Header,
    percentiles: &[f64],
) -> Result<Vec<U256>, RpcError> {
    if header.gas_used == 0 {
        return Ok(vec![U256::ZERO; percentiles.len()]);
    }
    let hash = header.hash_slow();
    let body = ctx.store.body_by_hash(&hash)?.ok_or_else(|| {
        RpcError::internal(format!("block #{} {hash} has no body", header.number))
    })?;
    let receipts = ctx.store.receipts(&hash)?;
    let mut previous = 0u64;
    let mut txs: Vec<(U256, u64)> = body
        .transactions
        .iter()
        .zip(&receipts)
        .map(|(tx, receipt)| {
            let cumulative = receipt.cumulative_gas_used();
            let gas = cumulative.saturating_sub(previous);
            previous = cumulative;
            (effective_tip(tx, header.base_fee_per_gas), gas)
        })
        .collect();
    txs.sort_unstable_by_key(|(tip, _)| *tip);
    Ok(percentile_tips(&txs, header.gas_used, percentiles))
}

/// For each percentile, the tip of the first transaction of `txs` (tip, gas; cheapest first) at
/// which the cumulative gas reaches that share of `gas_used`; zero without transactions.
fn percentile_tips(txs: &[(U256, u64)], gas_used: u64, percentiles: &[f64]) -> Vec<U256> {
    let mut rewards = Vec::with_capacity(percentiles.len());
    let (mut i, mut sum) = (0, txs.first().map_or(0, |(_, gas)| *gas));
    for &percentile in percentiles {
        let threshold = gas_used as f64 * percentile / 100.0;
        while (sum as f64) < threshold && i + 1 < txs.len() {
            i += 1;
            sum += txs.get(i).map_or(0, |(_, gas)| *gas);
        }
        rewards.push(txs.get(i).map_or(U256::ZERO, |(tip, _)| *tip));
    }
    rewards
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::methods::test_chain::test_chain;

    #[test]
    fn percentile_tips_walk_the_gas_of_the_cheapest_first() {
        let tip = U256::from;
        // Three transactions using 10%, 30% and 60% of the gas.
        let txs = [(tip(1), 10), (tip(5), 30), (tip(9), 60)];
        let cases: [(f64, u64); 7] = [
            (0.0, 1),
            (10.0, 1),
            (10.5, 5),
            (40.0, 5),
            (40.1, 9),
            (99.0, 9),
            (100.0, 9),
        ];
        for (percentile, want) in cases {
            assert_eq!(
                percentile_tips(&txs, 100, &[percentile]),
                vec![tip(want)],
                "percentile {percentile}"
            );
        }
        assert_eq!(percentile_tips(&[], 0, &[50.0]), vec![U256::ZERO]);
    }

    #[test]
    fn fee_history_covers_the_blocks_and_the_next_base_fee() {
        let chain = test_chain!(u64::MAX);
        let history = chain.ok("eth_feeHistory", json!(["0x3", "latest", [0, 50, 100]]));
        assert_eq!(history["oldestBlock"], "0x34");
        assert_eq!(history["baseFeePerGas"].as_array().unwrap().len(), 4);
        assert_eq!(history["baseFeePerBlobGas"].as_array().unwrap().len(), 4);
        assert_eq!(history["gasUsedRatio"].as_array().unwrap().len(), 3);
        assert_eq!(history["blobGasUsedRatio"].as_array().unwrap().len(), 3);
        let rewards = history["reward"].as_array().unwrap();
        assert_eq!(rewards.len(), 3);
        assert!(rewards.iter().all(|r| r.as_array().unwrap().len() == 3));
        for ratio in history["gasUsedRatio"].as_array().unwrap() {
            assert!((0.0..=1.0).contains(&ratio.as_f64().unwrap()), "{ratio}");
        }
        // The last base fee is the next block's.
        assert_eq!(
            history["baseFeePerGas"][3],
            chain.ok("eth_baseFee", json!([]))
        );
        // A decimal count, more blocks than exist, no percentiles: no `reward`.
        let all = chain.ok("eth_feeHistory", json!([100, "0x2"]));
        assert_eq!(all["oldestBlock"], "0x0");
        assert_eq!(all["gasUsedRatio"].as_array().unwrap().len(), 3);
        assert!(all.get("reward").is_none());
    }

    #[test]
    fn fee_history_refuses_bad_percentiles_and_future_blocks() {
        let chain = test_chain!(3);
        for percentiles in [json!([50, 10]), json!([-1]), json!([101])] {
            let error = chain
                .call("eth_feeHistory", json!(["0x1", "latest", percentiles]))
                .unwrap_err();
            assert_eq!(error.code, -32602, "{percentiles}");
        }
        let error = chain
            .call("eth_feeHistory", json!(["0x1", "0x9"]))
            .unwrap_err();
        assert_eq!(error.code, -32000);
    }

    #[test]
    fn gas_price_is_the_suggested_tip_over_the_next_base_fee() {
        let chain = test_chain!(u64::MAX);
        let value = |method: &str| {
            let text = chain.ok(method, json!([]));
            U256::from_str_radix(text.as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
        };
        let tip = value("eth_maxPriorityFeePerGas");
        assert!(tip >= U256::from(1) && tip <= U256::from(MAX_TIP), "{tip}");
        assert_eq!(value("eth_gasPrice"), tip + value("eth_baseFee"));
        assert!(value("eth_blobBaseFee") >= U256::from(1));
    }

    #[test]
    fn blob_fees_are_refused_before_cancun() {
        let chain = test_chain!(3);
        assert_eq!(
            chain.call("eth_blobBaseFee", json!([])).unwrap_err().code,
            -32000
        );
        assert_eq!(
            chain.call("eth_baseFee", json!([])).unwrap_err().code,
            -32000
        );
    }
}
