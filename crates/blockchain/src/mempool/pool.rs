//! [`Pool`]: the mempool's data, without validation: per-sender nonce queues, replacement of a
//! (sender, nonce) with a price bump, the size cap, and the pending/queued split.
//!
//! Invariants: every transaction is indexed by hash exactly once; every transaction of a sender
//! has a nonce at or above that sender's recorded account nonce; a sender with no transaction
//! has no entry. A sender's *pending* transactions are the run of consecutive nonces starting
//! at its account nonce (executable in order); the rest (beyond a gap) are *queued*.

use std::{
    collections::{BTreeMap, HashMap},
    sync::Arc,
};

use alloy_primitives::{Address, B256, U256};

use super::{MempoolError, PooledTransaction, fees};

/// Percentage by which a replacement must raise both the fee cap and the tip (geth's
/// `--txpool.pricebump`).
pub const PRICE_BUMP_PERCENT: u64 = 10;

/// A transaction held, with its arrival order (earlier wins ties).
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub(crate) tx: Arc<PooledTransaction>,
    pub(crate) seq: u64,
}

/// One sender's transactions.
#[derive(Debug, Default)]
pub(crate) struct SenderQueue {
    /// The account's nonce at the head the pool last saw.
    pub(crate) nonce: u64,
    pub(crate) txs: BTreeMap<u64, Entry>,
}

impl SenderQueue {
    /// The run of consecutive nonces from the account nonce.
    pub(crate) fn pending(&self) -> impl Iterator<Item = &Entry> {
        self.txs
            .range(self.nonce..)
            .zip(self.nonce..)
            .take_while(|((nonce, _), expected)| *nonce == expected)
            .map(|((_, entry), _)| entry)
    }

    /// The nonce after the pending run.
    pub(crate) fn next_nonce(&self) -> u64 {
        self.nonce + self.pending().count() as u64
    }
}

/// One sender's transactions, split at the first nonce gap.
#[derive(Debug, Default)]
pub(crate) struct Split {
    /// From the account nonce on, without a gap, in nonce order.
    pub(crate) pending: Vec<Arc<PooledTransaction>>,
    /// The rest, in nonce order.
    pub(crate) queued: Vec<Arc<PooledTransaction>>,
}

/// Most *queued* transactions (beyond a nonce gap, not executable yet) one sender may have
/// (geth's `--txpool.accountqueue`): one sender cannot fill the pool with transactions that
/// may never become executable.
pub const MAX_QUEUED_PER_SENDER: usize = 64;

/// The sender's account in the head state a transaction was validated against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct HeadAccount {
    pub(crate) nonce: u64,
    pub(crate) balance: U256,
}

/// What an insertion did.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Inserted {
    /// The transaction it replaced (same sender and nonce).
    pub(crate) replaced: Option<B256>,
    /// The transaction evicted to make room.
    pub(crate) evicted: Option<B256>,
}

/// The transactions of the pool.
#[derive(Debug)]
pub(crate) struct Pool {
    max_size: usize,
    /// The base fee effective tips are measured against (the next block's).
    base_fee: u64,
    next_seq: u64,
    by_hash: HashMap<B256, (Address, u64)>,
    pub(crate) senders: HashMap<Address, SenderQueue>,
}

