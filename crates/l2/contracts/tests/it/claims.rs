//! `CommonBridge` claims: a withdrawal is paid once, to the receiver its L2 message names, for
//! the amount it names, from a verified batch's root, and never beyond what its token pair
//! locked (the provenance attack).

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::SolValue;
use ethrex_l2_contracts::{
    ETH_TOKEN_ADDRESS,
    hashes::{merkle_proof, merkle_root, withdrawal_data_hash, withdrawal_leaf},
    testing::{TEST_TOKEN, TEST_TOKEN_L2},
};

use crate::{abi, harness::*, l2::L2};

/// An ETH withdrawal message on the L2.
#[derive(Debug, Clone, Copy)]
struct Withdrawal {
    tx_hash: B256,
    receiver: Address,
    amount: U256,
    message_id: u64,
}

impl Withdrawal {
    fn eth(message_id: u64, receiver: Address, amount: U256) -> Self {
        Withdrawal {
            tx_hash: B256::with_last_byte(u8::try_from(message_id).unwrap()),
            receiver,
            amount,
            message_id,
        }
    }

    fn leaf(&self) -> B256 {
        let data = withdrawal_data_hash(
            ETH_TOKEN_ADDRESS,
            ETH_TOKEN_ADDRESS,
            self.receiver,
            self.amount,
        );
        withdrawal_leaf(self.tx_hash, data, U256::from(self.message_id))
    }
}

/// A rollup holding `deposited` ETH whose batch 1 carries `withdrawals` (verified if `verify`).
fn rollup_with(deposited: U256, withdrawals: &[Withdrawal], verify: bool) -> Rollup {
    let mut rollup = Rollup::deploy(Proofs::default());
    let deposit = abi::CommonBridge::depositCall { l2Recipient: ALICE };
    rollup
        .chain
        .send(ALICE, rollup.bridge, deposited, deposit)
        .ok();
    let leaves: Vec<B256> = withdrawals.iter().map(Withdrawal::leaf).collect();
    let mut batch = Batch::new(1);
    batch.withdrawals_root = merkle_root(&leaves);
    rollup.commit(&batch).ok();
    if verify {
        rollup.verify(1).ok();
    }
    rollup
}

fn claim(
    rollup: &mut Rollup,
    sender: Address,
    withdrawal: &Withdrawal,
    amount: U256,
    proof: Vec<B256>,
) -> Outcome {
    let call = abi::CommonBridge::claimWithdrawalCall {
        l2WithdrawalTxHash: withdrawal.tx_hash,
        claimedAmount: amount,
        withdrawalBatchNumber: U256::from(1),
        withdrawalMessageId: U256::from(withdrawal.message_id),
        withdrawalProof: proof,
    };
    rollup.chain.call(sender, rollup.bridge, call)
}

fn three() -> Vec<Withdrawal> {
    vec![
        Withdrawal::eth(1, BOB, ether(1)),
        Withdrawal::eth(2, ALICE, ether(2)),
        Withdrawal::eth(3, BOB, ether(3)),
    ]
}

fn leaves(withdrawals: &[Withdrawal]) -> Vec<B256> {
    withdrawals.iter().map(Withdrawal::leaf).collect()
}

#[test]
fn a_verified_withdrawal_pays_its_receiver_once() {
    let withdrawals = three();
    let mut rollup = rollup_with(ether(10), &withdrawals, true);
    let bridge = rollup.bridge;
    for (i, w) in withdrawals.iter().enumerate() {
        let before = rollup.chain.balance(w.receiver);
        let proof = merkle_proof(&leaves(&withdrawals), i).unwrap();
        let claimed = claim(&mut rollup, w.receiver, w, w.amount, proof.clone())
            .events::<abi::CommonBridge::WithdrawalClaimed>();
        assert_eq!(claimed[0].withdrawalMessageId, U256::from(w.message_id));
        // Gas is free on this chain (base fee 0, no tip): the change is exactly the amount.
        assert_eq!(rollup.chain.balance(w.receiver), before + w.amount);
        claim(&mut rollup, w.receiver, w, w.amount, proof)
            .reverts_with("the withdrawal was already claimed");
    }
    assert_eq!(rollup.chain.balance(bridge), ether(4));
}

