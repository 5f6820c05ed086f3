//! `OnChainProposer`: batches are committed in order (a blob, a last block hash, the bridge's
//! rolling hash, forced inclusion of expired privileged transactions) and verified in order.

use alloy_primitives::{B256, U256};
use ethrex_l2_contracts::hashes::rolling_hash;

use crate::{abi, harness::*};

fn deposit(rollup: &mut Rollup) {
    let call = abi::CommonBridge::depositCall { l2Recipient: BOB };
    rollup.chain.send(ALICE, rollup.bridge, ether(1), call).ok();
}

#[test]
fn batch_zero_is_the_genesis_committed_and_verified() {
    let rollup = Rollup::deploy(Proofs::default());
    let genesis = rollup.chain.view(
        rollup.proposer,
        abi::OnChainProposer::batchCommitmentsCall { batch: U256::ZERO },
    );
    assert_eq!(genesis.newStateRoot, GENESIS_ROOT);
    assert_eq!((rollup.last_committed(), rollup.last_verified()), (0, 0));
}

#[test]
fn a_batch_is_committed_with_its_blob_then_verified() {
    let mut rollup = Rollup::deploy(Proofs::default());
    let batch = Batch::new(1);
    let committed = rollup
        .commit(&batch)
        .events::<abi::OnChainProposer::BatchCommitted>();
    assert_eq!(committed.len(), 1);
    assert_eq!(committed[0].batchNumber, U256::from(1));
    assert_eq!(committed[0].newStateRoot, batch.state_root);
    let stored = rollup.chain.view(
        rollup.proposer,
        abi::OnChainProposer::batchCommitmentsCall {
            batch: U256::from(1),
        },
    );
    assert_eq!(stored.newStateRoot, batch.state_root);
    assert_eq!(stored.blobVersionedHash, batch.blob_hash, "blobhash(0)");
    assert_eq!(stored.withdrawalsLogsMerkleRoot, B256::ZERO);
    assert_eq!(
        stored.processedPrivilegedTransactionsRollingHash,
        B256::ZERO
    );
    assert_eq!(stored.lastBlockHash, batch.last_block_hash);
    assert_eq!(stored.nonPrivilegedTransactions, U256::from(1));
    assert_eq!((rollup.last_committed(), rollup.last_verified()), (1, 0));

    let verified = rollup
        .verify(1)
        .events::<abi::OnChainProposer::BatchVerified>();
    assert_eq!(verified.len(), 1);
    assert_eq!(verified[0].batchNumber, U256::from(1));
    assert_eq!(rollup.last_verified(), 1);
}

#[test]
fn commit_needs_the_next_number() {
    let mut rollup = Rollup::deploy(Proofs::default());
    rollup
        .commit(&Batch::new(2))
        .reverts_with("batch number is not the next one");
    rollup
        .commit(&Batch::new(0))
        .reverts_with("batch number is not the next one");
    rollup.commit(&Batch::new(1)).ok();
    rollup
        .commit(&Batch::new(1))
        .reverts_with("batch number is not the next one");
    rollup.commit(&Batch::new(2)).ok();
    assert_eq!(rollup.last_committed(), 2);
}

#[test]
fn commit_needs_a_last_block_hash() {
    let mut rollup = Rollup::deploy(Proofs::default());
    let mut batch = Batch::new(1);
    batch.last_block_hash = B256::ZERO;
    rollup
        .commit(&batch)
        .reverts_with("the last block hash is zero");
    assert_eq!(rollup.last_committed(), 0);
}

#[test]
fn commit_needs_a_blob() {
    let mut rollup = Rollup::deploy(Proofs::default());
    let batch = Batch::new(1);
    let call = abi::OnChainProposer::commitBatchCall {
        batchNumber: U256::from(1),
        newStateRoot: batch.state_root,
        withdrawalsLogsMerkleRoot: B256::ZERO,
        processedPrivilegedTransactionsRollingHash: B256::ZERO,
        lastBlockHash: batch.last_block_hash,
        nonPrivilegedTransactions: U256::from(1),
    };
    rollup
        .chain
        .call(COMMITTER, rollup.proposer, call)
        .reverts_with("carries no blob");
}

#[test]
fn only_sequencers_commit_and_verify() {
    let mut rollup = Rollup::deploy(Proofs::default());
    let batch = Batch::new(1);
    let call = abi::OnChainProposer::commitBatchCall {
        batchNumber: U256::from(1),
        newStateRoot: batch.state_root,
        withdrawalsLogsMerkleRoot: B256::ZERO,
        processedPrivilegedTransactionsRollingHash: B256::ZERO,
        lastBlockHash: batch.last_block_hash,
        nonPrivilegedTransactions: U256::ZERO,
    };
    rollup
        .chain
        .call_with_blob(ALICE, rollup.proposer, call, batch.blob_hash)
        .reverts_with("not an authorized sequencer");
    rollup.commit(&batch).ok();
    let verify = abi::OnChainProposer::verifyBatchCall {
        batchNumber: U256::from(1),
        risc0BlockProof: Default::default(),
        sp1ProofBytes: Default::default(),
        tdxSignature: Default::default(),
    };
    rollup
        .chain
        .call(ALICE, rollup.proposer, verify)
        .reverts_with("not an authorized sequencer");
    // The proof sender may verify what the committer committed.
    rollup.verify(1).ok();
}

