//! Every metric ethrex exports: its name (a `pub const`), its kind and its help text, in
//! [`describe`]. Adding a metric means adding its constant and its line in [`describe`]; the
//! helpers of `record.rs` record only under these names.
//!
//! Names follow Prometheus conventions: an `ethrex_` prefix, the base unit as a suffix
//! (`_seconds`, `_bytes`), `_total` on counters; the process metrics use the standard
//! `process_*` names that dashboards expect. Label values are bounded: block stages are the
//! three constants below, RPC methods are the node's own method names (unknown ones share
//! [`UNKNOWN_METHOD`]).

use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};

// Chain.
pub const BLOCK_HEIGHT: &str = "ethrex_block_height";
pub const BLOCKS_PROCESSED: &str = "ethrex_blocks_processed_total";
pub const TRANSACTIONS_PROCESSED: &str = "ethrex_transactions_processed_total";
pub const BLOCK_GAS_USED: &str = "ethrex_block_gas_used";
pub const GAS_USED: &str = "ethrex_gas_used_total";
pub const BLOCK_MGAS_PER_SECOND: &str = "ethrex_block_mgas_per_second";
/// Histogram with a [`STAGE`] label.
pub const BLOCK_PROCESSING_SECONDS: &str = "ethrex_block_processing_seconds";
pub const DEV_BLOCKS_PRODUCED: &str = "ethrex_dev_blocks_produced_total";
pub const DEV_BLOCK_PRODUCTION_SECONDS: &str = "ethrex_dev_block_production_seconds";

// JSON-RPC, each with a [`METHOD`] label.
pub const RPC_REQUESTS: &str = "ethrex_rpc_requests_total";
pub const RPC_REQUEST_SECONDS: &str = "ethrex_rpc_request_duration_seconds";
pub const RPC_ERRORS: &str = "ethrex_rpc_errors_total";

// Mempool.
pub const MEMPOOL_TRANSACTIONS: &str = "ethrex_mempool_transactions";

// Peer-to-peer.
pub const P2P_DISCOVERY_NODES: &str = "ethrex_p2p_discovery_nodes";
pub const P2P_PEERS: &str = "ethrex_p2p_peers";
/// Counter with [`PROTOCOL`] and [`DIRECTION`] labels.
pub const P2P_MESSAGES: &str = "ethrex_p2p_messages_total";
/// Counter with [`PROTOCOL`] and [`DIRECTION`] labels.
pub const P2P_MESSAGE_BYTES: &str = "ethrex_p2p_message_bytes_total";
/// Counter with [`REASON`] and [`SIDE`] labels.
pub const P2P_DISCONNECTS: &str = "ethrex_p2p_disconnects_total";

// Sync.
pub const SYNC_HEADERS: &str = "ethrex_sync_headers_total";
pub const SYNC_BODIES: &str = "ethrex_sync_bodies_total";
pub const SYNC_BLOCKS: &str = "ethrex_sync_blocks_total";
pub const SYNC_STATE_ITEMS: &str = "ethrex_sync_state_items_total";
pub const SYNC_TRIE_NODES: &str = "ethrex_sync_trie_nodes_total";

// The process (Linux only).
pub const PROCESS_RESIDENT_MEMORY: &str = "process_resident_memory_bytes";
pub const PROCESS_THREADS: &str = "process_threads";
pub const PROCESS_OPEN_FDS: &str = "process_open_fds";

// Labels and their values.
pub const STAGE: &str = "stage";
pub const STAGE_EXECUTION: &str = "execution";
pub const STAGE_MERKLEIZATION: &str = "merkleization";
pub const STAGE_STORAGE: &str = "storage";
pub const METHOD: &str = "method";
/// The [`METHOD`] of calls to methods the node does not have (clients choose those names).
pub const UNKNOWN_METHOD: &str = "unknown";
/// A p2p message's protocol: `p2p`, `eth` or `snap`.
pub const PROTOCOL: &str = "protocol";
/// `in` (from the peer) or `out` (to the peer).
pub const DIRECTION: &str = "direction";
/// A disconnect reason's devp2p name, or `connection lost` when no Disconnect was exchanged.
pub const REASON: &str = "reason";
/// Who ended the session: `local` or `remote`.
pub const SIDE: &str = "side";

