//! `web3_*`, `net_*` and the chain identity (`eth_chainId`).

use alloy_primitives::{Bytes, keccak256};
use serde_json::Value;

use super::params::Params;
use crate::{RpcContext, RpcError};

pub fn client_version(ctx: &RpcContext) -> Result<Value, RpcError> {
    Ok(Value::String(ctx.client_version.clone()))
}

pub fn sha3(p: &Params) -> Result<Value, RpcError> {
    let data: Bytes = p.required(0)?;
    Ok(Value::String(keccak256(&data).to_string()))
}

pub fn net_version(ctx: &RpcContext) -> Result<Value, RpcError> {
    Ok(Value::String(ctx.chain.config().chain_id.to_string()))
}

pub fn chain_id(ctx: &RpcContext) -> Result<Value, RpcError> {
    Ok(Value::String(format!("{:#x}", ctx.chain.config().chain_id)))
}
