//! EIP-7685 execution requests: deposits from the deposit contract's logs (EIP-6110), and
//! withdrawal and consolidation requests returned by their system contracts (EIP-7002,
//! EIP-7251).

use alloy_primitives::{Address, B256, Bytes, Log, b256};

use crate::{BlockError, Result};

/// Topic 0 of the deposit contract's `DepositEvent`.
pub const DEPOSIT_EVENT_TOPIC: B256 =
    b256!("649bbc62d0e31342afea4e5cd82d4049e7e1ee912fc0889aa790803be39038c5");

/// ABI layout of `DepositEvent(bytes pubkey, bytes withdrawal_credentials, bytes amount,
/// bytes signature, bytes index)`: (offset, size) of each field.
const DEPOSIT_LAYOUT: [(usize, usize); 5] = [(160, 48), (256, 32), (320, 8), (384, 96), (512, 8)];

/// The deposit requests (EIP-6110) in `logs` of `contract`, concatenated; a log of the deposit
/// event with another layout makes the block invalid.
pub fn deposit_requests<'a>(
    logs: impl Iterator<Item = &'a Log>,
    contract: Address,
) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    for log in logs.filter(|l| l.address == contract) {
        if log.topics().first() != Some(&DEPOSIT_EVENT_TOPIC) {
            continue;
        }
        let data = &log.data.data;
        if data.len() != 576 {
            return Err(BlockError::InvalidDepositLayout(format!(
                "data of {} bytes, expected 576",
                data.len()
            )));
        }
        for (i, &(offset, size)) in DEPOSIT_LAYOUT.iter().enumerate() {
            let declared_offset = word_usize(&data[i * 32..i * 32 + 32]);
            let declared_size = word_usize(&data[offset..offset + 32]);
            if declared_offset != Some(offset) || declared_size != Some(size) {
                return Err(BlockError::InvalidDepositLayout(format!(
                    "field {i} has offset {declared_offset:?} and size {declared_size:?}"
                )));
            }
            out.extend_from_slice(&data[offset + 32..offset + 32 + size]);
        }
    }
    Ok(out)
}

fn word_usize(word: &[u8]) -> Option<usize> {
    if word[..24].iter().any(|b| *b != 0) {
        return None;
    }
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&word[24..]);
    usize::try_from(u64::from_be_bytes(bytes)).ok()
}

/// `sha256(sha256(type_0 || data_0) || ...)` over the request types with non-empty data.
pub fn requests_hash(requests: &[(u8, Bytes)]) -> B256 {
    let mut outer = Vec::new();
    for (ty, data) in requests.iter().filter(|(_, d)| !d.is_empty()) {
        let mut entry = vec![*ty];
        entry.extend_from_slice(data);
        outer.extend_from_slice(ethrex_crypto::hash::sha256(&entry).as_slice());
    }
    B256::from(ethrex_crypto::hash::sha256(&outer))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_requests_hash_is_sha256_of_nothing() {
        assert_eq!(
            requests_hash(&[]),
            ethrex_common::constants::EMPTY_REQUESTS_HASH
        );
        assert_eq!(
            requests_hash(&[(0, Bytes::new()), (1, Bytes::new())]),
            ethrex_common::constants::EMPTY_REQUESTS_HASH
        );
    }
}
