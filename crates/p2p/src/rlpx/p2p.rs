//! The "p2p" base protocol every RLPx connection speaks: [`Hello`], Disconnect (with its
//! [`DisconnectReason`]), Ping and Pong ([`P2pMessage`]); capability negotiation
//! ([`negotiate`]: which sub-protocols two peers share and at which message-id offsets); and the
//! snappy compression applied to every message after Hello ([`compress`], [`decompress`]).
//!
//! Decoding follows EIP-8: extra list elements are ignored and the peer's version is not checked.
//! A compressed message declaring more than [`MAX_MESSAGE_SIZE`] bytes is rejected from its
//! snappy length header, before anything is decompressed.

use alloy_primitives::B512;
use alloy_rlp::{Decodable, Encodable, Header};

use super::error::{RlpxError, RlpxResult};

/// The p2p protocol version we speak (5: snappy compression, EIP-706).
pub const PROTOCOL_VERSION: u64 = 5;
/// Message ids 0x00..0x10 belong to the p2p protocol; capabilities' ids start here.
pub const BASE_PROTOCOL_LENGTH: u64 = 0x10;
/// The largest decompressed message accepted: 16 MiB.
pub const MAX_MESSAGE_SIZE: usize = 16 * 1024 * 1024;

/// Message id of Hello.
pub const HELLO: u64 = 0x00;
/// Message id of Disconnect.
pub const DISCONNECT: u64 = 0x01;
/// Message id of Ping.
pub const PING: u64 = 0x02;
/// Message id of Pong.
pub const PONG: u64 = 0x03;

/// A sub-protocol and version, as announced in Hello (`[name, version]`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Capability {
    /// Short ASCII name (at most 8 characters), case-sensitive: "eth", "snap".
    pub name: String,
    /// The version.
    pub version: u64,
}

impl Capability {
    /// `name/version`.
    pub fn new(name: &str, version: u64) -> Self {
        Self {
            name: name.into(),
            version,
        }
    }
}

impl std::fmt::Display for Capability {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.name, self.version)
    }
}

impl Encodable for Capability {
    fn encode(&self, out: &mut dyn alloy_rlp::BufMut) {
        Header {
            list: true,
            payload_length: self.name.as_bytes().length() + self.version.length(),
        }
        .encode(out);
        self.name.as_bytes().encode(out);
        self.version.encode(out);
    }

    fn length(&self) -> usize {
        let payload_length = self.name.as_bytes().length() + self.version.length();
        payload_length + alloy_rlp::length_of_length(payload_length)
    }
}

impl Decodable for Capability {
    fn decode(buf: &mut &[u8]) -> alloy_rlp::Result<Self> {
        let mut fields = Header::decode_bytes(buf, true)?;
        let name = Header::decode_bytes(&mut fields, false)?;
        Ok(Self {
            name: String::from_utf8_lossy(name).into_owned(),
            version: decode_lenient_u64(&mut fields)?,
        })
    }
}

/// A sub-protocol we support, with the number of message ids it uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Protocol {
    /// Name and version.
    pub capability: Capability,
    /// How many message ids it needs (eth/68: 17).
    pub message_count: u64,
}

/// A capability both peers support, placed in the message-id space.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SharedCapability {
    /// Name and the highest version both support.
    pub capability: Capability,
    /// Its first message id.
    pub offset: u64,
    /// How many message ids it uses.
    pub message_count: u64,
}

impl SharedCapability {
    /// Whether `id` (a message id on the wire) falls in this capability's range.
    pub fn contains(&self, id: u64) -> bool {
        id >= self.offset && id - self.offset < self.message_count
    }
}

/// The capabilities shared with a peer: for each name in both lists the highest version in both,
/// ordered by name (byte-wise, case-sensitive), given consecutive id ranges from
/// [`BASE_PROTOCOL_LENGTH`] on.
pub fn negotiate(ours: &[Protocol], theirs: &[Capability]) -> Vec<SharedCapability> {
    let mut best: std::collections::BTreeMap<&str, &Protocol> = Default::default();
    for protocol in ours.iter().filter(|p| theirs.contains(&p.capability)) {
        let name = protocol.capability.name.as_str();
        match best.get(name) {
            Some(current) if current.capability.version >= protocol.capability.version => {}
            _ => {
                best.insert(name, protocol);
            }
        }
    }
    let mut offset = BASE_PROTOCOL_LENGTH;
    best.into_values()
        .map(|protocol| {
            let shared = SharedCapability {
                capability: protocol.capability.clone(),
                offset,
                message_count: protocol.message_count,
            };
            offset = offset.saturating_add(protocol.message_count);
            shared
        })
        .collect()
}

