//! [`BatchBlob`]: a batch's blob with what L1 needs to accept it — the KZG commitment, the
//! versioned hash (`blobhash(0)` in `commitBatch`) and the sidecar proofs of one flavour: the
//! EIP-4844 blob proof (sidecar version 0, before Osaka) or the 128 EIP-7594 cell proofs
//! (version 1, from Osaka).
//!
//! Everything is computed by `ethrex_crypto::kzg` (c-kzg with the mainnet trusted setup, loaded
//! once per process). Guarantee: a `BatchBlob` built by [`BatchBlob::new`] verifies
//! ([`BatchBlob::verify`]); `make l2-kzg-check` compares these values with PyPI `ckzg`'s.

use alloy_eips::{
    eip4844::{BlobTransactionSidecar, Bytes48},
    eip7594::{BlobTransactionSidecarEip7594, BlobTransactionSidecarVariant},
};
use alloy_primitives::B256;
use ethrex_common::types::{Block, FeeConfig};
use ethrex_crypto::kzg;

use crate::{Result, blob::Blob, blob::encode_batch};

/// Which sidecar the blob transaction carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SidecarVersion {
    /// Version 0: one EIP-4844 blob proof (before Osaka).
    BlobProof,
    /// Version 1: the [`kzg::CELLS_PER_EXT_BLOB`] EIP-7594 cell proofs (from Osaka).
    CellProofs,
}

impl SidecarVersion {
    /// The version L1 takes for a blob sent at `l1_timestamp`: cell proofs once Osaka is
    /// active, blob proofs while `osaka_activation_time` (`--osaka-activation-time`) is ahead.
    /// Without an activation time, Osaka is taken as active.
    pub fn at(l1_timestamp: u64, osaka_activation_time: Option<u64>) -> Self {
        match osaka_activation_time {
            Some(activation) if l1_timestamp < activation => SidecarVersion::BlobProof,
            _ => SidecarVersion::CellProofs,
        }
    }
}

/// The proofs of a blob, of one sidecar version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlobProofs {
    /// The EIP-4844 blob proof.
    Blob([u8; 48]),
    /// The [`kzg::CELLS_PER_EXT_BLOB`] EIP-7594 cell proofs, in cell order.
    Cells(Vec<[u8; 48]>),
}

/// A batch blob, its commitment, versioned hash and proofs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchBlob {
    pub blob: Blob,
    pub commitment: [u8; 48],
    pub versioned_hash: B256,
    pub proofs: BlobProofs,
}

impl BatchBlob {
    /// Commits to `blob` and computes the proofs of `version`.
    pub fn new(blob: Blob, version: SidecarVersion) -> Result<Self> {
        let commitment = kzg::blob_commitment(blob.as_bytes())?;
        let proofs = match version {
            SidecarVersion::BlobProof => {
                BlobProofs::Blob(kzg::blob_proof(blob.as_bytes(), &commitment)?)
            }
            SidecarVersion::CellProofs => {
                BlobProofs::Cells(kzg::blob_cell_proofs(blob.as_bytes())?)
            }
        };
        Ok(BatchBlob {
            versioned_hash: kzg::kzg_commitment_to_versioned_hash(&commitment),
            blob,
            commitment,
            proofs,
        })
    }

    /// Encodes the batch ([`encode_batch`]) and commits to its blob.
    pub fn from_batch(
        blocks: &[Block],
        fee_configs: &[FeeConfig],
        version: SidecarVersion,
    ) -> Result<Self> {
        Self::new(encode_batch(blocks, fee_configs)?, version)
    }

    pub fn version(&self) -> SidecarVersion {
        match self.proofs {
            BlobProofs::Blob(_) => SidecarVersion::BlobProof,
            BlobProofs::Cells(_) => SidecarVersion::CellProofs,
        }
    }

    /// Whether the proofs prove the blob against the commitment, and the versioned hash is the
    /// commitment's.
    pub fn verify(&self) -> Result<bool> {
        if kzg::kzg_commitment_to_versioned_hash(&self.commitment) != self.versioned_hash {
            return Ok(false);
        }
        let blobs = [self.blob.as_bytes()];
        let commitments = [self.commitment];
        Ok(match &self.proofs {
            BlobProofs::Blob(proof) => kzg::verify_blob_proofs(&blobs, &commitments, &[*proof])?,
            BlobProofs::Cells(proofs) => kzg::verify_cell_proofs(&blobs, &commitments, proofs)?,
        })
    }

