//! The RLPx handshake: the initiator's `auth` packet, the recipient's `ack` packet, and the
//! session [`Secrets`] both sides derive from them.
//!
//! Packets are sent in the EIP-8 format — `size (u16 big-endian) || ecies(body || padding)`, the
//! body an RLP list whose extra elements, version mismatches and trailing padding are ignored, the
//! size prefix authenticated as ECIES shared-mac data. The legacy (pre-EIP-8) fixed-size format
//! is accepted on receive, and a legacy `auth` is answered with a legacy `ack`.
//!
//! Flow: [`Initiator::new`] builds the auth packet; the recipient decodes it with
//! [`Recipient::receive_auth`], which builds the ack; [`Initiator::finish`] decodes the ack.
//! Both sides then hold equal `aes`/`mac` secrets, and each side's egress MAC state is the other's
//! ingress MAC state.

use alloy_primitives::{B256, B512, Keccak256, keccak256};
use alloy_rlp::{Decodable, Encodable, Header};
use secp256k1::{
    Message, PublicKey, SECP256K1, SecretKey,
    ecdsa::{RecoverableSignature, RecoveryId},
};

use super::{
    ecies,
    error::{RlpxError, RlpxResult},
    p2p::decode_lenient_u64,
};
use crate::NodeKey;

/// The handshake version we send in `auth-vsn` and `ack-vsn` (EIP-8).
pub const HANDSHAKE_VERSION: u64 = 4;
/// Total bytes of a legacy `auth` packet: ECIES over sig (65) ‖ keccak(ephemeral key) (32) ‖
/// public key (64) ‖ nonce (32) ‖ 0x00.
pub const LEGACY_AUTH_LEN: usize = 194 + ecies::OVERHEAD;
/// Total bytes of a legacy `ack` packet: ECIES over ephemeral key (64) ‖ nonce (32) ‖ 0x00.
pub const LEGACY_ACK_LEN: usize = 97 + ecies::OVERHEAD;
/// Random padding added to an EIP-8 body: at least 100 bytes, as EIP-8 asks, up to 300.
const PADDING: std::ops::RangeInclusive<usize> = 100..=300;

/// How a handshake packet was (or is to be) encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PacketFormat {
    /// Fixed-size, pre-EIP-8.
    Legacy,
    /// Size-prefixed RLP (EIP-8).
    Eip8,
}

/// The decoded body of an `auth` packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Auth {
    /// Recoverable signature by the initiator's ephemeral key of `static-shared-secret ^ nonce`.
    pub signature: [u8; 65],
    /// The initiator's static public key (its node id on the wire).
    pub initiator_public_key: B512,
    /// The initiator's nonce.
    pub nonce: B256,
    /// `auth-vsn` (4 for legacy packets).
    pub version: u64,
}

/// The decoded body of an `ack` packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ack {
    /// The recipient's ephemeral public key.
    pub ephemeral_public_key: B512,
    /// The recipient's nonce.
    pub nonce: B256,
    /// `ack-vsn` (4 for legacy packets).
    pub version: u64,
}

/// The session secrets of one side of a connection.
#[derive(Clone)]
pub struct Secrets {
    /// Key of the AES-256-CTR frame cipher (the same in both directions).
    pub aes: B256,
    /// Key of the AES-256 block cipher used in MAC updates.
    pub mac: B256,
    /// Running Keccak-256 state over what this side sends.
    pub egress_mac: Keccak256,
    /// Running Keccak-256 state over what this side receives.
    pub ingress_mac: Keccak256,
    /// The remote node's static public key (its node id).
    pub remote_public_key: B512,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the secrets.
        f.debug_struct("Secrets")
            .field("remote_public_key", &self.remote_public_key)
            .finish_non_exhaustive()
    }
}

/// The side that opened the connection, between sending `auth` and receiving `ack`.
pub struct Initiator {
    static_key: SecretKey,
    remote: PublicKey,
    ephemeral: SecretKey,
    nonce: B256,
    auth_packet: Vec<u8>,
}

impl std::fmt::Debug for Initiator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Initiator")
            .field("remote", &self.remote)
            .finish_non_exhaustive()
    }
}

