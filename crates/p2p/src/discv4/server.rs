//! The discovery service: [`Discv4::start`] binds a UDP socket and runs three tasks —
//! receiving (answering Ping, FindNode and ENRRequest, routing replies to whoever waits for
//! them), lookups (bonding with the bootnodes, then a recursive lookup every
//! `lookup_interval`, alternately toward the local id and a random target) and revalidation
//! (every `revalidation_interval`, pinging the least recently seen node of a random bucket and
//! removing it if it stays silent). The [`Discv4`] handle reads the table and stops the tasks.
//!
//! Replies are matched, never trusted blindly: a Pong counts only with the hash of a Ping we
//! sent to that node, Neighbors only while we wait for that node's answer to our FindNode,
//! ENRResponse only with the hash of our ENRRequest. Locks are never held across an `await`.

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{Arc, Mutex, MutexGuard, PoisonError},
    time::{Duration, Instant},
};

use alloy_primitives::{B256, B512, keccak256};
use tokio::{net::UdpSocket, sync::mpsc, task::JoinSet};

use super::{
    Discv4Error, Enode, expiration_from_now, lookup,
    packet::{
        Endpoint, EnrRequest, EnrResponse, FindNode, Message, Neighbors, PROTOCOL_VERSION, Packet,
        Ping, Pong,
    },
    table::Table,
    unix_now,
};
use crate::{LocalNode, NodeKey, enr::NodeRecord};

/// The settings of discovery.
#[derive(Debug, Clone)]
pub struct Discv4Config {
    /// Nodes bonded with at start (and again whenever the table is empty).
    pub bootnodes: Vec<Enode>,
    /// Time between two lookups.
    pub lookup_interval: Duration,
    /// Time between two revalidation pings.
    pub revalidation_interval: Duration,
    /// How long to wait for a Pong, Neighbors or ENRResponse.
    pub response_timeout: Duration,
    /// The sequence number of our node record (announced in Ping and Pong).
    pub enr_seq: u64,
    /// The fork id our record's `eth` entry announces (EIP-2124), if any.
    pub fork_id: Option<ethrex_common::ForkId>,
}

impl Default for Discv4Config {
    fn default() -> Self {
        Self {
            bootnodes: Vec::new(),
            lookup_interval: Duration::from_secs(30),
            revalidation_interval: Duration::from_secs(10),
            response_timeout: Duration::from_millis(500),
            enr_seq: 1,
            fork_id: None,
        }
    }
}

/// A running discovery service. Dropping it stops the service, as [`Discv4::shutdown`] does.
#[derive(Debug)]
pub struct Discv4 {
    shared: Arc<Shared>,
}

/// The reply a waiter expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Pong { ping_hash: B256 },
    Neighbors,
    EnrResponse { request_hash: B256 },
}

#[derive(Debug)]
struct Waiter {
    from: B256,
    expect: Expect,
    reply: mpsc::Sender<Message>,
}

/// What the tasks share.
#[derive(Debug)]
pub(super) struct Shared {
    socket: UdpSocket,
    key: NodeKey,
    local: Enode,
    record: Vec<u8>,
    pub(super) config: Discv4Config,
    table: Mutex<Table>,
    waiters: Mutex<HashMap<u64, Waiter>>,
    next_waiter: Mutex<u64>,
    tasks: Mutex<JoinSet<()>>,
}

/// A registered waiter, unregistered when dropped.
struct Subscription<'a> {
    shared: &'a Shared,
    token: u64,
    replies: mpsc::Receiver<Message>,
}

impl Drop for Subscription<'_> {
    fn drop(&mut self) {
        lock(&self.shared.waiters).remove(&self.token);
    }
}

