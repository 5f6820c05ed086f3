//! The block producer: every `block_time` it builds the next L2 block on the head — the queued
//! privileged transactions first, in id order (at most [`MAX_PRIVILEGED_PER_BLOCK`]), then the
//! mempool's best (no blob transactions) — under the rollup's rules with the current
//! [`FeeConfig`](ethrex_common::types::FeeConfig), and imports it as the new head. A block
//! carries at most [`TRANSACTION_BYTES_PER_BLOCK`] bytes of transactions, so that it fits one
//! batch blob by itself (checked after building: a block that still does not fit is rebuilt
//! smaller); what is left waits for the next block.
//!
//! Before the block is imported, its fee config (which re-executing it needs) and the id of
//! the next privileged transaction are recorded under its hash; after, its execution witness
//! (so the batch that holds it can be proven even when its parent's state has long left the
//! in-memory window). A privileged transaction is never left out silently: one the block cannot
//! take ends the privileged part of that block (the rest wait, in order) and is logged.

use std::sync::Arc;

use alloy_primitives::{Address, B256, Bytes, keccak256};
use ethrex_blockchain::{
    BlockAttributes, Blockchain, BuiltBlock, Candidates, Rules,
    mempool::Mempool,
    payload::{build_on_with_rules, import_payload, mempool_candidates, next_gas_limit},
};
use ethrex_common::{
    Fork,
    types::{Header, PrivilegedL2Tx, Transaction},
};
use ethrex_l2_common::protocol::BlockWitness;

use ethrex_l2_common::blob::{BatchSizer, MAX_PAYLOAD_BYTES};

use crate::{
    BlockProducerConfig, MAX_PRIVILEGED_PER_BLOCK, SequencerError, Shared,
    state::{BlockMeta, RollupState},
};

/// The bytes of transactions a block may carry: one blob's payload less room for the header,
/// the list headers and the fee config (a header is under 700 bytes).
pub const TRANSACTION_BYTES_PER_BLOCK: usize = MAX_PAYLOAD_BYTES - 2_048;

/// A block the producer made.
#[derive(Debug, Clone)]
pub struct Produced {
    pub number: u64,
    pub hash: B256,
    pub transactions: usize,
    pub privileged: usize,
    pub gas_used: u64,
}

/// Builds and imports the rollup's blocks.
#[derive(Debug)]
pub struct BlockProducer {
    chain: Arc<Blockchain>,
    mempool: Arc<Mempool>,
    state: RollupState,
    config: BlockProducerConfig,
}

impl BlockProducer {
    pub fn new(
        chain: Arc<Blockchain>,
        mempool: Arc<Mempool>,
        state: RollupState,
        config: BlockProducerConfig,
    ) -> Self {
        BlockProducer {
            chain,
            mempool,
            state,
            config,
        }
    }

    /// The id of the first privileged transaction the chain of `head` has not included.
    fn next_privileged_id(&self, head: &Header, head_hash: &B256) -> Result<u64, SequencerError> {
        match self.state.block_meta(head_hash)? {
            Some(meta) => Ok(meta.next_privileged_id),
            None if head.number == 0 => Ok(0),
            None => Err(SequencerError::Corrupt(format!(
                "head block #{} {head_hash} has no producer record",
                head.number
            ))),
        }
    }

