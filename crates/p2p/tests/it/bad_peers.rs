//! Bad input at the connection level: a [`PeerManager`] facing peers that send a garbage
//! handshake, a frame with a wrong MAC, a message declaring more than the 16 MiB limit or an
//! unknown message id ends each of those connections, and only those: a well-behaved peer on the
//! same manager stays listed and keeps answering requests, and the listener keeps accepting.
//!
//! The bad peers speak RLPx by hand ([`RawPeer`]: its own handshake, frame codec and socket), so
//! they can send what [`Connection`] never would. Everything binds 127.0.0.1 and every wait is
//! bounded.

use std::{net::SocketAddr, time::Duration};

use alloy_primitives::B512;
use ethrex_common::Fork;
use ethrex_p2p::{
    NodeKey,
    eth::{self, EthContext, EthMessage, EthPeer, HashOrNumber, HeadersQuery, LocalChain},
    peers::{PeerManager, PeerManagerConfig},
    rlpx::{
        Connection, ConnectionConfig, DisconnectReason, Frame, FrameCodec, Hello, P2pMessage,
        handshake::{Initiator, eip8_packet_len},
        p2p::{self, PROTOCOL_VERSION},
    },
};
use ethrex_storage::Store;
use ethrex_test_utils::GenesisBuilder;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    time::{Instant, timeout},
};

const NETWORK: u64 = ethrex_common::dev::DEV_CHAIN_ID;
/// Bound on every wait of these tests.
const LIMIT: Duration = Duration::from_secs(10);
/// The first eth message id (right after the p2p base protocol): eth is the only capability
/// the raw peers offer.
const ETH_OFFSET: u64 = p2p::BASE_PROTOCOL_LENGTH;

/// A genesis-only dev chain, the same for every node of a test.
fn store() -> Store {
    let store = Store::in_memory();
    store
        .init_genesis(&GenesisBuilder::new(Fork::Prague).build())
        .unwrap();
    store
}

fn connection_config(key: NodeKey) -> ConnectionConfig {
    ConnectionConfig {
        key,
        client_id: "ethrex/test".into(),
        protocols: eth::protocols(),
        listen_port: 0,
        handshake_timeout: Duration::from_secs(5),
    }
}

/// A manager listening on 127.0.0.1 (a free port): it, its address and its node id.
async fn manager() -> (PeerManager, SocketAddr, B512) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let key = NodeKey::random();
    let id = key.public_key();
    let config = PeerManagerConfig::new(
        connection_config(key),
        EthContext::new(store(), NETWORK),
        25,
    );
    (PeerManager::start(config, listener), addr, id)
}

/// A well-behaved peer: our own connection and eth session to the manager, and its node id.
async fn good_peer(addr: SocketAddr, manager_id: B512) -> (EthPeer, B512) {
    let config = connection_config(NodeKey::random());
    let own_id = config.key.public_key();
    let conn = Connection::connect(addr, manager_id, &config)
        .await
        .unwrap();
    let (peer, _session) = EthPeer::start(conn, EthContext::new(store(), NETWORK))
        .await
        .unwrap();
    assert_eq!(peer.remote_id(), manager_id);
    (peer, own_id)
}