/// Locks a mutex; a panicked holder cannot leave the table or the waiters inconsistent (each
/// critical section is one call), so a poisoned lock is used as is.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Discv4 {
    /// Binds `listen.ip:listen.udp_port` (port 0: any free port), announces
    /// `listen.tcp_port` as the RLPx port, and starts the service on the current tokio runtime.
    /// The announced IP follows [`LocalNode::new`] (an unspecified address as loopback).
    pub async fn start(
        config: Discv4Config,
        key: NodeKey,
        listen: Endpoint,
    ) -> crate::Result<Self> {
        let addr = SocketAddr::new(listen.ip, listen.udp_port);
        let io = |source| Discv4Error::Io { addr, source };
        let socket = UdpSocket::bind(addr).await.map_err(io)?;
        let udp_port = socket.local_addr().map_err(io)?.port();
        let local = LocalNode::new(key, listen.ip, listen.tcp_port, udp_port);
        let record = NodeRecord {
            seq: config.enr_seq,
            ip: Some(local.ip),
            tcp: Some(local.tcp_port),
            udp: Some(local.udp_port),
            eth: config.fork_id,
        }
        .sign(&key)?;
        let shared = Arc::new(Shared {
            socket,
            key,
            local: Enode {
                public_key: key.public_key(),
                ip: local.ip,
                udp_port,
                tcp_port: local.tcp_port,
            },
            record,
            config,
            table: Mutex::new(Table::new(key.node_id())),
            waiters: Mutex::new(HashMap::new()),
            next_waiter: Mutex::new(0),
            tasks: Mutex::new(JoinSet::new()),
        });
        shared.spawn(receive_loop(shared.clone()));
        shared.spawn(lookup_loop(shared.clone()));
        shared.spawn(revalidation_loop(shared.clone()));
        Ok(Self { shared })
    }

    /// This node as peers see it (its enode URL is `local_enode().to_string()`).
    pub fn local_enode(&self) -> Enode {
        self.shared.local
    }

    /// The bound UDP address.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.shared.socket.local_addr()
    }

    /// The nodes of the table: each answered one of our Pings.
    pub fn nodes(&self) -> Vec<Enode> {
        lock(&self.shared.table).nodes()
    }

    /// Runs one recursive lookup: the nodes closest to `target` (a public key) found.
    pub async fn lookup(&self, target: B512) -> Vec<Enode> {
        lookup::lookup(&self.shared, target).await
    }

    /// Pings `node`; true (and the node is in the table) if it answered in time.
    pub async fn ping(&self, node: Enode) -> bool {
        self.shared.ping(node).await
    }

    /// Asks `node` (which must have bonded with us) for its node record (EIP-868): the
    /// record's raw RLP, if it answered in time with a record signed by its key.
    pub async fn request_enr(&self, node: Enode) -> Option<Vec<u8>> {
        self.shared.request_enr(node).await
    }

    /// Stops every task of the service and waits for them; the socket is then closed.
    pub async fn shutdown(self) {
        let mut tasks = std::mem::take(&mut *lock(&self.shared.tasks));
        tasks.shutdown().await;
    }
}

impl Drop for Discv4 {
    fn drop(&mut self) {
        lock(&self.shared.tasks).abort_all();
    }
}

