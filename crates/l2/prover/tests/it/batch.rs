//! A rollup chain on the real L2 genesis, built and imported in process the way the sequencer
//! does (`build_on_with_rules` under a fee config with all three vaults, `set_fee_config`,
//! `import_block`), and the prover input of a range of its blocks.

use alloy_primitives::{Address, B256, Bytes, TxKind, U256};
use alloy_sol_types::{SolCall, sol};
use ethrex_blockchain::{
    BlockAttributes, Blockchain, Candidates, ExecutionWitness, Rules, payload::build_on_with_rules,
};
use ethrex_common::{
    Genesis,
    types::{Block, Eip1559Tx, FeeConfig, L2_BRIDGE_ADDRESS, PrivilegedL2Tx, Transaction},
};
use ethrex_l2_common::{BatchBlob, SidecarVersion, protocol::ProverInput};
use ethrex_l2_prover::{Witnesses, build_input};
use ethrex_storage::Store;
use ethrex_test_utils::tx::{dev_address, dev_secret, sign};

sol! {
    function mintETH(address to);
    function withdraw(address _receiverOnL1);
}

pub const CHAIN_ID: u64 = 65_536_999;
pub const GWEI: u64 = 1_000_000_000;
pub const COINBASE: Address = Address::repeat_byte(0xc0);
pub const FEES: FeeConfig = FeeConfig {
    base_fee_vault: Some(Address::repeat_byte(0x0b)),
    operator_fee_vault: Some(Address::repeat_byte(0x0c)),
    operator_fee_per_gas: 100_000_000,
    l1_fee_vault: Some(Address::repeat_byte(0x0d)),
    l1_fee_per_blob_gas: 31_000,
};

pub fn l2_genesis() -> Genesis {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../fixtures/genesis/l2.json"
    );
    Genesis::from_json(&std::fs::read_to_string(path).unwrap()).unwrap()
}

pub fn rollup_chain() -> Blockchain {
    let store = Store::in_memory();
    store.init_genesis(&l2_genesis()).unwrap();
    Blockchain::new_rollup(store).unwrap()
}

/// A deposit of `value` to `to`, as the bridge sends it: from and to 0xffff, `mintETH(to)`.
pub fn deposit(id: u64, to: Address, value: U256) -> Transaction {
    Transaction::Privileged(PrivilegedL2Tx::new(
        CHAIN_ID,
        id,
        100_000,
        L2_BRIDGE_ADDRESS,
        L2_BRIDGE_ADDRESS,
        value,
        Bytes::from(mintETHCall { to }.abi_encode()),
    ))
}

/// A signed EIP-1559 call from dev account `from`.
pub fn call(from: usize, nonce: u64, to: Address, value: U256, data: Bytes) -> Transaction {
    let tx = Transaction::Eip1559(Eip1559Tx {
        chain_id: CHAIN_ID,
        nonce,
        max_priority_fee_per_gas: U256::from(GWEI),
        max_fee_per_gas: U256::from(10 * GWEI),
        gas_limit: 200_000,
        to: TxKind::Call(to),
        value,
        data,
        ..Default::default()
    });
    sign(tx, &dev_secret(from))
}

/// A transfer of `value` wei from dev account `from` to `to`.
pub fn transfer(from: usize, nonce: u64, to: Address, value: u64) -> Transaction {
    call(from, nonce, to, U256::from(value), Bytes::new())
}

/// A withdrawal of `value` wei to `receiver` on L1, from dev account `from`.
pub fn withdrawal(from: usize, nonce: u64, receiver: Address, value: U256) -> Transaction {
    let data = withdrawCall {
        _receiverOnL1: receiver,
    }
    .abi_encode();
    call(from, nonce, L2_BRIDGE_ADDRESS, value, Bytes::from(data))
}

