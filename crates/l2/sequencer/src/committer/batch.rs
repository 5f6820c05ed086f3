//! What a batch holds, read from the store: the blocks after the last sealed batch taken in
//! order while they fit ([`Candidate::collect`]), and everything `commitBatch` and the
//! [`Batch`] record need from them ([`Candidate::seal`]).
//!
//! Limits, checked block by block: the batch gas limit (the sum of the blocks' gas used), one
//! blob ([`BatchSizer`]), and at most [`MAX_PRIVILEGED_PER_BLOCK`] privileged transactions per
//! batch. The first block always goes in when it fits the blob (a lone block over the gas
//! limit cannot be split); a block that does not fit a blob even alone is an error, reported
//! at every tick, as it can never be committed.
//!
//! Deterministic: the same blocks give the same blob, commitment and record, so a sealed batch
//! is re-encoded identically when its commit is re-sent.

use alloy_primitives::{B256, Bytes};
use ethrex_common::types::{Block, FeeConfig, Transaction};
use ethrex_l2_common::{
    BatchBlob, BatchMessages, BlobProofs, SidecarVersion, blob::BatchSizer, encode_batch,
    messages::block_l1_messages,
};
use ethrex_l2_contracts::hashes::rolling_hash;
use ethrex_storage::Store;

use crate::{MAX_PRIVILEGED_PER_BLOCK, SequencerError, state::Batch};

/// One block of a batch being assembled.
#[derive(Debug, Clone)]
pub struct Entry {
    pub block: Block,
    pub hash: B256,
    pub fee_config: FeeConfig,
    /// The hashes of its privileged transactions, in order.
    pub privileged: Vec<B256>,
    pub non_privileged: u64,
}

impl Entry {
    /// Block `number` of the canonical chain with its recorded fee config.
    pub fn load(store: &Store, number: u64) -> Result<Self, SequencerError> {
        let block = store.block_by_number(number)?.ok_or_else(|| {
            SequencerError::Corrupt(format!("block #{number} is not in the store"))
        })?;
        let hash = block.header.hash_slow();
        let fee_config = store.fee_config(&hash)?.ok_or_else(|| {
            SequencerError::Corrupt(format!("block #{number} {hash} has no fee config"))
        })?;
        let privileged: Vec<B256> = block
            .body
            .transactions
            .iter()
            .filter(|tx| matches!(tx, Transaction::Privileged(_)))
            .map(Transaction::hash)
            .collect();
        let non_privileged = block
            .body
            .transactions
            .len()
            .saturating_sub(privileged.len());
        Ok(Entry {
            block,
            hash,
            fee_config,
            privileged,
            non_privileged: u64::try_from(non_privileged).unwrap_or(u64::MAX),
        })
    }
}

/// The blocks of the next batch, in order.
#[derive(Debug, Clone, Default)]
pub struct Candidate {
    pub entries: Vec<Entry>,
}

impl Candidate {
    /// Blocks `first..=last` taken in order while they fit (see the module docs).
    pub fn collect(
        store: &Store,
        first: u64,
        last: u64,
        batch_gas_limit: Option<u64>,
    ) -> Result<Self, SequencerError> {
        let mut candidate = Candidate::default();
        let mut sizer = BatchSizer::new();
        let (mut gas, mut privileged) = (0u64, 0usize);
        for number in first..=last {
            let entry = Entry::load(store, number)?;
            let block_gas = entry.block.header.gas_used;
            let within_gas =
                batch_gas_limit.is_none_or(|limit| gas.saturating_add(block_gas) <= limit);
            let within_privileged =
                privileged.saturating_add(entry.privileged.len()) <= MAX_PRIVILEGED_PER_BLOCK;
            let within_limits = within_gas && within_privileged;
            if !within_limits && !candidate.entries.is_empty() {
                break;
            }
            if !sizer.fits(&entry.block, &entry.fee_config) {
                if candidate.entries.is_empty() {
                    // Alone it does not fit: say by how much.
                    sizer.try_push(&entry.block, &entry.fee_config)?;
                }
                break;
            }
            sizer.try_push(&entry.block, &entry.fee_config)?;
            gas = gas.saturating_add(block_gas);
            privileged = privileged.saturating_add(entry.privileged.len());
            candidate.entries.push(entry);
        }
        Ok(candidate)
    }

