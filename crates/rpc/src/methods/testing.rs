//! The `testing_` namespace of execution-apis: `testing_buildBlockV1` builds a block on a stored
//! parent and returns it as an Engine API payload, without importing it (the head, the store
//! and the mempool are left as they were).
//!
//! Params: the parent's hash, the payload attributes (`timestamp`, `prevRandao`,
//! `suggestedFeeRecipient`, `withdrawals`, `parentBeaconBlockRoot`), the transactions (raw
//! hex, included in the order given; `null`: the mempool's best, as a block producer takes
//! them) and the extra data. The gas limit moves from the parent's toward
//! [`BUILDER_GAS_CEILING`] within the protocol's 1/1024 bound.
//!
//! Errors: -32000 when the parent is unknown, the attributes do not fit it, or a given
//! transaction cannot be included (geth refuses the block rather than leaving it out); a
//! mempool transaction that cannot be included is left out.

use alloy_primitives::{Address, B256, Bytes, U64, U256};
use ethrex_blockchain::{
    BlockAttributes, BlockError, BuiltBlock,
    mempool::effective_tip,
    payload::{PayloadError, build_on, mempool_candidates, next_gas_limit, without_sidecar},
};
use ethrex_common::types::{Block, Transaction, Withdrawal, decode_transaction};
use serde::Deserialize;
use serde_json::{Value, json};

use super::params::Params;
use crate::{RpcContext, RpcError};

/// The gas limit the builder moves toward: geth's default `--miner.gaslimit`.
pub const BUILDER_GAS_CEILING: u64 = 60_000_000;

/// The Engine API's payload attributes (V3: with withdrawals and the beacon root).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PayloadAttributes {
    timestamp: U64,
    prev_randao: B256,
    suggested_fee_recipient: Address,
    withdrawals: Option<Vec<Withdrawal>>,
    parent_beacon_block_root: Option<B256>,
}

