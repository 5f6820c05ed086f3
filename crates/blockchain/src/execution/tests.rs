//! Block execution: system calls, transactions and their receipts, rewards, withdrawals,
//! requests, and the header fields [`execute_block`] checks. Blocks run over an in-memory
//! state; contracts are a few opcodes each; expected values are worked out by hand from the
//! rules (gas schedule, reward table, EIP-7685 hashing).

use std::collections::HashMap;

use alloy_consensus::{Eip658Value, ReceiptEnvelope, TxReceipt};
use alloy_primitives::{Address, B256, BloomInput, Bytes, Log, LogData, TxKind, U256};
use ethrex_common::{
    BlobParams, ChainConfig, Fork,
    constants::{EMPTY_REQUESTS_HASH, EMPTY_TRIE_ROOT},
    dev::DEV_CHAIN_ID,
    system_contracts::{
        BEACON_ROOTS_ADDRESS, CONSOLIDATION_REQUEST_ADDRESS, HISTORY_STORAGE_ADDRESS,
        SYSTEM_ADDRESS, WITHDRAWAL_REQUEST_ADDRESS,
    },
    types::{Eip1559Tx, Eip4844Tx, Header, LegacyTx, Transaction, Withdrawal},
};
use ethrex_vm::{InMemoryDb, InvalidTransaction, opcode as op};

use super::*;
use crate::{
    BlockAttributes, build_block,
    mempool::test_tx::{FEE_CAP, RECIPIENT, sender, sign, transfer},
};

const ETHER: u64 = 1_000_000_000_000_000_000;
const MINER: Address = Address::repeat_byte(0xc0);
const CONTRACT: Address = Address::repeat_byte(0xcc);
/// REVERT with no data.
const REVERTS: &[u8] = &[op::PUSH0, op::PUSH0, op::REVERT];
/// LOG0 with no data, then STOP.
const LOGS: &[u8] = &[op::PUSH0, op::PUSH0, op::LOG0, op::STOP];
/// Stores its first calldata word in slot 0 and its caller in slot 1.
const RECORDS_CALL: &[u8] = &[
    op::PUSH0,
    op::CALLDATALOAD,
    op::PUSH0,
    op::SSTORE,
    op::CALLER,
    op::PUSH1,
    1,
    op::SSTORE,
    op::STOP,
];
/// Returns the two bytes `0xabcd`.
const RETURNS_ABCD: &[u8] = &[
    op::PUSH2,
    0xab,
    0xcd,
    op::PUSH0,
    op::MSTORE,
    op::PUSH1,
    2,
    op::PUSH1,
    30,
    op::RETURN,
];

fn u(v: u64) -> U256 {
    U256::from(v)
}

/// `n` millionths of an ether.
fn micro_ether(n: u64) -> U256 {
    u(n) * u(1_000_000_000_000)
}

fn config(fork: Fork) -> ChainConfig {
    ChainConfig::all_active_up_to(DEV_CHAIN_ID, fork)
}

/// Block 1 under `fork`, with the fields execution reads (those it produces left default).
fn header(fork: Fork) -> Header {
    Header {
        number: 1,
        timestamp: 12,
        beneficiary: MINER,
        gas_limit: 30_000_000,
        difficulty: if fork >= Fork::Paris {
            U256::ZERO
        } else {
            u(131_072)
        },
        base_fee_per_gas: (fork >= Fork::London).then_some(7),
        excess_blob_gas: (fork >= Fork::Cancun).then_some(0),
        parent_beacon_block_root: (fork >= Fork::Cancun).then_some(B256::repeat_byte(0xbb)),
        parent_hash: B256::repeat_byte(0xaa),
        mix_hash: B256::repeat_byte(0x42),
        ..Default::default()
    }
}

/// Dev account 0 with one ether, and `contracts` with their code. From Prague on the request
/// contracts must exist: they are added as `STOP` unless `contracts` names them.
fn db(fork: Fork, contracts: &[(Address, &[u8])]) -> InMemoryDb {
    let mut db = InMemoryDb::default();
    db.insert_account(sender(0), 0, u(ETHER), Bytes::new(), HashMap::new());
    if fork >= Fork::Prague {
        for contract in [WITHDRAWAL_REQUEST_ADDRESS, CONSOLIDATION_REQUEST_ADDRESS] {
            let stop = Bytes::from_static(&[op::STOP]);
            db.insert_account(contract, 1, U256::ZERO, stop, HashMap::new());
        }
    }
    for (address, code) in contracts {
        let code = Bytes::copy_from_slice(code);
        db.insert_account(*address, 1, U256::ZERO, code, HashMap::new());
    }
    db
}

