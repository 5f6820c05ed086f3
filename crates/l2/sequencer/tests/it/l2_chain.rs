//! A rollup chain on `fixtures/genesis/l2.json` built in process by the real
//! [`BlockProducer`] (deposits queued as the watcher queues them, transactions through the
//! mempool; each block's fee config and witness recorded), and batches sealed over it the way
//! the committer seals them (blob, rolling hash, L1 messages root, counts).

use std::sync::Arc;

use alloy_primitives::{Address, B256, Bytes, TxKind, U256};
use alloy_sol_types::{SolCall, sol};
use ethrex_blockchain::{Blockchain, mempool::Mempool};
use ethrex_common::{
    Genesis,
    types::{Eip1559Tx, FeeConfig, L2_BRIDGE_ADDRESS, PrivilegedL2Tx, Transaction},
};
use ethrex_l2_common::{BatchBlob, BatchMessages, SidecarVersion, messages::block_l1_messages};
use ethrex_l2_contracts::hashes::rolling_hash;
use ethrex_l2_sequencer::{
    BlockProducerConfig, Shared,
    block_producer::BlockProducer,
    state::{Batch, RollupState},
};
use ethrex_storage::Store;
use ethrex_test_utils::tx::{dev_secret, sign};

sol! {
    function mintETH(address to);
    function withdraw(address _receiverOnL1);
}

pub const CHAIN_ID: u64 = 65_536_999;
pub const GWEI: u64 = 1_000_000_000;
pub const L1_BLOB_BASE_FEE: u64 = 31_000;
pub const L1_RECEIVER: Address = Address::repeat_byte(0x44);

/// The block producer's settings: all three vaults.
pub fn producer_config() -> BlockProducerConfig {
    BlockProducerConfig {
        coinbase: Address::repeat_byte(0xc0),
        base_fee_vault: Some(Address::repeat_byte(0x0b)),
        operator_fee_vault: Some(Address::repeat_byte(0x0c)),
        operator_fee_per_gas: 100_000_000,
        l1_fee_vault: Some(Address::repeat_byte(0x0d)),
        ..BlockProducerConfig::default()
    }
}

/// The fee config of the blocks [`producer_config`] builds.
pub fn fees() -> FeeConfig {
    producer_config().fee_config(L1_BLOB_BASE_FEE)
}

