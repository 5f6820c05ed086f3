//! Receipts: `eth_getTransactionReceipt` and `eth_getBlockReceipts`, in geth's JSON
//! ([`crate::types::receipt_json`]): each receipt's own gas is its cumulative gas minus the
//! previous one's, and logs are numbered across the block. On a rollup, `effectiveGasPrice`
//! follows the rollup's rule with the block's recorded fee parameters
//! ([`super::rollup_fees::effective_gas_price`]).

use alloy_rpc_types_eth::BlockId;
use ethrex_common::types::Block;
use serde_json::Value;

use super::{
    fees::blob_base_fee,
    params::Params,
    rollup_fees::{block_fee_config, effective_gas_price},
    transactions::{block, sender},
};
use crate::{
    RpcContext, RpcError,
    types::{ReceiptPosition, receipt_json},
};

pub fn transaction_receipt(ctx: &RpcContext, p: &Params) -> Result<Value, RpcError> {
    p.at_most(1)?;
    let hash = p.hash(0)?;
    let Some(location) = ctx.store.tx_location(&hash)? else {
        return Ok(Value::Null);
    };
    let Some(block) = ctx.store.block_by_hash(&location.block_hash)? else {
        return Ok(Value::Null);
    };
    let Ok(index) = usize::try_from(location.index) else {
        return Ok(Value::Null);
    };
    let mut receipts = receipts_json(ctx, &block, Some(index))?;
    Ok(receipts.pop().unwrap_or(Value::Null))
}

pub fn block_receipts(ctx: &RpcContext, p: &Params) -> Result<Value, RpcError> {
    p.at_most(1)?;
    let id: BlockId = p.required(0)?;
    match block(ctx, id)? {
        Some(block) => Ok(Value::Array(receipts_json(ctx, &block, None)?)),
        None => Ok(Value::Null),
    }
}

/// The JSON of the receipts of `block`, or of its receipt at `only`.
fn receipts_json(
    ctx: &RpcContext,
    block: &Block,
    only: Option<usize>,
) -> Result<Vec<Value>, RpcError> {
    let header = &block.header;
    let hash = header.hash_slow();
    let receipts = ctx.store.receipts(&hash)?;
    let transactions = &block.body.transactions;
    if receipts.len() != transactions.len() {
        return Err(RpcError::internal(format!(
            "block #{} {hash} has {} receipts for {} transactions",
            header.number,
            receipts.len(),
            transactions.len()
        )));
    }
    let blob_gas_price = blob_base_fee(ctx, header);
    let rollup_fees = block_fee_config(ctx, &hash, header.number)?;
    let mut out = Vec::new();
    let (mut previous_gas, mut first_log_index) = (0u64, 0u64);
    for (index, (receipt, tx)) in receipts.iter().zip(transactions).enumerate() {
        let cumulative = receipt.cumulative_gas_used();
        if only.is_none_or(|wanted| wanted == index) {
            let at = ReceiptPosition {
                block_hash: hash,
                block_number: header.number,
                block_timestamp: header.timestamp,
                index: index as u64,
                first_log_index,
                gas_used: cumulative.saturating_sub(previous_gas),
                base_fee: header.base_fee_per_gas,
                blob_gas_price,
            };
            let mut json = receipt_json(receipt, tx, sender(tx)?, at);
            if let (Some(fees), Some(object)) = (&rollup_fees, json.as_object_mut()) {
                let price = effective_gas_price(tx, header.base_fee_per_gas, fees);
                object.insert(
                    "effectiveGasPrice".into(),
                    Value::String(format!("{price:#x}")),
                );
            }
            out.push(json);
        }
        previous_gas = cumulative;
        first_log_index += receipt.logs().len() as u64;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use alloy_primitives::{Bytes, keccak256};
    use serde_json::json;

    use crate::methods::test_chain::test_chain;

    fn quantity(value: &serde_json::Value) -> u64 {
        u64::from_str_radix(value.as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
    }

    #[test]
    fn transactions_and_receipts_agree_with_their_blocks() {
        let chain = test_chain!(u64::MAX);
        for number in 0..=0x36u64 {
            let tag = format!("{number:#x}");
            let block = chain.ok("eth_getBlockByNumber", json!([tag, false]));
            let receipts = chain.ok("eth_getBlockReceipts", json!([tag]));
            let hashes = block["transactions"].as_array().unwrap();
            assert_eq!(
                receipts.as_array().unwrap().len(),
                hashes.len(),
                "#{number}"
            );
            assert_eq!(
                chain.ok("eth_getBlockTransactionCountByNumber", json!([tag])),
                json!(format!("{:#x}", hashes.len()))
            );
            let mut gas = 0;
            for (i, hash) in hashes.iter().enumerate() {
                let tx = chain.ok("eth_getTransactionByHash", json!([hash]));
                let by_index = chain.ok(
                    "eth_getTransactionByBlockNumberAndIndex",
                    json!([tag, format!("{i:#x}")]),
                );
                assert_eq!(tx, by_index);
                let receipt = chain.ok("eth_getTransactionReceipt", json!([hash]));
                assert_eq!(receipt, receipts[i]);
                assert_eq!(receipt["from"], tx["from"]);
                gas += quantity(&receipt["gasUsed"]);
                let raw: Bytes =
                    serde_json::from_value(chain.ok("debug_getRawTransaction", json!([hash])))
                        .unwrap();
                assert_eq!(json!(keccak256(&raw)), *hash);
            }
            assert_eq!(gas, quantity(&block["gasUsed"]), "#{number}");
            let raw: Vec<Bytes> =
                serde_json::from_value(chain.ok("debug_getRawReceipts", json!([tag]))).unwrap();
            assert_eq!(raw.len(), hashes.len());
        }
        let past_end = chain.ok(
            "eth_getTransactionByBlockNumberAndIndex",
            json!(["0x1", "0x63"]),
        );
        assert_eq!(past_end, json!(null));
    }
}
