//! Transaction gossip over eth/68 and eth/69 ([`TxGossip`]): the mempool and the peers keep
//! each other informed.
//!
//! - **Out.** Every transaction the pool admits (from a peer, or from JSON-RPC) is announced by
//!   hash, type and size (NewPooledTransactionHashes) to every peer not known to have it; a
//!   newly connected peer first gets the hashes of the whole pool. Admissions from peers are
//!   announced at once; others are picked up every `interval` (`--p2p.tx-broadcasting-interval`).
//!   Full transactions are never pushed; peers fetch what they lack.
//! - **In.** Transactions a peer pushes are validated into the pool. Hashes a peer announces and
//!   we lack are fetched from it, one request per peer at a time (GetPooledTransactions, at most
//!   [`MAX_FETCH_HASHES`] hashes, closed once their announced sizes reach [`MAX_FETCH_BYTES`]);
//!   a hash being fetched is remembered with its other announcers, which are asked in turn when
//!   the first fails, delivers without it or is disconnected.
//! - **Violations** end the peer's session (BreachOfProtocol): a blob transaction pushed in a
//!   Transactions message (blob transactions travel only by announcement), a delivered
//!   transaction whose type or size (beyond 8 bytes) differs from the peer's announcement of
//!   it, a pooled blob transaction without its sidecar or with one that does not verify.
//!   Delivered transactions neither requested nor announced are dropped. A transaction the pool merely refuses (nonce too low, underpriced, ...) costs the
//!   peer nothing.
//!
//! Invariants: a peer is never sent a hash it announced, sent us, or was already sent (up to
//! [`KNOWN_PER_PEER`] remembered per peer); at most one request per hash is in flight.

use std::{
    collections::{HashMap, HashSet, VecDeque},
    sync::Arc,
    time::Duration,
};

use alloy_primitives::{B256, B512, Bytes};
use ethrex_blockchain::{
    Blockchain,
    mempool::{Mempool, MempoolError},
};
use ethrex_common::types::Transaction;
use tokio::{sync::mpsc, task::JoinHandle, task::JoinSet};

use crate::{
    eth::{EthMessage, EthPeer, PeerEvent, messages::NewPooledTransactionHashes},
    rlpx::DisconnectReason,
};

/// Most hashes in one GetPooledTransactions request (geth's).
pub const MAX_FETCH_HASHES: usize = 256;
/// Most announced bytes asked for in one request (geth's 128 KiB); a single larger
/// transaction is still asked for alone.
pub const MAX_FETCH_BYTES: u64 = 128 * 1024;
/// Most hashes in one announcement (geth's limit on what it accepts).
pub const MAX_ANNOUNCE: usize = 4096;
/// How many hashes are remembered per peer as known to it.
pub const KNOWN_PER_PEER: usize = 32_768;
/// How far a delivered transaction's size may be from the announced one (encodings differ by
/// a few header bytes between clients).
pub const SIZE_SLACK: u64 = 8;
/// Most announced hashes waiting per peer (geth's limit); more are ignored.
pub const MAX_PENDING_PER_PEER: usize = 4096;
/// How long a fetch waits for a just-connected peer to be registered.
const PEER_LOOKUP_WAIT: Duration = Duration::from_secs(1);

/// Where the gossip finds the peers' session handles (the peer manager).
pub use crate::peers::PeerHandles as GossipPeers;

/// An announced transaction's type and size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Meta {
    kind: u8,
    size: u64,
}

/// The type byte and network size of `tx`, as announcements carry them.
pub fn announced_meta(tx: &Transaction) -> (u8, u64) {
    let kind = tx.tx_type() as u8;
    let size = match tx {
        Transaction::Legacy(_) => alloy_rlp::encode(tx).len(),
        typed => typed.encode_network().len(),
    };
    (kind, u64::try_from(size).unwrap_or(u64::MAX))
}

/// The running gossip task.
pub struct TxGossip {
    task: JoinHandle<()>,
}

impl TxGossip {
    /// Starts gossiping between `mempool` (validated against `chain`) and `peers`, fed by the
    /// sessions' `events`; pool admissions from elsewhere are announced every `interval`.
    pub fn start(
        chain: Arc<Blockchain>,
        mempool: Arc<Mempool>,
        peers: Arc<dyn GossipPeers>,
        events: mpsc::Receiver<PeerEvent>,
        interval: Duration,
    ) -> Self {
        mempool.track_additions();
        let gossip = Gossip {
            chain,
            mempool,
            peers,
            known: HashMap::new(),
            announced: HashMap::new(),
            queue: HashMap::new(),
            busy: HashSet::new(),
            in_flight: HashMap::new(),
            fetches: JoinSet::new(),
        };
        Self {
            task: tokio::spawn(gossip.run(events, interval.max(Duration::from_millis(1)))),
        }
    }

