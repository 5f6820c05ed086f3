//! The L2 system contracts: `CommonBridgeL2` at 0x…ffff and `Messenger` at 0x…fffe, as genesis
//! code. A privileged transaction (from 0x…ffff, its value minted to it) is stood in for by a
//! transaction the bridge address sends through an EIP-7702 delegation to a copy of the bridge
//! code (our EVM lets a delegated account send; the bridge keeps no state, so the copy acts
//! exactly as the genesis code).

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::{SolCall, SolValue};
use ethrex_l2_contracts::{
    COMMON_BRIDGE_L2, ETH_TOKEN_ADDRESS, L2_BRIDGE_ADDRESS, MESSENGER, MESSENGER_ADDRESS,
    hashes::withdrawal_data_hash, testing::TEST_TOKEN_L2,
};

use crate::{abi, harness::*};

type L1Message = abi::Messenger::L1Message;

pub struct L2 {
    pub chain: Chain,
    /// A copy of the bridge code, the target of 0x…ffff's delegation while it sends.
    bridge_copy: Address,
}

impl L2 {
    pub fn new() -> Self {
        let mut chain = Chain::new();
        chain.env.chain_id = L2_CHAIN_ID;
        for account in [OWNER, ALICE, BOB] {
            chain.fund(account, ether(1_000));
        }
        chain.set_code(L2_BRIDGE_ADDRESS, COMMON_BRIDGE_L2.deployed_code().unwrap());
        chain.set_code(MESSENGER_ADDRESS, MESSENGER.deployed_code().unwrap());
        let bridge_copy = chain.deploy(OWNER, &COMMON_BRIDGE_L2, &[]);
        L2 { chain, bridge_copy }
    }

    /// A privileged transaction from and to the bridge, minting `value` to it first.
    pub fn privileged<C: SolCall>(&mut self, value: U256, call: C) -> Outcome {
        let balance = self.chain.balance(L2_BRIDGE_ADDRESS);
        self.chain.fund(L2_BRIDGE_ADDRESS, balance + value);
        let mut delegation = vec![0xef, 0x01, 0x00];
        delegation.extend_from_slice(self.bridge_copy.as_slice());
        self.chain.set_code(L2_BRIDGE_ADDRESS, delegation.into());
        let outcome = self
            .chain
            .send(L2_BRIDGE_ADDRESS, L2_BRIDGE_ADDRESS, value, call);
        self.chain
            .set_code(L2_BRIDGE_ADDRESS, COMMON_BRIDGE_L2.deployed_code().unwrap());
        outcome
    }

    /// The (data, message id) of each L1 message, all from the bridge.
    fn messages(outcome: Outcome) -> Vec<(B256, u64)> {
        outcome
            .events::<L1Message>()
            .into_iter()
            .map(|m| {
                assert_eq!(m.senderOnL2, L2_BRIDGE_ADDRESS);
                (m.data, m.messageId.to())
            })
            .collect()
    }

    pub fn withdraw(&mut self, from: Address, receiver: Address, value: U256) -> Vec<(B256, u64)> {
        let call = abi::CommonBridgeL2::withdrawCall {
            _receiverOnL1: receiver,
        };
        Self::messages(self.chain.send(from, L2_BRIDGE_ADDRESS, value, call))
    }

    pub fn withdraw_erc20(
        &mut self,
        from: Address,
        token: Address,
        receiver: Address,
        value: U256,
    ) -> Vec<(B256, u64)> {
        let call = abi::CommonBridgeL2::withdrawERC20Call {
            _token: token,
            _receiverOnL1: receiver,
            _value: value,
        };
        Self::messages(self.chain.call(from, L2_BRIDGE_ADDRESS, call))
    }

    fn token_balance(&self, token: Address, owner: Address) -> U256 {
        self.chain
            .view(token, abi::TestToken::balanceOfCall { owner })
    }
}

fn eth_data(receiver: Address, amount: U256) -> B256 {
    withdrawal_data_hash(ETH_TOKEN_ADDRESS, ETH_TOKEN_ADDRESS, receiver, amount)
}

#[test]
fn a_withdrawal_burns_the_eth_and_numbers_its_message_from_one() {
    let mut l2 = L2::new();
    let before = l2.chain.balance(ALICE);
    let first = l2.withdraw(ALICE, BOB, ether(2));
    assert_eq!(first, vec![(eth_data(BOB, ether(2)), 1)]);
    let second = l2.withdraw(ALICE, ALICE, ether(1));
    assert_eq!(second, vec![(eth_data(ALICE, ether(1)), 2)]);
    assert_eq!(l2.chain.balance(ALICE), before - ether(3));
    assert_eq!(l2.chain.balance(Address::ZERO), ether(3), "burned");
    assert_eq!(l2.chain.balance(L2_BRIDGE_ADDRESS), U256::ZERO);
    let last = l2
        .chain
        .view(MESSENGER_ADDRESS, abi::Messenger::lastMessageIdCall {});
    assert_eq!(last, U256::from(2));
    let call = abi::CommonBridgeL2::withdrawCall { _receiverOnL1: BOB };
    l2.chain
        .call(ALICE, L2_BRIDGE_ADDRESS, call)
        .reverts_with("amount to withdraw is zero");
}

