//! secp256k1 recovery and signing (libsecp256k1 through the `secp256k1` crate).
//!
//! Addresses are the last 20 bytes of the keccak-256 of the uncompressed public key without its
//! `0x04` prefix. Recovery accepts any `s` in `[1, n)`: the EIP-2 low-`s` rule is a consensus
//! rule of Homestead and later, checked by the transaction validation that knows the fork.

use alloy_primitives::{Address, B256, U256, keccak256};
use secp256k1::{
    Message, PublicKey, SECP256K1, SecretKey,
    ecdsa::{RecoverableSignature, RecoveryId},
};

use crate::{CryptoError, Result};

/// The secp256k1 group order `n`.
pub const SECP256K1_N: U256 = U256::from_be_bytes([
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
    0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41,
]);

/// A recoverable ECDSA signature: `r`, `s` and the y-parity (recovery id 0 or 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecoverableSig {
    /// The `r` value.
    pub r: U256,
    /// The `s` value.
    pub s: U256,
    /// The y-parity of the ephemeral point: `false` = 0, `true` = 1.
    pub y_parity: bool,
}

/// Recovers the signer's address of `hash` from `sig`.
pub fn recover_address(hash: &B256, sig: &RecoverableSig) -> Result<Address> {
    if sig.r.is_zero() || sig.s.is_zero() || sig.r >= SECP256K1_N || sig.s >= SECP256K1_N {
        return Err(CryptoError::InvalidSignature(format!(
            "r={:#x} s={:#x}",
            sig.r, sig.s
        )));
    }
    let mut compact = [0u8; 64];
    compact[..32].copy_from_slice(&sig.r.to_be_bytes::<32>());
    compact[32..].copy_from_slice(&sig.s.to_be_bytes::<32>());
    let rec_id = RecoveryId::try_from(i32::from(sig.y_parity))
        .map_err(|e| CryptoError::InvalidSignature(e.to_string()))?;
    let signature = RecoverableSignature::from_compact(&compact, rec_id)
        .map_err(|e| CryptoError::InvalidSignature(e.to_string()))?;
    let message = Message::from_digest(hash.0);
    let key = SECP256K1
        .recover_ecdsa(message, &signature)
        .map_err(|_| CryptoError::RecoveryFailed)?;
    Ok(address_of(&key))
}

/// The Ethereum address of an uncompressed secp256k1 public key.
pub fn address_of(key: &PublicKey) -> Address {
    let uncompressed = key.serialize_uncompressed();
    Address::from_slice(&keccak256(&uncompressed[1..])[12..])
}

/// The address controlled by a 32-byte secret key.
pub fn secret_to_address(secret: &B256) -> Result<Address> {
    let key = SecretKey::from_byte_array(secret.0).map_err(|_| CryptoError::InvalidSecretKey)?;
    Ok(address_of(&PublicKey::from_secret_key(SECP256K1, &key)))
}

/// Signs a 32-byte hash with a secret key (RFC 6979 deterministic nonce, low `s`).
pub fn sign_hash(hash: &B256, secret: &B256) -> Result<RecoverableSig> {
    let key = SecretKey::from_byte_array(secret.0).map_err(|_| CryptoError::InvalidSecretKey)?;
    let signature = SECP256K1.sign_ecdsa_recoverable(Message::from_digest(hash.0), &key);
    let (rec_id, compact) = signature.serialize_compact();
    Ok(RecoverableSig {
        r: U256::from_be_slice(&compact[..32]),
        s: U256::from_be_slice(&compact[32..]),
        y_parity: i32::from(rec_id) == 1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{address, b256};

    // The first dev account of ethrex (shared/fixtures/dev-keys.txt) and hardhat's account 0.
    const SECRET: B256 = b256!("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80");
    const ADDRESS: Address = address!("f39Fd6e51aad88F6F4ce6aB8827279cffFb92266");

    #[test]
    fn secret_key_maps_to_known_address() {
        assert_eq!(secret_to_address(&SECRET).unwrap(), ADDRESS);
    }

    #[test]
    fn sign_then_recover_returns_signer() {
        let hash = keccak256(b"ethrex");
        let sig = sign_hash(&hash, &SECRET).unwrap();
        assert_eq!(recover_address(&hash, &sig).unwrap(), ADDRESS);
        let other = keccak256(b"other");
        assert_ne!(recover_address(&other, &sig).unwrap(), ADDRESS);
    }

    #[test]
    fn zero_or_overflowing_signature_values_are_rejected() {
        let hash = keccak256(b"x");
        for (r, s) in [(U256::ZERO, U256::from(1)), (U256::from(1), SECP256K1_N)] {
            let sig = RecoverableSig {
                r,
                s,
                y_parity: false,
            };
            assert!(matches!(
                recover_address(&hash, &sig),
                Err(CryptoError::InvalidSignature(_))
            ));
        }
    }

    #[test]
    fn zero_secret_key_is_rejected() {
        assert_eq!(
            secret_to_address(&B256::ZERO),
            Err(CryptoError::InvalidSecretKey)
        );
    }
}
