//! [`Connection`]: one RLPx session over a tokio `TcpStream`, from the handshake to messages.
//!
//! [`Connection::connect`] (initiator) and [`Connection::accept`] (recipient) run the handshake,
//! exchange Hello and negotiate capabilities, all within [`ConnectionConfig::handshake_timeout`];
//! then [`Connection::send`] and [`Connection::recv`] carry messages by id. Every message after
//! Hello is snappy-compressed when the peer speaks p2p version 5 or later (EIP-706).
//!
//! Invariants: a connection exists only after a verified handshake and a Hello whose node id is
//! the key the handshake authenticated; any error leaves the connection unusable (drop it).
//!
//! Cancel safety: [`Connection::recv`] and [`Connection::send`] may be dropped at any await (in a
//! `select!`) without breaking the stream. A frame is encoded (advancing the MAC state) into an
//! outgoing queue in one synchronous step, and the queue is written with single `write` calls
//! that advance it by what was written; whatever a cancelled call left queued is written first
//! by the next `send` or `recv`. Incoming bytes are kept in a buffer until a whole frame decodes.

use std::{net::SocketAddr, time::Duration};

use alloy_primitives::B512;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use super::{
    error::{RlpxError, RlpxResult},
    frame::{Frame, FrameCodec},
    handshake::{
        Initiator, LEGACY_ACK_LEN, LEGACY_AUTH_LEN, Recipient, decode_ack, eip8_packet_len,
    },
    p2p::{
        self, DisconnectReason, Hello, P2pMessage, PROTOCOL_VERSION, Protocol, SharedCapability,
    },
};
use crate::NodeKey;

/// How long the handshake and Hello exchange may take, unless configured otherwise.
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);

/// What we announce and how long we wait, for every connection.
#[derive(Clone, Debug)]
pub struct ConnectionConfig {
    /// Our node key.
    pub key: NodeKey,
    /// Our Hello's client id.
    pub client_id: String,
    /// The sub-protocols we speak, with their message counts.
    pub protocols: Vec<Protocol>,
    /// Our Hello's (legacy) listen port.
    pub listen_port: u16,
    /// Limit on TCP connect, handshake and Hello exchange together.
    pub handshake_timeout: Duration,
}

impl ConnectionConfig {
    fn hello(&self) -> Hello {
        Hello {
            protocol_version: PROTOCOL_VERSION,
            client_id: self.client_id.clone(),
            capabilities: self
                .protocols
                .iter()
                .map(|p| p.capability.clone())
                .collect(),
            listen_port: self.listen_port,
            node_id: self.key.public_key(),
        }
    }
}

/// A message received on a connection: its id on the wire and its decompressed payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// The message id (p2p below 0x10, then the shared capabilities' ranges).
    pub id: u64,
    /// The RLP payload, decompressed.
    pub payload: Vec<u8>,
}

/// An established RLPx session.
#[derive(Debug)]
pub struct Connection {
    stream: TcpStream,
    codec: FrameCodec,
    read_buf: Vec<u8>,
    /// Encoded frames not yet fully written, oldest first.
    write_buf: Vec<u8>,
    remote_hello: Hello,
    shared: Vec<SharedCapability>,
    compress: bool,
}

impl Connection {
    /// Connects to `addr`, expecting the node whose public key is `remote_id`, as initiator.
    pub async fn connect(
        addr: SocketAddr,
        remote_id: B512,
        config: &ConnectionConfig,
    ) -> RlpxResult<Self> {
        with_timeout(config.handshake_timeout, async {
            let mut stream = TcpStream::connect(addr).await?;
            stream.set_nodelay(true)?;
            let initiator = Initiator::new(&config.key, &remote_id)?;
            stream.write_all(initiator.auth_packet()).await?;
            let secret = *config.key.secret();
            let ack = read_handshake_packet(&mut stream, LEGACY_ACK_LEN, |packet| {
                decode_ack(&secret, packet).map(|_| ())
            })
            .await?
            .0;
            let secrets = initiator.finish(&ack)?;
            Self::exchange_hello(stream, FrameCodec::new(&secrets), remote_id, config).await
        })
        .await
    }

