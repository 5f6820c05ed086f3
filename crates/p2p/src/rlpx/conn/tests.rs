//! Connection tests over loopback TCP: two of our own nodes, handshake, Hello, messages.

use tokio::net::TcpListener;

use crate::rlpx::handshake::Initiator;

use super::*;
use crate::rlpx::p2p::Capability;

fn config(protocols: &[(&str, u64, u64)]) -> ConnectionConfig {
    ConnectionConfig {
        key: NodeKey::random(),
        client_id: "ethrex/test".into(),
        protocols: protocols
            .iter()
            .map(|&(name, version, message_count)| Protocol {
                capability: Capability::new(name, version),
                message_count,
            })
            .collect(),
        listen_port: 30303,
        handshake_timeout: Duration::from_secs(5),
    }
}

/// Dials a fresh listener running `recipient`: (initiator's result, recipient's result).
async fn connect_pair(
    initiator: &ConnectionConfig,
    recipient: ConnectionConfig,
    dial_id: Option<B512>,
) -> (RlpxResult<Connection>, RlpxResult<Connection>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let id = dial_id.unwrap_or(recipient.key.public_key());
    let accepting = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        Connection::accept(stream, &recipient).await
    });
    let dialed = Connection::connect(addr, id, initiator).await;
    (dialed, accepting.await.unwrap())
}

#[tokio::test]
async fn two_nodes_handshake_exchange_hello_and_messages_with_snappy() {
    let a = config(&[("eth", 68, 17), ("eth", 69, 18), ("snap", 1, 8)]);
    let b = config(&[("snap", 1, 8), ("eth", 68, 17)]);
    let (a_id, b_id) = (a.key.public_key(), b.key.public_key());
    let (dialed, accepted) = connect_pair(&a, b, None).await;
    let (mut a_conn, mut b_conn) = (dialed.unwrap(), accepted.unwrap());

    assert_eq!(a_conn.remote_id(), b_id);
    assert_eq!(b_conn.remote_id(), a_id);
    assert_eq!(a_conn.remote_hello().protocol_version, PROTOCOL_VERSION);
    assert_eq!(a_conn.remote_hello().client_id, "ethrex/test");
    assert_eq!(a_conn.remote_hello().listen_port, 30303);
    let offsets = |conn: &Connection| -> Vec<(String, u64)> {
        conn.shared_capabilities()
            .iter()
            .map(|s| (s.capability.to_string(), s.offset))
            .collect()
    };
    let expected = vec![("eth/68".to_string(), 0x10), ("snap/1".to_string(), 0x21)];
    assert_eq!(offsets(&a_conn), expected);
    assert_eq!(offsets(&b_conn), expected);
    assert!(a_conn.compress && b_conn.compress);

    // A large, compressible message each way; a Ping is answered by the receiving side.
    let big: Vec<u8> = (0..200_000u32).map(|i| (i / 1000) as u8).collect();
    a_conn.send(p2p::PING, &[0xc0]).await.unwrap();
    a_conn.send(0x21, &big).await.unwrap();
    assert_eq!(
        b_conn.recv().await.unwrap(),
        Message {
            id: 0x21,
            payload: big.clone()
        }
    );
    b_conn.send(0x10, b"\xc3\x01\x02\x03").await.unwrap();
    assert_eq!(
        a_conn.recv().await.unwrap(),
        Message {
            id: p2p::PONG,
            payload: vec![0xc0]
        }
    );
    assert_eq!(a_conn.recv().await.unwrap().payload, b"\xc3\x01\x02\x03");

    b_conn
        .disconnect(DisconnectReason::TooManyPeers)
        .await
        .unwrap();
    assert!(matches!(
        a_conn.recv().await,
        Err(RlpxError::Disconnected(DisconnectReason::TooManyPeers))
    ));
}

/// Bytes snappy cannot shrink (a xorshift stream), so a large message fills the socket buffers.
fn incompressible(len: usize) -> Vec<u8> {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state.to_le_bytes()[0]
        })
        .collect()
}

