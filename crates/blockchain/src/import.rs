//! Batch import: [`Blockchain::import_blocks`] executes consecutive blocks and stores them with
//! one write; the head moves to the last one and the states older than the store's window reach
//! the disk in that same write.
//!
//! First the senders of every transaction of the batch are recovered on all cores. Then
//! execution and merkleization overlap: a second thread merkleizes block N (applies its changes
//! to the tries, checks the state root, keeps the state as a diff layer) while block N+1 executes
//! over the last merkleized state plus the changes of the blocks executed since
//! ([`crate::exec_db::ExecDb`]). Execution runs at most [`MAX_LAG`] blocks ahead; before
//! Byzantium (receipts hold intermediate state roots) it waits for the parent's state.
//!
//! Guarantee: when a block fails (execution or state root), every block before it is committed
//! and nothing after it; the error names the failing block.

use std::{
    sync::{Arc, mpsc},
    time::{Duration, Instant},
};

use alloy_primitives::{Address, B256};
use ethrex_common::{
    Fork,
    state::{StateChanges, StateDiff},
    types::{Block, Header, Receipt, Transaction},
};

use crate::{Blockchain, ChainError, Timings, exec_db::Ancestry, header::fork_of, recover_senders};

/// How many executed blocks may wait for merkleization.
pub const MAX_LAG: usize = 4;

/// What an import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportStats {
    pub blocks: u64,
    pub transactions: u64,
    pub gas: u64,
    /// Time spent per stage; execution and merkleization overlap, so their sum can exceed the
    /// wall-clock time.
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
    pub source: Box<ChainError>,
}

/// A block for the merkleization thread.
struct MerkleJob {
    index: usize,
    header: Header,
    parent_root: B256,
    changes: StateChanges,
}

/// What the merkleization thread reports for a job.
type MerkleDone = (usize, Result<Duration, ChainError>);

impl Blockchain {
    /// Imports `blocks` (each the child of the previous one, the first a child of a stored
    /// block whose state is held) as the new canonical chain, with one write for the batch.
    pub fn import_blocks(&self, blocks: &[Block]) -> Result<ImportStats, ImportError> {
        let Some(first) = blocks.first() else {
            return Ok(ImportStats::default());
        };
        let fail = |source| ImportError {
            stats: ImportStats::default(),
            source: Box::new(source),
        };
        let parent = self
            .store()
            .header_by_hash(&first.header.parent_hash)
            .map_err(|e| fail(e.into()))?
            .ok_or_else(|| fail(ChainError::unknown_parent(&first.header)))?;
        let began = Instant::now();
        let hashes: Vec<B256> = blocks.iter().map(|b| b.header.hash_slow()).collect();
        let start = Instant::now();
        let senders = recover_batch_senders(blocks);
        let recovery = start.elapsed();
        let mut stats = ImportStats::default();
        stats.timings.execution += recovery;
        let (executed, failure) = std::thread::scope(|scope| {
            let (jobs, job_rx) = mpsc::sync_channel::<MerkleJob>(MAX_LAG);
            let (done_tx, done) = mpsc::channel::<MerkleDone>();
            scope.spawn(move || {
                for job in job_rx {
                    let start = Instant::now();
                    let result = self
                        .merkleize(&job.header, job.parent_root, &job.changes)
                        .map(|()| start.elapsed());
                    let failed = result.is_err();
                    if done_tx.send((job.index, result)).is_err() || failed {
                        break;
                    }
                }
            });
            let mut run = Run {
                chain: self,
                blocks,
                hashes: &hashes,
                senders: &senders,
                parent: &parent,
                merkleized: 0,
                diffs: Vec::new(),
                done,
                failure: None,
                stats: &mut stats,
            };
            let executed = run.execute_all(jobs);
            (executed, run.failure)
        });
        // Blocks before the first failure (execution or merkleization) are sound.
        let good = failure.as_ref().map_or(executed.len(), |(index, _)| *index);
        let committed: Vec<(Block, Vec<Receipt>)> =
            blocks.iter().cloned().zip(executed).take(good).collect();
        stats.blocks = committed.len() as u64;
        stats.transactions = committed
            .iter()
            .map(|(b, _)| b.body.transactions.len() as u64)
            .sum();
        stats.gas = committed.iter().map(|(b, _)| b.header.gas_used).sum();
        let start = Instant::now();
        if !committed.is_empty() {
            self.store()
                .add_blocks(&committed)
                .map_err(|e| fail(e.into()))?;
        }
        stats.timings.storage += start.elapsed();
        if let Some((last, _)) = committed.last() {
            ethrex_metrics::set_block_height(last.header.number);
            ethrex_metrics::record_blocks(&ethrex_metrics::ProcessedBlocks {
                count: stats.blocks,
                transactions: stats.transactions,
                gas_used: stats.gas,
                last_gas_used: last.header.gas_used,
                stages: stats.timings.into(),
                elapsed: began.elapsed(),
            });
        }
        match failure {
            None => Ok(stats),
            Some((_, source)) => Err(ImportError {
                stats,
                source: Box::new(source),
            }),
        }
    }
}

