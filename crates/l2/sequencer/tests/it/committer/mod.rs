//! The committer and the proof sender against a real L1 (`ethrex --dev`, contracts deployed by
//! the SDK) over an in-process rollup chain: batches committed with their blob and the values
//! `commitBatch` checks, a restart between sealing and sending, an L1 that fails and comes back,
//! and `verifyBatch` sent for a stored exec proof (and not for a wrong one). `limits`: what
//! goes into a batch (gas, privileged count, one blob), in process; `rules`: forced inclusion
//! and the proof requirement, against the real contracts.
// Test code: `cfg(test)` lets clippy's test allowances (unwrap, expect) apply to the helpers.
#![cfg(test)]

mod limits;
mod proxy;
mod rules;
mod setup;

use std::time::Instant;

use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_sol_types::{SolCall, sol};
use ethrex_common::types::Transaction;
use ethrex_l2_common::protocol::{BatchProof, ProverType};
use ethrex_l2_contracts::{
    ETH_TOKEN_ADDRESS, L2_BRIDGE_ADDRESS,
    hashes::{PublicInputs, rolling_hash, withdrawal_data_hash, withdrawal_leaf},
};
use ethrex_l2_sdk::calls::IOnChainProposer;
use ethrex_l2_sequencer::{
    committer::CommitReport,
    proof_sender::{ProofSender, SendReport},
    state::Batch,
};
use ethrex_test_utils::tx::dev_secret;
use serde_json::json;

use proxy::{Mode, Proxy};
use setup::*;

sol! {
    function withdraw(address _receiverOnL1) payable;
    function batchWithdrawalLogsMerkleRoots(uint256 batchNumber) view returns (bytes32);
}

const L1_RECEIVER: Address = Address::repeat_byte(0x1e);
const ALICE: Address = Address::repeat_byte(0xa1);
const BOB: Address = Address::repeat_byte(0xb0);

/// The blob versioned hashes of L1 transaction `hash`.
fn blob_hashes_of(l1: &L1, hash: B256) -> Vec<B256> {
    let tx: serde_json::Value = l1
        .client
        .request("eth_getTransactionByHash", json!([hash]))
        .unwrap();
    assert_eq!(tx["type"], "0x3", "a blob transaction: {tx}");
    serde_json::from_value(tx["blobVersionedHashes"].clone()).unwrap()
}

/// Checks `batchCommitments(n)` on L1 against the sealed record, and the record against the
/// chain.
fn check_commitment(l1: &L1, batch: &Batch) {
    let on_l1 = l1.proposer(IOnChainProposer::batchCommitmentsCall {
        batchNumber: U256::from(batch.number),
    });
    assert_eq!(on_l1.newStateRoot, batch.state_root);
    assert_eq!(on_l1.blobVersionedHash, batch.blob_versioned_hash);
    assert_eq!(
        on_l1.withdrawalsLogsMerkleRoot,
        batch.l1_messages_merkle_root
    );
    assert_eq!(
        on_l1.processedPrivilegedTransactionsRollingHash,
        batch.privileged_transactions_hash
    );
    assert_eq!(on_l1.lastBlockHash, batch.last_block_hash);
    assert_eq!(
        on_l1.nonPrivilegedTransactions,
        U256::from(batch.non_privileged_transactions)
    );
    let commit_tx = batch.commit_tx.expect("the commit transaction is recorded");
    assert_eq!(
        blob_hashes_of(l1, commit_tx),
        vec![batch.blob_versioned_hash],
        "the L1 transaction carries the batch's blob"
    );
}

/// The exec proof of committed `batch`: its public inputs.
fn exec_proof(previous_root: B256, batch: &Batch) -> BatchProof {
    let inputs = PublicInputs {
        initial_state_root: previous_root,
        final_state_root: batch.state_root,
        withdrawals_merkle_root: batch.l1_messages_merkle_root,
        privileged_rolling_hash: batch.privileged_transactions_hash,
        blob_versioned_hash: batch.blob_versioned_hash,
        last_block_hash: batch.last_block_hash,
        chain_id: U256::from(L2_CHAIN_ID),
        non_privileged_transactions: U256::from(batch.non_privileged_transactions),
    };
    BatchProof {
        prover_type: ProverType::Exec,
        public_values: Bytes::copy_from_slice(&inputs.encode()),
        proof: Bytes::new(),
    }
}

