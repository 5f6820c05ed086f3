//! End-to-end tests of the VM through its public API: transactions over an in-memory state,
//! malformed programs, call depth, tracers.

use std::collections::{BTreeMap, HashMap};

use alloy_primitives::{Address, Bytes, TxKind, U256, hex};
use ethrex_common::{
    Fork,
    types::{LegacyTx, Transaction},
};
use ethrex_vm::{
    BlockEnv, CallHook, Evm, Halt, InMemoryDb, InvalidTransaction, TxError, TxResult, Validation,
    tracers::{AccessTracer, CallTracer, CallTracerConfig, StructLogger},
};

const SENDER: Address = Address::repeat_byte(0xaa);
const CONTRACT: Address = Address::repeat_byte(0xcc);
const OTHER: Address = Address::repeat_byte(0xdd);
const GAS: u64 = 1_000_000;

fn env(fork: Fork) -> BlockEnv {
    BlockEnv {
        fork,
        chain_id: 1,
        number: 1,
        coinbase: Address::repeat_byte(0xc0),
        timestamp: 1,
        gas_limit: 30_000_000,
        base_fee: (fork >= Fork::London).then_some(U256::from(7)),
        difficulty: U256::ZERO,
        prev_randao: (fork >= Fork::Paris).then_some(Default::default()),
        excess_blob_gas: (fork >= Fork::Cancun).then_some(0),
        blob_params: ethrex_common::ChainConfig::all_active_up_to(1, fork).blob_params(fork),
        blob_base_fee_override: None,
    }
}

fn db_with(contracts: &[(Address, &[u8])]) -> InMemoryDb {
    let mut db = InMemoryDb::default();
    db.insert_account(
        SENDER,
        0,
        U256::from(10u64).pow(U256::from(20)),
        Bytes::new(),
        HashMap::new(),
    );
    for (address, code) in contracts {
        db.insert_account(
            *address,
            1,
            U256::ZERO,
            Bytes::copy_from_slice(code),
            HashMap::new(),
        );
    }
    db
}

fn call_tx(to: Address, gas_limit: u64) -> Transaction {
    Transaction::Legacy(LegacyTx {
        gas_price: U256::from(10),
        gas_limit,
        to: TxKind::Call(to),
        v: 27,
        r: U256::from(1),
        s: U256::from(1),
        ..Default::default()
    })
}

fn run(code: &[u8], fork: Fork) -> TxResult {
    let db = db_with(&[(CONTRACT, code)]);
    Evm::new(&db, env(fork))
        .transact(&call_tx(CONTRACT, GAS), SENDER)
        .unwrap()
}

#[test]
fn value_transfer_costs_21000_and_moves_balances() {
    let db = db_with(&[]);
    let mut tx = call_tx(OTHER, 21_000);
    if let Transaction::Legacy(t) = &mut tx {
        t.value = U256::from(5);
    }
    let mut evm = Evm::new(&db, env(Fork::Cancun));
    let result = evm.transact(&tx, SENDER).unwrap();
    assert!(result.success);
    assert_eq!(result.gas_used, 21_000);
    let changes = evm.into_changes().unwrap();
    let other = changes
        .accounts
        .iter()
        .find(|a| a.address == OTHER)
        .unwrap();
    assert_eq!(other.info.unwrap().balance, U256::from(5));
    let sender = changes
        .accounts
        .iter()
        .find(|a| a.address == SENDER)
        .unwrap()
        .info
        .unwrap();
    assert_eq!(sender.nonce, 1);
    assert_eq!(
        sender.balance,
        U256::from(10u64).pow(U256::from(20)) - U256::from(5 + 21_000 * 10)
    );
}

#[test]
fn invalid_transaction_changes_nothing() {
    let db = db_with(&[]);
    let mut tx = call_tx(OTHER, 21_000);
    if let Transaction::Legacy(t) = &mut tx {
        t.nonce = 3;
    }
    let mut evm = Evm::new(&db, env(Fork::Cancun));
    let err = evm.transact(&tx, SENDER).unwrap_err();
    assert!(err.to_string().contains("nonce 3 does not match"), "{err}");
    assert!(
        evm.into_changes()
            .unwrap()
            .accounts
            .iter()
            .all(|a| a.info.is_none_or(|i| i.nonce == 0))
    );
}

