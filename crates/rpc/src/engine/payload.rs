//! Execution payloads and blocks: [`PayloadInput::into_block`] turns what `engine_newPayloadVn`
//! received into a block (transactions decoded from their EIP-2718 bytes, the roots and hashes
//! a header commits to computed, the fields of the merge — no ommers, zero difficulty and
//! nonce — filled in), and [`payload_v1`]/[`payload_v2`]/[`payload_v3`] turn a block back into
//! the payload JSON shapes `engine_getPayloadVn` returns.
//!
//! Guarantees: a payload whose transactions are empty or undecodable, or whose fields do not
//! hash to its `blockHash`, is an [`InvalidPayload`] naming what is wrong; nothing panics on
//! any input.

use alloy_primitives::{B256, Bytes, U256};
use alloy_rpc_types_engine::{ExecutionPayloadV1, ExecutionPayloadV2, ExecutionPayloadV3};
use ethrex_blockchain::requests::requests_hash;
use ethrex_common::{
    constants::EMPTY_OMMERS_HASH,
    types::{
        Block, BlockBody, Header, Transaction, Withdrawal, decode_transaction_2718,
        transactions_root, withdrawals_root,
    },
};

/// What a `newPayload` call carries besides the V1 fields.
#[derive(Debug, Clone)]
pub(crate) struct PayloadInput {
    pub payload: ExecutionPayloadV1,
    /// From V2 payloads on Shanghai blocks.
    pub withdrawals: Option<Vec<Withdrawal>>,
    /// `(blobGasUsed, excessBlobGas)` of a V3 payload.
    pub blob_gas: Option<(u64, u64)>,
    /// The V3+ call's `parentBeaconBlockRoot`.
    pub parent_beacon_block_root: Option<B256>,
    /// The V4 call's `executionRequests` (each `type || data`, already checked for order).
    pub execution_requests: Option<Vec<Bytes>>,
}

/// Why a payload is not a block: answered `INVALID` (or `INVALID_BLOCK_HASH`) with a null
/// latest valid hash.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum InvalidPayload {
    #[error("transaction {index} is empty")]
    EmptyTransaction { index: usize },
    #[error("transaction {index} cannot be decoded: {reason}")]
    Transaction { index: usize, reason: String },
    #[error("base fee per gas {0} does not fit in 64 bits")]
    BaseFee(U256),
    #[error("block hash mismatch: the payload says {given}, its fields hash to {computed}")]
    BlockHash { given: B256, computed: B256 },
}

impl PayloadInput {
    /// The block the payload describes and its hash, checked against the payload's
    /// `blockHash`.
    pub fn into_block(self) -> Result<(Block, B256), InvalidPayload> {
        let p = self.payload;
        let mut transactions = Vec::with_capacity(p.transactions.len());
        for (index, bytes) in p.transactions.iter().enumerate() {
            if bytes.is_empty() {
                return Err(InvalidPayload::EmptyTransaction { index });
            }
            let tx = decode_transaction_2718(bytes).map_err(|e| InvalidPayload::Transaction {
                index,
                reason: e.to_string(),
            })?;
            transactions.push(tx);
        }
        let base_fee = u64::try_from(p.base_fee_per_gas)
            .map_err(|_| InvalidPayload::BaseFee(p.base_fee_per_gas))?;
        let requests_hash = self.execution_requests.as_ref().map(|requests| {
            let typed: Vec<(u8, Bytes)> = requests
                .iter()
                .filter_map(|r| {
                    let (ty, data) = r.split_first()?;
                    Some((*ty, Bytes::copy_from_slice(data)))
                })
                .collect();
            requests_hash(&typed)
        });
        let header = Header {
            parent_hash: p.parent_hash,
            ommers_hash: EMPTY_OMMERS_HASH,
            beneficiary: p.fee_recipient,
            state_root: p.state_root,
            transactions_root: transactions_root(&transactions),
            receipts_root: p.receipts_root,
            logs_bloom: p.logs_bloom,
            difficulty: U256::ZERO,
            number: p.block_number,
            gas_limit: p.gas_limit,
            gas_used: p.gas_used,
            timestamp: p.timestamp,
            extra_data: p.extra_data,
            mix_hash: p.prev_randao,
            nonce: Default::default(),
            base_fee_per_gas: Some(base_fee),
            withdrawals_root: self.withdrawals.as_deref().map(withdrawals_root),
            blob_gas_used: self.blob_gas.map(|(used, _)| used),
            excess_blob_gas: self.blob_gas.map(|(_, excess)| excess),
            parent_beacon_block_root: self.parent_beacon_block_root,
            requests_hash,
            ..Default::default()
        };
        let computed = header.hash_slow();
        if computed != p.block_hash {
            return Err(InvalidPayload::BlockHash {
                given: p.block_hash,
                computed,
            });
        }
        let block = Block {
            header,
            body: BlockBody {
                transactions,
                ommers: Vec::new(),
                withdrawals: self.withdrawals.map(Into::into),
            },
        };
        Ok((block, computed))
    }
}