/// The senders of every transaction of `blocks`, recovered on all cores (signature recovery is
/// the costliest part of executing simple transfers).
fn recover_batch_senders(blocks: &[Block]) -> Vec<Vec<Option<Address>>> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let transactions: usize = blocks.iter().map(|b| b.body.transactions.len()).sum();
    if threads < 2 || transactions < 64 {
        return blocks
            .iter()
            .map(|b| recover_senders(&b.body.transactions))
            .collect();
    }
    let mut senders: Vec<Vec<Option<Address>>> = blocks
        .iter()
        .map(|b| vec![None; b.body.transactions.len()])
        .collect();
    let mut slots: Vec<(&Transaction, &mut Option<Address>)> = blocks
        .iter()
        .zip(senders.iter_mut())
        .flat_map(|(block, out)| block.body.transactions.iter().zip(out.iter_mut()))
        .collect();
    let chunk = slots.len().div_ceil(threads);
    std::thread::scope(|scope| {
        for part in slots.chunks_mut(chunk) {
            scope.spawn(move || {
                for (tx, sender) in part {
                    **sender = tx.sender().ok();
                }
            });
        }
    });
    drop(slots);
    senders
}

/// The state of one batch's pipeline, on the executing thread.
struct Run<'a> {
    chain: &'a Blockchain,
    blocks: &'a [Block],
    hashes: &'a [B256],
    /// The senders of each block's transactions, recovered ahead.
    senders: &'a [Vec<Option<Address>>],
    parent: &'a Header,
    /// Blocks `..merkleized` have their state held.
    merkleized: usize,
    /// Changes of blocks `merkleized..` (executed, not merkleized yet).
    diffs: Vec<Arc<StateDiff>>,
    done: mpsc::Receiver<MerkleDone>,
    /// The first failing block and why.
    failure: Option<(usize, ChainError)>,
    stats: &'a mut ImportStats,
}

impl Run<'_> {
    /// Executes every block (until one fails), handing each to the merkleization thread; then
    /// waits for it. Returns the receipts of the executed blocks.
    fn execute_all(&mut self, jobs: mpsc::SyncSender<MerkleJob>) -> Vec<Vec<Receipt>> {
        let mut receipts = Vec::with_capacity(self.blocks.len());
        for (index, block) in self.blocks.iter().enumerate() {
            let parent = match index {
                0 => self.parent,
                _ => &self.blocks[index - 1].header,
            };
            if index > 0 && block.header.parent_hash != self.hashes[index - 1] {
                self.fail(
                    index,
                    ChainError::UnknownParent {
                        number: block.header.number,
                        hash: self.hashes[index],
                        parent: block.header.parent_hash,
                    },
                );
                break;
            }
            let pre_byzantium = fork_of(self.chain.config(), &block.header) < Fork::Byzantium;
            let max_lag = if pre_byzantium { 0 } else { MAX_LAG - 1 };
            if !self.wait_until_lag(index, max_lag) {
                break;
            }
            match self.execute(index, block, parent) {
                Ok((block_receipts, changes)) => {
                    receipts.push(block_receipts);
                    let job = MerkleJob {
                        index,
                        header: block.header.clone(),
                        parent_root: parent.state_root,
                        changes,
                    };
                    if jobs.send(job).is_err() {
                        // The thread stopped: it reported a failure, collected below.
                        break;
                    }
                }
                Err(e) => {
                    self.fail(index, e);
                    break;
                }
            }
        }
        drop(jobs);
        self.wait_until_lag(receipts.len(), 0);
        receipts
    }

    /// Executes block `index` over the last merkleized state and the diffs since.
    fn execute(
        &mut self,
        index: usize,
        block: &Block,
        parent: &Header,
    ) -> Result<(Vec<Receipt>, StateChanges), ChainError> {
        let start = Instant::now();
        let base_root = match self.merkleized {
            0 => self.parent.state_root,
            n => self.blocks[n - 1].header.state_root,
        };
        let base = self.chain.parent_state(block, base_root)?;
        let ancestry = Ancestry {
            store: self.chain.store(),
            recent: &self.hashes[..index],
            recent_blocks: &self.blocks[..index],
            first: self.blocks[0].header.number,
            anchor: (self.parent.number, self.blocks[0].header.parent_hash),
        };
        let outcome = self.chain.run(
            block,
            parent,
            &base,
            &self.diffs,
            ancestry,
            self.senders.get(index).map(Vec::as_slice),
        )?;
        self.diffs.push(Arc::new(StateDiff::new(&outcome.changes)));
        self.stats.timings.execution += start.elapsed();
        Ok((outcome.receipts, outcome.changes))
    }

    /// Waits for merkleization until at most `max_lag` executed blocks before `index` wait for
    /// it. Returns false if merkleization failed.
    fn wait_until_lag(&mut self, index: usize, max_lag: usize) -> bool {
        while index.saturating_sub(self.merkleized) > max_lag {
            let Ok(report) = self.done.recv() else {
                return false;
            };
            if !self.collect(report) {
                return false;
            }
        }
        // Take what is already done without waiting.
        while let Ok(report) = self.done.try_recv() {
            if !self.collect(report) {
                return false;
            }
        }
        true
    }

    /// Takes one merkleization report; false if it failed.
    fn collect(&mut self, (done, result): MerkleDone) -> bool {
        match result {
            Ok(elapsed) => {
                self.stats.timings.merkleization += elapsed;
                self.merkleized = done + 1;
                if !self.diffs.is_empty() {
                    self.diffs.remove(0);
                }
                true
            }
            Err(e) => {
                self.fail(done, e);
                false
            }
        }
    }

    /// Records a failure at block `index` (the earliest one wins).
    fn fail(&mut self, index: usize, error: ChainError) {
        if self.failure.as_ref().is_none_or(|(at, _)| index < *at) {
            self.failure = Some((index, error));
        }
    }
}

