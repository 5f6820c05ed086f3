//! [`Store`]: the node's database over a [`KvBackend`]. This file opens it (schema version check)
//! and holds the chain data (config, head/safe/finalized); blocks are in `blocks.rs`, state in
//! `state.rs`.
//!
//! Every method that writes builds one [`WriteBatch`] and commits it with one backend write, so a
//! crash leaves the database as it was before or after the call, never in between.

use std::{
    path::Path,
    sync::{Arc, RwLock},
};

use alloy_primitives::B256;
use ethrex_common::ChainConfig;
use ethrex_trie::EMPTY_TRIE_ROOT;

use crate::{
    Result, StoreError,
    backend::{KvBackend, MemoryBackend, RocksDbBackend, WriteBatch},
    codec,
    layers::{Layers, SharedLayers},
    tables::{ChainDataKey, Table},
};

/// Version of the database layout (tables and encodings of `tables.rs`). Bump it on any change
/// to an encoding; a database of another version is refused at open.
/// (2: a `receipts` value starts with its transaction's hash.)
pub const SCHEMA_VERSION: u64 = 2;

/// The node's database. Cheap to clone: clones share the backend.
#[derive(Clone)]
pub struct Store {
    pub(crate) backend: Arc<dyn KvBackend>,
    pub(crate) layers: SharedLayers,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").finish_non_exhaustive()
    }
}

/// The three blocks the consensus layer points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForkChoice {
    pub head: B256,
    pub safe: Option<B256>,
    pub finalized: Option<B256>,
}

impl Store {
    /// Opens (or creates) the RocksDB database at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::from_backend(Arc::new(RocksDbBackend::open(path)?))
    }

    /// A fresh, empty in-memory store.
    pub fn in_memory() -> Self {
        let backend = MemoryBackend::new();
        backend.apply(schema_version_batch());
        Self {
            backend: Arc::new(backend),
            layers: Arc::new(RwLock::new(Layers::new(EMPTY_TRIE_ROOT))),
        }
    }

    /// A store over `backend`: writes the schema version if the backend is empty, checks it
    /// otherwise.
    pub fn from_backend(backend: Arc<dyn KvBackend>) -> Result<Self> {
        let key = ChainDataKey::SchemaVersion.key();
        match backend.get(Table::ChainData, &key)? {
            Some(bytes) => {
                let found = codec::u64_be(Table::ChainData, &key, &bytes)?;
                if found != SCHEMA_VERSION {
                    return Err(StoreError::SchemaMismatch {
                        found,
                        expected: SCHEMA_VERSION,
                    });
                }
            }
            None => {
                for table in Table::ALL {
                    if !backend.is_table_empty(table)? {
                        return Err(StoreError::MissingSchemaVersion { table });
                    }
                }
                backend.write(schema_version_batch())?;
            }
        }
        let disk_root = match backend.get(Table::ChainData, &ChainDataKey::StateRoot.key())? {
            Some(bytes) => codec::hash(Table::ChainData, &ChainDataKey::StateRoot.key(), &bytes)?,
            None => EMPTY_TRIE_ROOT,
        };
        let store = Self {
            backend,
            layers: Arc::new(RwLock::new(Layers::new(disk_root))),
        };
        store.load_journal()?;
        Ok(store)
    }

    /// The backend, for tools that read tables directly.
    pub fn backend(&self) -> &Arc<dyn KvBackend> {
        &self.backend
    }

    /// Stores the chain configuration (replacing any previous one).
    pub fn set_chain_config(&self, config: &ChainConfig) -> Result<()> {
        let json = serde_json::to_vec(config).map_err(|e| StoreError::Serialize(e.to_string()))?;
        let mut batch = WriteBatch::new();
        batch.put(Table::ChainData, ChainDataKey::ChainConfig.key(), json);
        self.backend.write(batch)
    }

    /// The stored chain configuration.
    pub fn chain_config(&self) -> Result<Option<ChainConfig>> {
        let key = ChainDataKey::ChainConfig.key();
        let Some(bytes) = self.backend.get(Table::ChainData, &key)? else {
            return Ok(None);
        };
        serde_json::from_slice(&bytes).map(Some).map_err(|e| {
            StoreError::corrupt(
                Table::ChainData,
                &key,
                format!("invalid chain config JSON: {e}"),
            )
        })
    }

    /// Hash of the head block.
    pub fn head_hash(&self) -> Result<Option<B256>> {
        self.chain_hash(ChainDataKey::HeadHash)
    }

    /// Hash of the last safe block.
    pub fn safe_hash(&self) -> Result<Option<B256>> {
        self.chain_hash(ChainDataKey::SafeHash)
    }

    /// Hash of the last finalized block.
    pub fn finalized_hash(&self) -> Result<Option<B256>> {
        self.chain_hash(ChainDataKey::FinalizedHash)
    }

    /// Makes the stored block `choice.head` the canonical head ([`Store::set_canonical_head`])
    /// and sets safe and finalized when given, in one write.
    /// The head's branch keeps at most the window of diff layers; older ones are written to disk
    /// in the same batch.
    pub fn set_fork_choice(&self, choice: ForkChoice) -> Result<()> {
        let (mut batch, head) = self.canonical_head_batch(choice.head)?;
        if let Some(safe) = choice.safe {
            batch.put(
                Table::ChainData,
                ChainDataKey::SafeHash.key(),
                safe.as_slice(),
            );
        }
        if let Some(finalized) = choice.finalized {
            batch.put(
                Table::ChainData,
                ChainDataKey::FinalizedHash.key(),
                finalized.as_slice(),
            );
        }
        self.write_with_head(batch, Some((head.state_root, head.number)))
    }

    pub(crate) fn chain_hash(&self, which: ChainDataKey) -> Result<Option<B256>> {
        let key = which.key();
        self.backend
            .get(Table::ChainData, &key)?
            .map(|bytes| codec::hash(Table::ChainData, &key, &bytes))
            .transpose()
    }
}