/// A call with `data` from dev account 0, signed: EIP-1559 from London, EIP-155 legacy before.
fn call(fork: Fork, nonce: u64, to: Address, data: &[u8]) -> Transaction {
    let data = Bytes::copy_from_slice(data);
    let tx = if fork >= Fork::London {
        Transaction::Eip1559(Eip1559Tx {
            chain_id: DEV_CHAIN_ID,
            nonce,
            max_priority_fee_per_gas: u(1),
            max_fee_per_gas: u(FEE_CAP),
            gas_limit: 100_000,
            to: TxKind::Call(to),
            data,
            ..Default::default()
        })
    } else {
        Transaction::Legacy(LegacyTx {
            nonce,
            gas_price: u(10),
            gas_limit: 100_000,
            to: TxKind::Call(to),
            data,
            v: DEV_CHAIN_ID * 2 + 35,
            ..Default::default()
        })
    };
    sign(tx, 0)
}

/// A signed blob transaction from dev account 0 carrying `blobs` blobs.
fn blob_tx(nonce: u64, blobs: usize) -> Transaction {
    let mut hash = B256::repeat_byte(0x11);
    hash[0] = 1;
    let tx = Eip4844Tx {
        chain_id: DEV_CHAIN_ID,
        nonce,
        max_priority_fee_per_gas: u(1),
        max_fee_per_gas: u(FEE_CAP),
        gas_limit: 21_000,
        to: RECIPIENT,
        max_fee_per_blob_gas: u(1),
        blob_versioned_hashes: vec![hash; blobs],
        ..Default::default()
    };
    sign(Transaction::Eip4844(tx, None), 0)
}

/// A block body for [`run`].
#[derive(Default)]
struct Body {
    transactions: Vec<Transaction>,
    senders: Option<Vec<Option<Address>>>,
    ommers: Vec<Header>,
    withdrawals: Option<Vec<Withdrawal>>,
}

/// Runs `body` in `header`'s block over `db`, as an importer does (or a builder, with
/// `on_invalid` [`OnInvalidTx::Skip`]); state roots are zero.
fn run_in(
    fork: Fork,
    header: &Header,
    db: &InMemoryDb,
    body: &Body,
    on_invalid: OnInvalidTx,
) -> Result<BlockRun> {
    let input = BodyInput {
        transactions: &body.transactions,
        senders: body.senders.as_deref(),
        ommers: &body.ommers,
        withdrawals: body.withdrawals.as_deref(),
    };
    let root = |_: &StateChanges| Ok(B256::ZERO);
    run_block(
        &config(fork),
        header,
        input,
        db,
        &root,
        on_invalid,
        Rules::Ethereum,
    )
}

fn run(fork: Fork, db: &InMemoryDb, body: &Body) -> Result<BlockRun> {
    run_in(fork, &header(fork), db, body, OnInvalidTx::Reject)
}

fn account(run: &BlockRun, address: Address) -> Option<&ethrex_vm::AccountChange> {
    run.changes.accounts.iter().find(|c| c.address == address)
}

/// The balance `run` leaves at `address` (`None`: unchanged or deleted).
fn balance(run: &BlockRun, address: Address) -> Option<U256> {
    account(run, address)
        .and_then(|c| c.info)
        .map(|i| i.balance)
}

/// The value `run` leaves in a slot (`None`: the slot was not written).
fn slot(run: &BlockRun, address: Address, key: u64) -> Option<U256> {
    account(run, address)?
        .storage
        .iter()
        .find(|(k, _)| *k == u(key))
        .map(|(_, v)| *v)
}