/// The versioned hashes of `transactions`' blobs, in order of inclusion.
pub(crate) fn versioned_hashes(transactions: &[Transaction]) -> Vec<B256> {
    transactions
        .iter()
        .filter_map(Transaction::blob_versioned_hashes)
        .flatten()
        .copied()
        .collect()
}

/// `block` as an `ExecutionPayloadV1`.
pub(crate) fn payload_v1(block: &Block) -> ExecutionPayloadV1 {
    let h = &block.header;
    ExecutionPayloadV1 {
        parent_hash: h.parent_hash,
        fee_recipient: h.beneficiary,
        state_root: h.state_root,
        receipts_root: h.receipts_root,
        logs_bloom: h.logs_bloom,
        prev_randao: h.mix_hash,
        block_number: h.number,
        gas_limit: h.gas_limit,
        gas_used: h.gas_used,
        timestamp: h.timestamp,
        extra_data: h.extra_data.clone(),
        base_fee_per_gas: U256::from(h.base_fee_per_gas.unwrap_or_default()),
        block_hash: h.hash_slow(),
        transactions: block
            .body
            .transactions
            .iter()
            .map(|tx| Bytes::from(tx.encode_2718()))
            .collect(),
    }
}

/// `block` as an `ExecutionPayloadV2` (no withdrawals: an empty list).
pub(crate) fn payload_v2(block: &Block) -> ExecutionPayloadV2 {
    ExecutionPayloadV2 {
        payload_inner: payload_v1(block),
        withdrawals: block
            .body
            .withdrawals
            .as_ref()
            .map(|w| w.to_vec())
            .unwrap_or_default(),
    }
}

/// `block` as an `ExecutionPayloadV3`.
pub(crate) fn payload_v3(block: &Block) -> ExecutionPayloadV3 {
    ExecutionPayloadV3 {
        payload_inner: payload_v2(block),
        blob_gas_used: block.header.blob_gas_used.unwrap_or_default(),
        excess_blob_gas: block.header.excess_blob_gas.unwrap_or_default(),
    }
}

