//! The proof sender: every `send_interval` it reads `next = lastVerifiedBatch() + 1` from L1
//! and, while `next` is committed and a proof of it is stored ([`RollupState::proof`]), sends
//! `verifyBatch(next, risc0Proof, sp1Proof, tdxSignature)` from the proof coordinator's key,
//! waits for the receipt and records `verify_tx` — one batch per transaction, in order.
//!
//! What it sends. This build has only the `exec` backend, which re-executes the batch and
//! proves nothing: it sends `verifyBatch` with empty proofs, and only when the stored proof is
//! an `exec` one **and** the `OnChainProposer` requires no proof (`REQUIRE_RISC0_PROOF`,
//! `REQUIRE_SP1_PROOF`, `REQUIRE_TDX_PROOF` all false, read once). Otherwise it logs, once per
//! batch, that a real proof is needed, and sends nothing. It also sends only when the proof's
//! public values are exactly the batch's public inputs on L1 (`publicInputsOf(next)`: the
//! commitment the exec run must reproduce), since with no verifier nothing on L1 checks them;
//! a mismatch is logged once per batch and nothing is sent.
//!
//! Guarantees: batches are verified in order (the number always comes from L1); a failed send
//! or an L1 outage fails the tick and is retried at the next; a sent transaction whose receipt
//! did not come in time is checked again before anything is re-sent; a restart resumes from
//! `lastVerifiedBatch()`.

use std::{sync::Arc, thread::JoinHandle, time::Duration};

use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_sol_types::{SolCall, sol};
use ethrex_l2_common::protocol::ProverType;
use ethrex_l2_sdk::{
    EthClient, SdkError,
    calls::IOnChainProposer,
    tx::{Call, Signer},
};

use crate::{SequencerError, Shared, l1, spawn_service, state::RollupState};

sol! {
    /// `OnChainProposer`'s proof requirements and public inputs (public getters).
    interface IProofRequirements {
        function REQUIRE_RISC0_PROOF() external view returns (bool);
        function REQUIRE_SP1_PROOF() external view returns (bool);
        function REQUIRE_TDX_PROOF() external view returns (bool);
        function publicInputsOf(uint256 batchNumber) external view returns (bytes memory);
    }
}

/// How long a `verifyBatch` receipt is waited for within one tick.
pub const DEFAULT_RECEIPT_TIMEOUT: Duration = Duration::from_secs(120);
/// The most batches verified in one tick.
pub const MAX_PER_TICK: usize = 16;

/// Which proofs the `OnChainProposer` requires.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Requirements {
    pub risc0: bool,
    pub sp1: bool,
    pub tdx: bool,
}

impl Requirements {
    fn names(&self) -> Vec<&'static str> {
        [(self.risc0, "RISC0"), (self.sp1, "SP1"), (self.tdx, "TDX")]
            .into_iter()
            .filter_map(|(required, name)| required.then_some(name))
            .collect()
    }
}

/// What one tick did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SendReport {
    /// The batches verified on L1 in this tick, in order.
    pub verified: Vec<u64>,
    /// The batch waiting for something other than a proof to be produced: a real proof (the
    /// stored one cannot be sent), or a proof whose public values match L1's.
    pub blocked: Option<u64>,
}

/// The proof sender's state between ticks.
#[derive(Debug)]
pub struct ProofSender {
    client: EthClient,
    signer: Signer,
    state: RollupState,
    proposer: Address,
    receipt_timeout: Duration,
    send_interval: Duration,
    requirements: Option<Requirements>,
    /// The last batch a "cannot send" was logged for.
    warned: Option<u64>,
    /// A `verifyBatch` sent whose receipt has not been seen: (batch number, L1 tx hash).
    in_flight: Option<(u64, B256)>,
    /// The stop flag, once spawned: receipt waits end when it is set.
    shared: Option<Arc<Shared>>,
}

impl ProofSender {
    /// A proof sender signing with `l1_private_key` (the proof coordinator's key), every
    /// `send_interval_ms`.
    pub fn new(
        client: EthClient,
        state: RollupState,
        on_chain_proposer: Address,
        l1_private_key: B256,
        send_interval_ms: u64,
    ) -> Result<Self, SequencerError> {
        Ok(ProofSender {
            client,
            signer: Signer::new(l1_private_key)?,
            state,
            proposer: on_chain_proposer,
            receipt_timeout: DEFAULT_RECEIPT_TIMEOUT,
            send_interval: Duration::from_millis(send_interval_ms),
            requirements: None,
            warned: None,
            in_flight: None,
            shared: None,
        })
    }

    /// This sender waiting at most `timeout` for each receipt within a tick.
    pub fn with_receipt_timeout(mut self, timeout: Duration) -> Self {
        self.receipt_timeout = timeout;
        self
    }

