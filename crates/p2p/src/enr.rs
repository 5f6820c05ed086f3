//! Ethereum Node Records (EIP-778) with the "v4" identity scheme: [`NodeRecord`] is signed
//! with a [`NodeKey`] into the record's RLP ([`NodeRecord::sign`]) and its text form
//! ([`NodeRecord::to_text`]: `enr:` then URL-safe base64 without padding).
//!
//! Encoding: `content = [seq, k, v, ...]` with the key/value pairs sorted by key and unique;
//! the signature is the 64-byte `r ‖ s` secp256k1 signature of `keccak256(rlp(content))`; the
//! record is `rlp([signature, seq, k, v, ...])`, at most 300 bytes. Keys written: `id` ("v4"),
//! `ip` (4 bytes) or `ip6` (16 bytes), `secp256k1` (the 33-byte compressed public key), and the
//! `tcp` and `udp` ports when set (integers).

use std::net::IpAddr;

use alloy_primitives::keccak256;
use alloy_rlp::{Encodable, Header};
use secp256k1::{Message, SECP256K1};

use crate::{NodeKey, P2pError, Result};

/// EIP-778's limit on a record's encoded size.
pub const MAX_RECORD_SIZE: usize = 300;

/// The contents of this node's record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeRecord {
    /// Sequence number: raised whenever the record changes.
    pub seq: u64,
    pub ip: Option<IpAddr>,
    /// RLPx (TCP) port.
    pub tcp: Option<u16>,
    /// Discovery (UDP) port.
    pub udp: Option<u16>,
    /// The `eth` entry (EIP-2124): `[[fork_hash, fork_next]]`, the chain this node follows.
    /// geth only dials discovered nodes whose record carries a compatible one.
    pub eth: Option<ethrex_common::ForkId>,
}

impl NodeRecord {
    /// The key/value pairs (each already RLP-encoded), sorted by key.
    fn pairs(&self, key: &NodeKey) -> Vec<(&'static [u8], Vec<u8>)> {
        let mut pairs: Vec<(&'static [u8], Vec<u8>)> = vec![
            (b"id", alloy_rlp::encode(&b"v4"[..])),
            (
                b"secp256k1",
                alloy_rlp::encode(&key.public().serialize()[..]),
            ),
        ];
        match self.ip {
            Some(IpAddr::V4(ip)) => pairs.push((b"ip", alloy_rlp::encode(&ip.octets()[..]))),
            Some(IpAddr::V6(ip)) => pairs.push((b"ip6", alloy_rlp::encode(&ip.octets()[..]))),
            None => {}
        }
        if let Some(port) = self.tcp {
            pairs.push((b"tcp", alloy_rlp::encode(port)));
        }
        if let Some(port) = self.udp {
            pairs.push((b"udp", alloy_rlp::encode(port)));
        }
        if let Some(fork_id) = self.eth {
            pairs.push((b"eth", alloy_rlp::encode(vec![fork_id])));
        }
        pairs.sort_unstable_by_key(|(k, _)| *k);
        pairs
    }

    /// The RLP list of `prefix` (already-encoded items) then `seq, k, v, ...`.
    fn list(&self, prefix: &[u8], pairs: &[(&[u8], Vec<u8>)]) -> Vec<u8> {
        let mut payload = prefix.to_vec();
        self.seq.encode(&mut payload);
        for (k, v) in pairs {
            k.encode(&mut payload);
            payload.extend_from_slice(v);
        }
        let mut out = Vec::with_capacity(payload.len() + 3);
        Header {
            list: true,
            payload_length: payload.len(),
        }
        .encode(&mut out);
        out.extend_from_slice(&payload);
        out
    }

    /// The signed record's RLP.
    pub fn sign(&self, key: &NodeKey) -> Result<Vec<u8>> {
        let pairs = self.pairs(key);
        let content = self.list(&[], &pairs);
        let digest = Message::from_digest(keccak256(&content).0);
        let signature = SECP256K1
            .sign_ecdsa(digest, key.secret())
            .serialize_compact();
        let record = self.list(&alloy_rlp::encode(&signature[..]), &pairs);
        if record.len() > MAX_RECORD_SIZE {
            return Err(P2pError::RecordTooLarge(record.len()));
        }
        Ok(record)
    }

    /// The signed record's text form: `enr:` and its RLP in URL-safe base64 without padding.
    pub fn to_text(&self, key: &NodeKey) -> Result<String> {
        Ok(format!("enr:{}", base64url(&self.sign(key)?)))
    }
}

