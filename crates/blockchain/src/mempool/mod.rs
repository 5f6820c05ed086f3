//! The mempool: transactions waiting for a block.
//!
//! A transaction enters through [`Mempool::add_transaction`], which validates it against the
//! chain's head (`validate.rs`: fork rules, sender, fees, blob sidecar, nonce and balance in the
//! head state) and files it under its sender by nonce (`pool.rs`: replacement needs a 10%
//! price bump, the sender's pending transactions plus the new one must be affordable — no
//! overdraft —, a sender holds at most 64 queued transactions, a full pool evicts the lowest
//! effective tip). Per sender, the transactions from
//! the account nonce on without a gap are *pending* (executable), the rest *queued*. A block
//! builder takes [`Mempool::best_transactions`] (`best.rs`: highest effective tip first, each
//! sender in nonce order); after each new head, [`Mempool::on_new_head`] drops what the block
//! included and what can no longer be included (stale nonces, unaffordable costs).
//!
//! For gossip, the pool can journal what it admits ([`Mempool::track_additions`], then
//! [`Mempool::take_additions`]): every admitted hash once, in admission order, at most
//! `max_size` waiting (older ones are dropped first).
//!
//! Blob transactions keep their sidecar here (for the payload's blobs bundle, and for
//! `engine_getBlobs*` through [`Mempool::blobs`]); blocks carry them without.

mod best;
mod blobs;
mod error;
mod fees;
mod pool;
#[cfg(test)]
pub(crate) mod test_tx;
mod validate;

use std::{
    collections::{BTreeMap, HashSet, VecDeque},
    sync::{Arc, Mutex, MutexGuard, PoisonError},
};

use alloy_primitives::{Address, B256, U256};
use ethrex_common::types::{Block, Transaction};
use ethrex_vm::Database;

pub use error::MempoolError;
pub use fees::{effective_tip, max_cost};
pub use pool::PRICE_BUMP_PERCENT;
pub use validate::{HeadState, MAX_TX_SIZE};

use crate::{
    Blockchain,
    header::{fork_of, next_base_fee},
};
use pool::Pool;

/// Default capacity (`--mempool.maxsize`).
pub const DEFAULT_MAX_SIZE: usize = 10_000;

/// A transaction in the pool, with its recovered sender and hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PooledTransaction {
    /// The transaction as received (a blob transaction with its sidecar).
    pub transaction: Transaction,
    pub sender: Address,
    pub hash: B256,
}

/// The pool's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MempoolConfig {
    /// Most transactions held.
    pub max_size: usize,
    /// Lowest fee cap (max fee per gas, or gas price) accepted.
    pub min_fee_per_gas: U256,
}

impl Default for MempoolConfig {
    fn default() -> Self {
        Self {
            max_size: DEFAULT_MAX_SIZE,
            min_fee_per_gas: U256::from(1),
        }
    }
}

/// The pool's transactions, per sender, each list in nonce order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PoolContent {
    /// Executable: the consecutive nonces from the account's.
    pub pending: BTreeMap<Address, Vec<PooledTransaction>>,
    /// Waiting for a nonce gap to be filled.
    pub queued: BTreeMap<Address, Vec<PooledTransaction>>,
}

/// How many transactions are pending and queued.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolStatus {
    pub pending: usize,
    pub queued: usize,
}

/// Transactions waiting for a block.
#[derive(Debug)]
pub struct Mempool {
    config: MempoolConfig,
    pool: Mutex<Pool>,
    /// Admitted hashes not yet taken, when tracked (`None`: not tracked).
    additions: Mutex<Option<VecDeque<B256>>>,
}

impl Mempool {
    /// An empty pool holding at most `max_size` transactions, with the default settings
    /// otherwise.
    pub fn new(max_size: usize) -> Self {
        Self::with_config(MempoolConfig {
            max_size,
            ..Default::default()
        })
    }

    pub fn with_config(config: MempoolConfig) -> Self {
        Self {
            config,
            pool: Mutex::new(Pool::new(config.max_size)),
            additions: Mutex::new(None),
        }
    }

    /// Starts journaling admitted transactions for [`Mempool::take_additions`].
    pub fn track_additions(&self) {
        let mut additions = self
            .additions
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        additions.get_or_insert_with(VecDeque::new);
    }

