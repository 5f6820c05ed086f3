//! The rollup's transaction hook ([`L2Hook`]) through the public API: the fee split between
//! the coinbase and the three vaults, the L1 data fee charged as gas, privileged transactions
//! (minted, fee-free, always included), and what Ethereum's hook refuses.

use std::collections::HashMap;

use alloy_primitives::{Address, Bytes, TxKind, U256};
use ethrex_common::{
    Fork,
    types::{Eip1559Tx, Eip4844Tx, FeeConfig, L2_BRIDGE_ADDRESS, PrivilegedL2Tx, Transaction},
    validation::TxValidityError,
};
use ethrex_vm::{BlockEnv, Evm, InMemoryDb, InvalidTransaction, L2Hook, StateChanges, TxError};

const SENDER: Address = Address::repeat_byte(0xaa);
const TO: Address = Address::repeat_byte(0xbb);
const REVERTER: Address = Address::repeat_byte(0xcc);
const COINBASE: Address = Address::repeat_byte(0xc0);
const BASE_VAULT: Address = Address::repeat_byte(0x0b);
const OPERATOR_VAULT: Address = Address::repeat_byte(0x0c);
const L1_VAULT: Address = Address::repeat_byte(0x0d);
const CHAIN_ID: u64 = 65_536_999;
const BASE_FEE: u64 = 1_000;
const RICH: u64 = 1_000_000_000_000_000_000;

fn env() -> BlockEnv {
    BlockEnv {
        fork: Fork::Prague,
        chain_id: CHAIN_ID,
        number: 1,
        coinbase: COINBASE,
        timestamp: 1,
        gas_limit: 30_000_000,
        base_fee: Some(U256::from(BASE_FEE)),
        difficulty: U256::ZERO,
        prev_randao: Some(Default::default()),
        excess_blob_gas: Some(0),
        blob_params: ethrex_common::ChainConfig::all_active_up_to(CHAIN_ID, Fork::Prague)
            .blob_params(Fork::Prague),
        blob_base_fee_override: None,
    }
}

fn db() -> InMemoryDb {
    let mut db = InMemoryDb::default();
    db.insert_account(SENDER, 0, U256::from(RICH), Bytes::new(), HashMap::new());
    // PUSH1 0 PUSH1 0 REVERT
    let revert = Bytes::from_static(&[0x60, 0x00, 0x60, 0x00, 0xfd]);
    db.insert_account(REVERTER, 1, U256::ZERO, revert, HashMap::new());
    db
}

fn all_vaults(operator_fee_per_gas: u64, l1_fee_per_blob_gas: u64) -> FeeConfig {
    FeeConfig {
        base_fee_vault: Some(BASE_VAULT),
        operator_fee_vault: Some(OPERATOR_VAULT),
        operator_fee_per_gas,
        l1_fee_vault: Some(L1_VAULT),
        l1_fee_per_blob_gas,
    }
}

/// A signed EIP-1559 transfer of 5 wei from the dev key whose address the state ignores
/// (the sender is passed explicitly).
fn transfer(max_fee: u64, priority: u64, gas_limit: u64) -> Transaction {
    Transaction::Eip1559(Eip1559Tx {
        chain_id: CHAIN_ID,
        max_fee_per_gas: U256::from(max_fee),
        max_priority_fee_per_gas: U256::from(priority),
        gas_limit,
        to: TxKind::Call(TO),
        value: U256::from(5),
        y_parity: false,
        r: U256::from(1),
        s: U256::from(1),
        ..Default::default()
    })
}

fn balance(changes: &StateChanges, address: Address) -> U256 {
    changes
        .accounts
        .iter()
        .find(|a| a.address == address)
        .and_then(|a| a.info)
        .map_or(U256::ZERO, |info| info.balance)
}

fn nonce(changes: &StateChanges, address: Address) -> Option<u64> {
    changes
        .accounts
        .iter()
        .find(|a| a.address == address)
        .and_then(|a| a.info)
        .map(|info| info.nonce)
}

