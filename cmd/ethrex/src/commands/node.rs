//! `ethrex` without a subcommand: the node. First checks the bootnodes (`--bootnodes` or the
//! network's; an invalid enode URL stops the node, named), then loads (or creates) the Engine
//! API's JWT secret (`--authrpc.jwtsecret`, by default `<datadir>/jwt.hex`): a bad secret file
//! stops the node before anything else starts. With `--metrics`, then serves Prometheus metrics
//! (`ethrex-metrics`). Opens the store (creating it from the network's genesis, or the dev
//! genesis with `--dev`), re-executes what a crash left in memory, starts the p2p side
//! (`p2p.rs`: the node key `<datadir>/nodekey` — a fresh key each run with `--datadir memory` —
//! for the identity of `admin_nodeInfo`, and, unless `--p2p.disabled` or `--dev`, the RLPx
//! listener, discovery v4 and the peer manager),
//! starts the JSON-RPC servers and the authenticated Engine API server (always, `--dev`
//! included; and, with `--dev`, the block producer of `dev.rs`), and runs until SIGINT or
//! SIGTERM, then ends the peer sessions, stops discovery, writes the recent states as the diff-layer journal (loaded at
//! the next start) and exits.
//!
//! Log lines tests and tools read (in this order): `JWT secret: <path>` (with ` (generated)`
//! when created), `metrics on http://<addr>/metrics`, `rlpx on tcp://<addr>` (or `rlpx disabled:
//! <reason>`), `discovery on udp://<addr>, enode <url>` (or `discovery disabled: <reason>`), `HTTP JSON-RPC on http://<addr>`,
//! `WebSocket JSON-RPC on ws://<addr>`, `Engine API on http://<addr>`.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use ethrex_blockchain::{Blockchain, mempool::Mempool};
use ethrex_common::Network;
use ethrex_p2p::{
    eth::EthContext,
    gossip::{GossipPeers, TxGossip},
    peers::PeerHandles,
    sync::{FullSync, SyncConfig},
};
use ethrex_rpc::{AuthConfig, JwtSecret, RpcContext, SecretOrigin, ServerConfig};

use super::{
    CliError, dev,
    import::{expand_home, open_chain},
    p2p::{self, P2p},
};
use crate::cli::{Cli, SyncMode};

/// How many peer events (announcements, pushed transactions) may wait for the gossip task;
/// sessions drop events beyond.
const PEER_EVENTS: usize = 1024;

/// The client version string (`web3_clientVersion`).
pub fn client_version() -> String {
    format!(
        "ethrex/v{}/{}-{}/rust",
        env!("CARGO_PKG_VERSION"),
        std::env::consts::ARCH,
        std::env::consts::OS
    )
}

/// The Engine API's JWT secret (see the module docs), its path logged.
fn jwt_secret(cli: &Cli) -> Result<JwtSecret, CliError> {
    let datadir = (cli.node.datadir != "memory").then(|| expand_home(&cli.node.datadir));
    let path = cli.rpc.jwt_secret_path(datadir.as_deref());
    let (secret, origin) = JwtSecret::load_or_create(&path)?;
    let shown = std::fs::canonicalize(&path).unwrap_or(path);
    match origin {
        SecretOrigin::Read => tracing::info!("JWT secret: {}", shown.display()),
        SecretOrigin::Generated => tracing::info!("JWT secret: {} (generated)", shown.display()),
    }
    Ok(secret)
}

/// Runs the node until a shutdown signal.
pub fn run(cli: &Cli) -> Result<(), CliError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Io(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(serve(cli))
}

