//! Gossip between our gossiping node A and a plain session B over loopback TCP: A announces what
//! its pool admits, fetches what B announces (and never announces it back), and disconnects B
//! for an announcement whose size is wrong or a blob transaction pushed in full.

use std::sync::Mutex;

use ethrex_common::Fork;
use ethrex_storage::Store;
use ethrex_test_utils::{GenesisBuilder, TxBuilder};
use tokio::net::TcpListener;

use super::*;
use crate::{
    NodeKey,
    eth::{EthContext, EthError},
    rlpx::{Connection, ConnectionConfig},
};

/// How long anything here may take.
const WAIT: Duration = Duration::from_secs(10);

/// A's view of its one peer.
struct OnePeer(Mutex<Option<EthPeer>>);

impl GossipPeers for OnePeer {
    fn handles(&self) -> Vec<EthPeer> {
        self.0.lock().unwrap().iter().cloned().collect()
    }

    fn handle(&self, id: &B512) -> Option<EthPeer> {
        self.handles().into_iter().find(|p| p.remote_id() == *id)
    }
}

/// A node's chain, pool and event channel.
struct Side {
    chain: Arc<Blockchain>,
    mempool: Arc<Mempool>,
    context: EthContext,
    events: mpsc::Receiver<PeerEvent>,
}

fn side() -> Side {
    let store = Store::in_memory();
    store
        .init_genesis(&GenesisBuilder::new(Fork::Prague).build())
        .unwrap();
    let chain = Arc::new(Blockchain::new(store.clone()).unwrap());
    let mempool = Arc::new(Mempool::new(100));
    let (tx, events) = mpsc::channel(64);
    let mut context = EthContext::new(store, chain.config().chain_id);
    context.mempool = Some(Arc::clone(&mempool));
    context.events = Some(tx);
    Side {
        chain,
        mempool,
        context,
        events,
    }
}

fn config() -> ConnectionConfig {
    ConnectionConfig {
        key: NodeKey::random(),
        client_id: "ethrex/test".into(),
        protocols: crate::protocols(),
        listen_port: 30303,
        handshake_timeout: Duration::from_secs(5),
    }
}

/// A (gossiping) and B connected: (A's handle on B with A's session task, B's handle on A with
/// B's session task, B's side, A's pool).
struct Pair {
    a_mempool: Arc<Mempool>,
    a_task: JoinHandle<EthError>,
    b: Side,
    b_peer: EthPeer,
    b_task: JoinHandle<EthError>,
    _gossip: TxGossip,
}

async fn pair() -> Pair {
    let (a, b) = (side(), side());
    let (a_config, b_config) = (config(), config());
    let b_id = b_config.key.public_key();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepting = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        Connection::accept(stream, &b_config).await.unwrap()
    });
    let dialed = Connection::connect(addr, b_id, &a_config).await.unwrap();
    let accepted = accepting.await.unwrap();
    let (a_started, b_started) = tokio::join!(
        EthPeer::start(dialed, a.context.clone()),
        EthPeer::start(accepted, b.context.clone())
    );
    let ((a_peer, a_task), (b_peer, b_task)) = (a_started.unwrap(), b_started.unwrap());
    let peers = Arc::new(OnePeer(Mutex::new(Some(a_peer))));
    let gossip = TxGossip::start(
        a.chain,
        Arc::clone(&a.mempool),
        peers,
        a.events,
        Duration::from_millis(50),
    );
    Pair {
        a_mempool: a.mempool,
        a_task,
        b,
        b_peer,
        b_task,
        _gossip: gossip,
    }
}

/// The next announcement B receives within `timeout`.
async fn next_announcement(
    events: &mut mpsc::Receiver<PeerEvent>,
    timeout: Duration,
) -> Option<NewPooledTransactionHashes> {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let event = tokio::time::timeout_at(deadline, events.recv())
            .await
            .ok()??;
        if let PeerEvent::PooledTransactionHashes { announcement, .. } = event {
            return Some(announcement);
        }
    }
}

