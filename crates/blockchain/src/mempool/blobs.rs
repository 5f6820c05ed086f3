//! The blob rules of the mempool (EIP-4844, EIP-7594): a blob transaction arrives with its
//! sidecar, one blob and commitment per versioned hash, each hash the commitment's, and proofs
//! that verify: one blob proof per blob (a version-0 sidecar) or
//! `ethrex_crypto::kzg::CELLS_PER_EXT_BLOB` cell proofs per blob (a version-1 sidecar, Osaka's
//! format). Both versions are accepted.

use alloy_eips::eip7594::BlobTransactionSidecarVariant;
use ethrex_common::types::Transaction;
use ethrex_crypto::kzg;

use super::MempoolError;

/// Checks the sidecar of a blob transaction (other types pass).
pub(crate) fn validate_sidecar(tx: &Transaction) -> Result<(), MempoolError> {
    let Transaction::Eip4844(blob_tx, sidecar) = tx else {
        return Ok(());
    };
    let sidecar = sidecar.as_deref().ok_or(MempoolError::MissingSidecar)?;
    let hashes = &blob_tx.blob_versioned_hashes;
    let invalid = |reason: String| MempoolError::InvalidSidecar(reason);
    let (blobs, commitments) = (sidecar.blobs(), sidecar.commitments());
    if blobs.len() != hashes.len() || commitments.len() != hashes.len() {
        return Err(invalid(format!(
            "{} versioned hashes, {} blobs, {} commitments",
            hashes.len(),
            blobs.len(),
            commitments.len()
        )));
    }
    let commitments: Vec<[u8; 48]> = commitments.iter().map(|c| c.0).collect();
    for (index, (hash, commitment)) in hashes.iter().zip(&commitments).enumerate() {
        let computed = kzg::kzg_commitment_to_versioned_hash(commitment);
        if computed != *hash {
            return Err(invalid(format!(
                "blob {index}: versioned hash {hash} is not its commitment's ({computed})"
            )));
        }
    }
    let blobs: Vec<&[u8]> = blobs.iter().map(|b| b.as_slice()).collect();
    let verified = match sidecar {
        BlobTransactionSidecarVariant::Eip4844(s) => {
            if s.proofs.len() != blobs.len() {
                return Err(invalid(format!(
                    "{} blob proofs for {} blobs",
                    s.proofs.len(),
                    blobs.len()
                )));
            }
            let proofs: Vec<[u8; 48]> = s.proofs.iter().map(|p| p.0).collect();
            kzg::verify_blob_proofs(&blobs, &commitments, &proofs)
        }
        BlobTransactionSidecarVariant::Eip7594(s) => {
            let proofs: Vec<[u8; 48]> = s.cell_proofs.iter().map(|p| p.0).collect();
            kzg::verify_cell_proofs(&blobs, &commitments, &proofs)
        }
    };
    match verified {
        Ok(true) => Ok(()),
        Ok(false) => Err(invalid("KZG proofs do not verify".into())),
        Err(e) => Err(invalid(e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::B256;
    use ethrex_common::types::Eip4844Tx;

    use super::*;
    use crate::mempool::test_tx::blob_tx;

    fn edit(tx: &mut Transaction) -> (&mut Eip4844Tx, &mut BlobTransactionSidecarVariant) {
        match tx {
            Transaction::Eip4844(t, Some(s)) => (t, s),
            _ => unreachable!("a blob transaction with its sidecar"),
        }
    }

    #[test]
    fn version_0_and_version_1_sidecars_with_valid_proofs_pass() {
        validate_sidecar(&blob_tx(0, false)).unwrap();
        validate_sidecar(&blob_tx(0, true)).unwrap();
    }

    #[test]
    fn a_blob_transaction_without_its_sidecar_is_refused() {
        let Transaction::Eip4844(tx, _) = blob_tx(0, false) else {
            unreachable!()
        };
        assert_eq!(
            validate_sidecar(&Transaction::Eip4844(tx, None)),
            Err(MempoolError::MissingSidecar)
        );
    }

    #[test]
    fn a_versioned_hash_not_matching_its_commitment_is_refused() {
        let mut tx = blob_tx(0, false);
        edit(&mut tx).0.blob_versioned_hashes[0] = B256::with_last_byte(1);
        let err = validate_sidecar(&tx).unwrap_err().to_string();
        assert!(err.contains("is not its commitment's"), "{err}");
    }

    #[test]
    fn a_changed_blob_fails_the_proof_in_both_versions() {
        for cell_proofs in [false, true] {
            let mut tx = blob_tx(0, cell_proofs);
            let blob = match edit(&mut tx).1 {
                BlobTransactionSidecarVariant::Eip4844(s) => &mut s.blobs[0],
                BlobTransactionSidecarVariant::Eip7594(s) => &mut s.blobs[0],
            };
            blob[65] = 9;
            assert_eq!(
                validate_sidecar(&tx),
                Err(MempoolError::InvalidSidecar(
                    "KZG proofs do not verify".into()
                )),
                "cell proofs: {cell_proofs}"
            );
        }
    }
}