#[tokio::test]
async fn a_send_cancelled_mid_write_is_finished_by_the_next_call() {
    let (dialed, accepted) = connect_pair(&config(&[]), config(&[]), None).await;
    let (mut a_conn, mut b_conn) = (dialed.unwrap(), accepted.unwrap());
    // 12 MiB while the peer does not read: the write blocks once the socket buffers are full.
    let big = incompressible(12 << 20);
    let cancelled = tokio::time::timeout(Duration::from_millis(100), a_conn.send(0x10, &big)).await;
    assert!(cancelled.is_err(), "the send should have blocked");
    assert!(!a_conn.write_buf.is_empty());
    // A cancelled recv (nothing to read) leaves the queue as it was, or writes some of it.
    let _ = tokio::time::timeout(Duration::from_millis(10), a_conn.recv()).await;

    let writer = tokio::spawn(async move {
        a_conn.send(0x11, b"\xc0").await.unwrap();
        a_conn
    });
    assert_eq!(
        b_conn.recv().await.unwrap(),
        Message {
            id: 0x10,
            payload: big
        }
    );
    assert_eq!(b_conn.recv().await.unwrap().id, 0x11);
    assert!(writer.await.unwrap().write_buf.is_empty());
}

#[tokio::test]
async fn a_pong_survives_recv_being_cancelled_in_a_select() {
    let (dialed, accepted) = connect_pair(&config(&[]), config(&[]), None).await;
    let (mut a_conn, mut b_conn) = (dialed.unwrap(), accepted.unwrap());
    for _ in 0..3 {
        b_conn.send(p2p::PING, &[0xc0]).await.unwrap();
    }
    b_conn.send(0x10, b"\xc0").await.unwrap();
    // Poll recv once at a time, dropping it each time, as a select! losing a race would.
    let message = loop {
        match tokio::time::timeout(Duration::ZERO, a_conn.recv()).await {
            Ok(message) => break message.unwrap(),
            Err(_) => tokio::task::yield_now().await,
        }
    };
    assert_eq!(message.id, 0x10);
    a_conn.send(0x11, b"\xc0").await.unwrap();
    for _ in 0..3 {
        assert_eq!(b_conn.recv().await.unwrap().id, p2p::PONG);
    }
    assert_eq!(b_conn.recv().await.unwrap().id, 0x11);
}

