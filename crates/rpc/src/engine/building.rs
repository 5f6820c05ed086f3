//! Payload build processes (`forkchoiceUpdated` with attributes, then `getPayload`).
//!
//! A process is identified by a [`PayloadId`] derived from its parent and attributes, so the
//! same attributes give the same id (the process is not restarted) and different ones a new id.
//! It starts with an empty block, built at once; a background thread then rebuilds it from the
//! mempool every [`REBUILD_INTERVAL`] and keeps the best (highest value to the fee recipient;
//! the newer on a tie) until `getPayload` is called or [`BUILD_DEADLINE`] passes. `getPayload`
//! returns the best version, building once from the mempool first if the thread has not
//! finished a build yet. At most [`MAX_JOBS`] processes are kept (oldest dropped first).

use std::{
    collections::VecDeque,
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use alloy_eips::eip7594::BlobTransactionSidecarVariant as Sidecar;
use alloy_primitives::{B64, B256, Bytes, U256, keccak256};
use alloy_rlp::Encodable;
use ethrex_blockchain::{
    BlockAttributes, BuiltBlock, Candidates,
    mempool::PooledTransaction,
    payload::{PayloadError, build_on, mempool_candidates},
};
use ethrex_common::{
    Fork,
    types::{Header, Transaction},
};
use serde_json::{Value, json};

use super::{
    check_fork, codes, engine_error, fork_at,
    payload::{execution_requests, payload_v1, payload_v2, payload_v3},
};
use crate::{RpcContext, RpcError, methods::params::Params, methods::testing::block_value};

/// A payload build process's id (8 bytes).
pub type PayloadId = B64;

/// How often a process rebuilds from the mempool.
pub const REBUILD_INTERVAL: Duration = Duration::from_millis(500);
/// How long a process keeps improving its payload (a slot).
pub const BUILD_DEADLINE: Duration = Duration::from_secs(12);
/// Most build processes kept.
pub const MAX_JOBS: usize = 16;

/// The build processes.
#[derive(Debug, Default)]
pub struct PayloadJobs {
    jobs: Mutex<VecDeque<(PayloadId, Arc<Job>)>>,
}

/// One build process.
#[derive(Debug)]
pub(crate) struct Job {
    parent: Header,
    attributes: BlockAttributes,
    fork: Fork,
    best: Mutex<Option<Arc<Payload>>>,
    /// Set by `getPayload` (or the deadline): the thread stops.
    done: AtomicBool,
    /// Builds from the mempool finished so far.
    full_builds: AtomicU64,
}

/// One version of a payload.
#[derive(Debug)]
pub(crate) struct Payload {
    built: BuiltBlock,
    value: U256,
    /// The blob transactions of the block with their sidecars, in block order.
    sidecars: Vec<Arc<Transaction>>,
}

/// The id of the process building on `parent` with `attributes`.
pub(crate) fn payload_id(parent: &B256, attributes: &BlockAttributes) -> PayloadId {
    let mut data = parent.to_vec();
    data.extend_from_slice(&attributes.timestamp.to_be_bytes());
    data.extend_from_slice(attributes.prev_randao.as_slice());
    data.extend_from_slice(attributes.fee_recipient.as_slice());
    data.extend_from_slice(&attributes.gas_limit.to_be_bytes());
    data.extend_from_slice(&attributes.extra_data);
    if let Some(withdrawals) = &attributes.withdrawals {
        withdrawals.encode(&mut data);
    }
    if let Some(root) = &attributes.parent_beacon_block_root {
        data.extend_from_slice(root.as_slice());
    }
    B64::from_slice(&keccak256(&data)[..8])
}

impl PayloadJobs {
    fn find(&self, id: &PayloadId) -> Option<Arc<Job>> {
        let jobs = self.jobs.lock().unwrap_or_else(PoisonError::into_inner);
        jobs.iter()
            .find(|(job_id, _)| job_id == id)
            .map(|(_, job)| Arc::clone(job))
    }

    /// Starts (or finds) the process building on `parent` with `attributes`: builds the empty
    /// block, then improves it in the background. Attributes the block cannot be built with are
    /// -38003.
    pub(crate) fn start(
        &self,
        ctx: &RpcContext,
        parent: Header,
        attributes: BlockAttributes,
    ) -> Result<PayloadId, RpcError> {
        let id = payload_id(&parent.hash_slow(), &attributes);
        if self.find(&id).is_some() {
            return Ok(id);
        }
        let fork = fork_at(ctx, parent.number + 1, attributes.timestamp);
        let job = Arc::new(Job {
            parent,
            attributes,
            fork,
            best: Mutex::new(None),
            done: AtomicBool::new(false),
            full_builds: AtomicU64::new(0),
        });
        job.build(ctx, false).map_err(|e| match e {
            PayloadError::Build { source, .. } => {
                engine_error(codes::INVALID_PAYLOAD_ATTRIBUTES, source)
            }
            other => RpcError::internal(other.to_string()),
        })?;
        {
            let mut jobs = self.jobs.lock().unwrap_or_else(PoisonError::into_inner);
            jobs.push_back((id, Arc::clone(&job)));
            while jobs.len() > MAX_JOBS {
                if let Some((_, old)) = jobs.pop_front() {
                    old.done.store(true, Ordering::Relaxed);
                }
            }
        }
        let ctx = ctx.clone();
        let spawned = std::thread::Builder::new()
            .name("payload-builder".into())
            .spawn(move || job.improve(&ctx));
        if let Err(e) = spawned {
            tracing::warn!("cannot start the payload builder thread: {e}; the payload stays empty");
        }
        Ok(id)
    }
}

impl Job {
    /// Builds a version (from the mempool when `from_mempool`, else empty) and keeps it if it
    /// is worth at least the best so far.
    fn build(&self, ctx: &RpcContext, from_mempool: bool) -> Result<(), PayloadError> {
        let candidates = if from_mempool {
            let timestamp = self.attributes.timestamp;
            mempool_candidates(&ctx.chain, &ctx.mempool, &self.parent, timestamp, None)
        } else {
            Candidates::default()
        };
        let built = build_on(
            &ctx.chain,
            &self.parent,
            self.attributes.clone(),
            candidates,
        )?;
        let value = block_value(&built);
        let sidecars = built
            .block
            .body
            .transactions
            .iter()
            .filter(|tx| tx.blob_versioned_hashes().is_some())
            .filter_map(|tx| ctx.mempool.get(&tx.hash()))
            .map(|pooled: PooledTransaction| Arc::new(pooled.transaction))
            .collect();
        let payload = Arc::new(Payload {
            built,
            value,
            sidecars,
        });
        let mut best = self.best.lock().unwrap_or_else(PoisonError::into_inner);
        if best.as_ref().is_none_or(|b| payload.value >= b.value) {
            *best = Some(payload);
        }
        if from_mempool {
            self.full_builds.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }

    /// The background loop: rebuild from the mempool until stopped or the deadline.
    fn improve(&self, ctx: &RpcContext) {
        let start = Instant::now();
        while !self.done.load(Ordering::Relaxed) && start.elapsed() < BUILD_DEADLINE {
            if let Err(e) = self.build(ctx, true) {
                tracing::debug!("payload rebuild failed: {e}");
            }
            let next = Instant::now() + REBUILD_INTERVAL;
            while Instant::now() < next && !self.done.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        self.done.store(true, Ordering::Relaxed);
    }

    fn best(&self) -> Option<Arc<Payload>> {
        self.best
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// `engine_getPayloadV{version}`.
pub(super) fn get_payload(ctx: &RpcContext, p: &Params, version: u8) -> Result<Value, RpcError> {
    p.at_most(1)?;
    let id: PayloadId = p.required(0)?;
    let job = ctx
        .engine
        .jobs
        .find(&id)
        .ok_or_else(|| engine_error(codes::UNKNOWN_PAYLOAD, format!("no payload {id}")))?;
    let method = format!("engine_getPayloadV{version}");
    let (from, until) = match version {
        1 => (Fork::Paris, Some(Fork::Shanghai)),
        2 => (Fork::Paris, Some(Fork::Cancun)),
        3 => (Fork::Cancun, Some(Fork::Prague)),
        4 => (Fork::Prague, Some(Fork::Osaka)),
        _ => (Fork::Osaka, None),
    };
    check_fork(&method, job.fork, from, until)?;
    job.done.store(true, Ordering::Relaxed);
    if job.full_builds.load(Ordering::Relaxed) == 0
        && let Err(e) = job.build(ctx, true)
    {
        tracing::debug!("payload build from the mempool failed: {e}");
    }
    let payload = job
        .best()
        .ok_or_else(|| RpcError::internal("the build process has no payload"))?;
    let block = &payload.built.block;
    let value = format!("{:#x}", payload.value);
    Ok(match version {
        1 => json!(payload_v1(block)),
        2 => {
            let execution_payload = if job.fork >= Fork::Shanghai {
                json!(payload_v2(block))
            } else {
                json!(payload_v1(block))
            };
            json!({ "executionPayload": execution_payload, "blockValue": value })
        }
        _ => {
            let mut envelope = json!({
                "executionPayload": payload_v3(block),
                "blockValue": value,
                "blobsBundle": blobs_bundle(&payload, version >= 5)?,
                "shouldOverrideBuilder": false,
            });
            if version >= 4
                && let Some(object) = envelope.as_object_mut()
            {
                let requests = payload.built.requests.as_deref().unwrap_or_default();
                object.insert(
                    "executionRequests".into(),
                    json!(execution_requests(requests)),
                );
            }
            envelope
        }
    })
}

/// The blobs bundle of a payload: per blob its commitment and either its EIP-4844 blob proof
/// (`cell_proofs` false, `BlobsBundleV1`) or its 128 EIP-7594 cell proofs (`BlobsBundleV2`),
/// computed when the sidecar holds the other kind.
fn blobs_bundle(payload: &Payload, cell_proofs: bool) -> Result<Value, RpcError> {
    let (mut commitments, mut proofs, mut blobs) = (Vec::new(), Vec::new(), Vec::new());
    let kzg_error = |e: ethrex_crypto::CryptoError| RpcError::internal(format!("KZG: {e}"));
    for tx in &payload.sidecars {
        let Transaction::Eip4844(_, Some(sidecar)) = tx.as_ref() else {
            continue;
        };
        for (index, (blob, commitment)) in sidecar
            .blobs()
            .iter()
            .zip(sidecar.commitments())
            .enumerate()
        {
            commitments.push(Bytes::copy_from_slice(commitment.as_slice()));
            blobs.push(Bytes::copy_from_slice(blob.as_slice()));
            match (sidecar.as_ref(), cell_proofs) {
                (Sidecar::Eip4844(s), false) => {
                    if let Some(proof) = s.proofs.get(index) {
                        proofs.push(Bytes::copy_from_slice(proof.as_slice()));
                    }
                }
                (Sidecar::Eip7594(s), true) => {
                    let per_blob = ethrex_crypto::kzg::CELLS_PER_EXT_BLOB;
                    let start = index * per_blob;
                    for proof in s.cell_proofs.iter().skip(start).take(per_blob) {
                        proofs.push(Bytes::copy_from_slice(proof.as_slice()));
                    }
                }
                (_, false) => {
                    let proof = ethrex_crypto::kzg::blob_proof(blob.as_slice(), &commitment.0)
                        .map_err(kzg_error)?;
                    proofs.push(Bytes::copy_from_slice(&proof));
                }
                (_, true) => {
                    let cells =
                        ethrex_crypto::kzg::blob_cell_proofs(blob.as_slice()).map_err(kzg_error)?;
                    proofs.extend(cells.iter().map(|p| Bytes::copy_from_slice(p)));
                }
            }
        }
    }
    Ok(json!({ "commitments": commitments, "proofs": proofs, "blobs": blobs }))
}
