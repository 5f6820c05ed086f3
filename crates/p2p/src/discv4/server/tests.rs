//! Tests of the running service over 127.0.0.1: three nodes find each other through a
//! bootnode; FindNode and ENRRequest are answered only after the endpoint proof; replies to
//! what we never asked are ignored.

use std::{net::IpAddr, time::Duration};

use super::*;

const LOCALHOST: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

fn fast_config(bootnodes: Vec<Enode>) -> Discv4Config {
    Discv4Config {
        bootnodes,
        lookup_interval: Duration::from_millis(200),
        revalidation_interval: Duration::from_millis(300),
        response_timeout: Duration::from_millis(300),
        enr_seq: 1,
        fork_id: None,
    }
}

async fn start(bootnodes: Vec<Enode>) -> Discv4 {
    start_with(fast_config(bootnodes)).await
}

async fn start_with(config: Discv4Config) -> Discv4 {
    let listen = Endpoint {
        ip: LOCALHOST,
        udp_port: 0,
        tcp_port: 30303,
    };
    Discv4::start(config, NodeKey::random(), listen)
        .await
        .unwrap()
}

/// A bare socket speaking discv4 by hand, to probe a server.
struct Probe {
    socket: UdpSocket,
    key: NodeKey,
}

impl Probe {
    async fn new() -> Self {
        Self {
            socket: UdpSocket::bind((LOCALHOST, 0)).await.unwrap(),
            key: NodeKey::random(),
        }
    }

    fn endpoint(&self) -> Endpoint {
        Endpoint {
            ip: LOCALHOST,
            udp_port: self.socket.local_addr().unwrap().port(),
            tcp_port: 0,
        }
    }

    async fn send(&self, message: Message, to: SocketAddr) -> B256 {
        let (bytes, hash) = message.encode(&self.key).unwrap();
        self.socket.send_to(&bytes, to).await.unwrap();
        hash
    }

    /// The next packet, or `None` after `wait`.
    async fn receive(&self, wait: Duration) -> Option<Packet> {
        let mut buffer = [0; 1500];
        let (size, _) = tokio::time::timeout(wait, self.socket.recv_from(&mut buffer))
            .await
            .ok()?
            .unwrap();
        Some(Packet::decode(&buffer[..size]).unwrap())
    }

    async fn ping(&self, to: SocketAddr) -> B256 {
        let ping = Message::Ping(Ping {
            version: PROTOCOL_VERSION,
            from: self.endpoint(),
            to: Endpoint {
                ip: to.ip(),
                udp_port: to.port(),
                tcp_port: 0,
            },
            expiration: expiration_from_now(),
            enr_seq: None,
        });
        self.send(ping, to).await
    }

    async fn find_node(&self, to: SocketAddr) {
        let find = Message::FindNode(FindNode {
            target: NodeKey::random().public_key(),
            expiration: expiration_from_now(),
        });
        self.send(find, to).await;
    }
}

#[tokio::test]
async fn three_nodes_find_each_other_through_a_bootnode() {
    let started = Instant::now();
    let bootnode = start(Vec::new()).await;
    let a = start(vec![bootnode.local_enode()]).await;
    let b = start(vec![bootnode.local_enode()]).await;
    let nodes = [&bootnode, &a, &b];
    let everyone_found = || {
        nodes.iter().all(|node| {
            let known = node.nodes();
            nodes
                .iter()
                .filter(|other| other.local_enode() != node.local_enode())
                .all(|other| known.contains(&other.local_enode()))
        })
    };
    while !everyone_found() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "not found within 30 s: {:?}",
            nodes.map(|n| n.nodes().len())
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    eprintln!("three nodes found each other in {:?}", started.elapsed());
    // What the table holds is what lookups return.
    let found = a.lookup(b.local_enode().public_key).await;
    assert_eq!(found.first(), Some(&b.local_enode()));
    for node in nodes {
        assert_eq!(node.local_addr().unwrap().ip(), LOCALHOST);
    }
    a.shutdown().await;
    b.shutdown().await;
    bootnode.shutdown().await;
}

