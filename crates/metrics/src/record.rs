//! The recording helpers the node calls, one per event: blocks processed, a new head, an RPC
//! call, the mempool's size, a dev block produced, the discovery table's size. Each writes the metrics of
//! `definitions.rs` through the `metrics` facade: a no-op until a recorder is installed.

use std::time::Duration;

use metrics::{counter, gauge, histogram};

use crate::definitions::*;

/// Where the time of processing blocks went (summed over the blocks).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StageTimes {
    /// Validation and execution through the VM.
    pub execution: Duration,
    /// Applying the changes to the tries and computing the state root.
    pub merkleization: Duration,
    /// Writing to the database.
    pub storage: Duration,
}

impl StageTimes {
    /// The stages one after the other.
    pub fn total(&self) -> Duration {
        self.execution + self.merkleization + self.storage
    }
}

/// Blocks processed together: one block, or a batch import.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProcessedBlocks {
    pub count: u64,
    pub transactions: u64,
    /// Gas used by all of them.
    pub gas_used: u64,
    /// Gas used by the last of them.
    pub last_gas_used: u64,
    pub stages: StageTimes,
    /// Wall-clock time (in a batch, execution and merkleization overlap).
    pub elapsed: Duration,
}

impl ProcessedBlocks {
    /// One block, its stages run one after the other.
    pub fn one(gas_used: u64, transactions: u64, stages: StageTimes) -> Self {
        Self {
            count: 1,
            transactions,
            gas_used,
            last_gas_used: gas_used,
            stages,
            elapsed: stages.total(),
        }
    }
}

/// Records processed blocks: counters, the last block's gas and Mgas/s, and each stage's time
/// per block (a batch records each block at the batch's mean).
pub fn record_blocks(processed: &ProcessedBlocks) {
    if processed.count == 0 {
        return;
    }
    counter!(BLOCKS_PROCESSED).increment(processed.count);
    counter!(TRANSACTIONS_PROCESSED).increment(processed.transactions);
    counter!(GAS_USED).increment(processed.gas_used);
    gauge!(BLOCK_GAS_USED).set(processed.last_gas_used as f64);
    let seconds = processed.elapsed.as_secs_f64();
    if seconds > 0.0 {
        gauge!(BLOCK_MGAS_PER_SECOND).set(processed.gas_used as f64 / 1e6 / seconds);
    }
    let count = usize::try_from(processed.count).unwrap_or(usize::MAX);
    let stages = [
        (STAGE_EXECUTION, processed.stages.execution),
        (STAGE_MERKLEIZATION, processed.stages.merkleization),
        (STAGE_STORAGE, processed.stages.storage),
    ];
    for (stage, time) in stages {
        let mean = time.as_secs_f64() / processed.count as f64;
        histogram!(BLOCK_PROCESSING_SECONDS, STAGE => stage).record_many(mean, count);
    }
}

/// Records the head block's number.
pub fn set_block_height(number: u64) {
    gauge!(BLOCK_HEIGHT).set(number as f64);
}

/// Records one JSON-RPC call of `method` (a name the node knows, or [`UNKNOWN_METHOD`]).
pub fn record_rpc(method: &str, elapsed: Duration, is_error: bool) {
    let method = method.to_owned();
    counter!(RPC_REQUESTS, METHOD => method.clone()).increment(1);
    histogram!(RPC_REQUEST_SECONDS, METHOD => method.clone()).record(elapsed);
    if is_error {
        counter!(RPC_ERRORS, METHOD => method).increment(1);
    }
}

/// Records how many transactions the mempool holds.
pub fn set_mempool_size(transactions: usize) {
    gauge!(MEMPOOL_TRANSACTIONS).set(transactions as f64);
}

/// Records a block built and imported by the dev-mode producer in `elapsed`.
pub fn record_dev_block(elapsed: Duration) {
    counter!(DEV_BLOCKS_PRODUCED).increment(1);
    histogram!(DEV_BLOCK_PRODUCTION_SECONDS).record(elapsed);
}

/// Records how many nodes the discovery table holds.
pub fn set_discovery_nodes(nodes: usize) {
    gauge!(P2P_DISCOVERY_NODES).set(nodes as f64);
}

/// Records how many peers have a running session.
pub fn set_peers(peers: usize) {
    gauge!(P2P_PEERS).set(peers as f64);
}

/// Records one RLPx message of `protocol` (`p2p`, `eth`, `snap`) with a payload of `bytes`,
/// received (`inbound`) or sent.
pub fn record_p2p_message(protocol: &'static str, inbound: bool, bytes: usize) {
    let direction = if inbound { "in" } else { "out" };
    counter!(P2P_MESSAGES, PROTOCOL => protocol, DIRECTION => direction).increment(1);
    counter!(P2P_MESSAGE_BYTES, PROTOCOL => protocol, DIRECTION => direction)
        .increment(bytes as u64);
}

/// Records a session ended for `reason` (a devp2p disconnect reason's name), by us (`local`)
/// or by the peer.
pub fn record_disconnect(reason: &'static str, local: bool) {
    let side = if local { "local" } else { "remote" };
    counter!(P2P_DISCONNECTS, REASON => reason, SIDE => side).increment(1);
}

/// Records `count` headers downloaded by the sync.
pub fn record_sync_headers(count: u64) {
    counter!(SYNC_HEADERS).increment(count);
}

/// Records `count` bodies downloaded by the sync.
pub fn record_sync_bodies(count: u64) {
    counter!(SYNC_BODIES).increment(count);
}

/// Records `count` blocks executed and committed by the sync.
pub fn record_sync_blocks(count: u64) {
    counter!(SYNC_BLOCKS).increment(count);
}

/// Records `count` state items (accounts, slots, codes) downloaded by snap sync.
pub fn record_sync_state_items(count: u64) {
    counter!(SYNC_STATE_ITEMS).increment(count);
}

/// Records `count` trie nodes fetched by snap sync's healing.
pub fn record_sync_trie_nodes(count: u64) {
    counter!(SYNC_TRIE_NODES).increment(count);
}