#[cfg(test)]
mod tests {
    use ethrex_common::{
        ChainConfig,
        types::{Block, BlockBody},
    };
    use ethrex_storage::Store;

    use super::*;
    use crate::{
        BlockError, execute_block,
        header::tests::{homestead_child, homestead_genesis},
    };

    /// A Homestead chain over an in-memory store holding only its genesis (empty state).
    fn homestead_chain() -> Blockchain {
        let store = Store::in_memory();
        let genesis = Block {
            header: homestead_genesis(),
            body: BlockBody::default(),
        };
        let config = ChainConfig::all_active_up_to(1, Fork::Homestead);
        store
            .init_chain(&genesis, &StateChanges::default(), &config)
            .unwrap();
        Blockchain::new(store).unwrap()
    }

    /// An empty block on `parent` (whose state `chain` holds) naming `ommers`, with its state
    /// root; `salt` (extra data) tells siblings apart.
    fn block_on(chain: &Blockchain, parent: &Header, salt: u8, ommers: Vec<Header>) -> Block {
        let mut block = Block {
            header: homestead_child(parent, &[salt], &ommers),
            body: BlockBody {
                ommers,
                ..Default::default()
            },
        };
        let state = chain.store().state_at(parent.state_root).unwrap();
        let no_transactions = |_: &StateChanges| Err(BlockError::StateRoot("unused".into()));
        let outcome =
            execute_block(chain.config(), &block, parent, &state, &no_transactions).unwrap();
        let mut builder = chain.store().state_builder(parent.state_root).unwrap();
        block.header.state_root = builder.apply(&outcome.changes).unwrap();
        block
    }

    /// Canonical blocks 1..=3 built on a scratch chain, block 3 naming an ommer whose parent
    /// is block 1; and a block 4 naming that ommer again.
    fn blocks_with_ommers() -> (Vec<Block>, Block) {
        let scratch = homestead_chain();
        let mut parent = scratch.store().head_header().unwrap().unwrap();
        let mut blocks = Vec::new();
        let mut ommer = None;
        for number in 1..=3 {
            let ommers = if number == 3 {
                ommer.clone().into_iter().collect()
            } else {
                Vec::new()
            };
            let block = block_on(&scratch, &parent, 0, ommers);
            scratch.import_block(&block).unwrap();
            if number == 1 {
                ommer = Some(homestead_child(&block.header, &[1], &[]));
            }
            parent = block.header.clone();
            blocks.push(block);
        }
        let again = block_on(&scratch, &parent, 0, ommer.into_iter().collect());
        (blocks, again)
    }

    #[test]
    fn ommer_ancestors_are_found_among_the_batch_blocks() {
        let (blocks, _) = blocks_with_ommers();
        // Blocks 1 and 2 are not stored when block 3 executes: its ommer's parent is found in
        // the batch.
        let stats = homestead_chain().import_blocks(&blocks).unwrap();
        assert_eq!(stats.blocks, 3);
    }

    #[test]
    fn an_ommer_named_twice_stops_the_batch_at_the_second_block() {
        let (mut blocks, again) = blocks_with_ommers();
        let ommer = again.body.ommers[0].hash_slow();
        blocks.push(again);
        let err = homestead_chain().import_blocks(&blocks).unwrap_err();
        assert_eq!(err.stats.blocks, 3, "blocks 1 to 3 are committed");
        match *err.source {
            ChainError::InvalidBlock {
                number: 4, source, ..
            } => assert_eq!(
                *source,
                BlockError::InvalidOmmer {
                    hash: ommer,
                    reason: "is already an ommer of one of the block's ancestors".into(),
                }
            ),
            other => panic!("expected block 4 to be invalid, got {other}"),
        }
    }
}
