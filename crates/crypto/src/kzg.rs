//! KZG commitments of EIP-4844: the point-evaluation proof check behind precompile 0x0a and the
//! versioned hash of a commitment, on top of `c-kzg` (the reference C implementation).
//!
//! The Ethereum trusted setup ships inside `c-kzg`; loading it takes seconds, so it is loaded
//! once per process, lazily, on the first verification (`c_kzg::ethereum_kzg_settings` keeps it
//! in a `OnceLock`).

use alloy_primitives::B256;
use c_kzg::{Bytes32, Bytes48, KzgSettings};

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
    fn versioned_hash_starts_with_version_byte() {
        assert_eq!(
            kzg_commitment_to_versioned_hash(&COMMITMENT),
            B256::from(hex!(
                "01e798154708fe7789429634053cbf9f99b619f9f084048927333fce637f549b"
            ))
        );
    }
}