async fn serve(cli: &Cli) -> Result<(), CliError> {
    let shutdown = Shutdown::listen()?;
    let bootnodes = p2p::bootnodes(cli)?;
    let jwt_secret = jwt_secret(cli)?;
    if cli.metrics.metrics {
        start_metrics(cli).await?;
    }
    let chain = Arc::new(if cli.dev.dev {
        dev::open_chain(cli)?
    } else {
        open_chain(&cli.node.datadir, &cli.node.network)?
    });
    let head = chain
        .store()
        .head_header()?
        .ok_or_else(|| CliError::Io("the store has no head block".into()))?;
    tracing::info!(
        "chain {} at head #{} {}",
        chain.config().chain_id,
        head.number,
        head.hash_slow()
    );
    ethrex_metrics::set_block_height(head.number);
    let mempool = Arc::new(Mempool::new(cli.node.mempool_max_size));
    ethrex_metrics::set_mempool_size(mempool.len());
    let mut ctx = RpcContext::new(Arc::clone(&chain), Arc::clone(&mempool), client_version());
    let mut eth = EthContext::new(chain.store().clone(), chain.config().chain_id);
    eth.mempool = Some(Arc::clone(&mempool));
    let (events, peer_events) = tokio::sync::mpsc::channel(PEER_EVENTS);
    eth.events = Some(events);
    let p2p = P2p::start(cli, bootnodes, eth, client_version()).await?;
    let sync = p2p.peers.as_ref().map(|peers| {
        let config = SyncConfig {
            snap: cli.p2p.syncmode == SyncMode::Snap,
            ..SyncConfig::default()
        };
        let sync = FullSync::start(
            Arc::clone(&chain),
            Arc::clone(peers) as Arc<dyn PeerHandles>,
            config,
        );
        ctx.engine.set_sync(sync.handoff());
        Arc::new(sync)
    });
    if let Some(sync) = &sync {
        ctx.sync = Some(Arc::new(p2p::RpcSync(
            Arc::clone(sync),
            chain.store().clone(),
        )));
    }
    let gossip = p2p.peers.as_ref().map(|peers| {
        TxGossip::start(
            Arc::clone(&chain),
            Arc::clone(&mempool),
            Arc::clone(peers) as Arc<dyn GossipPeers>,
            peer_events,
            Duration::from_millis(cli.p2p.tx_broadcasting_interval_ms),
        )
    });
    tracing::info!("node {}", p2p.identity.enode);
    ctx.node = Some(Arc::new(p2p.identity.clone()));
    if let Some(peers) = &p2p.peers {
        ctx.peers = Some(Arc::new(p2p::RpcPeers(Arc::clone(peers))));
    }
    if !cli.dev.dev {
        // For tracing blocks whose state is no longer held (rebuilt from the genesis).
        ctx.genesis = Some(Arc::new(cli.node.network.parse::<Network>()?.genesis()?));
    }
    let producer = if cli.dev.dev {
        let events = Arc::clone(&ctx.events);
        let (producer, listener) = dev::Producer::start(cli, Arc::clone(&chain), mempool, events)?;
        ctx.on_transaction = Some(listener);
        Some(producer)
    } else {
        None
    };
    let config = ServerConfig {
        http: SocketAddr::new(cli.rpc.http_addr, cli.rpc.http_port),
        ws: cli
            .rpc
            .ws_enabled
            .then(|| SocketAddr::new(cli.rpc.ws_addr, cli.rpc.ws_port)),
        cors_origins: vec!["*".into()],
    };
    let servers = ethrex_rpc::start(ctx.clone(), config)
        .await
        .map_err(|e| CliError::Io(e.to_string()))?;
    tracing::info!("HTTP JSON-RPC on http://{}", servers.http);
    if let Some(ws) = servers.ws {
        tracing::info!("WebSocket JSON-RPC on ws://{ws}");
    }
    let auth = AuthConfig {
        addr: SocketAddr::new(cli.rpc.authrpc_addr, cli.rpc.authrpc_port),
        secret: jwt_secret,
    };
    let auth = ethrex_rpc::start_auth(ctx, auth)
        .await
        .map_err(|e| CliError::Io(e.to_string()))?;
    tracing::info!("Engine API on http://{auth}");
    shutdown.wait().await;
    if let Some(producer) = producer {
        producer.stop().await;
    }
    if let Some(gossip) = gossip {
        gossip.stop().await;
    }
    if let Some(sync) = sync.and_then(Arc::into_inner) {
        sync.stop().await;
    }
    p2p.stop().await;
    tracing::info!("shutting down: writing the head state");
    persist(&chain)?;
    tracing::info!("stopped");
    Ok(())
}

/// Serves metrics on `--metrics.addr`:`--metrics.port`. Logged before the RPC servers' lines
/// (tests read the addresses from the log).
async fn start_metrics(cli: &Cli) -> Result<(), CliError> {
    let addr = SocketAddr::new(cli.metrics.metrics_addr, cli.metrics.metrics_port);
    let bound = ethrex_metrics::start(addr)
        .await
        .map_err(|e| CliError::Io(e.to_string()))?;
    tracing::info!("metrics on http://{bound}{}", ethrex_metrics::PATH);
    Ok(())
}

/// SIGINT (Ctrl-C) and SIGTERM, caught from the moment this is made: made before anything is
/// announced, so a signal sent as soon as the servers' addresses are logged stops the node
/// cleanly instead of killing it (registering only when waiting raced with that).
pub(crate) struct Shutdown {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl Shutdown {
    pub(crate) fn listen() -> Result<Self, CliError> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let catch =
                |kind| signal(kind).map_err(|e| CliError::Io(format!("cannot catch signals: {e}")));
            Ok(Self {
                interrupt: catch(SignalKind::interrupt())?,
                terminate: catch(SignalKind::terminate())?,
            })
        }
        #[cfg(not(unix))]
        Ok(Self {})
    }

    /// Waits for either signal.
    pub(crate) async fn wait(self) {
        #[cfg(unix)]
        {
            let Self {
                mut interrupt,
                mut terminate,
            } = self;
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

fn persist(chain: &Blockchain) -> Result<(), CliError> {
    // The recent states are written as the diff-layer journal (the next start loads them).
    chain.store().journal_layers()?;
    Ok(())
}
