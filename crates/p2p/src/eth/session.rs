//! An eth session (with snap/1 when both sides speak it) over an RLPx [`Connection`]:
//! [`EthPeer::start`] runs the Status exchange, then spawns the session task, which owns the
//! connection and loops:
//! - answers the peer's GetBlockHeaders / GetBlockBodies / GetReceipts / GetPooledTransactions
//!   through [`super::serve`], and its snap requests (GetAccountRange, GetStorageRanges,
//!   GetByteCodes, GetTrieNodes) through [`crate::snap::serve`];
//! - hands Transactions, NewPooledTransactionHashes and BlockRangeUpdate to the
//!   [`EthContext::events`] channel (dropped when it is full or absent);
//! - ignores NewBlockHashes and NewBlock (block propagation ended with the merge);
//! - sends our requests ([`EthPeer::request_headers`], [`EthPeer::request_snap`], ...) and
//!   matches answers to them by request id (one id space for eth and snap); an answer nobody
//!   waits for any more (timed out) is dropped;
//! - sends our announcements ([`EthPeer::try_send`]) and disconnects when asked
//!   ([`EthPeer::disconnect`], e.g. for a transaction-gossip violation);
//! - disconnects a peer sending an undecodable, unknown or out-of-place message, naming the
//!   reason ([`EthError::disconnect_reason`]).
//!
//! Requests from the peer draw on a budget ([`REQUEST_BURST`], refilled at
//! [`REQUESTS_PER_SECOND`]): a peer flooding us is disconnected (BreachOfProtocol) and nothing
//! else is affected. On eth/69, every [`EthContext::range_check_interval`] (default
//! [`RANGE_CHECK_INTERVAL`]) the session compares our head
//! with the range last announced and sends BlockRangeUpdate once the head moved by
//! [`RANGE_UPDATE_BLOCKS`] or more. Every message in and out, and how the session ended, is
//! counted in the `ethrex_p2p_*` metrics.
//!
//! Pings are answered by [`Connection::recv`]. The session ends when the peer disconnects, the
//! connection fails, or every [`EthPeer`] handle is dropped (we then send ClientQuitting).
//! Store reads run inline on the task: they are point lookups, at most [`super::serve::MAX_ITEMS`]
//! per request.

use std::{
    collections::HashMap,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use alloy_primitives::{B256, B512};
use ethrex_blockchain::mempool::Mempool;
use ethrex_common::types::{BlockBody, Header, Receipt, Transaction};
use ethrex_storage::Store;
use tokio::{
    sync::{mpsc, oneshot},
    task::JoinHandle,
};

use super::{
    EthError, EthResult, EthVersion, LocalChain,
    messages::{
        BlockRangeUpdate, EthMessage, GetBlockHeaders, HashesRequest, HeadersQuery,
        NewPooledTransactionHashes, ReceiptsRequest, Status, id,
    },
    serve, status,
};
use crate::{
    rlpx::{Connection, DisconnectReason, p2p},
    snap::{SnapMessage, SnapVersion, serve as snap_serve},
};

/// How long a request waits for its answer, unless configured otherwise.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// What a session needs from the node.
#[derive(Clone)]
pub struct EthContext {
    /// The chain we announce and serve.
    pub store: Store,
    /// The network id we announce and require (usually the chain id).
    pub network_id: u64,
    /// Where GetPooledTransactions is answered from; `None` answers with nothing.
    pub mempool: Option<Arc<Mempool>>,
    /// Where the peer's announcements go; `None` drops them.
    pub events: Option<mpsc::Sender<PeerEvent>>,
    /// Limit on the Status exchange.
    pub status_timeout: Duration,
    /// Limit on each of our requests.
    pub request_timeout: Duration,
    /// How often an eth/69 session checks whether to announce our block range.
    pub range_check_interval: Duration,
}

impl EthContext {
    /// A context with the default timeouts, no mempool and no event channel.
    pub fn new(store: Store, network_id: u64) -> Self {
        Self {
            store,
            network_id,
            mempool: None,
            events: None,
            status_timeout: status::STATUS_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            range_check_interval: RANGE_CHECK_INTERVAL,
        }
    }
}

impl std::fmt::Debug for EthContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EthContext")
            .field("network_id", &self.network_id)
            .field("status_timeout", &self.status_timeout)
            .field("request_timeout", &self.request_timeout)
            .finish_non_exhaustive()
    }
}

