//! Sessions over loopback TCP between two of our nodes: the Status exchange in eth/68 and
//! eth/69, requests through [`EthPeer`], refusals with their reasons, announcements, and a
//! peer breaking the protocol. An ignored test completes Status with geth.

use ethrex_common::Fork;
use ethrex_test_utils::GenesisBuilder;
use tokio::net::TcpListener;

use super::*;
use crate::{
    NodeKey,
    eth::{HashOrNumber, messages::StatusEth69, protocols, test_chain},
    rlpx::{ConnectionConfig, Protocol, RlpxError},
    snap::{
        SnapError,
        messages::{GetAccountRange, GetTrieNodes},
    },
};

const NETWORK: u64 = ethrex_common::dev::DEV_CHAIN_ID;

fn config(protocols: Vec<Protocol>) -> ConnectionConfig {
    ConnectionConfig {
        key: NodeKey::random(),
        client_id: "ethrex/test".into(),
        protocols,
        listen_port: 30303,
        handshake_timeout: Duration::from_secs(5),
    }
}

/// Two connected RLPx connections: (dialer, listener).
async fn connect(a: Vec<Protocol>, b: Vec<Protocol>) -> (Connection, Connection) {
    let (a, b) = (config(a), config(b));
    let b_id = b.key.public_key();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepting = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        Connection::accept(stream, &b).await.unwrap()
    });
    let dialed = Connection::connect(addr, b_id, &a).await.unwrap();
    (dialed, accepting.await.unwrap())
}

/// Starts a session on each side at once: (dialer's result, listener's result).
async fn start_both(
    conns: (Connection, Connection),
    a: EthContext,
    b: EthContext,
) -> (
    EthResult<(EthPeer, JoinHandle<EthError>)>,
    EthResult<(EthPeer, JoinHandle<EthError>)>,
) {
    tokio::join!(EthPeer::start(conns.0, a), EthPeer::start(conns.1, b))
}

#[tokio::test]
async fn status_exchange_and_requests_in_eth68_and_eth69() {
    let (store, chain) = test_chain::chain(5);
    let (other, _) = test_chain::chain(5);
    for (ours, theirs, version) in [
        (
            protocols(),
            vec![EthVersion::Eth68.protocol()],
            EthVersion::Eth68,
        ),
        (protocols(), protocols(), EthVersion::Eth69),
    ] {
        let conns = connect(ours, theirs).await;
        let (a, b) = start_both(
            conns,
            EthContext::new(store.clone(), NETWORK),
            EthContext::new(other.clone(), NETWORK),
        )
        .await;
        let ((a, _a_task), (b, _b_task)) = (a.unwrap(), b.unwrap());
        assert_eq!(a.version(), version);
        assert_eq!(b.version(), version);
        let head = chain[5].header.hash_slow();
        assert_eq!(a.status().head_hash(), head, "{version}");
        assert_eq!(a.status().version(), version.number());
        match (version, a.status()) {
            (EthVersion::Eth68, Status::Eth68(_)) => {}
            (EthVersion::Eth69, Status::Eth69(s)) => {
                assert_eq!((s.earliest_block, s.latest_block), (0, 5));
            }
            other => panic!("wrong Status shape {other:?}"),
        }

        let query = HeadersQuery {
            origin: HashOrNumber::Number(1),
            amount: 3,
            skip: 0,
            reverse: false,
        };
        let headers = a.request_headers(query).await.unwrap();
        let expected: Vec<_> = chain[1..4].iter().map(|b| b.header.clone()).collect();
        assert_eq!(headers, expected, "{version}");
        // The other way round, concurrently with a second request.
        let hashes = vec![chain[2].header.hash_slow(), chain[4].header.hash_slow()];
        let (bodies, receipts) =
            tokio::join!(b.request_bodies(hashes.clone()), b.request_receipts(hashes));
        assert_eq!(
            bodies.unwrap(),
            vec![chain[2].body.clone(), chain[4].body.clone()]
        );
        assert_eq!(
            receipts.unwrap(),
            vec![
                test_chain::receipts(&chain[2].body.transactions),
                test_chain::receipts(&chain[4].body.transactions)
            ],
            "{version}"
        );
        assert!(
            a.request_pooled_transactions(vec![B256::ZERO])
                .await
                .unwrap()
                .is_empty()
        );
    }
}

