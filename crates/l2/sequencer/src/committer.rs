//! The committer: every `commit_time` it makes sure every sealed batch is committed on L1, then
//! seals the next one from the blocks after the last sealed batch (up to the head, taken in
//! order while they fit the batch gas limit, one blob and [`MAX_PRIVILEGED_PER_BLOCK`]
//! privileged transactions: [`batch`]) and commits it: `commitBatch(number, state root, L1
//! messages root, privileged rolling hash, last block hash, non-privileged count)` sent from the
//! committer's key to the `OnChainProposer` as a blob transaction carrying the batch blob
//! (sidecar version by `SidecarVersion::at(L1 time, --osaka-activation-time)`), then waits for
//! the receipt and records `commit_tx`.
//!
//! Guarantees:
//! - **Nothing is sealed twice, nothing is lost.** A batch is sealed (stored, with the new last
//!   batch number, in one write) before it is sent. A sealed batch not yet committed — its send
//!   failed, the L1 was down, the process stopped before sending — is re-sent at the next tick
//!   with the same contents (its blocks are re-read and re-encoded deterministically; a blob
//!   that no longer matches the record is an error, never a different commit). No new batch
//!   is sealed while an older one is uncommitted.
//! - **A batch already on L1 is only recorded.** When `lastCommittedBatch()` ≥ its number (a
//!   commit that landed while the receipt wait failed, or a restart), its `commit_tx` is taken
//!   from its `BatchCommitted` log (looked for in the last [`l1::COMMIT_LOOKBACK`] L1 blocks).
//! - **One commit in flight.** A commit whose receipt did not come in time is checked again at
//!   the next tick; it is re-sent only once the L1 no longer knows it.
//! - L1 errors fail the tick (logged by [`crate::spawn_service`]) and are retried at the next.
//!
//! Forced inclusion. `commitBatch` reverts when `nonPrivilegedTransactions > 0` while, after
//! the batch's privileged transactions are consumed, the oldest one still pending on the
//! bridge is past its deadline. The committer applies that exact rule before sealing: for a
//! batch with non-privileged transactions that would leave privileged transactions pending
//! (`getPendingTransactionHashes()` holds more than the batch consumes), it reads the deadline
//! of the oldest one left (`privilegedTxDeadline(pendingTxIndex() + consumed)`); if that is
//! within [`DEADLINE_MARGIN_SECS`] of the L1's latest block time (the commit lands a little
//! later), the batch is cut to its longest prefix of privileged-only blocks — catch-up batches,
//! which L1 accepts whatever pends. When even that prefix is empty nothing is sealed this tick:
//! the block producer puts queued privileged transactions first, so the overdue ones come in
//! the next blocks, and the batch that consumes them may carry transfers again. This is
//! `hasExpiredPrivilegedTransactions()` evaluated *after* the batch, as the contract does:
//! testing it before (privileged-only batches whenever it is true) would also hold back the
//! batch that includes the overdue deposit together with the transfers of its block, which
//! L1 accepts, and the chain would never catch up. Known limit: if more blocks with
//! non-privileged transactions precede the block including an overdue transaction than one
//! batch holds, they cannot be committed (the contract's rule); with the producer's
//! privileged-first rule this needs the committer to be stopped, or the L1 down, for longer
//! than the inclusion wait while blocks are produced. Likewise a batch sealed with transfers
//! whose commit is delayed (L1 down) past the deadline of a deposit it leaves pending is
//! refused at every re-send (the gas estimate says why): sealed batches are never re-cut.
//!
//! One log line per committed batch: number, blocks, gas, blob payload bytes, L1 tx hash.

pub mod batch;

use std::{sync::Arc, thread::JoinHandle, time::Duration};

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::{SolCall, sol};
use ethrex_l2_common::{SidecarVersion, blob::BYTES_PER_BLOB};
use ethrex_l2_sdk::{
    EthClient, SdkError,
    blob_tx::BlobCall,
    calls::{ICommonBridge, IOnChainProposer},
    tx::Signer,
};

