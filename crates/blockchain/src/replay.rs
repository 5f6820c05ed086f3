//! [`BlockReplay`]: re-executes a stored block's transactions one at a time over its parent's
//! state, for tracing. Before the first transaction it applies what precedes them in the block
//! (the DAO change, the EIP-4788 and EIP-2935 system calls); it then exposes the state just
//! before the next transaction ([`BlockReplay::state`]) and runs that transaction with any
//! inspector ([`BlockReplay::transact_next`]).
//!
//! Each replayed transaction runs on a fresh EVM over the state left by the previous ones (kept
//! as diffs over the parent's state), so its [`ReplayedTx::changes`] are its own. What follows
//! the transactions (rewards, withdrawals, requests) is not replayed.
//!
//! When the parent's state is no longer held, it is rebuilt (as geth's `reexec`) by executing
//! the blocks above the nearest held ancestor state, at most [`MAX_REEXEC`] blocks back; the
//! genesis state counts as held when the caller gives the genesis.

use std::sync::Arc;

use alloy_primitives::{Address, B256};
use ethrex_common::{
    Genesis,
    state::{Database, StateChanges, StateDiff},
    types::{Block, Header},
};
use ethrex_storage::{StateReader, Store, StoreError};
use ethrex_vm::{BlockEnv, Evm, TxError, TxResult, inspector::Inspector, inspector::NoopInspector};

use crate::{
    BlockError, Blockchain, ChainError,
    exec_db::{Ancestry, ExecDb, exec_db},
    execution::{BodyInput, OnInvalidTx, Rules, apply_pre_transactions, block_env, run_block},
};

/// Most blocks re-executed to rebuild a state that is no longer held.
pub const MAX_REEXEC: u64 = 128;

/// A transaction replayed.
#[derive(Debug, Clone)]
pub struct ReplayedTx {
    /// Its index in the block.
    pub index: usize,
    pub sender: Address,
    pub result: TxResult,
    /// The changes it made (touched accounts and the slots it loaded, as they are after it).
    pub changes: StateChanges,
}

/// A block being replayed; see the module docs.
pub struct BlockReplay<'a> {
    chain: &'a Blockchain,
    block: &'a Block,
    parent: Header,
    base: StateReader,
    /// Changes since the parent's state, oldest first.
    diffs: Vec<Arc<StateDiff>>,
    env: BlockEnv,
    next: usize,
}

impl std::fmt::Debug for BlockReplay<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlockReplay")
            .field("block", &self.block.header.number)
            .field("next", &self.next)
            .finish_non_exhaustive()
    }
}

impl<'a> BlockReplay<'a> {
    /// Starts replaying `block` (its parent must be stored) and applies what precedes its
    /// transactions. `genesis` (the chain's) lets the genesis state be rebuilt when needed.
    pub fn new(
        chain: &'a Blockchain,
        block: &'a Block,
        genesis: Option<&Genesis>,
    ) -> Result<Self, ChainError> {
        let header = &block.header;
        let parent = chain.parent_header(header)?;
        let (base, diffs) = parent_state(chain, block, &parent, genesis)?;
        let env = block_env(chain.config(), header);
        let mut replay = BlockReplay {
            chain,
            block,
            parent,
            base,
            diffs,
            env,
            next: 0,
        };
        let changes = {
            let db = replay.exec_db();
            let mut evm = Evm::new(&db, replay.env.clone());
            apply_pre_transactions(chain.config(), header, &mut evm)
                .map_err(|e| replay.invalid(e))?;
            evm.into_changes().map_err(|e| replay.invalid(e.into()))?
        };
        replay.diffs.push(Arc::new(StateDiff::new(&changes)));
        Ok(replay)
    }

    /// The block's execution environment.
    pub fn env(&self) -> &BlockEnv {
        &self.env
    }

    /// The index of the next transaction to replay.
    pub fn next_index(&self) -> usize {
        self.next
    }

