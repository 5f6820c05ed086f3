//! [`PeerManager`]: the node's RLPx peers — accepting inbound connections on a TCP listener,
//! dialing discovered and static nodes, and running an [`EthPeer`] session on each.
//!
//! Slots, after geth's dial ratio: of [`PeerManagerConfig::target_peers`], a third (rounded up)
//! is for peers we dial, the rest for peers dialing us. An inbound connection beyond its slots is
//! closed before the handshake; at most [`MAX_PENDING_HANDSHAKES`] inbound handshakes run at
//! once. Static peers (the config's and those added by [`PeerManager::add_peer`]) are dialed
//! whenever they are not connected, outside the slots. Every [`PeerManagerConfig::dial_interval`]
//! the dialer fills the free outbound slots from the candidates (discovered nodes).
//!
//! A node whose dial, handshake or Status exchange failed, or whose session ended, is not dialed
//! again for [`PeerManagerConfig::retry_after`]. One session per node id: a second connection to
//! a connected node is closed with `AlreadyConnected`, except when both nodes dialed each other:
//! then both keep the connection dialed by the node with the smaller id (the other is closed).
//! We never dial ourselves.
//!
//! Scoring: a session that ends because the peer broke the protocol (we disconnected it with
//! BreachOfProtocol: an undecodable or unknown message, a request flood, a gossip or sync
//! violation) bans that node for [`PeerManagerConfig::ban_duration`]: it is not dialed, and
//! its inbound connections are closed after the handshake (UselessPeer). Each repeat offence
//! doubles the ban. [`PeerManager::banned`] lists the bans.
//!
//! Once a session is listed, [`PeerEvent::Connected`] goes to the eth context's event channel
//! (the transaction gossip greets the peer with the pool's hashes).
//!
//! Invariants: [`PeerManager::peers`] lists exactly the sessions that passed the Status exchange
//! and have not ended; dropping the manager (or [`PeerManager::shutdown`]) stops its tasks and
//! drops every session handle, which ends the sessions with ClientQuitting.

use std::{
    collections::{HashMap, HashSet},
    net::SocketAddr,
    sync::{Arc, Mutex, MutexGuard},
    time::{Duration, Instant},
};

use alloy_primitives::B512;
use tokio::{
    net::{TcpListener, TcpStream},
    sync::Semaphore,
    task::JoinHandle,
};

use crate::{
    discv4::Enode,
    eth::{EthContext, EthPeer, EthVersion, PeerEvent},
    rlpx::{Connection, ConnectionConfig, DisconnectReason},
};

/// How many inbound handshakes may run at once; more connections are closed at once.
pub const MAX_PENDING_HANDSHAKES: usize = 16;

/// How long a node that broke the protocol is refused, unless configured otherwise.
pub const DEFAULT_BAN: Duration = Duration::from_secs(600);

/// Where the dialer finds candidates, e.g. `Discv4::nodes`.
pub type NodeSource = Arc<dyn Fn() -> Vec<Enode> + Send + Sync>;

/// How the manager runs.
#[derive(Clone)]
pub struct PeerManagerConfig {
    /// Our key, Hello and timeouts; its protocols should be [`crate::eth::protocols`].
    pub connection: ConnectionConfig,
    /// What each eth session serves from and announces.
    pub eth: EthContext,
    /// How many peers to aim for (a third dialed, the rest inbound).
    pub target_peers: usize,
    /// Nodes dialed whenever not connected.
    pub static_peers: Vec<Enode>,
    /// Candidates for the outbound slots.
    pub candidates: Option<NodeSource>,
    /// How often the dialer fills free slots.
    pub dial_interval: Duration,
    /// How long a failed or dropped node is not dialed again.
    pub retry_after: Duration,
    /// How long a node that broke the protocol is refused (doubled for each repeat).
    pub ban_duration: Duration,
}

impl PeerManagerConfig {
    /// Defaults: dial every second, retry a failed node after 30 s, no static peers.
    pub fn new(connection: ConnectionConfig, eth: EthContext, target_peers: usize) -> Self {
        Self {
            connection,
            eth,
            target_peers,
            static_peers: Vec::new(),
            candidates: None,
            dial_interval: Duration::from_secs(1),
            retry_after: Duration::from_secs(30),
            ban_duration: DEFAULT_BAN,
        }
    }

    /// Slots for peers we dial: a third of the target, rounded up.
    pub fn outbound_slots(&self) -> usize {
        self.target_peers.div_ceil(3)
    }

    /// Slots for peers dialing us: the rest of the target.
    pub fn inbound_slots(&self) -> usize {
        self.target_peers - self.outbound_slots()
    }
}

