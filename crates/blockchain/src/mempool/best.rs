//! The order a block builder takes pending transactions in: highest effective tip first, each
//! sender's in nonce order. A merge of the per-sender queues: a heap holds each sender's next
//! transaction, keyed by its effective tip (earlier arrival first among equals); taking one
//! puts that sender's next in its place. A transaction whose fee cap is below the base fee ends
//! its sender's run (neither it nor its successors can be included).

use std::{cmp::Ordering, collections::BinaryHeap, sync::Arc};

use alloy_primitives::U256;

use super::{PooledTransaction, fees, pool::Entry};

/// A sender's next transaction in the merge.
struct Head {
    tip: U256,
    seq: u64,
    /// The sender's pending run, and the index of this transaction in it.
    run: usize,
    index: usize,
}

impl PartialEq for Head {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Head {}

impl PartialOrd for Head {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Head {
    /// Higher tip first, then earlier arrival.
    fn cmp(&self, other: &Self) -> Ordering {
        self.tip
            .cmp(&other.tip)
            .then_with(|| other.seq.cmp(&self.seq))
    }
}

/// Merges the pending `runs` (each one sender's, in nonce order) into the order a builder
/// should try them at `base_fee`.
pub(crate) fn merge(runs: &[Vec<Entry>], base_fee: u64) -> Vec<Arc<PooledTransaction>> {
    let head_of = |run: usize, index: usize| -> Option<Head> {
        let entry = runs.get(run)?.get(index)?;
        let tip = fees::effective_tip(&entry.tx.transaction, base_fee)?;
        Some(Head {
            tip,
            seq: entry.seq,
            run,
            index,
        })
    };
    let mut heap: BinaryHeap<Head> = (0..runs.len()).filter_map(|run| head_of(run, 0)).collect();
    let mut order = Vec::with_capacity(runs.iter().map(Vec::len).sum());
    while let Some(head) = heap.pop() {
        if let Some(entry) = runs.get(head.run).and_then(|run| run.get(head.index)) {
            order.push(Arc::clone(&entry.tx));
        }
        if let Some(next) = head_of(head.run, head.index + 1) {
            heap.push(next);
        }
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mempool::test_tx::{tx_from, with_fees};

    fn entries(txs: Vec<PooledTransaction>, first_seq: u64) -> Vec<Entry> {
        txs.into_iter()
            .zip(first_seq..)
            .map(|(tx, seq)| Entry {
                tx: Arc::new(tx),
                seq,
            })
            .collect()
    }

    fn order(runs: &[Vec<Entry>], base_fee: u64) -> Vec<(u64, u64)> {
        merge(runs, base_fee)
            .iter()
            .map(|t| {
                let tip = t.transaction.max_priority_fee_per_gas().unwrap_or_default();
                (t.transaction.nonce(), tip.to::<u64>())
            })
            .collect()
    }

    #[test]
    fn higher_tips_go_first_but_never_ahead_of_a_lower_nonce_of_the_same_sender() {
        // Sender A: tips 1, 50; sender B: tips 10, 5.
        let a = entries(vec![tx_from(0, 0, 1), tx_from(0, 1, 50)], 0);
        let b = entries(vec![tx_from(1, 0, 10), tx_from(1, 1, 5)], 10);
        assert_eq!(order(&[a, b], 0), [(0, 10), (1, 5), (0, 1), (1, 50)]);
    }

    #[test]
    fn equal_tips_go_in_arrival_order() {
        let late = entries(vec![tx_from(0, 0, 7)], 5);
        let early = entries(vec![tx_from(1, 3, 7)], 1);
        assert_eq!(order(&[late, early], 0), [(3, 7), (0, 7)]);
    }

    #[test]
    fn the_effective_tip_counts_and_a_fee_cap_below_the_base_fee_ends_the_run() {
        // At base fee 100: A's first pays min(50, 110 - 100) = 10, B's pays 20; A's second
        // cannot pay the base fee, so A's third is unreachable too.
        let a = entries(
            vec![
                with_fees(0, 0, 110, 50),
                with_fees(0, 1, 99, 99),
                with_fees(0, 2, 1000, 90),
            ],
            0,
        );
        let b = entries(vec![with_fees(1, 0, 1000, 20)], 10);
        assert_eq!(order(&[a, b], 100), [(0, 20), (0, 50)]);
    }
}
