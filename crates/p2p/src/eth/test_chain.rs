//! A small chain for the eth tests: a Prague genesis and blocks 1..=N, each with a legacy, an
//! EIP-2930 and an EIP-1559 transaction and their receipts (with logs), written straight to an
//! in-memory store (no execution: serving only reads what is stored).

use alloy_consensus::ReceiptWithBloom;
use alloy_eips::{eip4844::BlobTransactionSidecar, eip7594::BlobTransactionSidecarVariant};
use alloy_primitives::{Address, B256, Bytes, FixedBytes, Log, LogData};
use ethrex_common::{
    Fork,
    constants::EMPTY_OMMERS_HASH,
    types::{
        Block, BlockBody, Header, Receipt, ReceiptData, Transaction, receipts_root,
        transactions_root, withdrawals_root,
    },
};
use ethrex_storage::Store;
use ethrex_test_utils::{GenesisBuilder, TxBuilder};

/// Three transactions of three types, nonces from `3 * block`.
pub(crate) fn transactions(block: u64) -> Vec<Transaction> {
    let base = TxBuilder::new().data(vec![block as u8; 40]);
    vec![
        base.clone().nonce(3 * block).legacy(),
        base.clone().nonce(3 * block + 1).eip2930(),
        base.nonce(3 * block + 2).eip1559(),
    ]
}

/// A receipt for each transaction, with one log each.
pub(crate) fn receipts(txs: &[Transaction]) -> Vec<Receipt> {
    (0u64..)
        .zip(txs)
        .map(|(i, tx)| {
            let log = Log {
                address: Address::repeat_byte(i as u8 + 1),
                data: LogData::new_unchecked(vec![B256::repeat_byte(7)], Bytes::from(vec![1, 2])),
            };
            let data = ReceiptData {
                status: (i % 2 == 0).into(),
                cumulative_gas_used: 21_000 * (i + 1),
                logs: vec![log],
            };
            let ty = alloy_consensus::TxType::try_from(tx.tx_type() as u8).unwrap();
            Receipt::from_typed(ty, ReceiptWithBloom::from(data))
        })
        .collect()
}

/// A blob transaction with a (made-up) one-blob sidecar, in its network form.
pub(crate) fn blob_transaction() -> Transaction {
    let tx = TxBuilder::new().eip4844(vec![B256::repeat_byte(1)], 7);
    let Transaction::Eip4844(inner, _) = tx else {
        panic!("eip4844 builds a blob transaction")
    };
    let sidecar = BlobTransactionSidecar::new(
        vec![Default::default()],
        vec![FixedBytes([3; 48])],
        vec![FixedBytes([4; 48])],
    );
    Transaction::Eip4844(
        inner,
        Some(Box::new(BlobTransactionSidecarVariant::Eip4844(sidecar))),
    )
}

/// A store holding the genesis and `blocks` blocks; returns it with the blocks (genesis first).
pub(crate) fn chain(blocks: u64) -> (Store, Vec<Block>) {
    let store = Store::in_memory();
    let genesis = GenesisBuilder::new(Fork::Prague).build();
    store.init_genesis(&genesis).unwrap();
    let mut chain = vec![genesis.block().unwrap()];
    for number in 1..=blocks {
        let parent = &chain[chain.len() - 1].header;
        let txs = transactions(number);
        let rs = receipts(&txs);
        let header = Header {
            parent_hash: parent.hash_slow(),
            ommers_hash: EMPTY_OMMERS_HASH,
            number,
            timestamp: parent.timestamp + 12,
            gas_limit: parent.gas_limit,
            base_fee_per_gas: parent.base_fee_per_gas,
            state_root: parent.state_root,
            transactions_root: transactions_root(&txs),
            receipts_root: receipts_root(&rs),
            withdrawals_root: Some(withdrawals_root(&[])),
            blob_gas_used: Some(0),
            excess_blob_gas: Some(0),
            parent_beacon_block_root: Some(B256::ZERO),
            requests_hash: parent.requests_hash,
            ..Default::default()
        };
        let block = Block::new(
            header,
            BlockBody {
                transactions: txs,
                ommers: vec![],
                withdrawals: Some(Default::default()),
            },
        );
        store.add_blocks(&[(block.clone(), rs)]).unwrap();
        chain.push(block);
    }
    (store, chain)
}

/// A child of `parent` whose three receipts carry 800 KiB of log data each (2.4 MiB: over one
/// answer's 2 MiB soft limit), stored in `store` as the new head; returns it with its receipts.
pub(crate) fn big_receipts_block(store: &Store, parent: &Header) -> (Block, Vec<Receipt>) {
    let receipts: Vec<Receipt> = (0..3u64)
        .map(|i| {
            let log = Log {
                address: Address::repeat_byte(1),
                data: LogData::new_unchecked(vec![], Bytes::from(vec![i as u8; 800 * 1024])),
            };
            Receipt::from_typed(
                alloy_consensus::TxType::Legacy,
                ReceiptWithBloom::from(ReceiptData {
                    status: true.into(),
                    cumulative_gas_used: 21_000 * (i + 1),
                    logs: vec![log],
                }),
            )
        })
        .collect();
    let block = Block::new(
        Header {
            parent_hash: parent.hash_slow(),
            number: parent.number + 1,
            ..parent.clone()
        },
        BlockBody {
            transactions: transactions(parent.number + 1),
            ommers: vec![],
            withdrawals: Some(Default::default()),
        },
    );
    store
        .add_blocks(&[(block.clone(), receipts.clone())])
        .unwrap();
    (block, receipts)
}
