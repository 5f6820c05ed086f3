//! A fixture block as Engine API calls: the method versions of its fork ([`versions`]), the
//! `engine_newPayloadVN` parameters ([`new_payload`]) and the `engine_forkchoiceUpdatedVN`
//! ones ([`forkchoice`]).
//!
//! Versions by fork: Paris → newPayloadV1 / forkchoiceUpdatedV1; Shanghai → V2 / V2; Cancun →
//! V3 / V3; Prague, Osaka and the BPO forks → newPayloadV4 / forkchoiceUpdatedV3. Transactions
//! are sent in their canonical (EIP-2718) encoding, blob transactions without sidecars.
//!
//! A payload does not carry every header field: the node rebuilds the ommers hash (empty),
//! difficulty and nonce (zero), the transactions and withdrawals roots and the requests hash
//! from the payload. [`NewPayload::rebuilt_hash`] is the hash of that header; it differs from
//! the block's hash exactly when the block cannot be sent as a payload unchanged (an invalid
//! block with ommers, a wrong transactions root, a missing fork field, ...).

use alloy_primitives::{B256, Bytes};
use ethrex_blockchain::requests::requests_hash;
use ethrex_common::{
    Fork,
    constants::EMPTY_OMMERS_HASH,
    types::{Block, Header, transactions_root, withdrawals_root},
};
use serde_json::{Value, json};

/// The versions of the two methods a block of one fork is sent with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Versions {
    pub(super) new_payload: u8,
    pub(super) forkchoice: u8,
}

/// The method versions for a block of `fork` (Paris or later).
pub(super) fn versions(fork: Fork) -> Versions {
    let (new_payload, forkchoice) = if fork >= Fork::Prague {
        (4, 3)
    } else if fork >= Fork::Cancun {
        (3, 3)
    } else if fork >= Fork::Shanghai {
        (2, 2)
    } else {
        (1, 1)
    };
    Versions {
        new_payload,
        forkchoice,
    }
}

/// An `engine_newPayloadVN` call for one block.
#[derive(Debug, Clone)]
pub(super) struct NewPayload {
    pub(super) method: String,
    pub(super) params: Value,
    /// The hash of the header the node rebuilds from the payload.
    pub(super) rebuilt_hash: B256,
}

