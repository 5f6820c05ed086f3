//! geth as the serving peer: over our own RLPx connection and eth session, a running geth
//! (`$ETHREX_GETH_ENODE`, started by tests/devp2p/peers.sh on go-ethereum v1.17.5's devp2p test
//! chain) answers header, body and receipt requests exactly as our store of the same chain
//! would: the test imports the chain (`$ETHREX_PEER_CHAIN`: the folder of `genesis.json` and
//! `chain.rlp`) into an in-memory store and compares each answer with it. Over eth/69 only:
//! geth v1.17.10 speaks eth/69 to eth/72 and no longer eth/68 (ethereumjs, tests/devp2p/peers.sh,
//! is the eth/68 peer).

use std::{path::PathBuf, time::Duration};

use alloy_primitives::B256;
use alloy_rlp::Decodable;
use ethrex_blockchain::Blockchain;
use ethrex_common::{Network, types::Block};
use ethrex_p2p::{
    NodeKey,
    discv4::Enode,
    eth::{EthContext, EthPeer, EthVersion, HashOrNumber, HeadersQuery},
    rlpx::{Connection, ConnectionConfig, Protocol},
    snap::SnapVersion,
};
use ethrex_storage::Store;

/// How many blocks the test chain has.
const HEAD: u64 = 600;

/// The environment the script sets, or a panic naming what is missing.
fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run this test through tests/devp2p/peers.sh")
    })
}

/// The test chain imported into an in-memory store, as ethrex imports it.
fn chain_store() -> Store {
    let dir = PathBuf::from(env("ETHREX_PEER_CHAIN"));
    let genesis_path = dir.join("genesis.json");
    let network: Network = genesis_path.to_str().unwrap().parse().unwrap();
    let store = Store::in_memory();
    store.init_genesis(&network.genesis().unwrap()).unwrap();
    let bytes = std::fs::read(dir.join("chain.rlp")).unwrap();
    let mut buf = bytes.as_slice();
    let mut blocks = Vec::new();
    while !buf.is_empty() {
        blocks.push(Block::decode(&mut buf).unwrap());
    }
    assert_eq!(blocks.len() as u64, HEAD, "the test chain's length");
    Blockchain::new(store.clone())
        .unwrap()
        .import_blocks(&blocks)
        .unwrap();
    store
}

/// Our eth session to geth, offering `eth` (one version) and snap/1.
async fn connect(store: &Store, eth: EthVersion) -> EthPeer {
    let enode: Enode = env("ETHREX_GETH_ENODE").parse().unwrap();
    let protocols: Vec<Protocol> = vec![eth.protocol(), SnapVersion::Snap1.protocol()];
    let config = ConnectionConfig {
        key: NodeKey::random(),
        client_id: "ethrex/geth-peer-test".into(),
        protocols,
        listen_port: 0,
        handshake_timeout: Duration::from_secs(10),
    };
    let addr = std::net::SocketAddr::new(enode.ip, enode.tcp_port);
    let conn = Connection::connect(addr, enode.public_key, &config)
        .await
        .unwrap();
    let network_id = store.chain_config().unwrap().unwrap().chain_id;
    let (peer, _session) = EthPeer::start(conn, EthContext::new(store.clone(), network_id))
        .await
        .unwrap();
    peer
}

fn header_hash(store: &Store, number: u64) -> B256 {
    store.header_by_number(number).unwrap().unwrap().hash_slow()
}

/// The headers our store has at `numbers`, in that order.
fn headers_at(store: &Store, numbers: &[u64]) -> Vec<ethrex_common::types::Header> {
    (numbers.iter())
        .map(|n| store.header_by_number(*n).unwrap().unwrap())
        .collect()
}

/// One query's expected answer: the block numbers geth must return.
struct HeadersCase {
    name: &'static str,
    query: HeadersQuery,
    numbers: Vec<u64>,
}