impl Shared {
    /// Runs `task` until it ends or the service stops.
    pub(super) fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) {
        let mut tasks = lock(&self.tasks);
        while tasks.try_join_next().is_some() {}
        tasks.spawn(task);
    }

    pub(super) fn table(&self) -> MutexGuard<'_, Table> {
        lock(&self.table)
    }

    pub(super) fn local_id(&self) -> B256 {
        keccak256(self.local.public_key)
    }

    /// Signs and sends `message`; returns its hash. Failures are logged and dropped: UDP
    /// delivery is never certain anyway.
    async fn send(&self, message: Message, to: SocketAddr) -> Option<B256> {
        let (bytes, hash) = message
            .encode(&self.key)
            .inspect_err(|error| tracing::warn!(%error, "discv4: cannot encode"))
            .ok()?;
        match self.socket.send_to(&bytes, to).await {
            Ok(_) => Some(hash),
            Err(error) => {
                tracing::debug!(%error, %to, "discv4: send failed");
                None
            }
        }
    }

    fn subscribe(&self, from: B256, expect: Expect) -> Subscription<'_> {
        let (reply, replies) = mpsc::channel(16);
        let token = {
            let mut next = lock(&self.next_waiter);
            *next = next.wrapping_add(1);
            *next
        };
        lock(&self.waiters).insert(
            token,
            Waiter {
                from,
                expect,
                reply,
            },
        );
        Subscription {
            shared: self,
            token,
            replies,
        }
    }

    /// Hands a reply to the waiters expecting it; false if none did (unsolicited).
    fn deliver(&self, from: B256, expect: Expect, message: &Message) -> bool {
        let waiters = lock(&self.waiters);
        let mut delivered = false;
        for waiter in waiters.values() {
            if waiter.from == from && waiter.expect == expect {
                delivered |= waiter.reply.try_send(message.clone()).is_ok();
            }
        }
        delivered
    }

    fn is_pinging(&self, id: B256) -> bool {
        lock(&self.waiters)
            .values()
            .any(|w| w.from == id && matches!(w.expect, Expect::Pong { .. }))
    }

    /// Pings `node` and waits for its Pong; on success the node's endpoint is proven and it
    /// enters the table.
    pub(super) async fn ping(&self, node: Enode) -> bool {
        let id = node.id();
        if id == self.local_id() {
            return false;
        }
        let ping = Message::Ping(Ping {
            version: PROTOCOL_VERSION,
            from: self.local.endpoint(),
            to: Endpoint {
                tcp_port: 0,
                ..node.endpoint()
            },
            expiration: expiration_from_now(),
            enr_seq: Some(self.config.enr_seq),
        });
        let Ok((bytes, ping_hash)) = ping.encode(&self.key) else {
            return false;
        };
        let mut subscription = self.subscribe(id, Expect::Pong { ping_hash });
        if self.socket.send_to(&bytes, node.udp_addr()).await.is_err() {
            return false;
        }
        let answered =
            tokio::time::timeout(self.config.response_timeout, subscription.replies.recv())
                .await
                .is_ok_and(|reply| reply.is_some());
        if answered {
            let now = Instant::now();
            let mut table = self.table();
            table.pong_received_from(id, node.ip, now);
            table.insert(node, now);
        }
        answered
    }

    /// Sends FindNode to `node` and gathers the nodes of its Neighbors replies (up to 16, or
    /// what arrived within the response timeout).
    pub(super) async fn find_node(&self, node: Enode, target: B512) -> Vec<Enode> {
        let mut subscription = self.subscribe(node.id(), Expect::Neighbors);
        let find = Message::FindNode(FindNode {
            target,
            expiration: expiration_from_now(),
        });
        let mut found = Vec::new();
        if self.send(find, node.udp_addr()).await.is_none() {
            return found;
        }
        let deadline = tokio::time::Instant::now() + self.config.response_timeout;
        while found.len() < super::table::BUCKET_SIZE {
            match tokio::time::timeout_at(deadline, subscription.replies.recv()).await {
                Ok(Some(Message::Neighbors(neighbors))) => found.extend(neighbors.nodes),
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => break,
            }
        }
        found
    }

    /// Asks `node` for its node record; the record's raw RLP, if it answered in time with a
    /// record it signed.
    pub(super) async fn request_enr(&self, node: Enode) -> Option<Vec<u8>> {
        let request = Message::EnrRequest(EnrRequest {
            expiration: expiration_from_now(),
        });
        let (bytes, request_hash) = request.encode(&self.key).ok()?;
        let mut subscription = self.subscribe(node.id(), Expect::EnrResponse { request_hash });
        self.socket.send_to(&bytes, node.udp_addr()).await.ok()?;
        match tokio::time::timeout(self.config.response_timeout, subscription.replies.recv()).await
        {
            Ok(Some(Message::EnrResponse(response))) => {
                match super::verify_record(&response.record, &node.public_key) {
                    Ok(_) => Some(response.record),
                    Err(error) => {
                        tracing::debug!(%error, node = %node, "discv4: record refused");
                        None
                    }
                }
            }
            _ => None,
        }
    }

    /// Acts on one verified, unexpired packet from `from`.
    async fn handle(self: &Arc<Self>, packet: Packet, from: SocketAddr) {
        let id = keccak256(packet.sender);
        let now = Instant::now();
        match packet.message {
            Message::Ping(ping) => {
                let endpoint = Endpoint {
                    ip: from.ip(),
                    udp_port: from.port(),
                    tcp_port: ping.from.tcp_port,
                };
                let pong = Message::Pong(Pong {
                    to: endpoint,
                    ping_hash: packet.hash,
                    expiration: expiration_from_now(),
                    enr_seq: Some(self.config.enr_seq),
                });
                if self.send(pong, from).await.is_none() {
                    return;
                }
                let node = Enode {
                    public_key: packet.sender,
                    ip: endpoint.ip,
                    udp_port: endpoint.udp_port,
                    tcp_port: endpoint.tcp_port,
                };
                let verified = {
                    let mut table = self.table();
                    table.ping_answered(id, now);
                    let verified = table.is_verified(&id, now);
                    if verified {
                        table.insert(node, now);
                    }
                    verified
                };
                // Bond back with a node whose endpoint is not proven yet.
                if !verified && !self.is_pinging(id) {
                    let shared = self.clone();
                    self.spawn(async move {
                        shared.ping(node).await;
                    });
                }
            }
            Message::Pong(ref pong) => {
                let expect = Expect::Pong {
                    ping_hash: pong.ping_hash,
                };
                if self.deliver(id, expect, &packet.message) {
                    // The endpoint proof counts from now, not from when the pinging task wakes:
                    // a FindNode right behind this Pong must find the node bonded.
                    self.table().pong_received_from(id, from.ip(), now);
                } else {
                    tracing::trace!(%from, "discv4: unsolicited pong dropped");
                }
            }
            Message::FindNode(find) => {
                if !self.table().is_verified_from(&id, from.ip(), now) {
                    tracing::trace!(%from, "discv4: findnode from an unbonded node dropped");
                    return;
                }
                let closest = self
                    .table()
                    .closest(&keccak256(find.target), super::table::BUCKET_SIZE);
                // At least one packet, empty when we know no node: the asker learns that.
                let mut chunks: Vec<&[_]> = closest.chunks(Neighbors::MAX_NODES).collect();
                if chunks.is_empty() {
                    chunks.push(&[]);
                }
                for chunk in chunks {
                    let neighbors = Message::Neighbors(Neighbors {
                        nodes: chunk.to_vec(),
                        expiration: expiration_from_now(),
                    });
                    self.send(neighbors, from).await;
                }
            }
            Message::Neighbors(_) => {
                if !self.deliver(id, Expect::Neighbors, &packet.message) {
                    tracing::trace!(%from, "discv4: unsolicited neighbors dropped");
                }
            }
            Message::EnrRequest(_) => {
                if !self.table().is_verified_from(&id, from.ip(), now) {
                    tracing::trace!(%from, "discv4: enrrequest from an unbonded node dropped");
                    return;
                }
                let response = Message::EnrResponse(EnrResponse {
                    request_hash: packet.hash,
                    record: self.record.clone(),
                });
                self.send(response, from).await;
            }
            Message::EnrResponse(ref response) => {
                let expect = Expect::EnrResponse {
                    request_hash: response.request_hash,
                };
                self.deliver(id, expect, &packet.message);
            }
        }
    }
}

