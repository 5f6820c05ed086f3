//! The mempool: transactions waiting for a block.
//!
//! Status: only the container exists (add, look up, list, remove); validation against the head
//! state, per-sender nonce queues, replacement and the size cap come next.

use std::{
    collections::HashMap,
    sync::{Mutex, MutexGuard, PoisonError},
};

use alloy_primitives::{Address, B256};
use ethrex_common::types::Transaction;

/// A transaction in the pool, with its recovered sender.
#[derive(Debug, Clone)]
pub struct PooledTransaction {
    pub transaction: Transaction,
    pub sender: Address,
}

/// Transactions waiting for a block.
#[derive(Debug)]
pub struct Mempool {
    max_size: usize,
    transactions: Mutex<HashMap<B256, PooledTransaction>>,
}

impl Mempool {
    /// An empty pool holding at most `max_size` transactions.
    pub fn new(max_size: usize) -> Self {
        Self {
            max_size,
            transactions: Mutex::new(HashMap::new()),
        }
    }

    /// The pool's capacity.
    pub fn max_size(&self) -> usize {
        self.max_size
    }

    /// Number of transactions held.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether the pool is empty.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// The transaction with this hash.
    pub fn get(&self, hash: &B256) -> Option<PooledTransaction> {
        self.lock().get(hash).cloned()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<B256, PooledTransaction>> {
        self.transactions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}