#[tokio::test]
async fn snap_requests_are_served_when_both_speak_snap1() {
    let (store, chain) = test_chain::chain(5);
    let (other, _) = test_chain::chain(5);
    let root = chain[5].header.state_root;
    // Both speak snap/1: an account range from the other side, a malformed path set
    // disconnects.
    let conns = connect(crate::protocols(), crate::protocols()).await;
    let (a, b) = start_both(
        conns,
        EthContext::new(store.clone(), NETWORK),
        EthContext::new(other.clone(), NETWORK),
    )
    .await;
    let ((a, a_task), (_b, b_task)) = (a.unwrap(), b.unwrap());
    assert_eq!(a.snap_version(), Some(SnapVersion::Snap1));
    let request = |request_id| GetAccountRange {
        request_id,
        root_hash: root,
        starting_hash: B256::ZERO,
        limit_hash: B256::repeat_byte(0xff),
        response_bytes: 1 << 20,
    };
    let answer = a
        .request_snap(|id| SnapMessage::GetAccountRange(request(id)))
        .await
        .unwrap();
    let SnapMessage::AccountRange(answer) = answer else {
        panic!("not an AccountRange: {answer:?}");
    };
    // The same answer as the store gives directly (request ids aside).
    let direct = snap_serve::serve_account_range(&other, &request(answer.request_id)).unwrap();
    assert!(!direct.accounts.is_empty());
    assert_eq!(answer, direct);
    let bad = a
        .request_snap(|request_id| {
            SnapMessage::GetTrieNodes(GetTrieNodes {
                request_id,
                root_hash: root,
                paths: vec![vec![]],
                response_bytes: 100,
            })
        })
        .await;
    assert!(bad.is_err(), "{bad:?}");
    let reason = tokio::time::timeout(Duration::from_secs(5), b_task)
        .await
        .unwrap()
        .unwrap();
    assert!(
        matches!(reason, EthError::Snap(SnapError::BadRequest(_))),
        "{reason}"
    );
    let _ = tokio::time::timeout(Duration::from_secs(5), a_task).await;

    // Without snap on one side: no snap version, and a snap request fails at once.
    let conns = connect(crate::protocols(), protocols()).await;
    let (a, b) = start_both(
        conns,
        EthContext::new(store, NETWORK),
        EthContext::new(other, NETWORK),
    )
    .await;
    let ((a, _a_task), (_b, _b_task)) = (a.unwrap(), b.unwrap());
    assert_eq!(a.snap_version(), None);
    let refused = a
        .request_snap(|id| SnapMessage::GetAccountRange(request(id)))
        .await;
    assert!(
        matches!(refused, Err(EthError::NoSnapCapability)),
        "{refused:?}"
    );
}

#[tokio::test]
async fn another_network_or_genesis_is_refused_as_useless() {
    let (store, _) = test_chain::chain(1);
    // Another network id.
    let conns = connect(protocols(), protocols()).await;
    let (a, b) = start_both(
        conns,
        EthContext::new(store.clone(), NETWORK),
        EthContext::new(store.clone(), NETWORK + 1),
    )
    .await;
    let error = a.unwrap_err();
    assert!(
        matches!(error, EthError::NetworkIdMismatch { ours: NETWORK, theirs } if theirs == NETWORK + 1),
        "{error}"
    );
    assert_eq!(
        error.disconnect_reason(),
        Some(DisconnectReason::UselessPeer)
    );
    assert!(matches!(b.unwrap_err(), EthError::NetworkIdMismatch { .. }));

    // Another genesis (a different gas limit), same network id.
    let other = Store::in_memory();
    other
        .init_genesis(
            &GenesisBuilder::new(Fork::Prague)
                .gas_limit(10_000_000)
                .build(),
        )
        .unwrap();
    let conns = connect(protocols(), protocols()).await;
    let (a, _) = start_both(
        conns,
        EthContext::new(store.clone(), NETWORK),
        EthContext::new(other, NETWORK),
    )
    .await;
    let error = a.unwrap_err();
    assert!(matches!(error, EthError::GenesisMismatch { .. }), "{error}");
    assert_eq!(
        error.disconnect_reason(),
        Some(DisconnectReason::UselessPeer)
    );
}