fn headers_cases(store: &Store) -> Vec<HeadersCase> {
    let query = |origin, amount, skip, reverse| HeadersQuery {
        origin,
        amount,
        skip,
        reverse,
    };
    vec![
        HeadersCase {
            name: "the first 128 by number",
            query: query(HashOrNumber::Number(0), 128, 0, false),
            numbers: (0..128).collect(),
        },
        HeadersCase {
            name: "every 10th from #100 by number",
            query: query(HashOrNumber::Number(100), 20, 9, false),
            numbers: (0..20).map(|i| 100 + 10 * i).collect(),
        },
        HeadersCase {
            name: "back from the head by hash, skipping 3",
            query: query(HashOrNumber::Hash(header_hash(store, HEAD)), 10, 3, true),
            numbers: (0..10).map(|i| HEAD - 4 * i).collect(),
        },
        HeadersCase {
            name: "back from #5 by hash, past the genesis",
            query: query(HashOrNumber::Hash(header_hash(store, 5)), 10, 0, true),
            numbers: (0..=5).rev().collect(),
        },
        HeadersCase {
            name: "forward from #595, past the head",
            query: query(HashOrNumber::Number(595), 10, 0, false),
            numbers: (595..=HEAD).collect(),
        },
        HeadersCase {
            name: "an unknown hash",
            query: query(HashOrNumber::Hash(B256::repeat_byte(0x42)), 4, 0, false),
            numbers: vec![],
        },
    ]
}

async fn geth_serves_the_chain(eth: EthVersion) {
    let store = chain_store();
    let peer = connect(&store, eth).await;
    assert_eq!(peer.version(), eth);
    assert_eq!(peer.status().genesis_hash(), header_hash(&store, 0));
    assert_eq!(peer.status().head_hash(), header_hash(&store, HEAD));

    for case in headers_cases(&store) {
        let got = peer.request_headers(case.query).await.unwrap();
        let want = headers_at(&store, &case.numbers);
        let got_numbers: Vec<u64> = got.iter().map(|h| h.number).collect();
        assert_eq!(got_numbers, case.numbers, "{eth:?} headers, {}", case.name);
        assert_eq!(got, want, "{eth:?} headers, {}", case.name);
    }

    // Every block with transactions, in requests of 64 hashes.
    let with_txs: Vec<B256> = (1..=HEAD)
        .map(|n| header_hash(&store, n))
        .filter(|hash| {
            let body = store.body_by_hash(hash).unwrap().unwrap();
            !body.transactions.is_empty()
        })
        .collect();
    assert!(
        with_txs.len() > 100,
        "the chain has {} blocks with transactions",
        with_txs.len()
    );
    // A peer may answer a prefix of what was asked (geth stops at 2 MiB): ask again from the
    // first block left unanswered; an empty answer is a failure.
    let (mut transactions, mut receipts, mut requests) = (0, 0, 0);
    let mut left = with_txs.as_slice();
    while !left.is_empty() {
        let hashes = &left[..left.len().min(64)];
        let bodies = peer.request_bodies(hashes.to_vec()).await.unwrap();
        assert!(
            !bodies.is_empty(),
            "no bodies for {} blocks from {}",
            hashes.len(),
            hashes[0]
        );
        assert!(bodies.len() <= hashes.len());
        for (hash, body) in hashes.iter().zip(&bodies) {
            assert_eq!(
                Some(body),
                store.body_by_hash(hash).unwrap().as_ref(),
                "body of {hash}"
            );
            transactions += body.transactions.len();
        }
        let answered = &hashes[..bodies.len()];
        let mut asked = answered;
        while !asked.is_empty() {
            let got = peer.request_receipts(asked.to_vec()).await.unwrap();
            assert!(
                !got.is_empty(),
                "no receipts for {} blocks from {}",
                asked.len(),
                asked[0]
            );
            assert!(got.len() <= asked.len());
            for (hash, block_receipts) in asked.iter().zip(&got) {
                let want = store.receipts(hash).unwrap();
                assert_eq!(block_receipts, &want, "receipts of {hash}");
                receipts += block_receipts.len();
            }
            asked = &asked[got.len()..];
            requests += 1;
        }
        left = &left[answered.len()..];
        requests += 1;
    }
    assert_eq!(transactions, receipts);
    // An unknown block: nothing.
    let unknown = vec![B256::repeat_byte(0x42)];
    assert!(
        peer.request_bodies(unknown.clone())
            .await
            .unwrap()
            .is_empty()
    );
    assert!(peer.request_receipts(unknown).await.unwrap().is_empty());
    println!(
        "{eth:?}: geth's headers, {} bodies ({transactions} transactions) and their receipts \
         ({requests} body and receipt requests) equal ours",
        with_txs.len()
    );
}

#[tokio::test]
#[ignore = "needs a running geth; run by tests/devp2p/peers.sh"]
async fn geth_serves_headers_bodies_and_receipts_over_eth69() {
    geth_serves_the_chain(EthVersion::Eth69).await;
}