#[test]
fn receipts_carry_the_cumulative_gas_status_and_logs_of_each_transaction() {
    // Shanghai: the contracts use PUSH0.
    let fork = Fork::Shanghai;
    let reverter = Address::repeat_byte(0x0f);
    let db = db(fork, &[(reverter, REVERTS), (CONTRACT, LOGS)]);
    let body = Body {
        transactions: vec![
            call(fork, 0, RECIPIENT, &[]),
            call(fork, 1, reverter, &[]),
            call(fork, 2, CONTRACT, &[]),
        ],
        ..Default::default()
    };
    let run = run(fork, &db, &body).unwrap();
    // 21,000 each, plus PUSH0 PUSH0 (2 + 2) and LOG0 (375).
    let cumulative: Vec<u64> = run
        .receipts
        .iter()
        .map(|r| r.cumulative_gas_used())
        .collect();
    assert_eq!(cumulative, [21_000, 42_004, 63_383]);
    assert_eq!(run.gas_used, 63_383);
    let statuses: Vec<bool> = run.receipts.iter().map(|r| r.status()).collect();
    assert_eq!(statuses, [true, false, true]);
    assert!(
        run.receipts
            .iter()
            .all(|r| matches!(r, ReceiptEnvelope::Eip1559(_)))
    );
    let log = Log {
        address: CONTRACT,
        data: LogData::new_unchecked(vec![], Bytes::new()),
    };
    assert_eq!(run.receipts[2].logs(), [log]);
    assert!(run.receipts[1].logs().is_empty());
    let bloom = logs_bloom(&run.receipts);
    assert!(bloom.contains_input(BloomInput::Raw(CONTRACT.as_slice())));
    assert_eq!(logs_bloom(&[]), alloy_primitives::Bloom::ZERO);
}

#[test]
fn pre_byzantium_receipts_carry_the_state_root_after_each_transaction() {
    let fork = Fork::SpuriousDragon;
    let db = db(fork, &[]);
    let body = Body {
        transactions: vec![call(fork, 0, RECIPIENT, &[]), call(fork, 1, RECIPIENT, &[])],
        ..Default::default()
    };
    let input = BodyInput {
        transactions: &body.transactions,
        senders: None,
        ommers: &[],
        withdrawals: None,
    };
    // A "root" naming the sender's nonce, to see which state each receipt was given.
    let root = |changes: &StateChanges| {
        let nonce = changes
            .accounts
            .iter()
            .find(|c| c.address == sender(0))
            .and_then(|c| c.info)
            .map_or(0, |i| i.nonce);
        Ok(B256::from(u(nonce)))
    };
    let run = run_block(
        &config(fork),
        &header(fork),
        input,
        &db,
        &root,
        OnInvalidTx::Reject,
        Rules::Ethereum,
    )
    .unwrap();
    let statuses: Vec<Eip658Value> = run
        .receipts
        .iter()
        .map(|r| r.status_or_post_state())
        .collect();
    assert_eq!(
        statuses,
        [
            Eip658Value::PostState(B256::from(u(1))),
            Eip658Value::PostState(B256::from(u(2)))
        ]
    );
}

#[test]
fn pre_merge_rewards_pay_the_miner_and_its_ommers_by_fork() {
    let o1 = Address::repeat_byte(0x01);
    let o2 = Address::repeat_byte(0x02);
    // (fork, miner, ommer one block older, ommer two blocks older), in millionths of an ether:
    // an ommer gets (8 - age) / 8 of the reward, the miner 1/32 of it per ommer on top.
    let cases = [
        (Fork::Frontier, 5_312_500, 4_375_000, 3_750_000),
        (Fork::Byzantium, 3_187_500, 2_625_000, 2_250_000),
        (Fork::Constantinople, 2_125_000, 1_750_000, 1_500_000),
    ];
    for (fork, miner, first, second) in cases {
        let mut header = header(fork);
        header.number = 10;
        let ommer = |number, beneficiary| Header {
            number,
            beneficiary,
            ..Default::default()
        };
        let body = Body {
            ommers: vec![ommer(9, o1), ommer(8, o2)],
            ..Default::default()
        };
        let run = run_in(fork, &header, &db(fork, &[]), &body, OnInvalidTx::Reject).unwrap();
        assert_eq!(balance(&run, MINER), Some(micro_ether(miner)), "{fork:?}");
        assert_eq!(balance(&run, o1), Some(micro_ether(first)), "{fork:?}");
        assert_eq!(balance(&run, o2), Some(micro_ether(second)), "{fork:?}");
    }
    let run = run(Fork::Paris, &db(Fork::Paris, &[]), &Body::default()).unwrap();
    assert!(account(&run, MINER).is_none(), "no reward after the merge");
}