/// The first message on a connection:
/// `[protocolVersion, clientId, [[cap, version], ...], listenPort, nodeId, ...]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hello {
    /// The sender's p2p version (5 for us; others' is not checked).
    pub protocol_version: u64,
    /// Human-readable client name, e.g. `ethrex/v0.1.0/linux-x86_64/rustc1.94`.
    pub client_id: String,
    /// The sub-protocols the sender supports.
    pub capabilities: Vec<Capability>,
    /// Legacy: the sender's listening port (0 if none); ignored on receive.
    pub listen_port: u16,
    /// The sender's public key, 64 bytes (its node id on the wire).
    pub node_id: B512,
}

impl Hello {
    /// The RLP payload.
    pub fn encode_payload(&self) -> Vec<u8> {
        let mut capabilities = Vec::new();
        alloy_rlp::encode_list(&self.capabilities, &mut capabilities);
        let port = u64::from(self.listen_port);
        let client_id = self.client_id.as_bytes();
        let payload_length = self.protocol_version.length()
            + client_id.length()
            + capabilities.len()
            + port.length()
            + self.node_id.length();
        let mut out = Vec::with_capacity(payload_length + 3);
        Header {
            list: true,
            payload_length,
        }
        .encode(&mut out);
        self.protocol_version.encode(&mut out);
        client_id.encode(&mut out);
        out.extend_from_slice(&capabilities);
        port.encode(&mut out);
        self.node_id.encode(&mut out);
        out
    }

    /// Decodes a Hello payload, ignoring extra elements.
    pub fn decode_payload(payload: &[u8]) -> RlpxResult<Self> {
        let rlp = RlpxError::rlp("Hello");
        let mut fields = Header::decode_bytes(&mut &payload[..], true).map_err(&rlp)?;
        let protocol_version = decode_lenient_u64(&mut fields).map_err(&rlp)?;
        let client_id = Header::decode_bytes(&mut fields, false).map_err(&rlp)?;
        let capabilities = Vec::<Capability>::decode(&mut fields).map_err(&rlp)?;
        let listen_port = decode_lenient_u64(&mut fields).map_err(&rlp)?;
        Ok(Self {
            protocol_version,
            client_id: String::from_utf8_lossy(client_id).into_owned(),
            capabilities,
            listen_port: u16::try_from(listen_port).unwrap_or(0),
            node_id: B512::decode(&mut fields).map_err(&rlp)?,
        })
    }
}

/// Why a peer disconnects (the Disconnect message's reason code).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DisconnectReason {
    /// 0x00
    DisconnectRequested,
    /// 0x01
    TcpSubsystemError,
    /// 0x02
    BreachOfProtocol,
    /// 0x03
    UselessPeer,
    /// 0x04
    TooManyPeers,
    /// 0x05
    AlreadyConnected,
    /// 0x06
    IncompatibleP2pVersion,
    /// 0x07
    NullNodeIdentity,
    /// 0x08
    ClientQuitting,
    /// 0x09
    UnexpectedIdentity,
    /// 0x0a
    ConnectedToSelf,
    /// 0x0b
    PingTimeout,
    /// 0x10
    SubprotocolReason,
    /// A code the spec does not define.
    Other(u8),
}

impl DisconnectReason {
    /// Every defined reason, in code order.
    pub const ALL: [Self; 13] = [
        Self::DisconnectRequested,
        Self::TcpSubsystemError,
        Self::BreachOfProtocol,
        Self::UselessPeer,
        Self::TooManyPeers,
        Self::AlreadyConnected,
        Self::IncompatibleP2pVersion,
        Self::NullNodeIdentity,
        Self::ClientQuitting,
        Self::UnexpectedIdentity,
        Self::ConnectedToSelf,
        Self::PingTimeout,
        Self::SubprotocolReason,
    ];

    /// The wire code.
    pub fn code(self) -> u8 {
        match self {
            Self::DisconnectRequested => 0x00,
            Self::TcpSubsystemError => 0x01,
            Self::BreachOfProtocol => 0x02,
            Self::UselessPeer => 0x03,
            Self::TooManyPeers => 0x04,
            Self::AlreadyConnected => 0x05,
            Self::IncompatibleP2pVersion => 0x06,
            Self::NullNodeIdentity => 0x07,
            Self::ClientQuitting => 0x08,
            Self::UnexpectedIdentity => 0x09,
            Self::ConnectedToSelf => 0x0a,
            Self::PingTimeout => 0x0b,
            Self::SubprotocolReason => 0x10,
            Self::Other(code) => code,
        }
    }

    /// The reason with this wire code.
    pub fn from_code(code: u8) -> Self {
        Self::ALL
            .into_iter()
            .find(|reason| reason.code() == code)
            .unwrap_or(Self::Other(code))
    }