pub fn l2_genesis() -> Genesis {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../fixtures/genesis/l2.json"
    );
    Genesis::from_json(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A rollup chain, its records, mempool and producer.
pub struct L2 {
    pub chain: Arc<Blockchain>,
    pub state: RollupState,
    pub mempool: Arc<Mempool>,
    pub shared: Arc<Shared>,
    producer: BlockProducer,
}

impl L2 {
    pub fn new() -> Self {
        let store = Store::in_memory();
        store.init_genesis(&l2_genesis()).unwrap();
        let chain = Arc::new(Blockchain::new_rollup(store.clone()).unwrap());
        let state = RollupState::new(store);
        let mempool = Arc::new(Mempool::new(1000));
        let shared = Shared::new();
        shared.set_l1_blob_base_fee(L1_BLOB_BASE_FEE);
        let producer = BlockProducer::new(
            Arc::clone(&chain),
            Arc::clone(&mempool),
            state.clone(),
            producer_config(),
        );
        L2 {
            chain,
            state,
            mempool,
            shared,
            producer,
        }
    }

    /// Queues deposits as the watcher does.
    pub fn queue_deposits(&self, deposits: &[PrivilegedL2Tx]) {
        self.state.queue_privileged(deposits, 1).unwrap();
    }

    /// Adds `txs` to the mempool and produces a block; returns its number.
    pub fn produce(&self, txs: Vec<Transaction>) -> u64 {
        let count = txs.len();
        for tx in txs {
            self.mempool.add_transaction(&self.chain, tx).unwrap();
        }
        let produced = self.producer.produce(&self.shared, 0).unwrap();
        assert_eq!(
            produced.transactions - produced.privileged,
            count,
            "every mempool transaction is in block #{}",
            produced.number
        );
        produced.number
    }

    /// Seals blocks `first..=last` as the next batch (committed when `committed`).
    pub fn seal(&self, first: u64, last: u64, committed: bool) -> Batch {
        let store = self.chain.store();
        let (mut blocks, mut fee_configs) = (Vec::new(), Vec::new());
        let (mut privileged, mut others) = (Vec::new(), 0u64);
        let mut messages = BatchMessages::new();
        for number in first..=last {
            let block = store.block_by_number(number).unwrap().unwrap();
            let hash = block.header.hash_slow();
            fee_configs.push(store.fee_config(&hash).unwrap().unwrap());
            let receipts = store.receipts(&hash).unwrap();
            messages.extend(block_l1_messages(&block, &receipts).unwrap().messages);
            for tx in &block.body.transactions {
                match tx {
                    Transaction::Privileged(_) => privileged.push(tx.hash()),
                    _ => others += 1,
                }
            }
            blocks.push(block);
        }
        let blob = BatchBlob::from_batch(&blocks, &fee_configs, SidecarVersion::BlobProof).unwrap();
        let proof = match blob.proofs {
            ethrex_l2_common::BlobProofs::Blob(proof) => proof,
            ethrex_l2_common::BlobProofs::Cells(_) => unreachable!("a version-0 blob"),
        };
        let last_block = blocks.last().unwrap();
        let batch = Batch {
            number: self.state.last_batch_number().unwrap() + 1,
            first_block: first,
            last_block: last,
            state_root: last_block.header.state_root,
            last_block_hash: last_block.header.hash_slow(),
            blob_versioned_hash: blob.versioned_hash,
            blob_commitment: Bytes::copy_from_slice(&blob.commitment),
            blob_proof: Bytes::copy_from_slice(&proof),
            privileged_transactions_hash: rolling_hash(&privileged).unwrap_or_default(),
            l1_messages_merkle_root: messages.merkle_root(),
            non_privileged_transactions: others,
            commit_tx: committed.then_some(B256::repeat_byte(0xc1)),
            verify_tx: None,
        };
        self.state.seal_batch(&batch).unwrap();
        batch
    }

    /// Marks sealed batch `number` committed.
    pub fn commit(&self, number: u64) {
        let mut batch = self.state.batch(number).unwrap().unwrap();
        batch.commit_tx = Some(B256::repeat_byte(0xc2));
        self.state.update_batch(&batch).unwrap();
    }
}

/// A deposit of `value` to `to`, as the bridge sends it.
pub fn deposit(id: u64, to: Address, value: U256) -> PrivilegedL2Tx {
    PrivilegedL2Tx::new(
        CHAIN_ID,
        id,
        100_000,
        L2_BRIDGE_ADDRESS,
        L2_BRIDGE_ADDRESS,
        value,
        Bytes::from(mintETHCall { to }.abi_encode()),
    )
}

/// An EIP-1559 transaction from dev account `from` (1 gwei tip, 10 gwei cap).
pub fn eip1559(
    from: usize,
    nonce: u64,
    to: Address,
    value: U256,
    data: Bytes,
    gas: u64,
) -> Transaction {
    let tx = Transaction::Eip1559(Eip1559Tx {
        chain_id: CHAIN_ID,
        nonce,
        max_priority_fee_per_gas: U256::from(GWEI),
        max_fee_per_gas: U256::from(10 * GWEI),
        gas_limit: gas,
        to: TxKind::Call(to),
        value,
        data,
        ..Default::default()
    });
    sign(tx, &dev_secret(from))
}

/// A transfer of `value` wei from dev account `from`.
pub fn transfer(from: usize, nonce: u64, to: Address, value: u64) -> Transaction {
    eip1559(from, nonce, to, U256::from(value), Bytes::new(), 100_000)
}

/// A withdrawal of `value` wei to [`L1_RECEIVER`] from dev account `from`.
pub fn withdrawal(from: usize, nonce: u64, value: U256) -> Transaction {
    let data = withdrawCall {
        _receiverOnL1: L1_RECEIVER,
    }
    .abi_encode();
    eip1559(
        from,
        nonce,
        L2_BRIDGE_ADDRESS,
        value,
        Bytes::from(data),
        200_000,
    )
}

/// A chain of three blocks: (1) two deposits and a transfer, (2) three withdrawals of 1, 2 and
/// 3 gwei from dev accounts 1, 2, 3 and a transfer, (3) a deposit and a transfer. Nothing
/// sealed.
pub fn sample() -> (L2, Vec<Transaction>) {
    let l2 = L2::new();
    let gwei = |n: u64| U256::from(n * GWEI);
    l2.queue_deposits(&[
        deposit(0, Address::repeat_byte(0x31), gwei(1)),
        deposit(1, Address::repeat_byte(0x32), gwei(2)),
    ]);
    l2.produce(vec![transfer(0, 0, Address::repeat_byte(0x22), 5)]);
    let withdrawals = vec![
        withdrawal(1, 0, gwei(1)),
        withdrawal(2, 0, gwei(2)),
        withdrawal(3, 0, gwei(3)),
    ];
    let mut block2 = withdrawals.clone();
    block2.push(transfer(0, 1, Address::repeat_byte(0x22), 6));
    l2.produce(block2);
    l2.queue_deposits(&[deposit(2, Address::repeat_byte(0x33), gwei(3))]);
    l2.produce(vec![transfer(4, 0, Address::repeat_byte(0x22), 7)]);
    (l2, withdrawals)
}
