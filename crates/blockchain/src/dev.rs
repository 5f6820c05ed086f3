//! Dev-mode block production: with no consensus client, [`produce_block`] chooses the next
//! block's attributes itself (the wall-clock time, or one second after the head; the gas limit
//! moved toward the target; no withdrawals; a zero beacon root), builds it from the mempool and
//! imports it as the new head, through [`crate::payload`]. When to call it (on each
//! transaction, or on an interval) is the caller's: the node drives it from a task.

use std::time::{Duration, Instant};

use alloy_primitives::{Address, B256, Bytes, keccak256};
use ethrex_common::{
    HeaderFields,
    types::{Block, Header, Receipt},
};

use crate::{
    BlockAttributes, Blockchain, Timings,
    header::fork_of,
    mempool::Mempool,
    payload::{PayloadError, build_payload, import_payload, next_gas_limit},
};

/// What the dev producer puts in its blocks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevBlockConfig {
    /// The gas limit blocks move toward.
    pub gas_limit: u64,
    /// The header's extra data (at most 32 bytes).
    pub extra_data: Bytes,
    /// Most blobs per block (`None`: the fork's maximum).
    pub max_blobs: Option<u64>,
    /// Receives the priority fees.
    pub fee_recipient: Address,
}

/// Whether a block without transactions is worth producing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmptyBlocks {
    /// Interval mining: the chain advances with or without transactions.
    Produce,
    /// Mining on demand: no block unless it has a transaction.
    Skip,
}

/// A block produced and imported as the head.
#[derive(Debug, Clone)]
pub struct ProducedBlock {
    pub block: Block,
    pub receipts: Vec<Receipt>,
    /// Building and importing, end to end.
    pub elapsed: Duration,
    /// Where the import's time went.
    pub timings: Timings,
}