    /// The hashes admitted since the last call, in admission order (empty unless
    /// [`Mempool::track_additions`] was called). Some may have left the pool since.
    pub fn take_additions(&self) -> Vec<B256> {
        let mut additions = self
            .additions
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        additions
            .as_mut()
            .map_or_else(Vec::new, |queue| queue.drain(..).collect())
    }

    fn journal(&self, hash: B256) {
        let mut additions = self
            .additions
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(queue) = additions.as_mut() {
            if queue.len() >= self.config.max_size.max(1) {
                queue.pop_front();
            }
            queue.push_back(hash);
        }
    }

    /// The pool's capacity.
    pub fn max_size(&self) -> usize {
        self.config.max_size
    }

    /// Number of transactions held.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether the pool is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the pool holds the transaction with this hash.
    pub fn contains(&self, hash: &B256) -> bool {
        self.lock().contains(hash)
    }

    /// The transaction with this hash.
    pub fn get(&self, hash: &B256) -> Option<PooledTransaction> {
        self.lock().get(hash).map(|tx| PooledTransaction::clone(tx))
    }

    /// For each of `versioned_hashes`, the pooled blob transaction whose sidecar holds that
    /// blob and the blob's index in it (`None`: no pooled transaction carries it). For
    /// `engine_getBlobs*`; one pass over the pool.
    pub fn blobs(&self, versioned_hashes: &[B256]) -> Vec<Option<(Arc<PooledTransaction>, usize)>> {
        let wanted: HashSet<&B256> = versioned_hashes.iter().collect();
        let mut found = std::collections::HashMap::new();
        {
            let pool = self.lock();
            for queue in pool.senders.values() {
                for entry in queue.txs.values() {
                    let Transaction::Eip4844(blob_tx, Some(_)) = &entry.tx.transaction else {
                        continue;
                    };
                    for (index, hash) in blob_tx.blob_versioned_hashes.iter().enumerate() {
                        if wanted.contains(hash) {
                            found.insert(*hash, (Arc::clone(&entry.tx), index));
                        }
                    }
                }
            }
        }
        versioned_hashes
            .iter()
            .map(|hash| found.get(hash).cloned())
            .collect()
    }

    /// Validates `tx` against the chain's head and adds it; returns its hash.
    pub fn add_transaction(
        &self,
        chain: &Blockchain,
        tx: Transaction,
    ) -> Result<B256, MempoolError> {
        let mut results = self.add_transactions(chain, vec![tx])?;
        results
            .pop()
            .unwrap_or_else(|| Err(MempoolError::State("no result for the transaction".into())))
    }

    /// Validates each of `txs` against the chain's head (read once) and adds it, in order; one
    /// result per transaction. Fails as a whole only when the head cannot be read.
    pub fn add_transactions(
        &self,
        chain: &Blockchain,
        txs: Vec<Transaction>,
    ) -> Result<Vec<Result<B256, MempoolError>>, MempoolError> {
        let store = chain.store();
        let header = store
            .head_header()?
            .ok_or_else(|| MempoolError::State("the chain has no head".into()))?;
        let state = store.state_at(header.state_root)?;
        let head = HeadState {
            config: chain.config(),
            header: &header,
            state: &state,
        };
        let rollup = chain.is_rollup();
        Ok(txs
            .into_iter()
            .map(|tx| {
                // The rollup's blocks take no blob transactions (no blob market on the L2).
                if rollup && matches!(tx, Transaction::Eip4844(..)) {
                    return Err(MempoolError::BlobOnRollup);
                }
                self.add(&head, tx)
            })
            .collect())
    }

    /// Validates `tx` against `head` and adds it; returns its hash.
    pub fn add(&self, head: &HeadState<'_>, tx: Transaction) -> Result<B256, MempoolError> {
        let hash = tx.hash();
        // Before validation: a resent transaction should not cost a signature recovery or a
        // KZG check.
        if self.contains(&hash) {
            return Err(MempoolError::AlreadyKnown);
        }
        let validated = validate::validate(&tx, head, self.config.min_fee_per_gas)?;
        let pooled = PooledTransaction {
            transaction: tx,
            sender: validated.sender,
            hash,
        };
        let mut pool = self.lock();
        let account = pool::HeadAccount {
            nonce: validated.account_nonce,
            balance: validated.account_balance,
        };
        pool.insert(pooled, account)?;
        ethrex_metrics::set_mempool_size(pool.len());
        drop(pool);
        self.journal(hash);
        Ok(hash)
    }

