//! `engine_newPayloadV1..V4`. The params are checked per version first (V3+: every field
//! present, else -32602, before the fork window's -38005), then, in the spec's order:
//! transactions non-empty and decodable (`INVALID`, null hash) → the block hash
//! (`INVALID_BLOCK_HASH` for V1, `INVALID` after) → the blob versioned hashes (`INVALID`) → an
//! already known block (its status again) → a known invalid ancestry (`INVALID` with the last
//! valid ancestor) → an unknown parent (`SYNCING`) or a parent whose state is gone (`ACCEPTED`)
//! → full validation through [`ethrex_blockchain::Blockchain::add_block`] (`VALID`, or
//! `INVALID` with the parent as the last valid block).

use alloy_primitives::{B256, Bytes};
use alloy_rpc_types_engine::{ExecutionPayloadV1, ExecutionPayloadV3};
use ethrex_blockchain::ChainError;
use ethrex_common::{Fork, types::Withdrawal};
use serde_json::Value;

use super::{
    Status, check_fork, fork_at,
    payload::{InvalidPayload, PayloadInput, versioned_hashes},
};
use crate::{RpcContext, RpcError, methods::params::Params};

/// `engine_newPayloadV{version}`.
pub(super) fn new_payload(ctx: &RpcContext, p: &Params, version: u8) -> Result<Value, RpcError> {
    let (input, expected_hashes) = parse(ctx, p, version)?;
    let status = process(ctx, input, expected_hashes, version)?;
    Ok(status.to_json())
}

/// The params of version `version`, checked for shape and fork window.
fn parse(
    ctx: &RpcContext,
    p: &Params,
    version: u8,
) -> Result<(PayloadInput, Option<Vec<B256>>), RpcError> {
    let method = format!("engine_newPayloadV{version}");
    match version {
        1 | 2 => {
            p.at_most(1)?;
            let raw = p
                .raw(0)
                .filter(|v| v.is_object())
                .ok_or_else(|| RpcError::invalid_params("missing value for required argument 0"))?;
            let payload: ExecutionPayloadV1 = p.required(0)?;
            let fork = fork_at(ctx, payload.block_number, payload.timestamp);
            let until = if version == 1 {
                Fork::Shanghai
            } else {
                Fork::Cancun
            };
            check_fork(&method, fork, Fork::Paris, Some(until))?;
            let present = |key: &str| raw.get(key).is_some_and(|v| !v.is_null());
            for field in ["blobGasUsed", "excessBlobGas"] {
                if present(field) {
                    return Err(RpcError::invalid_params(format!(
                        "{field} is not a field of ExecutionPayloadV{version}"
                    )));
                }
            }
            let withdrawals: Option<Vec<Withdrawal>> = match raw.get("withdrawals") {
                Some(v) if !v.is_null() => {
                    Some(serde_json::from_value(v.clone()).map_err(|e| {
                        RpcError::invalid_params(format!("invalid withdrawals: {e}"))
                    })?)
                }
                _ => None,
            };
            let shanghai = fork >= Fork::Shanghai;
            match (withdrawals.is_some(), shanghai) {
                (true, false) => {
                    return Err(RpcError::invalid_params(
                        "withdrawals before Shanghai: use ExecutionPayloadV1",
                    ));
                }
                (false, true) => {
                    return Err(RpcError::invalid_params(
                        "no withdrawals in a Shanghai payload: use ExecutionPayloadV2",
                    ));
                }
                _ => {}
            }
            let input = PayloadInput {
                payload,
                withdrawals,
                blob_gas: None,
                parent_beacon_block_root: None,
                execution_requests: None,
            };
            Ok((input, None))
        }
        _ => {
            p.at_most(if version == 3 { 3 } else { 4 })?;
            let payload: ExecutionPayloadV3 = p.required(0)?;
            let hashes: Vec<B256> = p.required(1)?;
            let beacon_root: B256 = p.required(2)?;
            let requests = if version >= 4 {
                let requests: Vec<Bytes> = p.required(3)?;
                check_requests(&requests)?;
                Some(requests)
            } else {
                None
            };
            let v1 = payload.payload_inner.payload_inner;
            let fork = fork_at(ctx, v1.block_number, v1.timestamp);
            let (from, until) = if version == 3 {
                (Fork::Cancun, Some(Fork::Prague))
            } else {
                (Fork::Prague, None)
            };
            check_fork(&method, fork, from, until)?;
            let input = PayloadInput {
                payload: v1,
                withdrawals: Some(payload.payload_inner.withdrawals),
                blob_gas: Some((payload.blob_gas_used, payload.excess_blob_gas)),
                parent_beacon_block_root: Some(beacon_root),
                execution_requests: requests,
            };
            Ok((input, Some(hashes)))
        }
    }
}