/// The `engine_newPayloadVN` call of `block` under `versions`. `requests` (V4 only) are the
/// execution requests, each `type ‖ data`, empty ones left out.
pub(super) fn new_payload(block: &Block, versions: Versions, requests: &[Bytes]) -> NewPayload {
    let header = &block.header;
    let version = versions.new_payload;
    let transactions: Vec<Bytes> = block
        .body
        .transactions
        .iter()
        .map(|tx| Bytes::from(tx.encode_2718()))
        .collect();
    let mut payload = json!({
        "parentHash": header.parent_hash,
        "feeRecipient": header.beneficiary,
        "stateRoot": header.state_root,
        "receiptsRoot": header.receipts_root,
        "logsBloom": header.logs_bloom,
        "prevRandao": header.mix_hash,
        "blockNumber": quantity(header.number),
        "gasLimit": quantity(header.gas_limit),
        "gasUsed": quantity(header.gas_used),
        "timestamp": quantity(header.timestamp),
        "extraData": header.extra_data,
        "baseFeePerGas": quantity(header.base_fee_per_gas.unwrap_or_default()),
        "blockHash": header.hash_slow(),
        "transactions": transactions,
    });
    // The header the node rebuilds: what the payload carries, the rest derived.
    let mut rebuilt = Header {
        ommers_hash: EMPTY_OMMERS_HASH,
        difficulty: Default::default(),
        nonce: Default::default(),
        transactions_root: transactions_root(&block.body.transactions),
        base_fee_per_gas: Some(header.base_fee_per_gas.unwrap_or_default()),
        withdrawals_root: None,
        blob_gas_used: None,
        excess_blob_gas: None,
        parent_beacon_block_root: None,
        requests_hash: None,
        block_access_list_hash: None,
        slot_number: None,
        ..header.clone()
    };
    if version >= 2 {
        let withdrawals = block
            .body
            .withdrawals
            .as_deref()
            .map_or(&[][..], Vec::as_slice);
        payload["withdrawals"] = json!(withdrawals);
        rebuilt.withdrawals_root = Some(withdrawals_root(withdrawals));
    }
    let mut params = vec![];
    if version >= 3 {
        let blob_gas_used = header.blob_gas_used.unwrap_or_default();
        let excess_blob_gas = header.excess_blob_gas.unwrap_or_default();
        let beacon_root = header.parent_beacon_block_root.unwrap_or_default();
        payload["blobGasUsed"] = json!(quantity(blob_gas_used));
        payload["excessBlobGas"] = json!(quantity(excess_blob_gas));
        rebuilt.blob_gas_used = Some(blob_gas_used);
        rebuilt.excess_blob_gas = Some(excess_blob_gas);
        rebuilt.parent_beacon_block_root = Some(beacon_root);
        let hashes: Vec<B256> = block
            .body
            .transactions
            .iter()
            .filter_map(|tx| tx.blob_versioned_hashes())
            .flatten()
            .copied()
            .collect();
        params.push(payload);
        params.push(json!(hashes));
        params.push(json!(beacon_root));
    } else {
        params.push(payload);
    }
    if version >= 4 {
        params.push(json!(requests));
        let typed: Vec<(u8, Bytes)> = requests
            .iter()
            .filter_map(|r| Some((*r.first()?, r.slice(1..))))
            .collect();
        rebuilt.requests_hash = Some(requests_hash(&typed));
    }
    NewPayload {
        method: format!("engine_newPayloadV{version}"),
        params: Value::Array(params),
        rebuilt_hash: rebuilt.hash_slow(),
    }
}

/// The `engine_forkchoiceUpdatedVN` call making `head` the head, with `safe` and `finalized`
/// as given, and no payload attributes.
pub(super) fn forkchoice(
    versions: Versions,
    head: B256,
    safe: B256,
    finalized: B256,
) -> (String, Value) {
    let state = json!({
        "headBlockHash": head,
        "safeBlockHash": safe,
        "finalizedBlockHash": finalized,
    });
    (
        format!("engine_forkchoiceUpdatedV{}", versions.forkchoice),
        json!([state, null]),
    )
}

/// A `QUANTITY`: hex without leading zeros.
fn quantity(value: u64) -> String {
    format!("{value:#x}")
}

#[cfg(test)]
mod tests {
    use ethrex_common::types::decode_block;

    use super::*;

    fn fixture_block(hex: &str) -> Block {
        decode_block(&alloy_primitives::hex::decode(hex.trim()).unwrap()).unwrap()
    }

    /// A Shanghai block with a transaction and withdrawals (EEST `test_newly_created_contract`).
    fn shanghai_block() -> Block {
        fixture_block(include_str!("testdata/shanghai_withdrawals_block.hex"))
    }

    /// A Cancun block with a blob transaction and a beacon root (EEST
    /// `test_tx_to_beacon_root_contract`).
    fn cancun_block() -> Block {
        fixture_block(include_str!("testdata/cancun_blob_block.hex"))
    }

    #[test]
    fn versions_follow_the_fork() {
        let table = [
            (Fork::Paris, (1, 1)),
            (Fork::Shanghai, (2, 2)),
            (Fork::Cancun, (3, 3)),
            (Fork::Prague, (4, 3)),
            (Fork::Osaka, (4, 3)),
            (Fork::Bpo2, (4, 3)),
        ];
        for (fork, (new_payload, forkchoice)) in table {
            let expected = Versions {
                new_payload,
                forkchoice,
            };
            assert_eq!(versions(fork), expected, "{fork}");
        }
    }

