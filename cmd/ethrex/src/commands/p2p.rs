//! The node's peer-to-peer side: its key and identity (`admin_nodeInfo`), discovery v4 and the
//! RLPx peers.
//!
//! [`bootnodes`] reads `--bootnodes` (comma-separated enode URLs; an empty value means none),
//! else the network preset's list; an invalid URL is [`CliError::InvalidBootnode`], naming it,
//! and stops the node before anything starts. [`P2p::start`] then, unless `--p2p.disabled` (or
//! `--dev`, which implies it):
//! - binds the RLPx TCP listener on `--p2p.addr`:`--p2p.port` (port 0: any free port; the bound
//!   port is the one the enode, the ENR and discovery announce);
//! - binds discovery's UDP socket on `--p2p.addr`:`--discovery.port` (port 0: any free port) and
//!   bonds with the bootnodes, looking up every `--p2p.lookup-interval` ms;
//! - starts the [`PeerManager`]: inbound peers and discovered nodes up to `--p2p.target-peers`
//!   (a third dialed, the rest inbound), each running an eth/68 or eth/69 session over the
//!   chain and the mempool.
//!
//! A socket that cannot be bound is a warning and the node runs on without it (without a TCP
//! listener, no peers; without UDP, peers only from `admin_addPeer`): its chain, JSON-RPC and
//! Engine API do not need peers, and tools start several nodes on one host with the default
//! ports.
//!
//! Log lines tests read: `rlpx on tcp://ADDR` (the bound address) or `rlpx disabled: REASON`,
//! then `discovery on udp://ADDR, enode ENODE_URL` (the bound address and the enode URL peers
//! use, its ports the bound ones) or `discovery disabled: REASON`. Every [`REPORT_INTERVAL`] the
//! table's size is logged at debug level (`discovery table: N nodes`) and recorded as the metric
//! `ethrex_p2p_discovery_nodes`.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use ethrex_common::Network;
use ethrex_p2p::sync::{FullSync, SyncPhase};
use ethrex_p2p::{
    LocalNode, NodeKey,
    discv4::{Discv4, Discv4Config, Enode, packet::Endpoint},
    eth::{EthContext, LocalChain},
    peers::{Direction, PeerManager, PeerManagerConfig},
    rlpx::{ConnectionConfig, DEFAULT_HANDSHAKE_TIMEOUT},
};
use ethrex_rpc::{NodeIdentity, PeerView, SyncReport, SyncView};
use tokio::{net::TcpListener, task::JoinHandle};

use super::{CliError, import::expand_home};
use crate::cli::Cli;

/// How often the discovery table's size is logged and recorded.
pub const REPORT_INTERVAL: Duration = Duration::from_secs(2);

/// The bootnodes discovery bonds with: `--bootnodes` when given (an empty value: none), else
/// the preset list of `--network` (none for a genesis file or `--dev`).
pub fn bootnodes(cli: &Cli) -> Result<Vec<Enode>, CliError> {
    let urls = if !cli.p2p.bootnodes.is_empty() {
        cli.p2p.bootnodes.clone()
    } else if cli.dev.dev {
        Vec::new()
    } else {
        cli.node.network.parse::<Network>()?.bootnodes()
    };
    urls.iter()
        .map(|url| url.trim())
        .filter(|url| !url.is_empty())
        .map(|url| url.parse().map_err(CliError::InvalidBootnode))
        .collect()
}

/// The node's p2p side while it runs.
pub struct P2p {
    /// What `admin_nodeInfo` shows.
    pub identity: NodeIdentity,
    /// The RLPx peers, unless p2p is disabled or the TCP listener could not be bound.
    pub peers: Option<Arc<PeerManager>>,
    discovery: Option<Discovery>,
}

/// The running discovery service and the task reporting its table's size.
struct Discovery {
    service: Arc<Discv4>,
    reporter: JoinHandle<()>,
}