#[tokio::test]
async fn a_peer_without_status_times_out() {
    let (store, _) = test_chain::chain(0);
    let (a, mut b) = connect(protocols(), protocols()).await;
    let mut context = EthContext::new(store, NETWORK);
    context.status_timeout = Duration::from_millis(200);
    let error = EthPeer::start(a, context).await.unwrap_err();
    assert!(matches!(error, EthError::StatusTimeout(_)), "{error}");
    // The silent side got our Status, then the Disconnect with the read-timeout reason.
    assert_eq!(b.recv().await.unwrap().id, 0x10);
    assert!(matches!(
        b.recv().await,
        Err(RlpxError::Disconnected(DisconnectReason::PingTimeout))
    ));
}

/// The remote side by hand: a valid Status, then announcements, then garbage.
#[tokio::test]
async fn announcements_reach_the_channel_and_garbage_disconnects() {
    let (store, _) = test_chain::chain(2);
    let (a, mut b) = connect(protocols(), protocols()).await;
    let (events, mut received) = mpsc::channel(8);
    let mut context = EthContext::new(store.clone(), NETWORK);
    context.events = Some(events);
    let remote = async {
        let chain = LocalChain::load(&store, NETWORK).unwrap();
        let status = EthMessage::Status(chain.status(EthVersion::Eth69));
        b.send(0x10, &status.encode(EthVersion::Eth69))
            .await
            .unwrap();
        assert_eq!(b.recv().await.unwrap().id, 0x10);
        b
    };
    let (started, mut b) = tokio::join!(EthPeer::start(a, context), remote);
    let (peer, task) = started.unwrap();
    assert!(matches!(
        peer.status(),
        Status::Eth69(StatusEth69 {
            latest_block: 2,
            ..
        })
    ));

    let txs = test_chain::transactions(1);
    let message = EthMessage::Transactions(txs.clone());
    b.send(0x10 + message.id(), &message.encode(EthVersion::Eth69))
        .await
        .unwrap();
    let Some(PeerEvent::Transactions { transactions, .. }) = received.recv().await else {
        panic!("no Transactions event")
    };
    assert_eq!(transactions, txs);
    let range = EthMessage::BlockRangeUpdate(BlockRangeUpdate {
        earliest: 0,
        latest: 9,
        latest_hash: B256::repeat_byte(1),
    });
    b.send(0x10 + range.id(), &range.encode(EthVersion::Eth69))
        .await
        .unwrap();
    assert!(matches!(
        received.recv().await,
        Some(PeerEvent::BlockRange { .. })
    ));

    // An undecodable GetBlockHeaders: the session ends with BreachOfProtocol.
    b.send(0x10 + id::GET_BLOCK_HEADERS, &[0xc2, 0x01])
        .await
        .unwrap();
    assert!(matches!(
        b.recv().await,
        Err(RlpxError::Disconnected(DisconnectReason::BreachOfProtocol))
    ));
    assert!(matches!(task.await.unwrap(), EthError::Rlp { .. }));
    let query = HeadersQuery {
        origin: HashOrNumber::Number(0),
        amount: 1,
        skip: 0,
        reverse: false,
    };
    assert!(matches!(
        peer.request_headers(query).await,
        Err(EthError::SessionClosed)
    ));
}

#[tokio::test]
async fn unknown_message_ids_disconnect_and_requests_time_out() {
    let (store, _) = test_chain::chain(1);
    let (a, mut b) = connect(protocols(), protocols()).await;
    let mut context = EthContext::new(store.clone(), NETWORK);
    context.request_timeout = Duration::from_millis(200);
    let remote = async {
        let chain = LocalChain::load(&store, NETWORK).unwrap();
        let status = EthMessage::Status(chain.status(EthVersion::Eth69));
        b.send(0x10, &status.encode(EthVersion::Eth69))
            .await
            .unwrap();
        assert_eq!(b.recv().await.unwrap().id, 0x10);
        b
    };
    let (started, mut b) = tokio::join!(EthPeer::start(a, context), remote);
    let (peer, task) = started.unwrap();
    // The remote never answers: the request times out, and the session goes on.
    let query = HeadersQuery {
        origin: HashOrNumber::Number(0),
        amount: 1,
        skip: 0,
        reverse: false,
    };
    let (answer, asked) = tokio::join!(peer.request_headers(query), b.recv());
    assert!(
        matches!(answer, Err(EthError::RequestTimeout { .. })),
        "{answer:?}"
    );
    assert_eq!(asked.unwrap().id, 0x10 + id::GET_BLOCK_HEADERS);
    // 0x0b is no eth message.
    b.send(0x10 + 0x0b, &[0xc0]).await.unwrap();
    assert!(matches!(
        b.recv().await,
        Err(RlpxError::Disconnected(DisconnectReason::BreachOfProtocol))
    ));
    assert!(matches!(
        task.await.unwrap(),
        EthError::UnknownMessage(0x0b)
    ));
}