#[test]
fn malformed_programs_halt_and_consume_all_gas() {
    let cases: [(&str, &[u8], Halt); 6] = [
        ("undefined opcode", &[0x0c], Halt::InvalidOpcode(0x0c)),
        ("INVALID", &[0xfe], Halt::InvalidOpcode(0xfe)),
        ("stack underflow", &[0x01], Halt::StackUnderflow),
        (
            "jump into push data",
            &hex!("6003566000"),
            Halt::InvalidJump,
        ),
        // MLOAD at 2^255: the memory would cost more gas than exists; nothing is allocated.
        (
            "huge memory offset",
            &hex!("7f800000000000000000000000000000000000000000000000000000000000000051"),
            Halt::OutOfGas,
        ),
        (
            "returndatacopy out of bounds",
            &hex!("6001600060003e"),
            Halt::ReturnDataOutOfBounds,
        ),
    ];
    for (name, code, halt) in cases {
        let result = run(code, Fork::Cancun);
        assert!(!result.success, "{name}");
        assert_eq!(result.halt, Some(halt), "{name}");
        assert_eq!(result.gas_used, GAS, "{name}: all gas is consumed");
    }
}

#[test]
fn stack_overflow_halts() {
    // 1025 x PUSH0.
    let code = vec![0x5f; 1025];
    let result = run(&code, Fork::Cancun);
    assert_eq!(result.halt, Some(Halt::StackOverflow));
}

#[test]
fn opcodes_follow_their_fork() {
    // PUSH0 is undefined before Shanghai.
    assert_eq!(
        run(&[0x5f, 0x00], Fork::London).halt,
        Some(Halt::InvalidOpcode(0x5f))
    );
    assert!(run(&[0x5f, 0x00], Fork::Shanghai).success);
}

#[test]
fn call_with_absurd_gas_forwards_at_most_63_64ths() {
    // CALL(gas = 2^256-1, to = OTHER, value 0, no memory) then STOP.
    let mut code = hex!("6000600060006000600073").to_vec();
    code.extend_from_slice(OTHER.as_slice());
    code.extend_from_slice(&hex!(
        "7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff f100"
    ));
    let result = run(&code, Fork::Cancun);
    assert!(result.success, "{:?}", result.halt);
}

#[test]
fn call_depth_is_limited_to_1024() {
    // Calls itself with all gas, counting the depth reached in slot 0:
    // SSTORE(0, SLOAD(0) + 1); CALL(GAS, ADDRESS, 0, 0, 0, 0, 0)
    let code = hex!("60005460010160005560006000600060006000305af100");
    let db = db_with(&[(CONTRACT, &code)]);
    let mut evm = Evm::new(&db, env(Fork::Cancun));
    let result = evm
        .transact(&call_tx(CONTRACT, 29_000_000), SENDER)
        .unwrap();
    assert!(result.success);
    let changes = evm.into_changes().unwrap();
    let contract = changes
        .accounts
        .iter()
        .find(|a| a.address == CONTRACT)
        .unwrap();
    let depth = contract
        .storage
        .iter()
        .find(|(k, _)| k.is_zero())
        .map(|(_, v)| *v)
        .unwrap();
    // Gas runs out long before 1024 with 63/64 forwarding and SSTORE costs; the count is exact
    // for the gas given, and the top frame succeeds whatever happens below.
    assert!(
        depth > U256::from(1) && depth <= U256::from(1025),
        "depth {depth}"
    );
}

#[test]
fn malformed_precompile_input_fails_the_call_not_the_vm() {
    // STATICCALL(GAS, 0x08 (bn254 pairing), input: 1 byte (not a multiple of 192)) and store
    // the success flag at slot 0.
    let code = hex!("6000600060016000600861fffffa60005500");
    let db = db_with(&[(CONTRACT, &code)]);
    let mut evm = Evm::new(&db, env(Fork::Cancun));
    let result = evm.transact(&call_tx(CONTRACT, GAS), SENDER).unwrap();
    assert!(result.success);
    let changes = evm.into_changes().unwrap();
    let contract = changes
        .accounts
        .iter()
        .find(|a| a.address == CONTRACT)
        .unwrap();
    assert!(
        contract.storage.iter().all(|(_, v)| v.is_zero()),
        "the precompile call failed"
    );
}

