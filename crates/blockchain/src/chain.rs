//! [`Blockchain`]: blocks added on top of a [`Store`]. A block is validated and executed over
//! its parent's state (any state the store holds: the disk state or a recent diff layer), its
//! state root checked, and its state kept as a diff layer; fork choice moves the head, inside the
//! store's window of recent states. Batch import lives in `import.rs`.
//!
//! Crash safety: block data and the head are committed atomically; the disk state is the state
//! of an older canonical block, so [`Blockchain::new`] re-executes the canonical blocks above it
//! to bring back the head's state.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use alloy_primitives::{Address, B256, U256};
use ethrex_common::{
    ChainConfig,
    state::{StateChanges, StateDiff},
    types::{Block, Header, Receipt},
};
use ethrex_storage::{ForkChoice, StateReader, Store, StoreError};

use crate::{
    BlockError, BlockOutcome, Rules,
    exec_db::{Ancestry, exec_db},
    execute_block_with_rules,
    ommers::validate_ommers,
};

/// How far back [`Blockchain::new`] looks for a stored state below the head.
const MAX_RECOVERY_DEPTH: u64 = 100_000;

/// Errors of adding blocks to the chain.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    #[error("block #{number} {hash}: parent {parent} is unknown")]
    UnknownParent {
        number: u64,
        hash: B256,
        parent: B256,
    },
    #[error("block #{number} {hash}: the state of parent {parent} is no longer available")]
    ParentStateUnavailable {
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
    #[error("block #{number}: invalid execution witness: {reason}")]
    InvalidWitness { number: u64, reason: String },
    #[error("fork choice: block {0} is unknown")]
    UnknownHead(B256),
    #[error("fork choice: the state of block #{number} {hash} is not available")]
    HeadStateUnavailable { number: u64, hash: B256 },
    #[error(
        "the stored chain is inconsistent: no stored state below head #{head} within {depth} blocks"
    )]
    NoStateBelowHead { head: u64, depth: u64 },
    #[error("the store has no chain config: initialise it with a genesis first")]
    NoChainConfig,
    #[error("rollup block #{number} {hash} has no recorded fee parameters")]
    MissingFeeConfig { number: u64, hash: B256 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ChainError {
    /// The parent of the block of `header` is not stored.
    pub(crate) fn unknown_parent(header: &Header) -> Self {
        ChainError::UnknownParent {
            number: header.number,
            hash: header.hash_slow(),
            parent: header.parent_hash,
        }
    }

    /// The block of `header` breaks a rule.
    pub(crate) fn invalid_block(header: &Header, source: BlockError) -> Self {
        ChainError::InvalidBlock {
            number: header.number,
            hash: header.hash_slow(),
            source: Box::new(source),
        }
    }

    /// `Ok` when `root`, the state root after executing the block of `header`, is the one its
    /// header commits to.
    pub(crate) fn check_state_root(header: &Header, root: B256) -> Result<(), Self> {
        if root == header.state_root {
            return Ok(());
        }
        Err(ChainError::StateRootMismatch {
            number: header.number,
            hash: header.hash_slow(),
            expected: header.state_root,
            got: root,
        })
    }
}

/// A block executed and its state kept as a diff layer, not yet stored.
pub(crate) struct Executed {
    pub(crate) receipts: Vec<Receipt>,
    pub(crate) timings: Timings,
}

/// Where the time of processing blocks went.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Timings {
    /// Validation and execution through the VM.
    pub execution: Duration,
    /// Applying the changes to the tries and computing the state root.
    pub merkleization: Duration,
    /// Writing blocks, receipts and flattened state to the database.
    pub storage: Duration,
}

impl From<Timings> for ethrex_metrics::StageTimes {
    fn from(t: Timings) -> Self {
        Self {
            execution: t.execution,
            merkleization: t.merkleization,
            storage: t.storage,
        }
    }
}

impl std::ops::AddAssign for Timings {
    fn add_assign(&mut self, other: Self) {
        self.execution += other.execution;
        self.merkleization += other.merkleization;
        self.storage += other.storage;
    }
}

/// The chain over a store.
pub struct Blockchain {
    store: Store,
    config: ChainConfig,
    recovered: u64,
    /// A rollup chain: blocks run under [`Rules::Rollup`] with their recorded fee parameters.
    rollup: bool,
}

impl std::fmt::Debug for Blockchain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Blockchain").finish_non_exhaustive()
    }
}

impl Blockchain {
    /// The chain of an initialised store (one with a genesis and chain config). If the head's
    /// state is not held (the process stopped before writing it), re-executes the canonical
    /// blocks above the last stored state.
    pub fn new(store: Store) -> Result<Self, ChainError> {
        Self::open(store, false)
    }

    /// The chain of a rollup (an L2): every block runs under the rollup's rules with the fee
    /// parameters recorded for it ([`Store::set_fee_config`], before the block is added).
    pub fn new_rollup(store: Store) -> Result<Self, ChainError> {
        Self::open(store, true)
    }

