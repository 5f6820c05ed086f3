//! [`RpcContext`]: what every method reads — the store, the chain, the mempool, the node's
//! identity ([`NodeIdentity`]), its peers ([`PeerView`]) — and the event channels WebSocket
//! subscriptions listen to.

use std::{
    net::{IpAddr, SocketAddr},
    sync::Arc,
};

use ethrex_blockchain::{Blockchain, mempool::Mempool};
use ethrex_common::types::{Block, Receipt};
use ethrex_storage::Store;
use tokio::sync::broadcast;

/// Capacity of each event channel (a slow subscriber skips what it missed).
const EVENT_CAPACITY: usize = 1024;

/// A block that became the head, with its receipts (for `newHeads` and `logs`).
#[derive(Debug, Clone)]
pub struct NewHead {
    pub block: Arc<Block>,
    pub receipts: Arc<Vec<Receipt>>,
}

/// Channels of node events.
#[derive(Debug)]
pub struct Events {
    pub new_heads: broadcast::Sender<NewHead>,
    pub pending_transactions: broadcast::Sender<alloy_primitives::B256>,
}

impl Default for Events {
    fn default() -> Self {
        Self {
            new_heads: broadcast::channel(EVENT_CAPACITY).0,
            pending_transactions: broadcast::channel(EVENT_CAPACITY).0,
        }
    }
}

/// The node's p2p identity as `admin_nodeInfo` shows it (the binary derives it from the node key
/// and the p2p flags).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeIdentity {
    /// The node id, 64 hex digits without `0x`.
    pub id: String,
    /// `enode://<public key>@<ip>:<tcp port>[?discport=<udp port>]`.
    pub enode: String,
    /// The signed node record, `enr:...`.
    pub enr: String,
    /// The IP announced to peers.
    pub ip: IpAddr,
    /// UDP port of discovery.
    pub discovery_port: u16,
    /// TCP port of RLPx.
    pub listener_port: u16,
    /// Where the node listens for peers.
    pub listen_addr: SocketAddr,
}

/// A connected peer as `admin_peers` shows it (the binary maps its peer manager's list).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerInfo {
    /// The node id (keccak256 of the public key), 64 hex digits without `0x`.
    pub id: String,
    /// The peer's client id from its Hello.
    pub name: String,
    /// The peer's enode URL.
    pub enode: String,
    /// The capabilities the peer announced (`eth/69`, ...).
    pub caps: Vec<String>,
    /// Our end of the connection.
    pub local_address: SocketAddr,
    /// The peer's end of the connection.
    pub remote_address: SocketAddr,
    /// Whether the peer dialed us.
    pub inbound: bool,
    /// Whether the peer is a static peer (`admin_addPeer`).
    pub is_static: bool,
    /// The negotiated eth version (68, 69).
    pub eth_version: u64,
}

/// The node's peers, as the RPC sees them: implemented by the binary over its peer manager, so
/// this crate does not depend on the p2p crate.
pub trait PeerView: Send + Sync {
    /// The connected peers.
    fn peers(&self) -> Vec<PeerInfo>;
    /// Adds `enode` as a static peer and dials it: `Ok(false)` when it is one already (or
    /// ourselves), `Err` naming what is wrong with an invalid URL.
    fn add_peer(&self, enode: &str) -> Result<bool, String>;
}

/// Where a running sync stands, as `eth_syncing` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncReport {
    /// The block the sync started from.
    pub starting_block: u64,
    /// The highest block the sync has executed (the head).
    pub current_block: u64,
    /// The block the sync is heading to (0 until its header is known).
    pub highest_block: u64,
    /// How the node syncs: `full` or `snap`.
    pub sync_mode: &'static str,
    /// What the sync is doing: `headers`, `state`, `healing` or `blocks`.
    pub phase: &'static str,
    /// Headers downloaded for the current target.
    pub headers_downloaded: u64,
    /// Blocks executed and committed for the current target.
    pub blocks_imported: u64,
    /// Snap sync: state items (accounts, slots, codes, trie nodes) downloaded.
    pub state_items: u64,
    /// Snap sync: trie nodes fetched by healing.
    pub trie_nodes_healed: u64,
}

