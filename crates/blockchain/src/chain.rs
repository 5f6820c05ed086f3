//! [`Blockchain`]: blocks added on top of a [`Store`]. Each block is validated and executed over
//! the stored head state, its state root checked, and block, receipts and state committed in one
//! atomic batch, so a killed process restarts at its last committed block.

use alloy_primitives::B256;
use ethrex_common::{ChainConfig, types::Block};
use ethrex_storage::{Store, StoreError};
use ethrex_vm::StateChanges;

use crate::{BlockError, execute_block};

/// Errors of adding blocks to the chain.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    #[error("block #{number} {hash}: parent {parent} is unknown")]
    UnknownParent {
        number: u64,
        hash: B256,
        parent: B256,
    },
    #[error("block #{number} {hash} is invalid: {source}")]
    InvalidBlock {
        number: u64,
        hash: B256,
        source: Box<BlockError>,
    },
    #[error("block #{number} {hash}: state root {expected} in the header, {got} after execution")]
    StateRootMismatch {
        number: u64,
        hash: B256,
        expected: B256,
        got: B256,
    },
    #[error("the store has no chain config: initialise it with a genesis first")]
    NoChainConfig,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The chain over a store.
pub struct Blockchain {
    store: Store,
    config: ChainConfig,
}

impl Blockchain {
    /// The chain of an initialised store (one with a genesis and chain config).
    pub fn new(store: Store) -> Result<Self, ChainError> {
        let config = store.chain_config()?.ok_or(ChainError::NoChainConfig)?;
        Ok(Blockchain { store, config })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Whether the block with this hash is already stored.
    pub fn contains(&self, hash: &B256) -> Result<bool, ChainError> {
        Ok(self.store.header_by_hash(hash)?.is_some())
    }

    /// Validates, executes and commits `block` on top of the current head state.
    pub fn add_block(&self, block: &Block) -> Result<(), ChainError> {
        let header = &block.header;
        let (number, hash) = (header.number, header.hash_slow());
        let invalid = |source| ChainError::InvalidBlock {
            number,
            hash,
            source: Box::new(source),
        };
        let parent =
            self.store
                .header_by_hash(&header.parent_hash)?
                .ok_or(ChainError::UnknownParent {
                    number,
                    hash,
                    parent: header.parent_hash,
                })?;
        let mut builder = self.store.state_builder(parent.state_root)?;
        let reader = builder.reader();
        let root_after = |changes: &StateChanges| {
            let mut intermediate = self
                .store
                .state_builder(parent.state_root)
                .map_err(|e| BlockError::StateRoot(e.to_string()))?;
            intermediate
                .apply(changes)
                .map_err(|e| BlockError::StateRoot(e.to_string()))
        };
        let outcome =
            execute_block(&self.config, block, &parent, &reader, &root_after).map_err(invalid)?;
        drop(reader);
        let root = builder.apply(&outcome.changes)?;
        if root != header.state_root {
            return Err(ChainError::StateRootMismatch {
                number,
                hash,
                expected: header.state_root,
                got: root,
            });
        }
        self.store
            .add_blocks_with_state(&[(block.clone(), outcome.receipts)], builder.finish())?;
        Ok(())
    }
}