/// What a peer announced, for the mempool and the syncer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PeerEvent {
    /// The peer's session started and is listed by the peer manager (sent by
    /// [`crate::peers::PeerManager`], not by the session).
    Connected { peer: B512 },
    /// Full transactions (`Transactions`).
    Transactions {
        peer: B512,
        transactions: Vec<Transaction>,
    },
    /// Announced transaction hashes with their types and sizes.
    PooledTransactionHashes {
        peer: B512,
        announcement: NewPooledTransactionHashes,
    },
    /// The peer's served block range changed (eth/69).
    BlockRange { peer: B512, range: BlockRangeUpdate },
}

/// A message of one of the session's protocols.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionMessage {
    Eth(EthMessage),
    Snap(SnapMessage),
}

impl SessionMessage {
    fn request_id(&self) -> Option<u64> {
        match self {
            Self::Eth(m) => m.request_id(),
            Self::Snap(m) => Some(m.request_id()),
        }
    }
}

/// What an [`EthPeer`] handle asks of its session task.
enum Command {
    /// Send a request and hand its answer to `reply`.
    Request {
        message: SessionMessage,
        reply: oneshot::Sender<SessionMessage>,
    },
    /// Send a message that expects no answer (an announcement).
    Send(EthMessage),
    /// Disconnect with this reason and end the session.
    Disconnect(DisconnectReason),
}

/// How many commands may wait for the session task; [`EthPeer::try_send`] drops beyond.
const COMMAND_QUEUE: usize = 64;

/// Requests a peer may send at once before the budget runs dry.
pub const REQUEST_BURST: f64 = 1000.0;
/// Requests per second the budget refills (a syncing peer needs far fewer).
pub const REQUESTS_PER_SECOND: f64 = 250.0;
/// How often an eth/69 session checks whether to announce our block range.
pub const RANGE_CHECK_INTERVAL: Duration = Duration::from_secs(6);
/// How far our head moves before BlockRangeUpdate is sent.
pub const RANGE_UPDATE_BLOCKS: u64 = 32;

/// A token bucket of requests.
struct RequestBudget {
    tokens: f64,
    last: std::time::Instant,
}

impl RequestBudget {
    fn new() -> Self {
        Self {
            tokens: REQUEST_BURST,
            last: std::time::Instant::now(),
        }
    }

    /// Takes one request from the budget; `false` when it is exhausted.
    fn take(&mut self) -> bool {
        let now = std::time::Instant::now();
        let refill = now.duration_since(self.last).as_secs_f64() * REQUESTS_PER_SECOND;
        self.tokens = (self.tokens + refill).min(REQUEST_BURST);
        self.last = now;
        if self.tokens < 1.0 {
            return false;
        }
        self.tokens -= 1.0;
        true
    }
}

/// A handle on a running eth session: the peer's Status and our requests to it. Cheap to clone;
/// the session ends when the last handle is dropped.
#[derive(Debug, Clone)]
pub struct EthPeer {
    remote_id: B512,
    version: EthVersion,
    status: Status,
    snap: Option<SnapVersion>,
    requests: mpsc::Sender<Command>,
    next_request_id: Arc<AtomicU64>,
    request_timeout: Duration,
}

impl EthPeer {
    /// Runs the Status exchange on `conn` (which must share eth/68 or eth/69; snap/1 is served
    /// too when shared), then spawns the session task. Returns the handle and the task, which ends with the reason the session
    /// stopped.
    pub async fn start(
        mut conn: Connection,
        context: EthContext,
    ) -> EthResult<(Self, JoinHandle<EthError>)> {
        let Some((version, offset)) = EthVersion::negotiated(conn.shared_capabilities()) else {
            let _ = conn.disconnect(DisconnectReason::UselessPeer).await;
            return Err(EthError::NoEthCapability);
        };
        let chain = match LocalChain::load(&context.store, context.network_id) {
            Ok(chain) => chain,
            Err(error) => {
                let _ = conn.disconnect(DisconnectReason::SubprotocolReason).await;
                return Err(error);
            }
        };
        let theirs =
            status::exchange(&mut conn, &chain, version, offset, context.status_timeout).await?;
        let snap = (conn.shared_capabilities().iter())
            .find_map(|s| SnapVersion::of(&s.capability).map(|version| (version, s.offset)));
        let (requests, inbox) = mpsc::channel(COMMAND_QUEUE);
        let peer = Self {
            remote_id: conn.remote_id(),
            version,
            status: theirs,
            snap: snap.map(|(version, _)| version),
            requests,
            next_request_id: Arc::new(AtomicU64::new(0)),
            request_timeout: context.request_timeout,
        };
        let session = Session {
            conn,
            version,
            offset,
            snap_offset: snap.map(|(_, offset)| offset),
            announced_head: chain.head.number,
            budget: RequestBudget::new(),
            context,
            inbox,
            pending: HashMap::new(),
        };
        Ok((peer, tokio::spawn(session.run())))
    }

