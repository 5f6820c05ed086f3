//! `CommonBridge` deposits and `sendToL2`: the event, the stored hash (= the L2 transaction
//! hash), ids from 0, the rolling hash, aliasing of contract callers, the inclusion deadline.

use alloy_primitives::{Address, Bytes, U256};
use alloy_sol_types::SolCall;
use ethrex_l2_contracts::{
    DEPOSIT_GAS_LIMIT, ETH_TOKEN_ADDRESS, L2_BRIDGE_ADDRESS,
    hashes::{PrivilegedTx, l1_to_l2_alias, rolling_hash},
    testing::{BRIDGE_CALLER, TEST_TOKEN},
};

use crate::{abi, harness::*};

type Sent = abi::CommonBridge::PrivilegedTxSent;

/// The hash the bridge stored for privileged transaction `id`.
fn stored_hash(rollup: &Rollup, id: u64) -> alloy_primitives::B256 {
    rollup.chain.view(
        rollup.bridge,
        abi::CommonBridge::pendingTxHashesCall { id: U256::from(id) },
    )
}

/// The hash of the transaction an event describes.
fn hash_of(event: &Sent) -> alloy_primitives::B256 {
    PrivilegedTx {
        from: event.from,
        to: event.to,
        transaction_id: event.transactionId,
        value: event.value,
        gas_limit: event.gasLimit,
        data: &event.data,
    }
    .hash()
}

fn eth_deposits(rollup: &Rollup) -> U256 {
    rollup.chain.view(
        rollup.bridge,
        abi::CommonBridge::depositsCall {
            tokenL1: ETH_TOKEN_ADDRESS,
            tokenL2: ETH_TOKEN_ADDRESS,
        },
    )
}

#[test]
fn an_eth_deposit_is_a_mint_eth_call_from_and_to_the_l2_bridge() {
    let mut rollup = Rollup::deploy(Proofs::default());
    let bridge = rollup.bridge;
    let call = abi::CommonBridge::depositCall { l2Recipient: BOB };
    let events = rollup
        .chain
        .send(ALICE, bridge, ether(3), call)
        .events::<Sent>();
    assert_eq!(events.len(), 1);
    let sent = &events[0];
    assert_eq!((sent.from, sent.to), (L2_BRIDGE_ADDRESS, L2_BRIDGE_ADDRESS));
    assert_eq!(sent.transactionId, U256::ZERO, "ids start at 0");
    assert_eq!(sent.value, ether(3));
    assert_eq!(sent.gasLimit, U256::from(DEPOSIT_GAS_LIMIT));
    let mint = abi::CommonBridgeL2::mintETHCall { to: BOB }.abi_encode();
    assert_eq!(sent.data, Bytes::from(mint));
    assert_eq!(stored_hash(&rollup, 0), hash_of(sent));
    assert_eq!(rollup.chain.balance(bridge), ether(3));
    assert_eq!(eth_deposits(&rollup), ether(3));

    // Plain ETH sent to the bridge is deposited to the sender; the id moves on.
    let plain = rollup
        .chain
        .send_value(BOB, bridge, ether(2))
        .events::<Sent>();
    assert_eq!(plain[0].transactionId, U256::from(1));
    let mint = abi::CommonBridgeL2::mintETHCall { to: BOB }.abi_encode();
    assert_eq!(plain[0].data, Bytes::from(mint));
    assert_eq!(plain[0].value, ether(2));
    assert_eq!(stored_hash(&rollup, 1), hash_of(&plain[0]));
    assert_eq!(eth_deposits(&rollup), ether(5));

    let empty = abi::CommonBridge::depositCall { l2Recipient: BOB };
    rollup
        .chain
        .call(ALICE, bridge, empty)
        .reverts_with("amount to deposit is zero");
}

#[test]
fn the_versioned_hash_of_the_pending_transactions_is_the_rolling_hash() {
    let mut rollup = Rollup::deploy(Proofs::default());
    for n in 1..=3 {
        let call = abi::CommonBridge::depositCall { l2Recipient: BOB };
        rollup.chain.send(ALICE, rollup.bridge, ether(n), call).ok();
    }
    let pending = rollup.pending();
    assert_eq!(pending.len(), 3);
    for (id, hash) in pending.iter().enumerate() {
        assert_eq!(stored_hash(&rollup, id as u64), *hash);
    }
    for n in 1..=3u16 {
        let versioned = rollup.chain.view(
            rollup.bridge,
            abi::CommonBridge::getPendingTransactionsVersionedHashCall { number: n },
        );
        assert_eq!(
            Some(versioned),
            rolling_hash(&pending[..usize::from(n)]),
            "{n} hashes"
        );
    }
}