    /// Blocks `first..=last`, all of them (a sealed batch, re-read to be re-sent).
    pub fn load(store: &Store, first: u64, last: u64) -> Result<Self, SequencerError> {
        let entries = (first..=last)
            .map(|number| Entry::load(store, number))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Candidate { entries })
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The privileged transaction hashes of all its blocks, in order.
    pub fn privileged(&self) -> Vec<B256> {
        self.entries
            .iter()
            .flat_map(|e| e.privileged.iter().copied())
            .collect()
    }

    pub fn non_privileged(&self) -> u64 {
        self.entries.iter().map(|e| e.non_privileged).sum()
    }

    pub fn gas_used(&self) -> u64 {
        self.entries.iter().map(|e| e.block.header.gas_used).sum()
    }

    /// The longest prefix of blocks without non-privileged transactions.
    pub fn privileged_only_prefix(mut self) -> Self {
        let keep = self
            .entries
            .iter()
            .position(|e| e.non_privileged > 0)
            .unwrap_or(self.entries.len());
        self.entries.truncate(keep);
        self
    }

    /// The batch payload's size in bytes (what the blob stores before its padding).
    pub fn payload_bytes(&self) -> usize {
        let mut sizer = BatchSizer::new();
        for e in &self.entries {
            // Collected batches fit by construction; a re-read one fitted when sealed.
            let _ = sizer.try_push(&e.block, &e.fee_config);
        }
        sizer.payload_length()
    }

    /// The batch blob with the proofs of `version`.
    pub fn blob(&self, version: SidecarVersion) -> Result<BatchBlob, SequencerError> {
        let blocks: Vec<Block> = self.entries.iter().map(|e| e.block.clone()).collect();
        let fee_configs: Vec<FeeConfig> = self.entries.iter().map(|e| e.fee_config).collect();
        Ok(BatchBlob::new(
            encode_batch(&blocks, &fee_configs)?,
            version,
        )?)
    }

    /// The Merkle root of the L1 messages of its blocks (zero when none); Messenger logs that
    /// are not messages are logged and left out.
    pub fn l1_messages_root(&self, store: &Store) -> Result<B256, SequencerError> {
        let mut messages = BatchMessages::new();
        for e in &self.entries {
            let receipts = store.receipts(&e.hash)?;
            let found = block_l1_messages(&e.block, &receipts)?;
            for skipped in &found.skipped {
                tracing::warn!("committer: block #{}: {skipped}", e.block.header.number);
            }
            messages.extend(found.messages);
        }
        Ok(messages.merkle_root())
    }

    /// The record of batch `number` over these blocks (not yet committed). Its blob proof is
    /// the EIP-4844 one whatever sidecar carries it to L1 (the prover checks the blob with it).
    pub fn seal(&self, store: &Store, number: u64) -> Result<Batch, SequencerError> {
        let (first, last) = match (self.entries.first(), self.entries.last()) {
            (Some(first), Some(last)) => (first, last),
            _ => {
                return Err(SequencerError::Other(
                    "an empty batch cannot be sealed".into(),
                ));
            }
        };
        let blob = self.blob(SidecarVersion::BlobProof)?;
        let BlobProofs::Blob(proof) = blob.proofs else {
            return Err(SequencerError::Other("expected a blob proof".into()));
        };
        Ok(Batch {
            number,
            first_block: first.block.header.number,
            last_block: last.block.header.number,
            state_root: last.block.header.state_root,
            last_block_hash: last.hash,
            blob_versioned_hash: blob.versioned_hash,
            blob_commitment: Bytes::copy_from_slice(&blob.commitment),
            blob_proof: Bytes::copy_from_slice(&proof),
            privileged_transactions_hash: rolling_hash(&self.privileged()).unwrap_or_default(),
            l1_messages_merkle_root: self.l1_messages_root(store)?,
            non_privileged_transactions: self.non_privileged(),
            commit_tx: None,
            verify_tx: None,
        })
    }
}