#[test]
fn batches_are_committed_with_their_blob_and_verified_once_proven() {
    let started = Instant::now();
    let l1 = L1::start();
    let mut l2 = L2::new(&l1);
    l1.deposit(ALICE, ETHER);
    l1.deposit(BOB, 2 * ETHER);
    assert_eq!(l2.watch(), 2, "both deposits queued");

    // Block 1: the two deposits; block 2: an L2 transfer through the mempool.
    assert_eq!(l2.produce(vec![]), (1, 2));
    assert_eq!(l2.produce(vec![transfer(3, 0, BOB, 1_000)]), (2, 0));
    let mut committer = l1.committer(&l1.url(), &l2.state, None);
    assert_eq!(l1.last_committed(), 0);

    let report = committer.step().unwrap();
    assert_eq!(
        report,
        CommitReport {
            sealed: Some(1),
            committed: vec![1]
        }
    );
    assert_eq!(l1.last_committed(), 1);
    let batch1 = l2.state.batch(1).unwrap().unwrap();
    assert_eq!((batch1.first_block, batch1.last_block), (1, 2));
    let block2 = l2.chain.store().block_by_number(2).unwrap().unwrap();
    assert_eq!(batch1.state_root, block2.header.state_root);
    assert_eq!(batch1.last_block_hash, l2.block_hash(2));
    assert_eq!(batch1.non_privileged_transactions, 1);
    let block1 = l2.chain.store().block_by_number(1).unwrap().unwrap();
    let deposits: Vec<B256> = block1
        .body
        .transactions
        .iter()
        .map(Transaction::hash)
        .collect();
    assert_eq!(
        batch1.privileged_transactions_hash,
        rolling_hash(&deposits).unwrap(),
        "the rolling hash of the two deposits"
    );
    assert_eq!(batch1.l1_messages_merkle_root, B256::ZERO, "no withdrawal");
    check_commitment(&l1, &batch1);

    // Nothing new: nothing sealed, nothing sent.
    assert_eq!(committer.step().unwrap(), CommitReport::default());

    // A second batch: block 3 with a withdrawal, whose L1 message root L1 publishes.
    let withdrawal = l2_tx(
        3,
        1,
        L2_BRIDGE_ADDRESS,
        5_000,
        withdrawCall {
            _receiverOnL1: L1_RECEIVER,
        }
        .abi_encode()
        .into(),
        200_000,
    );
    let withdrawal_hash = withdrawal.hash();
    assert_eq!(l2.produce(vec![withdrawal]), (3, 0));
    let report = committer.step().unwrap();
    assert_eq!(report.sealed, Some(2));
    assert_eq!(l1.last_committed(), 2);
    let batch2 = l2.state.batch(2).unwrap().unwrap();
    assert_eq!((batch2.first_block, batch2.last_block), (3, 3));
    assert_eq!(batch2.privileged_transactions_hash, B256::ZERO);
    let data = withdrawal_data_hash(
        ETH_TOKEN_ADDRESS,
        ETH_TOKEN_ADDRESS,
        L1_RECEIVER,
        U256::from(5_000),
    );
    let leaf = withdrawal_leaf(withdrawal_hash, data, U256::from(1));
    assert_eq!(
        batch2.l1_messages_merkle_root, leaf,
        "one message: the root is its leaf"
    );
    check_commitment(&l1, &batch2);
    assert_eq!(
        l1.bridge(batchWithdrawalLogsMerkleRootsCall {
            batchNumber: U256::from(2)
        }),
        leaf
    );

    // The proof sender: nothing stored, nothing sent.
    let mut sender = ProofSender::new(
        l1.client.clone(),
        l2.state.clone(),
        l1.deployed.on_chain_proposer,
        dev_secret(PROOF_SENDER),
        1_000,
    )
    .unwrap()
    .with_receipt_timeout(RECEIPT_TIMEOUT);
    assert_eq!(sender.step().unwrap(), SendReport::default());
    assert_eq!(sender.requirements().unwrap(), Default::default());

    // A proof of batch 1 is sent; a wrong one of batch 2 is not.
    let genesis_root = l1.deployed.genesis_state_root;
    l2.state
        .set_proof(1, &exec_proof(genesis_root, &batch1))
        .unwrap();
    let mut wrong = exec_proof(batch1.state_root, &batch2);
    let mut values = wrong.public_values.to_vec();
    values[255] ^= 1;
    wrong.public_values = values.into();
    l2.state.set_proof(2, &wrong).unwrap();
    let report = sender.step().unwrap();
    assert_eq!(
        report,
        SendReport {
            verified: vec![1],
            blocked: Some(2)
        }
    );
    assert_eq!(l1.last_verified(), 1);
    assert!(l2.state.batch(1).unwrap().unwrap().verify_tx.is_some());

    // The right proof of batch 2 goes through.
    l2.state
        .set_proof(2, &exec_proof(batch1.state_root, &batch2))
        .unwrap();
    assert_eq!(sender.step().unwrap().verified, vec![2]);
    assert_eq!(l1.last_verified(), 2);
    eprintln!("took {:?}", started.elapsed());
}