impl Initiator {
    /// Starts a handshake from `key` to the node with public key (node id) `remote`, with a
    /// fresh ephemeral key and nonce; the auth packet is [`Initiator::auth_packet`].
    pub fn new(key: &NodeKey, remote: &B512) -> RlpxResult<Self> {
        Self::with_padding(key, remote, rand::random_range(PADDING))
    }

    /// [`Initiator::new`] with `padding` random bytes after the auth body.
    pub(crate) fn with_padding(key: &NodeKey, remote: &B512, padding: usize) -> RlpxResult<Self> {
        let remote = public_key(remote, "remote node id")?;
        let ephemeral = ecies::random_secret_key();
        let nonce = B256::from(rand::random::<[u8; 32]>());
        let static_key = *key.secret();
        let auth = Auth {
            signature: sign_nonce(&static_key, &remote, &ephemeral, &nonce),
            initiator_public_key: to_b512(&key.public()),
            nonce,
            version: HANDSHAKE_VERSION,
        };
        let auth_packet = encode_eip8(&remote, padding, |out| auth.encode_body(out));
        Ok(Self::from_parts(
            static_key,
            remote,
            ephemeral,
            nonce,
            auth_packet,
        ))
    }

    /// An initiator whose auth packet was built elsewhere (test vectors).
    pub(crate) fn from_parts(
        static_key: SecretKey,
        remote: PublicKey,
        ephemeral: SecretKey,
        nonce: B256,
        auth_packet: Vec<u8>,
    ) -> Self {
        Self {
            static_key,
            remote,
            ephemeral,
            nonce,
            auth_packet,
        }
    }

    /// The packet to send: `auth-size || enc-auth-body`.
    pub fn auth_packet(&self) -> &[u8] {
        &self.auth_packet
    }

    /// Decodes the recipient's `ack` packet and derives the session secrets.
    pub fn finish(self, ack_packet: &[u8]) -> RlpxResult<Secrets> {
        let (ack, _) = decode_ack(&self.static_key, ack_packet)?;
        let remote_ephemeral = public_key(&ack.ephemeral_public_key, "ack ephemeral key")?;
        let nonces = Nonces {
            initiator: self.nonce,
            recipient: ack.nonce,
        };
        Ok(derive_secrets(
            &ecies::ecdh_x(&remote_ephemeral, &self.ephemeral),
            &nonces,
            Packets {
                auth: &self.auth_packet,
                ack: ack_packet,
            },
            Role::Initiator,
            to_b512(&self.remote),
        ))
    }
}

/// The side that accepted the connection, after receiving `auth`.
pub struct Recipient {
    ephemeral: SecretKey,
    nonce: B256,
    auth: Auth,
    remote_ephemeral: PublicKey,
    auth_packet: Vec<u8>,
    ack_packet: Vec<u8>,
}

impl std::fmt::Debug for Recipient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recipient")
            .field("remote", &self.auth.initiator_public_key)
            .finish_non_exhaustive()
    }
}

impl Recipient {
    /// Decodes and verifies the initiator's `auth` packet and builds our `ack` (in the format the
    /// auth came in) with a fresh ephemeral key and nonce.
    pub fn receive_auth(key: &NodeKey, auth_packet: &[u8]) -> RlpxResult<Self> {
        Self::receive_auth_with(
            key.secret(),
            auth_packet,
            ecies::random_secret_key(),
            B256::from(rand::random::<[u8; 32]>()),
        )
    }

    /// [`Recipient::receive_auth`] with a given ephemeral key and nonce (test vectors).
    pub(crate) fn receive_auth_with(
        static_key: &SecretKey,
        auth_packet: &[u8],
        ephemeral: SecretKey,
        nonce: B256,
    ) -> RlpxResult<Self> {
        let (auth, format) = decode_auth(static_key, auth_packet)?;
        let initiator = public_key(&auth.initiator_public_key, "auth public key")?;
        let remote_ephemeral = recover_ephemeral(static_key, &initiator, &auth)?;
        let ack = Ack {
            ephemeral_public_key: to_b512(&PublicKey::from_secret_key(SECP256K1, &ephemeral)),
            nonce,
            version: HANDSHAKE_VERSION,
        };
        let ack_packet = match format {
            PacketFormat::Eip8 => encode_eip8(&initiator, rand::random_range(PADDING), |out| {
                ack.encode_body(out)
            }),
            PacketFormat::Legacy => ecies::encrypt(&initiator, &ack.encode_legacy(), &[]),
        };
        Ok(Self {
            ephemeral,
            nonce,
            auth,
            remote_ephemeral,
            auth_packet: auth_packet.to_vec(),
            ack_packet,
        })
    }