    fn open(store: Store, rollup: bool) -> Result<Self, ChainError> {
        let config = store.chain_config()?.ok_or(ChainError::NoChainConfig)?;
        let mut chain = Blockchain {
            store,
            config,
            recovered: 0,
            rollup,
        };
        chain.recovered = chain.recover_head_state()?;
        Ok(chain)
    }

    /// Whether this is a rollup chain ([`Blockchain::new_rollup`]).
    pub fn is_rollup(&self) -> bool {
        self.rollup
    }

    /// The rules the block of `header` runs under.
    pub fn rules_for(&self, header: &Header) -> Result<Rules, ChainError> {
        if !self.rollup {
            return Ok(Rules::Ethereum);
        }
        let hash = header.hash_slow();
        match self.store.fee_config(&hash)? {
            Some(fees) => Ok(Rules::Rollup(fees)),
            None => Err(ChainError::MissingFeeConfig {
                number: header.number,
                hash,
            }),
        }
    }

    /// How many blocks [`Blockchain::new`] re-executed to bring back the head's state.
    pub fn recovered_blocks(&self) -> u64 {
        self.recovered
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn config(&self) -> &ChainConfig {
        &self.config
    }

    /// Whether the block with this hash is already stored.
    pub fn contains(&self, hash: &B256) -> Result<bool, ChainError> {
        Ok(self.store.header_by_hash(hash)?.is_some())
    }

    /// Validates and executes `block` on its parent's state and stores it with its state
    /// (as a diff layer), without moving the head (an Engine API `newPayload`).
    pub fn add_block(&self, block: &Block) -> Result<Timings, ChainError> {
        self.add_block_with_senders(block, None)
    }

    /// [`Blockchain::add_block`] with the transactions' senders already known where `senders`
    /// says (`senders[i]` must be transaction `i`'s — e.g. recovered by the mempool for a block
    /// built here); the others are recovered from their signatures.
    pub fn add_block_with_senders(
        &self,
        block: &Block,
        senders: Option<&[Option<Address>]>,
    ) -> Result<Timings, ChainError> {
        let mut executed = self.execute(block, senders)?;
        let start = Instant::now();
        self.store
            .add_side_blocks(&[(block.clone(), executed.receipts)])?;
        executed.timings.storage = start.elapsed();
        ethrex_metrics::record_blocks(&ethrex_metrics::ProcessedBlocks::one(
            block.header.gas_used,
            block.body.transactions.len() as u64,
            executed.timings.into(),
        ));
        Ok(executed.timings)
    }

    /// [`Blockchain::add_block`], then makes the block the head if it should be: after the
    /// merge (difficulty 0) always, before it when its branch has more total difficulty than
    /// the head's. Returns whether it became the head.
    pub fn import_block(&self, block: &Block) -> Result<bool, ChainError> {
        self.add_block(block)?;
        let becomes_head = match self.store.head_header()? {
            None => true,
            Some(head) => {
                block.header.difficulty.is_zero() || self.heavier(&block.header, &head)?
            }
        };
        if becomes_head {
            self.set_head(block.header.hash_slow())?;
        }
        Ok(becomes_head)
    }

    /// Makes the stored block `head` the head (reorganising the canonical chain if needed) and
    /// sets safe and finalized; the head's state must be held.
    pub fn set_fork_choice(&self, choice: ForkChoice) -> Result<(), ChainError> {
        let header = self
            .store
            .header_by_hash(&choice.head)?
            .ok_or(ChainError::UnknownHead(choice.head))?;
        if !self.store.has_state(&header.state_root) {
            return Err(ChainError::HeadStateUnavailable {
                number: header.number,
                hash: choice.head,
            });
        }
        self.store.set_fork_choice(choice)?;
        ethrex_metrics::set_block_height(header.number);
        Ok(())
    }

    /// [`Blockchain::set_fork_choice`] with only the head.
    pub fn set_head(&self, head: B256) -> Result<(), ChainError> {
        self.set_fork_choice(ForkChoice {
            head,
            safe: None,
            finalized: None,
        })
    }

    /// Validates and executes `block` over its parent's state, checks the state root, and keeps
    /// the new state as a diff layer.
    pub(crate) fn execute(
        &self,
        block: &Block,
        senders: Option<&[Option<Address>]>,
    ) -> Result<Executed, ChainError> {
        let header = &block.header;
        let parent = self.parent_header(header)?;
        self.execute_on(block, &parent, senders)
    }

    /// The stored parent of the block of `header`.
    pub(crate) fn parent_header(&self, header: &Header) -> Result<Header, ChainError> {
        self.store
            .header_by_hash(&header.parent_hash)?
            .ok_or_else(|| ChainError::unknown_parent(header))
    }

    /// [`Blockchain::execute`] with the parent's header given.
    pub(crate) fn execute_on(
        &self,
        block: &Block,
        parent: &Header,
        senders: Option<&[Option<Address>]>,
    ) -> Result<Executed, ChainError> {
        let header = &block.header;
        let base = self.parent_state(block, parent.state_root)?;
        let ancestry = Ancestry::of_parent(&self.store, parent.number, header.parent_hash);
        let start = Instant::now();
        let outcome = self.run(block, parent, &base, &[], ancestry, senders)?;
        let execution = start.elapsed();
        let start = Instant::now();
        self.merkleize(header, parent.state_root, &outcome.changes)?;
        Ok(Executed {
            receipts: outcome.receipts,
            timings: Timings {
                execution,
                merkleization: start.elapsed(),
                storage: Duration::ZERO,
            },
        })
    }

    /// The state of root `root` that `block` executes on (its parent's, or an older one below
    /// pending diffs).
    pub(crate) fn parent_state(
        &self,
        block: &Block,
        root: B256,
    ) -> Result<StateReader, ChainError> {
        match self.store.state_at(root) {
            Ok(state) => Ok(state),
            Err(StoreError::StateNotAvailable { .. }) => Err(ChainError::ParentStateUnavailable {
                number: block.header.number,
                hash: block.header.hash_slow(),
                parent: block.header.parent_hash,
            }),
            Err(e) => Err(e.into()),
        }
    }

    /// Validates `block`'s ommers against its ancestry, then validates and executes it over
    /// `base` with `diffs` on top (the parent's state).
    pub(crate) fn run(
        &self,
        block: &Block,
        parent: &Header,
        base: &StateReader,
        diffs: &[Arc<StateDiff>],
        ancestry: Ancestry<'_>,
        senders: Option<&[Option<Address>]>,
    ) -> Result<BlockOutcome, ChainError> {
        let invalid = |source: BlockError| ChainError::invalid_block(&block.header, source);
        if !block.body.ommers.is_empty() {
            let lookup = |hash: &B256| ancestry.block(hash);
            validate_ommers(&self.config, block, block.header.hash_slow(), &lookup)
                .map_err(invalid)?;
        }
        let db = exec_db(base, diffs, ancestry);
        // Pre-Byzantium receipts hold intermediate roots: callers make sure the parent's state
        // is held then.
        let root_after = |changes: &StateChanges| {
            let mut intermediate = self
                .store
                .state_builder(parent.state_root)
                .map_err(|e| BlockError::StateRoot(e.to_string()))?;
            intermediate
                .apply(changes)
                .map_err(|e| BlockError::StateRoot(e.to_string()))
        };
        let rules = self.rules_for(&block.header)?;
        execute_block_with_rules(
            &self.config,
            block,
            parent,
            &db,
            &root_after,
            senders,
            rules,
        )
        .map_err(invalid)
    }

    /// Applies `changes` to the state `parent_root`, checks the root against `header`, and
    /// keeps the new state as a diff layer.
    pub(crate) fn merkleize(
        &self,
        header: &Header,
        parent_root: B256,
        changes: &StateChanges,
    ) -> Result<(), ChainError> {
        let mut builder = self.store.state_builder(parent_root)?;
        let root = builder.apply(changes)?;
        ChainError::check_state_root(header, root)?;
        self.store
            .add_state_layer(header.number, builder.finish())?;
        Ok(())
    }

    /// Whether `candidate`'s branch has more total difficulty than `head`'s (compared from
    /// their common ancestor).
    fn heavier(&self, candidate: &Header, head: &Header) -> Result<bool, ChainError> {
        let (mut a, mut b) = (candidate.clone(), head.clone());
        let (mut td_a, mut td_b) = (U256::ZERO, U256::ZERO);
        while a.hash_slow() != b.hash_slow() {
            if a.number >= b.number {
                td_a += a.difficulty;
                a = self.parent_of(&a)?;
            } else {
                td_b += b.difficulty;
                b = self.parent_of(&b)?;
            }
        }
        Ok(td_a > td_b)
    }

    fn parent_of(&self, header: &Header) -> Result<Header, ChainError> {
        self.store
            .header_by_hash(&header.parent_hash)?
            .ok_or(ChainError::Store(StoreError::BlockNotFound(
                header.parent_hash,
            )))
    }

    /// Re-executes the canonical blocks between the last held state and the head. Returns how
    /// many blocks were re-executed.
    fn recover_head_state(&self) -> Result<u64, ChainError> {
        let Some(head) = self.store.head_header()? else {
            return Ok(0);
        };
        let mut missing = Vec::new();
        let mut header = head.clone();
        while !self.store.has_state(&header.state_root) {
            if missing.len() as u64 >= MAX_RECOVERY_DEPTH || header.number == 0 {
                return Err(ChainError::NoStateBelowHead {
                    head: head.number,
                    depth: missing.len() as u64,
                });
            }
            let hash = header.hash_slow();
            header = self.parent_of(&header)?;
            missing.push(hash);
        }
        let count = missing.len() as u64;
        for hash in missing.into_iter().rev() {
            let block = self
                .store
                .block_by_hash(&hash)?
                .ok_or(ChainError::Store(StoreError::BlockNotFound(hash)))?;
            self.execute(&block, None)?;
        }
        Ok(count)
    }
}
