//! The checks a consensus client makes of a blobs bundle (`getPayloadV3`+): one commitment per
//! blob, and proofs that verify with c-kzg — one blob proof each (`BlobsBundleV1`, Cancun and
//! Prague) or 128 cell proofs each (`BlobsBundleV2`, Osaka) — through `ethrex_crypto::kzg`.
//!
//! The bundle's versioned hashes must then equal those of the payload's blob transactions, in
//! order: [`check_bundle`] compares them with the hashes the caller decoded from the payload.

use alloy_primitives::{B256, Bytes};
use ethrex_crypto::kzg;
use serde_json::Value;

use crate::{Error, Result};

/// The bundle's `field` as byte strings.
fn byte_list(bundle: &Value, field: &str) -> Result<Vec<Bytes>> {
    serde_json::from_value(bundle[field].clone())
        .map_err(|e| Error::Blobs(format!("{field}: not a list of byte strings ({e})")))
}

/// 48-byte points (commitments or proofs).
fn points(list: &[Bytes], what: &str) -> Result<Vec<[u8; 48]>> {
    list.iter()
        .map(|b| {
            <[u8; 48]>::try_from(b.as_ref())
                .map_err(|_| Error::Blobs(format!("a {what} of {} bytes, expected 48", b.len())))
        })
        .collect()
}

/// The versioned hashes of the bundle's commitments, in order.
pub fn versioned_hashes(bundle: &Value) -> Result<Vec<B256>> {
    let commitments = points(&byte_list(bundle, "commitments")?, "commitment")?;
    Ok(commitments
        .iter()
        .map(kzg::kzg_commitment_to_versioned_hash)
        .collect())
}

/// Verifies the bundle's proofs (cell proofs when `cell_proofs`) and that its versioned hashes
/// are `expected` (the payload's blob transactions' hashes, in order). Returns how many blobs
/// it holds.
pub fn check_bundle(bundle: &Value, cell_proofs: bool, expected: &[B256]) -> Result<usize> {
    let blobs = byte_list(bundle, "blobs")?;
    let commitments = points(&byte_list(bundle, "commitments")?, "commitment")?;
    let proofs = points(&byte_list(bundle, "proofs")?, "proof")?;
    if blobs.len() != commitments.len() {
        return Err(Error::Blobs(format!(
            "{} blobs and {} commitments",
            blobs.len(),
            commitments.len()
        )));
    }
    let hashes = versioned_hashes(bundle)?;
    if hashes != expected {
        return Err(Error::Blobs(format!(
            "versioned hashes {hashes:?}, the transactions carry {expected:?}"
        )));
    }
    if blobs.is_empty() {
        return Ok(0);
    }
    let blob_refs: Vec<&[u8]> = blobs.iter().map(|b| b.as_ref()).collect();
    let verified = if cell_proofs {
        kzg::verify_cell_proofs(&blob_refs, &commitments, &proofs)
    } else {
        kzg::verify_blob_proofs(&blob_refs, &commitments, &proofs)
    }
    .map_err(|e| Error::Blobs(format!("c-kzg: {e}")))?;
    if !verified {
        let kind = if cell_proofs { "cell" } else { "blob" };
        return Err(Error::Blobs(format!("the {kind} proofs do not verify")));
    }
    Ok(blobs.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn blob(seed: u8) -> Vec<u8> {
        let mut bytes = vec![0u8; kzg::BYTES_PER_BLOB];
        bytes[1] = seed;
        bytes
    }

    fn hex(bytes: &[u8]) -> String {
        format!("0x{}", alloy_primitives::hex::encode(bytes))
    }

    #[test]
    fn a_bundle_verifies_with_blob_or_cell_proofs_and_fails_when_tampered() {
        let bytes = blob(7);
        let commitment = kzg::blob_commitment(&bytes).unwrap();
        let hash = kzg::kzg_commitment_to_versioned_hash(&commitment);
        let proof = kzg::blob_proof(&bytes, &commitment).unwrap();
        let v1 = json!({"blobs": [hex(&bytes)], "commitments": [hex(&commitment)], "proofs": [hex(&proof)]});
        assert_eq!(check_bundle(&v1, false, &[hash]).unwrap(), 1);
        assert!(check_bundle(&v1, false, &[B256::ZERO]).is_err());

        let cells: Vec<String> = kzg::blob_cell_proofs(&bytes)
            .unwrap()
            .iter()
            .map(|p| hex(p))
            .collect();
        let v2 =
            json!({"blobs": [hex(&bytes)], "commitments": [hex(&commitment)], "proofs": cells});
        assert_eq!(check_bundle(&v2, true, &[hash]).unwrap(), 1);

        // Another blob under the same commitment and proof.
        let tampered = json!({"blobs": [hex(&blob(8))], "commitments": [hex(&commitment)], "proofs": [hex(&proof)]});
        assert!(check_bundle(&tampered, false, &[hash]).is_err());
        let empty = json!({"blobs": [], "commitments": [], "proofs": []});
        assert_eq!(check_bundle(&empty, true, &[]).unwrap(), 0);
    }
}
