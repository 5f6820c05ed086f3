//! The method table: [`call`] maps a method name to its handler. Handlers take the positional
//! params (a JSON array) and return the result's JSON. One module per namespace or theme.

mod blocks;
mod net_web3;
pub(crate) mod params;
mod state;
pub(crate) mod testing;
// Chain data: blocks, transactions, receipts, logs and filters, fees, proofs, raw data.
mod config;
mod fees;
pub(crate) mod filters;
mod get_logs;
mod proof;
mod raw;
mod receipts;
#[cfg(test)]
mod robustness_tests;
#[cfg(test)]
pub(crate) mod test_chain;
mod transactions;
mod uncles;
// The mempool: eth_sendRawTransaction and the txpool namespace.
mod mempool;
mod txpool;
// Execution: eth_call, estimates, access lists, simulation, traces.
mod access_list;
mod call;
mod call_args;
mod estimate;
mod overlay;
mod rollup_fees;
mod sim_tracer;
mod simulate;
mod trace;
mod trace_json;
// Execution witnesses, the node's identity (admin_nodeInfo) and its peers.
pub(crate) mod admin;
mod peers;
mod witness;

use serde_json::Value;

use crate::{RpcContext, RpcError};

/// A method's result: a JSON value, or — for results that can hold thousands of items, such as
/// logs — JSON text written straight from typed data.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    Value(Value),
    Text(String),
}

impl Output {
    /// The result as a JSON value (parsing text results).
    pub fn into_value(self) -> Result<Value, RpcError> {
        match self {
            Output::Value(value) => Ok(value),
            Output::Text(text) => serde_json::from_str(&text)
                .map_err(|e| RpcError::internal(format!("result is not JSON: {e}"))),
        }
    }
}

/// Runs `method` with `params`.
pub fn call(ctx: &RpcContext, method: &str, params: Value) -> Result<Output, RpcError> {
    let p = params::Params::new(params);
    match method {
        "eth_getLogs" => get_logs::get_logs(ctx, &p).map(Output::Text),
        "eth_getFilterLogs" => filters::get_filter_logs(ctx, &p).map(Output::Text),
        "eth_getFilterChanges" => filters::get_filter_changes(ctx, &p),
        _ => value_call(ctx, method, &p).map(Output::Value),
    }
}