    /// The peer's node id.
    pub fn remote_id(&self) -> B512 {
        self.remote_id
    }

    /// The negotiated eth version.
    pub fn version(&self) -> EthVersion {
        self.version
    }

    /// The peer's Status.
    pub fn status(&self) -> &Status {
        &self.status
    }

    /// The snap version shared with the peer, if any.
    pub fn snap_version(&self) -> Option<SnapVersion> {
        self.snap
    }

    /// Queues `message` (an announcement, no answer expected) without waiting: `false` when the
    /// session's queue is full or the session ended, and the message was dropped.
    pub fn try_send(&self, message: EthMessage) -> bool {
        self.requests.try_send(Command::Send(message)).is_ok()
    }

    /// Asks the session to send Disconnect with `reason` and end.
    pub async fn disconnect(&self, reason: DisconnectReason) {
        let _ = self.requests.send(Command::Disconnect(reason)).await;
    }

    /// Sends the snap request `build(request_id)` and waits for its answer. Fails with
    /// [`EthError::NoSnapCapability`] when the peer does not speak snap.
    pub async fn request_snap(
        &self,
        build: impl FnOnce(u64) -> SnapMessage,
    ) -> EthResult<SnapMessage> {
        if self.snap.is_none() {
            return Err(EthError::NoSnapCapability);
        }
        let request_id = self.next_id();
        match self
            .request(request_id, SessionMessage::Snap(build(request_id)))
            .await?
        {
            SessionMessage::Snap(answer) => Ok(answer),
            SessionMessage::Eth(_) => Err(EthError::SessionClosed),
        }
    }

    /// Asks for headers; the answer may hold fewer than asked (unknown blocks, limits).
    pub async fn request_headers(&self, query: HeadersQuery) -> EthResult<Vec<Header>> {
        let request_id = self.next_id();
        let message = EthMessage::GetBlockHeaders(GetBlockHeaders { request_id, query });
        match self
            .request(request_id, SessionMessage::Eth(message))
            .await?
        {
            SessionMessage::Eth(EthMessage::BlockHeaders(answer)) => Ok(answer.headers),
            _ => Err(EthError::SessionClosed),
        }
    }

    /// Asks for the bodies of these blocks; unknown ones are absent from the answer.
    pub async fn request_bodies(&self, hashes: Vec<B256>) -> EthResult<Vec<BlockBody>> {
        let request_id = self.next_id();
        let message = EthMessage::GetBlockBodies(HashesRequest { request_id, hashes });
        match self
            .request(request_id, SessionMessage::Eth(message))
            .await?
        {
            SessionMessage::Eth(EthMessage::BlockBodies(answer)) => Ok(answer.bodies),
            _ => Err(EthError::SessionClosed),
        }
    }