/// Where services (gossip, sync) find the peers' session handles: the [`PeerManager`], or a
/// fixed set in tests.
pub trait PeerHandles: Send + Sync + 'static {
    /// Every connected peer.
    fn handles(&self) -> Vec<EthPeer>;
    /// One connected peer.
    fn handle(&self, id: &B512) -> Option<EthPeer>;
}

impl PeerHandles for PeerManager {
    fn handles(&self) -> Vec<EthPeer> {
        PeerManager::handles(self)
    }

    fn handle(&self, id: &B512) -> Option<EthPeer> {
        self.peer(id)
    }
}

/// Who opened a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// The peer dialed us.
    Inbound,
    /// We dialed the peer.
    Outbound,
}

/// A connected peer, as `admin_peers` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerInfo {
    /// The peer's node id (public key).
    pub id: B512,
    /// The peer's enode URL (for an inbound peer, its remote address).
    pub enode: String,
    /// Our end of the connection.
    pub local_addr: SocketAddr,
    /// The peer's end of the connection.
    pub remote_addr: SocketAddr,
    /// Who dialed.
    pub direction: Direction,
    /// Whether the peer is one of our static peers.
    pub is_static: bool,
    /// The capabilities the peer's Hello announced (`eth/69`, ...).
    pub caps: Vec<String>,
    /// The negotiated eth version.
    pub eth_version: EthVersion,
    /// The peer's Hello client id.
    pub client_id: String,
}

/// The running manager; see the module docs.
pub struct PeerManager {
    shared: Arc<Shared>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

/// State the listener, the dialer and the session watchers share.
struct Shared {
    config: PeerManagerConfig,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Each session with its serial number (which session a watcher removes).
    peers: HashMap<B512, (PeerInfo, EthPeer, u64)>,
    next_serial: u64,
    dialing: HashSet<B512>,
    failed: HashMap<B512, Instant>,
    /// Banned nodes: until when, and how many offences.
    bans: HashMap<B512, (Instant, u32)>,
    statics: Vec<Enode>,
}

impl PeerManager {
    /// Starts accepting on `listener` and dialing. The listener's port should be the one our
    /// enode and Hello announce.
    pub fn start(config: PeerManagerConfig, listener: TcpListener) -> Self {
        let state = State {
            statics: config.static_peers.clone(),
            ..State::default()
        };
        let shared = Arc::new(Shared {
            config,
            state: Mutex::new(state),
        });
        let tasks = vec![
            tokio::spawn(Arc::clone(&shared).listen(listener)),
            tokio::spawn(Arc::clone(&shared).dial_loop()),
        ];
        Self {
            shared,
            tasks: Mutex::new(tasks),
        }
    }

    /// The connected peers.
    pub fn peers(&self) -> Vec<PeerInfo> {
        let mut peers: Vec<PeerInfo> = (self.shared.lock().peers.values())
            .map(|(info, _, _)| info.clone())
            .collect();
        peers.sort_by_key(|peer| peer.id);
        peers
    }

    /// The nodes banned now, with the time left and their number of offences.
    pub fn banned(&self) -> Vec<(B512, Duration, u32)> {
        let now = Instant::now();
        (self.shared.lock().bans.iter())
            .filter(|(_, (until, _))| *until > now)
            .map(|(id, (until, count))| (*id, *until - now, *count))
            .collect()
    }

    /// Every connected peer's session handle.
    pub fn handles(&self) -> Vec<EthPeer> {
        (self.shared.lock().peers.values())
            .map(|(_, peer, _)| peer.clone())
            .collect()
    }

    /// A connected peer's session handle, for requests.
    pub fn peer(&self, id: &B512) -> Option<EthPeer> {
        self.shared
            .lock()
            .peers
            .get(id)
            .map(|(_, peer, _)| peer.clone())
    }

    /// Parses `enode`, keeps it as a static peer and dials it now (in the background). `false`
    /// when it already is a static peer or is ourselves.
    pub fn add_peer(&self, enode: &str) -> Result<bool, String> {
        let node: Enode = enode.parse().map_err(|e| format!("invalid enode: {e}"))?;
        if node.public_key == self.shared.config.connection.key.public_key() {
            return Ok(false);
        }
        {
            let mut state = self.shared.lock();
            if state
                .statics
                .iter()
                .any(|s| s.public_key == node.public_key)
            {
                return Ok(false);
            }
            state.statics.push(node);
            state.failed.remove(&node.public_key);
        }
        Arc::clone(&self.shared).try_dial(node);
        Ok(true)
    }