#[tokio::test]
async fn peers_without_a_shared_capability_are_useless() {
    let (dialed, accepted) = connect_pair(
        &config(&[("eth", 68, 17)]),
        config(&[("eth", 69, 18)]),
        None,
    )
    .await;
    match dialed {
        Err(RlpxError::NoSharedCapability { offered }) => assert_eq!(offered, "eth/69"),
        other => panic!("{other:?}"),
    }
    match accepted {
        Err(RlpxError::NoSharedCapability { offered }) => assert_eq!(offered, "eth/68"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn dialing_the_wrong_node_id_fails_both_sides() {
    let wrong = NodeKey::random().public_key();
    let (dialed, accepted) = connect_pair(&config(&[]), config(&[]), Some(wrong)).await;
    // The recipient cannot decrypt an auth sealed to another key and drops the connection.
    assert!(
        matches!(accepted, Err(RlpxError::EciesBadMac)),
        "{accepted:?}"
    );
    assert!(dialed.is_err());
}

#[tokio::test]
async fn a_silent_peer_times_the_handshake_out() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let silent = tokio::spawn(async move { listener.accept().await.unwrap().0 });
    let mut cfg = config(&[]);
    cfg.handshake_timeout = Duration::from_millis(200);
    let result = Connection::connect(addr, NodeKey::random().public_key(), &cfg).await;
    assert!(matches!(result, Err(RlpxError::Timeout(limit)) if limit == cfg.handshake_timeout));
    // And a recipient whose initiator never sends auth.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let _client = TcpStream::connect(addr).await.unwrap();
    let (stream, _) = listener.accept().await.unwrap();
    let result = Connection::accept(stream, &cfg).await;
    assert!(matches!(result, Err(RlpxError::Timeout(_))));
    drop(silent);
}

#[tokio::test]
async fn garbage_instead_of_auth_fails_accept_and_the_listener_serves_the_next_peer() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let recipient = config(&[]);
    let recipient_id = recipient.key.public_key();
    // Garbage read as legacy then as EIP-8 (0x04 0x00 is a legacy prefix and an EIP-8 size of
    // 1024), EIP-8-sized garbage, then packets cut short by the peer closing.
    let mut legacy = vec![0x04, 0x00];
    legacy.resize(2 + 1024, 0x5a);
    let mut eip8 = 300u16.to_be_bytes().to_vec();
    eip8.resize(2 + 300, 0xa5);
    let garbage = [legacy, eip8, vec![0x01, 0x00, 0xaa], vec![0xde]];
    let attempts = garbage.len() + 1;
    let accepting = tokio::spawn(async move {
        let mut results = Vec::new();
        for _ in 0..attempts {
            let (stream, _) = listener.accept().await.unwrap();
            let result = Connection::accept(stream, &recipient).await;
            results.push(result.map(|conn| conn.remote_id()));
        }
        results
    });
    for bytes in &garbage {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream.write_all(bytes).await.unwrap();
        stream.shutdown().await.unwrap();
        // The recipient sends no ack and closes.
        let mut answer = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer));
        let _ = read.await.unwrap();
        assert!(answer.is_empty(), "{answer:?}");
    }
    let initiator = config(&[]);
    let good = Connection::connect(addr, recipient_id, &initiator).await;
    assert_eq!(good.unwrap().remote_id(), recipient_id);
    let results = accepting.await.unwrap();
    // The whole packets are refused for what they hold, the cut ones for ending early.
    for result in &results[..2] {
        assert!(
            matches!(
                result,
                Err(RlpxError::EciesBadMac
                    | RlpxError::EciesInvalidPublicKey
                    | RlpxError::InvalidHandshake { .. })
            ),
            "{result:?}"
        );
    }
    for result in &results[2..4] {
        assert!(
            matches!(result, Err(RlpxError::Io(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof),
            "{result:?}"
        );
    }
    assert_eq!(results[4].as_ref().ok(), Some(&initiator.key.public_key()));
}

#[tokio::test]
async fn a_message_declaring_over_16_mib_is_refused() {
    let (dialed, accepted) = connect_pair(&config(&[]), config(&[]), None).await;
    let (mut a_conn, mut b_conn) = (dialed.unwrap(), accepted.unwrap());
    // A snappy varint length header of 16 MiB + 1 with no data, sent as a raw frame.
    let bomb = [0x81, 0x80, 0x80, 0x08];
    a_conn.write_frame(0x10, &bomb).await.unwrap();
    assert!(matches!(
        b_conn.recv().await,
        Err(RlpxError::MessageTooLarge { size, .. }) if size == p2p::MAX_MESSAGE_SIZE + 1
    ));
}

#[tokio::test]
async fn a_tampered_frame_fails_its_mac() {
    let (dialed, accepted) = connect_pair(&config(&[]), config(&[]), None).await;
    let (mut a_conn, mut b_conn) = (dialed.unwrap(), accepted.unwrap());
    let mut frame = Vec::new();
    a_conn
        .codec
        .encode(0x10, &p2p::compress(b"\xc0").unwrap(), &mut frame)
        .unwrap();
    let last = frame.len() - 1;
    frame[last] ^= 0xff;
    a_conn.stream.write_all(&frame).await.unwrap();
    assert!(matches!(
        b_conn.recv().await,
        Err(RlpxError::BadFrameMac { which: "frame" })
    ));
}

/// A raw TCP initiator: sends `auth`, reads the ack with `read_len` bytes, then exchanges Hello
/// through its own codec, as a peer whose packets we do not build would.
async fn raw_initiator(
    addr: SocketAddr,
    initiator: Initiator,
    key: NodeKey,
    ack_len: Option<usize>,
) -> Hello {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(initiator.auth_packet()).await.unwrap();
    let mut ack = vec![0u8; 2];
    stream.read_exact(&mut ack).await.unwrap();
    let len = ack_len.unwrap_or_else(|| eip8_packet_len([ack[0], ack[1]]));
    ack.resize(len, 0);
    stream.read_exact(&mut ack[2..]).await.unwrap();
    let secrets = initiator.finish(&ack).unwrap();
    let remote_id = secrets.remote_public_key;
    let hello_config = ConnectionConfig { key, ..config(&[]) };
    let conn =
        Connection::exchange_hello(stream, FrameCodec::new(&secrets), remote_id, &hello_config)
            .await
            .unwrap();
    conn.remote_hello
}

#[tokio::test]
async fn a_legacy_auth_over_tcp_gets_a_legacy_ack_and_a_session() {
    use crate::rlpx::handshake::tests::{
        AUTH1, EPHEMERAL_KEY_A, NONCE_A, STATIC_KEY_A, STATIC_KEY_B, packet, public, secret,
    };
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let b = ConnectionConfig {
        key: NodeKey::from_secret(STATIC_KEY_B).unwrap(),
        ..config(&[])
    };
    let accepting = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        Connection::accept(stream, &b).await
    });
    // EIP-8's legacy Auth1, sent by A with its documented ephemeral key and nonce.
    let initiator = Initiator::from_parts(
        secret(STATIC_KEY_A),
        public(STATIC_KEY_B),
        secret(EPHEMERAL_KEY_A),
        NONCE_A,
        packet(AUTH1),
    );
    let a_key = NodeKey::from_secret(STATIC_KEY_A).unwrap();
    let hello = raw_initiator(addr, initiator, a_key, Some(LEGACY_ACK_LEN)).await;
    assert_eq!(
        hello.node_id,
        NodeKey::from_secret(STATIC_KEY_B).unwrap().public_key()
    );
    let conn = accepting.await.unwrap().unwrap();
    assert_eq!(conn.remote_id(), a_key.public_key());
}

