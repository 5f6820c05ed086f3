//! A scripted peer for the sync tests: a real RLPx session on 127.0.0.1 serving a store's chain
//! and state (headers, bodies, receipts, every snap/1 request) through the node's own serve
//! functions, except for what its [`Script`] changes: lies (bodies, account ranges, trie nodes),
//! an end of service (the root leaves its window), a root it does not keep, or a pause. It records whether the client
//! disconnected it for a breach of protocol; [`wait_until_dropped`] waits for the client to
//! have dropped it.

use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

use alloy_primitives::{B256, U256};
use tokio::net::TcpListener;

use super::{
    Blockchain, Duration, EthPeer, HashOrNumber, HeadersQuery, Instant,
    tests::{WAIT, config},
};
use crate::{
    eth::{EthContext, EthMessage, EthVersion, LocalChain, messages::BlockBodies, serve},
    rlpx::{Connection, DisconnectReason, RlpxError},
    snap::{SnapMessage, messages::TrieNodes, serve as snap_serve},
};

/// What a scripted peer does differently from an honest one.
#[derive(Clone)]
pub(super) enum Script {
    /// Every body loses its last transaction.
    WrongBodies,
    /// Every account range has its first account's balance raised by one.
    WrongAccountRanges,
    /// Every trie node has its last byte changed.
    WrongTrieNodes,
    /// Trie-node answers of at most `nodes` nodes (a prefix, as a byte limit would cut) to the
    /// first `answers` requests, then empty ones (the root is gone).
    TrieNodesStopAfter { answers: usize, nodes: usize },
    /// Honest, but no snap request is answered while the flag is set.
    SnapPaused(Arc<AtomicBool>),
    /// Every snap request for this state root is answered empty (the peer keeps fewer states).
    ForgetRoot(B256),
}