#[test]
fn fees_go_to_the_coinbase_and_the_three_vaults() {
    let db = db();
    // 31 wei per blob gas is exactly 32 wei per byte (31 × 131072 / 126976).
    let fees = all_vaults(100, 31);
    let tx = transfer(2_000, 50, 100_000);
    let len = u64::try_from(tx.encode_2718().len()).unwrap();
    // P = base 1000 + operator 100 + priority min(50, 2000 - 1100) = 1150.
    let price = 1_150u64;
    let l1_gas = (32 * len).div_ceil(price);
    assert!(l1_gas > 0);
    let mut evm = Evm::with_hook(&db, env(), L2Hook::new(fees));
    let result = evm.transact(&tx, SENDER).unwrap();
    assert!(result.success);
    assert_eq!(result.gas_used, 21_000 + l1_gas);
    assert_eq!(evm.gas_used(), 21_000 + l1_gas);
    let changes = evm.into_changes().unwrap();
    assert_eq!(balance(&changes, TO), U256::from(5));
    assert_eq!(balance(&changes, COINBASE), U256::from(21_000 * 50));
    assert_eq!(balance(&changes, BASE_VAULT), U256::from(21_000 * BASE_FEE));
    assert_eq!(balance(&changes, OPERATOR_VAULT), U256::from(21_000 * 100));
    assert_eq!(balance(&changes, L1_VAULT), U256::from(l1_gas * price));
    let spent = 5 + (21_000 + l1_gas) * price;
    assert_eq!(balance(&changes, SENDER), U256::from(RICH - spent));
    assert_eq!(nonce(&changes, SENDER), Some(1));
}

#[test]
fn without_vaults_the_base_fee_is_burned_and_nothing_else_is_charged() {
    let db = db();
    // An operator fee without an operator vault is not charged.
    let fees = FeeConfig {
        operator_fee_per_gas: 100,
        l1_fee_per_blob_gas: 31,
        ..FeeConfig::default()
    };
    let tx = transfer(2_000, 50, 100_000);
    let mut evm = Evm::with_hook(&db, env(), L2Hook::new(fees));
    let result = evm.transact(&tx, SENDER).unwrap();
    assert_eq!(result.gas_used, 21_000);
    let changes = evm.into_changes().unwrap();
    assert_eq!(balance(&changes, COINBASE), U256::from(21_000 * 50));
    let spent = 5 + 21_000 * (BASE_FEE + 50);
    assert_eq!(balance(&changes, SENDER), U256::from(RICH - spent));
    // The same transaction under Ethereum's rules leaves the same balances.
    let mut l1 = Evm::new(&db, env());
    l1.transact(&tx, SENDER).unwrap();
    let l1_changes = l1.into_changes().unwrap();
    for address in [SENDER, COINBASE, TO] {
        assert_eq!(balance(&changes, address), balance(&l1_changes, address));
    }
}

#[test]
fn the_fee_cap_must_cover_base_plus_operator_fee() {
    let db = db();
    let mut evm = Evm::with_hook(&db, env(), L2Hook::new(all_vaults(100, 0)));
    let err = evm
        .transact(&transfer(1_099, 0, 100_000), SENDER)
        .unwrap_err();
    assert_eq!(
        err,
        TxError::Invalid(InvalidTransaction::FeeBelowBaseAndOperatorFee {
            max_fee: U256::from(1_099),
            needed: U256::from(BASE_FEE + 100),
        })
    );
    assert!(evm.into_changes().unwrap().accounts.is_empty());
    // Exactly base + operator pays no priority fee.
    let mut evm = Evm::with_hook(&db, env(), L2Hook::new(all_vaults(100, 0)));
    evm.transact(&transfer(1_100, 50, 100_000), SENDER).unwrap();
    assert_eq!(balance(&evm.into_changes().unwrap(), COINBASE), U256::ZERO);
}

#[test]
fn the_gas_limit_must_cover_the_l1_fee_gas() {
    let db = db();
    let mut evm = Evm::with_hook(&db, env(), L2Hook::new(all_vaults(0, 31)));
    let err = evm
        .transact(&transfer(2_000, 0, 21_000), SENDER)
        .unwrap_err();
    assert!(
        matches!(
            err,
            TxError::Invalid(InvalidTransaction::SurchargeGasAboveLimit {
                gas_limit: 21_000,
                intrinsic: 21_000,
                ..
            })
        ),
        "{err}"
    );
}

#[test]
fn blob_transactions_are_refused() {
    let db = db();
    let tx = Transaction::Eip4844(
        Eip4844Tx {
            chain_id: CHAIN_ID,
            max_fee_per_gas: U256::from(2_000),
            gas_limit: 100_000,
            to: TO,
            blob_versioned_hashes: vec![Default::default()],
            r: U256::from(1),
            s: U256::from(1),
            ..Default::default()
        },
        None,
    );
    let mut evm = Evm::with_hook(&db, env(), L2Hook::new(FeeConfig::default()));
    let err = evm.transact(&tx, SENDER).unwrap_err();
    assert_eq!(
        err,
        TxError::Invalid(InvalidTransaction::NotOnRollup("blob"))
    );
}

fn privileged(from: Address, to: Address, value: u64, gas_limit: u64) -> Transaction {
    Transaction::Privileged(PrivilegedL2Tx::new(
        CHAIN_ID,
        0,
        gas_limit,
        from,
        to,
        U256::from(value),
        Bytes::new(),
    ))
}