    /// Runs [`ProofSender::step`] every `send_interval` on a thread named `proof-sender`.
    pub fn spawn(mut self, shared: Arc<Shared>) -> std::io::Result<JoinHandle<()>> {
        self.shared = Some(Arc::clone(&shared));
        let period = self.send_interval;
        spawn_service("proof-sender", shared, period, move || {
            self.step().map(|_| ())
        })
    }

    /// The proofs the `OnChainProposer` requires (read from L1 once).
    pub fn requirements(&mut self) -> Result<Requirements, SequencerError> {
        if let Some(requirements) = self.requirements {
            return Ok(requirements);
        }
        let (client, to) = (&self.client, self.proposer);
        let requirements = Requirements {
            risc0: l1::view(client, to, &IProofRequirements::REQUIRE_RISC0_PROOFCall {})?,
            sp1: l1::view(client, to, &IProofRequirements::REQUIRE_SP1_PROOFCall {})?,
            tdx: l1::view(client, to, &IProofRequirements::REQUIRE_TDX_PROOFCall {})?,
        };
        self.requirements = Some(requirements);
        Ok(requirements)
    }

    /// One tick: verifies, in order, every committed batch from `lastVerifiedBatch() + 1` on
    /// whose stored proof can be sent (at most [`MAX_PER_TICK`]).
    pub fn step(&mut self) -> Result<SendReport, SequencerError> {
        let mut report = SendReport::default();
        for _ in 0..MAX_PER_TICK {
            match self.send_next()? {
                Next::Verified(number) => report.verified.push(number),
                Next::Blocked(number) => {
                    report.blocked = Some(number);
                    break;
                }
                Next::Idle => break,
            }
        }
        Ok(report)
    }

    /// Sends the proof of the next batch to verify, if it can.
    fn send_next(&mut self) -> Result<Next, SequencerError> {
        let (client, proposer) = (&self.client, self.proposer);
        let verified = l1::view(
            client,
            proposer,
            &IOnChainProposer::lastVerifiedBatchCall {},
        )?;
        let committed = l1::view(
            client,
            proposer,
            &IOnChainProposer::lastCommittedBatchCall {},
        )?;
        let next = l1::to_u64(verified, "lastVerifiedBatch")?.saturating_add(1);
        if next > l1::to_u64(committed, "lastCommittedBatch")? {
            return Ok(Next::Idle);
        }
        if let Some((pending, hash)) = self.in_flight
            && pending == next
            && self.client.knows_transaction(hash)?
        {
            return self.wait(next, hash);
        }
        self.in_flight = None;
        let Some(proof) = self.state.proof(next)? else {
            return Ok(Next::Idle);
        };
        let requirements = self.requirements()?;
        let required = requirements.names();
        if proof.prover_type != ProverType::Exec || !required.is_empty() {
            if self.warned != Some(next) {
                tracing::warn!(
                    "proof sender: batch {next} has a {:?} proof but the OnChainProposer requires \
                     {}: a real proof is needed (exec proves nothing); not sending",
                    proof.prover_type,
                    if required.is_empty() {
                        "none".to_string()
                    } else {
                        required.join(", ")
                    }
                );
                self.warned = Some(next);
            }
            return Ok(Next::Blocked(next));
        }
        let inputs = l1::view(
            &self.client,
            self.proposer,
            &IProofRequirements::publicInputsOfCall {
                batchNumber: U256::from(next),
            },
        )?;
        if inputs != proof.public_values {
            if self.warned != Some(next) {
                tracing::error!(
                    "proof sender: the stored proof of batch {next} proves public values {} but \
                     the L1 commitment's are {inputs}; not sending",
                    proof.public_values
                );
                self.warned = Some(next);
            }
            return Ok(Next::Blocked(next));
        }
        let data = IOnChainProposer::verifyBatchCall {
            batchNumber: U256::from(next),
            risc0BlockProof: Bytes::new(),
            sp1ProofBytes: Bytes::new(),
            tdxSignature: Bytes::new(),
        }
        .abi_encode();
        let hash = self
            .client
            .send(&self.signer, &Call::new(self.proposer, data))?;
        self.in_flight = Some((next, hash));
        tracing::info!("proof sender: batch {next}: verifyBatch sent (exec proof), L1 tx {hash}");
        self.wait(next, hash)
    }

    /// Waits for `verifyBatch` transaction `hash` of batch `number` and records it.
    fn wait(&mut self, number: u64, hash: B256) -> Result<Next, SequencerError> {
        let what = format!("verifyBatch({number})");
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
        match self.state.batch(number)? {
            Some(mut batch) => {
                batch.verify_tx = Some(hash);
                self.state.update_batch(&batch)?;
            }
            None => tracing::warn!("proof sender: batch {number} verified but not stored here"),
        }
        tracing::debug!("proof sender: batch {number} verified in L1 tx {hash}");
        Ok(Next::Verified(number))
    }
}

/// What [`ProofSender::send_next`] did.
enum Next {
    Verified(u64),
    Blocked(u64),
    Idle,
}