/// The methods whose result is built as a JSON value.
fn value_call(ctx: &RpcContext, method: &str, p: &params::Params) -> Result<Value, RpcError> {
    match method {
        // web3_, net_
        "web3_clientVersion" => net_web3::client_version(ctx),
        "web3_sha3" => net_web3::sha3(p),
        "net_version" => net_web3::net_version(ctx),
        "net_listening" => Ok(Value::Bool(true)),
        "net_peerCount" => peers::peer_count(ctx),
        // eth_: chain
        "eth_chainId" => net_web3::chain_id(ctx),
        "eth_blockNumber" => blocks::block_number(ctx),
        "eth_syncing" => Ok(net_web3::syncing(ctx)),
        // eth_: blocks
        "eth_getBlockByNumber" => blocks::block_by_number(ctx, p),
        "eth_getBlockByHash" => blocks::block_by_hash(ctx, p),
        // eth_: state
        "eth_getBalance" => state::balance(ctx, p),
        "eth_getCode" => state::code(ctx, p),
        "eth_getStorageAt" => state::storage_at(ctx, p),
        "eth_getTransactionCount" => state::transaction_count(ctx, p),
        "testing_buildBlockV1" => testing::build_block_v1(ctx, p),
        // transactions, receipts, uncles, filters, fees, proofs, config, raw data
        "eth_getTransactionByHash" => transactions::by_hash(ctx, p),
        "eth_getTransactionByBlockHashAndIndex" => transactions::by_block_hash_and_index(ctx, p),
        "eth_getTransactionByBlockNumberAndIndex" => {
            transactions::by_block_number_and_index(ctx, p)
        }
        "eth_getBlockTransactionCountByHash" => transactions::count_by_hash(ctx, p),
        "eth_getBlockTransactionCountByNumber" => transactions::count_by_number(ctx, p),
        "eth_getTransactionReceipt" => receipts::transaction_receipt(ctx, p),
        "eth_getBlockReceipts" => receipts::block_receipts(ctx, p),
        "eth_getUncleCountByBlockHash" => uncles::count_by_hash(ctx, p),
        "eth_getUncleCountByBlockNumber" => uncles::count_by_number(ctx, p),
        "eth_getUncleByBlockHashAndIndex" => uncles::by_hash_and_index(ctx, p),
        "eth_getUncleByBlockNumberAndIndex" => uncles::by_number_and_index(ctx, p),
        "eth_newFilter" => filters::new_filter(ctx, p),
        "eth_newBlockFilter" => filters::new_block_filter(ctx, p),
        "eth_newPendingTransactionFilter" => filters::new_pending_transaction_filter(ctx, p),
        "eth_uninstallFilter" => filters::uninstall_filter(ctx, p),
        "eth_gasPrice" => fees::gas_price(ctx, p),
        "eth_maxPriorityFeePerGas" => fees::max_priority_fee(ctx, p),
        "eth_feeHistory" => fees::fee_history(ctx, p),
        "eth_baseFee" => fees::base_fee(ctx, p),
        "eth_blobBaseFee" => fees::blob_base_fee_method(ctx, p),
        "eth_getProof" => proof::get_proof(ctx, p),
        "eth_getStorageValues" => proof::get_storage_values(ctx, p),
        "eth_config" => config::eth_config(ctx, p),
        "eth_capabilities" => config::capabilities(ctx, p),
        "debug_getRawHeader" => raw::raw_header(ctx, p),
        "debug_getRawBlock" => raw::raw_block(ctx, p),
        "debug_getRawReceipts" => raw::raw_receipts(ctx, p),
        "debug_getRawTransaction" => raw::raw_transaction(ctx, p),
        // the mempool
        "eth_sendRawTransaction" => mempool::send_raw_transaction(ctx, p),
        "txpool_content" => txpool::content(ctx, p),
        "txpool_contentFrom" => txpool::content_from(ctx, p),
        "txpool_status" => txpool::status(ctx, p),
        "txpool_inspect" => txpool::inspect(ctx, p),
        // execution: call, estimates, access lists, simulation, traces
        "eth_call" => call::eth_call(ctx, p),
        "eth_estimateGas" => estimate::estimate_gas(ctx, p),
        "eth_createAccessList" => access_list::create_access_list(ctx, p),
        "eth_simulateV1" => simulate::simulate_v1(ctx, p),
        "debug_traceTransaction" => trace::trace_transaction(ctx, p),
        "debug_traceBlockByNumber" => trace::trace_block_by_number(ctx, p),
        "debug_traceBlockByHash" => trace::trace_block_by_hash(ctx, p),
        "debug_traceCall" => trace::trace_call(ctx, p),
        // execution witnesses and the node
        "debug_executionWitness" => witness::execution_witness(ctx, p),
        "debug_executionWitnessByBlockHash" => witness::execution_witness_by_hash(ctx, p),
        "admin_nodeInfo" => admin::node_info(ctx, p),
        "admin_peers" => peers::admin_peers(ctx, p),
        "admin_addPeer" => peers::add_peer(ctx, p),
        _ => extra_call(ctx, method, p),
    }
}

/// A method the node does not know: the extra namespace's ([`crate::ExtraMethods`]), or
/// -32601.
fn extra_call(ctx: &RpcContext, method: &str, p: &params::Params) -> Result<Value, RpcError> {
    ctx.extra
        .as_ref()
        .and_then(|extra| extra.call(method, &p.to_value()))
        .unwrap_or_else(|| Err(RpcError::method_not_found(method)))
}