#[test]
fn only_the_bridge_sends_messages_to_l1() {
    let mut l2 = L2::new();
    let call = abi::Messenger::sendMessageToL1Call {
        data: B256::repeat_byte(1),
    };
    l2.chain
        .call(ALICE, MESSENGER_ADDRESS, call)
        .reverts_with("caller is not the bridge");
}

#[test]
fn mint_eth_pays_the_recipient_and_only_the_bridge_may_call_it() {
    let mut l2 = L2::new();
    let before = l2.chain.balance(BOB);
    let call = abi::CommonBridgeL2::mintETHCall { to: BOB };
    let logs = l2.privileged(ether(5), call).ok();
    assert!(logs.is_empty(), "no message to L1");
    assert_eq!(l2.chain.balance(BOB), before + ether(5));
    assert_eq!(l2.chain.balance(L2_BRIDGE_ADDRESS), U256::ZERO);

    let call = abi::CommonBridgeL2::mintETHCall { to: BOB };
    l2.chain
        .send(ALICE, L2_BRIDGE_ADDRESS, ether(1), call)
        .reverts_with("caller is not the bridge");
}

#[test]
fn a_failed_eth_mint_is_withdrawn_back() {
    let mut l2 = L2::new();
    // The Messenger has no receive function: the transfer to it fails.
    let call = abi::CommonBridgeL2::mintETHCall {
        to: MESSENGER_ADDRESS,
    };
    let messages = L2::messages(l2.privileged(ether(5), call));
    assert_eq!(messages, vec![(eth_data(MESSENGER_ADDRESS, ether(5)), 1)]);
    assert_eq!(l2.chain.balance(MESSENGER_ADDRESS), U256::ZERO);
    assert_eq!(l2.chain.balance(Address::ZERO), ether(5), "burned");
}

#[test]
fn mint_erc20_mints_only_a_token_naming_the_l1_token() {
    let mut l2 = L2::new();
    let token_l1 = Address::repeat_byte(0x11);
    let token = l2
        .chain
        .deploy(OWNER, &TEST_TOKEN_L2, &token_l1.abi_encode());
    let mint = |token_l1| abi::CommonBridgeL2::mintERC20Call {
        tokenL1: token_l1,
        tokenL2: token,
        destination: BOB,
        amount: U256::from(40),
    };
    let logs = l2.privileged(U256::ZERO, mint(token_l1)).ok();
    assert_eq!(l2.token_balance(token, BOB), U256::from(40));
    assert!(!logs.iter().any(|l| l.address == MESSENGER_ADDRESS));

    // A token that does not represent the claimed L1 token: nothing minted, sent back.
    let other_l1 = Address::repeat_byte(0x22);
    let messages = L2::messages(l2.privileged(U256::ZERO, mint(other_l1)));
    let back = withdrawal_data_hash(other_l1, token, BOB, U256::from(40));
    assert_eq!(messages, vec![(back, 1)]);
    assert_eq!(l2.token_balance(token, BOB), U256::from(40));

    l2.chain
        .call(ALICE, L2_BRIDGE_ADDRESS, mint(token_l1))
        .reverts_with("caller is not the bridge");
}

#[test]
fn withdraw_erc20_burns_and_names_the_tokens_l1_address() {
    let mut l2 = L2::new();
    let token_l1 = Address::repeat_byte(0x11);
    let token = l2
        .chain
        .deploy(OWNER, &TEST_TOKEN_L2, &token_l1.abi_encode());
    let mint = abi::TestToken::mintCall {
        to: ALICE,
        amount: U256::from(10),
    };
    l2.chain.call(ALICE, token, mint).ok();
    let messages = l2.withdraw_erc20(ALICE, token, BOB, U256::from(4));
    let data = withdrawal_data_hash(token_l1, token, BOB, U256::from(4));
    assert_eq!(messages, vec![(data, 1)]);
    assert_eq!(l2.token_balance(token, ALICE), U256::from(6));
    let too_much = abi::CommonBridgeL2::withdrawERC20Call {
        _token: token,
        _receiverOnL1: BOB,
        _value: U256::from(7),
    };
    assert!(!l2.chain.call(ALICE, L2_BRIDGE_ADDRESS, too_much).0.success);
}