#[test]
fn withdrawals_are_credited_in_gwei_and_a_zero_one_creates_no_account() {
    let fork = Fork::Shanghai;
    let nobody = Address::repeat_byte(0x0e);
    let withdrawal = |index, address, amount| Withdrawal {
        index,
        validator_index: 1,
        address,
        amount,
    };
    let body = Body {
        transactions: vec![sign(transfer(0, FEE_CAP, 1), 0)],
        withdrawals: Some(vec![
            withdrawal(0, RECIPIENT, 5),
            withdrawal(1, RECIPIENT, 2),
            withdrawal(2, nobody, 0),
        ]),
        ..Default::default()
    };
    let run = run(fork, &db(fork, &[]), &body).unwrap();
    // 1 wei from the transfer, then 7 gwei.
    assert_eq!(balance(&run, RECIPIENT), Some(u(7_000_000_001)));
    assert_eq!(balance(&run, nobody), None);
    assert_eq!(run.gas_used, 21_000, "withdrawals use no gas");
}

#[test]
fn beacon_root_and_parent_hash_system_calls_start_at_cancun_and_prague() {
    let contracts: &[(Address, &[u8])] = &[
        (BEACON_ROOTS_ADDRESS, RECORDS_CALL),
        (HISTORY_STORAGE_ADDRESS, RECORDS_CALL),
    ];
    let system = U256::from_be_slice(SYSTEM_ADDRESS.as_slice());
    for (fork, beacon_called, history_called) in [
        (Fork::Shanghai, false, false),
        (Fork::Cancun, true, false),
        (Fork::Prague, true, true),
    ] {
        let run = run(fork, &db(fork, contracts), &Body::default()).unwrap();
        let beacon = beacon_called.then(|| U256::from_be_bytes(B256::repeat_byte(0xbb).0));
        let parent = history_called.then(|| U256::from_be_bytes(B256::repeat_byte(0xaa).0));
        assert_eq!(slot(&run, BEACON_ROOTS_ADDRESS, 0), beacon, "{fork:?}");
        assert_eq!(slot(&run, HISTORY_STORAGE_ADDRESS, 0), parent, "{fork:?}");
        let caller = beacon_called.then_some(system);
        assert_eq!(slot(&run, BEACON_ROOTS_ADDRESS, 1), caller, "{fork:?}");
        assert_eq!(run.gas_used, 0, "system calls use no block gas");
    }
}

#[test]
fn system_calls_run_before_the_transactions() {
    let fork = Fork::Cancun;
    let db = db(fork, &[(BEACON_ROOTS_ADDRESS, RECORDS_CALL)]);
    let word = [0x11; 32];
    let body = Body {
        transactions: vec![call(fork, 0, BEACON_ROOTS_ADDRESS, &word)],
        ..Default::default()
    };
    let run = run(fork, &db, &body).unwrap();
    assert!(run.receipts[0].status());
    assert_eq!(
        slot(&run, BEACON_ROOTS_ADDRESS, 0),
        Some(U256::from_be_bytes(word)),
        "the transaction's write is the last"
    );
    let sender = U256::from_be_slice(sender(0).as_slice());
    assert_eq!(slot(&run, BEACON_ROOTS_ADDRESS, 1), Some(sender));
}

#[test]
fn requests_are_deposits_then_withdrawal_and_consolidation_outputs_from_prague() {
    let fork = Fork::Prague;
    let db = db(fork, &[(WITHDRAWAL_REQUEST_ADDRESS, RETURNS_ABCD)]);
    let run = run(fork, &db, &Body::default()).unwrap();
    let abcd = Bytes::from_static(&[0xab, 0xcd]);
    assert_eq!(
        run.requests,
        Some(vec![(0, Bytes::new()), (1, abcd), (2, Bytes::new())])
    );
    // EIP-7685: sha256 over the sha256 of each non-empty `type || data`.
    let inner = ethrex_crypto::hash::sha256(&[1, 0xab, 0xcd]);
    let expected = B256::from(ethrex_crypto::hash::sha256(&inner));
    assert_eq!(run.requests_hash, Some(expected));

    let empty = empty_block_requests(Fork::Prague);
    assert_eq!(empty.1, Some(EMPTY_REQUESTS_HASH));
    let before = empty_block_requests(Fork::Cancun);
    assert_eq!(before, (None, None), "no requests before Prague");
}

