//! Managers over loopback TCP: a static peer connects both ways round, `add_peer` dials, a
//! discovered candidate fills an outbound slot, inbound slots are enforced, and a peer that
//! goes away is dropped from the list.

use std::net::{IpAddr, Ipv4Addr};

use super::*;
use ethrex_common::Fork;
use ethrex_storage::Store;
use ethrex_test_utils::GenesisBuilder;

use crate::NodeKey;

const NETWORK: u64 = ethrex_common::dev::DEV_CHAIN_ID;

/// A manager on 127.0.0.1 (a free port) over a genesis-only chain, and its enode.
async fn manager(
    target_peers: usize,
    configure: impl FnOnce(&mut PeerManagerConfig),
) -> (PeerManager, Enode) {
    let store = Store::in_memory();
    store
        .init_genesis(&GenesisBuilder::new(Fork::Prague).build())
        .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let key = NodeKey::random();
    let enode = Enode {
        public_key: key.public_key(),
        ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
        udp_port: port,
        tcp_port: port,
    };
    let connection = ConnectionConfig {
        key,
        client_id: "ethrex/test".into(),
        protocols: crate::eth::protocols(),
        listen_port: port,
        handshake_timeout: Duration::from_secs(5),
    };
    let mut config =
        PeerManagerConfig::new(connection, EthContext::new(store, NETWORK), target_peers);
    config.dial_interval = Duration::from_millis(50);
    configure(&mut config);
    (PeerManager::start(config, listener), enode)
}

/// Waits (at most 10 s) until `manager` has `count` peers.
async fn wait_for_peers(manager: &PeerManager, count: usize) -> Vec<PeerInfo> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let peers = manager.peers();
        if peers.len() == count {
            return peers;
        }
        assert!(
            Instant::now() < deadline,
            "expected {count} peers, got {peers:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_static_peer_connects_with_eth69_and_both_sides_list_it() {
    let (a, a_enode) = manager(25, |_| {}).await;
    let (b, b_enode) = manager(25, |c| c.static_peers = vec![a_enode]).await;
    let on_b = wait_for_peers(&b, 1).await;
    let on_a = wait_for_peers(&a, 1).await;
    assert_eq!(on_b[0].id, a_enode.public_key);
    assert_eq!(on_b[0].enode, a_enode.to_string());
    assert_eq!(on_b[0].direction, Direction::Outbound);
    assert!(on_b[0].is_static);
    assert_eq!(on_b[0].eth_version, EthVersion::Eth69);
    assert_eq!(on_b[0].caps, vec!["eth/68", "eth/69"]);
    assert_eq!(on_b[0].client_id, "ethrex/test");
    assert_eq!(on_a[0].id, b_enode.public_key);
    assert_eq!(on_a[0].direction, Direction::Inbound);
    assert!(!on_a[0].is_static);
    assert_eq!(on_a[0].remote_addr, on_b[0].local_addr);
    assert!(b.peer(&a_enode.public_key).is_some());

    // B goes away: A drops it.
    b.shutdown().await;
    wait_for_peers(&a, 0).await;
}

#[tokio::test]
async fn add_peer_dials_and_rejects_bad_urls_duplicates_and_ourselves() {
    let (a, a_enode) = manager(25, |_| {}).await;
    let (b, b_enode) = manager(25, |_| {}).await;
    assert!(b.add_peer("enode://nope").is_err());
    assert_eq!(b.add_peer(&b_enode.to_string()), Ok(false));
    assert_eq!(b.add_peer(&a_enode.to_string()), Ok(true));
    assert_eq!(b.add_peer(&a_enode.to_string()), Ok(false));
    wait_for_peers(&b, 1).await;
    wait_for_peers(&a, 1).await;
}

#[tokio::test]
async fn discovered_candidates_fill_outbound_slots_only() {
    let (a, a_enode) = manager(25, |_| {}).await;
    let (c, c_enode) = manager(25, |_| {}).await;
    // Target 3: one outbound slot, two inbound; the source offers A and C.
    let offered = vec![a_enode, c_enode];
    let (b, _) = manager(3, |config| {
        config.candidates = Some(Arc::new(move || offered.clone()));
    })
    .await;
    let peers = wait_for_peers(&b, 1).await;
    assert_eq!(peers[0].direction, Direction::Outbound);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(b.peers().len(), 1, "only one outbound slot");
    drop((a, c));
}