#[test]
fn struct_logger_records_each_opcode_with_its_cost() {
    let db = db_with(&[(CONTRACT, &hex!("6001600201600055"))]);
    let mut logger = StructLogger::default();
    let result = Evm::new(&db, env(Fork::Cancun))
        .transact_with(&call_tx(CONTRACT, GAS), SENDER, &mut logger)
        .unwrap();
    assert!(result.success);
    let ops: Vec<_> = logger
        .logs
        .iter()
        .map(|l| (ethrex_vm::opcode::name(l.op), l.gas_cost))
        .collect();
    assert_eq!(
        ops,
        [
            ("PUSH1", 3),
            ("PUSH1", 3),
            ("ADD", 3),
            ("PUSH1", 3),
            ("SSTORE", 22_100),
            ("STOP", 0)
        ]
    );
    assert_eq!(
        logger.logs[2].stack.as_deref(),
        Some(&[U256::from(1), U256::from(2)][..])
    );
    let stored = BTreeMap::from([(U256::ZERO, U256::from(3))]);
    assert_eq!(logger.logs[4].storage.as_ref(), Some(&stored));
}

#[test]
fn call_tracer_builds_the_call_tree() {
    // CONTRACT calls OTHER, which reverts.
    let mut code = hex!("6000600060006000600073").to_vec();
    code.extend_from_slice(OTHER.as_slice());
    code.extend_from_slice(&hex!("61fffff100"));
    let db = db_with(&[(CONTRACT, &code), (OTHER, &hex!("60006000fd"))]);
    let mut tracer = CallTracer::default();
    Evm::new(&db, env(Fork::Cancun))
        .transact_with(&call_tx(CONTRACT, GAS), SENDER, &mut tracer)
        .unwrap();
    let root = tracer.root().unwrap();
    assert_eq!((root.call_type, root.to), ("CALL", Some(CONTRACT)));
    assert_eq!(root.calls.len(), 1);
    let child = &root.calls[0];
    assert_eq!(
        (child.call_type, child.from, child.to),
        ("CALL", CONTRACT, Some(OTHER))
    );
    assert_eq!(child.error.as_deref(), Some("execution reverted"));
}

#[test]
fn drain_moves_every_balance_to_the_beneficiary() {
    let (rich, poor, absent) = (SENDER, OTHER, Address::repeat_byte(0xee));
    let beneficiary = Address::repeat_byte(0xbe);
    let mut db = db_with(&[]);
    db.insert_account(poor, 0, U256::from(7), Bytes::new(), HashMap::new());
    let balance = |changes: &ethrex_vm::StateChanges, address: Address| {
        changes
            .accounts
            .iter()
            .find(|a| a.address == address)
            .and_then(|a| a.info)
            .map(|info| info.balance)
    };
    let mut evm = Evm::new(&db, env(Fork::Homestead));
    evm.drain(&[rich, poor, absent], beneficiary).unwrap();
    let changes = evm.into_changes().unwrap();
    let total = U256::from(10u64).pow(U256::from(20)) + U256::from(7);
    assert_eq!(balance(&changes, beneficiary), Some(total));
    for address in [rich, poor, absent] {
        assert_eq!(balance(&changes, address), Some(U256::ZERO), "{address}");
    }
    // Under EIP-161 the emptied accounts are deleted.
    let mut evm = Evm::new(&db, env(Fork::SpuriousDragon));
    evm.drain(&[rich, poor, absent], beneficiary).unwrap();
    let changes = evm.into_changes().unwrap();
    assert_eq!(balance(&changes, beneficiary), Some(total));
    for address in [rich, poor, absent] {
        assert_eq!(balance(&changes, address), None, "{address}");
    }
}