    /// The blob transaction's sidecar (one blob).
    pub fn sidecar(&self) -> BlobTransactionSidecarVariant {
        let blobs = vec![alloy_eips::eip4844::Blob::from_slice(self.blob.as_bytes())];
        let commitments = vec![Bytes48::from(self.commitment)];
        match &self.proofs {
            BlobProofs::Blob(proof) => {
                BlobTransactionSidecarVariant::Eip4844(BlobTransactionSidecar {
                    blobs,
                    commitments,
                    proofs: vec![Bytes48::from(*proof)],
                })
            }
            BlobProofs::Cells(proofs) => {
                BlobTransactionSidecarVariant::Eip7594(BlobTransactionSidecarEip7594 {
                    blobs,
                    commitments,
                    cell_proofs: proofs.iter().copied().map(Bytes48::from).collect(),
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blob_with(byte_at_1: u8) -> Blob {
        let mut bytes = vec![0u8; crate::blob::BYTES_PER_BLOB];
        bytes[1] = byte_at_1;
        bytes[40] = 0x55;
        Blob::from_bytes(&bytes).unwrap()
    }

    #[test]
    fn both_sidecar_versions_verify_and_a_changed_blob_does_not() {
        for version in [SidecarVersion::BlobProof, SidecarVersion::CellProofs] {
            let batch = BatchBlob::new(blob_with(7), version).unwrap();
            assert_eq!(batch.version(), version);
            assert_eq!(batch.versioned_hash[0], 0x01, "KZG version byte");
            assert!(batch.verify().unwrap(), "{version:?}");
            let mut tampered = batch.clone();
            tampered.blob = blob_with(8);
            assert!(!tampered.verify().unwrap(), "{version:?} with another blob");
            let mut wrong_hash = batch.clone();
            wrong_hash.versioned_hash.0[31] ^= 1;
            assert!(
                !wrong_hash.verify().unwrap(),
                "{version:?} with a wrong hash"
            );
        }
    }

    #[test]
    fn cell_proofs_from_the_osaka_activation_time_on() {
        assert_eq!(SidecarVersion::at(99, Some(100)), SidecarVersion::BlobProof);
        assert_eq!(
            SidecarVersion::at(100, Some(100)),
            SidecarVersion::CellProofs
        );
        assert_eq!(
            SidecarVersion::at(101, Some(100)),
            SidecarVersion::CellProofs
        );
        assert_eq!(SidecarVersion::at(0, None), SidecarVersion::CellProofs);
    }

    #[test]
    fn a_blob_of_another_length_is_refused() {
        let err = Blob::from_bytes(&[0; 131_071]).unwrap_err();
        assert_eq!(err.to_string(), "blob is 131071 bytes, expected 131072");
    }

    #[test]
    fn sidecar_carries_the_blob_commitment_and_proofs() {
        let batch = BatchBlob::new(blob_with(1), SidecarVersion::CellProofs).unwrap();
        let BlobTransactionSidecarVariant::Eip7594(sidecar) = batch.sidecar() else {
            panic!("cell proofs give a version 1 sidecar");
        };
        assert_eq!(sidecar.blobs[0].as_slice(), batch.blob.as_bytes());
        assert_eq!(sidecar.commitments, vec![Bytes48::from(batch.commitment)]);
        assert_eq!(sidecar.cell_proofs.len(), kzg::CELLS_PER_EXT_BLOB);
        let batch = BatchBlob::new(blob_with(1), SidecarVersion::BlobProof).unwrap();
        let BlobTransactionSidecarVariant::Eip4844(sidecar) = batch.sidecar() else {
            panic!("a blob proof gives a version 0 sidecar");
        };
        let BlobProofs::Blob(proof) = batch.proofs else {
            panic!("blob proof expected");
        };
        assert_eq!(sidecar.proofs, vec![Bytes48::from(proof)]);
    }
}