impl ProducedBlock {
    /// Millions of gas per second, building and importing included.
    pub fn mgas_per_second(&self) -> f64 {
        self.block.header.gas_used as f64 / 1e6 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Builds a block on the head from the mempool and imports it as the new head, at unix time
/// `now` (seconds). Returns `None`, building nothing, when the block would be empty and
/// `empty` says to skip such blocks.
pub fn produce_block(
    chain: &Blockchain,
    mempool: &Mempool,
    config: &DevBlockConfig,
    now: u64,
    empty: EmptyBlocks,
) -> Result<Option<ProducedBlock>, PayloadError> {
    let started = Instant::now();
    let head = chain.store().head_header()?.ok_or(PayloadError::NoHead)?;
    let attributes = attributes(chain, &head, config, now);
    let built = build_payload(chain, mempool, attributes, config.max_blobs)?;
    if built.block.body.transactions.is_empty() && empty == EmptyBlocks::Skip {
        return Ok(None);
    }
    let timings = import_payload(chain, mempool, &built)?;
    let elapsed = started.elapsed();
    ethrex_metrics::record_dev_block(elapsed);
    Ok(Some(ProducedBlock {
        block: built.block,
        receipts: built.receipts,
        elapsed,
        timings,
    }))
}

/// The attributes of the child of `head`.
fn attributes(
    chain: &Blockchain,
    head: &Header,
    config: &DevBlockConfig,
    now: u64,
) -> BlockAttributes {
    let timestamp = now.max(head.timestamp + 1);
    let fork = fork_of(
        chain.config(),
        &Header {
            number: head.number + 1,
            timestamp,
            ..Default::default()
        },
    );
    BlockAttributes {
        timestamp,
        fee_recipient: config.fee_recipient,
        // Not random, but different for every block (contracts reading PREVRANDAO see it move).
        prev_randao: keccak256(head.hash_slow()),
        gas_limit: next_gas_limit(head.gas_limit, config.gas_limit),
        extra_data: config.extra_data.clone(),
        withdrawals: HeaderFields::of(fork).withdrawals_root.then(Vec::new),
        parent_beacon_block_root: HeaderFields::of(fork)
            .parent_beacon_block_root
            .then_some(B256::ZERO),
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::U256;
    use ethrex_common::dev::{DEV_BALANCE, DEV_GAS_LIMIT, dev_genesis};
    use ethrex_storage::Store;
    use ethrex_vm::Database;

    use super::*;
    use crate::mempool::test_tx::{RECIPIENT, blob_tx, sender, sign, transfer};

    const NOW: u64 = 1_700_000_000;
    const FEE_CAP: u64 = 2_000_000_000;

    fn dev_chain() -> (Blockchain, Mempool) {
        dev_chain_with_gas_limit(DEV_GAS_LIMIT)
    }

    fn dev_chain_with_gas_limit(gas_limit: u64) -> (Blockchain, Mempool) {
        let store = Store::in_memory();
        store
            .init_genesis(&dev_genesis(gas_limit).unwrap())
            .unwrap();
        (Blockchain::new(store).unwrap(), Mempool::new(100))
    }

    fn config() -> DevBlockConfig {
        DevBlockConfig {
            gas_limit: DEV_GAS_LIMIT,
            extra_data: Bytes::from_static(b"ethrex dev"),
            max_blobs: None,
            fee_recipient: Address::repeat_byte(0xfe),
        }
    }

    fn balance(chain: &Blockchain, address: Address) -> U256 {
        let head = chain.store().head_header().unwrap().unwrap();
        let state = chain.store().state_at(head.state_root).unwrap();
        state.account(&address).unwrap().unwrap_or_default().balance
    }

    #[test]
    fn a_pending_transfer_is_mined_into_the_next_head_and_leaves_the_mempool() {
        let (chain, mempool) = dev_chain();
        let hash = mempool
            .add_transaction(&chain, sign(transfer(0, FEE_CAP, 7), 0))
            .unwrap();
        let produced = produce_block(&chain, &mempool, &config(), NOW, EmptyBlocks::Skip)
            .unwrap()
            .unwrap();
        let header = &produced.block.header;
        assert_eq!(header.number, 1);
        assert_eq!(header.timestamp, NOW);
        assert_eq!(header.gas_used, 21_000);
        assert_eq!(produced.block.body.transactions[0].hash(), hash);
        let store = chain.store();
        assert_eq!(
            store.head_header().unwrap().unwrap().hash_slow(),
            header.hash_slow()
        );
        assert_eq!(store.finalized_hash().unwrap(), Some(header.hash_slow()));
        assert!(mempool.is_empty());
        assert_eq!(balance(&chain, RECIPIENT), U256::from(1));
        // Paid: 21000 gas at the base fee (burnt) plus the 7 wei tip, and 1 wei sent.
        let base_fee = U256::from(header.base_fee_per_gas.unwrap());
        let paid = U256::from(21_000) * (base_fee + U256::from(7)) + U256::from(1);
        assert_eq!(balance(&chain, sender(0)), DEV_BALANCE - paid);
        assert_eq!(
            balance(&chain, Address::repeat_byte(0xfe)),
            U256::from(21_000 * 7)
        );
    }

    #[test]
    fn empty_blocks_are_skipped_on_demand_and_produced_on_an_interval() {
        let (chain, mempool) = dev_chain();
        let skipped = produce_block(&chain, &mempool, &config(), NOW, EmptyBlocks::Skip).unwrap();
        assert!(skipped.is_none());
        // A queued transaction (nonce gap) does not make a block either.
        mempool
            .add_transaction(&chain, sign(transfer(1, FEE_CAP, 1), 0))
            .unwrap();
        let skipped = produce_block(&chain, &mempool, &config(), NOW, EmptyBlocks::Skip).unwrap();
        assert!(skipped.is_none());
        for number in 1..=2 {
            let produced = produce_block(&chain, &mempool, &config(), NOW, EmptyBlocks::Produce)
                .unwrap()
                .unwrap();
            assert_eq!(produced.block.header.number, number);
            // Two blocks in the same second: the second is one second later.
            assert_eq!(produced.block.header.timestamp, NOW + number - 1);
        }
        assert_eq!(mempool.len(), 1);
    }

    #[test]
    fn the_builder_orders_by_tip_and_keeps_each_senders_nonce_order() {
        let (chain, mempool) = dev_chain();
        let txs = [(0, 0, 1), (0, 1, 50), (1, 0, 10), (2, 0, 20)];
        for (from, nonce, tip) in txs {
            mempool
                .add_transaction(&chain, sign(transfer(nonce, FEE_CAP, tip), from))
                .unwrap();
        }
        let produced = produce_block(&chain, &mempool, &config(), NOW, EmptyBlocks::Skip)
            .unwrap()
            .unwrap();
        let order: Vec<(Address, u64)> = produced
            .block
            .body
            .transactions
            .iter()
            .map(|tx| (tx.sender().unwrap(), tx.nonce()))
            .collect();
        assert_eq!(
            order,
            [
                (sender(2), 0),
                (sender(1), 0),
                (sender(0), 0),
                (sender(0), 1)
            ]
        );
    }

    #[test]
    fn the_blob_limit_holds_back_blob_transactions_and_their_senders_later_ones() {
        let (chain, mempool) = dev_chain();
        mempool
            .add_transaction(&chain, sign(blob_tx(0, true), 0))
            .unwrap();
        mempool
            .add_transaction(&chain, sign(transfer(1, FEE_CAP, 1), 0))
            .unwrap();
        mempool
            .add_transaction(&chain, sign(transfer(0, FEE_CAP, 1), 1))
            .unwrap();
        let no_blobs = DevBlockConfig {
            max_blobs: Some(0),
            ..config()
        };
        let produced = produce_block(&chain, &mempool, &no_blobs, NOW, EmptyBlocks::Skip)
            .unwrap()
            .unwrap();
        let senders: Vec<Address> = produced
            .block
            .body
            .transactions
            .iter()
            .map(|tx| tx.sender().unwrap())
            .collect();
        assert_eq!(senders, [sender(1)]);
        assert_eq!(mempool.len(), 2);
        // With blobs allowed, the blob transaction goes in, without its sidecar.
        let produced = produce_block(&chain, &mempool, &config(), NOW, EmptyBlocks::Skip)
            .unwrap()
            .unwrap();
        let body = &produced.block.body.transactions;
        assert_eq!(body.len(), 2);
        assert!(matches!(
            body[0],
            ethrex_common::types::Transaction::Eip4844(_, None)
        ));
        assert_eq!(produced.block.header.blob_gas_used, Some(131_072));
        assert!(mempool.is_empty());
    }

    #[test]
    fn transactions_beyond_the_block_gas_wait_for_the_next_block() {
        // Blocks of 50,000 gas: two 21,000-gas transfers fit, not three.
        let (chain, mempool) = dev_chain_with_gas_limit(50_000);
        let small = DevBlockConfig {
            gas_limit: 50_000,
            ..config()
        };
        for nonce in 0..3 {
            mempool
                .add_transaction(&chain, sign(transfer(nonce, FEE_CAP, 1), 0))
                .unwrap();
        }
        let first = produce_block(&chain, &mempool, &small, NOW, EmptyBlocks::Skip)
            .unwrap()
            .unwrap();
        assert_eq!(first.block.body.transactions.len(), 2);
        let second = produce_block(&chain, &mempool, &small, NOW, EmptyBlocks::Skip)
            .unwrap()
            .unwrap();
        assert_eq!(second.block.body.transactions.len(), 1);
        assert!(mempool.is_empty());
    }
}
