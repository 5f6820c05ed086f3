//! ECIES as RLPx uses it to encrypt the handshake packets: secp256k1 ECDH, the NIST SP 800-56
//! concatenation KDF over SHA-256, AES-128-CTR and HMAC-SHA-256.
//!
//! A ciphertext is `R || iv || c || d`: `R` the sender's ephemeral public key (65 bytes,
//! uncompressed), `iv` 16 random bytes, `c = AES-128-CTR(kE, iv, m)` and
//! `d = HMAC-SHA-256(sha256(kM), iv || c || shared-mac-data)`, where `kE || kM` are the 32
//! bytes the KDF derives from the x coordinate of the ECDH point. `shared-mac-data` is
//! authenticated but not sent (EIP-8 puts the packet's 2-byte size prefix there).
//!
//! Decryption checks the MAC (in constant time) before decrypting, and any malformed input is an
//! error: nothing here panics on bytes from the network.

use aes::cipher::{KeyIvInit, StreamCipher};
use hmac::{Hmac, Mac};
use secp256k1::{PublicKey, SECP256K1, SecretKey};
use sha2::{Digest, Sha256};

use super::error::{RlpxError, RlpxResult};

/// Bytes of an uncompressed public key, with its `0x04` prefix.
const PUBLIC_KEY_LEN: usize = 65;
/// Bytes of the AES-CTR initialisation vector.
const IV_LEN: usize = 16;
/// Bytes of the HMAC-SHA-256 tag.
const MAC_LEN: usize = 32;

/// What ECIES adds to a plaintext: the ephemeral key, the IV and the tag (113 bytes).
pub const OVERHEAD: usize = PUBLIC_KEY_LEN + IV_LEN + MAC_LEN;

type Aes128Ctr = ctr::Ctr128BE<aes::Aes128>;
type HmacSha256 = Hmac<Sha256>;

/// Encrypts `plaintext` to `remote`, authenticating `shared_mac_data` with it; a fresh ephemeral
/// key and IV each call.
pub fn encrypt(remote: &PublicKey, plaintext: &[u8], shared_mac_data: &[u8]) -> Vec<u8> {
    encrypt_with(
        remote,
        plaintext,
        shared_mac_data,
        &random_secret_key(),
        rand::random(),
    )
}

/// [`encrypt`] with a given ephemeral key and IV (deterministic, for tests).
pub(crate) fn encrypt_with(
    remote: &PublicKey,
    plaintext: &[u8],
    shared_mac_data: &[u8],
    ephemeral: &SecretKey,
    iv: [u8; IV_LEN],
) -> Vec<u8> {
    let (enc_key, mac_key) = derive_keys(remote, ephemeral);
    let mut out = Vec::with_capacity(OVERHEAD + plaintext.len());
    out.extend_from_slice(
        &PublicKey::from_secret_key(SECP256K1, ephemeral).serialize_uncompressed(),
    );
    out.extend_from_slice(&iv);
    let start = out.len();
    out.extend_from_slice(plaintext);
    Aes128Ctr::new(&enc_key.into(), &iv.into()).apply_keystream(&mut out[start..]);
    let tag = hmac(&mac_key, &out[PUBLIC_KEY_LEN..], shared_mac_data).finalize();
    out.extend_from_slice(&tag.into_bytes());
    out
}

/// Decrypts `data` (`R || iv || c || d`) with our secret key, after checking its tag over
/// `iv || c || shared_mac_data`.
pub fn decrypt(secret: &SecretKey, data: &[u8], shared_mac_data: &[u8]) -> RlpxResult<Vec<u8>> {
    if data.len() < OVERHEAD {
        return Err(RlpxError::EciesTooShort {
            got: data.len(),
            min: OVERHEAD,
        });
    }
    let (key_bytes, rest) = data.split_at(PUBLIC_KEY_LEN);
    let (authenticated, tag) = rest.split_at(rest.len() - MAC_LEN);
    // Only the uncompressed form is valid here (libsecp256k1 would also parse the hybrid 0x06/0x07).
    if key_bytes[0] != 0x04 {
        return Err(RlpxError::EciesInvalidPublicKey);
    }
    let ephemeral =
        PublicKey::from_slice(key_bytes).map_err(|_| RlpxError::EciesInvalidPublicKey)?;
    let (enc_key, mac_key) = derive_keys(&ephemeral, secret);
    hmac(&mac_key, authenticated, shared_mac_data)
        .verify_slice(tag)
        .map_err(|_| RlpxError::EciesBadMac)?;
    let (iv, ciphertext) = authenticated.split_at(IV_LEN);
    let mut plaintext = ciphertext.to_vec();
    let iv: [u8; IV_LEN] = iv.try_into().map_err(|_| RlpxError::EciesTooShort {
        got: data.len(),
        min: OVERHEAD,
    })?;
    Aes128Ctr::new(&enc_key.into(), &iv.into()).apply_keystream(&mut plaintext);
    Ok(plaintext)
}

