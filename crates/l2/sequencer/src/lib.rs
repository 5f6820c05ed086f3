//! The rollup's sequencer: the services that turn L1 deposits and L2 transactions into blocks,
//! batches committed to L1, and proofs that verify them. Each runs on its own thread over the
//! node's rollup chain ([`ethrex_blockchain::Blockchain::new_rollup`]) and its store, and stops
//! when the shared stop flag is set.
//!
//! - [`watcher`]: reads the bridge's `PrivilegedTxSent` events from L1 (after
//!   `block_delay` confirmations) into the queue of privileged transactions, and the L1 blob
//!   base fee the L1 data fee is priced at.
//! - [`block_producer`]: a block every `block_time`: queued privileged transactions first, by
//!   id (at most [`MAX_PRIVILEGED_PER_BLOCK`]), then the mempool's, under the rollup's rules
//!   with the current [`FeeConfig`]; records each block's fee config, next privileged id and
//!   execution witness.
//! - [`committer`]: every `commit_time` seals the next batch (the blocks after the last one,
//!   within the batch gas limit, one blob and [`MAX_PRIVILEGED_PER_BLOCK`] privileged
//!   transactions; privileged-only blocks while an overdue deposit would still pend) and
//!   commits it with its blob; a sealed batch not yet on L1 is re-sent, never sealed again.
//! - [`proof_coordinator`]: a TCP server handing the lowest committed, unproven batch to
//!   provers with its input, and storing a submitted proof only when its public values equal
//!   those recomputed from the batch's records.
//! - [`rpc`]: the rollup's `ethrex_*` JSON-RPC methods (batches, withdrawal proofs, fee
//!   parameters), served by the node's RPC as its extra namespace, and the fee parameters its
//!   `eth_call`, `eth_estimateGas` and `eth_gasPrice` price calls at.
//! - [`proof_sender`]: sends `verifyBatch` for the next batch to verify, in order, once its
//!   proof is stored (exec proofs only while the contract requires no verifier).
//!
//! Where to start reading: [`SequencerConfig`], then [`state::RollupState`] (what is kept, and
//! what survives a restart), then each service's module docs.

pub mod block_producer;
pub mod committer;
mod l1;
pub mod proof_coordinator;
pub mod proof_sender;
pub mod rpc;
pub mod state;
pub mod watcher;

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    thread,
    time::{Duration, Instant},
};

use alloy_primitives::{Address, B256};
use ethrex_common::types::FeeConfig;

/// At most this many privileged transactions go into one block (and one batch) (ours).
pub const MAX_PRIVILEGED_PER_BLOCK: usize = 200;