#[test]
fn a_deposit_mints_its_value_free_of_fees() {
    let db = db();
    let tx = privileged(L2_BRIDGE_ADDRESS, TO, 7, 100_000);
    let mut evm = Evm::with_hook(&db, env(), L2Hook::new(all_vaults(100, 31)));
    let result = evm.transact(&tx, tx.sender().unwrap()).unwrap();
    assert!(result.success);
    assert_eq!(result.gas_used, 21_000);
    let changes = evm.into_changes().unwrap();
    assert_eq!(balance(&changes, TO), U256::from(7));
    assert_eq!(balance(&changes, L2_BRIDGE_ADDRESS), U256::ZERO);
    assert_eq!(nonce(&changes, L2_BRIDGE_ADDRESS).unwrap_or(0), 0);
    for vault in [COINBASE, BASE_VAULT, OPERATOR_VAULT, L1_VAULT] {
        assert_eq!(balance(&changes, vault), U256::ZERO);
    }
}

#[test]
fn a_privileged_call_leaves_the_senders_nonce_and_pays_its_value() {
    let db = db();
    let tx = privileged(SENDER, TO, 9, 100_000);
    let mut evm = Evm::with_hook(&db, env(), L2Hook::new(all_vaults(100, 31)));
    let result = evm.transact(&tx, SENDER).unwrap();
    assert!(result.success);
    let changes = evm.into_changes().unwrap();
    assert_eq!(balance(&changes, SENDER), U256::from(RICH - 9));
    assert_eq!(nonce(&changes, SENDER), Some(0));
}

#[test]
fn a_privileged_transaction_that_cannot_run_is_included_as_failed() {
    let db = db();
    // TO has no balance: it cannot pay a value (it is not the bridge, so nothing is minted).
    let unaffordable = privileged(TO, SENDER, 1, 50_000);
    // Below the intrinsic gas.
    let too_little_gas = privileged(L2_BRIDGE_ADDRESS, TO, 1, 20_000);
    for tx in [unaffordable, too_little_gas] {
        let mut evm = Evm::with_hook(&db, env(), L2Hook::new(FeeConfig::default()));
        let result = evm.transact(&tx, tx.sender().unwrap()).unwrap();
        assert!(!result.success);
        assert_eq!(result.gas_used, tx.gas_limit());
        let changes = evm.into_changes().unwrap();
        // SENDER and TO are unchanged (so absent from the changes); a deposit's minted value
        // stays with the bridge, as when it reverts.
        assert!(
            changes
                .accounts
                .iter()
                .all(|a| a.address != SENDER && a.address != TO)
        );
        let minted = if tx.sender().unwrap() == L2_BRIDGE_ADDRESS {
            1
        } else {
            0
        };
        assert_eq!(balance(&changes, L2_BRIDGE_ADDRESS), U256::from(minted));
    }
}

#[test]
fn a_reverted_deposit_leaves_the_minted_value_with_the_bridge() {
    let db = db();
    let tx = privileged(L2_BRIDGE_ADDRESS, REVERTER, 7, 100_000);
    let mut evm = Evm::with_hook(&db, env(), L2Hook::new(FeeConfig::default()));
    let result = evm.transact(&tx, L2_BRIDGE_ADDRESS).unwrap();
    assert!(!result.success);
    let changes = evm.into_changes().unwrap();
    assert_eq!(balance(&changes, REVERTER), U256::ZERO);
    assert_eq!(balance(&changes, L2_BRIDGE_ADDRESS), U256::from(7));
}

#[test]
fn a_privileged_transaction_for_another_chain_is_invalid() {
    let db = db();
    let Transaction::Privileged(mut inner) = privileged(L2_BRIDGE_ADDRESS, TO, 1, 100_000) else {
        unreachable!()
    };
    inner.chain_id = 1;
    let tx = Transaction::Privileged(inner);
    let mut evm = Evm::with_hook(&db, env(), L2Hook::new(FeeConfig::default()));
    let err = evm.transact(&tx, L2_BRIDGE_ADDRESS).unwrap_err();
    assert_eq!(
        err,
        TxError::Invalid(InvalidTransaction::Stateless(
            TxValidityError::InvalidChainId {
                expected: CHAIN_ID,
                got: 1
            }
        ))
    );
}

#[test]
fn ethereums_hook_refuses_privileged_transactions() {
    let db = db();
    let tx = privileged(L2_BRIDGE_ADDRESS, TO, 7, 100_000);
    let err = Evm::new(&db, env())
        .transact(&tx, L2_BRIDGE_ADDRESS)
        .unwrap_err();
    assert_eq!(
        err,
        TxError::Invalid(InvalidTransaction::Stateless(
            TxValidityError::PrivilegedNotAllowed
        ))
    );
}