/// Interop: geth (`$ETHREX_GETH`, else `target/tools/bin/geth`) on an empty mainnet datadir
/// accepts our mainnet Status (network 1, mainnet genesis, the genesis fork id) and we accept
/// its own; then it answers a header request for the genesis.
#[tokio::test]
#[ignore = "needs geth v1.17.10 from make cl-mock-clients; run with --ignored"]
async fn geth_completes_the_status_exchange() {
    let geth = std::env::var("ETHREX_GETH").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../target/tools/bin/geth").into()
    });
    let datadir = tempfile::tempdir().unwrap();
    let geth_key = NodeKey::random();
    let free_port = || {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let (port, authrpc_port) = (free_port(), free_port());
    let secret_hex = alloy_primitives::hex::encode(geth_key.secret().secret_bytes());
    let child = std::process::Command::new(geth)
        .args(["--datadir", datadir.path().to_str().unwrap()])
        .args(["--nodiscover", "--ipcdisable", "--maxpeers", "5"])
        .args(["--port", &port.to_string(), "--nodekeyhex", &secret_hex])
        .args(["--authrpc.port", &authrpc_port.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let _geth = KillOnDrop(child);

    let store = Store::in_memory();
    let genesis = ethrex_common::Network::Mainnet.genesis().unwrap();
    store.init_genesis(&genesis).unwrap();
    let ours = config(protocols());
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
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
    let conn = conn.expect("geth accepted no connection within 20 s");
    let (peer, _task) = EthPeer::start(conn, EthContext::new(store, 1))
        .await
        .unwrap();
    assert_eq!(peer.version(), EthVersion::Eth69);
    let mainnet_genesis = genesis.block().unwrap().header.hash_slow();
    assert_eq!(peer.status().genesis_hash(), mainnet_genesis);
    let query = HeadersQuery {
        origin: HashOrNumber::Number(0),
        amount: 1,
        skip: 0,
        reverse: false,
    };
    let headers = peer.request_headers(query).await.unwrap();
    assert_eq!(headers.len(), 1);
    assert_eq!(headers[0].hash_slow(), mainnet_genesis);
}

/// Kills the child process when the test ends, passed or failed.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn a_request_flood_disconnects_that_peer_only() {
    let (store, chain) = test_chain::chain(3);
    // A well-behaved session on the same store, to check it is unaffected.
    let conns = connect(protocols(), protocols()).await;
    let (good_server, good_client) = start_both(
        conns,
        EthContext::new(store.clone(), NETWORK),
        EthContext::new(store.clone(), NETWORK),
    )
    .await;
    let ((_server, _server_task), (client, _client_task)) =
        (good_server.unwrap(), good_client.unwrap());

    // The flooder: a raw connection sending requests without reading the answers.
    let (a, mut b) = connect(protocols(), protocols()).await;
    let remote = async {
        let local = LocalChain::load(&store, NETWORK).unwrap();
        let status = EthMessage::Status(local.status(EthVersion::Eth69));
        b.send(0x10, &status.encode(EthVersion::Eth69))
            .await
            .unwrap();
        assert_eq!(b.recv().await.unwrap().id, 0x10);
        b
    };
    let (started, mut b) = tokio::join!(
        EthPeer::start(a, EthContext::new(store.clone(), NETWORK)),
        remote
    );
    let (_flooded, task) = started.unwrap();
    let request = EthMessage::GetBlockHeaders(GetBlockHeaders {
        request_id: 1,
        query: HeadersQuery {
            origin: HashOrNumber::Number(0),
            amount: 1,
            skip: 0,
            reverse: false,
        },
    });
    let payload = request.encode(EthVersion::Eth69);
    let flood = REQUEST_BURST as usize + 200;
    let sender = tokio::spawn(async move {
        for _ in 0..flood {
            if b.send(0x10 + id::GET_BLOCK_HEADERS, &payload)
                .await
                .is_err()
            {
                break;
            }
        }
        b
    });
    let end = tokio::time::timeout(Duration::from_secs(20), task)
        .await
        .expect("the flooded session ends")
        .unwrap();
    assert!(matches!(end, EthError::RequestFlood), "{end}");
    let _ = sender.await;
    // The other peer is still served.
    let query = HeadersQuery {
        origin: HashOrNumber::Number(1),
        amount: 2,
        skip: 0,
        reverse: false,
    };
    let headers = client.request_headers(query).await.unwrap();
    assert_eq!(
        headers,
        vec![chain[1].header.clone(), chain[2].header.clone()]
    );
}

#[tokio::test]
async fn eth69_announces_the_block_range_once_the_head_moved_enough() {
    let (store, chain) = test_chain::chain(3);
    let (a, mut b) = connect(protocols(), protocols()).await;
    let remote = async {
        let local = LocalChain::load(&store, NETWORK).unwrap();
        let status = EthMessage::Status(local.status(EthVersion::Eth69));
        b.send(0x10, &status.encode(EthVersion::Eth69))
            .await
            .unwrap();
        assert_eq!(b.recv().await.unwrap().id, 0x10);
        b
    };
    let mut context = EthContext::new(store.clone(), NETWORK);
    context.range_check_interval = Duration::from_millis(20);
    let (started, mut b) = tokio::join!(EthPeer::start(a, context), remote);
    let (_peer, _task) = started.unwrap();
    // Nothing while the head stays where Status put it.
    let quiet = tokio::time::timeout(Duration::from_millis(200), b.recv()).await;
    assert!(quiet.is_err(), "nothing announced: {quiet:?}");
    // The head moves by RANGE_UPDATE_BLOCKS: the next check announces it.
    let (_, blocks) = test_chain::chain(3 + RANGE_UPDATE_BLOCKS);
    let _ = chain;
    for block in &blocks[4..] {
        let receipts = test_chain::receipts(&block.body.transactions);
        store.add_blocks(&[(block.clone(), receipts)]).unwrap();
    }
    let head = blocks.last().unwrap();
    store.set_canonical_head(head.header.hash_slow()).unwrap();
    let message = tokio::time::timeout(Duration::from_secs(5), b.recv())
        .await
        .expect("a BlockRangeUpdate")
        .unwrap();
    assert_eq!(message.id, 0x10 + id::BLOCK_RANGE_UPDATE);
    let EthMessage::BlockRangeUpdate(range) =
        EthMessage::decode(EthVersion::Eth69, id::BLOCK_RANGE_UPDATE, &message.payload).unwrap()
    else {
        panic!("not a BlockRangeUpdate");
    };
    assert_eq!(
        (range.earliest, range.latest, range.latest_hash),
        (0, head.header.number, head.header.hash_slow())
    );
}

#[tokio::test]
async fn eth70_receipt_requests_complete_a_block_the_peer_cut_short() {
    let (store, chain) = test_chain::chain(1);
    let (block, receipts) = test_chain::big_receipts_block(&store, &chain[1].header);
    let conns = connect(crate::protocols(), crate::protocols()).await;
    let (a, b) = start_both(
        conns,
        EthContext::new(store.clone(), NETWORK),
        EthContext::new(store.clone(), NETWORK),
    )
    .await;
    let ((a, _a_task), (_b, _b_task)) = (a.unwrap(), b.unwrap());
    assert_eq!(a.version(), EthVersion::Eth70);
    let small = chain[1].header.hash_slow();
    let got = a
        .request_receipts(vec![small, block.header.hash_slow(), small])
        .await
        .unwrap();
    // The small block, then the big one completed by a follow-up (the answer may stop there).
    assert!(got.len() >= 2, "{}", got.len());
    assert_eq!(got[0], test_chain::receipts(&chain[1].body.transactions));
    assert_eq!(got[1], receipts);
}