/// The EIP-7685 requests as the Engine API lists them: `type || data`, types with empty data
/// left out, in type order.
pub(crate) fn execution_requests(requests: &[(u8, Bytes)]) -> Vec<Bytes> {
    let mut out: Vec<(u8, Bytes)> = requests
        .iter()
        .filter(|(_, data)| !data.is_empty())
        .cloned()
        .collect();
    out.sort_by_key(|(ty, _)| *ty);
    out.into_iter()
        .map(|(ty, data)| {
            let mut bytes = Vec::with_capacity(data.len() + 1);
            bytes.push(ty);
            bytes.extend_from_slice(&data);
            Bytes::from(bytes)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use alloy_primitives::{Address, address};
    use ethrex_common::constants::EMPTY_REQUESTS_HASH;

    use super::*;

    fn block(withdrawals: bool, cancun: bool) -> Block {
        let tx = ethrex_test_utils::tx::TxBuilder::new()
            .to(address!("0x00000000000000000000000000000000000000aa"))
            .eip1559();
        let withdrawal = Withdrawal {
            index: 1,
            validator_index: 2,
            address: Address::repeat_byte(3),
            amount: 4,
        };
        let transactions = vec![tx];
        let header = Header {
            parent_hash: B256::repeat_byte(1),
            ommers_hash: EMPTY_OMMERS_HASH,
            number: 7,
            gas_limit: 30_000_000,
            timestamp: 99,
            extra_data: Bytes::from_static(b"ethrex"),
            base_fee_per_gas: Some(7),
            transactions_root: transactions_root(&transactions),
            withdrawals_root: withdrawals.then(|| withdrawals_root(&[withdrawal])),
            blob_gas_used: cancun.then_some(0),
            excess_blob_gas: cancun.then_some(0),
            parent_beacon_block_root: cancun.then(|| B256::repeat_byte(9)),
            requests_hash: cancun.then_some(EMPTY_REQUESTS_HASH),
            ..Default::default()
        };
        Block {
            header,
            body: BlockBody {
                transactions,
                ommers: Vec::new(),
                withdrawals: withdrawals.then(|| vec![withdrawal].into()),
            },
        }
    }

    fn input(block: &Block) -> PayloadInput {
        let v3 = payload_v3(block);
        PayloadInput {
            payload: v3.payload_inner.payload_inner.clone(),
            withdrawals: block.body.withdrawals.as_ref().map(|w| w.to_vec()),
            blob_gas: block
                .header
                .blob_gas_used
                .map(|used| (used, v3.excess_blob_gas)),
            parent_beacon_block_root: block.header.parent_beacon_block_root,
            execution_requests: block.header.requests_hash.map(|_| Vec::new()),
        }
    }

    #[test]
    fn a_block_survives_the_round_trip_through_its_payload() {
        for (withdrawals, cancun) in [(false, false), (true, false), (true, true)] {
            let original = block(withdrawals, cancun);
            let (back, hash) = input(&original).into_block().unwrap();
            assert_eq!(hash, original.header.hash_slow());
            assert_eq!(back, original, "withdrawals {withdrawals}, cancun {cancun}");
        }
    }

    #[test]
    fn a_forged_block_hash_empty_or_garbled_transactions_are_named() {
        let original = block(true, true);
        let mut forged = input(&original);
        forged.payload.block_hash = B256::repeat_byte(0xee);
        assert!(matches!(
            forged.into_block(),
            Err(InvalidPayload::BlockHash { given, .. }) if given == B256::repeat_byte(0xee)
        ));
        let mut changed = input(&original);
        changed.payload.gas_used += 1;
        assert!(matches!(
            changed.into_block(),
            Err(InvalidPayload::BlockHash { .. })
        ));
        let mut empty = input(&original);
        empty.payload.transactions.push(Bytes::new());
        assert_eq!(
            empty.into_block(),
            Err(InvalidPayload::EmptyTransaction { index: 1 })
        );
        let mut garbled = input(&original);
        garbled.payload.transactions[0] = Bytes::from_static(&[0x02, 0xc0]);
        assert!(matches!(
            garbled.into_block(),
            Err(InvalidPayload::Transaction { index: 0, .. })
        ));
        let mut huge_fee = input(&original);
        huge_fee.payload.base_fee_per_gas = U256::MAX;
        assert_eq!(
            huge_fee.into_block(),
            Err(InvalidPayload::BaseFee(U256::MAX))
        );
    }

    #[test]
    fn execution_requests_drop_empty_data_and_sort_by_type() {
        let requests = [
            (2, Bytes::from_static(&[0xbb])),
            (0, Bytes::new()),
            (1, Bytes::from_static(&[0xaa, 0xab])),
        ];
        assert_eq!(
            execution_requests(&requests),
            [
                Bytes::from_static(&[1, 0xaa, 0xab]),
                Bytes::from_static(&[2, 0xbb])
            ]
        );
    }
}
