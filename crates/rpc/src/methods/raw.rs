//! Raw chain data, as consensus encodings: `debug_getRawHeader` and `debug_getRawBlock` (RLP),
//! `debug_getRawReceipts` (each receipt's EIP-2718 encoding) and `debug_getRawTransaction`
//! (the canonical EIP-2718 encoding, a blob transaction without its sidecar).

use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::Bytes;
use alloy_rpc_types_eth::BlockId;
use serde_json::{Value, json};

use super::{
    params::{Params, resolve_block},
    transactions::block,
};
use crate::{RpcContext, RpcError};

fn not_found(id: BlockId) -> RpcError {
    RpcError::server(format!("block {id} not found"))
}

pub fn raw_header(ctx: &RpcContext, p: &Params) -> Result<Value, RpcError> {
    p.at_most(1)?;
    let id: BlockId = p.required(0)?;
    let header = resolve_block(ctx, id)?.ok_or_else(|| not_found(id))?;
    Ok(json!(Bytes::from(alloy_rlp::encode(&header))))
}

pub fn raw_block(ctx: &RpcContext, p: &Params) -> Result<Value, RpcError> {
    p.at_most(1)?;
    let id: BlockId = p.required(0)?;
    let block = block(ctx, id)?.ok_or_else(|| not_found(id))?;
    Ok(json!(Bytes::from(alloy_rlp::encode(&block))))
}

pub fn raw_receipts(ctx: &RpcContext, p: &Params) -> Result<Value, RpcError> {
    p.at_most(1)?;
    let id: BlockId = p.required(0)?;
    let header = resolve_block(ctx, id)?.ok_or_else(|| not_found(id))?;
    let receipts = ctx.store.receipts(&header.hash_slow())?;
    let encoded: Vec<Bytes> = receipts
        .iter()
        .map(|receipt| Bytes::from(receipt.encoded_2718()))
        .collect();
    Ok(json!(encoded))
}

/// The transaction of a stored block, else of the mempool; `null` when unknown.
pub fn raw_transaction(ctx: &RpcContext, p: &Params) -> Result<Value, RpcError> {
    p.at_most(1)?;
    let hash = p.hash(0)?;
    if let Some(location) = ctx.store.tx_location(&hash)?
        && let Some(body) = ctx.store.body_by_hash(&location.block_hash)?
        && let Some(tx) = usize::try_from(location.index)
            .ok()
            .and_then(|i| body.transactions.get(i))
    {
        return Ok(json!(Bytes::from(tx.encode_2718())));
    }
    Ok(match ctx.mempool.get(&hash) {
        Some(pooled) => json!(Bytes::from(pooled.transaction.encode_2718())),
        None => Value::Null,
    })
}