/// The node's sync, as the RPC sees it (implemented by the binary over the p2p syncer).
pub trait SyncView: Send + Sync {
    /// `None` when no sync runs (the node follows its consensus client).
    fn report(&self) -> Option<SyncReport>;
}

/// Methods of another namespace, served on the public ports next to the node's own: the
/// rollup's `ethrex_*` methods, implemented by the sequencer crate (so this crate knows nothing
/// of batches or withdrawals). [`crate::methods::call`] consults it only for a method the node
/// does not know, just before answering -32601: it can add methods, never replace one.
///
/// On a rollup chain it also tells `eth_call`, `eth_estimateGas` and `eth_gasPrice` the fee
/// parameters calls are priced at ([`ExtraMethods::fee_config`]).
pub trait ExtraMethods: Send + Sync {
    /// Runs `method` with `params` (the positional params as sent, a JSON array): `None` when
    /// `method` is not one of these.
    fn call(
        &self,
        method: &str,
        params: &serde_json::Value,
    ) -> Option<Result<serde_json::Value, crate::RpcError>>;

    /// The fee parameters the next rollup block will be built with. `None` (the default): the
    /// node uses those recorded for the head block.
    fn fee_config(&self) -> Option<ethrex_common::types::FeeConfig> {
        None
    }
}

/// Called when a transaction entered the mempool (the dev producer builds a block).
pub type TxListener = Arc<dyn Fn() + Send + Sync>;

/// Everything the methods need.
#[derive(Clone)]
pub struct RpcContext {
    pub store: Store,
    pub chain: Arc<Blockchain>,
    pub mempool: Arc<Mempool>,
    pub events: Arc<Events>,
    /// `web3_clientVersion`.
    pub client_version: String,
    /// Called after a transaction is added to the mempool.
    pub on_transaction: Option<TxListener>,
    /// The chain's genesis, when known: tracing rebuilds states older than those the store
    /// holds by re-executing from it.
    pub genesis: Option<Arc<ethrex_common::Genesis>>,
    /// Filters installed by `eth_newFilter` and its siblings.
    pub(crate) filters: Arc<crate::methods::filters::FilterRegistry>,
    /// The node's p2p identity (`admin_nodeInfo`); `None` in tests that need none.
    pub node: Option<Arc<NodeIdentity>>,
    /// The node's peers (`net_peerCount`, `admin_peers`, `admin_addPeer`); `None` without p2p.
    pub peers: Option<Arc<dyn PeerView>>,
    /// The head's total difficulty, kept between `admin_nodeInfo` calls.
    pub(crate) td_cache: Arc<crate::methods::admin::TdCache>,
    /// The Engine API's state (payload builds, invalid blocks, sync hand-off).
    pub engine: Arc<crate::engine::Engine>,
    /// The sync's progress (`eth_syncing`); `None`: the node never syncs (false).
    pub sync: Option<Arc<dyn SyncView>>,
    /// Another namespace's methods (the rollup's `ethrex_*`); `None`: the node's only.
    pub extra: Option<Arc<dyn ExtraMethods>>,
}

impl std::fmt::Debug for RpcContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RpcContext").finish_non_exhaustive()
    }
}

impl RpcContext {
    /// A context over `chain` with a fresh event hub.
    pub fn new(chain: Arc<Blockchain>, mempool: Arc<Mempool>, client_version: String) -> Self {
        Self {
            store: chain.store().clone(),
            chain,
            mempool,
            events: Arc::new(Events::default()),
            client_version,
            on_transaction: None,
            genesis: None,
            filters: Arc::default(),
            node: None,
            peers: None,
            td_cache: Arc::default(),
            engine: Arc::default(),
            sync: None,
            extra: None,
        }
    }
}
