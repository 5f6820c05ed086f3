//! Account state at a block: `eth_getBalance`, `eth_getCode`, `eth_getStorageAt`,
//! `eth_getTransactionCount`.

use alloy_primitives::{Address, B256, U256};
use alloy_rpc_types_eth::BlockId;
use ethrex_common::state::Database;
use ethrex_storage::StateReader;
use serde_json::Value;

use super::{
    call::vm_error,
    params::{Params, StorageKey, existing_block},
};
use crate::{RpcContext, RpcError};

/// The state at the block `p[index]` designates (`latest` when absent).
pub fn state_at(ctx: &RpcContext, p: &Params, index: usize) -> Result<StateReader, RpcError> {
    let id: BlockId = p.optional(index)?.unwrap_or_default();
    let header = existing_block(ctx, id)?;
    ctx.store.state_at(header.state_root).map_err(|e| match e {
        ethrex_storage::StoreError::StateNotAvailable { .. } => RpcError::server(format!(
            "missing trie node: the state of block #{} is no longer held (only recent states are)",
            header.number
        )),
        e => e.into(),
    })
}

pub fn balance(ctx: &RpcContext, p: &Params) -> Result<Value, RpcError> {
    p.at_most(2)?;
    let address: Address = p.required(0)?;
    let state = state_at(ctx, p, 1)?;
    let balance = state
        .account(&address)
        .map_err(vm_error)?
        .map_or(U256::ZERO, |a| a.balance);
    Ok(serde_json::to_value(balance).unwrap_or_default())
}

pub fn code(ctx: &RpcContext, p: &Params) -> Result<Value, RpcError> {
    p.at_most(2)?;
    let address: Address = p.required(0)?;
    let state = state_at(ctx, p, 1)?;
    let code = match state.account(&address).map_err(vm_error)? {
        Some(account) => state.code(&account.code_hash).map_err(vm_error)?,
        None => Default::default(),
    };
    Ok(Value::String(code.to_string()))
}

pub fn storage_at(ctx: &RpcContext, p: &Params) -> Result<Value, RpcError> {
    p.at_most(3)?;
    let address: Address = p.required(0)?;
    let slot = p.required::<StorageKey>(1)?.slot;
    let state = state_at(ctx, p, 2)?;
    let value = state.storage(&address, &slot).map_err(vm_error)?;
    Ok(Value::String(B256::from(value).to_string()))
}

pub fn transaction_count(ctx: &RpcContext, p: &Params) -> Result<Value, RpcError> {
    p.at_most(2)?;
    let address: Address = p.required(0)?;
    let state = state_at(ctx, p, 1)?;
    let mut nonce = state
        .account(&address)
        .map_err(vm_error)?
        .map_or(0, |a| a.nonce);
    // `pending`: the next nonce after the sender's executable pool transactions.
    let tag: Option<BlockId> = p.optional(1)?;
    if tag
        == Some(BlockId::Number(
            alloy_rpc_types_eth::BlockNumberOrTag::Pending,
        ))
        && let Some(pending) = ctx.mempool.pending_nonce(&address)
    {
        nonce = nonce.max(pending);
    }
    Ok(Value::String(format!("{nonce:#x}")))
}