    /// Runs the recipient's side on a stream a listener accepted.
    pub async fn accept(mut stream: TcpStream, config: &ConnectionConfig) -> RlpxResult<Self> {
        with_timeout(config.handshake_timeout, async {
            stream.set_nodelay(true)?;
            let (_, recipient) = read_handshake_packet(&mut stream, LEGACY_AUTH_LEN, |packet| {
                Recipient::receive_auth(&config.key, packet)
            })
            .await?;
            stream.write_all(recipient.ack_packet()).await?;
            let secrets = recipient.finish();
            let remote_id = secrets.remote_public_key;
            Self::exchange_hello(stream, FrameCodec::new(&secrets), remote_id, config).await
        })
        .await
    }

    /// Sends our Hello, reads the peer's and negotiates capabilities.
    async fn exchange_hello(
        stream: TcpStream,
        codec: FrameCodec,
        remote_id: B512,
        config: &ConnectionConfig,
    ) -> RlpxResult<Self> {
        let mut conn = Self {
            stream,
            codec,
            read_buf: Vec::new(),
            write_buf: Vec::new(),
            remote_hello: config.hello(),
            shared: Vec::new(),
            compress: false,
        };
        // Hello itself is never compressed.
        conn.write_frame(p2p::HELLO, &config.hello().encode_payload())
            .await?;
        let frame = conn.read_frame().await?;
        let hello = match frame.id {
            p2p::HELLO => Hello::decode_payload(&frame.payload)?,
            p2p::DISCONNECT => {
                // Whether the peer compressed it is unknown before Hello: try both.
                let reason = P2pMessage::decode(p2p::DISCONNECT, &frame.payload).or_else(|_| {
                    P2pMessage::decode(p2p::DISCONNECT, &p2p::decompress(&frame.payload)?)
                });
                return Err(match reason {
                    Ok(Some(P2pMessage::Disconnect(reason))) => RlpxError::Disconnected(reason),
                    _ => RlpxError::Protocol("undecodable Disconnect before Hello".into()),
                });
            }
            id => {
                return Err(RlpxError::Protocol(format!(
                    "expected Hello, got message 0x{id:02x}"
                )));
            }
        };
        if hello.node_id != remote_id {
            return Err(RlpxError::UnexpectedIdentity {
                expected: Box::new(remote_id),
                got: Box::new(hello.node_id),
            });
        }
        conn.compress = hello.protocol_version >= PROTOCOL_VERSION;
        conn.shared = p2p::negotiate(&config.protocols, &hello.capabilities);
        conn.remote_hello = hello;
        if conn.shared.is_empty() && !config.protocols.is_empty() {
            // Best effort: the peer learns why; the error says it anyway.
            let _ = conn.disconnect(DisconnectReason::UselessPeer).await;
            let offered: Vec<String> = conn
                .remote_hello
                .capabilities
                .iter()
                .map(|c| c.to_string())
                .collect();
            return Err(RlpxError::NoSharedCapability {
                offered: offered.join(", "),
            });
        }
        Ok(conn)
    }

    /// The peer's Hello.
    pub fn remote_hello(&self) -> &Hello {
        &self.remote_hello
    }

    /// The peer's node id (public key), as authenticated by the handshake.
    pub fn remote_id(&self) -> B512 {
        self.remote_hello.node_id
    }