    /// The decoded auth message.
    pub fn auth(&self) -> &Auth {
        &self.auth
    }

    /// The packet to send back: `ack-size || enc-ack-body` (or a legacy ack).
    pub fn ack_packet(&self) -> &[u8] {
        &self.ack_packet
    }

    /// Derives the session secrets (the ack packet is as built, or replaced for test vectors).
    pub fn finish(self) -> Secrets {
        let nonces = Nonces {
            initiator: self.auth.nonce,
            recipient: self.nonce,
        };
        derive_secrets(
            &ecies::ecdh_x(&self.remote_ephemeral, &self.ephemeral),
            &nonces,
            Packets {
                auth: &self.auth_packet,
                ack: &self.ack_packet,
            },
            Role::Recipient,
            self.auth.initiator_public_key,
        )
    }

    /// Replaces the ack packet the secrets are derived from (test vectors).
    #[cfg(test)]
    pub(crate) fn with_ack_packet(mut self, ack_packet: Vec<u8>) -> Self {
        self.ack_packet = ack_packet;
        self
    }
}

/// Decodes an `auth` packet (EIP-8 or legacy) with the recipient's static key.
///
/// A packet of exactly [`LEGACY_AUTH_LEN`] bytes starting with `0x04` is legacy: an EIP-8 packet
/// starting with `0x04` declares at least 1024 bytes.
pub fn decode_auth(secret: &SecretKey, packet: &[u8]) -> RlpxResult<(Auth, PacketFormat)> {
    if is_legacy(packet, LEGACY_AUTH_LEN) {
        let plain = ecies::decrypt(secret, packet, &[])?;
        return Ok((Auth::from_legacy(&plain)?, PacketFormat::Legacy));
    }
    let plain = decrypt_eip8(secret, packet, "auth")?;
    Ok((Auth::from_rlp(&plain)?, PacketFormat::Eip8))
}

/// Decodes an `ack` packet (EIP-8 or legacy) with the initiator's static key.
pub fn decode_ack(secret: &SecretKey, packet: &[u8]) -> RlpxResult<(Ack, PacketFormat)> {
    if is_legacy(packet, LEGACY_ACK_LEN) {
        let plain = ecies::decrypt(secret, packet, &[])?;
        return Ok((Ack::from_legacy(&plain)?, PacketFormat::Legacy));
    }
    let plain = decrypt_eip8(secret, packet, "ack")?;
    Ok((Ack::from_rlp(&plain)?, PacketFormat::Eip8))
}

/// The total length of an EIP-8 packet whose first two bytes are `prefix`.
pub fn eip8_packet_len(prefix: [u8; 2]) -> usize {
    2 + usize::from(u16::from_be_bytes(prefix))
}

impl Auth {
    /// `sig (65) || keccak(ephemeral key) (32) || public key (64) || nonce (32) || 0x00`; the
    /// ephemeral key hash is redundant with the signature and not checked.
    fn from_legacy(plain: &[u8]) -> RlpxResult<Self> {
        let (Some(signature), Some(key), Some(nonce)) =
            (plain.get(0..65), plain.get(97..161), plain.get(161..193))
        else {
            return Err(short("auth", plain.len()));
        };
        let mut sig = [0u8; 65];
        sig.copy_from_slice(signature);
        Ok(Self {
            signature: sig,
            initiator_public_key: B512::from_slice(key),
            nonce: B256::from_slice(nonce),
            version: HANDSHAKE_VERSION,
        })
    }

    /// `[sig, initiator-pubk, initiator-nonce, auth-vsn, ...]` followed by padding.
    fn from_rlp(plain: &[u8]) -> RlpxResult<Self> {
        let rlp = RlpxError::rlp("auth body");
        let mut body = Header::decode_bytes(&mut &plain[..], true).map_err(&rlp)?;
        Ok(Self {
            signature: Decodable::decode(&mut body).map_err(&rlp)?,
            initiator_public_key: Decodable::decode(&mut body).map_err(&rlp)?,
            nonce: Decodable::decode(&mut body).map_err(&rlp)?,
            version: decode_lenient_u64(&mut body).map_err(&rlp)?,
        })
    }