/// The requests and their hash of an empty block under `fork`.
fn empty_block_requests(fork: Fork) -> (Option<Vec<(u8, Bytes)>>, Option<B256>) {
    let run = run(fork, &db(fork, &[]), &Body::default()).unwrap();
    (run.requests, run.requests_hash)
}

#[test]
fn a_missing_or_failing_request_contract_fails_the_block() {
    let fork = Fork::Prague;
    let mut missing = db(fork, &[]);
    missing.accounts.remove(&CONSOLIDATION_REQUEST_ADDRESS);
    assert_eq!(
        run(fork, &missing, &Body::default()).err(),
        Some(BlockError::SystemCallFailed(CONSOLIDATION_REQUEST_ADDRESS))
    );
    let reverting = db(fork, &[(WITHDRAWAL_REQUEST_ADDRESS, REVERTS)]);
    assert_eq!(
        run(fork, &reverting, &Body::default()).err(),
        Some(BlockError::SystemCallFailed(WITHDRAWAL_REQUEST_ADDRESS))
    );
}

#[test]
fn an_invalid_transaction_rejects_the_block_or_is_skipped_when_building() {
    let fork = Fork::London;
    let db = db(fork, &[]);
    let body = Body {
        transactions: vec![
            call(fork, 0, RECIPIENT, &[]),
            call(fork, 5, RECIPIENT, &[]),
            call(fork, 1, RECIPIENT, &[]),
        ],
        ..Default::default()
    };
    let error = BlockError::InvalidTransaction {
        index: 1,
        hash: body.transactions[1].hash(),
        reason: InvalidTransaction::NonceMismatch { tx: 5, state: 1 },
    };
    assert_eq!(run(fork, &db, &body).err(), Some(error.clone()));
    let built = run_in(fork, &header(fork), &db, &body, OnInvalidTx::Skip).unwrap();
    assert_eq!(built.skipped, vec![(1, error)]);
    assert_eq!(built.receipts.len(), 2);
    assert_eq!(built.gas_used, 42_000);
}

#[test]
fn blob_gas_above_the_block_maximum_is_invalid() {
    let fork = Fork::Cancun;
    let db = db(fork, &[]);
    // Cancun allows 6 blobs of 131,072 gas a block: 4 fit, 4 more do not.
    let body = Body {
        transactions: vec![blob_tx(0, 4), blob_tx(1, 4)],
        ..Default::default()
    };
    assert_eq!(
        run(fork, &db, &body).err(),
        Some(BlockError::InvalidBody(
            "blob gas 1048576 above the block maximum 786432".into()
        ))
    );
    let built = run_in(fork, &header(fork), &db, &body, OnInvalidTx::Skip).unwrap();
    assert_eq!(built.skipped.len(), 1);
    assert_eq!(built.skipped[0].0, 1);
    assert_eq!(built.blob_gas_used, 4 * 131_072);
}

#[test]
fn given_senders_are_trusted_and_missing_ones_are_recovered() {
    let fork = Fork::London;
    let db = db(fork, &[]);
    // Unsigned (a zero signature): its sender cannot be recovered.
    let body = Body {
        transactions: vec![transfer(0, FEE_CAP, 1)],
        ..Default::default()
    };
    assert!(matches!(
        run(fork, &db, &body).err(),
        Some(BlockError::InvalidSender { index: 0, .. })
    ));
    // Signed by dev account 1, which has no funds; executed as whoever the senders name.
    let signed_by_1 = sign(transfer(0, FEE_CAP, 1), 1);
    let given = Body {
        transactions: vec![signed_by_1.clone()],
        senders: Some(vec![Some(sender(0))]),
        ..Default::default()
    };
    let run_given = run(fork, &db, &given).unwrap();
    assert!(run_given.receipts[0].status());
    assert_eq!(
        account(&run_given, sender(0)).unwrap().info.unwrap().nonce,
        1
    );
    for senders in [None, Some(vec![None])] {
        let recovered = Body {
            transactions: vec![signed_by_1.clone()],
            senders,
            ..Default::default()
        };
        assert!(matches!(
            run(fork, &db, &recovered).err(),
            Some(BlockError::InvalidTransaction {
                index: 0,
                reason: InvalidTransaction::InsufficientFunds { .. },
                ..
            })
        ));
    }
}