#[test]
fn call_mode_skips_nonce_and_eoa_checks_but_not_the_balance() {
    // The sender has code and a nonce of 1; the call says nonce 5.
    let mut db = db_with(&[(CONTRACT, &hex!("00"))]);
    db.insert_account(
        OTHER,
        1,
        U256::from(1_000),
        Bytes::from_static(&hex!("00")),
        HashMap::new(),
    );
    let mut tx = call_tx(CONTRACT, 100_000);
    if let Transaction::Legacy(t) = &mut tx {
        t.nonce = 5;
        t.gas_price = U256::ZERO;
    }
    let strict = Evm::new(&db, env(Fork::Berlin)).transact(&tx, OTHER);
    assert!(matches!(
        strict,
        Err(TxError::Invalid(InvalidTransaction::NonceMismatch { .. }))
    ));
    let mut evm = Evm::with_hook(&db, env(Fork::Berlin), CallHook::default());
    assert!(evm.transact(&tx, OTHER).unwrap().success);
    let changes = evm.into_changes().unwrap();
    let sender = changes
        .accounts
        .iter()
        .find(|a| a.address == OTHER)
        .unwrap();
    assert_eq!(sender.info.unwrap().nonce, 2, "the nonce is still bumped");
    if let Transaction::Legacy(t) = &mut tx {
        t.value = U256::from(1_001);
    }
    let poor = Evm::with_hook(&db, env(Fork::Berlin), CallHook::default()).transact(&tx, OTHER);
    assert!(matches!(
        poor,
        Err(TxError::Invalid(
            InvalidTransaction::InsufficientFunds { .. }
        ))
    ));
}

#[test]
fn call_mode_ignores_the_block_gas_limit_and_the_eip7825_cap() {
    let db = db_with(&[(CONTRACT, &hex!("00"))]);
    let mut tx = call_tx(CONTRACT, 50_000_000);
    if let Transaction::Legacy(t) = &mut tx {
        t.gas_price = U256::ZERO;
    }
    let mut env = env(Fork::Osaka);
    env.base_fee = Some(U256::ZERO);
    assert!(Evm::new(&db, env.clone()).transact(&tx, SENDER).is_err());
    let result = Evm::with_hook(&db, env, CallHook::default())
        .transact(&tx, SENDER)
        .unwrap();
    assert!(result.success);
}

#[test]
fn call_tracer_records_logs_with_their_position() {
    // CONTRACT logs, calls OTHER, logs again; OTHER logs.
    let mut code = hex!("60006000a0").to_vec();
    code.extend_from_slice(&hex!("6000600060006000600073"));
    code.extend_from_slice(OTHER.as_slice());
    code.extend_from_slice(&hex!("61fffff15060006000a000"));
    let db = db_with(&[(CONTRACT, &code), (OTHER, &hex!("60006000a000"))]);
    let config = CallTracerConfig {
        only_top_call: false,
        with_log: true,
    };
    let mut tracer = CallTracer::new(config);
    Evm::new(&db, env(Fork::Cancun))
        .transact_with(&call_tx(CONTRACT, GAS), SENDER, &mut tracer)
        .unwrap();
    let root = tracer.root().unwrap();
    let positions: Vec<_> = root.logs.iter().map(|l| l.position).collect();
    assert_eq!(positions, [0, 1]);
    assert_eq!(root.calls[0].logs.len(), 1);
    let mut top_only = CallTracer::new(CallTracerConfig {
        only_top_call: true,
        with_log: true,
    });
    Evm::new(&db, env(Fork::Cancun))
        .transact_with(&call_tx(CONTRACT, GAS), SENDER, &mut top_only)
        .unwrap();
    let root = top_only.root().unwrap();
    assert!(root.calls.is_empty());
    assert_eq!(root.logs.len(), 2);
}

#[test]
fn access_tracer_records_slots_and_reached_accounts() {
    // SLOAD 7; BALANCE(OTHER); STOP
    let mut code = hex!("60075450").to_vec();
    code.push(0x73);
    code.extend_from_slice(OTHER.as_slice());
    code.extend_from_slice(&hex!("315000"));
    let db = db_with(&[(CONTRACT, &code)]);
    let mut tracer = AccessTracer::default();
    Evm::new(&db, env(Fork::Cancun))
        .transact_with(&call_tx(CONTRACT, GAS), SENDER, &mut tracer)
        .unwrap();
    let contract_slots: Vec<_> = tracer.accounts[&CONTRACT].iter().copied().collect();
    assert_eq!(contract_slots, [U256::from(7)]);
    assert!(tracer.accounts[&OTHER].is_empty());
    assert_eq!(tracer.accounts.len(), 2);
}