#[tokio::test]
async fn findnode_and_enrrequest_are_answered_only_after_the_endpoint_proof() {
    let server = start_with(Discv4Config {
        response_timeout: Duration::from_secs(3),
        ..fast_config(Vec::new())
    })
    .await;
    // A node in the server's table, so that a Neighbors reply would not be empty.
    let peer = start(Vec::new()).await;
    assert!(server.ping(peer.local_enode()).await);
    let to = server.local_addr().unwrap();
    let probe = Probe::new().await;
    let wait = Duration::from_millis(500);

    // Unbonded: no answer.
    probe.find_node(to).await;
    let request = Message::EnrRequest(EnrRequest {
        expiration: expiration_from_now(),
    });
    probe.send(request.clone(), to).await;
    assert_eq!(probe.receive(wait).await, None, "no reply before bonding");

    // Our Ping is answered with a Pong naming its hash, and the server pings back.
    let ping_hash = probe.ping(to).await;
    let mut server_ping = None;
    for _ in 0..2 {
        let packet = probe.receive(wait).await.expect("pong and ping");
        assert_eq!(packet.sender, server.local_enode().public_key);
        match packet.message {
            Message::Pong(pong) => assert_eq!(pong.ping_hash, ping_hash),
            Message::Ping(_) => server_ping = Some(packet.hash),
            other => panic!("unexpected {other:?}"),
        }
    }
    let server_ping = server_ping.expect("the server bonds back");

    // A Pong with the wrong hash proves nothing.
    let wrong = Message::Pong(Pong {
        to: Endpoint {
            ip: LOCALHOST,
            udp_port: to.port(),
            tcp_port: 0,
        },
        ping_hash: B256::repeat_byte(7),
        expiration: expiration_from_now(),
        enr_seq: None,
    });
    probe.send(wrong, to).await;
    probe.find_node(to).await;
    assert_eq!(
        probe.receive(Duration::from_millis(300)).await,
        None,
        "a wrong pong is no proof"
    );
    assert_eq!(server.nodes(), vec![peer.local_enode()]);

    // The matching Pong proves our endpoint (the server waits 3 s for it).
    let pong = Message::Pong(Pong {
        to: Endpoint {
            ip: LOCALHOST,
            udp_port: to.port(),
            tcp_port: 0,
        },
        ping_hash: server_ping,
        expiration: expiration_from_now(),
        enr_seq: None,
    });
    probe.send(pong, to).await;
    let started = Instant::now();
    while server.nodes().len() < 2 {
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "the pong was not taken"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    probe.find_node(to).await;
    let reply = probe.receive(wait).await.expect("neighbors after bonding");
    let Message::Neighbors(neighbors) = reply.message else {
        panic!("not neighbors: {:?}", reply.message);
    };
    // The table holds the peer and the probe itself.
    let mut keys: Vec<B512> = neighbors.nodes.iter().map(|n| n.public_key).collect();
    keys.sort();
    let mut expected = vec![peer.local_enode().public_key, probe.key.public_key()];
    expected.sort();
    assert_eq!(keys, expected);

    let request_hash = probe.send(request, to).await;
    let reply = probe
        .receive(wait)
        .await
        .expect("enr response after bonding");
    let Message::EnrResponse(response) = reply.message else {
        panic!("not an enr response: {:?}", reply.message);
    };
    assert_eq!(response.request_hash, request_hash);
    let expected = NodeRecord {
        seq: 1,
        ip: Some(LOCALHOST),
        tcp: Some(30303),
        udp: Some(to.port()),
        eth: None,
    };
    // The record's signature is random-free (RFC 6979): the same record signs the same.
    assert_eq!(response.record, expected.sign(&server.shared.key).unwrap());
    server.shutdown().await;
    peer.shutdown().await;
}

#[tokio::test]
async fn expired_and_unsolicited_packets_are_ignored() {
    let server = start(Vec::new()).await;
    let to = server.local_addr().unwrap();
    let probe = Probe::new().await;
    let expired = Message::Ping(Ping {
        version: PROTOCOL_VERSION,
        from: probe.endpoint(),
        to: probe.endpoint(),
        expiration: unix_now() - 1,
        enr_seq: None,
    });
    probe.send(expired, to).await;
    assert_eq!(probe.receive(Duration::from_millis(300)).await, None);

    let neighbors = Message::Neighbors(Neighbors {
        nodes: vec![Enode {
            public_key: NodeKey::random().public_key(),
            ip: LOCALHOST,
            udp_port: 1,
            tcp_port: 1,
        }],
        expiration: expiration_from_now(),
    });
    probe.send(neighbors, to).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(server.nodes().is_empty());
    server.shutdown().await;
}

#[tokio::test]
async fn a_silent_node_fails_revalidation_and_leaves_the_table() {
    let server = start(Vec::new()).await;
    let peer = start(Vec::new()).await;
    assert!(server.ping(peer.local_enode()).await);
    assert_eq!(server.nodes(), vec![peer.local_enode()]);
    peer.shutdown().await;
    let started = Instant::now();
    while !server.nodes().is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "still in the table"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server.shutdown().await;
}

#[tokio::test]
async fn a_bonded_node_gives_its_signed_record() {
    let a = start(Vec::new()).await;
    let b = start(Vec::new()).await;
    // Before bonding, b does not answer a's ENRRequest.
    assert_eq!(a.request_enr(b.local_enode()).await, None);
    // a's Ping makes b ping back; once a has answered, b has a's endpoint proof.
    assert!(a.ping(b.local_enode()).await);
    let started = Instant::now();
    while !b.nodes().contains(&a.local_enode()) {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "b never bonded back"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let record = a.request_enr(b.local_enode()).await.expect("b's record");
    assert_eq!(record, b.shared.record);
    assert_eq!(
        super::super::verify_record(&record, &b.local_enode().public_key).unwrap(),
        1
    );
    a.shutdown().await;
    b.shutdown().await;
}