use crate::{
    CommitterConfig, MAX_PRIVILEGED_PER_BLOCK, SequencerError, Shared, l1, spawn_service,
    state::{Batch, RollupState},
};
use batch::Candidate;

sol! {
    /// The bridge's forced-inclusion state (public getters of `CommonBridge`).
    interface IBridgeDeadlines {
        function pendingTxIndex() external view returns (uint256);
        function privilegedTxDeadline(uint256 transactionId) external view returns (uint256);
    }
}

/// How long a commit's receipt is waited for within one tick.
pub const DEFAULT_RECEIPT_TIMEOUT: Duration = Duration::from_secs(120);
/// Seconds of L1 time a commit may take to land: a pending privileged transaction due within
/// this margin counts as expired when deciding what the next batch may hold.
pub const DEADLINE_MARGIN_SECS: u64 = 30;

/// What one tick did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommitReport {
    /// The batch sealed in this tick, if any.
    pub sealed: Option<u64>,
    /// The batches committed (or found committed) on L1 in this tick, in order.
    pub committed: Vec<u64>,
}

/// The committer's state between ticks.
#[derive(Debug)]
pub struct Committer {
    client: EthClient,
    signer: Signer,
    state: RollupState,
    bridge: Address,
    proposer: Address,
    config: CommitterConfig,
    receipt_timeout: Duration,
    /// Batches up to this one are committed and recorded (`None`: not read yet).
    recorded: Option<u64>,
    /// A commit sent whose receipt has not been seen: (batch number, L1 tx hash).
    in_flight: Option<(u64, B256)>,
    /// The stop flag, once spawned: receipt waits end when it is set.
    shared: Option<Arc<Shared>>,
}

impl Committer {
    pub fn new(
        client: EthClient,
        state: RollupState,
        bridge: Address,
        on_chain_proposer: Address,
        config: CommitterConfig,
    ) -> Result<Self, SequencerError> {
        Ok(Committer {
            signer: Signer::new(config.l1_private_key)?,
            client,
            state,
            bridge,
            proposer: on_chain_proposer,
            config,
            receipt_timeout: DEFAULT_RECEIPT_TIMEOUT,
            recorded: None,
            in_flight: None,
            shared: None,
        })
    }

    /// This committer waiting at most `timeout` for each receipt within a tick.
    pub fn with_receipt_timeout(mut self, timeout: Duration) -> Self {
        self.receipt_timeout = timeout;
        self
    }

    /// The committer's L1 address.
    pub fn address(&self) -> Address {
        self.signer.address()
    }

    /// Runs [`Committer::step`] every `commit_time` on a thread named `committer`.
    pub fn spawn(mut self, shared: Arc<Shared>) -> std::io::Result<JoinHandle<()>> {
        self.shared = Some(Arc::clone(&shared));
        let period = Duration::from_millis(self.config.commit_time_ms);
        spawn_service("committer", shared, period, move || self.step().map(|_| ()))
    }

    /// One tick: commits the sealed batches not yet on L1, then seals the next batch and
    /// commits it.
    pub fn step(&mut self) -> Result<CommitReport, SequencerError> {
        let mut report = CommitReport {
            committed: self.commit_sealed()?,
            ..Default::default()
        };
        if let Some(batch) = self.seal_next()? {
            let number = batch.number;
            report.sealed = Some(number);
            self.commit(batch)?;
            report.committed.push(number);
            self.recorded = Some(number);
        }
        Ok(report)
    }

    /// `lastCommittedBatch()` on L1.
    pub fn last_committed_on_l1(&self) -> Result<u64, SequencerError> {
        let last = l1::view(
            &self.client,
            self.proposer,
            &IOnChainProposer::lastCommittedBatchCall {},
        )?;
        l1::to_u64(last, "lastCommittedBatch")
    }