    /// Stops the task.
    pub async fn stop(self) {
        self.task.abort();
        let _ = self.task.await;
    }
}

/// Hashes known to one peer, the oldest forgotten first.
#[derive(Default)]
struct KnownSet {
    set: HashSet<B256>,
    order: VecDeque<B256>,
}

impl KnownSet {
    fn insert(&mut self, hash: B256) {
        if self.set.insert(hash) {
            if self.order.len() >= KNOWN_PER_PEER
                && let Some(old) = self.order.pop_front()
            {
                self.set.remove(&old);
            }
            self.order.push_back(hash);
        }
    }

    fn contains(&self, hash: &B256) -> bool {
        self.set.contains(hash)
    }
}

/// A hash assigned to a peer for fetching, and who else announced it.
struct InFlight {
    peer: B512,
    alternates: VecDeque<B512>,
}

/// What a finished fetch reports.
struct Fetched {
    peer: B512,
    requested: Vec<B256>,
    result: Result<Vec<Transaction>, String>,
}

struct Gossip {
    chain: Arc<Blockchain>,
    mempool: Arc<Mempool>,
    peers: Arc<dyn GossipPeers>,
    known: HashMap<B512, KnownSet>,
    /// Per peer, what it announced that we still lack (checked against what it delivers).
    announced: HashMap<B512, HashMap<B256, Meta>>,
    /// Per peer, the hashes assigned to it and not yet requested.
    queue: HashMap<B512, VecDeque<B256>>,
    /// Peers with a request in flight (one at a time each).
    busy: HashSet<B512>,
    in_flight: HashMap<B256, InFlight>,
    fetches: JoinSet<Fetched>,
}