    #[test]
    fn a_valid_block_rebuilds_to_its_own_hash() {
        for (block, fork) in [
            (shanghai_block(), Fork::Shanghai),
            (cancun_block(), Fork::Cancun),
        ] {
            let call = new_payload(&block, versions(fork), &[]);
            let hash = block.header.hash_slow();
            assert_eq!(call.rebuilt_hash, hash, "{fork}");
            assert_eq!(call.params[0]["blockHash"], json!(hash));
        }
    }

    #[test]
    fn shanghai_payload_carries_withdrawals() {
        let block = shanghai_block();
        let call = new_payload(&block, versions(Fork::Shanghai), &[]);
        assert_eq!(call.method, "engine_newPayloadV2");
        let params = call.params.as_array().unwrap();
        assert_eq!(params.len(), 1);
        let withdrawals = params[0]["withdrawals"].as_array().unwrap();
        assert_eq!(
            withdrawals.len(),
            block.body.withdrawals.as_ref().unwrap().len()
        );
        assert!(withdrawals[0]["validatorIndex"].is_string());
        assert!(params[0].get("blobGasUsed").is_none());
        let tx = &block.body.transactions[0];
        assert_eq!(
            params[0]["transactions"][0],
            json!(Bytes::from(tx.encode_2718()))
        );
    }

    #[test]
    fn cancun_payload_has_blob_hashes_and_beacon_root() {
        let block = cancun_block();
        let call = new_payload(&block, versions(Fork::Cancun), &[]);
        assert_eq!(call.method, "engine_newPayloadV3");
        let params = call.params.as_array().unwrap();
        assert_eq!(params.len(), 3);
        let hashes: Vec<B256> = serde_json::from_value(params[1].clone()).unwrap();
        assert_eq!(
            hashes,
            vec![alloy_primitives::b256!(
                "0x0100000000000000000000000000000000000000000000000000000000000000"
            )]
        );
        assert_eq!(params[2], json!(block.header.parent_beacon_block_root));
        assert_eq!(
            params[0]["excessBlobGas"],
            json!(quantity(block.header.excess_blob_gas.unwrap()))
        );
    }

    #[test]
    fn prague_payload_carries_the_requests_and_their_hash() {
        let mut block = cancun_block();
        let request = Bytes::from(vec![0x01, 0xaa, 0xbb]);
        block.header.requests_hash = Some(requests_hash(&[(0x01, Bytes::from(vec![0xaa, 0xbb]))]));
        let call = new_payload(
            &block,
            versions(Fork::Prague),
            std::slice::from_ref(&request),
        );
        assert_eq!(call.method, "engine_newPayloadV4");
        assert_eq!(call.params[3], json!([request]));
        assert_eq!(call.rebuilt_hash, block.header.hash_slow());
    }

    #[test]
    fn a_block_the_payload_cannot_carry_rebuilds_to_another_hash() {
        let mut with_ommer = shanghai_block();
        with_ommer.body.ommers.push(Header::default());
        with_ommer.header.ommers_hash = B256::repeat_byte(1);
        let mut with_nonce = shanghai_block();
        with_nonce.header.nonce = alloy_primitives::B64::repeat_byte(1);
        let mut bad_tx_root = shanghai_block();
        bad_tx_root.header.transactions_root = B256::repeat_byte(2);
        for block in [with_ommer, with_nonce, bad_tx_root] {
            let call = new_payload(&block, versions(Fork::Shanghai), &[]);
            assert_ne!(call.rebuilt_hash, block.header.hash_slow());
        }
    }

    #[test]
    fn forkchoice_has_no_attributes() {
        let (method, params) = forkchoice(
            versions(Fork::Cancun),
            B256::repeat_byte(1),
            B256::ZERO,
            B256::ZERO,
        );
        assert_eq!(method, "engine_forkchoiceUpdatedV3");
        assert_eq!(params[0]["headBlockHash"], json!(B256::repeat_byte(1)));
        assert!(params[1].is_null());
    }
}
