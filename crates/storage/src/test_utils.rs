//! Test helpers: [`Harness`] opens a store on either backend (and reopens it), the
//! [`backend_tests!`] macro runs a test function once per backend, and block fixtures.

use std::sync::Arc;

use alloy_consensus::{Receipt as ReceiptData, ReceiptWithBloom};
use alloy_primitives::{Address, B256, Bytes, Log, LogData, TxKind, U256};
use ethrex_common::types::{Block, BlockBody, Eip1559Tx, Header, Receipt, Transaction};

use crate::{KvBackend, MemoryBackend, Result, RocksDbBackend, Store};

/// Which backend a test runs on.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Kind {
    Memory,
    RocksDb,
}

/// A database a test can open, close and reopen.
pub(crate) struct Harness {
    memory: Arc<MemoryBackend>,
    dir: Option<tempfile::TempDir>,
}

impl Harness {
    pub(crate) fn new(kind: Kind) -> Self {
        let dir = match kind {
            Kind::Memory => None,
            Kind::RocksDb => Some(tempfile::tempdir().unwrap()),
        };
        Self {
            memory: Arc::new(MemoryBackend::new()),
            dir,
        }
    }

    /// Opens the store (RocksDB: the previous `Store` must be dropped first).
    pub(crate) fn try_open(&self) -> Result<Store> {
        match &self.dir {
            None => Store::from_backend(self.memory.clone()),
            Some(dir) => Store::open(dir.path()),
        }
    }

    pub(crate) fn open(&self) -> Store {
        self.try_open().unwrap()
    }

    /// The raw backend, without the store's schema check (RocksDB: no store may be open).
    pub(crate) fn raw(&self) -> Arc<dyn KvBackend> {
        match &self.dir {
            None => self.memory.clone(),
            Some(dir) => Arc::new(RocksDbBackend::open(dir.path()).unwrap()),
        }
    }
}

/// Runs each named `fn(&Harness)` of the enclosing module once in memory and once on RocksDB,
/// as tests `<name>::memory` and `<name>::rocksdb`.
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                use $crate::test_utils::{Harness, Kind};
                #[test]
                fn memory() {
                    super::$name(&Harness::new(Kind::Memory));
                }
                #[test]
                fn rocksdb() {
                    super::$name(&Harness::new(Kind::RocksDb));
                }
            }
        )*
    };
}
pub(crate) use backend_tests;

/// A signed-looking EIP-1559 transaction (the signature is not checked by the store).
pub(crate) fn tx(nonce: u64) -> Transaction {
    Transaction::Eip1559(Eip1559Tx {
        chain_id: 1,
        nonce,
        gas_limit: 21_000,
        to: TxKind::Call(Address::repeat_byte(0x11)),
        value: U256::from(nonce),
        data: Bytes::from(vec![nonce as u8; 3]),
        r: U256::from(1),
        s: U256::from(2),
        ..Default::default()
    })
}

pub(crate) fn receipt(i: u64) -> Receipt {
    let log = Log {
        address: Address::repeat_byte(i as u8),
        data: LogData::new_unchecked(vec![B256::repeat_byte(i as u8)], Bytes::from(vec![1, 2])),
    };
    Receipt::Eip1559(ReceiptWithBloom::from(ReceiptData {
        status: true.into(),
        cumulative_gas_used: 21_000 * (i + 1),
        logs: vec![log],
    }))
}

/// A chain of `len` blocks from number 0, block `n` holding `n % 3` transactions; `salt` makes
/// a different chain (a fork) of the same numbers.
pub(crate) fn chain(len: u64, salt: u8) -> Vec<(Block, Vec<Receipt>)> {
    let mut parent = B256::ZERO;
    let mut blocks = Vec::new();
    for number in 0..len {
        let txs: Vec<_> = (0..number % 3)
            .map(|i| tx(u64::from(salt) * 1000 + number * 10 + i))
            .collect();
        let receipts = (0..number % 3).map(receipt).collect();
        let header = Header {
            parent_hash: parent,
            number,
            gas_limit: 30_000_000,
            timestamp: number * 12,
            extra_data: Bytes::from(vec![salt]),
            ..Default::default()
        };
        parent = header.hash_slow();
        let body = BlockBody {
            transactions: txs,
            ommers: vec![],
            withdrawals: None,
        };
        blocks.push((Block::new(header, body), receipts));
    }
    blocks
}