/// Waits until the manager lists exactly the peers `ids`, in any order.
async fn wait_for_peers(manager: &PeerManager, ids: &[B512]) {
    let deadline = Instant::now() + LIMIT;
    loop {
        let mut listed: Vec<B512> = manager.peers().iter().map(|p| p.id).collect();
        listed.sort();
        let mut expected = ids.to_vec();
        expected.sort();
        if listed == expected {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "expected peers {expected:?}, listed {listed:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The good peer is still served: its genesis header request is answered.
async fn assert_still_served(peer: &EthPeer) {
    let query = HeadersQuery {
        origin: HashOrNumber::Number(0),
        amount: 1,
        skip: 0,
        reverse: false,
    };
    let headers = timeout(LIMIT, peer.request_headers(query))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(headers.len(), 1);
    assert_eq!(headers[0].number, 0);
}

/// A peer speaking RLPx by hand.
struct RawPeer {
    key: NodeKey,
    stream: TcpStream,
    codec: FrameCodec,
    read_buf: Vec<u8>,
}

impl RawPeer {
    /// Handshake with the node at `addr`, then Hello (offering eth/68 and eth/69) both ways.
    async fn connect(addr: SocketAddr, remote_id: B512) -> Self {
        let key = NodeKey::random();
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let initiator = Initiator::new(&key, &remote_id).unwrap();
        stream.write_all(initiator.auth_packet()).await.unwrap();
        let mut ack = vec![0u8; 2];
        timeout(LIMIT, stream.read_exact(&mut ack))
            .await
            .unwrap()
            .unwrap();
        ack.resize(eip8_packet_len([ack[0], ack[1]]), 0);
        timeout(LIMIT, stream.read_exact(&mut ack[2..]))
            .await
            .unwrap()
            .unwrap();
        let secrets = initiator.finish(&ack).unwrap();
        let mut peer = Self {
            key,
            stream,
            codec: FrameCodec::new(&secrets),
            read_buf: Vec::new(),
        };
        let hello = Hello {
            protocol_version: PROTOCOL_VERSION,
            client_id: "raw".into(),
            capabilities: eth::protocols().into_iter().map(|p| p.capability).collect(),
            listen_port: 0,
            node_id: peer.key.public_key(),
        };
        peer.send_frame(p2p::HELLO, &hello.encode_payload()).await;
        let theirs = peer.recv_frame().await.unwrap();
        assert_eq!(theirs.id, p2p::HELLO);
        assert_eq!(
            Hello::decode_payload(&theirs.payload).unwrap().node_id,
            remote_id
        );
        peer
    }

    /// [`Self::connect`], then the Status exchange: the node's Status is sent back unchanged
    /// (same chain), so the node lists this peer.
    async fn connect_with_status(addr: SocketAddr, remote_id: B512) -> Self {
        let mut peer = Self::connect(addr, remote_id).await;
        let status = peer.recv_frame().await.unwrap();
        assert_eq!(status.id, ETH_OFFSET);
        let payload = p2p::decompress(&status.payload).unwrap();
        let chain = LocalChain::load(&store(), NETWORK).unwrap();
        match EthMessage::decode(eth::EthVersion::Eth69, 0, &payload).unwrap() {
            EthMessage::Status(theirs) => chain.validate(&theirs, eth::EthVersion::Eth69).unwrap(),
            other => panic!("expected Status, got {other:?}"),
        }
        peer.send_frame(ETH_OFFSET, &status.payload).await;
        peer
    }

    /// Sends message `id` with `payload` as is (the caller compresses).
    async fn send_frame(&mut self, id: u64, payload: &[u8]) {
        let mut frame = Vec::new();
        self.codec.encode(id, payload, &mut frame).unwrap();
        self.stream.write_all(&frame).await.unwrap();
    }

    /// The next frame, or `None` once the node closed the connection.
    async fn recv_frame(&mut self) -> Option<Frame> {
        loop {
            if let Some(frame) = self.codec.decode(&mut self.read_buf).unwrap() {
                return Some(frame);
            }
            self.read_buf.reserve(4096);
            let read = timeout(LIMIT, self.stream.read_buf(&mut self.read_buf))
                .await
                .expect("the node neither answered nor closed the connection");
            match read {
                Ok(0) | Err(_) => return None,
                Ok(_) => {}
            }
        }
    }

    /// Waits until the node closes the connection; the reason of its Disconnect if one came.
    async fn wait_for_close(mut self) -> Option<DisconnectReason> {
        let mut reason = None;
        while let Some(frame) = self.recv_frame().await {
            if frame.id == p2p::DISCONNECT {
                let payload = p2p::decompress(&frame.payload).unwrap();
                if let Some(P2pMessage::Disconnect(why)) =
                    P2pMessage::decode(p2p::DISCONNECT, &payload).unwrap()
                {
                    reason = Some(why);
                }
            }
        }
        reason
    }
}

/// Waits until the node closes a raw TCP connection (EOF or reset), whatever it sent.
async fn wait_for_tcp_close(mut stream: TcpStream, what: &str) {
    let mut sink = [0u8; 1024];
    loop {
        let read = timeout(LIMIT, stream.read(&mut sink))
            .await
            .unwrap_or_else(|_| panic!("the node kept the connection that sent {what}"));
        if matches!(read, Ok(0) | Err(_)) {
            return;
        }
    }
}

#[tokio::test]
async fn garbage_instead_of_auth_drops_that_connection_and_the_listener_keeps_serving() {
    let (manager, addr, id) = manager().await;
    let (good, good_id) = good_peer(addr, id).await;
    wait_for_peers(&manager, &[good_id]).await;
    // Garbage read as legacy then as EIP-8 (0x04 0x00: a legacy prefix, and an EIP-8 size of
    // 1024 that arrives), EIP-8-sized garbage, a size prefix promising more than arrives before
    // the peer closes, and three bytes.
    let mut legacy = vec![0x04, 0x00];
    legacy.extend((0..1024u16).map(|i| i.to_le_bytes()[0] ^ 0x5a));
    let mut eip8 = 300u16.to_be_bytes().to_vec();
    eip8.extend((0..300u16).map(|i| i.to_le_bytes()[0].wrapping_mul(13)));
    let cases: [(&str, Vec<u8>, bool); 4] = [
        ("legacy then EIP-8 garbage", legacy, false),
        ("EIP-8-sized garbage", eip8, false),
        ("a truncated packet", vec![0x01, 0x00, 0xaa, 0xbb], true),
        ("three bytes", vec![0xde, 0xad, 0xbe], true),
    ];
    for (what, bytes, then_close_ours) in cases {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream.write_all(&bytes).await.unwrap();
        if then_close_ours {
            stream.shutdown().await.unwrap();
        }
        wait_for_tcp_close(stream, what).await;
        wait_for_peers(&manager, &[good_id]).await;
        assert_still_served(&good).await;
        // The listener still takes a new, good peer after each bad one.
        let newcomer = RawPeer::connect_with_status(addr, id).await;
        let newcomer_id = newcomer.key.public_key();
        wait_for_peers(&manager, &[good_id, newcomer_id]).await;
        drop(newcomer);
        wait_for_peers(&manager, &[good_id]).await;
    }
}

#[tokio::test]
async fn a_wrong_frame_mac_drops_that_peer_only() {
    let (manager, addr, id) = manager().await;
    let (good, good_id) = good_peer(addr, id).await;
    let mut bad = RawPeer::connect_with_status(addr, id).await;
    wait_for_peers(&manager, &[good_id, bad.key.public_key()]).await;
    let mut frame = Vec::new();
    let ping = p2p::compress(&P2pMessage::Ping.encode_payload()).unwrap();
    bad.codec.encode(p2p::PING, &ping, &mut frame).unwrap();
    let last = frame.len() - 1;
    frame[last] ^= 0x01;
    bad.stream.write_all(&frame).await.unwrap();
    // No Disconnect can be trusted after a MAC failure: the node just closes.
    bad.wait_for_close().await;
    wait_for_peers(&manager, &[good_id]).await;
    assert_still_served(&good).await;
}

#[tokio::test]
async fn a_wrong_header_mac_drops_that_peer_only() {
    let (manager, addr, id) = manager().await;
    let (good, good_id) = good_peer(addr, id).await;
    let mut bad = RawPeer::connect_with_status(addr, id).await;
    wait_for_peers(&manager, &[good_id, bad.key.public_key()]).await;
    let mut frame = Vec::new();
    let ping = p2p::compress(&P2pMessage::Ping.encode_payload()).unwrap();
    bad.codec.encode(p2p::PING, &ping, &mut frame).unwrap();
    frame[20] ^= 0x80; // inside the header MAC
    bad.stream.write_all(&frame).await.unwrap();
    bad.wait_for_close().await;
    wait_for_peers(&manager, &[good_id]).await;
    assert_still_served(&good).await;
}

#[tokio::test]
async fn a_message_declaring_over_16_mib_drops_that_peer_only() {
    let (manager, addr, id) = manager().await;
    let (good, good_id) = good_peer(addr, id).await;
    let mut bad = RawPeer::connect_with_status(addr, id).await;
    wait_for_peers(&manager, &[good_id, bad.key.public_key()]).await;
    // The 24-bit frame size cannot exceed the frame limit (16 MiB - 1), so the size limit a peer
    // can overstep is the message's: a snappy length of 16 MiB + 1, with no data behind it.
    let bomb = [0x81, 0x80, 0x80, 0x08];
    bad.send_frame(ETH_OFFSET + eth::messages::id::BLOCK_HEADERS, &bomb)
        .await;
    bad.wait_for_close().await;
    wait_for_peers(&manager, &[good_id]).await;
    assert_still_served(&good).await;
}

#[tokio::test]
async fn an_unknown_message_id_disconnects_that_peer_only() {
    let (manager, addr, id) = manager().await;
    let (good, good_id) = good_peer(addr, id).await;
    // Past every capability's range, and a base-protocol id p2p does not define.
    for unknown in [ETH_OFFSET + 0x40, 0x05] {
        let mut bad = RawPeer::connect_with_status(addr, id).await;
        wait_for_peers(&manager, &[good_id, bad.key.public_key()]).await;
        bad.send_frame(unknown, &p2p::compress(&[0xc0]).unwrap())
            .await;
        assert_eq!(
            bad.wait_for_close().await,
            Some(DisconnectReason::BreachOfProtocol),
            "message 0x{unknown:02x}"
        );
        wait_for_peers(&manager, &[good_id]).await;
        assert_still_served(&good).await;
    }
}