/// The x coordinate of the ECDH point `secret * public` (what RLPx calls `ecdh.agree`).
pub(crate) fn ecdh_x(public: &PublicKey, secret: &SecretKey) -> [u8; 32] {
    let point = secp256k1::ecdh::shared_secret_point(public, secret);
    let mut x = [0u8; 32];
    x.copy_from_slice(&point[..32]);
    x
}

/// A random secp256k1 secret key.
pub(crate) fn random_secret_key() -> SecretKey {
    loop {
        // A random 32-byte string is a valid key unless it is zero or not below the curve order:
        // a chance of about 2^-128, so the loop ends.
        if let Ok(key) = SecretKey::from_byte_array(rand::random()) {
            return key;
        }
    }
}

/// `(kE, sha256(kM))`: the AES-128 key and the HMAC key of one ECIES message.
fn derive_keys(public: &PublicKey, secret: &SecretKey) -> ([u8; 16], [u8; 32]) {
    let derived = concat_kdf(&ecdh_x(public, secret));
    let mut enc_key = [0u8; 16];
    enc_key.copy_from_slice(&derived[..16]);
    let mac_key: [u8; 32] = Sha256::digest(&derived[16..]).into();
    (enc_key, mac_key)
}

/// NIST SP 800-56A §5.8.1 concatenation KDF with SHA-256 and empty other-info, for 32 bytes of
/// key material: one round, `sha256(counter = 1 as u32 big-endian || z)`.
fn concat_kdf(z: &[u8; 32]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(1u32.to_be_bytes());
    hasher.update(z);
    hasher.finalize().into()
}

/// HMAC-SHA-256 keyed with `key`, fed `data || shared_mac_data`.
fn hmac(key: &[u8; 32], data: &[u8], shared_mac_data: &[u8]) -> HmacSha256 {
    // HMAC pads keys shorter than the hash's 64-byte block with zeros (RFC 2104 §2), so the
    // zero-padded 64-byte key is the same key; taking it fixed-size makes construction infallible.
    let mut block_key = [0u8; 64];
    block_key[..32].copy_from_slice(key);
    let mut mac = <HmacSha256 as hmac::digest::KeyInit>::new(&block_key.into());
    mac.update(data);
    mac.update(shared_mac_data);
    mac
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> SecretKey {
        SecretKey::from_byte_array([byte; 32]).unwrap()
    }

    #[test]
    fn decrypt_inverts_encrypt_with_the_same_shared_mac_data() {
        let recipient = key(7);
        let public = PublicKey::from_secret_key(SECP256K1, &recipient);
        let sealed = encrypt(&public, b"hello rlpx", b"\x01\x02");
        assert_eq!(sealed.len(), OVERHEAD + 10);
        assert_eq!(
            decrypt(&recipient, &sealed, b"\x01\x02").unwrap(),
            b"hello rlpx"
        );
    }

    #[test]
    fn decrypt_rejects_other_shared_mac_data_a_flipped_bit_or_another_key() {
        let recipient = key(7);
        let public = PublicKey::from_secret_key(SECP256K1, &recipient);
        let sealed = encrypt_with(&public, b"payload", b"ad", &key(9), [3; 16]);
        assert!(matches!(
            decrypt(&recipient, &sealed, b"AD"),
            Err(RlpxError::EciesBadMac)
        ));
        for i in PUBLIC_KEY_LEN..sealed.len() {
            let mut tampered = sealed.clone();
            tampered[i] ^= 1;
            assert!(
                matches!(
                    decrypt(&recipient, &tampered, b"ad"),
                    Err(RlpxError::EciesBadMac)
                ),
                "byte {i}"
            );
        }
        assert!(matches!(
            decrypt(&key(8), &sealed, b"ad"),
            Err(RlpxError::EciesBadMac)
        ));
    }

    #[test]
    fn decrypt_rejects_short_input_and_invalid_ephemeral_keys() {
        assert!(matches!(
            decrypt(&key(1), &[0x04; OVERHEAD - 1], b""),
            Err(RlpxError::EciesTooShort { got: 112, min: 113 })
        ));
        assert!(matches!(
            decrypt(&key(1), &[0x04; OVERHEAD], b""),
            Err(RlpxError::EciesInvalidPublicKey)
        ));
        let mut compressed_prefix =
            encrypt(&PublicKey::from_secret_key(SECP256K1, &key(1)), b"x", b"");
        compressed_prefix[0] = 0x06;
        assert!(matches!(
            decrypt(&key(1), &compressed_prefix, b""),
            Err(RlpxError::EciesInvalidPublicKey)
        ));
    }

    #[test]
    fn encryption_is_deterministic_given_the_ephemeral_key_and_iv() {
        let public = PublicKey::from_secret_key(SECP256K1, &key(2));
        let a = encrypt_with(&public, b"m", b"", &key(3), [0; 16]);
        let b = encrypt_with(&public, b"m", b"", &key(3), [0; 16]);
        assert_eq!(a, b);
        assert_ne!(a, encrypt_with(&public, b"m", b"", &key(3), [1; 16]));
    }
}