fn schema_version_batch() -> WriteBatch {
    let mut batch = WriteBatch::new();
    batch.put(
        Table::ChainData,
        ChainDataKey::SchemaVersion.key(),
        SCHEMA_VERSION.to_be_bytes(),
    );
    batch
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_utils::{Harness, backend_tests};

    fn config() -> ChainConfig {
        ChainConfig {
            chain_id: 1337,
            homestead_block: Some(0),
            ..Default::default()
        }
    }

    fn chain_config_persists_across_reopen(h: &Harness) {
        {
            let store = h.open();
            assert_eq!(store.chain_config().unwrap(), None);
            store.set_chain_config(&config()).unwrap();
        }
        let store = h.open();
        assert_eq!(store.chain_config().unwrap(), Some(config()));
    }

    fn schema_version_is_written_at_creation(h: &Harness) {
        drop(h.open());
        let raw = h.raw();
        let stored = raw
            .get(Table::ChainData, &ChainDataKey::SchemaVersion.key())
            .unwrap();
        assert_eq!(stored, Some(SCHEMA_VERSION.to_be_bytes().to_vec()));
    }

    fn schema_mismatch_names_both_versions(h: &Harness) {
        drop(h.open());
        {
            let mut batch = WriteBatch::new();
            batch.put(
                Table::ChainData,
                ChainDataKey::SchemaVersion.key(),
                99u64.to_be_bytes(),
            );
            h.raw().write(batch).unwrap();
        }
        let err = h.try_open().unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::SchemaMismatch {
                    found: 99,
                    expected: SCHEMA_VERSION
                }
            ),
            "{err}"
        );
        let msg = err.to_string();
        assert!(
            msg.contains("version 99") && msg.contains(&format!("version {SCHEMA_VERSION}")),
            "{msg}"
        );
    }

    fn data_without_schema_version_is_refused(h: &Harness) {
        {
            let mut batch = WriteBatch::new();
            batch.put(Table::Headers, [1u8; 32], b"foreign".to_vec());
            h.raw().write(batch).unwrap();
        }
        let err = h.try_open().unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::MissingSchemaVersion {
                    table: Table::Headers
                }
            ),
            "{err}"
        );
    }

    fn corrupt_schema_version_names_table_and_key(h: &Harness) {
        {
            let mut batch = WriteBatch::new();
            batch.put(
                Table::ChainData,
                ChainDataKey::SchemaVersion.key(),
                b"one".to_vec(),
            );
            h.raw().write(batch).unwrap();
        }
        let msg = h.try_open().unwrap_err().to_string();
        assert_eq!(
            msg,
            "corrupt value in table chain_data at key 0x00: expected an 8-byte number, found 3 bytes"
        );
    }

    fn corrupt_chain_config_is_a_clear_error(h: &Harness) {
        let store = h.open();
        let mut batch = WriteBatch::new();
        batch.put(
            Table::ChainData,
            ChainDataKey::ChainConfig.key(),
            b"{not json".to_vec(),
        );
        store.backend().write(batch).unwrap();
        let msg = store.chain_config().unwrap_err().to_string();
        assert!(
            msg.starts_with(
                "corrupt value in table chain_data at key 0x01: invalid chain config JSON"
            ),
            "{msg}"
        );
    }

    fn fork_choice_sets_head_and_keeps_unset_ones(h: &Harness) {
        let store = h.open();
        assert_eq!(store.head_hash().unwrap(), None);
        let blocks = crate::test_utils::chain(4, 0);
        store.add_blocks(&blocks).unwrap();
        let hash = |n: usize| blocks[n].0.header.hash_slow();
        let choice = ForkChoice {
            head: hash(3),
            safe: Some(hash(2)),
            finalized: Some(hash(1)),
        };
        store.set_fork_choice(choice).unwrap();
        let back = ForkChoice {
            head: hash(2),
            safe: None,
            finalized: None,
        };
        store.set_fork_choice(back).unwrap();
        drop(store);
        let store = h.open();
        assert_eq!(store.head_hash().unwrap(), Some(hash(2)));
        assert_eq!(
            store.canonical_hash(3).unwrap(),
            None,
            "no canonical entry above the head"
        );
        assert_eq!(store.safe_hash().unwrap(), Some(hash(2)));
        assert_eq!(store.finalized_hash().unwrap(), Some(hash(1)));
        let unknown = ForkChoice {
            head: B256::repeat_byte(1),
            safe: None,
            finalized: None,
        };
        let err = store.set_fork_choice(unknown).unwrap_err();
        assert!(matches!(err, StoreError::BlockNotFound(_)), "{err}");
        assert_eq!(
            store.head_hash().unwrap(),
            Some(hash(2)),
            "a failed fork choice changes nothing"
        );
    }

    backend_tests!(
        chain_config_persists_across_reopen,
        schema_version_is_written_at_creation,
        schema_mismatch_names_both_versions,
        data_without_schema_version_is_refused,
        corrupt_schema_version_names_table_and_key,
        corrupt_chain_config_is_a_clear_error,
        fork_choice_sets_head_and_keeps_unset_ones,
    );

    #[test]
    fn in_memory_store_starts_with_the_schema_version() {
        let store = Store::in_memory();
        let stored = store
            .backend()
            .get(Table::ChainData, &ChainDataKey::SchemaVersion.key())
            .unwrap();
        assert_eq!(stored, Some(SCHEMA_VERSION.to_be_bytes().to_vec()));
        assert!(Store::from_backend(Arc::clone(store.backend())).is_ok());
    }
}