impl P2p {
    /// Loads the node key and starts the RLPx listener, discovery with `bootnodes` and the peer
    /// manager whose sessions serve from `eth` (see the module docs).
    pub async fn start(
        cli: &Cli,
        bootnodes: Vec<Enode>,
        eth: EthContext,
        client_id: String,
    ) -> Result<Self, CliError> {
        let key = node_key(cli)?;
        let p2p = &cli.p2p;
        // The record's `eth` entry: geth dials discovered nodes only with a compatible one. It is
        // the fork id at startup (a fork activating later is not re-announced).
        let fork_id = LocalChain::load(&eth.store, eth.network_id)
            .ok()
            .map(|chain| chain.fork_id);
        if cli.p2p_disabled() {
            let flag = if cli.dev.dev {
                "--dev"
            } else {
                "--p2p.disabled"
            };
            tracing::info!("discovery disabled: {flag}");
            let identity = identity(cli, key, p2p.p2p_port, p2p.discovery_port, None)?;
            return Ok(Self {
                identity,
                peers: None,
                discovery: None,
            });
        }
        let listener = match TcpListener::bind(SocketAddr::new(p2p.p2p_addr, p2p.p2p_port)).await {
            Ok(listener) => {
                let addr = (listener.local_addr())
                    .map_err(|e| CliError::Io(format!("rlpx listener: {e}")))?;
                tracing::info!("rlpx on tcp://{addr}");
                Some((listener, addr.port()))
            }
            Err(e) => {
                tracing::warn!("rlpx disabled: {e}");
                None
            }
        };
        let tcp_port = listener.as_ref().map_or(p2p.p2p_port, |(_, port)| *port);
        let config = Discv4Config {
            bootnodes,
            lookup_interval: Duration::from_millis(p2p.lookup_interval_ms.max(1)),
            fork_id,
            ..Discv4Config::default()
        };
        let listen = Endpoint {
            ip: p2p.p2p_addr,
            udp_port: p2p.discovery_port,
            tcp_port,
        };
        let discovery = match Discv4::start(config, key, listen).await {
            Ok(service) => Some(Discovery::run(service)),
            Err(e) => {
                tracing::warn!("discovery disabled: {e}");
                None
            }
        };
        let udp_port = discovery
            .as_ref()
            .map_or(p2p.discovery_port, |d| d.service.local_enode().udp_port);
        let peers = listener.map(|(listener, port)| {
            let connection = ConnectionConfig {
                key,
                client_id,
                protocols: ethrex_p2p::protocols(),
                listen_port: port,
                handshake_timeout: DEFAULT_HANDSHAKE_TIMEOUT,
            };
            let mut config = PeerManagerConfig::new(connection, eth, p2p.target_peers);
            if let Some(discovery) = &discovery {
                // Weak: stopping discovery needs the only strong reference back.
                let service = Arc::downgrade(&discovery.service);
                config.candidates = Some(Arc::new(move || {
                    service
                        .upgrade()
                        .map_or_else(Vec::new, |service| service.nodes())
                }));
            }
            Arc::new(PeerManager::start(config, listener))
        });
        Ok(Self {
            identity: identity(cli, key, tcp_port, udp_port, fork_id)?,
            peers,
            discovery,
        })
    }

    /// Ends the peer sessions, stops discovery (if it runs) and waits for its tasks.
    pub async fn stop(self) {
        if let Some(peers) = self.peers {
            peers.shutdown().await;
        }
        if let Some(discovery) = self.discovery {
            discovery.stop().await;
        }
    }
}

/// The RPC's view of the sync (`eth_syncing`): the syncer's progress, the head from the store;
/// nothing once the head is the target.
pub struct RpcSync(pub Arc<FullSync>, pub ethrex_storage::Store);

impl SyncView for RpcSync {
    fn report(&self) -> Option<SyncReport> {
        let progress = self.0.progress();
        if !self.0.is_syncing() || progress.phase == SyncPhase::Idle {
            return None;
        }
        let head = self.1.head_header().ok().flatten()?;
        if progress.target == Some(head.hash_slow()) {
            // The head is the target: done, whatever the task still records.
            return None;
        }
        let current = head.number;
        Some(SyncReport {
            starting_block: progress.starting,
            current_block: current,
            highest_block: progress.highest.unwrap_or(0),
            sync_mode: self.0.mode(),
            phase: progress.phase.name(),
            headers_downloaded: progress.headers,
            blocks_imported: progress.imported,
            state_items: progress.state_items,
            trie_nodes_healed: progress.healed_nodes,
        })
    }
}

/// The RPC's view of the peers (`net_peerCount`, `admin_peers`, `admin_addPeer`).
pub struct RpcPeers(pub Arc<PeerManager>);

impl PeerView for RpcPeers {
    fn peers(&self) -> Vec<ethrex_rpc::PeerInfo> {
        (self.0.peers().into_iter())
            .map(|peer| ethrex_rpc::PeerInfo {
                id: alloy_primitives::hex::encode(alloy_primitives::keccak256(peer.id)),
                name: peer.client_id,
                enode: peer.enode,
                caps: peer.caps,
                local_address: peer.local_addr,
                remote_address: peer.remote_addr,
                inbound: peer.direction == Direction::Inbound,
                is_static: peer.is_static,
                eth_version: peer.eth_version.number(),
            })
            .collect()
    }