    /// Commits (or records) every sealed batch not yet recorded as committed, in order.
    fn commit_sealed(&mut self) -> Result<Vec<u64>, SequencerError> {
        let last_sealed = self.state.last_batch_number()?;
        let recorded = match self.recorded {
            Some(n) => n,
            None => self.last_recorded(last_sealed)?,
        };
        self.recorded = Some(recorded);
        let mut done = Vec::new();
        for number in recorded.saturating_add(1)..=last_sealed {
            let batch = self.state.batch(number)?.ok_or_else(|| {
                SequencerError::Corrupt(format!("batch {number} sealed but not stored"))
            })?;
            self.commit(batch)?;
            self.recorded = Some(number);
            done.push(number);
        }
        Ok(done)
    }

    /// The last sealed batch recorded as committed, walking back from `last_sealed`.
    fn last_recorded(&self, last_sealed: u64) -> Result<u64, SequencerError> {
        let mut number = last_sealed;
        while number > 0 {
            let committed = self
                .state
                .batch(number)?
                .is_some_and(|batch| batch.commit_tx.is_some());
            if committed {
                break;
            }
            number -= 1;
        }
        Ok(number)
    }

    /// Seals the next batch, if there are blocks after the last sealed one that may go in.
    pub fn seal_next(&self) -> Result<Option<Batch>, SequencerError> {
        let store = self.state.store();
        let last = self.state.last_batch_number()?;
        let on_l1 = self.last_committed_on_l1()?;
        if on_l1 > last {
            return Err(SequencerError::Corrupt(format!(
                "the L1 has batch {on_l1} committed but this node sealed only {last}: wrong \
                 datadir or contracts?"
            )));
        }
        let first_block = match last {
            0 => 1,
            n => self
                .state
                .batch(n)?
                .ok_or_else(|| SequencerError::Corrupt(format!("batch {n} is not stored")))?
                .last_block
                .saturating_add(1),
        };
        let head = store
            .head_header()?
            .ok_or_else(|| SequencerError::Other("the chain has no head".into()))?
            .number;
        if first_block > head {
            return Ok(None);
        }
        let candidate = Candidate::collect(store, first_block, head, self.config.batch_gas_limit)?;
        let candidate = self.forced_inclusion_cut(candidate)?;
        if candidate.is_empty() {
            return Ok(None);
        }
        let batch = candidate.seal(store, last.saturating_add(1))?;
        self.state.seal_batch(&batch)?;
        tracing::debug!(
            "committer: sealed batch {} (blocks {}..={})",
            batch.number,
            batch.first_block,
            batch.last_block
        );
        Ok(Some(batch))
    }

    /// `candidate` as L1 will accept it under the forced-inclusion rule (see the module docs).
    fn forced_inclusion_cut(&self, candidate: Candidate) -> Result<Candidate, SequencerError> {
        if candidate.non_privileged() == 0 {
            return Ok(candidate);
        }
        let pending = l1::view(
            &self.client,
            self.bridge,
            &ICommonBridge::getPendingTransactionHashesCall {},
        )?;
        let consumed = candidate.privileged().len();
        if consumed >= pending.len() {
            return Ok(candidate);
        }
        let index = l1::view(
            &self.client,
            self.bridge,
            &IBridgeDeadlines::pendingTxIndexCall {},
        )?;
        let oldest_left = index.saturating_add(U256::from(consumed));
        let deadline = l1::view(
            &self.client,
            self.bridge,
            &IBridgeDeadlines::privilegedTxDeadlineCall {
                transactionId: oldest_left,
            },
        )?;
        let now = self.client.latest_timestamp()?;
        if deadline >= U256::from(now.saturating_add(DEADLINE_MARGIN_SECS)) {
            return Ok(candidate);
        }
        let cut = candidate.privileged_only_prefix();
        tracing::warn!(
            "committer: privileged transaction {oldest_left} is due on L1 (deadline {deadline}, \
             L1 time {now}) and would still pend after the next batch: sealing only \
             privileged-only blocks ({} of them) until it is included",
            cut.entries.len()
        );
        Ok(cut)
    }