impl Gossip {
    async fn run(mut self, mut events: mpsc::Receiver<PeerEvent>, interval: Duration) {
        let mut ticks = tokio::time::interval(interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                event = events.recv() => match event {
                    Some(event) => self.on_event(event).await,
                    None => return,
                },
                Some(done) = self.fetches.join_next(), if !self.fetches.is_empty() => {
                    if let Ok(fetched) = done {
                        self.on_fetched(fetched).await;
                    }
                }
                _ = ticks.tick() => self.announce_additions(),
            }
        }
    }

    async fn on_event(&mut self, event: PeerEvent) {
        match event {
            PeerEvent::Connected { peer } => self.greet(peer),
            PeerEvent::Transactions { peer, transactions } => {
                self.on_transactions(peer, transactions).await;
            }
            PeerEvent::PooledTransactionHashes { peer, announcement } => {
                self.on_announcement(peer, announcement);
            }
            PeerEvent::BlockRange { .. } => {}
        }
    }

    /// A new peer gets the hashes of the whole pool.
    fn greet(&mut self, peer: B512) {
        let Some(handle) = self.peers.handle(&peer) else {
            return;
        };
        let content = self.mempool.content();
        let all: Vec<(B256, u8, u64)> = (content.pending.values())
            .chain(content.queued.values())
            .flatten()
            .map(|pooled| {
                let (kind, size) = announced_meta(&pooled.transaction);
                (pooled.hash, kind, size)
            })
            .collect();
        let known = self.known.entry(peer).or_default();
        send_announcements(&handle, known, &all);
    }

    async fn on_transactions(&mut self, peer: B512, transactions: Vec<Transaction>) {
        let known = self.known.entry(peer).or_default();
        for tx in &transactions {
            known.insert(tx.hash());
        }
        if transactions
            .iter()
            .any(|tx| matches!(tx, Transaction::Eip4844(..)))
        {
            self.penalise(
                peer,
                "a blob transaction pushed in a Transactions message",
                Vec::new(),
            )
            .await;
            return;
        }
        self.admit(transactions);
        self.announce_additions();
    }

    fn on_announcement(&mut self, peer: B512, announcement: NewPooledTransactionHashes) {
        let known = self.known.entry(peer).or_default();
        let announced = self.announced.entry(peer).or_default();
        for ((kind, size), hash) in (announcement.types.iter())
            .zip(&announcement.sizes)
            .zip(&announcement.hashes)
        {
            known.insert(*hash);
            if self.mempool.contains(hash) || announced.len() >= MAX_PENDING_PER_PEER {
                continue;
            }
            let meta = Meta {
                kind: *kind,
                size: *size,
            };
            if announced.insert(*hash, meta).is_some() {
                continue; // announced twice: already assigned or an alternate
            }
            match self.in_flight.get_mut(hash) {
                Some(fetch) => fetch.alternates.push_back(peer),
                None => {
                    self.in_flight.insert(
                        *hash,
                        InFlight {
                            peer,
                            alternates: VecDeque::new(),
                        },
                    );
                    self.queue.entry(peer).or_default().push_back(*hash);
                }
            }
        }
        self.schedule(peer);
    }

    /// Sends `peer` its next request from its queue, unless one is in flight: hashes until
    /// [`MAX_FETCH_HASHES`], or until their announced sizes reach [`MAX_FETCH_BYTES`].
    fn schedule(&mut self, peer: B512) {
        if self.busy.contains(&peer) {
            return;
        }
        let Some(queue) = self.queue.get_mut(&peer) else {
            return;
        };
        let announced = self.announced.get(&peer);
        let mut batch = Vec::new();
        let mut bytes = 0u64;
        while let Some(hash) = queue.pop_front() {
            if self.mempool.contains(&hash) {
                self.in_flight.remove(&hash);
                continue;
            }
            let size = announced.and_then(|a| a.get(&hash)).map_or(0, |m| m.size);
            batch.push(hash);
            bytes = bytes.saturating_add(size);
            if batch.len() >= MAX_FETCH_HASHES || bytes >= MAX_FETCH_BYTES {
                break;
            }
        }
        if queue.is_empty() {
            self.queue.remove(&peer);
        }
        if batch.is_empty() {
            return;
        }
        self.busy.insert(peer);
        let peers = Arc::clone(&self.peers);
        self.fetches.spawn(async move {
            let result = match wait_for_peer(&*peers, &peer).await {
                Some(handle) => (handle.request_pooled_transactions(batch.clone()).await)
                    .map_err(|e| e.to_string()),
                None => Err("the peer is gone".into()),
            };
            Fetched {
                peer,
                requested: batch,
                result,
            }
        });
    }

    async fn on_fetched(&mut self, fetched: Fetched) {
        let Fetched {
            peer,
            requested,
            result,
        } = fetched;
        self.busy.remove(&peer);
        let transactions = match result {
            Ok(transactions) => transactions,
            Err(e) => {
                tracing::debug!("gossip: fetching from {peer} failed: {e}");
                self.reassign(peer, &requested);
                self.schedule(peer);
                return;
            }
        };
        let announced = self.announced.remove(&peer).unwrap_or_default();
        let checked = check_delivery(&requested, &announced, transactions);
        let mut announced = announced;
        let transactions = match checked {
            Ok(transactions) => transactions,
            Err(violation) => {
                self.penalise(peer, &violation, announced.into_keys().collect())
                    .await;
                return;
            }
        };
        let hashes: Vec<B256> = transactions.iter().map(Transaction::hash).collect();
        let results = self.admit(transactions);
        let mut violation = None;
        for (hash, result) in hashes.iter().zip(results) {
            match result {
                Err(e @ (MempoolError::MissingSidecar | MempoolError::InvalidSidecar(_))) => {
                    violation = Some(format!("pooled transaction {hash}: {e}"));
                }
                _ => {
                    announced.remove(hash);
                    if self.in_flight.get(hash).is_some_and(|f| f.peer == peer) {
                        self.in_flight.remove(hash);
                    }
                }
            }
        }
        self.announce_additions();
        if let Some(violation) = violation {
            self.penalise(peer, &violation, announced.into_keys().collect())
                .await;
            return;
        }
        // What was asked and not delivered goes to the next announcer.
        let undelivered: Vec<B256> = (requested.iter())
            .filter(|hash| announced.remove(*hash).is_some())
            .copied()
            .collect();
        self.announced.insert(peer, announced);
        self.reassign(peer, &undelivered);
        self.schedule(peer);
    }

    /// Hands the `hashes` assigned to `peer` to their next announcer (dropped when none).
    fn reassign(&mut self, peer: B512, hashes: &[B256]) {
        let mut touched = HashSet::new();
        for hash in hashes {
            if let Some(announced) = self.announced.get_mut(&peer) {
                announced.remove(hash);
            }
            let Some(mut fetch) = self.in_flight.remove(hash) else {
                continue;
            };
            if fetch.peer != peer {
                // Assigned elsewhere: only forget this peer as an alternate.
                fetch.alternates.retain(|p| *p != peer);
                self.in_flight.insert(*hash, fetch);
                continue;
            }
            if self.mempool.contains(hash) {
                continue;
            }
            fetch.alternates.retain(|p| *p != peer);
            if let Some(next) = fetch.alternates.pop_front() {
                fetch.peer = next;
                self.in_flight.insert(*hash, fetch);
                self.queue.entry(next).or_default().push_back(*hash);
                touched.insert(next);
            }
        }
        for next in touched {
            self.schedule(next);
        }
    }

    /// Validates `transactions` into the pool; one result each.
    fn admit(&self, transactions: Vec<Transaction>) -> Vec<Result<B256, MempoolError>> {
        let count = transactions.len();
        match self.mempool.add_transactions(&self.chain, transactions) {
            Ok(results) => results,
            Err(e) => {
                tracing::warn!("gossip: cannot validate transactions: {e}");
                (0..count)
                    .map(|_| Err(MempoolError::State(e.to_string())))
                    .collect()
            }
        }
    }

    /// Announces what the pool admitted since the last time to every peer lacking it.
    fn announce_additions(&mut self) {
        let added = self.mempool.take_additions();
        let handles = self.peers.handles();
        let connected: HashSet<B512> = handles.iter().map(EthPeer::remote_id).collect();
        self.known.retain(|id, _| connected.contains(id));
        if added.is_empty() {
            return;
        }
        let metas: Vec<(B256, u8, u64)> = added
            .iter()
            .filter_map(|hash| {
                let pooled = self.mempool.get(hash)?;
                let (kind, size) = announced_meta(&pooled.transaction);
                Some((*hash, kind, size))
            })
            .collect();
        for handle in handles {
            let known = self.known.entry(handle.remote_id()).or_default();
            send_announcements(&handle, known, &metas);
        }
    }

    /// Disconnects `peer` for `violation`; what it was to deliver (`assigned`, and its queue)
    /// goes to the next announcers.
    async fn penalise(&mut self, peer: B512, violation: &str, assigned: Vec<B256>) {
        tracing::debug!("gossip: disconnecting {peer}: {violation}");
        if let Some(handle) = self.peers.handle(&peer) {
            handle.disconnect(DisconnectReason::BreachOfProtocol).await;
        }
        self.known.remove(&peer);
        let mut hashes = assigned;
        hashes.extend(self.queue.remove(&peer).unwrap_or_default());
        hashes.extend(
            self.announced
                .get(&peer)
                .into_iter()
                .flat_map(|a| a.keys().copied()),
        );
        self.busy.insert(peer); // no further request to it
        self.reassign(peer, &hashes);
        self.announced.remove(&peer);
        self.busy.remove(&peer);
    }
}