#[tokio::test]
async fn an_eip8_auth_whose_size_starts_with_0x04_is_not_taken_for_legacy() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let b = config(&[]);
    let b_id = b.key.public_key();
    let accepting = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        Connection::accept(stream, &b).await
    });
    let a_key = NodeKey::random();
    // Body (~200 bytes) + 900 bytes of padding + 113: a size of 0x04xx.
    let initiator = Initiator::with_padding(&a_key, &b_id, 900).unwrap();
    assert_eq!(initiator.auth_packet()[0], 0x04);
    assert!(initiator.auth_packet().len() > LEGACY_AUTH_LEN);
    let hello = raw_initiator(addr, initiator, a_key, None).await;
    assert_eq!(hello.node_id, b_id);
    assert_eq!(
        accepting.await.unwrap().unwrap().remote_id(),
        a_key.public_key()
    );
}

/// Interop: geth (the `geth` binary in `$ETHREX_GETH`, else `target/tools/bin/geth` from
/// `make cl-mock-clients`) accepts our handshake and Hello, and answers a compressed Ping.
#[tokio::test]
#[ignore = "needs geth: make cl-mock-clients, then run with --ignored"]
async fn geth_completes_the_handshake_hello_and_ping() {
    let geth = std::env::var("ETHREX_GETH").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../target/tools/bin/geth").into()
    });
    let datadir = tempfile::tempdir().unwrap();
    let geth_key = NodeKey::random();
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let free_port = || {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let (authrpc_port, http_port) = (free_port(), free_port());
    let secret_hex = alloy_primitives::hex::encode(geth_key.secret().secret_bytes());
    let _geth = KillOnDrop(
        std::process::Command::new(geth)
            .args(["--datadir", datadir.path().to_str().unwrap()])
            .args(["--nodiscover", "--ipcdisable", "--maxpeers", "5"])
            .args(["--port", &port.to_string(), "--nodekeyhex", &secret_hex])
            .args(["--authrpc.port", &authrpc_port.to_string()])
            .args([
                "--http",
                "--http.api",
                "admin",
                "--http.port",
                &http_port.to_string(),
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let ours = config(&[("eth", 68, 17), ("eth", 69, 18)]);
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let mut conn = None;
    for _ in 0..100 {
        match Connection::connect(addr, geth_key.public_key(), &ours).await {
            Ok(c) => {
                conn = Some(c);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    let mut conn = conn.expect("geth accepted no connection within 20 s");
    assert!(
        conn.remote_hello().client_id.starts_with("Geth/"),
        "{:?}",
        conn.remote_hello()
    );
    assert_eq!(conn.remote_id(), geth_key.public_key());
    assert_eq!(
        conn.shared_capabilities()[0].capability,
        Capability::new("eth", 69)
    );
    conn.send(p2p::PING, &[0xc0]).await.unwrap();
    // geth may send its eth Status first; the Pong follows.
    loop {
        let message = conn.recv().await.unwrap();
        if message.id == p2p::PONG {
            break;
        }
    }

    // The other way round: geth dials us (admin_addPeer) and we are the recipient.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let ours = config(&[("eth", 68, 17), ("eth", 69, 18)]);
    let enode = format!(
        "enode://{}@127.0.0.1:{}",
        alloy_primitives::hex::encode(ours.key.public_key()),
        listener.local_addr().unwrap().port()
    );
    let body =
        format!(r#"{{"jsonrpc":"2.0","id":1,"method":"admin_addPeer","params":["{enode}"]}}"#);
    let mut http = TcpStream::connect(("127.0.0.1", http_port)).await.unwrap();
    let request = format!(
        "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    http.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    http.read_to_string(&mut response).await.unwrap();
    assert!(response.contains(r#""result":true"#), "{response}");
    let (stream, _) = tokio::time::timeout(Duration::from_secs(20), listener.accept())
        .await
        .unwrap()
        .unwrap();
    let mut conn = Connection::accept(stream, &ours).await.unwrap();
    assert!(conn.remote_hello().client_id.starts_with("Geth/"));
    assert_eq!(conn.remote_id(), geth_key.public_key());
    conn.send(p2p::PING, &[0xc0]).await.unwrap();
    loop {
        let message = conn.recv().await.unwrap();
        if message.id == p2p::PONG {
            break;
        }
    }
}

/// Kills the child process when the test ends, passed or failed.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