    /// Asks for the receipts of these blocks (blooms recomputed from eth/69 on); the answer may
    /// stop early (the caller asks again for the rest). On eth/70 a block the peer cut short is
    /// completed with follow-up requests, so every list returned is whole.
    pub async fn request_receipts(&self, hashes: Vec<B256>) -> EthResult<Vec<Vec<Receipt>>> {
        let mut lists: Vec<Vec<Receipt>> = Vec::new();
        let mut first_block_receipt_index = 0u64;
        let mut remaining = hashes;
        loop {
            let request_id = self.next_id();
            let message = EthMessage::GetReceipts(ReceiptsRequest {
                request_id,
                first_block_receipt_index,
                hashes: remaining.clone(),
            });
            let answer = match self
                .request(request_id, SessionMessage::Eth(message))
                .await?
            {
                SessionMessage::Eth(EthMessage::Receipts(answer)) => answer,
                _ => return Err(EthError::SessionClosed),
            };
            let mut got = answer.receipts.into_iter();
            if first_block_receipt_index > 0 {
                // The continuation of the block cut short last time.
                let Some(rest) = got.next() else {
                    // The peer gave nothing more: drop the incomplete block.
                    lists.pop();
                    return Ok(lists);
                };
                if let Some(last) = lists.last_mut() {
                    last.extend(rest);
                }
            }
            let before = lists.len();
            lists.extend(got);
            if !answer.last_block_incomplete || self.version != EthVersion::Eth70 {
                return Ok(lists);
            }
            // Continue the last block from where its list stopped.
            let delivered = lists.len() - before + usize::from(first_block_receipt_index > 0);
            let Some(cut) = delivered.checked_sub(1) else {
                return Ok(lists);
            };
            remaining = remaining.split_off(cut.min(remaining.len()));
            let Some(partial) = lists.last() else {
                return Ok(lists);
            };
            first_block_receipt_index = partial.len() as u64;
            if remaining.is_empty() {
                return Ok(lists);
            }
        }
    }

    /// Asks for pooled transactions by hash.
    pub async fn request_pooled_transactions(
        &self,
        hashes: Vec<B256>,
    ) -> EthResult<Vec<Transaction>> {
        let request_id = self.next_id();
        let message = EthMessage::GetPooledTransactions(HashesRequest { request_id, hashes });
        match self
            .request(request_id, SessionMessage::Eth(message))
            .await?
        {
            SessionMessage::Eth(EthMessage::PooledTransactions(answer)) => Ok(answer.transactions),
            _ => Err(EthError::SessionClosed),
        }
    }

    fn next_id(&self) -> u64 {
        self.next_request_id.fetch_add(1, Ordering::Relaxed)
    }

    async fn request(&self, request_id: u64, message: SessionMessage) -> EthResult<SessionMessage> {
        let (reply, answer) = oneshot::channel();
        self.requests
            .send(Command::Request { message, reply })
            .await
            .map_err(|_| EthError::SessionClosed)?;
        match tokio::time::timeout(self.request_timeout, answer).await {
            Ok(Ok(message)) => Ok(message),
            Ok(Err(_)) => Err(EthError::SessionClosed),
            Err(_) => Err(EthError::RequestTimeout {
                request_id,
                timeout: self.request_timeout,
            }),
        }
    }
}

/// Which message answers a request: its protocol (snap or not) and relative id.
type Expected = (bool, u64);

/// The answer each request expects, and who waits for it.
type Pending = HashMap<u64, (Expected, oneshot::Sender<SessionMessage>)>;

/// The session task's state.
struct Session {
    conn: Connection,
    version: EthVersion,
    offset: u64,
    /// The snap capability's first message id, when shared.
    snap_offset: Option<u64>,
    /// The latest block of the range we last announced (Status or BlockRangeUpdate).
    announced_head: u64,
    budget: RequestBudget,
    context: EthContext,
    inbox: mpsc::Receiver<Command>,
    pending: Pending,
}

impl Session {
    /// Runs until the session ends; returns why (and counts it in the metrics).
    async fn run(mut self) -> EthError {
        let error = self.serve().await;
        let (reason, local) = match &error {
            EthError::Disconnected(reason) => (reason.name(), true),
            EthError::Rlpx(crate::rlpx::RlpxError::Disconnected(reason)) => (reason.name(), false),
            EthError::SessionClosed => (DisconnectReason::ClientQuitting.name(), true),
            other => match other.disconnect_reason() {
                Some(reason) => (reason.name(), true),
                None => ("connection lost", false),
            },
        };
        ethrex_metrics::record_disconnect(reason, local);
        error
    }

    async fn serve(&mut self) -> EthError {
        let mut range_checks = tokio::time::interval(self.context.range_check_interval);
        range_checks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        range_checks.reset();
        loop {
            let step = tokio::select! {
                message = self.conn.recv() => match message {
                    Ok(message) => self.handle(message.id, &message.payload).await,
                    Err(error) => return error.into(),
                },
                _ = range_checks.tick(), if self.version >= EthVersion::Eth69 => {
                    self.announce_range().await
                }
                command = self.inbox.recv() => match command {
                    Some(Command::Request { message, reply }) => {
                        self.send_request(message, reply).await
                    }
                    Some(Command::Send(message)) => self.send(&message).await,
                    Some(Command::Disconnect(reason)) => {
                        let _ = self.conn.disconnect(reason).await;
                        return EthError::Disconnected(reason);
                    }
                    None => {
                        let _ = self.conn.disconnect(DisconnectReason::ClientQuitting).await;
                        return EthError::SessionClosed;
                    }
                },
            };
            if let Err(error) = step {
                if let Some(reason) = error.disconnect_reason() {
                    let _ = self.conn.disconnect(reason).await;
                }
                return error;
            }
        }
    }

