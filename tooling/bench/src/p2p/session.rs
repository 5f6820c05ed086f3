//! Loopback eth sessions for the p2p benchmarks: an ethrex store served by an ethrex session on
//! one end of a real RLPx connection over 127.0.0.1 TCP, our client session on the other, both
//! in this process; and our client session dialing an external node (geth).

use std::{
    net::SocketAddr,
    time::{Duration, Instant},
};

use alloy_primitives::{B256, B512};
use ethrex_p2p::{
    NodeKey,
    eth::{EthContext, EthPeer},
    rlpx::{Connection, ConnectionConfig, DEFAULT_HANDSHAKE_TIMEOUT},
};
use ethrex_storage::Store;
use tokio::net::TcpListener;

/// A node key with its secret (`NodeKey` keeps its own private; geth's `--nodekeyhex` needs it).
pub struct Key {
    pub secret: B256,
    pub key: NodeKey,
}

impl Key {
    pub fn random() -> Result<Self, String> {
        loop {
            let secret = B256::from(rand::random::<[u8; 32]>());
            if let Some(key) = NodeKey::from_secret(secret) {
                return Ok(Self { secret, key });
            }
        }
    }

    pub fn public_key(&self) -> B512 {
        self.key.public_key()
    }
}

fn config(key: NodeKey) -> ConnectionConfig {
    ConnectionConfig {
        key,
        client_id: "ethrex-bench".into(),
        protocols: ethrex_p2p::protocols(),
        listen_port: 0,
        handshake_timeout: DEFAULT_HANDSHAKE_TIMEOUT,
    }
}

/// A client session, with the serving end's handle when it runs in this process (kept so that
/// session lives as long as the client's).
pub struct Link {
    pub client: EthPeer,
    _serving: Option<EthPeer>,
}

/// Both ends of a loopback session.
pub async fn loopback(store: &Store, network_id: u64) -> Result<Link, String> {
    let server_key = Key::random()?;
    let server_id = server_key.public_key();
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("bind 127.0.0.1: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let server_store = store.clone();
    let serving = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.map_err(|e| e.to_string())?;
        let conn = Connection::accept(stream, &config(server_key.key))
            .await
            .map_err(|e| format!("serving end: {e}"))?;
        EthPeer::start(conn, EthContext::new(server_store, network_id))
            .await
            .map_err(|e| format!("serving end's Status: {e}"))
    });
    let client = dial(addr, server_id, store, network_id).await?;
    let (server, _task) = serving.await.map_err(|e| e.to_string())??;
    Ok(Link {
        client: client.client,
        _serving: Some(server),
    })
}

/// Our client session to the node `remote_id` at `addr`, announcing `store`'s chain.
pub async fn dial(
    addr: SocketAddr,
    remote_id: B512,
    store: &Store,
    network_id: u64,
) -> Result<Link, String> {
    let conn = Connection::connect(addr, remote_id, &config(Key::random()?.key))
        .await
        .map_err(|e| format!("dialing {addr}: {e}"))?;
    let (peer, _task) = EthPeer::start(conn, EthContext::new(store.clone(), network_id))
        .await
        .map_err(|e| format!("Status with {addr}: {e}"))?;
    Ok(Link {
        client: peer,
        _serving: None,
    })
}

/// [`dial`], retried until `timeout` while the node starts listening.
pub async fn dial_when_up(
    addr: SocketAddr,
    remote_id: B512,
    store: &Store,
    network_id: u64,
    timeout: Duration,
) -> Result<Link, String> {
    let started = Instant::now();
    loop {
        match dial(addr, remote_id, store, network_id).await {
            Ok(peer) => return Ok(peer),
            Err(e) if started.elapsed() > timeout => return Err(e),
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}