    fn add_peer(&self, enode: &str) -> Result<bool, String> {
        self.0.add_peer(enode)
    }
}

/// What `admin_nodeInfo` shows, with the bound ports.
fn identity(
    cli: &Cli,
    key: NodeKey,
    tcp_port: u16,
    udp_port: u16,
    fork_id: Option<ethrex_common::ForkId>,
) -> Result<NodeIdentity, CliError> {
    let node = LocalNode::new(key, cli.p2p.p2p_addr, tcp_port, udp_port).with_fork_id(fork_id);
    Ok(NodeIdentity {
        id: alloy_primitives::hex::encode(node.id()),
        enode: node.enode_url(),
        enr: node.enr()?,
        ip: node.ip,
        discovery_port: node.udp_port,
        listener_port: node.tcp_port,
        listen_addr: SocketAddr::new(cli.p2p.p2p_addr, tcp_port),
    })
}

impl Discovery {
    /// Logs the service's address and enode URL, and starts reporting its table's size.
    fn run(service: Discv4) -> Self {
        let enode = service.local_enode();
        let addr = service
            .local_addr()
            .map_or_else(|_| enode.udp_addr().to_string(), |addr| addr.to_string());
        tracing::info!("discovery on udp://{addr}, enode {enode}");
        let service = Arc::new(service);
        let watched = Arc::clone(&service);
        let reporter = tokio::spawn(async move {
            let mut ticks = tokio::time::interval(REPORT_INTERVAL);
            loop {
                ticks.tick().await;
                let nodes = watched.nodes().len();
                ethrex_metrics::set_discovery_nodes(nodes);
                tracing::debug!("discovery table: {nodes} nodes");
            }
        });
        Self { service, reporter }
    }

    async fn stop(self) {
        self.reporter.abort();
        let _ = self.reporter.await;
        // The reporter held the only other reference; it is gone once the task ended.
        if let Some(service) = Arc::into_inner(self.service) {
            service.shutdown().await;
        }
    }
}

/// The node key: `<datadir>/nodekey`, created when absent; a fresh one each run with
/// `--datadir memory`.
fn node_key(cli: &Cli) -> Result<NodeKey, CliError> {
    Ok(if cli.node.datadir == "memory" {
        NodeKey::random()
    } else {
        NodeKey::load_or_create(&expand_home(&cli.node.datadir))?
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cli(args: &[&str]) -> Cli {
        Cli::try_parse_args(std::iter::once("ethrex").chain(args.iter().copied())).unwrap()
    }

    #[test]
    fn every_preset_has_bootnodes_that_parse_as_enode_urls() {
        for network in Network::PRESETS {
            let name = network.to_string();
            let nodes = bootnodes(&cli(&["--network", &name])).unwrap();
            assert!(!nodes.is_empty(), "{name}");
            assert_eq!(nodes.len(), network.bootnodes().len(), "{name}");
        }
    }

    #[test]
    fn given_bootnodes_replace_the_presets_and_a_bad_one_is_named() {
        let key = "ca634cae0d49acb401d8a4c6b6fe8c55b70d115bf400769cc1400f3258cd31387574077f301b421bc84df7266c44e9e6d569fc56be00812904767bf5ccd1fc7f";
        let given = format!("enode://{key}@127.0.0.1:30301");
        let nodes = bootnodes(&cli(&["--bootnodes", &given])).unwrap();
        assert_eq!(nodes.len(), 1);
        assert_eq!(nodes[0].to_string(), given);
        assert!(bootnodes(&cli(&["--bootnodes", ""])).unwrap().is_empty());
        assert!(bootnodes(&cli(&["--dev"])).unwrap().is_empty());
        let bad = "enode://nope@1.2.3.4:30303";
        let err = bootnodes(&cli(&["--bootnodes", &format!("{given},{bad}")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains(bad), "{err}");
        assert!(err.contains("--bootnodes"), "{err}");
    }

    #[test]
    fn dev_mode_implies_p2p_disabled() {
        assert!(cli(&["--dev"]).p2p_disabled());
        assert!(cli(&["--p2p.disabled"]).p2p_disabled());
        assert!(!cli(&[]).p2p_disabled());
    }
}
