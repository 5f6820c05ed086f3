//! SHA-256 and RIPEMD-160 (RustCrypto's `sha2` and `ripemd`), the digests behind the EVM's
//! precompiles 0x02 and 0x03.
//!
//! Keccak-256 is not here: it is alloy's, re-exported at the crate root.

use ripemd::Ripemd160;
use sha2::{Digest, Sha256};

/// The SHA-256 digest of `data`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// The RIPEMD-160 digest of `data` (20 bytes; the precompile left-pads it to 32).
pub fn ripemd160(data: &[u8]) -> [u8; 20] {
    Ripemd160::digest(data).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::hex;

    #[test]
    fn sha256_matches_known_digests() {
        assert_eq!(
            sha256(b""),
            hex!("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        );
        assert_eq!(
            sha256(b"abc"),
            hex!("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        );
    }

    #[test]
    fn ripemd160_matches_known_digests() {
        assert_eq!(
            ripemd160(b""),
            hex!("9c1185a5c5e9fc54612808977ee8f548b2258d31")
        );
        assert_eq!(
            ripemd160(b"abc"),
            hex!("8eb208f7e05d987a9b044a8e98c6b087f15a0bfc")
        );
    }
}