/// Why a sequencer service failed a step (each step is retried on its next tick).
#[derive(Debug, thiserror::Error)]
pub enum SequencerError {
    #[error(transparent)]
    Store(#[from] ethrex_storage::StoreError),
    #[error(transparent)]
    Chain(#[from] ethrex_blockchain::ChainError),
    #[error(transparent)]
    Payload(#[from] ethrex_blockchain::payload::PayloadError),
    #[error("L1: {0}")]
    L1(#[from] ethrex_l2_sdk::SdkError),
    #[error("batch data: {0}")]
    Batch(#[from] ethrex_l2_common::Error),
    #[error("the sequencer's records are inconsistent: {0}")]
    Corrupt(String),
    #[error("malformed L1 event: {0}")]
    MalformedEvent(String),
    #[error("{0}")]
    Other(String),
}

/// The L1 watcher's settings (`--watcher.*`).
#[derive(Debug, Clone)]
pub struct WatcherConfig {
    /// Milliseconds between polls (`--watcher.watch-interval`, 12000).
    pub watch_interval_ms: u64,
    /// L1 blocks an event must be below the L1 head before it is queued
    /// (`--watcher.block-delay`, 10).
    pub block_delay: u64,
    /// Milliseconds between reads of the L1 blob base fee
    /// (`--watcher.l1-fee-update-interval-ms`, 60000).
    pub l1_fee_update_interval_ms: u64,
    /// The first L1 block to scan when nothing was scanned yet.
    pub start_block: u64,
}

impl Default for WatcherConfig {
    fn default() -> Self {
        WatcherConfig {
            watch_interval_ms: 12_000,
            block_delay: 10,
            l1_fee_update_interval_ms: 60_000,
            start_block: 0,
        }
    }
}

/// The block producer's settings (`--block-producer.*`).
#[derive(Debug, Clone)]
pub struct BlockProducerConfig {
    /// Milliseconds between blocks (`--block-producer.block-time`, 5000).
    pub block_time_ms: u64,
    /// Receives the priority fees.
    pub coinbase: Address,
    pub base_fee_vault: Option<Address>,
    pub operator_fee_vault: Option<Address>,
    pub operator_fee_per_gas: u64,
    pub l1_fee_vault: Option<Address>,
    /// The gas limit blocks move towards (`--block-producer.block-gas-limit`, 30,000,000).
    pub block_gas_limit: u64,
}

impl Default for BlockProducerConfig {
    fn default() -> Self {
        BlockProducerConfig {
            block_time_ms: 5_000,
            coinbase: Address::ZERO,
            base_fee_vault: None,
            operator_fee_vault: None,
            operator_fee_per_gas: 0,
            l1_fee_vault: None,
            block_gas_limit: 30_000_000,
        }
    }
}

impl BlockProducerConfig {
    /// The fee config of the next block, with the L1 blob base fee last read.
    pub fn fee_config(&self, l1_fee_per_blob_gas: u64) -> FeeConfig {
        FeeConfig {
            base_fee_vault: self.base_fee_vault,
            operator_fee_vault: self.operator_fee_vault,
            operator_fee_per_gas: self.operator_fee_per_gas,
            l1_fee_vault: self.l1_fee_vault,
            l1_fee_per_blob_gas,
        }
    }
}

/// The committer's settings (`--committer.*`).
#[derive(Debug, Clone)]
pub struct CommitterConfig {
    /// Signs `commitBatch` (`--committer.l1-private-key`).
    pub l1_private_key: B256,
    /// Milliseconds between commits (`--committer.commit-time`, 60000).
    pub commit_time_ms: u64,
    /// The most gas a batch's blocks may use together (`--committer.batch-gas-limit`; `None`:
    /// no limit besides the blob).
    pub batch_gas_limit: Option<u64>,
    /// The L1's Osaka activation time: blob sidecars carry cell proofs from then on
    /// (`--osaka-activation-time`; `None`: already active).
    pub osaka_activation_time: Option<u64>,
}

/// The proof coordinator's and proof sender's settings (`--proof-coordinator.*`).
#[derive(Debug, Clone)]
pub struct ProofCoordinatorConfig {
    /// Signs `verifyBatch`; must differ from the committer's key.
    pub l1_private_key: B256,
    /// Where provers connect (`--proof-coordinator.addr`, 127.0.0.1).
    pub listen_addr: std::net::IpAddr,
    /// `--proof-coordinator.port`, 3900.
    pub listen_port: u16,
    /// Milliseconds between proof-sending rounds (`--proof-coordinator.send-interval`, 5000).
    pub send_interval_ms: u64,
}

/// Everything the sequencer needs to run.
#[derive(Debug, Clone)]
pub struct SequencerConfig {
    /// The L1's JSON-RPC URL (`--eth.rpc-url`).
    pub l1_rpc_url: String,
    /// The L1 `CommonBridge` (proxy) address (`--l1.bridge-address`).
    pub bridge_address: Address,
    /// The L1 `OnChainProposer` (proxy) address (`--l1.on-chain-proposer-address`).
    pub on_chain_proposer_address: Address,
    pub watcher: WatcherConfig,
    pub block_producer: BlockProducerConfig,
    pub committer: CommitterConfig,
    pub proof_coordinator: ProofCoordinatorConfig,
    /// `--elasticity-multiplier`, 2.
    pub elasticity_multiplier: u64,
}

/// What the services share: the stop flag and the latest L1 blob base fee.
#[derive(Debug, Default)]
pub struct Shared {
    stop: AtomicBool,
    l1_blob_base_fee: AtomicU64,
}

impl Shared {
    pub fn new() -> Arc<Self> {
        Arc::new(Shared::default())
    }

    /// Asks every service to stop after its current step.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
    }

    pub fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    /// The L1 blob base fee last read by the watcher (wei per blob gas).
    pub fn l1_blob_base_fee(&self) -> u64 {
        self.l1_blob_base_fee.load(Ordering::SeqCst)
    }

    pub fn set_l1_blob_base_fee(&self, fee: u64) {
        self.l1_blob_base_fee.store(fee, Ordering::SeqCst);
    }

    /// Sleeps `period` or until stopped; returns whether to go on.
    pub fn wait(&self, period: Duration) -> bool {
        let until = Instant::now() + period;
        while !self.stopped() {
            let now = Instant::now();
            if now >= until {
                return true;
            }
            thread::sleep((until - now).min(Duration::from_millis(50)));
        }
        false
    }
}

/// Runs `step` every `period` on a new thread named `name` until `shared` says stop; a failed
/// step is logged and retried at the next tick. Ticks are at a fixed rate (a step's own time
/// counts in the period; one longer than the period is followed at once by the next).
pub fn spawn_service(
    name: &'static str,
    shared: Arc<Shared>,
    period: Duration,
    mut step: impl FnMut() -> Result<(), SequencerError> + Send + 'static,
) -> std::io::Result<thread::JoinHandle<()>> {
    thread::Builder::new().name(name.into()).spawn(move || {
        loop {
            let started = Instant::now();
            if let Err(e) = step() {
                tracing::warn!("{name}: {e} (retrying in {} ms)", period.as_millis());
            }
            if !shared.wait(period.saturating_sub(started.elapsed())) {
                break;
            }
        }
    })
}