#[test]
fn a_withdrawal_of_an_unverified_batch_is_refused() {
    let withdrawals = three();
    let mut rollup = rollup_with(ether(10), &withdrawals, false);
    let proof = merkle_proof(&leaves(&withdrawals), 0).unwrap();
    let w = withdrawals[0];
    claim(&mut rollup, BOB, &w, w.amount, proof.clone())
        .reverts_with("the withdrawal's batch is not verified");
    rollup.verify(1).ok();
    claim(&mut rollup, BOB, &w, w.amount, proof).ok();
}

#[test]
fn a_forged_proof_is_refused() {
    let withdrawals = three();
    let mut rollup = rollup_with(ether(10), &withdrawals, true);
    let w = withdrawals[0];
    let mut proof = merkle_proof(&leaves(&withdrawals), 0).unwrap();
    proof[0][5] ^= 1;
    claim(&mut rollup, BOB, &w, w.amount, proof).reverts_with("invalid withdrawal proof");
    // Another leaf's proof, and no proof at all.
    let other = merkle_proof(&leaves(&withdrawals), 1).unwrap();
    claim(&mut rollup, BOB, &w, w.amount, other).reverts_with("invalid withdrawal proof");
    claim(&mut rollup, BOB, &w, w.amount, vec![]).reverts_with("invalid withdrawal proof");
    // A message id that is not the leaf's.
    let mut wrong_id = w;
    wrong_id.message_id = 9;
    let proof = merkle_proof(&leaves(&withdrawals), 0).unwrap();
    claim(&mut rollup, BOB, &wrong_id, w.amount, proof).reverts_with("invalid withdrawal proof");
}

#[test]
fn a_claim_of_another_amount_or_by_another_receiver_is_refused() {
    let withdrawals = three();
    let mut rollup = rollup_with(ether(10), &withdrawals, true);
    let w = withdrawals[0];
    let proof = merkle_proof(&leaves(&withdrawals), 0).unwrap();
    claim(&mut rollup, BOB, &w, ether(2), proof.clone()).reverts_with("invalid withdrawal proof");
    claim(
        &mut rollup,
        BOB,
        &w,
        w.amount - U256::from(1),
        proof.clone(),
    )
    .reverts_with("invalid withdrawal proof");
    claim(&mut rollup, ALICE, &w, w.amount, proof.clone()).reverts_with("invalid withdrawal proof");
    claim(&mut rollup, BOB, &w, w.amount, proof).ok();
}

#[test]
fn a_claim_beyond_the_deposits_is_refused() {
    let withdrawals = vec![Withdrawal::eth(1, BOB, ether(11))];
    let mut rollup = rollup_with(ether(10), &withdrawals, true);
    let w = withdrawals[0];
    claim(&mut rollup, BOB, &w, w.amount, vec![])
        .reverts_with("the claim exceeds the pair's deposits");
}

#[test]
fn a_batch_without_withdrawals_has_nothing_to_claim() {
    let mut rollup = rollup_with(ether(10), &[], true);
    let w = Withdrawal::eth(1, BOB, ether(1));
    claim(&mut rollup, BOB, &w, w.amount, vec![]).reverts_with("the batch has no withdrawals");
}

/// Mints `amount` of the L1 `token` to `who` and deposits it for the pair (token, `token_l2`).
fn deposit_erc20(
    rollup: &mut Rollup,
    token: Address,
    who: Address,
    token_l2: Address,
    amount: u64,
) {
    let amount = U256::from(amount);
    let bridge = rollup.bridge;
    rollup
        .chain
        .call(who, token, abi::TestToken::mintCall { to: who, amount })
        .ok();
    let approve = abi::TestToken::approveCall {
        spender: bridge,
        amount,
    };
    rollup.chain.call(who, token, approve).ok();
    let deposit = abi::CommonBridge::depositERC20Call {
        tokenL1: token,
        tokenL2: token_l2,
        destination: who,
        amount,
    };
    rollup.chain.call(who, bridge, deposit).ok();
}