#[test]
fn a_committer_restarted_after_sealing_resends_and_does_not_seal_again() {
    let l1 = L1::start();
    let mut l2 = L2::new(&l1);
    l1.deposit(ALICE, ETHER);
    assert_eq!(l2.watch(), 1);
    assert_eq!(l2.produce(vec![transfer(4, 0, ALICE, 1)]), (1, 1));

    // Version-0 sidecars (Osaka taken as ahead), as before the L1's Osaka.
    let osaka_ahead = Some(u64::MAX);
    let sealed = l1
        .committer(&l1.url(), &l2.state, osaka_ahead)
        .seal_next()
        .unwrap()
        .expect("a batch is sealed");
    assert_eq!((sealed.number, sealed.commit_tx), (1, None));
    // The process stops here; a new committer finds the sealed batch.
    assert_eq!(l1.last_committed(), 0);
    let mut restarted = l1.committer(&l1.url(), &l2.state, osaka_ahead);
    // A record whose blob the blocks no longer give is an error, never another commit.
    let mut tampered = sealed.clone();
    tampered.blob_versioned_hash.0[31] ^= 1;
    l2.state.update_batch(&tampered).unwrap();
    let err = restarted.step().unwrap_err().to_string();
    assert!(err.contains("batch 1 re-encodes to blob"), "{err}");
    assert_eq!(l1.last_committed(), 0);
    l2.state.update_batch(&sealed).unwrap();
    let report = restarted.step().unwrap();
    assert_eq!(
        report,
        CommitReport {
            sealed: None,
            committed: vec![1]
        }
    );
    assert_eq!(l2.state.last_batch_number().unwrap(), 1, "sealed once");
    assert_eq!(l1.last_committed(), 1);
    let batch = l2.state.batch(1).unwrap().unwrap();
    assert_eq!(
        Batch {
            commit_tx: None,
            ..batch.clone()
        },
        sealed,
        "the same contents"
    );
    check_commitment(&l1, &batch);

    // A third committer whose record was lost (commit_tx erased) finds it on L1.
    l2.state
        .update_batch(&Batch {
            commit_tx: None,
            ..batch.clone()
        })
        .unwrap();
    let report = l1.committer(&l1.url(), &l2.state, None).step().unwrap();
    assert_eq!(report.committed, vec![1]);
    assert_eq!(
        l2.state.batch(1).unwrap().unwrap().commit_tx,
        batch.commit_tx
    );
}