    /// Stops accepting and dialing and ends every session (other handles on the manager then
    /// see no peers).
    pub async fn shutdown(&self) {
        let tasks: Vec<_> = std::mem::take(&mut *self.tasks_lock());
        for task in tasks {
            task.abort();
            let _ = task.await;
        }
        self.shared.lock().peers.clear();
    }

    fn tasks_lock(&self) -> MutexGuard<'_, Vec<JoinHandle<()>>> {
        self.tasks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Drop for PeerManager {
    fn drop(&mut self) {
        for task in self.tasks_lock().iter() {
            task.abort();
        }
        self.shared.lock().peers.clear();
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A poisoned lock only means a panic elsewhere; the maps stay consistent.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    async fn listen(self: Arc<Self>, listener: TcpListener) {
        let pending = Arc::new(Semaphore::new(MAX_PENDING_HANDSHAKES));
        loop {
            let Ok((stream, remote)) = listener.accept().await else {
                continue;
            };
            let inbound = self.count(Direction::Inbound);
            if inbound >= self.config.inbound_slots() {
                tracing::debug!("rlpx: inbound {remote} refused: {inbound} inbound peers");
                continue;
            }
            let Ok(permit) = Arc::clone(&pending).try_acquire_owned() else {
                tracing::debug!("rlpx: inbound {remote} refused: too many handshakes");
                continue;
            };
            let shared = Arc::clone(&self);
            tokio::spawn(async move {
                shared.accept(stream, remote).await;
                drop(permit);
            });
        }
    }

    async fn accept(self: Arc<Self>, stream: TcpStream, remote: SocketAddr) {
        match Connection::accept(stream, &self.config.connection).await {
            Ok(conn) => self.start_session(conn, Direction::Inbound, None).await,
            Err(e) => tracing::debug!("rlpx: inbound {remote} failed: {e}"),
        }
    }

    async fn dial_loop(self: Arc<Self>) {
        let mut ticks = tokio::time::interval(self.config.dial_interval);
        loop {
            ticks.tick().await;
            for node in self.dial_candidates() {
                Arc::clone(&self).try_dial(node);
            }
        }
    }

    /// Static peers not connected, then candidates for the free outbound slots.
    fn dial_candidates(&self) -> Vec<Enode> {
        let discovered = self
            .config
            .candidates
            .as_ref()
            .map_or_else(Vec::new, |f| f());
        let mut state = self.lock();
        let retry_after = self.config.retry_after;
        state.failed.retain(|_, at| at.elapsed() < retry_after);
        let own = self.config.connection.key.public_key();
        let dialable = |state: &State, node: &Enode| {
            node.public_key != own
                && node.tcp_port != 0
                && !state.peers.contains_key(&node.public_key)
                && !state.dialing.contains(&node.public_key)
                && !state.failed.contains_key(&node.public_key)
                && !is_banned(state, &node.public_key)
        };
        let mut picked: Vec<Enode> = (state.statics.iter())
            .filter(|node| dialable(&state, node))
            .cloned()
            .collect();
        let outbound = (state.peers.values())
            .filter(|(info, _, _)| info.direction == Direction::Outbound && !info.is_static)
            .count()
            + state.dialing.len();
        let free = self.config.outbound_slots().saturating_sub(outbound);
        for node in discovered {
            if picked.len() >= free + state.statics.len() {
                break;
            }
            if dialable(&state, &node) && !picked.iter().any(|p| p.public_key == node.public_key) {
                picked.push(node);
            }
        }
        picked
    }

    /// Dials `node` in the background unless it is connected or being dialed.
    fn try_dial(self: Arc<Self>, node: Enode) {
        {
            let mut state = self.lock();
            if state.peers.contains_key(&node.public_key) || !state.dialing.insert(node.public_key)
            {
                return;
            }
        }
        tokio::spawn(async move {
            let result =
                Connection::connect(node.tcp_addr(), node.public_key, &self.config.connection)
                    .await;
            match result {
                Ok(conn) => {
                    Arc::clone(&self)
                        .start_session(conn, Direction::Outbound, Some(&node))
                        .await;
                }
                Err(e) => {
                    tracing::debug!("rlpx: dialing {node} failed: {e}");
                    self.lock().failed.insert(node.public_key, Instant::now());
                }
            }
            self.lock().dialing.remove(&node.public_key);
        });
    }

    /// Runs the Status exchange and registers the session; watches it until it ends.
    async fn start_session(
        self: Arc<Self>,
        mut conn: Connection,
        direction: Direction,
        dialed: Option<&Enode>,
    ) {
        let id = conn.remote_id();
        if is_banned(&self.lock(), &id) {
            tracing::debug!("rlpx: refused banned node {id}");
            let _ = conn.disconnect(DisconnectReason::UselessPeer).await;
            return;
        }
        if !self.may_register(&self.lock(), id, direction) {
            let _ = conn.disconnect(DisconnectReason::AlreadyConnected).await;
            return;
        }
        let (Ok(local_addr), Ok(remote_addr)) = (conn.local_addr(), conn.peer_addr()) else {
            return;
        };
        let enode = dialed.map_or_else(
            || {
                format!(
                    "enode://{}@{remote_addr}",
                    alloy_primitives::hex::encode(id)
                )
            },
            ToString::to_string,
        );
        let hello = conn.remote_hello().clone();
        let (peer, session) = match EthPeer::start(conn, self.config.eth.clone()).await {
            Ok(started) => started,
            Err(e) => {
                tracing::debug!("rlpx: eth with {enode} failed: {e}");
                self.lock().failed.insert(id, Instant::now());
                return;
            }
        };
        let info = PeerInfo {
            id,
            enode,
            local_addr,
            remote_addr,
            direction,
            is_static: false,
            caps: hello.capabilities.iter().map(ToString::to_string).collect(),
            eth_version: peer.version(),
            client_id: hello.client_id,
        };
        let serial = {
            let mut state = self.lock();
            if !self.may_register(&state, id, direction) {
                // Lost to another connection with the same node: this one ends (ClientQuitting)
                // when `peer` is dropped.
                return;
            }
            let is_static = state.statics.iter().any(|s| s.public_key == id);
            let info = PeerInfo { is_static, ..info };
            tracing::info!(
                "rlpx: peer {} connected ({direction:?}, {}, {})",
                info.enode,
                info.eth_version,
                info.client_id
            );
            state.next_serial += 1;
            let serial = state.next_serial;
            // A connection this one supersedes ends when its handle is dropped here.
            state.peers.insert(id, (info, peer, serial));
            ethrex_metrics::set_peers(state.peers.len());
            serial
        };
        if let Some(events) = &self.config.eth.events {
            let _ = events.try_send(PeerEvent::Connected { peer: id });
        }
        let ended = session.await;
        let breach = ended.as_ref().is_ok_and(broke_the_protocol);
        let reason = ended.map_or_else(|e| e.to_string(), |e| e.to_string());
        tracing::info!(
            "rlpx: peer {} dropped: {reason}",
            alloy_primitives::hex::encode(id)
        );
        let mut state = self.lock();
        if breach {
            let offences = state.bans.get(&id).map_or(0, |(_, count)| *count) + 1;
            let factor = 1u32 << offences.saturating_sub(1).min(10);
            let until = Instant::now() + self.config.ban_duration.saturating_mul(factor);
            state.bans.insert(id, (until, offences));
            tracing::info!("rlpx: banned {id} ({offences} offences): {reason}");
        }
        if state.peers.get(&id).is_some_and(|(_, _, s)| *s == serial) {
            state.peers.remove(&id);
            state.failed.insert(id, Instant::now());
            ethrex_metrics::set_peers(state.peers.len());
        }
    }

    /// Whether a new `direction` connection with `id` may be registered: when there is none,
    /// or when it is the preferred one of two. Two nodes dialing each other at once keep the
    /// same connection on both sides: the one dialed by the node with the smaller id.
    fn may_register(&self, state: &State, id: B512, direction: Direction) -> bool {
        let Some((existing, _, _)) = state.peers.get(&id) else {
            return true;
        };
        let we_are_smaller = self.config.connection.key.public_key() < id;
        let preferred = (direction == Direction::Outbound) == we_are_smaller;
        existing.direction != direction && preferred
    }

    fn count(&self, direction: Direction) -> usize {
        (self.lock().peers.values())
            .filter(|(info, _, _)| info.direction == direction)
            .count()
    }
}

/// Whether `id` is banned now.
fn is_banned(state: &State, id: &B512) -> bool {
    state
        .bans
        .get(id)
        .is_some_and(|(until, _)| *until > Instant::now())
}

/// Whether a session ended because the peer broke the protocol (we sent BreachOfProtocol).
fn broke_the_protocol(error: &crate::eth::EthError) -> bool {
    match error {
        crate::eth::EthError::Disconnected(reason) => *reason == DisconnectReason::BreachOfProtocol,
        other => other.disconnect_reason() == Some(DisconnectReason::BreachOfProtocol),
    }
}

#[cfg(test)]
mod tests;
