//! The six discv4 packets and their wire format:
//! `hash(32) ‖ signature(65: r ‖ s ‖ recovery id) ‖ type(1) ‖ rlp(packet-data)`, where
//! `hash = keccak256(signature ‖ type ‖ data)` and the signature signs `keccak256(type ‖ data)`.
//!
//! [`Message::encode`] builds and signs a datagram; [`Packet::decode`] checks the size limit and
//! the hash, recovers the sender's public key and decodes the data. Decoding follows EIP-8:
//! the Ping version is not checked, list elements past the known ones and bytes after the
//! data's list are ignored, and an optional field (EIP-868's `enr-seq`) that is not an integer
//! reads as absent. Expiration is checked apart ([`Packet::check_expiration`]) so a packet's
//! contents can be inspected whatever its age.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use alloy_primitives::{B256, B512, keccak256};
use alloy_rlp::{Decodable, Encodable, Header};
use secp256k1::{
    Message as Digest, SECP256K1,
    ecdsa::{RecoverableSignature, RecoveryId},
};

use super::{Discv4Error, Enode, MAX_PACKET_SIZE, Result};
use crate::NodeKey;

/// Bytes before the packet data: hash, signature, type.
const HEADER_SIZE: usize = 32 + 65 + 1;

/// The protocol version a Ping announces.
pub const PROTOCOL_VERSION: u64 = 4;

/// An IP address with UDP and TCP ports, as packets carry it: `[ip, udp-port, tcp-port]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoint {
    pub ip: IpAddr,
    pub udp_port: u16,
    pub tcp_port: u16,
}

/// Ping (0x01): `[version, from, to, expiration, enr-seq?]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ping {
    pub version: u64,
    pub from: Endpoint,
    pub to: Endpoint,
    pub expiration: u64,
    pub enr_seq: Option<u64>,
}

/// Pong (0x02): `[to, ping-hash, expiration, enr-seq?]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pong {
    pub to: Endpoint,
    pub ping_hash: B256,
    pub expiration: u64,
    pub enr_seq: Option<u64>,
}

/// FindNode (0x03): `[target, expiration]`; the target is a 64-byte public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindNode {
    pub target: B512,
    pub expiration: u64,
}

/// Neighbors (0x04): `[[[ip, udp-port, tcp-port, public-key], ...], expiration]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Neighbors {
    pub nodes: Vec<Enode>,
    pub expiration: u64,
}

impl Neighbors {
    /// The most nodes one Neighbors packet carries: 12 IPv6 nodes (91 bytes each) and the
    /// 111 bytes of header, list headers and expiration stay under 1280 bytes (tested).
    pub const MAX_NODES: usize = 12;
}

/// ENRRequest (0x05, EIP-868): `[expiration]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrRequest {
    pub expiration: u64,
}

/// ENRResponse (0x06, EIP-868): `[request-hash, ENR]`; the record is kept as its raw RLP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrResponse {
    pub request_hash: B256,
    pub record: Vec<u8>,
}

/// A discv4 message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    Ping(Ping),
    Pong(Pong),
    FindNode(FindNode),
    Neighbors(Neighbors),
    EnrRequest(EnrRequest),
    EnrResponse(EnrResponse),
}

/// A received packet whose hash and signature checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    /// The packet's hash (what a Pong or ENRResponse refers to).
    pub hash: B256,
    /// The sender's public key, recovered from the signature.
    pub sender: B512,
    pub message: Message,
}

impl Message {
    /// The packet-type byte.
    pub fn kind(&self) -> u8 {
        match self {
            Self::Ping(_) => 1,
            Self::Pong(_) => 2,
            Self::FindNode(_) => 3,
            Self::Neighbors(_) => 4,
            Self::EnrRequest(_) => 5,
            Self::EnrResponse(_) => 6,
        }
    }