#[tokio::test]
async fn inbound_beyond_the_slots_is_refused() {
    // Target 1: one outbound slot, no inbound one.
    let (a, a_enode) = manager(1, |_| {}).await;
    let (b, _) = manager(25, |c| c.static_peers = vec![a_enode]).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(a.peers().is_empty());
    assert!(b.peers().is_empty());
}

#[tokio::test]
async fn two_nodes_dialing_each_other_keep_one_and_the_same_connection() {
    for _ in 0..3 {
        let (a, a_enode) = manager(25, |_| {}).await;
        let (b, b_enode) = manager(25, |_| {}).await;
        // Both dial at once.
        assert_eq!(a.add_peer(&b_enode.to_string()), Ok(true));
        assert_eq!(b.add_peer(&a_enode.to_string()), Ok(true));
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let (on_a, on_b) = (a.peers(), b.peers());
            if on_a.len() == 1 && on_b.len() == 1 && on_a[0].local_addr == on_b[0].remote_addr {
                assert_ne!(on_a[0].direction, on_b[0].direction);
                break;
            }
            assert!(Instant::now() < deadline, "A: {on_a:?}, B: {on_b:?}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(
            (a.peers().len(), b.peers().len()),
            (1, 1),
            "still connected"
        );
    }
}

/// A raw connection to `to` with `key` that completes the eth/69 Status exchange over a
/// genesis-only chain like the managers'.
async fn raw_peer(to: &Enode, key: &NodeKey) -> crate::rlpx::Connection {
    use crate::eth::{EthMessage, LocalChain};
    let config = ConnectionConfig {
        key: *key,
        client_id: "raw".into(),
        protocols: crate::eth::protocols(),
        listen_port: 0,
        handshake_timeout: Duration::from_secs(5),
    };
    let mut conn = crate::rlpx::Connection::connect(to.tcp_addr(), to.public_key, &config)
        .await
        .unwrap();
    let store = Store::in_memory();
    store
        .init_genesis(&GenesisBuilder::new(Fork::Prague).build())
        .unwrap();
    let status = LocalChain::load(&store, NETWORK)
        .unwrap()
        .status(EthVersion::Eth69);
    conn.send(0x10, &EthMessage::Status(status).encode(EthVersion::Eth69))
        .await
        .unwrap();
    assert_eq!(conn.recv().await.unwrap().id, 0x10, "the manager's Status");
    conn
}

#[tokio::test]
async fn a_peer_breaking_the_protocol_is_banned_and_refused_others_are_not() {
    let (a, a_enode) = manager(25, |c| c.ban_duration = Duration::from_secs(60)).await;
    let offender = NodeKey::random();
    let mut conn = raw_peer(&a_enode, &offender).await;
    wait_for_peers(&a, 1).await;
    // 0x0b is no eth message: BreachOfProtocol, then a ban.
    conn.send(0x10 + 0x0b, &[0xc0]).await.unwrap();
    assert!(matches!(
        conn.recv().await,
        Err(crate::rlpx::RlpxError::Disconnected(
            DisconnectReason::BreachOfProtocol
        ))
    ));
    wait_for_peers(&a, 0).await;
    let deadline = Instant::now() + Duration::from_secs(5);
    while a.banned().is_empty() {
        assert!(Instant::now() < deadline, "no ban");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let bans = a.banned();
    assert_eq!(bans.len(), 1);
    assert_eq!(bans[0].0, offender.public_key());
    assert!(
        bans[0].1 <= Duration::from_secs(60) && bans[0].2 == 1,
        "{bans:?}"
    );

    // Coming back with the same key: refused after the handshake.
    let config = ConnectionConfig {
        key: offender,
        client_id: "raw".into(),
        protocols: crate::eth::protocols(),
        listen_port: 0,
        handshake_timeout: Duration::from_secs(5),
    };
    let mut again =
        crate::rlpx::Connection::connect(a_enode.tcp_addr(), a_enode.public_key, &config)
            .await
            .unwrap();
    assert!(matches!(
        again.recv().await,
        Err(crate::rlpx::RlpxError::Disconnected(
            DisconnectReason::UselessPeer
        ))
    ));
    // Another node is welcome.
    let _other = raw_peer(&a_enode, &NodeKey::random()).await;
    wait_for_peers(&a, 1).await;
}