    fn encode_body(&self, out: &mut Vec<u8>) {
        encode_list(
            &[
                &self.signature,
                &self.initiator_public_key,
                &self.nonce,
                &self.version,
            ],
            out,
        );
    }
}

impl Ack {
    /// `ephemeral key (64) || nonce (32) || 0x00`.
    fn from_legacy(plain: &[u8]) -> RlpxResult<Self> {
        let (Some(key), Some(nonce)) = (plain.get(0..64), plain.get(64..96)) else {
            return Err(short("ack", plain.len()));
        };
        Ok(Self {
            ephemeral_public_key: B512::from_slice(key),
            nonce: B256::from_slice(nonce),
            version: HANDSHAKE_VERSION,
        })
    }

    /// `[recipient-ephemeral-pubk, recipient-nonce, ack-vsn, ...]` followed by padding.
    fn from_rlp(plain: &[u8]) -> RlpxResult<Self> {
        let rlp = RlpxError::rlp("ack body");
        let mut body = Header::decode_bytes(&mut &plain[..], true).map_err(&rlp)?;
        Ok(Self {
            ephemeral_public_key: Decodable::decode(&mut body).map_err(&rlp)?,
            nonce: Decodable::decode(&mut body).map_err(&rlp)?,
            version: decode_lenient_u64(&mut body).map_err(&rlp)?,
        })
    }

    /// The legacy plaintext (answering a legacy auth).
    fn encode_legacy(&self) -> Vec<u8> {
        let mut plain = Vec::with_capacity(97);
        plain.extend_from_slice(self.ephemeral_public_key.as_slice());
        plain.extend_from_slice(self.nonce.as_slice());
        plain.push(0);
        plain
    }

    fn encode_body(&self, out: &mut Vec<u8>) {
        encode_list(
            &[&self.ephemeral_public_key, &self.nonce, &self.version],
            out,
        );
    }
}

fn short(packet: &'static str, len: usize) -> RlpxError {
    RlpxError::InvalidHandshake {
        packet,
        reason: format!("legacy body of {len} bytes is too short"),
    }
}

fn is_legacy(packet: &[u8], legacy_len: usize) -> bool {
    packet.len() == legacy_len && packet.first() == Some(&0x04)
}

fn encode_list(items: &[&dyn Encodable], out: &mut Vec<u8>) {
    let payload_length = items.iter().map(|item| item.length()).sum();
    Header {
        list: true,
        payload_length,
    }
    .encode(out);
    for item in items {
        item.encode(out);
    }
}

/// `size || ecies(body || padding, size)`.
fn encode_eip8(
    remote: &PublicKey,
    padding: usize,
    encode_body: impl FnOnce(&mut Vec<u8>),
) -> Vec<u8> {
    let mut plain = Vec::new();
    encode_body(&mut plain);
    plain.extend((0..padding).map(|_| rand::random::<u8>()));
    // Bodies are about 200 bytes and padding at most 300 (tests use up to a few thousand): far
    // below u16::MAX, so the fallback is never taken.
    let size = u16::try_from(plain.len() + ecies::OVERHEAD).unwrap_or(u16::MAX);
    let prefix = size.to_be_bytes();
    let mut packet = prefix.to_vec();
    packet.extend(ecies::encrypt(remote, &plain, &prefix));
    packet
}

fn decrypt_eip8(secret: &SecretKey, packet: &[u8], name: &'static str) -> RlpxResult<Vec<u8>> {
    let invalid = |reason: String| RlpxError::InvalidHandshake {
        packet: name,
        reason,
    };
    let (Some(&a), Some(&b)) = (packet.first(), packet.get(1)) else {
        return Err(invalid(format!("{} bytes, no size prefix", packet.len())));
    };
    let expected = eip8_packet_len([a, b]);
    if packet.len() != expected {
        return Err(invalid(format!(
            "{} bytes but the size prefix says {expected}",
            packet.len()
        )));
    }
    let (prefix, sealed) = packet.split_at(2);
    ecies::decrypt(secret, sealed, prefix)
}

