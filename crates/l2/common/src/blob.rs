//! The batch blob codec: a batch's blocks and fee configs as the payload of one EIP-4844 blob.
//!
//! Format (ours, after issue 14): the payload is `rlp([[block…], [fee_config…]])` — blocks in
//! their block-body RLP encoding (`ethrex_common::types::Block`), one
//! [`FeeConfig`] per block in the same order. It is cut into 31-byte chunks; chunk `i` is stored
//! in field element `i` as `0x00 ‖ chunk` (the last chunk zero-filled), so every field element is
//! below the BLS12-381 modulus. The rest of the 131,072-byte blob is zero. One blob per batch:
//! at most [`MAX_PAYLOAD_BYTES`] = 4096 × 31 = 126,976 payload bytes.
//!
//! Guarantees: [`encode_batch`] refuses a batch that does not fit (saying by how many bytes),
//! an empty batch and mismatched counts. [`decode_batch`] is strict and accepts exactly what
//! [`encode_batch`] writes: every field element's first byte is 0, the RLP is canonical (it must
//! re-encode to the same bytes), the bytes after the RLP list are all zero, the counts match and
//! are not zero. Any other input is an error, never a panic.
//!
//! [`BatchSizer`] keeps the running payload size as the committer adds blocks one by one, from
//! each block's own encoded length (nothing already added is encoded again).

use alloy_rlp::{Decodable, Encodable, Header};
use ethrex_common::types::{Block, FeeConfig};

use crate::{Error, Result};

/// Bytes in a blob.
pub const BYTES_PER_BLOB: usize = ethrex_crypto::kzg::BYTES_PER_BLOB;
/// Field elements in a blob.
pub const FIELD_ELEMENTS_PER_BLOB: usize = 4096;
/// Bytes of a field element.
pub const BYTES_PER_FIELD_ELEMENT: usize = 32;
/// Payload bytes stored per field element (its first byte stays 0).
pub const PAYLOAD_BYTES_PER_FIELD_ELEMENT: usize = 31;
/// The most payload bytes a blob holds: 4096 × 31 = 126,976.
pub const MAX_PAYLOAD_BYTES: usize = FIELD_ELEMENTS_PER_BLOB * PAYLOAD_BYTES_PER_FIELD_ELEMENT;

/// One blob: exactly [`BYTES_PER_BLOB`] bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct Blob(Box<[u8]>);

impl std::fmt::Debug for Blob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let used = self.0.iter().rposition(|b| *b != 0).map_or(0, |i| i + 1);
        write!(f, "Blob({used} bytes up to the last non-zero one)")
    }
}

impl Blob {
    /// A blob from its bytes; any length but [`BYTES_PER_BLOB`] is an error.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        check_blob_length(bytes)?;
        Ok(Blob(bytes.into()))
    }

    /// Stores `payload` 31 bytes per field element, the rest zero. More than
    /// [`MAX_PAYLOAD_BYTES`] is an error.
    pub fn pack(payload: &[u8]) -> Result<Self> {
        check_payload_size(payload.len())?;
        let mut bytes = vec![0u8; BYTES_PER_BLOB].into_boxed_slice();
        for (element, chunk) in bytes
            .chunks_exact_mut(BYTES_PER_FIELD_ELEMENT)
            .zip(payload.chunks(PAYLOAD_BYTES_PER_FIELD_ELEMENT))
        {
            element[1..=chunk.len()].copy_from_slice(chunk);
        }
        Ok(Blob(bytes))
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    pub fn into_bytes(self) -> Box<[u8]> {
        self.0
    }
}

fn check_blob_length(bytes: &[u8]) -> Result<()> {
    if bytes.len() != BYTES_PER_BLOB {
        return Err(Error::BlobLength {
            got: bytes.len(),
            expected: BYTES_PER_BLOB,
        });
    }
    Ok(())
}

fn check_payload_size(size: usize) -> Result<()> {
    if size > MAX_PAYLOAD_BYTES {
        return Err(Error::PayloadTooLarge {
            size,
            max: MAX_PAYLOAD_BYTES,
            excess: size - MAX_PAYLOAD_BYTES,
        });
    }
    Ok(())
}

/// The [`MAX_PAYLOAD_BYTES`] payload bytes of a blob (31 per field element), checking that
/// every field element's first byte is 0.
pub fn unpack(blob: &[u8]) -> Result<Vec<u8>> {
    check_blob_length(blob)?;
    let mut payload = Vec::with_capacity(MAX_PAYLOAD_BYTES);
    for (index, element) in blob.chunks_exact(BYTES_PER_FIELD_ELEMENT).enumerate() {
        let (&byte, chunk) = element.split_first().ok_or(Error::BlobLength {
            got: blob.len(),
            expected: BYTES_PER_BLOB,
        })?;
        if byte != 0 {
            return Err(Error::FieldElementHighByte { index, byte });
        }
        payload.extend_from_slice(chunk);
    }
    Ok(payload)
}

/// The length of an RLP list whose items take `payload` bytes.
fn list_length(payload: usize) -> usize {
    payload + alloy_rlp::length_of_length(payload)
}

/// The size of `rlp([[blocks], [fee_configs]])` from the summed encoded lengths of the blocks
/// and of the fee configs.
pub fn batch_payload_length(blocks_payload: usize, fee_configs_payload: usize) -> usize {
    list_length(list_length(blocks_payload) + list_length(fee_configs_payload))
}