    /// Builds the next block at unix time `now` (seconds) and imports it as the head.
    pub fn produce(&self, shared: &Shared, now: u64) -> Result<Produced, SequencerError> {
        let store = self.chain.store();
        let head = store
            .head_header()?
            .ok_or_else(|| SequencerError::Other("the chain has no head".into()))?;
        let head_hash = head.hash_slow();
        let next_id = self.next_privileged_id(&head, &head_hash)?;
        let mut privileged = self
            .state
            .privileged_from(next_id, MAX_PRIVILEGED_PER_BLOCK)?;
        let timestamp = now.max(head.timestamp.saturating_add(1));
        let fees = self.config.fee_config(shared.l1_blob_base_fee());
        // At most `budget` bytes of candidate transactions: a block must fit one batch blob
        // by itself (the committer could never seal a bigger one).
        let build = |privileged: &[PrivilegedL2Tx], budget: usize| {
            let attributes = self.attributes(&head, head_hash, timestamp);
            let mut candidates = Candidates {
                transactions: privileged
                    .iter()
                    .cloned()
                    .map(Transaction::Privileged)
                    .collect(),
                senders: privileged.iter().map(|tx| Some(tx.from)).collect(),
            };
            let pool = mempool_candidates(&self.chain, &self.mempool, &head, timestamp, Some(0));
            candidates.transactions.extend(pool.transactions);
            candidates.senders.extend(pool.senders);
            truncate_to_bytes(&mut candidates, budget);
            build_on_with_rules(
                &self.chain,
                &head,
                attributes,
                candidates,
                Rules::Rollup(fees),
            )
        };
        let mut budget = TRANSACTION_BYTES_PER_BLOCK;
        let mut built = build(&privileged, budget)?;
        // The margin leaves room for the header; should a block still not fit, shrink it.
        while !BatchSizer::new().fits(&built.block, &fees) {
            budget /= 2;
            if budget == 0 {
                return Err(SequencerError::Other(
                    "an empty block does not fit a batch blob".into(),
                ));
            }
            built = build(&privileged, budget)?;
        }
        if let Some(first_left_out) = first_skipped_privileged(&built, next_id) {
            let reason = built
                .skipped
                .iter()
                .find(|s| matches!(s.transaction, Transaction::Privileged(_)))
                .map(|s| s.reason.to_string())
                .unwrap_or_default();
            tracing::error!(
                "block producer: privileged transaction {} cannot be included now: {reason}",
                next_id.saturating_add(u64::try_from(first_left_out).unwrap_or(u64::MAX))
            );
            privileged.truncate(first_left_out);
            built = build(&privileged, budget)?;
        }
        let included = built
            .block
            .body
            .transactions
            .iter()
            .filter(|tx| matches!(tx, Transaction::Privileged(_)))
            .count();
        let block = &built.block;
        let hash = block.header.hash_slow();
        let meta = BlockMeta {
            next_privileged_id: next_id.saturating_add(u64::try_from(included).unwrap_or(0)),
        };
        self.state.set_block_meta(&hash, meta)?;
        store.set_fee_config(&hash, &fees)?;
        import_payload(&self.chain, &self.mempool, &built)?;
        let witness = self.chain.execution_witness(block)?;
        self.state.set_witness(
            &hash,
            &BlockWitness {
                state: witness.state,
                codes: witness.codes,
                keys: witness.keys,
                headers: witness.headers,
            },
        )?;
        let produced = Produced {
            number: block.header.number,
            hash,
            transactions: block.body.transactions.len(),
            privileged: included,
            gas_used: block.header.gas_used,
        };
        tracing::info!(
            "L2 block #{} {}: {} transactions ({} privileged), {} gas",
            produced.number,
            produced.hash,
            produced.transactions,
            produced.privileged,
            produced.gas_used
        );
        Ok(produced)
    }

    fn attributes(&self, head: &Header, head_hash: B256, timestamp: u64) -> BlockAttributes {
        let config = self.chain.config();
        let number = head.number.saturating_add(1);
        BlockAttributes {
            timestamp,
            fee_recipient: self.config.coinbase,
            prev_randao: keccak256(head_hash),
            gas_limit: next_gas_limit(head.gas_limit, self.config.block_gas_limit),
            extra_data: Bytes::new(),
            withdrawals: config
                .is_active(Fork::Shanghai, number, timestamp)
                .then(Vec::new),
            parent_beacon_block_root: config
                .is_active(Fork::Cancun, number, timestamp)
                .then_some(B256::ZERO),
        }
    }

    /// The coinbase the producer pays priority fees to.
    pub fn coinbase(&self) -> Address {
        self.config.coinbase
    }
}

/// Keeps the longest prefix of `candidates` whose block-body encodings take at most `budget`
/// bytes (privileged transactions come first, so they are kept first, in order).
fn truncate_to_bytes(candidates: &mut Candidates, budget: usize) {
    let mut used = 0usize;
    let keep = candidates
        .transactions
        .iter()
        .take_while(|tx| {
            used = used.saturating_add(alloy_rlp::Encodable::length(*tx));
            used <= budget
        })
        .count();
    candidates.transactions.truncate(keep);
    candidates.senders.truncate(keep);
}

/// The position, among the privileged candidates (ids from `first_id` on), of the first one
/// the built block left out.
fn first_skipped_privileged(built: &BuiltBlock, first_id: u64) -> Option<usize> {
    built
        .skipped
        .iter()
        .filter_map(|s| match &s.transaction {
            Transaction::Privileged(tx) => Some(tx.transaction_id),
            _ => None,
        })
        .min()
        .map(|id| usize::try_from(id.saturating_sub(first_id)).unwrap_or(usize::MAX))
}