pub fn build_block_v1(ctx: &RpcContext, p: &Params) -> Result<Value, RpcError> {
    p.at_most(4)?;
    let parent_hash = p.hash(0)?;
    let attributes: PayloadAttributes = p.required(1)?;
    let raw: Option<Vec<Bytes>> = p.optional(2)?;
    let extra_data: Bytes = p.optional(3)?.unwrap_or_default();
    let parent = ctx
        .store
        .header_by_hash(&parent_hash)?
        .ok_or_else(|| RpcError::server(format!("parent block {parent_hash} not found")))?;
    let timestamp = attributes.timestamp.to::<u64>();
    let attributes = BlockAttributes {
        timestamp,
        fee_recipient: attributes.suggested_fee_recipient,
        prev_randao: attributes.prev_randao,
        gas_limit: next_gas_limit(parent.gas_limit, BUILDER_GAS_CEILING),
        extra_data,
        withdrawals: attributes.withdrawals,
        parent_beacon_block_root: attributes.parent_beacon_block_root,
    };
    // Given transactions keep their sidecars here for the blobs bundle; blocks carry none.
    let (given, candidates) = match raw {
        Some(raw) => {
            let given = raw
                .iter()
                .enumerate()
                .map(|(i, bytes)| {
                    decode_transaction(bytes).map_err(|e| {
                        RpcError::invalid_params(format!("invalid transaction {i}: {e}"))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            let candidates = given.iter().map(without_sidecar).collect::<Vec<_>>().into();
            (Some(given), candidates)
        }
        None => (
            None,
            mempool_candidates(&ctx.chain, &ctx.mempool, &parent, timestamp, None),
        ),
    };
    let built = build_on(&ctx.chain, &parent, attributes, candidates).map_err(build_error)?;
    if given.is_some()
        && let Some(skipped) = built.skipped.first()
    {
        return Err(RpcError::server(skipped_message(&skipped.reason)));
    }
    let sidecars = |tx: &Transaction| -> Option<Transaction> {
        let hash = tx.hash();
        given
            .iter()
            .flatten()
            .find(|candidate| candidate.hash() == hash)
            .cloned()
            .or_else(|| ctx.mempool.get(&hash).map(|pooled| pooled.transaction))
    };
    Ok(envelope_json(&built, sidecars))
}

/// Why a given transaction cannot be included: the VM's reason when there is one.
fn skipped_message(reason: &BlockError) -> String {
    match reason {
        BlockError::InvalidTransaction { reason, .. } => reason.to_string(),
        other => other.to_string(),
    }
}

fn build_error(e: PayloadError) -> RpcError {
    match e {
        PayloadError::Build {
            source: BlockError::InvalidHeader(message),
            ..
        } => RpcError::server(message),
        PayloadError::Build { source, .. } => RpcError::server(source.to_string()),
        other => RpcError::internal(other.to_string()),
    }
}

fn hex_u64(n: u64) -> Value {
    Value::String(format!("{n:#x}"))
}

/// The Engine API's `getPayload` envelope of a built block: the payload, its value to the fee
/// recipient (the priority fees), the blobs bundle (sidecars found by `network_form`, which
/// gives a transaction with its sidecar) and the execution requests.
fn envelope_json(
    built: &BuiltBlock,
    network_form: impl Fn(&Transaction) -> Option<Transaction>,
) -> Value {
    let mut envelope = json!({
        "executionPayload": payload_json(&built.block),
        "blockValue": format!("{:#x}", block_value(built)),
        "blobsBundle": blobs_bundle(&built.block, network_form),
        "shouldOverrideBuilder": false,
    });
    if let (Some(requests), Some(object)) = (&built.requests, envelope.as_object_mut()) {
        // EIP-7685 as the Engine API sends them: `type || data`, empty ones left out.
        let requests = crate::engine::execution_requests(requests);
        object.insert("executionRequests".into(), json!(requests));
    }
    envelope
}

/// The Engine API's execution payload of `block` (V3 fields; V1/V2 blocks without the later
/// ones).
fn payload_json(block: &Block) -> Value {
    let header = &block.header;
    let transactions: Vec<Value> = block
        .body
        .transactions
        .iter()
        .map(|tx| json!(Bytes::from(tx.encode_2718())))
        .collect();
    let mut payload = json!({
        "parentHash": header.parent_hash,
        "feeRecipient": header.beneficiary,
        "stateRoot": header.state_root,
        "receiptsRoot": header.receipts_root,
        "logsBloom": header.logs_bloom,
        "prevRandao": header.mix_hash,
        "blockNumber": hex_u64(header.number),
        "gasLimit": hex_u64(header.gas_limit),
        "gasUsed": hex_u64(header.gas_used),
        "timestamp": hex_u64(header.timestamp),
        "extraData": header.extra_data,
        "baseFeePerGas": hex_u64(header.base_fee_per_gas.unwrap_or_default()),
        "blockHash": header.hash_slow(),
        "transactions": transactions,
    });
    let Some(object) = payload.as_object_mut() else {
        return payload;
    };
    if let Some(withdrawals) = &block.body.withdrawals {
        object.insert("withdrawals".into(), json!(withdrawals));
    }
    if let Some(used) = header.blob_gas_used {
        object.insert("blobGasUsed".into(), hex_u64(used));
    }
    if let Some(excess) = header.excess_blob_gas {
        object.insert("excessBlobGas".into(), hex_u64(excess));
    }
    payload
}

/// What the fee recipient earns: each transaction's effective tip times the gas it used.
pub(crate) fn block_value(built: &BuiltBlock) -> U256 {
    let base_fee = built.block.header.base_fee_per_gas.unwrap_or_default();
    let mut previous = 0u64;
    let mut value = U256::ZERO;
    for (tx, receipt) in built.block.body.transactions.iter().zip(&built.receipts) {
        let cumulative = receipt.cumulative_gas_used();
        let gas = cumulative.saturating_sub(previous);
        previous = cumulative;
        let tip = effective_tip(tx, base_fee).unwrap_or_default();
        value = value.saturating_add(tip.saturating_mul(U256::from(gas)));
    }
    value
}

/// The blobs, commitments and proofs of the block's blob transactions, in block order.
fn blobs_bundle(
    block: &Block,
    network_form: impl Fn(&Transaction) -> Option<Transaction>,
) -> Value {
    use alloy_eips::eip7594::BlobTransactionSidecarVariant as Sidecar;

    let (mut commitments, mut proofs, mut blobs) = (Vec::new(), Vec::new(), Vec::new());
    for tx in &block.body.transactions {
        if tx.blob_versioned_hashes().is_none() {
            continue;
        }
        let Some(Transaction::Eip4844(_, Some(sidecar))) = network_form(tx) else {
            continue;
        };
        match *sidecar {
            Sidecar::Eip4844(s) => {
                commitments.extend(s.commitments.iter().map(|c| json!(c)));
                proofs.extend(s.proofs.iter().map(|p| json!(p)));
                blobs.extend(s.blobs.iter().map(|b| json!(b)));
            }
            Sidecar::Eip7594(s) => {
                commitments.extend(s.commitments.iter().map(|c| json!(c)));
                proofs.extend(s.cell_proofs.iter().map(|p| json!(p)));
                blobs.extend(s.blobs.iter().map(|b| json!(b)));
            }
        }
    }
    json!({ "commitments": commitments, "proofs": proofs, "blobs": blobs })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::methods::test_chain::{TestChain, test_chain};

    /// The head of the fixture chain, the parent of every fixture of `testing_buildBlockV1`.
    const PARENT: &str = "0xd226371d0b1551adb03fb52b71f08e3e11247fe9b1af994768af8cdaa8e7dcd7";
    /// A transfer of 1000 wei, tip 500, from a funded account of the test chain.
    const TRANSFER: &str = "0x02f871870c72dd9d5e883e808201f48401a2158b825208947dcd17433742f4c0ca53122ab541d0ba67fc27df8203e880c080a0fc16dc6d5a212a0b22f8186c8527d8771481a6c2a38b7f5e8a5143b8759f3363a028f2da4ff518f39d44fd7c8628def039a992aacc807056af8478d543afac201c";
    /// The same sender at nonce 999 (its account is at 0).
    const NONCE_TOO_HIGH: &str = "0x02f873870c72dd9d5e883e8203e78201f48401a2158b825208947dcd17433742f4c0ca53122ab541d0ba67fc27df8203e880c001a0c46b4838526f9ce894679e8b0a5dcf7ed1bacdf44669c76a26d22433666ca8c2a0773ae609f21ada5da2d7eeccca9a49cf8199dedb9ad69ce92cf8a5a4b5a415a2";

    fn attributes() -> Value {
        json!({
            "parentBeaconBlockRoot": "0xcf8e0d4e9587369b2301d0790347320302cc0943d5a1884365149a42212e8822",
            "prevRandao": B256::ZERO,
            "suggestedFeeRecipient": Address::ZERO,
            "timestamp": "0x228",
            "withdrawals": [],
        })
    }

    fn head(chain: &TestChain) -> B256 {
        chain.ctx.store.head_header().unwrap().unwrap().hash_slow()
    }

    #[test]
    fn builds_the_given_transactions_like_geth_without_importing() {
        let chain = test_chain!(u64::MAX);
        let head_before = head(&chain);
        let result = chain.ok(
            "testing_buildBlockV1",
            json!([PARENT, attributes(), [TRANSFER], "0x746573745f6e616d65"]),
        );
        let payload = &result["executionPayload"];
        assert_eq!(payload["parentHash"], json!(PARENT));
        assert_eq!(payload["blockNumber"], json!("0x37"));
        // 200,000,000 moves toward 60,000,000 by 200,000,000 / 1024 - 1.
        assert_eq!(payload["gasLimit"], json!("0xbe8c711"));
        assert_eq!(payload["gasUsed"], json!("0x5208"));
        assert_eq!(payload["baseFeePerGas"], json!("0x16dfe9b"));
        assert_eq!(
            payload["stateRoot"],
            json!("0x11dafb2d6d9eb6b92721e64d6301f14a0a2e1eb8eb99932cf5de31763b3b6c35")
        );
        assert_eq!(
            payload["blockHash"],
            json!("0xe837011730099d92012e3fb307cb587d9c2d766bab8bce845bd69bf6f004d803")
        );
        assert_eq!(payload["transactions"], json!([TRANSFER]));
        // 21,000 gas at a tip of 500.
        assert_eq!(result["blockValue"], json!("0xa037a0"));
        assert_eq!(result["executionRequests"], json!([]));
        assert_eq!(head(&chain), head_before);
    }

    #[test]
    fn without_transactions_builds_an_empty_block() {
        let chain = test_chain!(u64::MAX);
        let result = chain.ok(
            "testing_buildBlockV1",
            json!([PARENT, attributes(), [], "0x"]),
        );
        assert_eq!(
            result["executionPayload"]["blockHash"],
            json!("0x97902d120c93908349cdd209063dde05aca630b9a12bfb74a1f23d1d3fb46c9c")
        );
        assert_eq!(result["blockValue"], json!("0x0"));
    }

    #[test]
    fn null_transactions_take_the_mempool() {
        let chain = test_chain!(u64::MAX);
        chain.ok("eth_sendRawTransaction", json!([TRANSFER]));
        let result = chain.ok(
            "testing_buildBlockV1",
            json!([PARENT, attributes(), null, "0x746573745f6e616d65"]),
        );
        assert_eq!(
            result["executionPayload"]["transactions"],
            json!([TRANSFER])
        );
        assert_eq!(chain.ctx.mempool.len(), 1);
    }

    #[test]
    fn a_transaction_that_cannot_be_included_is_an_error() {
        let chain = test_chain!(u64::MAX);
        let head_before = head(&chain);
        let error = chain
            .call(
                "testing_buildBlockV1",
                json!([PARENT, attributes(), [NONCE_TOO_HIGH], "0x"]),
            )
            .unwrap_err();
        assert_eq!(error.code, -32000);
        assert!(error.message.contains("999"), "{}", error.message);
        assert_eq!(head(&chain), head_before);
    }

    #[test]
    fn an_unknown_parent_is_an_error() {
        let chain = test_chain!(u64::MAX);
        let error = chain
            .call(
                "testing_buildBlockV1",
                json!([B256::ZERO, attributes(), [], "0x"]),
            )
            .unwrap_err();
        assert_eq!(error.code, -32000);
        assert!(error.message.contains("not found"), "{}", error.message);
    }
}