fn check_counts(blocks: usize, fee_configs: usize) -> Result<()> {
    if blocks != fee_configs {
        return Err(Error::CountMismatch {
            blocks,
            fee_configs,
        });
    }
    if blocks == 0 {
        return Err(Error::EmptyBatch);
    }
    Ok(())
}

/// The payload `rlp([[block…], [fee_config…]])`, unchecked.
fn batch_rlp(blocks: &[Block], fee_configs: &[FeeConfig]) -> Vec<u8> {
    let blocks_length = alloy_rlp::list_length(blocks);
    let fees_length = alloy_rlp::list_length(fee_configs);
    let mut out = Vec::with_capacity(list_length(blocks_length + fees_length));
    Header {
        list: true,
        payload_length: blocks_length + fees_length,
    }
    .encode(&mut out);
    alloy_rlp::encode_list::<_, Block>(blocks, &mut out);
    alloy_rlp::encode_list::<_, FeeConfig>(fee_configs, &mut out);
    out
}

/// The blob of a batch: `blocks` and their `fee_configs` (one per block, same order). Errors
/// when the counts differ, when there is no block, or when the payload exceeds
/// [`MAX_PAYLOAD_BYTES`] (by how many bytes); the size is checked before anything is encoded.
pub fn encode_batch(blocks: &[Block], fee_configs: &[FeeConfig]) -> Result<Blob> {
    check_counts(blocks.len(), fee_configs.len())?;
    let blocks_payload: usize = blocks.iter().map(Encodable::length).sum();
    let fees_payload: usize = fee_configs.iter().map(Encodable::length).sum();
    check_payload_size(batch_payload_length(blocks_payload, fees_payload))?;
    Blob::pack(&batch_rlp(blocks, fee_configs))
}

fn rlp_err(what: &'static str) -> impl Fn(alloy_rlp::Error) -> Error {
    move |source| Error::Rlp { what, source }
}

/// The items of the RLP list `bytes` (all of it), decoded one by one.
fn decode_items<T: Decodable>(mut bytes: &[u8], what: &'static str) -> Result<Vec<T>> {
    let mut items = Vec::new();
    while !bytes.is_empty() {
        items.push(T::decode(&mut bytes).map_err(rlp_err(what))?);
    }
    Ok(items)
}

/// The blocks and fee configs of a batch blob. Strict (see the module docs): malformed input is
/// an error, never a panic.
pub fn decode_batch(blob: &[u8]) -> Result<(Vec<Block>, Vec<FeeConfig>)> {
    let payload = unpack(blob)?;
    let mut rest = payload.as_slice();
    let mut body = Header::decode_bytes(&mut rest, true).map_err(rlp_err("batch list"))?;
    let end = payload.len() - rest.len();
    if let Some(offset) = rest.iter().position(|b| *b != 0) {
        return Err(Error::NonZeroPadding {
            offset: end + offset,
            byte: rest[offset],
            end,
        });
    }
    let blocks_rlp = Header::decode_bytes(&mut body, true).map_err(rlp_err("block list"))?;
    let fees_rlp = Header::decode_bytes(&mut body, true).map_err(rlp_err("fee config list"))?;
    if !body.is_empty() {
        return Err(Error::Rlp {
            what: "batch list",
            source: alloy_rlp::Error::Custom("more than two items"),
        });
    }
    let blocks: Vec<Block> = decode_items(blocks_rlp, "block")?;
    let fee_configs: Vec<FeeConfig> = decode_items(fees_rlp, "fee config")?;
    check_counts(blocks.len(), fee_configs.len())?;
    if batch_rlp(&blocks, &fee_configs) != payload[..end] {
        return Err(Error::NonCanonical);
    }
    Ok((blocks, fee_configs))
}

/// The running payload size of a batch being filled block by block: whether one more block
/// (with its fee config) still fits in the blob, from that block's encoded length only.
#[derive(Debug, Clone, Default)]
pub struct BatchSizer {
    blocks: usize,
    blocks_payload: usize,
    fee_configs_payload: usize,
}

impl BatchSizer {
    pub fn new() -> Self {
        Self::default()
    }

    /// Blocks added so far.
    pub fn blocks(&self) -> usize {
        self.blocks
    }

    /// The payload size of the batch so far (what [`encode_batch`] would store).
    pub fn payload_length(&self) -> usize {
        batch_payload_length(self.blocks_payload, self.fee_configs_payload)
    }

    /// The payload size with `block` and `fee_config` added.
    pub fn payload_length_with(&self, block: &Block, fee_config: &FeeConfig) -> usize {
        batch_payload_length(
            self.blocks_payload + block.length(),
            self.fee_configs_payload + fee_config.length(),
        )
    }

    /// Whether the batch with `block` and `fee_config` added still fits one blob.
    pub fn fits(&self, block: &Block, fee_config: &FeeConfig) -> bool {
        self.payload_length_with(block, fee_config) <= MAX_PAYLOAD_BYTES
    }

    /// Adds `block` and `fee_config` if they fit; otherwise [`Error::PayloadTooLarge`] and the
    /// sizer is unchanged.
    pub fn try_push(&mut self, block: &Block, fee_config: &FeeConfig) -> Result<()> {
        let block_length = block.length();
        let fee_length = fee_config.length();
        check_payload_size(batch_payload_length(
            self.blocks_payload + block_length,
            self.fee_configs_payload + fee_length,
        ))?;
        self.blocks += 1;
        self.blocks_payload += block_length;
        self.fee_configs_payload += fee_length;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
