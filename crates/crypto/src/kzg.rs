//! KZG commitments of EIP-4844: the point-evaluation proof check behind precompile 0x0a, the
//! versioned hash of a commitment, and the blob checks of a blob transaction's sidecar (EIP-4844
//! blob proofs, EIP-7594 cell proofs), on top of `c-kzg` (the reference C implementation).
//!
//! The Ethereum trusted setup ships inside `c-kzg`; loading it takes seconds, so it is loaded
//! once per process, lazily, on the first verification (`c_kzg::ethereum_kzg_settings` keeps it
//! in a `OnceLock`).

use alloy_primitives::B256;
use c_kzg::{Blob, Bytes32, Bytes48, Cell, KzgSettings};

use crate::{CryptoError, Result, hash::sha256};

/// The version byte of a KZG versioned hash.
pub const VERSIONED_HASH_VERSION_KZG: u8 = 0x01;
/// Field elements per blob, as the point-evaluation precompile returns it.
pub const FIELD_ELEMENTS_PER_BLOB: u64 = 4096;
/// The BLS12-381 scalar field modulus, big-endian, as the point-evaluation precompile returns it.
pub const BLS_MODULUS: [u8; 32] = [
    0x73, 0xed, 0xa7, 0x53, 0x29, 0x9d, 0x7d, 0x48, 0x33, 0x39, 0xd8, 0x08, 0x09, 0xa1, 0xd8, 0x05,
    0x53, 0xbd, 0xa4, 0x02, 0xff, 0xfe, 0x5b, 0xfe, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01,
];

/// The versioned hash of a commitment: its SHA-256 with the first byte replaced by the version.
pub fn kzg_commitment_to_versioned_hash(commitment: &[u8; 48]) -> B256 {
    let mut hash = sha256(commitment);
    hash[0] = VERSIONED_HASH_VERSION_KZG;
    B256::from(hash)
}

/// Whether `proof` shows that the polynomial committed to by `commitment` evaluates to `y` at
/// `z` (`z` and `y` big-endian scalars). Malformed inputs (a commitment or proof that is not a
/// valid compressed G1 point, a scalar not below the modulus) are errors.
pub fn verify_kzg_proof(
    commitment: &[u8; 48],
    z: &[u8; 32],
    y: &[u8; 32],
    proof: &[u8; 48],
) -> Result<bool> {
    settings()
        .verify_kzg_proof(
            &Bytes48::from(*commitment),
            &Bytes32::from(*z),
            &Bytes32::from(*y),
            &Bytes48::from(*proof),
        )
        .map_err(|e| CryptoError::Kzg(format!("{e:?}")))
}

/// Bytes in a blob (EIP-4844).
pub const BYTES_PER_BLOB: usize = c_kzg::BYTES_PER_BLOB;
/// Cells, and cell proofs, per extended blob (EIP-7594).
pub const CELLS_PER_EXT_BLOB: usize = c_kzg::CELLS_PER_EXT_BLOB;

fn kzg_err(e: c_kzg::Error) -> CryptoError {
    CryptoError::Kzg(format!("{e:?}"))
}

fn blob(bytes: &[u8]) -> Result<Blob> {
    Blob::from_bytes(bytes).map_err(|_| CryptoError::InvalidLength {
        what: "blob",
        expected: BYTES_PER_BLOB,
        got: bytes.len(),
    })
}

/// The KZG commitment to `blob`.
pub fn blob_commitment(blob_bytes: &[u8]) -> Result<[u8; 48]> {
    let commitment = settings()
        .blob_to_kzg_commitment(&blob(blob_bytes)?)
        .map_err(kzg_err)?;
    Ok(commitment.to_bytes().into_inner())
}

/// The EIP-4844 blob proof of `blob` against `commitment`.
pub fn blob_proof(blob_bytes: &[u8], commitment: &[u8; 48]) -> Result<[u8; 48]> {
    let proof = settings()
        .compute_blob_kzg_proof(&blob(blob_bytes)?, &Bytes48::from(*commitment))
        .map_err(kzg_err)?;
    Ok(proof.to_bytes().into_inner())
}

/// The [`CELLS_PER_EXT_BLOB`] EIP-7594 cell proofs of `blob`.
pub fn blob_cell_proofs(blob_bytes: &[u8]) -> Result<Vec<[u8; 48]>> {
    let (_, proofs) = settings()
        .compute_cells_and_kzg_proofs(&blob(blob_bytes)?)
        .map_err(kzg_err)?;
    Ok(proofs.iter().map(|p| p.to_bytes().into_inner()).collect())
}

/// Whether every blob matches its commitment by its EIP-4844 blob proof (one batch check).
/// Inputs of different lengths or malformed points are errors.
pub fn verify_blob_proofs(
    blobs: &[&[u8]],
    commitments: &[[u8; 48]],
    proofs: &[[u8; 48]],
) -> Result<bool> {
    let blobs = blobs.iter().map(|b| blob(b)).collect::<Result<Vec<_>>>()?;
    let commitments: Vec<Bytes48> = commitments.iter().copied().map(Bytes48::from).collect();
    let proofs: Vec<Bytes48> = proofs.iter().copied().map(Bytes48::from).collect();
    settings()
        .verify_blob_kzg_proof_batch(&blobs, &commitments, &proofs)
        .map_err(kzg_err)
}