    async fn send_request(
        &mut self,
        message: SessionMessage,
        reply: oneshot::Sender<SessionMessage>,
    ) -> EthResult<()> {
        // Forget requests whose callers gave up.
        self.pending.retain(|_, (_, reply)| !reply.is_closed());
        let Some(request_id) = message.request_id() else {
            return Ok(());
        };
        let expected = match &message {
            SessionMessage::Eth(m) => {
                self.send(m).await?;
                (false, m.id() + 1)
            }
            SessionMessage::Snap(m) => {
                self.send_snap(m).await?;
                (true, m.id() + 1)
            }
        };
        self.pending.insert(request_id, (expected, reply));
        Ok(())
    }

    async fn send_snap(&mut self, message: &SnapMessage) -> EthResult<()> {
        let offset = self.snap_offset.ok_or(EthError::NoSnapCapability)?;
        self.conn
            .send(offset + message.id(), &message.encode())
            .await?;
        Ok(())
    }

    async fn send(&mut self, message: &EthMessage) -> EthResult<()> {
        let payload = message.encode(self.version);
        ethrex_metrics::record_p2p_message("eth", false, payload.len());
        self.conn.send(self.offset + message.id(), &payload).await?;
        Ok(())
    }

    /// Sends BlockRangeUpdate when our head moved [`RANGE_UPDATE_BLOCKS`] past the range we
    /// announced last.
    async fn announce_range(&mut self) -> EthResult<()> {
        let store = &self.context.store;
        let Some(hash) = store.head_hash()? else {
            return Ok(());
        };
        let Some(head) = store.header_by_hash(&hash)? else {
            return Ok(());
        };
        if head.number < self.announced_head.saturating_add(RANGE_UPDATE_BLOCKS) {
            return Ok(());
        }
        self.announced_head = head.number;
        let range = BlockRangeUpdate {
            earliest: 0,
            latest: head.number,
            latest_hash: hash,
        };
        self.send(&EthMessage::BlockRangeUpdate(range)).await
    }

    async fn handle(&mut self, wire_id: u64, payload: &[u8]) -> EthResult<()> {
        let protocol = match self.snap_offset {
            _ if wire_id < self.offset => "p2p",
            Some(offset) if wire_id >= offset => "snap",
            _ => "eth",
        };
        ethrex_metrics::record_p2p_message(protocol, true, payload.len());
        if wire_id < self.offset {
            // Base protocol: Ping and Disconnect are handled by the connection; a Pong answers
            // nothing we sent; anything else is out of place.
            return match wire_id {
                p2p::PONG => Ok(()),
                other => Err(EthError::UnknownMessage(other)),
            };
        }
        if let Some(snap_offset) = self.snap_offset.filter(|offset| wire_id >= *offset) {
            return self.handle_snap(wire_id - snap_offset, payload).await;
        }
        let relative = wire_id - self.offset;
        if relative >= self.version.message_count() {
            return Err(EthError::UnknownMessage(relative));
        }
        let message = EthMessage::decode(self.version, relative, payload)?;
        if is_eth_request(&message) && !self.budget.take() {
            return Err(EthError::RequestFlood);
        }
        let store = &self.context.store;
        match message {
            EthMessage::Status(_) => Err(EthError::UnexpectedMessage {
                expected: "no second Status",
                got: "Status",
            }),
            EthMessage::GetBlockHeaders(request) => {
                let answer = serve::serve_headers(store, &request)?;
                self.send(&EthMessage::BlockHeaders(answer)).await
            }
            EthMessage::GetBlockBodies(request) => {
                let answer = serve::serve_bodies(store, &request)?;
                self.send(&EthMessage::BlockBodies(answer)).await
            }
            EthMessage::GetReceipts(request) => {
                let answer = serve::serve_receipts(store, &request, self.version)?;
                self.send(&EthMessage::Receipts(answer)).await
            }
            EthMessage::GetPooledTransactions(request) => {
                let answer = match &self.context.mempool {
                    Some(mempool) => serve::serve_from_mempool(mempool, &request),
                    None => serve::serve_pooled_transactions(|_| None, &request),
                };
                self.send(&EthMessage::PooledTransactions(answer)).await
            }
            EthMessage::BlockHeaders(_)
            | EthMessage::BlockBodies(_)
            | EthMessage::Receipts(_)
            | EthMessage::PooledTransactions(_) => {
                self.answer((false, relative), SessionMessage::Eth(message));
                Ok(())
            }
            EthMessage::Transactions(transactions) => {
                self.emit(PeerEvent::Transactions {
                    peer: self.conn.remote_id(),
                    transactions,
                });
                Ok(())
            }
            EthMessage::NewPooledTransactionHashes(announcement) => {
                self.emit(PeerEvent::PooledTransactionHashes {
                    peer: self.conn.remote_id(),
                    announcement,
                });
                Ok(())
            }
            EthMessage::BlockRangeUpdate(range) => {
                if range.earliest > range.latest {
                    return Err(EthError::InvalidBlockRange {
                        earliest: range.earliest,
                        latest: range.latest,
                    });
                }
                self.emit(PeerEvent::BlockRange {
                    peer: self.conn.remote_id(),
                    range,
                });
                Ok(())
            }
            EthMessage::NewBlockHashes(_) | EthMessage::NewBlock(_) => Ok(()),
        }
    }