#[test]
fn block_env_follows_the_header_and_the_forks_rules() {
    let london = block_env(&config(Fork::London), &header(Fork::London));
    assert_eq!(london.fork, Fork::London);
    assert_eq!(london.chain_id, DEV_CHAIN_ID);
    assert_eq!((london.number, london.timestamp), (1, 12));
    assert_eq!(london.coinbase, MINER);
    assert_eq!(london.gas_limit, 30_000_000);
    assert_eq!(london.base_fee, Some(u(7)));
    assert_eq!(london.difficulty, u(131_072));
    assert_eq!(london.prev_randao, None, "DIFFICULTY before the merge");
    assert_eq!(london.blob_params, None);
    let cancun = block_env(&config(Fork::Cancun), &header(Fork::Cancun));
    assert_eq!(cancun.prev_randao, Some(B256::repeat_byte(0x42)));
    assert_eq!(cancun.blob_params, Some(BlobParams::CANCUN));
    assert_eq!(cancun.excess_blob_gas, Some(0));
}

#[test]
fn a_header_or_body_disagreeing_with_execution_is_rejected_naming_the_field() {
    let fork = Fork::Prague;
    let db = db(fork, &[(CONTRACT, LOGS)]);
    let config = config(fork);
    let parent = Header {
        gas_limit: 30_000_000,
        base_fee_per_gas: Some(1_000_000_000),
        withdrawals_root: Some(EMPTY_TRIE_ROOT),
        blob_gas_used: Some(0),
        excess_blob_gas: Some(0),
        parent_beacon_block_root: Some(B256::ZERO),
        requests_hash: Some(EMPTY_REQUESTS_HASH),
        ommers_hash: ethrex_common::constants::EMPTY_OMMERS_HASH,
        ..Default::default()
    };
    let attributes = BlockAttributes {
        timestamp: 12,
        fee_recipient: MINER,
        prev_randao: B256::ZERO,
        gas_limit: parent.gas_limit,
        extra_data: Bytes::new(),
        withdrawals: Some(vec![Withdrawal {
            index: 0,
            validator_index: 1,
            address: RECIPIENT,
            amount: 1,
        }]),
        parent_beacon_block_root: Some(B256::ZERO),
    };
    let root = |_: &StateChanges| Ok(B256::repeat_byte(0x77));
    let transactions = vec![call(fork, 0, CONTRACT, &[]), call(fork, 1, RECIPIENT, &[])];
    let built = build_block(&config, &parent, &db, attributes, transactions, &root).unwrap();
    assert!(built.skipped.is_empty());
    execute_block(&config, &built.block, &parent, &db, &root).unwrap();

    type Edit = fn(&mut Block);
    let mismatches: [(Edit, &str); 6] = [
        (|b| b.header.gas_used += 1, "gas used"),
        (
            |b| b.header.receipts_root = B256::repeat_byte(1),
            "receipts root",
        ),
        (
            |b| b.header.logs_bloom = alloy_primitives::Bloom::ZERO,
            "logs bloom",
        ),
        (
            |b| b.header.requests_hash = Some(B256::repeat_byte(1)),
            "requests hash",
        ),
        (|b| b.body.transactions.reverse(), "transactions root"),
        (
            |b| b.body.withdrawals = Some(Vec::new().into()),
            "withdrawals root",
        ),
    ];
    for (edit, field) in mismatches {
        let mut block = built.block.clone();
        edit(&mut block);
        match execute_block(&config, &block, &parent, &db, &root) {
            Err(BlockError::Mismatch { field: got, .. }) => assert_eq!(got, field),
            other => panic!("{field}: expected a mismatch, got {:?}", other.err()),
        }
    }
    let mut block = built.block.clone();
    block.body.withdrawals = None;
    assert!(matches!(
        execute_block(&config, &block, &parent, &db, &root),
        Err(BlockError::InvalidBody(_))
    ));
}