/// Histogram buckets of every `*_seconds` metric: 100 µs (most RPC calls) to 10 s.
pub const SECONDS_BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0,
];

/// Registers the help text and unit of every metric with the installed recorder.
pub fn describe() {
    describe_gauge!(BLOCK_HEIGHT, Unit::Count, "Number of the head block");
    describe_counter!(
        BLOCKS_PROCESSED,
        Unit::Count,
        "Blocks validated, executed and stored"
    );
    describe_counter!(
        TRANSACTIONS_PROCESSED,
        Unit::Count,
        "Transactions in the processed blocks"
    );
    describe_gauge!(
        BLOCK_GAS_USED,
        Unit::Count,
        "Gas used by the last processed block"
    );
    describe_counter!(GAS_USED, Unit::Count, "Gas used by all processed blocks");
    describe_gauge!(
        BLOCK_MGAS_PER_SECOND,
        "Millions of gas per second of the last processed block (or import batch)"
    );
    describe_histogram!(
        BLOCK_PROCESSING_SECONDS,
        Unit::Seconds,
        "Time per block by stage: execution, merkleization, storage \
         (a batch import records each block at the batch's mean)"
    );
    describe_counter!(
        DEV_BLOCKS_PRODUCED,
        Unit::Count,
        "Blocks built and imported by the dev-mode producer"
    );
    describe_histogram!(
        DEV_BLOCK_PRODUCTION_SECONDS,
        Unit::Seconds,
        "Dev mode: building and importing one block"
    );
    describe_counter!(RPC_REQUESTS, Unit::Count, "JSON-RPC calls, per method");
    describe_histogram!(
        RPC_REQUEST_SECONDS,
        Unit::Seconds,
        "JSON-RPC call latency, per method"
    );
    describe_counter!(
        RPC_ERRORS,
        Unit::Count,
        "JSON-RPC calls answered with an error, per method"
    );
    describe_gauge!(
        MEMPOOL_TRANSACTIONS,
        Unit::Count,
        "Transactions in the mempool (pending and queued)"
    );
    describe_gauge!(
        P2P_DISCOVERY_NODES,
        Unit::Count,
        "Nodes in the discovery (discv4) table: each answered one of our pings"
    );
    describe_gauge!(P2P_PEERS, Unit::Count, "Peers with a running eth session");
    describe_counter!(
        P2P_MESSAGES,
        Unit::Count,
        "RLPx messages by protocol (p2p, eth, snap) and direction (in, out)"
    );
    describe_counter!(
        P2P_MESSAGE_BYTES,
        Unit::Bytes,
        "Payload bytes (before compression) of RLPx messages by protocol and direction"
    );
    describe_counter!(
        P2P_DISCONNECTS,
        Unit::Count,
        "Ended peer sessions by disconnect reason and by who ended them (local, remote)"
    );
    describe_counter!(
        SYNC_HEADERS,
        Unit::Count,
        "Headers downloaded by the sync (linked to the target)"
    );
    describe_counter!(
        SYNC_BODIES,
        Unit::Count,
        "Block bodies downloaded by the sync (matching their headers)"
    );
    describe_counter!(
        SYNC_STATE_ITEMS,
        Unit::Count,
        "Snap sync: accounts, storage slots, codes and trie nodes downloaded and verified"
    );
    describe_counter!(
        SYNC_TRIE_NODES,
        Unit::Count,
        "Snap sync healing: trie nodes fetched with GetTrieNodes and checked by hash"
    );
    describe_counter!(
        SYNC_BLOCKS,
        Unit::Count,
        "Blocks executed and committed by the sync"
    );
    describe_gauge!(
        PROCESS_RESIDENT_MEMORY,
        Unit::Bytes,
        "Resident memory of the process"
    );
    describe_gauge!(PROCESS_THREADS, Unit::Count, "Threads of the process");
    describe_gauge!(
        PROCESS_OPEN_FDS,
        Unit::Count,
        "Open file descriptors of the process"
    );
}