    /// The spec's description.
    pub fn name(self) -> &'static str {
        match self {
            Self::DisconnectRequested => "disconnect requested",
            Self::TcpSubsystemError => "TCP sub-system error",
            Self::BreachOfProtocol => "breach of protocol",
            Self::UselessPeer => "useless peer",
            Self::TooManyPeers => "too many peers",
            Self::AlreadyConnected => "already connected",
            Self::IncompatibleP2pVersion => "incompatible P2P protocol version",
            Self::NullNodeIdentity => "null node identity received",
            Self::ClientQuitting => "client quitting",
            Self::UnexpectedIdentity => "unexpected identity in handshake",
            Self::ConnectedToSelf => "connected to self",
            Self::PingTimeout => "ping timeout",
            Self::SubprotocolReason => "subprotocol-specific reason",
            Self::Other(_) => "unknown reason",
        }
    }
}

impl std::fmt::Display for DisconnectReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (0x{:02x})", self.name(), self.code())
    }
}

/// A message of the p2p protocol.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum P2pMessage {
    /// 0x00
    Hello(Hello),
    /// 0x01
    Disconnect(DisconnectReason),
    /// 0x02
    Ping,
    /// 0x03
    Pong,
}

impl P2pMessage {
    /// The message id.
    pub fn id(&self) -> u64 {
        match self {
            Self::Hello(_) => HELLO,
            Self::Disconnect(_) => DISCONNECT,
            Self::Ping => PING,
            Self::Pong => PONG,
        }
    }

    /// The RLP payload (uncompressed).
    pub fn encode_payload(&self) -> Vec<u8> {
        match self {
            Self::Hello(hello) => hello.encode_payload(),
            Self::Disconnect(reason) => {
                let mut out = Vec::with_capacity(3);
                alloy_rlp::encode_list(&[reason.code()], &mut out);
                out
            }
            Self::Ping | Self::Pong => vec![alloy_rlp::EMPTY_LIST_CODE],
        }
    }

    /// Decodes the (uncompressed) payload of message `id`; `None` for ids the p2p protocol does
    /// not define.
    pub fn decode(id: u64, payload: &[u8]) -> RlpxResult<Option<Self>> {
        Ok(Some(match id {
            HELLO => Self::Hello(Hello::decode_payload(payload)?),
            DISCONNECT => Self::Disconnect(decode_disconnect(payload)?),
            PING => Self::Ping,
            PONG => Self::Pong,
            _ => return Ok(None),
        }))
    }
}

/// `[reason]`; also accepted: an empty list or no payload (no reason given: "disconnect
/// requested") and a bare integer, as some clients send.
fn decode_disconnect(payload: &[u8]) -> RlpxResult<DisconnectReason> {
    let rlp = RlpxError::rlp("Disconnect");
    let Some(&first) = payload.first() else {
        return Ok(DisconnectReason::DisconnectRequested);
    };
    let mut buf = payload;
    let code = if first >= alloy_rlp::EMPTY_LIST_CODE {
        let mut fields = Header::decode_bytes(&mut buf, true).map_err(&rlp)?;
        if fields.is_empty() {
            return Ok(DisconnectReason::DisconnectRequested);
        }
        decode_lenient_u64(&mut fields).map_err(&rlp)?
    } else {
        decode_lenient_u64(&mut buf).map_err(&rlp)?
    };
    Ok(DisconnectReason::from_code(
        u8::try_from(code).unwrap_or(u8::MAX),
    ))
}

/// An integer field whose value is not checked (versions, ports: EIP-8 asks to tolerate them):
/// one wider than 8 bytes reads as `u64::MAX`.
pub(crate) fn decode_lenient_u64(buf: &mut &[u8]) -> alloy_rlp::Result<u64> {
    let bytes = Header::decode_bytes(buf, false)?;
    if bytes.len() > 8 {
        return Ok(u64::MAX);
    }
    Ok(bytes.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
}

/// Snappy-compresses (raw/block format) a message payload of at most [`MAX_MESSAGE_SIZE`] bytes.
pub fn compress(payload: &[u8]) -> RlpxResult<Vec<u8>> {
    if payload.len() > MAX_MESSAGE_SIZE {
        return Err(RlpxError::MessageTooLarge {
            size: payload.len(),
            max: MAX_MESSAGE_SIZE,
        });
    }
    Ok(snap::raw::Encoder::new().compress_vec(payload)?)
}

/// Decompresses a snappy (raw/block) payload, refusing from its length header alone one that
/// would exceed [`MAX_MESSAGE_SIZE`].
pub fn decompress(compressed: &[u8]) -> RlpxResult<Vec<u8>> {
    let size = snap::raw::decompress_len(compressed)?;
    if size > MAX_MESSAGE_SIZE {
        return Err(RlpxError::MessageTooLarge {
            size,
            max: MAX_MESSAGE_SIZE,
        });
    }
    Ok(snap::raw::Decoder::new().decompress_vec(compressed)?)
}

#[cfg(test)]
mod tests;