    /// Sends the commit of sealed `batch` and waits for it, or records it if L1 already has it.
    fn commit(&mut self, mut batch: Batch) -> Result<(), SequencerError> {
        let number = batch.number;
        let on_l1 = self.last_committed_on_l1()?;
        if on_l1 >= number {
            batch.commit_tx = l1::find_commit_tx(&self.client, self.proposer, number)?;
            if batch.commit_tx.is_none() {
                tracing::warn!(
                    "committer: batch {number} is committed on L1 but its transaction is not \
                     among the last {} L1 blocks",
                    l1::COMMIT_LOOKBACK
                );
            }
            self.state.update_batch(&batch)?;
            self.in_flight = None;
            tracing::info!("committer: batch {number} was already committed on L1");
            return Ok(());
        }
        if number != on_l1.saturating_add(1) {
            return Err(SequencerError::Corrupt(format!(
                "batch {number} is next to commit but the L1's last committed batch is {on_l1}"
            )));
        }
        if let Some((pending, hash)) = self.in_flight
            && pending == number
            && self.client.knows_transaction(hash)?
        {
            // Still pending (a mined one would have moved lastCommittedBatch or reverted).
            return self.wait(batch, hash);
        }
        self.in_flight = None;
        let candidate = Candidate::load(self.state.store(), batch.first_block, batch.last_block)?;
        let version = SidecarVersion::at(
            self.client.latest_timestamp()?,
            self.config.osaka_activation_time,
        );
        let blob = candidate.blob(version)?;
        if blob.versioned_hash != batch.blob_versioned_hash {
            return Err(SequencerError::Corrupt(format!(
                "batch {number} re-encodes to blob {} but was sealed with {}",
                blob.versioned_hash, batch.blob_versioned_hash
            )));
        }
        let data = IOnChainProposer::commitBatchCall {
            batchNumber: U256::from(number),
            newStateRoot: batch.state_root,
            withdrawalsLogsMerkleRoot: batch.l1_messages_merkle_root,
            processedPrivilegedTransactionsRollingHash: batch.privileged_transactions_hash,
            lastBlockHash: batch.last_block_hash,
            nonPrivilegedTransactions: U256::from(batch.non_privileged_transactions),
        }
        .abi_encode();
        let hash = self.client.send_blob(
            &self.signer,
            &BlobCall {
                to: self.proposer,
                data: data.into(),
                sidecar: blob.sidecar(),
                gas_limit: None,
            },
        )?;
        self.in_flight = Some((number, hash));
        tracing::info!(
            "committer: batch {number}: blocks {}..={}, {} gas, {} of {BYTES_PER_BLOB} blob bytes, \
             {} privileged (max {MAX_PRIVILEGED_PER_BLOCK}), L1 tx {hash}",
            batch.first_block,
            batch.last_block,
            candidate.gas_used(),
            candidate.payload_bytes(),
            candidate.privileged().len(),
        );
        self.wait(batch, hash)
    }

    /// Waits for the receipt of commit `hash` of `batch` and records it.
    fn wait(&mut self, mut batch: Batch, hash: B256) -> Result<(), SequencerError> {
        let what = format!("commitBatch({})", batch.number);
        let shared = self.shared.as_deref();
        match l1::wait_for_success(&self.client, hash, &what, self.receipt_timeout, shared) {
            Ok(_) => {}
            Err(e @ SdkError::Reverted { .. }) => {
                self.in_flight = None;
                return Err(e.into());
            }
            Err(e) => return Err(e.into()),
        }
        self.in_flight = None;
        batch.commit_tx = Some(hash);
        self.state.update_batch(&batch)?;
        tracing::debug!(
            "committer: batch {} committed in L1 tx {hash}",
            batch.number
        );
        Ok(())
    }
}