    /// The state just before the next transaction.
    pub fn state(&self) -> impl Database + '_ {
        self.exec_db()
    }

    /// Replays, without tracing, the transactions before `index` not replayed yet (in one
    /// EVM: faster than one at a time).
    pub fn skip_to(&mut self, index: usize) -> Result<(), ChainError> {
        let end = index.min(self.block.body.transactions.len());
        if end <= self.next {
            return Ok(());
        }
        let changes = {
            let db = self.exec_db();
            let mut evm = Evm::new(&db, self.env.clone());
            for i in self.next..end {
                self.transact(&mut evm, i, &mut NoopInspector)?;
            }
            evm.into_changes().map_err(|e| self.invalid(e.into()))?
        };
        self.diffs.push(Arc::new(StateDiff::new(&changes)));
        self.next = end;
        Ok(())
    }

    /// Replays the next transaction, reporting its execution to `inspector`, and moves past
    /// it; `None` once every transaction was replayed.
    pub fn transact_next<I: Inspector>(
        &mut self,
        inspector: &mut I,
    ) -> Result<Option<ReplayedTx>, ChainError> {
        let replayed = self.execute_next(inspector)?;
        if let Some(replayed) = &replayed {
            self.advance(replayed);
        }
        Ok(replayed)
    }

    /// Executes the next transaction over [`BlockReplay::state`], reporting to `inspector`,
    /// without moving past it ([`BlockReplay::advance`] does); `None` once every transaction
    /// was replayed.
    pub fn execute_next<I: Inspector>(
        &self,
        inspector: &mut I,
    ) -> Result<Option<ReplayedTx>, ChainError> {
        let index = self.next;
        if index >= self.block.body.transactions.len() {
            return Ok(None);
        }
        let db = self.exec_db();
        let mut evm = Evm::new(&db, self.env.clone());
        let (sender, result) = self.transact(&mut evm, index, inspector)?;
        let changes = evm.into_changes().map_err(|e| self.invalid(e.into()))?;
        Ok(Some(ReplayedTx {
            index,
            sender,
            result,
            changes,
        }))
    }

    /// Moves past the transaction [`BlockReplay::execute_next`] executed, keeping its changes.
    pub fn advance(&mut self, replayed: &ReplayedTx) {
        self.diffs.push(Arc::new(StateDiff::new(&replayed.changes)));
        self.next = replayed.index + 1;
    }

    fn transact<I: Inspector>(
        &self,
        evm: &mut Evm<'_>,
        index: usize,
        inspector: &mut I,
    ) -> Result<(Address, TxResult), ChainError> {
        let Some(tx) = self.block.body.transactions.get(index) else {
            return Err(self.invalid(BlockError::InvalidBody(format!("no transaction {index}"))));
        };
        let sender = tx.sender().map_err(|e| {
            self.invalid(BlockError::InvalidSender {
                index,
                reason: e.to_string(),
            })
        })?;
        match evm.transact_with(tx, sender, inspector) {
            Ok(result) => Ok((sender, result)),
            Err(TxError::Invalid(reason)) => Err(self.invalid(BlockError::InvalidTransaction {
                index,
                hash: tx.hash(),
                reason,
            })),
            Err(TxError::Vm(e)) => Err(self.invalid(e.into())),
        }
    }

    fn exec_db(&self) -> ExecDb<'_> {
        let ancestry = Ancestry::of_parent(
            self.chain.store(),
            self.parent.number,
            self.block.header.parent_hash,
        );
        exec_db(&self.base, &self.diffs, ancestry)
    }

    fn invalid(&self, source: BlockError) -> ChainError {
        ChainError::invalid_block(&self.block.header, source)
    }
}

/// The state `block` executes on: a held state and the diffs of the blocks re-executed above it
/// up to `parent` (see the module docs).
fn parent_state(
    chain: &Blockchain,
    block: &Block,
    parent: &Header,
    genesis: Option<&Genesis>,
) -> Result<(StateReader, Vec<Arc<StateDiff>>), ChainError> {
    let store = chain.store();
    let unavailable = || ChainError::ParentStateUnavailable {
        number: block.header.number,
        hash: block.header.hash_slow(),
        parent: block.header.parent_hash,
    };
    // The blocks to re-execute, newest first, down to one whose state is held.
    let mut missing: Vec<Header> = Vec::new();
    let mut anchor = parent.clone();
    let base = loop {
        match store.state_at(anchor.state_root) {
            Ok(state) => break state,
            Err(StoreError::StateNotAvailable { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        if anchor.number == 0 {
            break genesis_state(&anchor, genesis)?.ok_or_else(unavailable)?;
        }
        if missing.len() as u64 >= MAX_REEXEC {
            return Err(unavailable());
        }
        let next = store
            .header_by_hash(&anchor.parent_hash)?
            .ok_or(ChainError::Store(StoreError::BlockNotFound(
                anchor.parent_hash,
            )))?;
        missing.push(std::mem::replace(&mut anchor, next));
    };
    let mut diffs: Vec<Arc<StateDiff>> = Vec::new();
    for header in missing.into_iter().rev() {
        let hash = header.hash_slow();
        let body = store
            .body_by_hash(&hash)?
            .ok_or(ChainError::Store(StoreError::BlockNotFound(hash)))?;
        let invalid = |source: BlockError| ChainError::InvalidBlock {
            number: header.number,
            hash,
            source: Box::new(source),
        };
        let ancestry = Ancestry::of_parent(store, header.number - 1, header.parent_hash);
        let db = exec_db(&base, &diffs, ancestry);
        let input = BodyInput {
            transactions: &body.transactions,
            senders: None,
            ommers: &body.ommers,
            withdrawals: body.withdrawals.as_deref().map(Vec::as_slice),
        };
        // Receipts are not kept: pre-Byzantium intermediate roots need not be computed.
        let no_roots = |_: &StateChanges| Ok(B256::ZERO);
        let run = run_block(
            chain.config(),
            &header,
            input,
            &db,
            &no_roots,
            OnInvalidTx::Reject,
            Rules::Ethereum,
        )
        .map_err(invalid)?;
        diffs.push(Arc::new(StateDiff::new(&run.changes)));
    }
    Ok((base, diffs))
}

/// The genesis state, rebuilt in memory from `genesis` when it is this chain's genesis block.
fn genesis_state(
    header: &Header,
    genesis: Option<&Genesis>,
) -> Result<Option<StateReader>, ChainError> {
    let Some(genesis) = genesis else {
        return Ok(None);
    };
    let block = genesis.block().map_err(StoreError::from)?;
    if block.header.hash_slow() != header.hash_slow() {
        return Ok(None);
    }
    let memory = Store::in_memory();
    memory.init_genesis(genesis)?;
    Ok(Some(memory.state_at(header.state_root)?))
}
