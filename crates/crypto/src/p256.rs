//! secp256r1 (P-256) ECDSA verification of a prehashed message, the primitive of the P256VERIFY
//! precompile (EIP-7951), on top of RustCrypto's `p256`.
//!
//! Any failure (signature values outside `[1, n)`, public key coordinates not below `p`, a key
//! not on the curve or at infinity, a signature that does not verify) is simply `false`: the
//! precompile reports all of them the same way. High-`s` signatures are valid (no malleability
//! rule), and the 32-byte hash is used as is (reduced modulo `n`), as EIP-7951 specifies.

use p256::ecdsa::{Signature, VerifyingKey, signature::hazmat::PrehashVerifier};

/// Whether `signature` (`r || s`, 32 bytes each, big-endian) is a valid signature of
/// `msg_hash` by the public key `public_key` (`x || y`, 32 bytes each, big-endian).
pub fn p256_verify(msg_hash: &[u8; 32], signature: &[u8; 64], public_key: &[u8; 64]) -> bool {
    let Ok(signature) = Signature::from_slice(signature) else {
        return false;
    };
    let mut sec1 = [0u8; 65];
    sec1[0] = 0x04; // uncompressed point tag
    sec1[1..].copy_from_slice(public_key);
    let Ok(key) = VerifyingKey::from_sec1_bytes(&sec1) else {
        return false;
    };
    key.verify_prehash(msg_hash, &signature).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::hex;

    // The `CallP256Verify` vector of go-ethereum's precompile tests (EIP-7951).
    const HASH: [u8; 32] = hex!("4cee90eb86eaa050036147a12d49004b6b9c72bd725d39d4785011fe190f0b4d");
    const SIG: [u8; 64] = hex!(
        "a73bd4903f0ce3b639bbbf6e8e80d16931ff4bcf5993d58468e8fb19086e8cac"
        "36dbcd03009df8c59286b162af3bd7fcc0450c9aa81be5d10d312af6c66b1d60"
    );
    const KEY: [u8; 64] = hex!(
        "4aebd3099c618202fcfe16ae7770b0c49ab5eadf74b754204a3bb6060e44eff3"
        "7618b065f9832de4ca6ca971a7a1adc826d0f7c00181a5fb2ddf79ae00b4e10e"
    );

    #[test]
    fn valid_signature_verifies() {
        assert!(p256_verify(&HASH, &SIG, &KEY));
    }

    #[test]
    fn altered_hash_signature_or_key_fails() {
        let mut hash = HASH;
        hash[0] ^= 1;
        assert!(!p256_verify(&hash, &SIG, &KEY));
        let mut sig = SIG;
        sig[63] ^= 1;
        assert!(!p256_verify(&HASH, &sig, &KEY));
        let mut key = KEY;
        key[63] ^= 1; // no longer on the curve
        assert!(!p256_verify(&HASH, &SIG, &key));
        assert!(!p256_verify(&HASH, &[0; 64], &KEY));
        assert!(!p256_verify(&HASH, &SIG, &[0; 64]));
    }
}