#[test]
fn simulate_mode_checks_the_nonce_but_not_the_sender_code() {
    let mut db = db_with(&[(CONTRACT, &hex!("00"))]);
    db.insert_account(
        OTHER,
        1,
        U256::from(10u64).pow(U256::from(18)),
        Bytes::from_static(&hex!("00")),
        HashMap::new(),
    );
    let simulate = CallHook {
        validation: Validation::Simulate,
    };
    let mut tx = call_tx(CONTRACT, 100_000);
    let wrong_nonce = Evm::with_hook(&db, env(Fork::Berlin), simulate).transact(&tx, OTHER);
    assert!(matches!(
        wrong_nonce,
        Err(TxError::Invalid(InvalidTransaction::NonceMismatch {
            tx: 0,
            state: 1
        }))
    ));
    if let Transaction::Legacy(t) = &mut tx {
        t.nonce = 1;
    }
    let result = Evm::with_hook(&db, env(Fork::Berlin), simulate)
        .transact(&tx, OTHER)
        .unwrap();
    assert!(result.success, "a sender with code may send");
}

/// The RIPEMD-160 exception of EIP-161 (mainnet block 2,675,119), as execution-specs write it
/// from Spurious Dragon to Gray Glacier: a touch of an empty account at 0x03 survives the failure
/// of the call that made it (`incorporate_child_on_error` hands it to the parent), but not the
/// failure of the transaction's own frame (`process_message_call` drops every touched account
/// when `evm.error` is set). The pre-state holds an empty account at 0x03, as mainnet did until
/// that block.
#[test]
fn ripemd160_touch_survives_a_failed_call_but_not_a_failed_transaction() {
    const RIPEMD: Address = Address::with_last_byte(3);
    // CALL(gas 1, 0x03, value 0, no input, no output): the precompile runs out of gas.
    const CALL_RIPEMD_OOG: [u8; 16] = hex!("6000600060006000600060036001f150");
    let program = |tail: &[u8]| [&CALL_RIPEMD_OOG[..], tail].concat();
    let (stop, invalid, revert) = (&hex!("00")[..], &hex!("fe")[..], &hex!("60006000fd")[..]);
    /// One transaction: to `CONTRACT` running `code`, or (`code` empty) to 0x03 itself.
    struct Case {
        what: &'static str,
        fork: Fork,
        code: Vec<u8>,
        gas_limit: u64,
        deleted: bool,
    }
    let case = |what, fork, code, gas_limit, deleted| Case {
        what,
        fork,
        code,
        gas_limit,
        deleted,
    };
    let cases = [
        case(
            "failed call, tx succeeds",
            Fork::SpuriousDragon,
            program(stop),
            GAS,
            true,
        ),
        case(
            "failed call, tx halts",
            Fork::SpuriousDragon,
            program(invalid),
            GAS,
            false,
        ),
        case(
            "failed call, tx halts",
            Fork::London,
            program(invalid),
            GAS,
            false,
        ),
        case(
            "failed call, tx reverts",
            Fork::Byzantium,
            program(revert),
            GAS,
            false,
        ),
        // 21,000 intrinsic gas and 600 for RIPEMD-160 of no input.
        case(
            "tx to 0x03 succeeds",
            Fork::SpuriousDragon,
            Vec::new(),
            21_600,
            true,
        ),
        case(
            "tx to 0x03 runs out of gas",
            Fork::SpuriousDragon,
            Vec::new(),
            21_599,
            false,
        ),
        case(
            "failed call before EIP-161",
            Fork::Homestead,
            program(stop),
            GAS,
            false,
        ),
    ];
    for c in cases {
        let mut db = db_with(&[(CONTRACT, &c.code)]);
        db.insert_account(RIPEMD, 0, U256::ZERO, Bytes::new(), HashMap::new());
        let to = if c.code.is_empty() { RIPEMD } else { CONTRACT };
        let mut evm = Evm::new(&db, env(c.fork));
        let result = evm.transact(&call_tx(to, c.gas_limit), SENDER).unwrap();
        let changes = evm.into_changes().unwrap();
        let deleted = changes
            .accounts
            .iter()
            .any(|a| a.address == RIPEMD && a.info.is_none());
        assert_eq!(
            deleted, c.deleted,
            "{} at {} (tx success: {})",
            c.what, c.fork, result.success
        );
    }
}