/// Whether `cell_proofs` ([`CELLS_PER_EXT_BLOB`] per blob, blob after blob) prove the cells of
/// every blob against its commitment (EIP-7594; one batch check). Inputs of inconsistent lengths
/// or malformed points are errors.
pub fn verify_cell_proofs(
    blobs: &[&[u8]],
    commitments: &[[u8; 48]],
    cell_proofs: &[[u8; 48]],
) -> Result<bool> {
    let expected = blobs.len().saturating_mul(CELLS_PER_EXT_BLOB);
    if commitments.len() != blobs.len() || cell_proofs.len() != expected {
        return Err(CryptoError::Kzg(format!(
            "{} blobs, {} commitments and {} cell proofs (expected {expected})",
            blobs.len(),
            commitments.len(),
            cell_proofs.len()
        )));
    }
    let mut cells: Vec<Cell> = Vec::with_capacity(expected);
    let mut cell_commitments = Vec::with_capacity(expected);
    let mut indices = Vec::with_capacity(expected);
    for (bytes, commitment) in blobs.iter().zip(commitments) {
        let blob_cells = settings().compute_cells(&blob(bytes)?).map_err(kzg_err)?;
        cells.extend(blob_cells.iter().cloned());
        cell_commitments.extend(std::iter::repeat_n(
            Bytes48::from(*commitment),
            CELLS_PER_EXT_BLOB,
        ));
        indices.extend(0..CELLS_PER_EXT_BLOB as u64);
    }
    let proofs: Vec<Bytes48> = cell_proofs.iter().copied().map(Bytes48::from).collect();
    settings()
        .verify_cell_kzg_proof_batch(&cell_commitments, &indices, &cells, &proofs)
        .map_err(kzg_err)
}

/// The mainnet trusted setup, loaded on first use.
fn settings() -> &'static KzgSettings {
    // Precomputation only speeds up cell proofs (EIP-7594), which this crate does not compute.
    c_kzg::ethereum_kzg_settings(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::hex;

    // The point-evaluation vector of go-ethereum's precompile tests.
    const COMMITMENT: [u8; 48] = hex!(
        "8f59a8d2a1a625a17f3fea0fe5eb8c896db3764f3185481bc22f91b4aaffcca25f26936857bc3a7c2539ea8ec3a952b7"
    );
    const Z: [u8; 32] = hex!("564c0a11a0f704f4fc3e8acfe0f8245f0ad1347b378fbf96e206da11a5d36306");
    const Y: [u8; 32] = hex!("24d25032e67a7e6a4910df5834b8fe70e6bcfeeac0352434196bdf4b2485d5a1");
    const PROOF: [u8; 48] = hex!(
        "873033e038326e87ed3e1276fd140253fa08e9fc25fb2d9a98527fc22a2c9612fbeafdad446cbc7bcdbdcd780af2c16a"
    );

    #[test]
    fn valid_proof_verifies_and_altered_value_does_not() {
        assert!(verify_kzg_proof(&COMMITMENT, &Z, &Y, &PROOF).unwrap());
        let mut other_y = Y;
        other_y[31] ^= 1;
        assert!(!verify_kzg_proof(&COMMITMENT, &Z, &other_y, &PROOF).unwrap());
    }

    #[test]
    fn malformed_commitment_is_an_error() {
        assert!(matches!(
            verify_kzg_proof(&[0xff; 48], &Z, &Y, &PROOF),
            Err(CryptoError::Kzg(_))
        ));
    }

    #[test]
    fn blob_and_cell_proofs_of_a_computed_commitment_verify_and_a_changed_blob_does_not() {
        let mut blob = vec![0u8; BYTES_PER_BLOB];
        blob[1] = 7;
        let commitment = blob_commitment(&blob).unwrap();
        let proof = blob_proof(&blob, &commitment).unwrap();
        assert!(verify_blob_proofs(&[&blob], &[commitment], &[proof]).unwrap());
        let cell_proofs = blob_cell_proofs(&blob).unwrap();
        assert_eq!(cell_proofs.len(), CELLS_PER_EXT_BLOB);
        assert!(verify_cell_proofs(&[&blob], &[commitment], &cell_proofs).unwrap());
        let mut other = blob.clone();
        other[33] = 1;
        assert!(!verify_blob_proofs(&[&other], &[commitment], &[proof]).unwrap());
        assert!(!verify_cell_proofs(&[&other], &[commitment], &cell_proofs).unwrap());
        assert!(verify_cell_proofs(&[&blob], &[commitment], &cell_proofs[1..]).is_err());
    }

    #[test]
    fn versioned_hash_starts_with_version_byte() {
        assert_eq!(
            kzg_commitment_to_versioned_hash(&COMMITMENT),
            B256::from(hex!(
                "01e798154708fe7789429634053cbf9f99b619f9f084048927333fce637f549b"
            ))
        );
    }
}