#[test]
fn a_commit_while_the_l1_fails_is_retried_and_lands_later() {
    let l1 = L1::start();
    let l2 = L2::new(&l1);
    assert_eq!(l2.produce(vec![transfer(5, 0, BOB, 7)]), (1, 0));
    let proxy = Proxy::start(l1.node.http);
    let mut committer = l1.committer(&proxy.url, &l2.state, None);

    // The L1 answers reads but the commit cannot be sent: the batch stays sealed.
    proxy.set(Mode::RefuseSends);
    let err = committer.step().unwrap_err();
    assert!(err.to_string().contains("cannot reach the L1"), "{err}");
    assert_eq!(l2.state.last_batch_number().unwrap(), 1);
    assert_eq!(l2.state.batch(1).unwrap().unwrap().commit_tx, None);
    assert_eq!(l1.last_committed(), 0);

    // Then it is down altogether.
    proxy.set(Mode::Down);
    let err = committer.step().unwrap_err();
    assert!(err.to_string().contains("cannot reach the L1"), "{err}");

    // A new block meanwhile does not make a second batch before the first is committed.
    assert_eq!(l2.produce(vec![transfer(5, 1, BOB, 7)]), (2, 0));
    proxy.set(Mode::Up);
    let report = committer.step().unwrap();
    assert_eq!(report.committed, vec![1, 2]);
    assert_eq!(report.sealed, Some(2));
    assert_eq!(l1.last_committed(), 2);
    let batch1 = l2.state.batch(1).unwrap().unwrap();
    assert_eq!((batch1.first_block, batch1.last_block), (1, 1));
    check_commitment(&l1, &batch1);
    check_commitment(&l1, &l2.state.batch(2).unwrap().unwrap());
}

#[test]
fn spawned_services_commit_and_verify_until_stopped() {
    let l1 = L1::start();
    let l2 = L2::new(&l1);
    assert_eq!(l2.produce(vec![transfer(14, 0, ALICE, 3)]), (1, 0));
    let shared = l2.shared.clone();
    let committer = l1
        .committer(&l1.url(), &l2.state, None)
        .spawn(shared.clone())
        .unwrap();
    let sender = ProofSender::new(
        l1.client.clone(),
        l2.state.clone(),
        l1.deployed.on_chain_proposer,
        dev_secret(PROOF_SENDER),
        200,
    )
    .unwrap()
    .spawn(shared.clone())
    .unwrap();
    let limit = std::time::Duration::from_secs(60);
    ethrex_test_utils::node::wait_for(limit, "batch 1 committed", || {
        (l1.last_committed() == 1).then_some(())
    });
    let batch = l2.state.batch(1).unwrap().unwrap();
    l2.state
        .set_proof(1, &exec_proof(l1.deployed.genesis_state_root, &batch))
        .unwrap();
    ethrex_test_utils::node::wait_for(limit, "batch 1 verified", || {
        (l1.last_verified() == 1).then_some(())
    });
    shared.stop();
    let stopping = Instant::now();
    for service in [committer, sender] {
        while !service.is_finished() {
            assert!(
                stopping.elapsed() < std::time::Duration::from_secs(10),
                "a service did not stop"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        service.join().unwrap();
    }
}

#[test]
fn a_commit_slow_to_be_mined_is_waited_for_not_sent_twice() {
    // L1 blocks every 2 s; the committer waits 100 ms per tick for a receipt.
    let l1 = L1::start_node(&["--dev.block-time", "2000"], |_| {});
    let l2 = L2::new(&l1);
    assert_eq!(l2.produce(vec![transfer(15, 0, ALICE, 1)]), (1, 0));
    let mut committer = l1
        .committer(&l1.url(), &l2.state, None)
        .with_receipt_timeout(std::time::Duration::from_millis(100));
    let nonce = l1.client.pending_nonce(committer.address()).unwrap();
    let first = committer.step().unwrap_err().to_string();
    assert!(first.contains("timed out"), "{first}");
    assert_eq!(
        l1.client.pending_nonce(committer.address()).unwrap(),
        nonce + 1
    );
    // Still pending: waited for again, nothing new sent.
    if l1.last_committed() == 0 {
        let again = committer.step().unwrap_err().to_string();
        assert!(again.contains("timed out"), "{again}");
    }
    ethrex_test_utils::node::wait_for(RECEIPT_TIMEOUT, "batch 1 committed", || {
        (l1.last_committed() == 1).then_some(())
    });
    let report = committer.step().unwrap();
    assert_eq!(report.committed, vec![1]);
    assert_eq!(
        l1.client.pending_nonce(committer.address()).unwrap(),
        nonce + 1
    );
    check_commitment(&l1, &l2.state.batch(1).unwrap().unwrap());
}