    /// A snap message (`relative` to the snap offset): requests are answered from the store,
    /// answers handed to the request waiting for them.
    async fn handle_snap(&mut self, relative: u64, payload: &[u8]) -> EthResult<()> {
        let message = SnapMessage::decode(relative, payload)?;
        if relative.is_multiple_of(2) && !self.budget.take() {
            // Even snap ids are requests.
            return Err(EthError::RequestFlood);
        }
        let store = &self.context.store;
        let answer = match &message {
            SnapMessage::GetAccountRange(req) => {
                SnapMessage::AccountRange(snap_serve::serve_account_range(store, req)?)
            }
            SnapMessage::GetStorageRanges(req) => {
                SnapMessage::StorageRanges(snap_serve::serve_storage_ranges(store, req)?)
            }
            SnapMessage::GetByteCodes(req) => {
                SnapMessage::ByteCodes(snap_serve::serve_byte_codes(store, req)?)
            }
            SnapMessage::GetTrieNodes(req) => {
                SnapMessage::TrieNodes(snap_serve::serve_trie_nodes(store, req)?)
            }
            SnapMessage::AccountRange(_)
            | SnapMessage::StorageRanges(_)
            | SnapMessage::ByteCodes(_)
            | SnapMessage::TrieNodes(_) => {
                self.answer((true, relative), SessionMessage::Snap(message));
                return Ok(());
            }
        };
        self.send_snap(&answer).await
    }

    /// Hands an answer to the request waiting for it; one nobody waits for is dropped.
    fn answer(&mut self, relative: Expected, message: SessionMessage) {
        let Some(request_id) = message.request_id() else {
            return;
        };
        if let Some((expected, reply)) = self.pending.remove(&request_id) {
            if expected == relative {
                let _ = reply.send(message);
            } else {
                self.pending.insert(request_id, (expected, reply));
            }
        }
    }

    fn emit(&self, event: PeerEvent) {
        if let Some(events) = &self.context.events {
            let _ = events.try_send(event);
        }
    }
}

/// Whether `message` asks us for something (and so draws on the request budget).
fn is_eth_request(message: &EthMessage) -> bool {
    matches!(
        message,
        EthMessage::GetBlockHeaders(_)
            | EthMessage::GetBlockBodies(_)
            | EthMessage::GetReceipts(_)
            | EthMessage::GetPooledTransactions(_)
    )
}

// Keep the ids used by `send_request`'s "answer = request + 1" rule honest.
const _: () = {
    assert!(id::BLOCK_HEADERS == id::GET_BLOCK_HEADERS + 1);
    assert!(id::BLOCK_BODIES == id::GET_BLOCK_BODIES + 1);
    assert!(id::RECEIPTS == id::GET_RECEIPTS + 1);
    assert!(id::POOLED_TRANSACTIONS == id::GET_POOLED_TRANSACTIONS + 1);
};

#[cfg(test)]
mod tests;
