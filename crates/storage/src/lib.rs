//! # ethrex-storage
//!
//! The node's database: a [`Store`] over a small key-value backend trait ([`KvBackend`]) with two
//! implementations, in memory ([`MemoryBackend`]) and RocksDB ([`RocksDbBackend`]).
//!
//! Where to start reading: `tables.rs` (every table, with the exact encoding of its keys and
//! values), then `store.rs` ([`Store`]: open, schema version, chain config, fork choice),
//! `blocks.rs` (blocks, receipts, transaction locations, the canonical chain), `state.rs`
//! ([`StateReader`]: a state for the VM), `state_update.rs` ([`StateBuilder`]: applying the
//! VM's changes, block after block, then committing once), `trie_db.rs` (the tries' node
//! storage, keyed by path), `witness.rs` (recording the parent state's trie nodes a block's
//! merkleization reads, for execution witnesses), `snap.rs` (leaves in key order, range proofs and
//! nodes by path, for snap serving) and `genesis.rs` (initializing a chain).
//! `backend/` holds the trait and its two implementations; `codec.rs` the value decoders.
//!
//! The flow of a block import: [`Store::state_builder`] on the parent's root, the VM executes
//! over [`StateBuilder::reader`], [`StateBuilder::apply`] its changes (the returned root is
//! checked against the header), then [`StateBuilder::finish`] and [`Store::add_state_layer`]
//! keep the new state as an in-memory diff layer (`layers.rs`); [`Store::add_blocks`] (or
//! [`Store::set_fork_choice`]) writes the blocks and moves the head, flattening the diff layers
//! older than the window into the disk state in the same batch. After a crash the disk holds
//! the state of an older block of the canonical chain; the chain re-executes from it.
//!
//! Invariants: every write of the store is one atomic [`WriteBatch`]; the disk state is always
//! the state of a stored canonical block; a database is only opened
//! if its schema version is [`SCHEMA_VERSION`]; a corrupt value is an error naming its table
//! and key, never a panic.

pub mod backend;
mod blocks;
mod codec;
mod error;
mod genesis;
mod journal;
mod layers;
mod rollup;
mod snap;
mod snap_healing;
mod snap_staging;
mod state;
mod state_update;
mod store;
mod synced_state;
pub mod tables;
#[cfg(test)]
mod test_utils;
mod trie_db;
mod witness;

pub use backend::{KvBackend, MemoryBackend, RocksDbBackend, WriteBatch, WriteOp};
pub use blocks::TxLocation;
pub use error::{Result, StoreError};
pub use journal::JOURNAL_KEY;
pub use layers::DEFAULT_STATE_WINDOW;
pub use snap_healing::{HealBatch, HealTask};
pub use snap_staging::{Progress as SnapProgress, SnapStaging};
pub use state::StateReader;
pub use state_update::{StateBuilder, StateUpdate};
pub use store::{ForkChoice, SCHEMA_VERSION, Store};
pub use synced_state::SyncedState;
pub use tables::{ChainDataKey, Table};
pub use trie_db::{StoreTrieDb, TrieOwner};
pub use witness::NodeRecorder;
