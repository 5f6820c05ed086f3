//! Data the consensus client reads back: `engine_getPayloadBodiesByHashV1` /
//! `ByRangeV1` (transactions and withdrawals of stored blocks, `null` where unknown, no trailing
//! `null` past the head) and `engine_getBlobsV1..V3` (blobs of pooled transactions with their
//! proofs). Requests above [`MAX_BODIES`] bodies or [`MAX_BLOBS`] blobs are -38004.

use alloy_eips::eip7594::BlobTransactionSidecarVariant as Sidecar;
use alloy_primitives::{B256, Bytes, U64};
use ethrex_common::{
    Fork,
    types::{Block, Transaction},
};
use serde_json::{Value, json};

use super::{codes, engine_error};
use crate::{RpcContext, RpcError, methods::params::Params};

/// Most bodies per request (the spec asks for at least 32).
pub const MAX_BODIES: usize = 1024;
/// Most blobs per request (the spec asks for at least 128).
pub const MAX_BLOBS: usize = 128;

fn body_json(block: &Block) -> Value {
    let transactions: Vec<Bytes> = block
        .body
        .transactions
        .iter()
        .map(|tx| Bytes::from(tx.encode_2718()))
        .collect();
    json!({ "transactions": transactions, "withdrawals": block.body.withdrawals })
}

fn too_large(what: &str, asked: usize, max: usize) -> RpcError {
    engine_error(
        codes::TOO_LARGE_REQUEST,
        format!("{asked} {what} asked, at most {max} served"),
    )
}

/// `engine_getPayloadBodiesByHashV1`.
pub(super) fn by_hash(ctx: &RpcContext, p: &Params) -> Result<Value, RpcError> {
    p.at_most(1)?;
    let hashes: Vec<B256> = p.required(0)?;
    if hashes.len() > MAX_BODIES {
        return Err(too_large("bodies", hashes.len(), MAX_BODIES));
    }
    let mut bodies = Vec::with_capacity(hashes.len());
    for hash in &hashes {
        bodies.push(match ctx.store.block_by_hash(hash)? {
            Some(block) => body_json(&block),
            None => Value::Null,
        });
    }
    Ok(Value::Array(bodies))
}

/// `engine_getPayloadBodiesByRangeV1`.
pub(super) fn by_range(ctx: &RpcContext, p: &Params) -> Result<Value, RpcError> {
    p.at_most(2)?;
    let start: U64 = p.required(0)?;
    let count: U64 = p.required(1)?;
    let (start, count) = (start.to::<u64>(), count.to::<u64>());
    if start < 1 || count < 1 {
        return Err(RpcError::invalid_params(format!(
            "start ({start}) and count ({count}) must be at least 1"
        )));
    }
    if count > MAX_BODIES as u64 {
        return Err(too_large("bodies", count as usize, MAX_BODIES));
    }
    let latest = ctx.store.head_header()?.map_or(0, |h| h.number);
    let mut bodies = Vec::new();
    for number in start..start.saturating_add(count) {
        if number > latest {
            break;
        }
        bodies.push(match ctx.store.block_by_number(number)? {
            Some(block) => body_json(&block),
            None => Value::Null,
        });
    }
    Ok(Value::Array(bodies))
}

/// The requested versioned hashes, at most [`MAX_BLOBS`].
fn requested(p: &Params) -> Result<Vec<B256>, RpcError> {
    p.at_most(1)?;
    let hashes: Vec<B256> = p.required(0)?;
    if hashes.len() > MAX_BLOBS {
        return Err(too_large("blobs", hashes.len(), MAX_BLOBS));
    }
    Ok(hashes)
}

/// Whether Osaka is active at the head.
fn osaka_active(ctx: &RpcContext) -> Result<bool, RpcError> {
    let Some(head) = ctx.store.head_header()? else {
        return Ok(false);
    };
    Ok(super::fork_at(ctx, head.number, head.timestamp) >= Fork::Osaka)
}

/// `engine_getBlobsV1`: `{blob, proof}` per hash (a blob proof, computed when the pool holds
/// cell proofs), `null` where the pool has no such blob. -38005 once Osaka is active.
pub(super) fn blobs_v1(ctx: &RpcContext, p: &Params) -> Result<Value, RpcError> {
    let hashes = requested(p)?;
    if osaka_active(ctx)? {
        return Err(engine_error(
            codes::UNSUPPORTED_FORK,
            "engine_getBlobsV1 is not served after Osaka: use engine_getBlobsV2",
        ));
    }
    let mut out = Vec::with_capacity(hashes.len());
    for found in ctx.mempool.blobs(&hashes) {
        let entry = found.and_then(|(pooled, index)| {
            let Transaction::Eip4844(_, Some(sidecar)) = &pooled.transaction else {
                return None;
            };
            let blob = sidecar.blobs().get(index)?;
            let proof = match sidecar.as_ref() {
                Sidecar::Eip4844(s) => s.proofs.get(index)?.0,
                Sidecar::Eip7594(s) => {
                    let commitment = s.commitments.get(index)?;
                    ethrex_crypto::kzg::blob_proof(blob.as_slice(), &commitment.0).ok()?
                }
            };
            Some(json!({
                "blob": Bytes::copy_from_slice(blob.as_slice()),
                "proof": Bytes::copy_from_slice(&proof),
            }))
        });
        out.push(entry.unwrap_or(Value::Null));
    }
    Ok(Value::Array(out))
}

/// `engine_getBlobsV2` (`partial` false: `null` unless every blob is held) and V3 (`partial`:
/// `null` at each missing position): `{blob, proofs}` with the 128 cell proofs; blobs pooled
/// with a version-0 sidecar (blob proofs) count as missing, as the spec says.
pub(super) fn blobs_v2(ctx: &RpcContext, p: &Params, partial: bool) -> Result<Value, RpcError> {
    let hashes = requested(p)?;
    let per_blob = ethrex_crypto::kzg::CELLS_PER_EXT_BLOB;
    let mut out = Vec::with_capacity(hashes.len());
    for found in ctx.mempool.blobs(&hashes) {
        let entry = found.and_then(|(pooled, index)| {
            let Transaction::Eip4844(_, Some(sidecar)) = &pooled.transaction else {
                return None;
            };
            let Sidecar::Eip7594(s) = sidecar.as_ref() else {
                return None;
            };
            let blob = s.blobs.get(index)?;
            let proofs: Vec<Bytes> = s
                .cell_proofs
                .iter()
                .skip(index * per_blob)
                .take(per_blob)
                .map(|proof| Bytes::copy_from_slice(proof.as_slice()))
                .collect();
            (proofs.len() == per_blob).then(
                || json!({ "blob": Bytes::copy_from_slice(blob.as_slice()), "proofs": proofs }),
            )
        });
        match entry {
            Some(entry) => out.push(entry),
            None if partial => out.push(Value::Null),
            None => return Ok(Value::Null),
        }
    }
    Ok(Value::Array(out))
}
