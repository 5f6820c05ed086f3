//! Decoding of stored values, each failure reported as [`StoreError::Corrupt`] naming the table
//! and the key (see `tables.rs` for the encodings).

use alloy_primitives::B256;
use alloy_rlp::Decodable;

use crate::{Result, StoreError, tables::Table};

/// Decodes an RLP value that must span all of `bytes`.
pub(crate) fn rlp<T: Decodable>(table: Table, key: &[u8], bytes: &[u8]) -> Result<T> {
    let mut buf = bytes;
    let value = T::decode(&mut buf)
        .map_err(|e| StoreError::corrupt(table, key, format!("invalid RLP: {e}")))?;
    if !buf.is_empty() {
        return Err(StoreError::corrupt(
            table,
            key,
            format!("{} trailing bytes after the RLP value", buf.len()),
        ));
    }
    Ok(value)
}

/// Decodes a 32-byte hash.
pub(crate) fn hash(table: Table, key: &[u8], bytes: &[u8]) -> Result<B256> {
    B256::try_from(bytes).map_err(|_| {
        StoreError::corrupt(
            table,
            key,
            format!("expected a 32-byte hash, found {} bytes", bytes.len()),
        )
    })
}

/// Decodes a big-endian `u64`.
pub(crate) fn u64_be(table: Table, key: &[u8], bytes: &[u8]) -> Result<u64> {
    let array: [u8; 8] = bytes.try_into().map_err(|_| {
        StoreError::corrupt(
            table,
            key,
            format!("expected an 8-byte number, found {} bytes", bytes.len()),
        )
    })?;
    Ok(u64::from_be_bytes(array))
}

/// Decodes `hash ‖ index BE` (40 bytes).
pub(crate) fn hash_index(table: Table, key: &[u8], bytes: &[u8]) -> Result<(B256, u64)> {
    if bytes.len() != 40 {
        return Err(StoreError::corrupt(
            table,
            key,
            format!("expected 40 bytes (hash, index), found {}", bytes.len()),
        ));
    }
    Ok((
        hash(table, key, &bytes[..32])?,
        u64_be(table, key, &bytes[32..])?,
    ))
}
