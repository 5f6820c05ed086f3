//! The contract's rules the sequencer must follow: forced inclusion (privileged-only batches
//! while an overdue deposit would still pend, then the deposit's batch with the rest) and the
//! proof requirement (no `verifyBatch` for an exec proof when a verifier is required).

use alloy_primitives::{Address, Bytes, U256};
use alloy_sol_types::SolCall;
use ethrex_common::types::Transaction;
use ethrex_l2_contracts::hashes::rolling_hash;
use ethrex_l2_sdk::{
    calls::{ICommonBridge, IOnChainProposer},
    deploy::Verifier,
};
use ethrex_l2_sequencer::{
    committer::{CommitReport, batch::Candidate},
    proof_sender::{ProofSender, SendReport},
};
use ethrex_test_utils::tx::{dev_address, dev_secret};
use serde_json::json;

use super::{ALICE, BOB, check_commitment, exec_proof, setup::*};

#[test]
fn an_overdue_deposit_is_caught_up_with_privileged_only_batches() {
    let l1 = L1::start_with(|options| options.inclusion_max_wait = 2);
    let mut l2 = L2::new(&l1);
    l1.deposit(ALICE, ETHER);
    assert_eq!(l2.watch(), 1);
    assert_eq!(l2.produce(vec![]), (1, 1), "block 1: deposit 0 alone");
    // Deposit 1 reaches the bridge but not yet the L2; block 2 has only a transfer.
    l1.deposit(BOB, ETHER);
    assert_eq!(l2.produce(vec![transfer(12, 0, BOB, 1)]), (2, 0));
    // Dev L1 blocks are at least a second apart (and may run ahead of the clock): six more
    // put both deposits past their 2-second deadlines.
    for _ in 0..6 {
        l1.new_block();
    }
    assert!(l1.bridge(ICommonBridge::hasExpiredPrivilegedTransactionsCall {}));

    // Blocks 1-2 would consume deposit 0 only and leave deposit 1 overdue with a transfer in
    // the batch: L1 refuses it.
    let both = Candidate::collect(l2.chain.store(), 1, 2, None).unwrap();
    let refused = both.seal(l2.chain.store(), 1).unwrap();
    let data = IOnChainProposer::commitBatchCall {
        batchNumber: U256::from(1),
        newStateRoot: refused.state_root,
        withdrawalsLogsMerkleRoot: refused.l1_messages_merkle_root,
        processedPrivilegedTransactionsRollingHash: refused.privileged_transactions_hash,
        lastBlockHash: refused.last_block_hash,
        nonPrivilegedTransactions: U256::from(refused.non_privileged_transactions),
    }
    .abi_encode();
    let estimate = l1.client.request::<serde_json::Value>(
        "eth_estimateGas",
        json!([{
            "from": dev_address(COMMITTER),
            "to": l1.deployed.on_chain_proposer,
            "input": Bytes::from(data),
            "maxFeePerBlobGas": "0x3b9aca00",
            "blobVersionedHashes": [refused.blob_versioned_hash],
        }]),
    );
    let err = estimate.unwrap_err().to_string();
    assert!(
        err.contains("expired privileged transactions must be included first"),
        "{err}"
    );

    // Block 1 alone is privileged-only, and goes.
    let mut committer = l1.committer(&l1.url(), &l2.state, None);
    let report = committer.step().unwrap();
    assert_eq!(
        report,
        CommitReport {
            sealed: Some(1),
            committed: vec![1]
        }
    );
    let batch1 = l2.state.batch(1).unwrap().unwrap();
    assert_eq!((batch1.first_block, batch1.last_block), (1, 1));
    assert_eq!(batch1.non_privileged_transactions, 0);
    check_commitment(&l1, &batch1);
    assert!(l1.bridge(ICommonBridge::hasExpiredPrivilegedTransactionsCall {}));
    // Nothing more can go until deposit 1 is in a block.
    assert_eq!(committer.step().unwrap(), CommitReport::default());
    assert_eq!(l2.state.last_batch_number().unwrap(), 1);

    // The producer includes it first; the batch that consumes it may carry the transfer.
    assert_eq!(l2.watch(), 1);
    assert_eq!(l2.produce(vec![]), (3, 1));
    let report = committer.step().unwrap();
    assert_eq!(report.sealed, Some(2));
    let batch2 = l2.state.batch(2).unwrap().unwrap();
    assert_eq!((batch2.first_block, batch2.last_block), (2, 3));
    assert_eq!(batch2.non_privileged_transactions, 1);
    let block3 = l2.chain.store().block_by_number(3).unwrap().unwrap();
    let deposit1: Vec<_> = block3
        .body
        .transactions
        .iter()
        .map(Transaction::hash)
        .collect();
    assert_eq!(
        batch2.privileged_transactions_hash,
        rolling_hash(&deposit1).unwrap()
    );
    check_commitment(&l1, &batch2);
    assert_eq!(l1.last_committed(), 2);
    assert!(!l1.bridge(ICommonBridge::hasExpiredPrivilegedTransactionsCall {}));
}

#[test]
fn an_exec_proof_is_not_sent_when_a_verifier_is_required() {
    let sp1 = Verifier {
        required: true,
        address: Address::repeat_byte(0x51),
    };
    let l1 = L1::start_with(|options| options.sp1 = sp1);
    let l2 = L2::new(&l1);
    assert_eq!(l2.produce(vec![transfer(13, 0, ALICE, 1)]), (1, 0));
    let mut committer = l1.committer(&l1.url(), &l2.state, None);
    assert_eq!(committer.step().unwrap().committed, vec![1]);
    let batch = l2.state.batch(1).unwrap().unwrap();
    l2.state
        .set_proof(1, &exec_proof(l1.deployed.genesis_state_root, &batch))
        .unwrap();
    let mut sender = ProofSender::new(
        l1.client.clone(),
        l2.state.clone(),
        l1.deployed.on_chain_proposer,
        dev_secret(PROOF_SENDER),
        1_000,
    )
    .unwrap();
    assert!(sender.requirements().unwrap().sp1);
    assert_eq!(
        sender.step().unwrap(),
        SendReport {
            verified: vec![],
            blocked: Some(1)
        }
    );
    assert_eq!(l1.last_verified(), 0);
    assert_eq!(l2.state.batch(1).unwrap().unwrap().verify_tx, None);
}
