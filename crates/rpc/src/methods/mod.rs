//! The method table: [`call`] maps a method name to its handler. Handlers take the positional
//! params (a JSON array) and return the result's JSON. One module per namespace or theme.

mod blocks;
mod net_web3;
pub(crate) mod params;
mod state;
// [modules: chain data] (owner: chain-data work)
// [end modules: chain data]
// [modules: mempool] (owner: mempool work)
// [end modules: mempool]
// [modules: execution] (owner: execution work)
// [end modules: execution]

use serde_json::Value;

use crate::{RpcContext, RpcError};

/// Runs `method` with `params`.
pub fn call(ctx: &RpcContext, method: &str, params: Value) -> Result<Value, RpcError> {
    let p = params::Params::new(params);
    match method {
        // web3_, net_
        "web3_clientVersion" => net_web3::client_version(ctx),
        "web3_sha3" => net_web3::sha3(&p),
        "net_version" => net_web3::net_version(ctx),
        "net_listening" => Ok(Value::Bool(true)),
        "net_peerCount" => Ok(Value::String("0x0".into())),
        // eth_: chain
        "eth_chainId" => net_web3::chain_id(ctx),
        "eth_blockNumber" => blocks::block_number(ctx),
        "eth_syncing" => Ok(Value::Bool(false)),
        // eth_: blocks
        "eth_getBlockByNumber" => blocks::block_by_number(ctx, &p),
        "eth_getBlockByHash" => blocks::block_by_hash(ctx, &p),
        // eth_: state
        "eth_getBalance" => state::balance(ctx, &p),
        "eth_getCode" => state::code(ctx, &p),
        "eth_getStorageAt" => state::storage_at(ctx, &p),
        "eth_getTransactionCount" => state::transaction_count(ctx, &p),
        // [methods: chain data] transactions, receipts, logs, filters, fees, proofs, raw data
        // [end methods: chain data]
        // [methods: mempool] sendRawTransaction, txpool_*, pending
        // [end methods: mempool]
        // [methods: execution] call, estimateGas, createAccessList, simulateV1, debug_trace*
        // [end methods: execution]
        _ => Err(RpcError::method_not_found(method)),
    }
}