#[test]
fn an_erc20_deposit_locks_the_tokens_for_its_pair() {
    let mut rollup = Rollup::deploy(Proofs::default());
    let bridge = rollup.bridge;
    let token = rollup.chain.deploy(OWNER, &TEST_TOKEN, &[]);
    let token_l2 = Address::repeat_byte(0x12);
    let mint = abi::TestToken::mintCall {
        to: ALICE,
        amount: U256::from(1_000),
    };
    rollup.chain.call(ALICE, token, mint).ok();
    let approve = abi::TestToken::approveCall {
        spender: bridge,
        amount: U256::from(1_000),
    };
    rollup.chain.call(ALICE, token, approve).ok();
    let deposit = abi::CommonBridge::depositERC20Call {
        tokenL1: token,
        tokenL2: token_l2,
        destination: BOB,
        amount: U256::from(700),
    };
    let events = rollup.chain.call(ALICE, bridge, deposit).events::<Sent>();
    let sent = &events[0];
    assert_eq!((sent.from, sent.to), (L2_BRIDGE_ADDRESS, L2_BRIDGE_ADDRESS));
    assert_eq!(sent.value, U256::ZERO);
    let call = abi::CommonBridgeL2::mintERC20Call {
        tokenL1: token,
        tokenL2: token_l2,
        destination: BOB,
        amount: U256::from(700),
    };
    assert_eq!(sent.data, Bytes::from(call.abi_encode()));
    assert_eq!(stored_hash(&rollup, 0), hash_of(sent));
    let locked = rollup.chain.view(
        bridge,
        abi::CommonBridge::depositsCall {
            tokenL1: token,
            tokenL2: token_l2,
        },
    );
    assert_eq!(locked, U256::from(700));
    let held = rollup
        .chain
        .view(token, abi::TestToken::balanceOfCall { owner: bridge });
    assert_eq!(held, U256::from(700));
    // Without allowance left, nothing is locked.
    let again = abi::CommonBridge::depositERC20Call {
        tokenL1: token,
        tokenL2: token_l2,
        destination: BOB,
        amount: U256::from(301),
    };
    assert!(!rollup.chain.call(ALICE, bridge, again).0.success);
}

fn send_values(gas_limit: u64, value: u64) -> abi::SendValues {
    abi::SendValues {
        to: BOB,
        gasLimit: U256::from(gas_limit),
        value: U256::from(value),
        data: Bytes::from_static(b"\x12\x34"),
    }
}

#[test]
fn send_to_l2_from_an_eoa_keeps_its_address_and_burns_the_gas_limit() {
    let mut rollup = Rollup::deploy(Proofs::default());
    let call = abi::CommonBridge::sendToL2Call {
        sendValues: send_values(500_000, 0),
    };
    let outcome = rollup.chain.call(ALICE, rollup.bridge, call);
    let gas_used = outcome.0.gas_used;
    let events = outcome.events::<Sent>();
    let sent = &events[0];
    assert_eq!((sent.from, sent.to), (ALICE, BOB));
    assert_eq!(sent.gasLimit, U256::from(500_000));
    assert_eq!(sent.data, Bytes::from_static(b"\x12\x34"));
    assert_eq!(stored_hash(&rollup, 0), hash_of(sent));
    assert!(gas_used > 500_000, "L1 gas used {gas_used}");

    let with_value = abi::CommonBridge::sendToL2Call {
        sendValues: send_values(21_000, 1),
    };
    rollup
        .chain
        .call(ALICE, rollup.bridge, with_value)
        .reverts_with("carries no value");
}

#[test]
fn send_to_l2_from_a_contract_is_aliased() {
    let mut rollup = Rollup::deploy(Proofs::default());
    let caller = rollup.chain.deploy(OWNER, &BRIDGE_CALLER, &[]);
    let call = abi::BridgeCaller::callSendToL2Call {
        bridge: rollup.bridge,
        sendValues: send_values(21_000, 0),
    };
    let events = rollup.chain.call(ALICE, caller, call).events::<Sent>();
    let aliased = l1_to_l2_alias(caller);
    assert_ne!(aliased, caller);
    assert_eq!(events[0].from, aliased);
    assert_eq!(stored_hash(&rollup, 0), hash_of(&events[0]));
}

#[test]
fn send_to_l2_from_an_eip7702_delegated_eoa_is_not_aliased() {
    let mut rollup = Rollup::deploy(Proofs::default());
    let caller = rollup.chain.deploy(OWNER, &BRIDGE_CALLER, &[]);
    // BOB delegates to BridgeCaller; ALICE's transaction calls BOB, whose code calls the bridge.
    let mut delegation = vec![0xef, 0x01, 0x00];
    delegation.extend_from_slice(caller.as_slice());
    rollup.chain.set_code(BOB, delegation.into());
    let call = abi::BridgeCaller::callSendToL2Call {
        bridge: rollup.bridge,
        sendValues: send_values(21_000, 0),
    };
    let events = rollup.chain.call(ALICE, BOB, call).events::<Sent>();
    assert_eq!(events[0].from, BOB, "msg.sender != tx.origin, but an EOA");
}

#[test]
fn a_pending_transaction_expires_after_the_inclusion_wait() {
    let mut rollup = Rollup::deploy(Proofs::default());
    let expired = |rollup: &Rollup| {
        rollup.chain.view(
            rollup.bridge,
            abi::CommonBridge::hasExpiredPrivilegedTransactionsCall {},
        )
    };
    assert!(!expired(&rollup), "nothing pending");
    let call = abi::CommonBridge::depositCall { l2Recipient: BOB };
    rollup.chain.send(ALICE, rollup.bridge, ether(1), call).ok();
    rollup.chain.advance_time(INCLUSION_MAX_WAIT);
    assert!(!expired(&rollup), "at the deadline");
    rollup.chain.advance_time(1);
    assert!(expired(&rollup), "past the deadline");
}
