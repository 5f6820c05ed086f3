//! Test helpers: [`Harness`] opens a store on either backend (and reopens it), the
//! [`backend_tests!`] macro runs a test function once per backend, and block fixtures.

use std::{collections::BTreeSet, sync::Arc};

use alloy_consensus::{Receipt as ReceiptData, ReceiptWithBloom};
use alloy_primitives::{Address, B256, Bytes, Log, LogData, TxKind, U256, keccak256};
use ethrex_common::{
    state::{AccountChange, Database, InMemoryDb, StateChanges},
    types::{Block, BlockBody, Eip1559Tx, Header, Receipt, Transaction},
};

use crate::{KvBackend, MemoryBackend, Result, RocksDbBackend, StateReader, Store};

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

/// A deterministic pseudo-random sequence (xorshift).
pub(crate) struct Rng(pub(crate) u64);
impl Rng {
    pub(crate) fn next(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % bound
    }
}

pub(crate) fn address(i: u64) -> Address {
    Address::left_padding_from(&i.to_be_bytes())
}

/// Random changes over accounts `0..40`: creations, updates, deletions, storage writes.
pub(crate) fn random_changes(rng: &mut Rng, model: &InMemoryDb) -> StateChanges {
    let mut touched = BTreeSet::new();
    let mut accounts = Vec::new();
    for _ in 0..25 {
        let i = rng.next(40);
        if !touched.insert(i) {
            continue;
        }
        let addr = address(i);
        let exists = model.accounts.contains_key(&addr);
        if exists && rng.next(6) == 0 {
            accounts.push(AccountChange {
                address: addr,
                info: None,
                code: None,
                storage_cleared: false,
                storage: vec![],
            });
            continue;
        }
        let code = (rng.next(3) == 0).then(|| Bytes::from(vec![0x60, i as u8, 0x00]));
        let mut info = model
            .accounts
            .get(&addr)
            .map(|a| a.info)
            .unwrap_or_default();
        info.nonce += 1;
        info.balance += U256::from(rng.next(1_000_000));
        if let Some(code) = &code {
            info.code_hash = keccak256(code);
        }
        let storage = (0..rng.next(8))
            .map(|_| (U256::from(rng.next(12)), U256::from(rng.next(4))))
            .collect::<std::collections::BTreeMap<_, _>>()
            .into_iter()
            .collect();
        let storage_cleared = exists && rng.next(8) == 0;
        accounts.push(AccountChange {
            address: addr,
            info: Some(info),
            code,
            storage_cleared,
            storage,
        });
    }
    StateChanges { accounts }
}

pub(crate) fn assert_reader_matches(reader: &StateReader, model: &InMemoryDb) {
    for i in 0..40 {
        let addr = address(i);
        let expected = model.accounts.get(&addr);
        assert_eq!(
            reader.account(&addr).unwrap(),
            expected.map(|a| a.info),
            "account {i}"
        );
        let from_trie = reader.account_state_from_trie(&addr).unwrap();
        assert_eq!(
            from_trie.map(|a| (a.nonce, a.balance, a.code_hash)),
            expected.map(|a| (a.info.nonce, a.info.balance, a.info.code_hash))
        );
        assert_eq!(
            reader.has_storage(&addr).unwrap(),
            expected.is_some_and(|a| !a.storage.is_empty()),
            "has_storage {i}"
        );
        for slot in 0..12u64 {
            let slot = U256::from(slot);
            let want = expected
                .and_then(|a| a.storage.get(&slot).copied())
                .unwrap_or_default();
            assert_eq!(
                reader.storage(&addr, &slot).unwrap(),
                want,
                "account {i} slot {slot}"
            );
            assert_eq!(
                reader.storage_value_from_trie(&addr, &slot).unwrap(),
                want,
                "trie: account {i} slot {slot}"
            );
        }
        if let Some(account) = expected {
            assert_eq!(
                reader.code(&account.info.code_hash).unwrap(),
                account.code,
                "code of {i}"
            );
        }
    }
}
