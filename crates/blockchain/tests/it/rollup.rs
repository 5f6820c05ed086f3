//! A rollup chain ([`Blockchain::new_rollup`]): blocks built under the rollup's rules with a
//! privileged deposit and an ordinary transfer, imported with their recorded fee parameters;
//! the fees land in the vaults; a block without recorded parameters, or on an Ethereum chain,
//! is refused.

use alloy_primitives::{Address, B256, Bytes, TxKind, U256};
use ethrex_blockchain::{
    BlockAttributes, Blockchain, Candidates, ChainError, Rules, execute_stateless_with_rules,
    payload::build_on_with_rules,
};
use ethrex_common::{
    Fork, Genesis,
    types::{Block, Eip1559Tx, FeeConfig, L2_BRIDGE_ADDRESS, PrivilegedL2Tx, Transaction},
};
use ethrex_storage::Store;
use ethrex_test_utils::{
    genesis::GenesisBuilder,
    tx::{dev_address, dev_secret, sign},
};

const CHAIN_ID: u64 = 65_536_999;
const RECIPIENT: Address = Address::repeat_byte(0x22);
const DEPOSITOR: Address = Address::repeat_byte(0x33);
const COINBASE: Address = Address::repeat_byte(0xc0);
const FEES: FeeConfig = FeeConfig {
    base_fee_vault: Some(Address::repeat_byte(0x0b)),
    operator_fee_vault: Some(Address::repeat_byte(0x0c)),
    operator_fee_per_gas: 100_000_000,
    l1_fee_vault: Some(Address::repeat_byte(0x0d)),
    l1_fee_per_blob_gas: 31_000,
};
const GWEI: u64 = 1_000_000_000;

fn genesis() -> Genesis {
    GenesisBuilder::new(Fork::Prague).chain_id(CHAIN_ID).build()
}

fn chain(genesis: &Genesis, rollup: bool) -> Blockchain {
    let store = Store::in_memory();
    store.init_genesis(genesis).unwrap();
    if rollup {
        Blockchain::new_rollup(store).unwrap()
    } else {
        Blockchain::new(store).unwrap()
    }
}

fn deposit(id: u64, value: U256) -> Transaction {
    // The bridge's `mintETH` is not in this genesis: a plain value transfer to the depositor.
    Transaction::Privileged(PrivilegedL2Tx::new(
        CHAIN_ID,
        id,
        100_000,
        L2_BRIDGE_ADDRESS,
        DEPOSITOR,
        value,
        Bytes::new(),
    ))
}

fn transfer(nonce: u64) -> Transaction {
    let tx = Transaction::Eip1559(Eip1559Tx {
        chain_id: CHAIN_ID,
        nonce,
        max_priority_fee_per_gas: U256::from(GWEI),
        max_fee_per_gas: U256::from(10 * GWEI),
        gas_limit: 100_000,
        to: TxKind::Call(RECIPIENT),
        value: U256::from(5),
        ..Default::default()
    });
    sign(tx, &dev_secret(0))
}

fn build(chain: &Blockchain, txs: Vec<Transaction>) -> Block {
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
        Rules::Rollup(FEES),
    )
    .unwrap();
    assert!(built.skipped.is_empty(), "{:?}", built.skipped);
    built.block
}

fn balance(chain: &Blockchain, address: Address) -> U256 {
    let head = chain.store().head_header().unwrap().unwrap();
    let state = chain.store().state_at(head.state_root).unwrap();
    state
        .account_state(&address)
        .unwrap()
        .map_or(U256::ZERO, |a| a.balance)
}