/// `executionRequests`: each longer than its type byte, types strictly ascending (so no
/// duplicates).
fn check_requests(requests: &[Bytes]) -> Result<(), RpcError> {
    let mut last: Option<u8> = None;
    for (index, request) in requests.iter().enumerate() {
        let Some((&ty, data)) = request.split_first() else {
            return Err(RpcError::invalid_params(format!(
                "execution request {index} is empty"
            )));
        };
        if data.is_empty() {
            return Err(RpcError::invalid_params(format!(
                "execution request {index} (type {ty}) has empty data"
            )));
        }
        if last.is_some_and(|last| ty <= last) {
            return Err(RpcError::invalid_params(format!(
                "execution request {index} (type {ty}) is out of order or duplicated"
            )));
        }
        last = Some(ty);
    }
    Ok(())
}

/// The status of a well-formed payload.
fn process(
    ctx: &RpcContext,
    input: PayloadInput,
    expected_hashes: Option<Vec<B256>>,
    version: u8,
) -> Result<Status, RpcError> {
    let (block, hash) = match input.into_block() {
        Ok(built) => built,
        Err(e @ InvalidPayload::BlockHash { .. }) if version == 1 => {
            return Ok(Status {
                status: "INVALID_BLOCK_HASH",
                latest_valid_hash: None,
                validation_error: Some(e.to_string()),
            });
        }
        Err(e) => return Ok(Status::invalid(None, e.to_string())),
    };
    if let Some(expected) = expected_hashes {
        let actual = versioned_hashes(&block.body.transactions);
        if actual != expected {
            return Ok(Status::invalid(
                None,
                format!(
                    "blob versioned hashes mismatch: {} expected, the transactions carry {}",
                    expected.len(),
                    actual.len()
                ),
            ));
        }
    }
    let engine = &ctx.engine;
    let _chain = engine.lock_chain();
    let parent = block.header.parent_hash;
    if ctx.store.header_by_hash(&hash)?.is_some() {
        return Ok(Status::valid(hash));
    }
    if let Some((latest_valid, reason)) = engine.invalid_ancestor(&hash) {
        return Ok(Status::invalid(Some(latest_valid), reason));
    }
    if let Some((latest_valid, reason)) = engine.invalid_ancestor(&parent) {
        let reason = format!("ancestor is invalid: {reason}");
        engine.mark_invalid(hash, latest_valid, reason.clone());
        return Ok(Status::invalid(Some(latest_valid), reason));
    }
    match ctx.chain.add_block(&block) {
        Ok(_) => Ok(Status::valid(hash)),
        Err(ChainError::UnknownParent { .. }) => Ok(Status::syncing()),
        Err(ChainError::ParentStateUnavailable { .. }) => {
            if engine.sync().is_syncing() {
                Ok(Status::syncing())
            } else {
                Ok(Status::accepted())
            }
        }
        Err(e @ (ChainError::InvalidBlock { .. } | ChainError::StateRootMismatch { .. })) => {
            tracing::warn!(
                "engine: invalid payload #{} {hash}: {e}",
                block.header.number
            );
            engine.mark_invalid(hash, parent, e.to_string());
            Ok(Status::invalid(Some(parent), e.to_string()))
        }
        Err(e) => Err(RpcError::internal(format!(
            "cannot process the payload: {e}"
        ))),
    }
}