/// Receives datagrams and handles those that decode, verify and have not expired.
async fn receive_loop(shared: Arc<Shared>) {
    // Larger than the limit, so that an oversized datagram is seen as such.
    let mut buffer = vec![0; 2 * super::MAX_PACKET_SIZE];
    loop {
        let (size, from) = match shared.socket.recv_from(&mut buffer).await {
            Ok(received) => received,
            Err(error) => {
                // E.g. an ICMP "port unreachable" reported on the next receive.
                tracing::trace!(%error, "discv4: receive failed");
                continue;
            }
        };
        let packet = Packet::decode(&buffer[..size])
            .and_then(|packet| packet.check_expiration(unix_now()).map(|()| packet));
        match packet {
            Ok(packet) => shared.handle(packet, from).await,
            Err(error) => tracing::trace!(%error, %from, "discv4: packet dropped"),
        }
    }
}

/// Bonds with the bootnodes, then looks up on every tick.
async fn lookup_loop(shared: Arc<Shared>) {
    let mut interval = tokio::time::interval(shared.config.lookup_interval);
    let mut toward_self = true;
    loop {
        interval.tick().await;
        if shared.table().is_empty() {
            bond_with_bootnodes(&shared).await;
        }
        let target = if toward_self {
            shared.local.public_key
        } else {
            random_target()
        };
        toward_self = !toward_self;
        let found = lookup::lookup(&shared, target).await;
        tracing::debug!(
            found = found.len(),
            table = shared.table().len(),
            "discv4: lookup done"
        );
    }
}

async fn bond_with_bootnodes(shared: &Arc<Shared>) {
    let mut pings = JoinSet::new();
    for node in shared.config.bootnodes.iter().copied() {
        let shared = shared.clone();
        pings.spawn(async move { shared.ping(node).await });
    }
    while pings.join_next().await.is_some() {}
}

/// Pings the least recently seen node of a random bucket on every tick, removing it from the
/// table when it does not answer.
async fn revalidation_loop(shared: Arc<Shared>) {
    let mut interval = tokio::time::interval(shared.config.revalidation_interval);
    interval.tick().await;
    loop {
        interval.tick().await;
        let candidate = {
            let mut table = shared.table();
            table.prune_bonds(Instant::now());
            table.revalidation_candidate(usize::try_from(rand::random::<u32>()).unwrap_or(0))
        };
        if let Some(node) = candidate
            && !shared.ping(node).await
        {
            tracing::debug!(node = %node, "discv4: removed after failed revalidation");
            shared.table().remove(&node.id());
        }
    }
}

fn random_target() -> B512 {
    let mut target = [0; 64];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut target);
    B512::from(target)
}

#[cfg(test)]
mod tests;