    /// Every transaction, split into pending and queued per sender.
    pub fn content(&self) -> PoolContent {
        let split = self.lock().split();
        let mut content = PoolContent::default();
        for (sender, pool::Split { pending, queued }) in split {
            if !pending.is_empty() {
                content.pending.insert(sender, unwrap_all(pending));
            }
            if !queued.is_empty() {
                content.queued.insert(sender, unwrap_all(queued));
            }
        }
        content
    }

    /// The transactions of `sender`, pending and queued (in nonce order).
    pub fn content_from(
        &self,
        sender: &Address,
    ) -> (Vec<PooledTransaction>, Vec<PooledTransaction>) {
        let split = self.lock().split_sender(sender);
        (unwrap_all(split.pending), unwrap_all(split.queued))
    }

    /// How many transactions are pending and queued.
    pub fn status(&self) -> PoolStatus {
        let pool = self.lock();
        let pending = pool
            .senders
            .values()
            .map(|queue| queue.pending().count())
            .sum();
        PoolStatus {
            pending,
            queued: pool.len() - pending,
        }
    }

    /// Whether any transaction is pending (executable now).
    pub fn has_pending(&self) -> bool {
        self.lock()
            .senders
            .values()
            .any(|queue| queue.pending().next().is_some())
    }

    /// The nonce `sender`'s next transaction should have, counting its pending ones (what
    /// `eth_getTransactionCount(address, "pending")` answers); `None` if it has none pending.
    pub fn pending_nonce(&self, sender: &Address) -> Option<u64> {
        let pool = self.lock();
        let queue = pool.senders.get(sender)?;
        queue.pending().next()?;
        Some(queue.next_nonce())
    }

    /// The pending transactions in the order a builder should try them at `base_fee`: highest
    /// effective tip first, each sender's in nonce order, none whose fee cap is below
    /// `base_fee` (nor its sender's later ones).
    pub fn best_transactions(&self, base_fee: u64) -> Vec<Arc<PooledTransaction>> {
        let runs: Vec<Vec<pool::Entry>> = {
            let pool = self.lock();
            pool.senders
                .values()
                .map(|queue| queue.pending().cloned().collect())
                .collect()
        };
        best::merge(&runs, base_fee)
    }

    /// Updates the pool for `block`, the chain's new head: drops the block's transactions,
    /// then, with each remaining sender's account in the head state, the transactions with a
    /// nonce below the account's and those costing more than its balance.
    pub fn on_new_head(&self, chain: &Blockchain, block: &Block) -> Result<(), MempoolError> {
        let header = &block.header;
        let state = chain.store().state_at(header.state_root)?;
        let base_fee = next_base_fee(header, fork_of(chain.config(), header));
        let included: Vec<B256> = block
            .body
            .transactions
            .iter()
            .map(Transaction::hash)
            .collect();
        self.update(&included, base_fee, &state)
    }

    /// [`Mempool::on_new_head`] given the `included` hashes, the next block's `base_fee` and the
    /// head `state`.
    pub fn update(
        &self,
        included: &[B256],
        base_fee: u64,
        state: &dyn Database,
    ) -> Result<(), MempoolError> {
        let senders: HashSet<Address> = {
            let mut pool = self.lock();
            pool.set_base_fee(base_fee);
            for hash in included {
                pool.remove(hash);
            }
            pool.senders.keys().copied().collect()
        };
        // The state is read without holding the lock.
        let mut accounts = Vec::with_capacity(senders.len());
        for sender in senders {
            let account = state.account(&sender)?.unwrap_or_default();
            accounts.push((sender, account.nonce, account.balance));
        }
        let mut pool = self.lock();
        for (sender, nonce, balance) in accounts {
            pool.refresh_sender(sender, nonce, balance);
        }
        ethrex_metrics::set_mempool_size(pool.len());
        Ok(())
    }

