//! `debug_executionWitness(block)` and `debug_executionWitnessByBlockHash(hash)`: what a
//! stateless verifier needs to re-execute a stored block over its parent's state, in reth's
//! format `{state, codes, keys, headers}` (hex byte strings; see
//! [`ethrex_blockchain::ExecutionWitness`] for what each holds and guarantees). Only blocks whose
//! parent's state is still held (the recent ones) have a witness.

use alloy_rpc_types_eth::{BlockId, BlockNumberOrTag};
use ethrex_blockchain::{ChainError, ExecutionWitness};
use ethrex_storage::DEFAULT_STATE_WINDOW;
use serde_json::{Value, json};

use super::{params::Params, transactions::block};
use crate::{RpcContext, RpcError};

pub fn execution_witness(ctx: &RpcContext, p: &Params) -> Result<Value, RpcError> {
    p.at_most(1)?;
    let tag: BlockNumberOrTag = p.required(0)?;
    witness_of(ctx, BlockId::Number(tag))
}

pub fn execution_witness_by_hash(ctx: &RpcContext, p: &Params) -> Result<Value, RpcError> {
    p.at_most(1)?;
    witness_of(ctx, BlockId::from(p.hash(0)?))
}

fn witness_of(ctx: &RpcContext, id: BlockId) -> Result<Value, RpcError> {
    let block = block(ctx, id)?.ok_or_else(|| RpcError::server(format!("block {id} not found")))?;
    let number = block.header.number;
    if number == 0 {
        return Err(RpcError::server(
            "the genesis block has no parent: it has no execution witness",
        ));
    }
    let witness = ctx.chain.execution_witness(&block).map_err(|e| match e {
        ChainError::ParentStateUnavailable { parent, .. } => RpcError::server(format!(
            "state not available for block #{} ({parent}), the parent of block #{number}: \
                 witnesses are served for the last {DEFAULT_STATE_WINDOW} blocks only",
            number - 1
        )),
        other => RpcError::internal(other.to_string()),
    })?;
    Ok(witness_json(&witness))
}

fn witness_json(witness: &ExecutionWitness) -> Value {
    json!({
        "state": witness.state,
        "codes": witness.codes,
        "keys": witness.keys,
        "headers": witness.headers,
    })
}

#[cfg(test)]
mod tests;