    fn name(kind: u8) -> &'static str {
        match kind {
            1 => "ping",
            2 => "pong",
            3 => "findnode",
            4 => "neighbors",
            5 => "enrrequest",
            _ => "enrresponse",
        }
    }

    /// The expiration stamp (ENRResponse has none).
    pub fn expiration(&self) -> Option<u64> {
        match self {
            Self::Ping(m) => Some(m.expiration),
            Self::Pong(m) => Some(m.expiration),
            Self::FindNode(m) => Some(m.expiration),
            Self::Neighbors(m) => Some(m.expiration),
            Self::EnrRequest(m) => Some(m.expiration),
            Self::EnrResponse(_) => None,
        }
    }

    /// The signed datagram of this message and its hash.
    pub fn encode(&self, key: &NodeKey) -> Result<(Vec<u8>, B256)> {
        let mut out = vec![0; HEADER_SIZE - 1];
        out.push(self.kind());
        self.encode_data(&mut out);
        if out.len() > MAX_PACKET_SIZE {
            return Err(Discv4Error::Oversized(out.len()));
        }
        let digest = Digest::from_digest(keccak256(&out[HEADER_SIZE - 1..]).0);
        let (recovery_id, signature) = SECP256K1
            .sign_ecdsa_recoverable(digest, key.secret())
            .serialize_compact();
        out[32..96].copy_from_slice(&signature);
        out[96] = match recovery_id {
            RecoveryId::Zero => 0,
            RecoveryId::One => 1,
            RecoveryId::Two => 2,
            RecoveryId::Three => 3,
        };
        let hash = keccak256(&out[32..]);
        out[..32].copy_from_slice(hash.as_slice());
        Ok((out, hash))
    }

    /// Appends the RLP of the packet data.
    fn encode_data(&self, out: &mut Vec<u8>) {
        let mut payload = Vec::new();
        match self {
            Self::Ping(m) => {
                m.version.encode(&mut payload);
                m.from.encode(&mut payload);
                m.to.encode(&mut payload);
                m.expiration.encode(&mut payload);
                if let Some(seq) = m.enr_seq {
                    seq.encode(&mut payload);
                }
            }
            Self::Pong(m) => {
                m.to.encode(&mut payload);
                m.ping_hash.encode(&mut payload);
                m.expiration.encode(&mut payload);
                if let Some(seq) = m.enr_seq {
                    seq.encode(&mut payload);
                }
            }
            Self::FindNode(m) => {
                m.target.encode(&mut payload);
                m.expiration.encode(&mut payload);
            }
            Self::Neighbors(m) => {
                let mut nodes = Vec::new();
                for node in &m.nodes {
                    let mut entry = Vec::new();
                    node.endpoint().encode_fields(&mut entry);
                    node.public_key.encode(&mut entry);
                    list(&mut nodes, &entry);
                }
                list(&mut payload, &nodes);
                m.expiration.encode(&mut payload);
            }
            Self::EnrRequest(m) => m.expiration.encode(&mut payload),
            Self::EnrResponse(m) => {
                m.request_hash.encode(&mut payload);
                payload.extend_from_slice(&m.record);
            }
        }
        list(out, &payload);
    }

    /// Decodes the data of a packet of type `kind`.
    fn decode(kind: u8, data: &[u8]) -> Result<Self> {
        if !(1..=6).contains(&kind) {
            return Err(Discv4Error::UnknownPacketType(kind));
        }
        let packet = Self::name(kind);
        let rlp = |source| Discv4Error::Rlp { packet, source };
        let mut items = List::open(&mut &data[..]).map_err(rlp)?;
        let message = match kind {
            1 => Self::Ping(Ping {
                version: items.item().map_err(rlp)?,
                from: Endpoint::decode(&mut items.list().map_err(rlp)?, packet)?,
                to: Endpoint::decode(&mut items.list().map_err(rlp)?, packet)?,
                expiration: items.item().map_err(rlp)?,
                enr_seq: items.optional_u64(),
            }),
            2 => Self::Pong(Pong {
                to: Endpoint::decode(&mut items.list().map_err(rlp)?, packet)?,
                ping_hash: items.item().map_err(rlp)?,
                expiration: items.item().map_err(rlp)?,
                enr_seq: items.optional_u64(),
            }),
            3 => Self::FindNode(FindNode {
                target: items.item().map_err(rlp)?,
                expiration: items.item().map_err(rlp)?,
            }),
            4 => {
                let mut entries = items.list().map_err(rlp)?;
                let mut nodes = Vec::new();
                while !entries.is_empty() {
                    let mut entry = entries.list().map_err(rlp)?;
                    let endpoint = Endpoint::decode(&mut entry, packet)?;
                    nodes.push(Enode {
                        public_key: entry.item().map_err(rlp)?,
                        ip: endpoint.ip,
                        udp_port: endpoint.udp_port,
                        tcp_port: endpoint.tcp_port,
                    });
                }
                Self::Neighbors(Neighbors {
                    nodes,
                    expiration: items.item().map_err(rlp)?,
                })
            }
            5 => Self::EnrRequest(EnrRequest {
                expiration: items.item().map_err(rlp)?,
            }),
            _ => Self::EnrResponse(EnrResponse {
                request_hash: items.item().map_err(rlp)?,
                record: items.raw().map_err(rlp)?.to_vec(),
            }),
        };
        Ok(message)
    }
}