/// Sends `handle` the entries of `metas` it does not know, in announcements of at most
/// [`MAX_ANNOUNCE`] hashes, and remembers them as known.
fn send_announcements(handle: &EthPeer, known: &mut KnownSet, metas: &[(B256, u8, u64)]) {
    let fresh: Vec<&(B256, u8, u64)> = metas.iter().filter(|(h, ..)| !known.contains(h)).collect();
    for chunk in fresh.chunks(MAX_ANNOUNCE) {
        let announcement = NewPooledTransactionHashes {
            types: Bytes::from(chunk.iter().map(|(_, kind, _)| *kind).collect::<Vec<u8>>()),
            sizes: chunk.iter().map(|(_, _, size)| *size).collect(),
            hashes: chunk.iter().map(|(hash, ..)| *hash).collect(),
        };
        if !handle.try_send(EthMessage::NewPooledTransactionHashes(announcement)) {
            return;
        }
        for (hash, ..) in chunk {
            known.insert(*hash);
        }
    }
}

/// Checks a delivery: each transaction was requested or announced by the peer (others are
/// dropped), has its announced type and (within [`SIZE_SLACK`]) size, and a blob transaction
/// comes with its sidecar. The transactions to admit, or the violation.
fn check_delivery(
    requested: &[B256],
    announced: &HashMap<B256, Meta>,
    transactions: Vec<Transaction>,
) -> Result<Vec<Transaction>, String> {
    let mut admitted = Vec::with_capacity(transactions.len());
    for tx in transactions {
        let hash = tx.hash();
        let Some(meta) = announced.get(&hash) else {
            if requested.contains(&hash) {
                admitted.push(tx);
            }
            continue;
        };
        let (kind, size) = announced_meta(&tx);
        if kind != meta.kind {
            return Err(format!(
                "transaction {hash} is of type {kind}, announced as type {}",
                meta.kind
            ));
        }
        if size.abs_diff(meta.size) > SIZE_SLACK {
            return Err(format!(
                "transaction {hash} has {size} bytes, announced with {}",
                meta.size
            ));
        }
        if matches!(tx, Transaction::Eip4844(_, None)) {
            return Err(format!(
                "blob transaction {hash} delivered without its sidecar"
            ));
        }
        admitted.push(tx);
    }
    Ok(admitted)
}

/// The handle of `id`, waiting a little for a peer whose session just started to be registered.
async fn wait_for_peer(peers: &dyn GossipPeers, id: &B512) -> Option<EthPeer> {
    let deadline = tokio::time::Instant::now() + PEER_LOOKUP_WAIT;
    loop {
        if let Some(handle) = peers.handle(id) {
            return Some(handle);
        }
        if tokio::time::Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[cfg(test)]
mod tests;