    /// Our end of the TCP stream.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.stream.local_addr()
    }

    /// The peer's end of the TCP stream.
    pub fn peer_addr(&self) -> std::io::Result<SocketAddr> {
        self.stream.peer_addr()
    }

    /// The capabilities both sides speak, with their message-id offsets.
    pub fn shared_capabilities(&self) -> &[SharedCapability] {
        &self.shared
    }

    /// Sends message `id` with its RLP `payload` (compressed here when the peer speaks p2p v5).
    /// Cancel-safe in that the stream stays whole: once this is first polled the message is
    /// queued, and a later `send` or `recv` finishes writing it.
    pub async fn send(&mut self, id: u64, payload: &[u8]) -> RlpxResult<()> {
        self.queue(id, payload)?;
        self.flush().await
    }

    /// Encodes message `id` (compressed when the peer speaks p2p v5) onto the outgoing queue.
    fn queue(&mut self, id: u64, payload: &[u8]) -> RlpxResult<()> {
        if self.compress {
            let compressed = p2p::compress(payload)?;
            self.codec.encode(id, &compressed, &mut self.write_buf)
        } else {
            self.codec.encode(id, payload, &mut self.write_buf)
        }
    }

    /// Writes the outgoing queue. Each `write` either wrote some bytes, removed from the queue
    /// before the next await, or wrote nothing: a cancellation leaves the queue exact.
    async fn flush(&mut self) -> RlpxResult<()> {
        while !self.write_buf.is_empty() {
            let written = self.stream.write(&self.write_buf).await?;
            if written == 0 {
                return Err(std::io::Error::from(std::io::ErrorKind::WriteZero).into());
            }
            self.write_buf.drain(..written);
        }
        Ok(())
    }

    /// The next message from the peer. A Ping is answered with a Pong and not returned; a
    /// Disconnect ends the connection as [`RlpxError::Disconnected`]. Cancel-safe: the Pong is
    /// queued before it is written, and frames queued by a cancelled call are written first.
    pub async fn recv(&mut self) -> RlpxResult<Message> {
        loop {
            self.flush().await?;
            let frame = self.read_frame().await?;
            let payload = if self.compress {
                p2p::decompress(&frame.payload)?
            } else {
                frame.payload
            };
            match frame.id {
                p2p::PING => {
                    // Queued now, written by the flush at the top of the loop.
                    let pong = P2pMessage::Pong.encode_payload();
                    self.queue(p2p::PONG, &pong)?;
                }
                p2p::DISCONNECT => {
                    let reason = match P2pMessage::decode(p2p::DISCONNECT, &payload)? {
                        Some(P2pMessage::Disconnect(reason)) => reason,
                        _ => DisconnectReason::DisconnectRequested,
                    };
                    return Err(RlpxError::Disconnected(reason));
                }
                id => return Ok(Message { id, payload }),
            }
        }
    }

    /// Sends Disconnect with `reason` and closes our side of the stream.
    pub async fn disconnect(&mut self, reason: DisconnectReason) -> RlpxResult<()> {
        let payload = P2pMessage::Disconnect(reason).encode_payload();
        self.send(p2p::DISCONNECT, &payload).await?;
        self.stream.shutdown().await?;
        Ok(())
    }

    async fn write_frame(&mut self, id: u64, payload: &[u8]) -> RlpxResult<()> {
        self.codec.encode(id, payload, &mut self.write_buf)?;
        self.flush().await
    }

    async fn read_frame(&mut self) -> RlpxResult<Frame> {
        loop {
            if let Some(frame) = self.codec.decode(&mut self.read_buf)? {
                return Ok(frame);
            }
            self.read_buf.reserve(4096);
            if self.stream.read_buf(&mut self.read_buf).await? == 0 {
                return Err(std::io::Error::from(std::io::ErrorKind::UnexpectedEof).into());
            }
        }
    }
}

async fn with_timeout<T>(
    limit: Duration,
    work: impl Future<Output = RlpxResult<T>>,
) -> RlpxResult<T> {
    tokio::time::timeout(limit, work)
        .await
        .map_err(|_| RlpxError::Timeout(limit))?
}

/// Reads one auth or ack packet. A packet starting with `0x04` may be legacy
/// (`legacy_len` bytes) or EIP-8 (its size prefix then reads as at least 1024, more than any
/// legacy length): the legacy reading is tried first, without reading past it.
async fn read_handshake_packet<T>(
    stream: &mut TcpStream,
    legacy_len: usize,
    decode: impl Fn(&[u8]) -> RlpxResult<T>,
) -> RlpxResult<(Vec<u8>, T)> {
    let mut packet = vec![0u8; 2];
    stream.read_exact(&mut packet).await?;
    let eip8_len = eip8_packet_len([packet[0], packet[1]]);
    if packet[0] == 0x04 {
        packet.resize(legacy_len, 0);
        stream.read_exact(&mut packet[2..]).await?;
        if let Ok(decoded) = decode(&packet) {
            return Ok((packet, decoded));
        }
    }
    let read = packet.len();
    packet.resize(eip8_len.max(read), 0);
    stream.read_exact(&mut packet[read..]).await?;
    let decoded = decode(&packet)?;
    Ok((packet, decoded))
}

#[cfg(test)]
mod tests;
