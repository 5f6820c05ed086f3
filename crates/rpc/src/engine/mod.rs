//! The Engine API (execution-apis `src/engine`): the `engine_*` methods a consensus client
//! drives the node with, served only on the authenticated port.
//!
//! Where to start reading: [`call`] (the method table), `new_payload.rs` (params per version,
//! then the order of checks: transactions → block hash → blob versioned hashes → known
//! invalid ancestry → missing parent (`SYNCING`) or parent state (`ACCEPTED`) → execution),
//! `forkchoice.rs` (head/safe/finalized applied atomically through
//! [`ethrex_blockchain::Blockchain::set_fork_choice`], then payload attributes), `building.rs`
//! (payload build processes: an empty block at once, improved from the mempool until
//! `getPayload`), `bodies.rs` (`getPayloadBodies*`, `getBlobs*`).
//!
//! Guarantees: every version answers only inside its fork window (-38005), shape errors of V3+
//! are -32602 before any fork check; a block found invalid stays invalid, and so do its
//! descendants (answered with the last valid ancestor); an unknown head is handed to the
//! [`SyncHandoff`] and answered `SYNCING`, never `INVALID`; calls that change the chain run one
//! at a time.

mod bodies;
mod building;
mod forkchoice;
mod new_payload;
mod payload;
#[cfg(test)]
mod tests;

use std::{
    collections::{HashMap, VecDeque},
    sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock},
};

use alloy_primitives::B256;
use ethrex_blockchain::sync::{PendingSync, SyncHandoff};
use ethrex_common::Fork;
use serde_json::{Value, json};

use crate::{RpcContext, RpcError, methods::params::Params};

pub use building::PayloadJobs;
pub(crate) use payload::execution_requests;

/// `engine_exchangeCapabilities`: the methods served.
pub const CAPABILITIES: &[&str] = &[
    "engine_newPayloadV1",
    "engine_newPayloadV2",
    "engine_newPayloadV3",
    "engine_newPayloadV4",
    "engine_forkchoiceUpdatedV1",
    "engine_forkchoiceUpdatedV2",
    "engine_forkchoiceUpdatedV3",
    "engine_getPayloadV1",
    "engine_getPayloadV2",
    "engine_getPayloadV3",
    "engine_getPayloadV4",
    "engine_getPayloadV5",
    "engine_getPayloadBodiesByHashV1",
    "engine_getPayloadBodiesByRangeV1",
    "engine_getBlobsV1",
    "engine_getBlobsV2",
    "engine_getBlobsV3",
    "engine_getClientVersionV1",
];

/// The Engine API's error codes (execution-apis `common.md`).
pub mod codes {
    pub const UNKNOWN_PAYLOAD: i64 = -38001;
    pub const INVALID_FORKCHOICE_STATE: i64 = -38002;
    pub const INVALID_PAYLOAD_ATTRIBUTES: i64 = -38003;
    pub const TOO_LARGE_REQUEST: i64 = -38004;
    pub const UNSUPPORTED_FORK: i64 = -38005;
    pub const TOO_DEEP_REORG: i64 = -38006;
}

/// How many invalid blocks are remembered (with the last valid ancestor of each).
const INVALID_CACHE: usize = 512;

/// The Engine API's state between calls.
#[derive(Debug)]
pub struct Engine {
    /// Serialises the calls that change the chain (newPayload, forkchoiceUpdated).
    chain_lock: Mutex<()>,
    invalid: Mutex<InvalidBlocks>,
    pub(crate) jobs: PayloadJobs,
    sync: RwLock<Arc<dyn SyncHandoff>>,
}

impl Default for Engine {
    fn default() -> Self {
        Self {
            chain_lock: Mutex::new(()),
            invalid: Mutex::default(),
            jobs: PayloadJobs::default(),
            sync: RwLock::new(Arc::new(PendingSync::default())),
        }
    }
}

impl Engine {
    /// Hands unknown heads to `sync` from now on (the p2p syncer).
    pub fn set_sync(&self, sync: Arc<dyn SyncHandoff>) {
        *self.sync.write().unwrap_or_else(PoisonError::into_inner) = sync;
    }

    pub(crate) fn sync(&self) -> Arc<dyn SyncHandoff> {
        Arc::clone(&self.sync.read().unwrap_or_else(PoisonError::into_inner))
    }

    pub(crate) fn lock_chain(&self) -> MutexGuard<'_, ()> {
        self.chain_lock
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The last valid ancestor of `hash` and why it is invalid, if `hash` is known invalid.
    pub(crate) fn invalid_ancestor(&self, hash: &B256) -> Option<(B256, String)> {
        self.invalid
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(hash)
    }

    /// Remembers that `hash` is invalid for `reason`, `latest_valid` being its last valid
    /// ancestor.
    pub(crate) fn mark_invalid(&self, hash: B256, latest_valid: B256, reason: String) {
        self.invalid
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(hash, (latest_valid, reason));
    }
}

/// A bounded map of invalid blocks to their last valid ancestor and the reason (oldest
/// forgotten first).
#[derive(Debug, Default)]
struct InvalidBlocks {
    map: HashMap<B256, (B256, String)>,
    order: VecDeque<B256>,
}

impl InvalidBlocks {
    fn get(&self, hash: &B256) -> Option<(B256, String)> {
        self.map.get(hash).cloned()
    }

    fn insert(&mut self, hash: B256, invalid: (B256, String)) {
        if self.map.insert(hash, invalid).is_none() {
            self.order.push_back(hash);
        }
        while self.order.len() > INVALID_CACHE {
            if let Some(old) = self.order.pop_front() {
                self.map.remove(&old);
            }
        }
    }
}