#[test]
fn verify_needs_the_next_committed_batch() {
    let mut rollup = Rollup::deploy(Proofs::default());
    rollup.verify(1).reverts_with("the batch is not committed");
    rollup.commit(&Batch::new(1)).ok();
    rollup.commit(&Batch::new(2)).ok();
    rollup.verify(2).reverts_with("not the next to verify");
    rollup.verify(0).reverts_with("not the next to verify");
    rollup.verify(1).ok();
    rollup.verify(1).reverts_with("not the next to verify");
    rollup.verify(2).ok();
    rollup.verify(3).reverts_with("the batch is not committed");
    assert_eq!(rollup.last_verified(), 2);
}

#[test]
fn commit_consumes_the_privileged_transactions_its_rolling_hash_names() {
    let mut rollup = Rollup::deploy(Proofs::default());
    deposit(&mut rollup);
    deposit(&mut rollup);
    deposit(&mut rollup);
    let pending = rollup.pending();
    assert_eq!(pending.len(), 3);

    // The hash of the wrong transactions, of too many, of a tampered list: all refused.
    let mut batch = Batch::new(1);
    batch.rolling_hash = rolling_hash(&pending[1..2]).unwrap();
    rollup
        .commit(&batch)
        .reverts_with("rolling hash does not match the bridge's");
    let mut four = pending.clone();
    four.push(B256::repeat_byte(7));
    batch.rolling_hash = rolling_hash(&four).unwrap();
    rollup
        .commit(&batch)
        .reverts_with("number is above the pending count");
    let mut tampered = rolling_hash(&pending[..2]).unwrap();
    tampered[31] ^= 1;
    batch.rolling_hash = tampered;
    rollup
        .commit(&batch)
        .reverts_with("rolling hash does not match the bridge's");
    // A non-zero hash whose count is zero.
    batch.rolling_hash = B256::with_last_byte(1);
    rollup.commit(&batch).reverts_with("number is zero");
    assert_eq!(
        rollup.pending(),
        pending,
        "nothing consumed by a failed commit"
    );

    // The two oldest, hashed as the sequencer does.
    batch.rolling_hash = rolling_hash(&pending[..2]).unwrap();
    rollup.commit(&batch).ok();
    assert_eq!(rollup.pending(), pending[2..].to_vec());
    let stored = rollup.chain.view(
        rollup.proposer,
        abi::OnChainProposer::batchCommitmentsCall {
            batch: U256::from(1),
        },
    );
    assert_eq!(
        stored.processedPrivilegedTransactionsRollingHash,
        batch.rolling_hash
    );
}

#[test]
fn the_bridges_queue_and_roots_move_only_through_the_proposer() {
    let mut rollup = Rollup::deploy(Proofs::default());
    deposit(&mut rollup);
    let bridge = rollup.bridge;
    rollup
        .chain
        .call(
            ALICE,
            bridge,
            abi::CommonBridge::removePendingTransactionHashesCall { number: 1 },
        )
        .reverts_with("caller is not the OnChainProposer");
    rollup
        .chain
        .call(
            COMMITTER,
            bridge,
            abi::CommonBridge::publishWithdrawalsCall {
                withdrawalBatchNumber: U256::from(1),
                withdrawalsLogsMerkleRoot: B256::repeat_byte(1),
            },
        )
        .reverts_with("caller is not the OnChainProposer");
    assert_eq!(rollup.pending().len(), 1);
}

#[test]
fn commit_publishes_a_non_zero_withdrawal_root() {
    let mut rollup = Rollup::deploy(Proofs::default());
    let mut batch = Batch::new(1);
    batch.withdrawals_root = B256::repeat_byte(0x77);
    rollup.commit(&batch).ok();
    rollup.commit(&Batch::new(2)).ok();
    let root = |rollup: &Rollup, n: u64| {
        rollup.chain.view(
            rollup.bridge,
            abi::CommonBridge::batchWithdrawalLogsMerkleRootsCall {
                batch: U256::from(n),
            },
        )
    };
    assert_eq!(root(&rollup, 1), batch.withdrawals_root);
    assert_eq!(root(&rollup, 2), B256::ZERO, "a zero root is not published");
}

#[test]
fn an_expired_privileged_transaction_blocks_batches_with_other_transactions() {
    let mut rollup = Rollup::deploy(Proofs::default());
    deposit(&mut rollup);
    let expired = |rollup: &Rollup| {
        rollup.chain.view(
            rollup.bridge,
            abi::CommonBridge::hasExpiredPrivilegedTransactionsCall {},
        )
    };
    // Before its deadline the sequencer may leave it pending.
    rollup.chain.advance_time(INCLUSION_MAX_WAIT);
    assert!(!expired(&rollup));
    rollup.commit(&Batch::new(1)).ok();

    rollup.chain.advance_time(1);
    assert!(expired(&rollup));
    rollup
        .commit(&Batch::new(2))
        .reverts_with("expired privileged transactions must be included first");
    // A batch without other transactions may still be committed (catch-up).
    let mut catch_up = Batch::new(2);
    catch_up.non_privileged = 0;
    rollup.commit(&catch_up).ok();
    // Including it lifts the block, in the same commit.
    let mut batch = Batch::new(3);
    batch.rolling_hash = rolling_hash(&rollup.pending()).unwrap();
    rollup.commit(&batch).ok();
    assert!(!expired(&rollup));
    rollup.commit(&Batch::new(4)).ok();
}