fn announcement_of(tx: &Transaction, size_error: u64) -> NewPooledTransactionHashes {
    NewPooledTransactionHashes {
        types: Bytes::from(vec![tx.tx_type() as u8]),
        sizes: vec![tx.encode_2718().len() as u64 + size_error],
        hashes: vec![tx.hash()],
    }
}

#[tokio::test]
async fn admitted_transactions_are_announced_and_announced_ones_fetched_not_echoed() {
    let mut pair = pair().await;
    // Out: a transaction A's pool admits reaches B as an announcement of its hash, type, size.
    let tx = TxBuilder::new().nonce(0).eip1559();
    let chain = Blockchain::new(pair.b.context.store.clone()).unwrap();
    pair.a_mempool.add_transaction(&chain, tx.clone()).unwrap();
    let announced = next_announcement(&mut pair.b.events, WAIT)
        .await
        .expect("A announces its pool's new transaction");
    assert_eq!(announced, announcement_of(&tx, 0));

    // In: B announces a transaction of its pool; A fetches it (B's session serves it from B's
    // pool) and admits it.
    let other = TxBuilder::new()
        .signer(ethrex_test_utils::dev_secret(1))
        .nonce(0)
        .eip2930();
    pair.b
        .mempool
        .add_transaction(&chain, other.clone())
        .unwrap();
    assert!(
        pair.b_peer
            .try_send(EthMessage::NewPooledTransactionHashes(announcement_of(
                &other, 0
            )))
    );
    let deadline = tokio::time::Instant::now() + WAIT;
    while !pair.a_mempool.contains(&other.hash()) {
        assert!(tokio::time::Instant::now() < deadline, "A never fetched it");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // ... and does not announce it back to B, who announced it.
    let echo = next_announcement(&mut pair.b.events, Duration::from_millis(500)).await;
    assert!(
        echo.as_ref()
            .is_none_or(|a| !a.hashes.contains(&other.hash())),
        "{echo:?}"
    );
}

#[tokio::test]
async fn a_wrong_announced_size_disconnects_the_announcer() {
    let pair = pair().await;
    let chain = Blockchain::new(pair.b.context.store.clone()).unwrap();
    let tx = TxBuilder::new().nonce(0).eip1559();
    pair.b.mempool.add_transaction(&chain, tx.clone()).unwrap();
    assert!(
        pair.b_peer
            .try_send(EthMessage::NewPooledTransactionHashes(announcement_of(
                &tx, 100
            )))
    );
    let a_end = tokio::time::timeout(WAIT, pair.a_task)
        .await
        .unwrap()
        .unwrap();
    assert!(
        matches!(
            a_end,
            EthError::Disconnected(DisconnectReason::BreachOfProtocol)
        ),
        "{a_end}"
    );
    let b_end = tokio::time::timeout(WAIT, pair.b_task)
        .await
        .unwrap()
        .unwrap();
    assert!(b_end.to_string().contains("breach of protocol"), "{b_end}");
    assert!(!pair.a_mempool.contains(&tx.hash()));
}

#[tokio::test]
async fn a_blob_transaction_pushed_in_full_disconnects_the_sender() {
    let pair = pair().await;
    let blob = TxBuilder::new()
        .nonce(0)
        .eip4844_with_sidecar(b"gossip", false, 1_000_000_000);
    assert!(
        pair.b_peer
            .try_send(EthMessage::Transactions(vec![blob.clone()]))
    );
    let a_end = tokio::time::timeout(WAIT, pair.a_task)
        .await
        .unwrap()
        .unwrap();
    assert!(
        matches!(
            a_end,
            EthError::Disconnected(DisconnectReason::BreachOfProtocol)
        ),
        "{a_end}"
    );
    assert!(!pair.a_mempool.contains(&blob.hash()));
}