/// URL-safe base64 (RFC 4648 §5) without padding.
fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = u32::from_be_bytes([0, b[0], b[1], b[2]]);
        // A chunk of k bytes gives k + 1 characters.
        for i in 0..=chunk.len() {
            let index = (n >> (18 - 6 * i)) & 0x3f;
            out.push(char::from(ALPHABET[index as usize]));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use alloy_primitives::b256;

    use super::*;

    #[test]
    fn the_eip_778_example_record_is_reproduced_byte_for_byte() {
        let key = NodeKey::from_secret(b256!(
            "b71c71a67e1177ad4e901695e1b4b9ee17ae16c6668d313eac2f96dbcda3f291"
        ))
        .unwrap();
        let record = NodeRecord {
            seq: 1,
            ip: Some(IpAddr::V4(Ipv4Addr::LOCALHOST)),
            tcp: None,
            udp: Some(30303),
            eth: None,
        };
        assert_eq!(
            record.to_text(&key).unwrap(),
            "enr:-IS4QHCYrYZbAKWCBRlAy5zzaDZXJBGkcnh4MHcBFZntXNFrdvJjX04jRzjzCBOonrkTfj499SZuOh8R33Ls8RRcy5wBgmlkgnY0gmlwhH8AAAGJc2VjcDI1NmsxoQPKY0yuDUmstAHYpMa2_oxVtw0RW_QAdpzBQA8yWM0xOIN1ZHCCdl8"
        );
    }

    #[test]
    fn the_eth_entry_carries_the_fork_id_as_geth_encodes_it() {
        let key = NodeKey::random();
        let record = NodeRecord {
            seq: 1,
            ip: Some(IpAddr::V4(Ipv4Addr::LOCALHOST)),
            tcp: Some(30303),
            udp: Some(30303),
            eth: Some(ethrex_common::ForkId {
                hash: alloy_primitives::FixedBytes([0xfc, 0x64, 0xec, 0x04]),
                next: 1_150_000,
            }),
        };
        let keys: Vec<&[u8]> = record.pairs(&key).iter().map(|(k, _)| *k).collect();
        assert_eq!(
            keys,
            [&b"eth"[..], b"id", b"ip", b"secp256k1", b"tcp", b"udp"]
        );
        let rlp = record.sign(&key).unwrap();
        // "eth" then [[0xfc64ec04, 1150000]] (EIP-2124's mainnet Homestead example).
        let entry = [
            0x83, b'e', b't', b'h', 0xca, 0xc9, 0x84, 0xfc, 0x64, 0xec, 0x04, 0x83, 0x11, 0x8c,
            0x30,
        ];
        assert!(rlp.windows(entry.len()).any(|w| w == entry), "{rlp:02x?}");
        assert_eq!(
            crate::discv4::record::verify_record(&rlp, &key.public_key()).unwrap(),
            1
        );
    }

    #[test]
    fn keys_are_sorted_with_tcp_between_secp256k1_and_udp() {
        let key = NodeKey::random();
        let record = NodeRecord {
            seq: 1,
            ip: Some(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1))),
            tcp: Some(30303),
            udp: Some(30301),
            eth: None,
        };
        let keys: Vec<&[u8]> = record.pairs(&key).iter().map(|(k, _)| *k).collect();
        assert_eq!(keys, [&b"id"[..], b"ip", b"secp256k1", b"tcp", b"udp"]);
        let rlp = record.sign(&key).unwrap();
        assert!(rlp.len() <= MAX_RECORD_SIZE);
        // The record's first item is the signature of the content.
        let mut rest = rlp.as_slice();
        let header = Header::decode(&mut rest).unwrap();
        assert!(header.list && header.payload_length == rest.len());
        let signature = Header::decode_bytes(&mut rest, false).unwrap();
        let signature = secp256k1::ecdsa::Signature::from_compact(signature).unwrap();
        let content = record.list(&[], &record.pairs(&key));
        SECP256K1
            .verify_ecdsa(
                Message::from_digest(keccak256(&content).0),
                &signature,
                &key.public(),
            )
            .unwrap();
    }

    #[test]
    fn base64url_matches_rfc_4648_vectors_without_padding() {
        for (input, output) in [
            ("", ""),
            ("f", "Zg"),
            ("fo", "Zm8"),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg"),
            ("fooba", "Zm9vYmE"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64url(input.as_bytes()), output);
        }
        assert_eq!(base64url(&[0xfb, 0xff]), "-_8");
    }
}