impl Pool {
    pub(crate) fn new(max_size: usize) -> Self {
        Self {
            max_size,
            base_fee: 0,
            next_seq: 0,
            by_hash: HashMap::new(),
            senders: HashMap::new(),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.by_hash.len()
    }

    pub(crate) fn contains(&self, hash: &B256) -> bool {
        self.by_hash.contains_key(hash)
    }

    pub(crate) fn get(&self, hash: &B256) -> Option<&Arc<PooledTransaction>> {
        let (sender, nonce) = self.by_hash.get(hash)?;
        Some(&self.senders.get(sender)?.txs.get(nonce)?.tx)
    }

    pub(crate) fn set_base_fee(&mut self, base_fee: u64) {
        self.base_fee = base_fee;
    }

    /// Adds `tx`, whose sender's account at the head it was validated on is `account`:
    /// replaces the sender's transaction of the same nonce if `tx` pays at least
    /// [`PRICE_BUMP_PERCENT`] more in fee cap and tip; refuses it when the sender's pending
    /// transactions and it together could cost more than the balance (geth's rule: the
    /// replaced transaction's cost does not count); when the pool is full, evicts the
    /// transaction with the lowest effective tip, unless `tx` has the lowest.
    pub(crate) fn insert(
        &mut self,
        tx: PooledTransaction,
        account: HeadAccount,
    ) -> Result<Inserted, MempoolError> {
        if self.by_hash.contains_key(&tx.hash) {
            return Err(MempoolError::AlreadyKnown);
        }
        let account_nonce = account.nonce;
        let nonce = tx.transaction.nonce();
        let known_nonce = self
            .senders
            .get(&tx.sender)
            .map_or(account_nonce, |queue| queue.nonce.max(account_nonce));
        if nonce < known_nonce {
            return Err(MempoolError::NonceTooLow {
                tx: nonce,
                state: known_nonce,
            });
        }
        self.check_overdraft(&tx, account.balance)?;
        let existing = self
            .senders
            .get(&tx.sender)
            .and_then(|queue| queue.txs.get(&nonce));
        if existing.is_none() {
            self.check_queue_room(tx.sender, nonce, known_nonce)?;
        }
        let mut inserted = Inserted::default();
        match existing {
            Some(old) => {
                if !fees::is_sufficient_bump(&old.tx.transaction, &tx.transaction) {
                    return Err(MempoolError::ReplaceUnderpriced);
                }
                inserted.replaced = Some(old.tx.hash);
            }
            None if self.len() >= self.max_size => {
                let tip = fees::effective_tip(&tx.transaction, self.base_fee).unwrap_or_default();
                let Some((cheapest, cheapest_tip)) = self.cheapest() else {
                    return Err(MempoolError::PoolFull);
                };
                if tip <= cheapest_tip {
                    return Err(MempoolError::PoolFull);
                }
                self.remove(&cheapest);
                inserted.evicted = Some(cheapest);
            }
            None => {}
        }
        if let Some(old) = inserted.replaced {
            self.by_hash.remove(&old);
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.by_hash.insert(tx.hash, (tx.sender, nonce));
        let queue = self.senders.entry(tx.sender).or_default();
        queue.nonce = known_nonce;
        let tx = Arc::new(tx);
        queue.txs.insert(nonce, Entry { tx, seq });
        Ok(inserted)
    }

    /// Refuses a new transaction of `sender` at `nonce` that would be queued (its nonce leaves a
    /// gap after the pending run from `account_nonce`) when the sender already has
    /// [`MAX_QUEUED_PER_SENDER`] queued.
    fn check_queue_room(
        &self,
        sender: Address,
        nonce: u64,
        account_nonce: u64,
    ) -> Result<(), MempoolError> {
        let Some(queue) = self.senders.get(&sender) else {
            return Ok(());
        };
        let pending = queue.pending().count();
        let next = account_nonce.max(queue.nonce) + pending as u64;
        let queued = queue.txs.len() - pending;
        if nonce > next && queued >= MAX_QUEUED_PER_SENDER {
            return Err(MempoolError::AccountQueueFull {
                sender,
                limit: MAX_QUEUED_PER_SENDER,
            });
        }
        Ok(())
    }

    /// Refuses `tx` when its sender's pending transactions (but the one `tx` would replace)
    /// plus `tx` could cost more than `balance`.
    fn check_overdraft(&self, tx: &PooledTransaction, balance: U256) -> Result<(), MempoolError> {
        let nonce = tx.transaction.nonce();
        let queued = self.senders.get(&tx.sender).map_or(U256::ZERO, |queue| {
            queue
                .pending()
                .filter(|entry| entry.tx.transaction.nonce() != nonce)
                .fold(U256::ZERO, |sum, entry| {
                    sum.saturating_add(fees::max_cost(&entry.tx.transaction))
                })
        });
        let cost = fees::max_cost(&tx.transaction);
        if queued.saturating_add(cost) > balance {
            return Err(MempoolError::Overdraft {
                balance,
                queued,
                cost,
            });
        }
        Ok(())
    }

    /// Removes the transaction with this hash; whether it was held.
    pub(crate) fn remove(&mut self, hash: &B256) -> bool {
        let Some((sender, nonce)) = self.by_hash.remove(hash) else {
            return false;
        };
        if let Some(queue) = self.senders.get_mut(&sender) {
            queue.txs.remove(&nonce);
            if queue.txs.is_empty() {
                self.senders.remove(&sender);
            }
        }
        true
    }

    /// Records `sender`'s account at a new head: drops its transactions below `nonce` (included
    /// or replaced on chain) and those costing more than `balance`. Returns how many it dropped.
    pub(crate) fn refresh_sender(&mut self, sender: Address, nonce: u64, balance: U256) -> usize {
        let Some(queue) = self.senders.get_mut(&sender) else {
            return 0;
        };
        queue.nonce = nonce;
        let dropped: Vec<B256> = queue
            .txs
            .iter()
            .filter(|(n, entry)| **n < nonce || fees::max_cost(&entry.tx.transaction) > balance)
            .map(|(_, entry)| entry.tx.hash)
            .collect();
        for hash in &dropped {
            self.remove(hash);
        }
        dropped.len()
    }

    /// The transaction with the lowest effective tip (the latest arrival among equals).
    fn cheapest(&self) -> Option<(B256, U256)> {
        self.senders
            .values()
            .flat_map(|queue| queue.txs.values())
            .map(|entry| {
                let tip = fees::effective_tip(&entry.tx.transaction, self.base_fee);
                (
                    tip.unwrap_or_default(),
                    std::cmp::Reverse(entry.seq),
                    entry.tx.hash,
                )
            })
            .min()
            .map(|(tip, _, hash)| (hash, tip))
    }

    /// Per sender, the pending transactions (in nonce order) and the queued ones.
    pub(crate) fn split(&self) -> BTreeMap<Address, Split> {
        self.senders
            .iter()
            .map(|(sender, queue)| (*sender, split_queue(queue)))
            .collect()
    }

    /// The pending and queued transactions of `sender`.
    pub(crate) fn split_sender(&self, sender: &Address) -> Split {
        self.senders
            .get(sender)
            .map(split_queue)
            .unwrap_or_default()
    }
}

fn split_queue(queue: &SenderQueue) -> Split {
    let pending: Vec<Arc<PooledTransaction>> = queue.pending().map(|e| Arc::clone(&e.tx)).collect();
    let queued = queue
        .txs
        .values()
        .skip(pending.len())
        .map(|e| Arc::clone(&e.tx))
        .collect();
    Split { pending, queued }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mempool::test_tx::{FEE_CAP, sender, tx_from, with_fees};

    fn pool(max_size: usize) -> Pool {
        Pool::new(max_size)
    }

    /// A head account at `nonce` that can pay for anything.
    fn at_nonce(nonce: u64) -> HeadAccount {
        HeadAccount {
            nonce,
            balance: U256::MAX,
        }
    }

    fn nonces(txs: &[Arc<PooledTransaction>]) -> Vec<u64> {
        txs.iter().map(|t| t.transaction.nonce()).collect()
    }

    #[test]
    fn pending_is_the_consecutive_run_from_the_account_nonce_and_the_rest_is_queued() {
        let mut pool = pool(100);
        for nonce in [3, 4, 6, 5, 9] {
            pool.insert(tx_from(0, nonce, 10), at_nonce(3)).unwrap();
        }
        let Split { pending, queued } = pool.split_sender(&sender(0));
        assert_eq!(nonces(&pending), [3, 4, 5, 6]);
        assert_eq!(nonces(&queued), [9]);
        assert_eq!(pool.senders[&sender(0)].next_nonce(), 7);
        // A gap right at the account nonce: everything is queued.
        let mut pool = Pool::new(100);
        pool.insert(tx_from(0, 1, 10), at_nonce(0)).unwrap();
        let Split { pending, queued } = pool.split_sender(&sender(0));
        assert_eq!((pending.len(), nonces(&queued)), (0, vec![1]));
    }

    #[test]
    fn the_same_transaction_twice_is_already_known() {
        let mut pool = pool(100);
        pool.insert(tx_from(0, 0, 10), at_nonce(0)).unwrap();
        assert_eq!(
            pool.insert(tx_from(0, 0, 10), at_nonce(0)),
            Err(MempoolError::AlreadyKnown)
        );
    }

    #[test]
    fn replacement_needs_ten_percent_more_fee_cap_and_tip() {
        let mut pool = pool(100);
        let original = with_fees(0, 0, 100, 10);
        let original_hash = original.hash;
        pool.insert(original, at_nonce(0)).unwrap();
        // (fee cap, tip) of candidate replacements: only the last bumps both by 10%.
        let refused = [(109, 11), (110, 10), (200, 10), (109, 100)];
        for (fee_cap, tip) in refused {
            assert_eq!(
                pool.insert(with_fees(0, 0, fee_cap, tip), at_nonce(0)),
                Err(MempoolError::ReplaceUnderpriced),
                "fee cap {fee_cap}, tip {tip}"
            );
        }
        let bumped = with_fees(0, 0, 110, 11);
        let bumped_hash = bumped.hash;
        let inserted = pool.insert(bumped, at_nonce(0)).unwrap();
        assert_eq!(inserted.replaced, Some(original_hash));
        assert_eq!(pool.len(), 1);
        assert!(!pool.contains(&original_hash));
        assert!(pool.contains(&bumped_hash));
    }

    #[test]
    fn a_full_pool_evicts_the_lowest_effective_tip_or_refuses_a_cheaper_one() {
        let mut pool = pool(2);
        pool.set_base_fee(100);
        let cheap = with_fees(0, 0, 105, 50); // effective tip 5
        let cheap_hash = cheap.hash;
        pool.insert(cheap, at_nonce(0)).unwrap();
        pool.insert(with_fees(1, 0, 200, 20), at_nonce(0)).unwrap(); // tip 20
        // Effective tip 5 again: not better than the cheapest, refused.
        assert_eq!(
            pool.insert(with_fees(2, 0, 1000, 5), at_nonce(0)),
            Err(MempoolError::PoolFull)
        );
        let inserted = pool.insert(with_fees(2, 0, 1000, 6), at_nonce(0)).unwrap();
        assert_eq!(inserted.evicted, Some(cheap_hash));
        assert_eq!(pool.len(), 2);
        // A replacement does not grow the pool: no eviction.
        let inserted = pool.insert(with_fees(1, 0, 220, 22), at_nonce(0)).unwrap();
        assert_eq!(inserted.evicted, None);
    }

    #[test]
    fn a_new_head_drops_stale_nonces_and_unaffordable_transactions() {
        let mut pool = pool(100);
        for nonce in 0..4 {
            pool.insert(tx_from(0, nonce, 10), at_nonce(0)).unwrap();
        }
        pool.insert(tx_from(1, 0, 10), at_nonce(0)).unwrap();
        // Sender 0 had two included; sender 1 can no longer pay.
        assert_eq!(pool.refresh_sender(sender(0), 2, U256::MAX), 2);
        assert_eq!(pool.refresh_sender(sender(1), 0, U256::from(1)), 1);
        let pending = pool.split_sender(&sender(0)).pending;
        assert_eq!(nonces(&pending), [2, 3]);
        assert!(!pool.senders.contains_key(&sender(1)));
        assert_eq!(pool.len(), 2);
        // Below the recorded account nonce is too low now.
        assert_eq!(
            pool.insert(tx_from(0, 1, 99), at_nonce(0)),
            Err(MempoolError::NonceTooLow { tx: 1, state: 2 })
        );
    }

    #[test]
    fn a_transaction_the_balance_cannot_pay_after_the_pending_ones_is_an_overdraft() {
        let mut pool = pool(100);
        let cost = fees::max_cost(&tx_from(0, 0, 10).transaction);
        // Room for exactly two transfers.
        let account = HeadAccount {
            nonce: 0,
            balance: cost * U256::from(2),
        };
        pool.insert(tx_from(0, 0, 10), account).unwrap();
        pool.insert(tx_from(0, 1, 10), account).unwrap();
        assert_eq!(
            pool.insert(tx_from(0, 2, 10), account),
            Err(MempoolError::Overdraft {
                balance: cost * U256::from(2),
                queued: cost * U256::from(2),
                cost,
            })
        );
        // Replacing a pending transaction does not count the one it replaces.
        let bumped = with_fees(0, 1, 2 * FEE_CAP, 20);
        let bumped_cost = fees::max_cost(&bumped.transaction);
        let short = HeadAccount {
            balance: cost + bumped_cost - U256::from(1),
            ..account
        };
        assert!(matches!(
            pool.insert(bumped.clone(), short),
            Err(MempoolError::Overdraft { .. })
        ));
        let enough = HeadAccount {
            balance: cost + bumped_cost,
            ..account
        };
        assert!(pool.insert(bumped, enough).unwrap().replaced.is_some());
        // Another sender has its own budget.
        pool.insert(tx_from(1, 0, 10), account).unwrap();
    }

    #[test]
    fn a_sender_may_queue_only_so_many_gapped_transactions() {
        let mut pool = pool(1_000);
        // Nonce 0 is missing: every one of these is queued.
        for nonce in 1..=MAX_QUEUED_PER_SENDER as u64 {
            pool.insert(tx_from(0, nonce, 10), at_nonce(0)).unwrap();
        }
        let next = MAX_QUEUED_PER_SENDER as u64 + 1;
        assert_eq!(
            pool.insert(tx_from(0, next, 10), at_nonce(0)),
            Err(MempoolError::AccountQueueFull {
                sender: sender(0),
                limit: MAX_QUEUED_PER_SENDER,
            })
        );
        // Replacing a queued one, filling the gap, and other senders are still fine.
        pool.insert(with_fees(0, 5, 2 * FEE_CAP, 20), at_nonce(0))
            .unwrap();
        pool.insert(tx_from(1, 3, 10), at_nonce(0)).unwrap();
        pool.insert(tx_from(0, 0, 10), at_nonce(0)).unwrap();
        // With the gap filled they are all pending, and the sender may queue again.
        assert_eq!(pool.split_sender(&sender(0)).queued.len(), 0);
        pool.insert(tx_from(0, next + 1, 10), at_nonce(0)).unwrap();
    }
}