/// Builds a block of `txs` on the head under `fees`, records its fee config, imports it.
pub fn produce(chain: &Blockchain, txs: Vec<Transaction>, fees: FeeConfig) -> Block {
    let parent = chain.store().head_header().unwrap().unwrap();
    let attributes = BlockAttributes {
        timestamp: parent.timestamp + 1,
        fee_recipient: COINBASE,
        prev_randao: B256::ZERO,
        gas_limit: parent.gas_limit,
        extra_data: Bytes::new(),
        withdrawals: Some(vec![]),
        parent_beacon_block_root: Some(B256::ZERO),
    };
    let built = build_on_with_rules(
        chain,
        &parent,
        attributes,
        Candidates::from(txs),
        Rules::Rollup(fees),
    )
    .unwrap();
    assert!(built.skipped.is_empty(), "{:?}", built.skipped);
    let block = built.block;
    chain
        .store()
        .set_fee_config(&block.header.hash_slow(), &fees)
        .unwrap();
    assert!(chain.import_block(&block).unwrap());
    block
}

/// Who got what in [`sample_batch`].
pub const DEPOSIT_RECIPIENTS: [Address; 3] = [
    Address::repeat_byte(0x31),
    Address::repeat_byte(0x32),
    Address::repeat_byte(0x33),
];
pub const L1_RECEIVER: Address = Address::repeat_byte(0x44);
pub const WITHDRAWN: u64 = 3 * GWEI;

/// A batch of three blocks on the L2 genesis:
/// 1. two deposits and a transfer;
/// 2. two transfers and an ETH withdrawal (dev account 1 to [`L1_RECEIVER`]);
/// 3. a deposit and a transfer.
///
/// Returns the chain and the blocks; the deposits are ids 0, 1, 2 of `DEPOSIT_RECIPIENTS`, each
/// of `(id + 1)` gwei; 5 transactions are not privileged (4 transfers and the withdrawal).
pub fn sample_batch() -> (Blockchain, Vec<Block>) {
    let chain = rollup_chain();
    let gwei = |n: u64| U256::from(n * GWEI);
    let recipient = Address::repeat_byte(0x22);
    let blocks = vec![
        produce(
            &chain,
            vec![
                deposit(0, DEPOSIT_RECIPIENTS[0], gwei(1)),
                deposit(1, DEPOSIT_RECIPIENTS[1], gwei(2)),
                transfer(0, 0, recipient, 5),
            ],
            FEES,
        ),
        produce(
            &chain,
            vec![
                transfer(0, 1, recipient, 6),
                withdrawal(1, 0, L1_RECEIVER, U256::from(WITHDRAWN)),
                transfer(2, 0, recipient, 7),
            ],
            FEES,
        ),
        produce(
            &chain,
            vec![
                deposit(2, DEPOSIT_RECIPIENTS[2], gwei(3)),
                transfer(3, 0, dev_address(4), 8),
            ],
            FEES,
        ),
    ];
    (chain, blocks)
}

/// The batch blob of `blocks` (one fee config, [`FEES`], each), with a blob proof.
pub fn batch_blob(blocks: &[Block]) -> BatchBlob {
    let fees = vec![FEES; blocks.len()];
    BatchBlob::from_batch(blocks, &fees, SidecarVersion::BlobProof).unwrap()
}

/// The witnesses of `blocks`, computed from the chain.
pub fn witnesses(chain: &Blockchain, blocks: &[Block]) -> Vec<ExecutionWitness> {
    blocks
        .iter()
        .map(|block| chain.execution_witness(block).unwrap())
        .collect()
}

/// The prover input of all of `blocks`.
pub fn input_of(chain: &Blockchain, blocks: &[Block]) -> ProverInput {
    let first = blocks[0].header.number;
    let last = blocks.last().unwrap().header.number;
    build_input(chain, first..=last, Witnesses::Compute, &batch_blob(blocks)).unwrap()
}

/// The sample batch's input.
pub fn sample_input() -> ProverInput {
    let (chain, blocks) = sample_batch();
    input_of(&chain, &blocks)
}