/// A scripted peer over `server`'s store, the client's end on `client`'s; the flag is set when
/// the client disconnects it for a breach of protocol.
pub(super) async fn scripted_peer(
    client: &Blockchain,
    server: &Blockchain,
    script: Script,
) -> (EthPeer, Arc<AtomicBool>) {
    let (client_config, server_config) = (config(), config());
    let server_id = server_config.key.public_key();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let store = server.store().clone();
    let network = server.config().chain_id;
    let disconnected = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&disconnected);
    tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let mut conn = Connection::accept(stream, &server_config).await.unwrap();
        let offset = 0x10;
        let (version, _) = EthVersion::negotiated(conn.shared_capabilities()).unwrap();
        let local = LocalChain::load(&store, network).unwrap();
        let status = EthMessage::Status(local.status(version));
        conn.send(offset, &status.encode(version)).await.unwrap();
        let mut trie_answers = 0;
        loop {
            let message = match conn.recv().await {
                Ok(message) => message,
                Err(RlpxError::Disconnected(DisconnectReason::BreachOfProtocol)) => {
                    flag.store(true, Ordering::SeqCst);
                    return;
                }
                Err(_) => return,
            };
            let Some(relative) = message.id.checked_sub(offset) else {
                continue;
            };
            // eth/69 uses 18 ids; snap/1 follows.
            let Some(snap_id) = relative.checked_sub(18) else {
                let Ok(request) = EthMessage::decode(version, relative, &message.payload) else {
                    continue;
                };
                let answer = match request {
                    EthMessage::GetBlockHeaders(request) => {
                        EthMessage::BlockHeaders(serve::serve_headers(&store, &request).unwrap())
                    }
                    EthMessage::GetReceipts(request) => EthMessage::Receipts(
                        serve::serve_receipts(&store, &request, version).unwrap(),
                    ),
                    EthMessage::GetBlockBodies(request) => {
                        let mut bodies = serve::serve_bodies(&store, &request).unwrap();
                        if matches!(script, Script::WrongBodies) {
                            for body in &mut bodies.bodies {
                                body.transactions.pop();
                            }
                        }
                        EthMessage::BlockBodies(BlockBodies {
                            request_id: bodies.request_id,
                            bodies: bodies.bodies,
                        })
                    }
                    _ => continue,
                };
                if (conn
                    .send(offset + answer.id(), &answer.encode(version))
                    .await)
                    .is_err()
                {
                    return;
                }
                continue;
            };
            let Ok(request) = SnapMessage::decode(snap_id, &message.payload) else {
                continue;
            };
            if let Script::SnapPaused(paused) = &script {
                while paused.load(Ordering::SeqCst) {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            }
            // A forgotten root is asked for as an unknown one (one bit flipped): answered empty.
            let request = match (&script, request) {
                (Script::ForgetRoot(root), SnapMessage::GetAccountRange(mut r)) => {
                    r.root_hash.0[0] ^= u8::from(r.root_hash == *root);
                    SnapMessage::GetAccountRange(r)
                }
                (Script::ForgetRoot(root), SnapMessage::GetStorageRanges(mut r)) => {
                    r.root_hash.0[0] ^= u8::from(r.root_hash == *root);
                    SnapMessage::GetStorageRanges(r)
                }
                (Script::ForgetRoot(root), SnapMessage::GetTrieNodes(mut r)) => {
                    r.root_hash.0[0] ^= u8::from(r.root_hash == *root);
                    SnapMessage::GetTrieNodes(r)
                }
                (_, request) => request,
            };
            let answer = match request {
                SnapMessage::GetAccountRange(request) => {
                    let mut range = snap_serve::serve_account_range(&store, &request).unwrap();
                    if matches!(script, Script::WrongAccountRanges)
                        && let Some(first) = range.accounts.first_mut()
                    {
                        first.account.0.balance += U256::from(1);
                    }
                    SnapMessage::AccountRange(range)
                }
                SnapMessage::GetStorageRanges(request) => SnapMessage::StorageRanges(
                    snap_serve::serve_storage_ranges(&store, &request).unwrap(),
                ),
                SnapMessage::GetByteCodes(request) => {
                    SnapMessage::ByteCodes(snap_serve::serve_byte_codes(&store, &request).unwrap())
                }
                SnapMessage::GetTrieNodes(request) => {
                    let mut nodes = snap_serve::serve_trie_nodes(&store, &request).unwrap();
                    trie_answers += 1;
                    match &script {
                        Script::WrongTrieNodes => {
                            for node in &mut nodes.nodes {
                                let mut bytes = node.to_vec();
                                if let Some(last) = bytes.last_mut() {
                                    *last ^= 1;
                                }
                                *node = bytes.into();
                            }
                        }
                        Script::TrieNodesStopAfter { answers, .. } if trie_answers > *answers => {
                            nodes = TrieNodes {
                                request_id: nodes.request_id,
                                nodes: Vec::new(),
                            };
                        }
                        Script::TrieNodesStopAfter { nodes: most, .. } => {
                            nodes.nodes.truncate(*most);
                        }
                        _ => {}
                    }
                    SnapMessage::TrieNodes(nodes)
                }
                _ => continue,
            };
            if (conn.send(offset + 18 + answer.id(), &answer.encode()).await).is_err() {
                return;
            }
        }
    });
    let conn = Connection::connect(addr, server_id, &client_config)
        .await
        .unwrap();
    let client_context = EthContext::new(client.store().clone(), client.config().chain_id);
    let (peer, _task) = EthPeer::start(conn, client_context).await.unwrap();
    (peer, disconnected)
}

/// Waits until the client dropped `liar`: the scripted peer read the Disconnect with
/// BreachOfProtocol (`seen`), or the client's session with it is gone — closing with the
/// liar's answers still unread, the client resets the connection, and the reset can discard
/// the Disconnect frame before the liar reads it. The client closes no honest session.
pub(super) async fn wait_until_dropped(liar: &EthPeer, seen: &AtomicBool) {
    let deadline = Instant::now() + WAIT;
    loop {
        if seen.load(Ordering::SeqCst) {
            return;
        }
        let query = HeadersQuery {
            origin: HashOrNumber::Number(0),
            amount: 1,
            skip: 0,
            reverse: false,
        };
        if liar.request_headers(query).await.is_err() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the lying peer was not disconnected"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
