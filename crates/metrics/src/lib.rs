//! # ethrex-metrics
//!
//! What ethrex measures, and the Prometheus endpoint that serves it (`ethrex --metrics`).
//!
//! Where to start reading: `definitions.rs` (every metric's name, kind and help text, in one
//! place), `record.rs` (the helpers the node calls: [`record_blocks`], [`set_block_height`],
//! [`record_rpc`], [`set_mempool_size`], [`record_dev_block`], [`set_discovery_nodes`], [`set_peers`], [`record_p2p_message`], [`record_disconnect`]), and, with the `exporter`
//! feature (on by default; library crates turn it off), `exporter.rs` ([`start`]: installs the
//! Prometheus recorder and serves `GET /metrics`) and `process.rs` (memory, threads and file
//! descriptors, read at each scrape).
//!
//! Recording goes through the `metrics` facade: until [`start`] installs a recorder, every
//! helper is a cheap no-op, so library crates record unconditionally and tests pay nothing.

pub mod definitions;
#[cfg(feature = "exporter")]
mod exporter;
#[cfg(feature = "exporter")]
mod process;
mod record;

#[cfg(feature = "exporter")]
pub use exporter::{MetricsError, PATH, Result, start};
pub use record::{
    ProcessedBlocks, StageTimes, record_blocks, record_dev_block, record_disconnect,
    record_p2p_message, record_rpc, record_sync_blocks, record_sync_bodies, record_sync_headers,
    record_sync_state_items, record_sync_trie_nodes, set_block_height, set_discovery_nodes,
    set_mempool_size, set_peers,
};
