//! Blocks: `eth_blockNumber`, `eth_getBlockByNumber`, `eth_getBlockByHash`.

use alloy_primitives::B256;
use alloy_rpc_types_eth::{BlockId, BlockNumberOrTag};
use serde_json::Value;

use super::params::{Params, resolve_block};
use crate::{RpcContext, RpcError, types::block_json};

pub fn block_number(ctx: &RpcContext) -> Result<Value, RpcError> {
    let number = ctx.store.head_header()?.map_or(0, |h| h.number);
    Ok(Value::String(format!("{number:#x}")))
}

pub fn block_by_number(ctx: &RpcContext, p: &Params) -> Result<Value, RpcError> {
    p.at_most(2)?;
    let tag: BlockNumberOrTag = p.required(0)?;
    let full: bool = p.optional(1)?.unwrap_or(false);
    block(ctx, BlockId::Number(tag), full)
}

pub fn block_by_hash(ctx: &RpcContext, p: &Params) -> Result<Value, RpcError> {
    p.at_most(2)?;
    let hash: B256 = p.required(0)?;
    let full: bool = p.optional(1)?.unwrap_or(false);
    block(ctx, BlockId::from(hash), full)
}

fn block(ctx: &RpcContext, id: BlockId, full: bool) -> Result<Value, RpcError> {
    let Some(header) = resolve_block(ctx, id)? else {
        return Ok(Value::Null);
    };
    let Some(block) = ctx.store.block_by_hash(&header.hash_slow())? else {
        return Ok(Value::Null);
    };
    Ok(block_json(&block, full))
}