    fn lock(&self) -> MutexGuard<'_, Pool> {
        self.pool.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn unwrap_all(txs: Vec<Arc<PooledTransaction>>) -> Vec<PooledTransaction> {
    txs.into_iter().map(Arc::unwrap_or_clone).collect()
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use alloy_primitives::Bytes;
    use ethrex_common::{ChainConfig, Fork, dev::DEV_CHAIN_ID, types::Header};
    use ethrex_vm::InMemoryDb;

    use super::*;
    use crate::mempool::test_tx::{sender, sign, transfer};

    const BASE_FEE: u64 = 1_000_000_000;

    /// An Osaka head where dev accounts 0 to 2 are rich, at nonce 0.
    fn head() -> (ChainConfig, Header, InMemoryDb) {
        let mut db = InMemoryDb::default();
        for i in 0..3 {
            db.insert_account(sender(i), 0, U256::MAX, Bytes::new(), HashMap::new());
        }
        let header = Header {
            gas_limit: 30_000_000,
            base_fee_per_gas: Some(BASE_FEE),
            ..Default::default()
        };
        (
            ChainConfig::all_active_up_to(DEV_CHAIN_ID, Fork::Osaka),
            header,
            db,
        )
    }

    fn add(pool: &Mempool, from: usize, nonce: u64, tip: u64) -> Result<B256, MempoolError> {
        let (config, header, db) = head();
        let head = HeadState {
            config: &config,
            header: &header,
            state: &db,
        };
        pool.add(&head, sign(transfer(nonce, 2 * BASE_FEE, tip), from))
    }

    #[test]
    fn added_transactions_are_found_and_counted_as_pending_or_queued() {
        let pool = Mempool::new(100);
        let hash = add(&pool, 0, 0, 1).unwrap();
        add(&pool, 0, 1, 1).unwrap();
        add(&pool, 1, 5, 1).unwrap();
        assert_eq!(pool.get(&hash).unwrap().sender, sender(0));
        assert_eq!(
            pool.status(),
            PoolStatus {
                pending: 2,
                queued: 1
            }
        );
        assert_eq!(pool.pending_nonce(&sender(0)), Some(2));
        assert_eq!(pool.pending_nonce(&sender(1)), None);
        let content = pool.content();
        assert_eq!(content.pending[&sender(0)].len(), 2);
        assert_eq!(content.queued[&sender(1)][0].transaction.nonce(), 5);
        assert_eq!(add(&pool, 0, 0, 1), Err(MempoolError::AlreadyKnown));
    }

    #[test]
    fn admitted_hashes_are_journaled_once_when_tracked() {
        let pool = Mempool::new(2);
        add(&pool, 0, 0, 1).unwrap();
        assert!(pool.take_additions().is_empty(), "not tracked yet");
        pool.track_additions();
        let first = add(&pool, 1, 0, 1).unwrap();
        assert_eq!(add(&pool, 1, 0, 1), Err(MempoolError::AlreadyKnown));
        let _ = add(&pool, 1, 1, 0);
        let third = add(&pool, 2, 0, 5).unwrap();
        let journal = pool.take_additions();
        assert_eq!(journal.first(), Some(&first));
        assert_eq!(journal.last(), Some(&third));
        assert!(journal.len() <= 2, "at most max_size waiting: {journal:?}");
        assert!(pool.take_additions().is_empty(), "taken once");
    }

    #[test]
    fn a_new_head_removes_included_and_stale_transactions() {
        let pool = Mempool::new(100);
        let included = add(&pool, 0, 0, 1).unwrap();
        add(&pool, 0, 1, 1).unwrap();
        add(&pool, 1, 0, 1).unwrap();
        // The block included sender 0's first; sender 1's nonce moved on (another node's
        // transaction).
        let (_, _, mut state) = head();
        state.insert_account(sender(0), 1, U256::MAX, Bytes::new(), HashMap::new());
        state.insert_account(sender(1), 1, U256::MAX, Bytes::new(), HashMap::new());
        pool.update(&[included], BASE_FEE, &state).unwrap();
        assert_eq!(pool.len(), 1);
        assert_eq!(pool.content().pending[&sender(0)][0].transaction.nonce(), 1);
    }

    #[test]
    fn best_transactions_respect_the_base_fee() {
        let pool = Mempool::new(100);
        add(&pool, 0, 0, 5).unwrap();
        add(&pool, 1, 0, 9).unwrap();
        let tips: Vec<U256> = pool
            .best_transactions(BASE_FEE)
            .iter()
            .map(|t| effective_tip(&t.transaction, BASE_FEE).unwrap_or_default())
            .collect();
        assert_eq!(tips, [U256::from(9), U256::from(5)]);
        assert!(pool.best_transactions(3 * BASE_FEE).is_empty());
    }
}
