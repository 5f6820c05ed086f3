//! [`verify_record`]: the check EIP-868 asks of an ENRResponse — the node record (EIP-778,
//! "v4" identity scheme) is well formed, at most 300 bytes, and signed by the public key that
//! signed the response.
//!
//! A record is `rlp([signature, seq, k, v, ...])`; the signature is the 64-byte `r ‖ s` of
//! `keccak256(rlp([seq, k, v, ...]))` by the key whose compressed form is the `secp256k1` value.

use alloy_primitives::{B512, keccak256};
use alloy_rlp::Header;
use secp256k1::{Message, PublicKey, SECP256K1, ecdsa::Signature};

use super::{Discv4Error, Result, packet::List};
use crate::enr::MAX_RECORD_SIZE;

/// Checks that `record` is a valid "v4" record signed by `signer`; returns its sequence number.
pub fn verify_record(record: &[u8], signer: &B512) -> Result<u64> {
    let invalid = Discv4Error::InvalidRecord;
    if record.len() > MAX_RECORD_SIZE {
        return Err(invalid("larger than 300 bytes"));
    }
    let mut items = List::open(&mut &record[..]).map_err(|_| invalid("not an RLP list"))?;
    let signature = items
        .bytes()
        .map_err(|_| invalid("no signature"))
        .and_then(|bytes| Signature::from_compact(bytes).map_err(|_| invalid("bad signature")))?;
    // The content is the same list without the signature.
    let mut content_items = Vec::new();
    let seq: u64 = items.item().map_err(|_| invalid("no sequence number"))?;
    alloy_rlp::Encodable::encode(&seq, &mut content_items);
    let (mut id, mut key) = (None, None);
    while !items.is_empty() {
        let name = items.bytes().map_err(|_| invalid("malformed key"))?;
        let value = items.raw().map_err(|_| invalid("malformed value"))?;
        alloy_rlp::Encodable::encode(name, &mut content_items);
        content_items.extend_from_slice(value);
        let value = || Header::decode_bytes(&mut &value[..], false).ok();
        match name {
            b"id" => id = value(),
            b"secp256k1" => key = value(),
            _ => {}
        }
    }
    if id != Some(&b"v4"[..]) {
        return Err(invalid("identity scheme is not v4"));
    }
    let key = key
        .and_then(|key| PublicKey::from_slice(key).ok())
        .ok_or(invalid("no valid secp256k1 key"))?;
    if key.serialize_uncompressed()[1..] != signer[..] {
        return Err(invalid("not the responder's key"));
    }
    let mut content = Vec::new();
    Header {
        list: true,
        payload_length: content_items.len(),
    }
    .encode(&mut content);
    content.extend_from_slice(&content_items);
    SECP256K1
        .verify_ecdsa(
            Message::from_digest(keccak256(&content).0),
            &signature,
            &key,
        )
        .map_err(|_| invalid("signature does not verify"))?;
    Ok(seq)
}

#[cfg(test)]
mod tests {
    use alloy_primitives::b256;

    use super::*;
    use crate::{NodeKey, enr::NodeRecord};

    fn eip778_key() -> NodeKey {
        NodeKey::from_secret(b256!(
            "b71c71a67e1177ad4e901695e1b4b9ee17ae16c6668d313eac2f96dbcda3f291"
        ))
        .unwrap()
    }

    fn record(seq: u64) -> NodeRecord {
        NodeRecord {
            seq,
            ip: Some("127.0.0.1".parse().unwrap()),
            tcp: None,
            udp: Some(30303),
            eth: None,
        }
    }

    #[test]
    fn a_record_verifies_against_its_signer_only() {
        let key = eip778_key();
        let signed = record(7).sign(&key).unwrap();
        assert_eq!(verify_record(&signed, &key.public_key()).unwrap(), 7);
        let other = NodeKey::random().public_key();
        assert!(matches!(
            verify_record(&signed, &other),
            Err(Discv4Error::InvalidRecord("not the responder's key"))
        ));
    }

    #[test]
    fn a_tampered_or_malformed_record_is_refused() {
        let key = eip778_key();
        let signed = record(1).sign(&key).unwrap();
        // The byte after the signature's 66 bytes and the list header is the sequence number.
        let mut tampered = signed.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        assert!(verify_record(&tampered, &key.public_key()).is_err());
        for bytes in [&[][..], &[0xc0], &[0x80], &signed[..signed.len() - 1]] {
            assert!(
                verify_record(bytes, &key.public_key()).is_err(),
                "{bytes:?}"
            );
        }
    }
}