impl Packet {
    /// Checks a datagram's size, hash and signature, and decodes its message.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        if bytes.len() < HEADER_SIZE {
            return Err(Discv4Error::PacketTooSmall(bytes.len()));
        }
        if bytes.len() > MAX_PACKET_SIZE {
            return Err(Discv4Error::PacketTooLarge(bytes.len()));
        }
        let hash = B256::from_slice(&bytes[..32]);
        if keccak256(&bytes[32..]) != hash {
            return Err(Discv4Error::HashMismatch(hash));
        }
        let recovery_id =
            RecoveryId::try_from(i32::from(bytes[96])).map_err(Discv4Error::BadSignature)?;
        let signature = RecoverableSignature::from_compact(&bytes[32..96], recovery_id)
            .map_err(Discv4Error::BadSignature)?;
        let digest = Digest::from_digest(keccak256(&bytes[HEADER_SIZE - 1..]).0);
        let public = SECP256K1
            .recover_ecdsa(digest, &signature)
            .map_err(Discv4Error::BadSignature)?;
        let sender = B512::from_slice(&public.serialize_uncompressed()[1..]);
        let message = Message::decode(bytes[HEADER_SIZE - 1], &bytes[HEADER_SIZE..])?;
        Ok(Self {
            hash,
            sender,
            message,
        })
    }

    /// Refuses a packet whose expiration (UNIX seconds) is before `now`.
    /// An expiration is a Unix time read as a signed 64-bit number, as other clients read it:
    /// one above `i64::MAX` is negative, so in the past (geth's suite sends `-t`).
    pub fn check_expiration(&self, now: u64) -> Result<()> {
        match self.message.expiration() {
            Some(expiration) if expiration < now || i64::try_from(expiration).is_err() => {
                Err(Discv4Error::Expired { expiration, now })
            }
            _ => Ok(()),
        }
    }
}

impl Endpoint {
    fn encode_fields(&self, out: &mut Vec<u8>) {
        match self.ip {
            IpAddr::V4(ip) => ip.octets()[..].encode(out),
            IpAddr::V6(ip) => ip.octets()[..].encode(out),
        }
        self.udp_port.encode(out);
        self.tcp_port.encode(out);
    }

    fn encode(&self, out: &mut Vec<u8>) {
        let mut payload = Vec::new();
        self.encode_fields(&mut payload);
        list(out, &payload);
    }

    /// Reads `ip, udp-port, tcp-port` from `items`.
    fn decode(items: &mut List<'_>, packet: &'static str) -> Result<Self> {
        let rlp = |source| Discv4Error::Rlp { packet, source };
        let ip = match items.bytes().map_err(rlp)? {
            &[a, b, c, d] => IpAddr::V4(Ipv4Addr::new(a, b, c, d)),
            bytes => {
                let octets: [u8; 16] = bytes
                    .try_into()
                    .map_err(|_| Discv4Error::InvalidIp(bytes.len()))?;
                IpAddr::V6(Ipv6Addr::from(octets))
            }
        };
        Ok(Self {
            ip,
            udp_port: items.item().map_err(rlp)?,
            tcp_port: items.item().map_err(rlp)?,
        })
    }
}

/// Appends an RLP list whose payload (already encoded items) is `payload`.
fn list(out: &mut Vec<u8>, payload: &[u8]) {
    Header {
        list: true,
        payload_length: payload.len(),
    }
    .encode(out);
    out.extend_from_slice(payload);
}

/// The items of an RLP list, read front to back; what is left unread is ignored (EIP-8).
pub(super) struct List<'a> {
    rest: &'a [u8],
}

impl<'a> List<'a> {
    /// Opens the list at the front of `buf` and moves `buf` past it.
    pub(super) fn open(buf: &mut &'a [u8]) -> alloy_rlp::Result<Self> {
        let header = Header::decode(buf)?;
        if !header.list {
            return Err(alloy_rlp::Error::UnexpectedString);
        }
        if buf.len() < header.payload_length {
            return Err(alloy_rlp::Error::InputTooShort);
        }
        let (payload, after) = buf.split_at(header.payload_length);
        *buf = after;
        Ok(Self { rest: payload })
    }

    pub(super) fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    pub(super) fn item<T: Decodable>(&mut self) -> alloy_rlp::Result<T> {
        T::decode(&mut self.rest)
    }

    pub(super) fn bytes(&mut self) -> alloy_rlp::Result<&'a [u8]> {
        Header::decode_bytes(&mut self.rest, false)
    }

    fn list(&mut self) -> alloy_rlp::Result<List<'a>> {
        Self::open(&mut self.rest)
    }

    /// The next item's whole encoding, header included.
    pub(super) fn raw(&mut self) -> alloy_rlp::Result<&'a [u8]> {
        let mut after_header = self.rest;
        let header = Header::decode(&mut after_header)?;
        let header_size = self.rest.len() - after_header.len();
        let size = header_size
            .checked_add(header.payload_length)
            .filter(|size| *size <= self.rest.len())
            .ok_or(alloy_rlp::Error::InputTooShort)?;
        let (item, rest) = self.rest.split_at(size);
        self.rest = rest;
        Ok(item)
    }

    /// An optional trailing integer: absent, or anything but an integer, reads as `None`.
    fn optional_u64(&mut self) -> Option<u64> {
        let mut peek = self.rest;
        let value = u64::decode(&mut peek).ok()?;
        self.rest = peek;
        Some(value)
    }
}

#[cfg(test)]
mod tests;