#[test]
fn a_rollup_block_pays_its_vaults_and_mints_deposits() {
    let genesis = genesis();
    let chain = chain(&genesis, true);
    let sender_before = balance(&chain, dev_address(0));
    let transfer = transfer(0);
    let block = build(&chain, vec![deposit(0, U256::from(GWEI)), transfer.clone()]);
    let hash = block.header.hash_slow();
    chain.store().set_fee_config(&hash, &FEES).unwrap();
    assert!(chain.import_block(&block).unwrap());

    let base_fee = block.header.base_fee_per_gas.unwrap();
    // L1 fee: 31,000 × 131072 / 126976 = 32,000 wei per byte of the signed transaction, in gas
    // at P = base + operator + priority (the cap does not bind).
    let price = base_fee + FEES.operator_fee_per_gas + GWEI;
    let len = u64::try_from(transfer.encode_2718().len()).unwrap();
    let l1_gas = (32_000 * len).div_ceil(price);
    assert_eq!(block.header.gas_used, 21_000 + 21_000 + l1_gas);
    assert_eq!(balance(&chain, DEPOSITOR), U256::from(GWEI));
    assert_eq!(balance(&chain, RECIPIENT), U256::from(5));
    let vault = |i: u8| balance(&chain, Address::repeat_byte(i));
    assert_eq!(vault(0x0b), U256::from(21_000 * base_fee));
    assert_eq!(vault(0x0c), U256::from(21_000 * FEES.operator_fee_per_gas));
    assert_eq!(vault(0x0d), U256::from(l1_gas * price));
    assert_eq!(balance(&chain, COINBASE), U256::from(21_000 * GWEI));
    let spent = U256::from(5 + (21_000 + l1_gas) * price);
    assert_eq!(balance(&chain, dev_address(0)), sender_before - spent);
}

#[test]
fn a_rollup_block_needs_its_fee_parameters_and_an_ethereum_chain_refuses_it() {
    let genesis = genesis();
    let rollup = chain(&genesis, true);
    let block = build(&rollup, vec![deposit(0, U256::from(1))]);
    let err = rollup.import_block(&block).unwrap_err();
    assert!(
        matches!(err, ChainError::MissingFeeConfig { number: 1, .. }),
        "{err}"
    );

    let ethereum = chain(&genesis, false);
    let err = ethereum.import_block(&block).unwrap_err().to_string();
    assert!(err.contains("only on the rollup"), "{err}");
}

#[test]
fn a_rollup_blocks_witness_re_executes_statelessly_under_its_rules() {
    let genesis = genesis();
    let chain = chain(&genesis, true);
    let block = build(&chain, vec![deposit(0, U256::from(GWEI)), transfer(0)]);
    chain
        .store()
        .set_fee_config(&block.header.hash_slow(), &FEES)
        .unwrap();
    assert!(chain.import_block(&block).unwrap());
    let witness = chain.execution_witness(&block).unwrap();
    let outcome =
        execute_stateless_with_rules(chain.config(), &block, &witness, Rules::Rollup(FEES))
            .unwrap();
    assert_eq!(outcome.gas_used, block.header.gas_used);
    // Other fee parameters give other balances, hence another state root (or gas used).
    let other = FeeConfig {
        operator_fee_per_gas: 1,
        ..FEES
    };
    assert!(
        execute_stateless_with_rules(chain.config(), &block, &witness, Rules::Rollup(other))
            .is_err()
    );
    // Ethereum's rules refuse the privileged transaction.
    assert!(
        execute_stateless_with_rules(chain.config(), &block, &witness, Rules::Ethereum).is_err()
    );
}

#[test]
fn a_rollup_mempool_refuses_blob_transactions() {
    let genesis = genesis();
    let blob = ethrex_test_utils::TxBuilder::new()
        .chain_id(CHAIN_ID)
        .eip4844_with_sidecar(b"rollup", true, 1_000_000_000);
    let rollup = chain(&genesis, true);
    let pool = ethrex_blockchain::mempool::Mempool::new(10);
    assert_eq!(
        pool.add_transaction(&rollup, blob.clone()),
        Err(ethrex_blockchain::mempool::MempoolError::BlobOnRollup)
    );
    // The same transaction is fine on an Ethereum chain with the same genesis.
    let ethereum = chain(&genesis, false);
    pool.add_transaction(&ethereum, blob).unwrap();
    // Ordinary transactions are fine on the rollup.
    let rollup_pool = ethrex_blockchain::mempool::Mempool::new(10);
    rollup_pool.add_transaction(&rollup, transfer(0)).unwrap();
}
