//! Transactions: `eth_getTransactionByHash` (stored blocks, then the mempool),
//! `eth_getTransactionByBlockHashAndIndex`, `eth_getTransactionByBlockNumberAndIndex`,
//! `eth_getBlockTransactionCountByHash`/`ByNumber`; and the block lookups the other chain-data
//! methods share. Unknown blocks and transactions answer `null`, as geth does.

use alloy_primitives::{Address, U64};
use alloy_rpc_types_eth::BlockId;
use ethrex_common::types::{Block, Transaction};
use serde_json::Value;

use super::params::{Params, resolve_block};
use crate::{
    RpcContext, RpcError,
    types::{TxPosition, transaction_json},
};

pub fn by_hash(ctx: &RpcContext, p: &Params) -> Result<Value, RpcError> {
    p.at_most(1)?;
    let hash = p.hash(0)?;
    if let Some(location) = ctx.store.tx_location(&hash)?
        && let Some(block) = ctx.store.block_by_hash(&location.block_hash)?
    {
        return in_block(&block, location.index);
    }
    Ok(match ctx.mempool.get(&hash) {
        Some(pooled) => transaction_json(&pooled.transaction, pooled.sender, None),
        None => Value::Null,
    })
}

pub fn by_block_hash_and_index(ctx: &RpcContext, p: &Params) -> Result<Value, RpcError> {
    let (id, index) = p.block_and_index(true)?;
    by_block_and_index(ctx, id, index)
}

pub fn by_block_number_and_index(ctx: &RpcContext, p: &Params) -> Result<Value, RpcError> {
    let (id, index) = p.block_and_index(false)?;
    by_block_and_index(ctx, id, index)
}

pub fn count_by_hash(ctx: &RpcContext, p: &Params) -> Result<Value, RpcError> {
    count(ctx, p.only_block(true)?)
}

pub fn count_by_number(ctx: &RpcContext, p: &Params) -> Result<Value, RpcError> {
    count(ctx, p.only_block(false)?)
}

fn count(ctx: &RpcContext, id: BlockId) -> Result<Value, RpcError> {
    Ok(match block(ctx, id)? {
        Some(block) => Value::String(format!("{:#x}", block.body.transactions.len())),
        None => Value::Null,
    })
}

fn by_block_and_index(ctx: &RpcContext, id: BlockId, index: U64) -> Result<Value, RpcError> {
    match block(ctx, id)? {
        Some(block) => in_block(&block, index.to::<u64>()),
        None => Ok(Value::Null),
    }
}

/// The block a block id designates (`None` when there is none).
pub(super) fn block(ctx: &RpcContext, id: BlockId) -> Result<Option<Block>, RpcError> {
    let hash = match id {
        BlockId::Hash(hash) => resolve_block(ctx, id)?.map(|_| hash.block_hash),
        BlockId::Number(_) => resolve_block(ctx, id)?.map(|header| header.hash_slow()),
    };
    match hash {
        Some(hash) => Ok(ctx.store.block_by_hash(&hash)?),
        None => Ok(None),
    }
}

/// The JSON of the transaction at `index` in `block` (`null` past the last one).
fn in_block(block: &Block, index: u64) -> Result<Value, RpcError> {
    let Some(tx) = usize::try_from(index)
        .ok()
        .and_then(|i| block.body.transactions.get(i))
    else {
        return Ok(Value::Null);
    };
    let position = TxPosition {
        block_hash: block.header.hash_slow(),
        block_number: block.header.number,
        block_timestamp: block.header.timestamp,
        index,
        base_fee: block.header.base_fee_per_gas,
    };
    Ok(transaction_json(tx, sender(tx)?, Some(position)))
}

/// The sender of a stored transaction (its signature was checked when its block was added).
pub(super) fn sender(tx: &Transaction) -> Result<Address, RpcError> {
    tx.sender().map_err(|e| {
        RpcError::internal(format!(
            "cannot recover the sender of transaction {}: {e}",
            tx.hash()
        ))
    })
}
