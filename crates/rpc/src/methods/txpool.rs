//! The `txpool_` namespace, as geth answers it: `txpool_content` and `txpool_contentFrom`
//! (transactions by sender and nonce, split into pending and queued), `txpool_status` (the
//! counts) and `txpool_inspect` (one summary line per transaction).

use std::collections::BTreeMap;

use alloy_primitives::{Address, TxKind};
use ethrex_blockchain::mempool::PooledTransaction;
use serde_json::{Map, Value, json};

use super::params::Params;
use crate::{RpcContext, RpcError, types::transaction_json};

pub fn content(ctx: &RpcContext, p: &Params) -> Result<Value, RpcError> {
    p.at_most(0)?;
    let content = ctx.mempool.content();
    Ok(json!({
        "pending": by_sender(&content.pending, pending_json),
        "queued": by_sender(&content.queued, pending_json),
    }))
}

pub fn content_from(ctx: &RpcContext, p: &Params) -> Result<Value, RpcError> {
    p.at_most(1)?;
    let sender: Address = p.required(0)?;
    let (pending, queued) = ctx.mempool.content_from(&sender);
    Ok(json!({
        "pending": by_nonce(&pending, pending_json),
        "queued": by_nonce(&queued, pending_json),
    }))
}

pub fn status(ctx: &RpcContext, p: &Params) -> Result<Value, RpcError> {
    p.at_most(0)?;
    let status = ctx.mempool.status();
    Ok(json!({
        "pending": format!("{:#x}", status.pending),
        "queued": format!("{:#x}", status.queued),
    }))
}

pub fn inspect(ctx: &RpcContext, p: &Params) -> Result<Value, RpcError> {
    p.at_most(0)?;
    let content = ctx.mempool.content();
    Ok(json!({
        "pending": by_sender(&content.pending, summary),
        "queued": by_sender(&content.queued, summary),
    }))
}

/// The JSON of a transaction not yet in a block.
fn pending_json(tx: &PooledTransaction) -> Value {
    let mut value = transaction_json(&tx.transaction, tx.sender, None);
    if let Value::Object(object) = &mut value {
        object.insert("blockTimestamp".into(), Value::Null);
    }
    value
}

/// geth's one-line summary: `<to>: <value> wei + <gas> gas × <fee cap> wei`.
fn summary(tx: &PooledTransaction) -> Value {
    let t = &tx.transaction;
    let to = match t.to() {
        TxKind::Call(to) => to.to_string(),
        TxKind::Create => "contract creation".into(),
    };
    Value::String(format!(
        "{to}: {} wei + {} gas × {} wei",
        t.value(),
        t.gas_limit(),
        t.max_fee_per_gas()
    ))
}

fn by_sender(
    txs: &BTreeMap<Address, Vec<PooledTransaction>>,
    render: fn(&PooledTransaction) -> Value,
) -> Value {
    let object: Map<String, Value> = txs
        .iter()
        .map(|(sender, txs)| (sender.to_string(), by_nonce(txs, render)))
        .collect();
    Value::Object(object)
}

/// Transactions keyed by their nonce in decimal.
fn by_nonce(txs: &[PooledTransaction], render: fn(&PooledTransaction) -> Value) -> Value {
    let object: Map<String, Value> = txs
        .iter()
        .map(|tx| (tx.transaction.nonce().to_string(), render(tx)))
        .collect();
    Value::Object(object)
}