/// A `PayloadStatusV1`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Status {
    pub status: &'static str,
    pub latest_valid_hash: Option<B256>,
    pub validation_error: Option<String>,
}

impl Status {
    pub fn valid(hash: B256) -> Self {
        Self::new("VALID", Some(hash), None)
    }
    pub fn invalid(latest_valid_hash: Option<B256>, error: impl Into<String>) -> Self {
        Self::new("INVALID", latest_valid_hash, Some(error.into()))
    }
    pub fn syncing() -> Self {
        Self::new("SYNCING", None, None)
    }
    pub fn accepted() -> Self {
        Self::new("ACCEPTED", None, None)
    }
    fn new(status: &'static str, hash: Option<B256>, error: Option<String>) -> Self {
        Self {
            status,
            latest_valid_hash: hash,
            validation_error: error,
        }
    }
    pub fn to_json(&self) -> Value {
        json!({
            "status": self.status,
            "latestValidHash": self.latest_valid_hash,
            "validationError": self.validation_error,
        })
    }
}

/// An Engine API error with its code and the spec's message, plus detail.
pub(crate) fn engine_error(code: i64, detail: impl std::fmt::Display) -> RpcError {
    let name = match code {
        codes::UNKNOWN_PAYLOAD => "Unknown payload",
        codes::INVALID_FORKCHOICE_STATE => "Invalid forkchoice state",
        codes::INVALID_PAYLOAD_ATTRIBUTES => "Invalid payload attributes",
        codes::TOO_LARGE_REQUEST => "Too large request",
        codes::UNSUPPORTED_FORK => "Unsupported fork",
        codes::TOO_DEEP_REORG => "Too deep reorg",
        _ => "Engine API error",
    };
    RpcError::new(code, format!("{name}: {detail}"))
}

/// -38005 unless `fork` lies in `[from, until)` (`until` `None`: no end).
pub(crate) fn check_fork(
    method: &str,
    fork: Fork,
    from: Fork,
    until: Option<Fork>,
) -> Result<(), RpcError> {
    if fork < from || until.is_some_and(|until| fork >= until) {
        let window = match until {
            Some(until) => format!("{from:?} up to {until:?}"),
            None => format!("{from:?} and later"),
        };
        return Err(engine_error(
            codes::UNSUPPORTED_FORK,
            format!("{method} serves {window}, not a {fork:?} timestamp"),
        ));
    }
    Ok(())
}

/// The fork of a block at `number` and `timestamp` after the merge.
pub(crate) fn fork_at(ctx: &RpcContext, number: u64, timestamp: u64) -> Fork {
    ctx.chain
        .config()
        .fork_at_td(number, timestamp, Some(alloy_primitives::U256::MAX))
}

/// Runs the Engine API method `method` (`engine_*`) with `params` (a JSON array).
pub fn call(ctx: &RpcContext, method: &str, params: Value) -> Result<Value, RpcError> {
    let p = Params::new(params);
    match method {
        "engine_newPayloadV1" => new_payload::new_payload(ctx, &p, 1),
        "engine_newPayloadV2" => new_payload::new_payload(ctx, &p, 2),
        "engine_newPayloadV3" => new_payload::new_payload(ctx, &p, 3),
        "engine_newPayloadV4" => new_payload::new_payload(ctx, &p, 4),
        "engine_forkchoiceUpdatedV1" => forkchoice::forkchoice_updated(ctx, &p, 1),
        "engine_forkchoiceUpdatedV2" => forkchoice::forkchoice_updated(ctx, &p, 2),
        "engine_forkchoiceUpdatedV3" => forkchoice::forkchoice_updated(ctx, &p, 3),
        "engine_getPayloadV1" => building::get_payload(ctx, &p, 1),
        "engine_getPayloadV2" => building::get_payload(ctx, &p, 2),
        "engine_getPayloadV3" => building::get_payload(ctx, &p, 3),
        "engine_getPayloadV4" => building::get_payload(ctx, &p, 4),
        "engine_getPayloadV5" => building::get_payload(ctx, &p, 5),
        "engine_getPayloadBodiesByHashV1" => bodies::by_hash(ctx, &p),
        "engine_getPayloadBodiesByRangeV1" => bodies::by_range(ctx, &p),
        "engine_getBlobsV1" => bodies::blobs_v1(ctx, &p),
        "engine_getBlobsV2" => bodies::blobs_v2(ctx, &p, false),
        "engine_getBlobsV3" => bodies::blobs_v2(ctx, &p, true),
        "engine_exchangeCapabilities" => exchange_capabilities(&p),
        "engine_getClientVersionV1" => client_version(ctx, &p),
        _ => Err(RpcError::method_not_found(method)),
    }
}

/// `engine_exchangeCapabilities`: the consensus client's list is read (it must be a list of
/// strings) and ours returned.
fn exchange_capabilities(p: &Params) -> Result<Value, RpcError> {
    p.at_most(1)?;
    let _theirs: Vec<String> = p.required(0)?;
    Ok(json!(CAPABILITIES))
}

/// `engine_getClientVersionV1`: `[{code: "EX", name, version, commit}]`.
fn client_version(ctx: &RpcContext, p: &Params) -> Result<Value, RpcError> {
    p.at_most(1)?;
    let _theirs: Value = p.required(0)?;
    let version = ctx
        .client_version
        .split('/')
        .nth(1)
        .unwrap_or(env!("CARGO_PKG_VERSION"))
        .to_string();
    Ok(json!([{
        "code": "EX",
        "name": "ethrex",
        "version": version,
        "commit": option_env!("ETHREX_COMMIT").map_or("0x00000000", |c| c),
    }]))
}
