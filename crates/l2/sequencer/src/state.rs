//! [`RollupState`]: the sequencer's records in the node's store, typed — the L1 watcher's
//! cursor and the privileged transactions it queued, what each produced block left for the next
//! (the next privileged transaction id), each block's execution witness, the sealed batches and
//! their proofs.
//!
//! Every record is JSON under its own key (`ethrex_storage::Store::rollup_value`); what must
//! change together is written in one atomic write (a watcher round's transactions with its new
//! cursor; a batch with the new last batch number). Records survive restarts: a restarted
//! sequencer continues from them.

use alloy_primitives::{B256, Bytes};
use ethrex_common::types::{PrivilegedL2Tx, Transaction, decode_transaction_2718};
use ethrex_l2_common::protocol::{BatchProof, BlockWitness};
use ethrex_storage::Store;
use serde::{Deserialize, Serialize, de::DeserializeOwned};

use crate::SequencerError;

const L1_CURSOR: &[u8] = b"l1_cursor";
const LAST_BATCH: &[u8] = b"last_batch";

fn privileged_key(id: u64) -> Vec<u8> {
    [b"privileged/".as_slice(), &id.to_be_bytes()].concat()
}
fn block_meta_key(hash: &B256) -> Vec<u8> {
    [b"block_meta/".as_slice(), hash.as_slice()].concat()
}
fn witness_key(hash: &B256) -> Vec<u8> {
    [b"witness/".as_slice(), hash.as_slice()].concat()
}
fn batch_key(number: u64) -> Vec<u8> {
    [b"batch/".as_slice(), &number.to_be_bytes()].concat()
}
fn proof_key(number: u64) -> Vec<u8> {
    [b"proof/".as_slice(), &number.to_be_bytes()].concat()
}

/// What the block producer records for each block it produced.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockMeta {
    /// The id of the first privileged transaction not yet included on this block's chain.
    pub next_privileged_id: u64,
}

/// A sealed batch: consecutive blocks committed to L1 together (batch 0 is the genesis, and
/// is not stored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Batch {
    pub number: u64,
    pub first_block: u64,
    pub last_block: u64,
    /// The last block's state root.
    pub state_root: B256,
    pub last_block_hash: B256,
    pub blob_versioned_hash: B256,
    /// The blob's KZG commitment and proof (48 bytes each).
    pub blob_commitment: Bytes,
    pub blob_proof: Bytes,
    /// The rolling hash of the batch's privileged transactions (zero when none).
    pub privileged_transactions_hash: B256,
    /// The Merkle root of the batch's L1 messages (zero when none).
    pub l1_messages_merkle_root: B256,
    pub non_privileged_transactions: u64,
    /// The L1 transaction that committed it, once sent.
    pub commit_tx: Option<B256>,
    /// The L1 transaction that verified it, once sent.
    pub verify_tx: Option<B256>,
}

/// The sequencer's typed view of its records in the store.
#[derive(Debug, Clone)]
pub struct RollupState {
    store: Store,
}

impl RollupState {
    pub fn new(store: Store) -> Self {
        RollupState { store }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    fn get<T: DeserializeOwned>(&self, key: &[u8]) -> Result<Option<T>, SequencerError> {
        let Some(bytes) = self.store.rollup_value(key)? else {
            return Ok(None);
        };
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| SequencerError::Corrupt(format!("{}: {e}", String::from_utf8_lossy(key))))
    }

    fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, SequencerError> {
        serde_json::to_vec(value).map_err(|e| SequencerError::Corrupt(e.to_string()))
    }

    /// The last L1 block the watcher has scanned (`None`: none yet).
    pub fn l1_cursor(&self) -> Result<Option<u64>, SequencerError> {
        self.get(L1_CURSOR)
    }

    /// Queues privileged transactions (by their bridge id) and moves the watcher's cursor to
    /// `scanned`, in one write.
    pub fn queue_privileged(
        &self,
        txs: &[PrivilegedL2Tx],
        scanned: u64,
    ) -> Result<(), SequencerError> {
        let keys: Vec<Vec<u8>> = txs
            .iter()
            .map(|tx| privileged_key(tx.transaction_id))
            .collect();
        let values: Vec<Vec<u8>> = txs
            .iter()
            .map(|tx| Transaction::Privileged(tx.clone()).encode_2718())
            .collect();
        let cursor = Self::encode(&scanned)?;
        let mut writes: Vec<(&[u8], Option<&[u8]>)> = keys
            .iter()
            .zip(&values)
            .map(|(k, v)| (k.as_slice(), Some(v.as_slice())))
            .collect();
        writes.push((L1_CURSOR, Some(cursor.as_slice())));
        Ok(self.store.write_rollup_values(&writes)?)
    }

