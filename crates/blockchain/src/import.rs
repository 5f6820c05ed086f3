//! Batch import: [`Blockchain::import_blocks`] executes consecutive blocks, each on the state the
//! previous one left (a diff layer), and stores them with one write; the head moves to the last
//! one and the states older than the store's window reach the disk in that same write.
//!
//! Guarantee: when a block fails, every block before it in the batch is still committed, and
//! the error names the failing block.

use std::time::Instant;

use ethrex_common::types::Block;

use crate::{Blockchain, ChainError, Timings};

/// What an import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportStats {
    pub blocks: u64,
    pub transactions: u64,
    pub gas: u64,
    pub timings: Timings,
}

impl std::ops::AddAssign for ImportStats {
    fn add_assign(&mut self, other: Self) {
        self.blocks += other.blocks;
        self.transactions += other.transactions;
        self.gas += other.gas;
        self.timings += other.timings;
    }
}

/// A batch import stopped at a bad block; `stats` counts the blocks before it, all committed.
#[derive(Debug, thiserror::Error)]
#[error("{source}")]
pub struct ImportError {
    pub stats: ImportStats,
    #[source]
    pub source: ChainError,
}

impl Blockchain {
    /// Imports `blocks` (each the child of the previous one, the first a child of a stored
    /// block) as the new canonical chain, with one write for the batch.
    pub fn import_blocks(&self, blocks: &[Block]) -> Result<ImportStats, ImportError> {
        let mut stats = ImportStats::default();
        let mut executed = Vec::with_capacity(blocks.len());
        let mut failure = None;
        let mut parent: Option<&Block> = None;
        for block in blocks {
            let result = match parent {
                Some(parent) if parent.header.hash_slow() == block.header.parent_hash => {
                    self.execute_on(block, &parent.header)
                }
                _ => self.execute(block),
            };
            parent = Some(block);
            match result {
                Ok(result) => {
                    stats.blocks += 1;
                    stats.transactions += block.body.transactions.len() as u64;
                    stats.gas += result.gas_used;
                    stats.timings += result.timings;
                    executed.push((block.clone(), result.receipts));
                }
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
        }
        let start = Instant::now();
        if !executed.is_empty()
            && let Err(e) = self.store().add_blocks(&executed)
        {
            return Err(ImportError {
                stats: ImportStats::default(),
                source: e.into(),
            });
        }
        stats.timings.storage += start.elapsed();
        match failure {
            None => Ok(stats),
            Some(source) => Err(ImportError { stats, source }),
        }
    }
}
