//! The two shapes of a receipt in the eth `Receipts` message (EIP-7642):
//! - eth/68: the EIP-2718 receipt with its bloom — a legacy receipt as its RLP list
//!   `[status, cumulative-gas, bloom, logs]`, a typed one as an RLP string of
//!   `tx-type || rlp([status, cumulative-gas, bloom, logs])`;
//! - eth/69: `[tx-type, status, cumulative-gas, logs]` for every type, without bloom (the
//!   decoder recomputes it, so a decoded receipt equals the stored one).
//!
//! A list of blocks' receipts is `[[receipt, ...], ...]` in either shape.

use alloy_consensus::{Eip658Value, ReceiptWithBloom, TxType};
use alloy_eips::{
    Typed2718,
    eip2718::{Decodable2718, Encodable2718},
};
use alloy_primitives::Log;
use alloy_rlp::{Decodable, Encodable, Header};
use ethrex_common::types::{Receipt, ReceiptData};

use super::EthVersion;

/// Appends one receipt in `version`'s shape.
pub fn encode_receipt(receipt: &Receipt, version: EthVersion, out: &mut Vec<u8>) {
    match version {
        EthVersion::Eth68 => {
            let encoded = receipt.encoded_2718();
            if receipt.is_legacy() {
                out.extend_from_slice(&encoded);
            } else {
                encoded.as_slice().encode(out);
            }
        }
        EthVersion::Eth69 | EthVersion::Eth70 => {
            let ty = receipt.tx_type() as u8;
            let status = receipt.as_receipt().map(|r| r.status);
            let status = status.unwrap_or(Eip658Value::Eip658(false));
            let cumulative_gas = receipt.cumulative_gas_used();
            let logs = receipt.logs();
            let logs_length = alloy_rlp::list_length(logs);
            let payload_length =
                ty.length() + status.length() + cumulative_gas.length() + logs_length;
            Header {
                list: true,
                payload_length,
            }
            .encode(out);
            ty.encode(out);
            status.encode(out);
            cumulative_gas.encode(out);
            alloy_rlp::encode_list(logs, out);
        }
    }
}

/// Decodes one receipt in `version`'s shape from the front of `buf`.
pub fn decode_receipt(buf: &mut &[u8], version: EthVersion) -> alloy_rlp::Result<Receipt> {
    match version {
        EthVersion::Eth68 => {
            if buf.first().is_some_and(|b| *b >= 0xc0) {
                let receipt = ReceiptWithBloom::<ReceiptData>::decode(buf)?;
                return Ok(Receipt::Legacy(receipt));
            }
            let mut bytes = Header::decode_bytes(buf, false)?;
            if bytes.first().is_none_or(|b| *b >= 0xc0) {
                return Err(alloy_rlp::Error::Custom(
                    "typed receipt without a type byte",
                ));
            }
            let receipt = Receipt::decode_2718(&mut bytes)
                .map_err(|_| alloy_rlp::Error::Custom("invalid typed receipt"))?;
            if !bytes.is_empty() {
                return Err(alloy_rlp::Error::Custom(
                    "trailing bytes after a typed receipt",
                ));
            }
            Ok(receipt)
        }
        EthVersion::Eth69 | EthVersion::Eth70 => {
            let mut fields = Header::decode_bytes(buf, true)?;
            let ty = u8::decode(&mut fields)?;
            let ty = TxType::try_from(ty)
                .map_err(|_| alloy_rlp::Error::Custom("unknown receipt type"))?;
            let status = Eip658Value::decode(&mut fields)?;
            let cumulative_gas_used = u64::decode(&mut fields)?;
            let logs = Vec::<Log>::decode(&mut fields)?;
            if !fields.is_empty() {
                return Err(alloy_rlp::Error::ListLengthMismatch {
                    expected: 4,
                    got: 5,
                });
            }
            let data = ReceiptData {
                status,
                cumulative_gas_used,
                logs,
            };
            Ok(Receipt::from_typed(ty, ReceiptWithBloom::from(data)))
        }
    }
}

/// Appends `[[receipt, ...], ...]`: the receipts of several blocks.
pub fn encode_block_receipts(blocks: &[Vec<Receipt>], version: EthVersion, out: &mut Vec<u8>) {
    let mut lists = Vec::new();
    for receipts in blocks {
        let mut items = Vec::new();
        for receipt in receipts {
            encode_receipt(receipt, version, &mut items);
        }
        wrap_list(&items, &mut lists);
    }
    wrap_list(&lists, out);
}

/// Decodes `[[receipt, ...], ...]` from the front of `buf`.
pub fn decode_block_receipts(
    buf: &mut &[u8],
    version: EthVersion,
) -> alloy_rlp::Result<Vec<Vec<Receipt>>> {
    let mut lists = Header::decode_bytes(buf, true)?;
    let mut blocks = Vec::new();
    while !lists.is_empty() {
        let mut items = Header::decode_bytes(&mut lists, true)?;
        let mut receipts = Vec::new();
        while !items.is_empty() {
            receipts.push(decode_receipt(&mut items, version)?);
        }
        blocks.push(receipts);
    }
    Ok(blocks)
}

/// The encoded size of one block's receipts in `version`'s shape (for response size limits).
pub fn block_receipts_len(receipts: &[Receipt], version: EthVersion) -> usize {
    let mut out = Vec::new();
    for receipt in receipts {
        encode_receipt(receipt, version, &mut out);
    }
    out.len() + alloy_rlp::length_of_length(out.len())
}

/// Appends `payload` (already-encoded items) as an RLP list.
pub(crate) fn wrap_list(payload: &[u8], out: &mut Vec<u8>) {
    Header {
        list: true,
        payload_length: payload.len(),
    }
    .encode(out);
    out.extend_from_slice(payload);
}