/// 100 Foo deposited for FooL2 and 1 Foo for Bar (an attacker's L2 token claiming to be Foo's):
/// withdrawing 101 through Bar on the L2 works there, but cannot take out on L1 more Foo than
/// was locked for (Foo, Bar).
#[test]
fn the_provenance_attack_is_refused() {
    let mut rollup = Rollup::deploy(Proofs::default());
    let foo = rollup.chain.deploy(OWNER, &TEST_TOKEN, &[]);
    let attacker = ALICE;
    let honest = BOB;
    let foo_l2 = Address::repeat_byte(0xf2);

    // L2: the attacker deploys Bar (l1Address = Foo), mints 101 and withdraws them.
    let mut l2 = L2::new();
    let bar = l2.chain.deploy(attacker, &TEST_TOKEN_L2, &foo.abi_encode());
    let mint = abi::TestToken::mintCall {
        to: attacker,
        amount: U256::from(101),
    };
    l2.chain.call(attacker, bar, mint).ok();
    let messages = l2.withdraw_erc20(attacker, bar, attacker, U256::from(101));
    let attack_data = withdrawal_data_hash(foo, bar, attacker, U256::from(101));
    assert_eq!(
        messages,
        vec![(attack_data, 1)],
        "(Foo, Bar, attacker, 101) as message 1"
    );

    // L1: 100 Foo for FooL2 (honest), 1 Foo for Bar (attacker); a batch with both withdrawals.
    deposit_erc20(&mut rollup, foo, honest, foo_l2, 100);
    deposit_erc20(&mut rollup, foo, attacker, bar, 1);
    let attack_tx = B256::repeat_byte(0xa7);
    let honest_tx = B256::repeat_byte(0x40);
    let honest_data = withdrawal_data_hash(foo, foo_l2, honest, U256::from(100));
    let leaves = vec![
        withdrawal_leaf(attack_tx, attack_data, U256::from(1)),
        withdrawal_leaf(honest_tx, honest_data, U256::from(2)),
    ];
    let mut batch = Batch::new(1);
    batch.withdrawals_root = merkle_root(&leaves);
    batch.rolling_hash = ethrex_l2_contracts::hashes::rolling_hash(&rollup.pending()).unwrap();
    rollup.commit(&batch).ok();
    rollup.verify(1).ok();

    let claim_erc20 = |rollup: &mut Rollup, who, tx, token_l2, amount: u64, id: u64, index| {
        let call = abi::CommonBridge::claimWithdrawalERC20Call {
            l2WithdrawalTxHash: tx,
            tokenL1: foo,
            tokenL2: token_l2,
            claimedAmount: U256::from(amount),
            withdrawalBatchNumber: U256::from(1),
            withdrawalMessageId: U256::from(id),
            withdrawalProof: merkle_proof(&leaves, index).unwrap(),
        };
        let bridge = rollup.bridge;
        rollup.chain.call(who, bridge, call)
    };
    // The message is valid, but (Foo, Bar) holds 1 Foo, not 101.
    claim_erc20(&mut rollup, attacker, attack_tx, bar, 101, 1, 0)
        .reverts_with("the claim exceeds the pair's deposits");
    // Passing it off as a FooL2 withdrawal breaks the proof.
    claim_erc20(&mut rollup, attacker, attack_tx, foo_l2, 101, 1, 0)
        .reverts_with("invalid withdrawal proof");
    let foo_of = |rollup: &Rollup, who| {
        rollup
            .chain
            .view(foo, abi::TestToken::balanceOfCall { owner: who })
    };
    assert_eq!(foo_of(&rollup, rollup.bridge), U256::from(101));
    // The honest withdrawal is paid in full.
    claim_erc20(&mut rollup, honest, honest_tx, foo_l2, 100, 2, 1).ok();
    assert_eq!(foo_of(&rollup, honest), U256::from(100));
    assert_eq!(foo_of(&rollup, rollup.bridge), U256::from(1));
}

/// Our tree (sorted pairs, a lone node moved up) against OpenZeppelin's `MerkleProof` in the
/// bridge: every leaf of trees of 1 to 7 leaves is claimable with the proof we build.
#[test]
fn every_proof_we_build_passes_openzeppelins_merkle_proof() {
    for n in 1..=7u64 {
        let withdrawals: Vec<Withdrawal> = (1..=n)
            .map(|id| Withdrawal::eth(id, BOB, U256::from(id * 1_000)))
            .collect();
        let mut rollup = rollup_with(ether(1), &withdrawals, true);
        let leaves = leaves(&withdrawals);
        for (i, w) in withdrawals.iter().enumerate() {
            let proof = merkle_proof(&leaves, i).unwrap();
            let outcome = claim(&mut rollup, BOB, w, w.amount, proof);
            assert!(
                outcome.0.success,
                "{n} leaves, leaf {i}: {}",
                outcome.reason()
            );
        }
    }
}