    /// The queued privileged transaction with bridge id `id`, if the watcher has seen it.
    pub fn privileged(&self, id: u64) -> Result<Option<PrivilegedL2Tx>, SequencerError> {
        let Some(bytes) = self.store.rollup_value(&privileged_key(id))? else {
            return Ok(None);
        };
        match decode_transaction_2718(&bytes) {
            Ok(Transaction::Privileged(tx)) => Ok(Some(tx)),
            Ok(_) => Err(SequencerError::Corrupt(format!(
                "privileged transaction {id} is not privileged"
            ))),
            Err(e) => Err(SequencerError::Corrupt(format!(
                "privileged transaction {id}: {e}"
            ))),
        }
    }

    /// Up to `limit` queued privileged transactions from id `first` on, consecutive.
    pub fn privileged_from(
        &self,
        first: u64,
        limit: usize,
    ) -> Result<Vec<PrivilegedL2Tx>, SequencerError> {
        let mut out = Vec::new();
        let mut id = first;
        while out.len() < limit {
            match self.privileged(id)? {
                Some(tx) => out.push(tx),
                None => break,
            }
            id = id.saturating_add(1);
        }
        Ok(out)
    }

    /// What the producer recorded for block `hash` (`None` for the genesis or a block it did
    /// not produce).
    pub fn block_meta(&self, hash: &B256) -> Result<Option<BlockMeta>, SequencerError> {
        self.get(&block_meta_key(hash))
    }

    pub fn set_block_meta(&self, hash: &B256, meta: BlockMeta) -> Result<(), SequencerError> {
        let value = Self::encode(&meta)?;
        Ok(self
            .store
            .write_rollup_values(&[(&block_meta_key(hash), Some(&value))])?)
    }

    /// The execution witness recorded for block `hash`.
    pub fn witness(&self, hash: &B256) -> Result<Option<BlockWitness>, SequencerError> {
        self.get(&witness_key(hash))
    }

    pub fn set_witness(&self, hash: &B256, witness: &BlockWitness) -> Result<(), SequencerError> {
        let value = Self::encode(witness)?;
        Ok(self
            .store
            .write_rollup_values(&[(&witness_key(hash), Some(&value))])?)
    }

    /// The number of the last sealed batch (0: only the genesis).
    pub fn last_batch_number(&self) -> Result<u64, SequencerError> {
        Ok(self.get(LAST_BATCH)?.unwrap_or(0))
    }

    pub fn batch(&self, number: u64) -> Result<Option<Batch>, SequencerError> {
        self.get(&batch_key(number))
    }

    /// Stores a newly sealed batch, which must follow the last one, and makes it the last.
    pub fn seal_batch(&self, batch: &Batch) -> Result<(), SequencerError> {
        let last = self.last_batch_number()?;
        if batch.number != last.saturating_add(1) {
            return Err(SequencerError::Corrupt(format!(
                "batch {} sealed after batch {last}",
                batch.number
            )));
        }
        let value = Self::encode(batch)?;
        let number = Self::encode(&batch.number)?;
        Ok(self.store.write_rollup_values(&[
            (&batch_key(batch.number), Some(&value)),
            (LAST_BATCH, Some(&number)),
        ])?)
    }

    /// Replaces a stored batch's record (its commit or verify transaction).
    pub fn update_batch(&self, batch: &Batch) -> Result<(), SequencerError> {
        if self.batch(batch.number)?.is_none() {
            return Err(SequencerError::Corrupt(format!(
                "batch {} updated before it was sealed",
                batch.number
            )));
        }
        let value = Self::encode(batch)?;
        Ok(self
            .store
            .write_rollup_values(&[(&batch_key(batch.number), Some(&value))])?)
    }

    pub fn proof(&self, batch: u64) -> Result<Option<BatchProof>, SequencerError> {
        self.get(&proof_key(batch))
    }

    pub fn set_proof(&self, batch: u64, proof: &BatchProof) -> Result<(), SequencerError> {
        let value = Self::encode(proof)?;
        Ok(self
            .store
            .write_rollup_values(&[(&proof_key(batch), Some(&value))])?)
    }
}