/// The initiator's signature: its ephemeral key signs `ecdh(static keys) ^ nonce`.
fn sign_nonce(
    static_key: &SecretKey,
    remote: &PublicKey,
    ephemeral: &SecretKey,
    nonce: &B256,
) -> [u8; 65] {
    let digest = xor(&ecies::ecdh_x(remote, static_key), nonce);
    let (recovery_id, compact) = SECP256K1
        .sign_ecdsa_recoverable(Message::from_digest(digest), ephemeral)
        .serialize_compact();
    let mut signature = [0u8; 65];
    signature[..64].copy_from_slice(&compact);
    // The recovery id is 0..=3.
    signature[64] = u8::try_from(i32::from(recovery_id)).unwrap_or(0);
    signature
}

/// The initiator's ephemeral public key, recovered from its signature.
fn recover_ephemeral(
    static_key: &SecretKey,
    initiator: &PublicKey,
    auth: &Auth,
) -> RlpxResult<PublicKey> {
    let invalid = |reason: &str| RlpxError::InvalidHandshake {
        packet: "auth",
        reason: reason.into(),
    };
    let digest = xor(&ecies::ecdh_x(initiator, static_key), &auth.nonce);
    let recovery_id = RecoveryId::try_from(i32::from(auth.signature[64]))
        .map_err(|_| invalid("invalid recovery id"))?;
    let signature = RecoverableSignature::from_compact(&auth.signature[..64], recovery_id)
        .map_err(|_| invalid("invalid signature"))?;
    SECP256K1
        .recover_ecdsa(Message::from_digest(digest), &signature)
        .map_err(|_| invalid("signature does not recover a key"))
}

fn xor(a: &[u8; 32], b: &B256) -> [u8; 32] {
    std::array::from_fn(|i| a[i] ^ b[i])
}

fn public_key(id: &B512, what: &str) -> RlpxResult<PublicKey> {
    let mut bytes = [4u8; 65];
    bytes[1..].copy_from_slice(id.as_slice());
    PublicKey::from_slice(&bytes).map_err(|_| RlpxError::InvalidHandshake {
        packet: "handshake",
        reason: format!("{what} is not a secp256k1 point"),
    })
}

fn to_b512(key: &PublicKey) -> B512 {
    B512::from_slice(&key.serialize_uncompressed()[1..])
}

#[derive(Clone, Copy)]
enum Role {
    Initiator,
    Recipient,
}

struct Nonces {
    initiator: B256,
    recipient: B256,
}

struct Packets<'a> {
    auth: &'a [u8],
    ack: &'a [u8],
}

/// The spec's key schedule:
/// `shared = keccak(ephemeral-key || keccak(recipient-nonce || initiator-nonce))`,
/// `aes = keccak(ephemeral-key || shared)`, `mac = keccak(ephemeral-key || aes)`, and MAC states
/// `keccak.init((mac ^ recipient-nonce) || auth)` (initiator egress, recipient ingress) and
/// `keccak.init((mac ^ initiator-nonce) || ack)` (initiator ingress, recipient egress).
fn derive_secrets(
    ephemeral_key: &[u8; 32],
    nonces: &Nonces,
    packets: Packets<'_>,
    role: Role,
    remote_public_key: B512,
) -> Secrets {
    let nonce_hash = keccak256([nonces.recipient.as_slice(), nonces.initiator.as_slice()].concat());
    let shared = keccak256([ephemeral_key.as_slice(), nonce_hash.as_slice()].concat());
    let aes = keccak256([ephemeral_key.as_slice(), shared.as_slice()].concat());
    let mac = keccak256([ephemeral_key.as_slice(), aes.as_slice()].concat());
    let mac_state = |nonce: &B256, packet: &[u8]| {
        let mut state = Keccak256::new();
        state.update(xor(&mac.0, nonce));
        state.update(packet);
        state
    };
    let auth_side = mac_state(&nonces.recipient, packets.auth);
    let ack_side = mac_state(&nonces.initiator, packets.ack);
    let (egress_mac, ingress_mac) = match role {
        Role::Initiator => (auth_side, ack_side),
        Role::Recipient => (ack_side, auth_side),
    };
    Secrets {
        aes,
        mac,
        egress_mac,
        ingress_mac,
        remote_public_key,
    }
}

#[cfg(test)]
pub(crate) mod tests;
