//! `ethrex l2` (no subcommand): the rollup node and its sequencer. Opens the L2 chain
//! (`--network`: the L2 genesis, by default the built-in one of `fixtures/genesis/l2.json`) as a
//! rollup chain, serves its JSON-RPC on `--http.addr`:`--http.port` (1729), and runs the
//! sequencer's services (`ethrex-l2-sequencer`) against the L1 at `--eth.rpc-url`, until SIGINT
//! or SIGTERM.
//!
//! With `--dev` (see `dev.rs`): the L1 is an `ethrex --dev` chain in this process (unless
//! `--eth.rpc-url`), the contracts are deployed on it with the dev keys, and the data directory
//! defaults to memory.
//!
//! Log lines tests read: `L1 JSON-RPC on http://<addr>` (with --dev), `L2 HTTP JSON-RPC on
//! http://<addr>`, `sequencer started`.

use std::{net::SocketAddr, sync::Arc, thread::JoinHandle, time::Duration};

use ethrex_blockchain::{Blockchain, mempool::Mempool};
use ethrex_common::{Address, B256, Genesis};
use ethrex_l2_prover::{ClientConfig, Coordinator, ProverClient, ProverType};
use ethrex_l2_sdk::EthClient;
use ethrex_l2_sequencer::{
    BlockProducerConfig, CommitterConfig, ProofCoordinatorConfig, SequencerConfig, Shared,
    WatcherConfig,
    block_producer::BlockProducer,
    committer::Committer,
    proof_coordinator::{CoordinatorOptions, ProofCoordinator},
    proof_sender::ProofSender,
    rpc::L2Rpc,
    spawn_service,
    state::RollupState,
    watcher::Watcher,
};
use ethrex_rpc::{RpcContext, ServerConfig};

use super::{args::SequencerArgs, dev};
use crate::{
    cli::Cli,
    commands::{
        CliError,
        import::{expand_home, open_store_with},
        node::{Shutdown, client_version},
    },
};

/// The data directory `ethrex l2` uses when `--datadir` is left at the node's default.
const DEFAULT_L2_DATADIR: &str = "~/.local/share/ethrex-l2";

/// Runs `ethrex l2` until a shutdown signal.
pub fn run(cli: &Cli, args: &SequencerArgs) -> Result<(), CliError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Io(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(serve(cli, args))
}

/// The L2 genesis: `--network` when given, else the built-in one.
fn l2_genesis(cli: &Cli) -> Result<Genesis, CliError> {
    if cli.node.network == "mainnet" {
        let json = ethrex_l2_sdk::genesis::l2_genesis_json()?;
        return Ok(Genesis::from_json(&json)?);
    }
    let network: ethrex_common::Network = cli.node.network.parse()?;
    Ok(network.genesis()?)
}

/// Where the L1 contracts and keys come from: the flags, or the dev deployment.
pub struct L1Setup {
    pub url: String,
    pub bridge: Address,
    pub on_chain_proposer: Address,
    pub committer_key: B256,
    pub proof_sender_key: B256,
    /// The first L1 block the watcher scans.
    pub start_block: u64,
}

fn required<T: Clone>(value: &Option<T>, flag: &str) -> Result<T, CliError> {
    value
        .clone()
        .ok_or_else(|| CliError::InvalidArgs(format!("{flag} is required (or use --dev)")))
}

fn l1_from_flags(args: &SequencerArgs) -> Result<L1Setup, CliError> {
    Ok(L1Setup {
        url: required(&args.eth_rpc_url, "--eth.rpc-url")?,
        bridge: required(&args.bridge_address, "--l1.bridge-address")?,
        on_chain_proposer: required(
            &args.on_chain_proposer_address,
            "--l1.on-chain-proposer-address",
        )?,
        committer_key: required(&args.committer_key, "--committer.l1-private-key")?,
        proof_sender_key: required(&args.proof_sender_key, "--proof-coordinator.l1-private-key")?,
        start_block: 0,
    })
}

/// The settings of every service, the dev defaults applied where a flag was not given.
fn sequencer_config(args: &SequencerArgs, l1: &L1Setup) -> SequencerConfig {
    let dev = args.dev;
    let pick = |given: Option<u64>, normal: u64, dev_value: u64| {
        given.unwrap_or(if dev { dev_value } else { normal })
    };
    SequencerConfig {
        l1_rpc_url: l1.url.clone(),
        bridge_address: l1.bridge,
        on_chain_proposer_address: l1.on_chain_proposer,
        watcher: WatcherConfig {
            watch_interval_ms: pick(args.watch_interval, 12_000, 1_000),
            block_delay: pick(args.block_delay, 10, 0),
            l1_fee_update_interval_ms: args.l1_fee_update_interval_ms,
            start_block: l1.start_block,
        },
        block_producer: BlockProducerConfig {
            block_time_ms: pick(args.block_time, 5_000, 1_000),
            coinbase: args.coinbase_address.unwrap_or(Address::ZERO),
            base_fee_vault: args.base_fee_vault_address,
            operator_fee_vault: args.operator_fee_vault_address,
            operator_fee_per_gas: args.operator_fee_per_gas,
            l1_fee_vault: args.l1_fee_vault_address,
            block_gas_limit: args.block_gas_limit,
        },
        committer: CommitterConfig {
            l1_private_key: l1.committer_key,
            commit_time_ms: pick(args.commit_time, 60_000, 5_000),
            batch_gas_limit: args.batch_gas_limit,
            osaka_activation_time: args.osaka_activation_time,
        },
        proof_coordinator: ProofCoordinatorConfig {
            l1_private_key: l1.proof_sender_key,
            listen_addr: args.proof_coordinator_addr,
            listen_port: args.proof_coordinator_port,
            send_interval_ms: pick(args.send_interval, 5_000, 1_000),
        },
        elasticity_multiplier: args.elasticity_multiplier,
    }
}

fn check(args: &SequencerArgs, l1: &L1Setup) -> Result<(), CliError> {
    if args.elasticity_multiplier != 2 {
        return Err(CliError::InvalidArgs(format!(
            "--elasticity-multiplier {}: only 2 is supported",
            args.elasticity_multiplier
        )));
    }
    if l1.committer_key == l1.proof_sender_key {
        return Err(CliError::InvalidArgs(
            "--committer.l1-private-key and --proof-coordinator.l1-private-key must differ".into(),
        ));
    }
    Ok(())
}

async fn serve(cli: &Cli, args: &SequencerArgs) -> Result<(), CliError> {
    let shutdown = Shutdown::listen()?;
    let genesis = l2_genesis(cli)?;
    let mut l1_node = None;
    let l1 = if args.dev {
        let (setup, node) = dev::prepare_l1(cli, args, &genesis).await?;
        l1_node = node;
        setup
    } else {
        l1_from_flags(args)?
    };
    check(args, &l1)?;
    let config = sequencer_config(args, &l1);
    let datadir = match cli.node.datadir.as_str() {
        "~/.local/share/ethrex" if args.dev => "memory".to_string(),
        "~/.local/share/ethrex" => expand_home(DEFAULT_L2_DATADIR).display().to_string(),
        other => other.to_string(),
    };
    let store = open_store_with(&datadir, &genesis)?;
    let chain = Arc::new(Blockchain::new_rollup(store.clone())?);
    let head = chain
        .store()
        .head_header()?
        .ok_or_else(|| CliError::Io("the store has no head block".into()))?;
    tracing::info!(
        "L2 chain {} at head #{} {} (data: {datadir})",
        chain.config().chain_id,
        head.number,
        head.hash_slow()
    );
    let mempool = Arc::new(Mempool::new(cli.node.mempool_max_size));
    let shared = Shared::new();
    let state = RollupState::new(store);
    let mut ctx = RpcContext::new(Arc::clone(&chain), Arc::clone(&mempool), client_version());
    let l2_rpc = L2Rpc::new(Arc::clone(&chain), state.clone())
        .with_mempool(Arc::clone(&mempool))
        .with_block_producer(config.block_producer.clone(), Arc::clone(&shared));
    ctx.extra = Some(Arc::new(l2_rpc));
    let server = ServerConfig {
        http: SocketAddr::new(args.http_addr, args.http_port),
        ws: None,
        cors_origins: vec!["*".into()],
    };
    let servers = ethrex_rpc::start(ctx, server)
        .await
        .map_err(|e| CliError::Io(e.to_string()))?;
    tracing::info!("L2 HTTP JSON-RPC on http://{}", servers.http);

    let services = start_services(&config, &chain, &mempool, &state, &shared)?;
    let prover = if args.dev && !args.dev_no_prover {
        Some(start_prover(services.coordinator.local_addr(), &shared)?)
    } else {
        None
    };
    tracing::info!("sequencer started");
    shutdown.wait().await;
    tracing::info!("shutting down the sequencer");
    shared.stop();
    let Services {
        threads,
        coordinator,
    } = services;
    for thread in threads.into_iter().chain(prover) {
        let _ = tokio::task::spawn_blocking(move || thread.join()).await;
    }
    let _ = tokio::task::spawn_blocking(move || coordinator.join()).await;
    if let Some(node) = l1_node {
        node.stop().await;
    }
    chain.store().journal_layers()?;
    tracing::info!("stopped");
    Ok(())
}

/// The running services.
struct Services {
    threads: Vec<JoinHandle<()>>,
    coordinator: ProofCoordinator,
}

fn sequencer_error(e: ethrex_l2_sequencer::SequencerError) -> CliError {
    CliError::Io(format!("sequencer: {e}"))
}

/// The in-process exec prover of `--dev`, polling the coordinator at `addr` every second.
fn start_prover(addr: SocketAddr, shared: &Arc<Shared>) -> Result<JoinHandle<()>, CliError> {
    let url = format!("tcp://{addr}");
    let coordinator = Coordinator::parse(&url).map_err(|e| CliError::Io(format!("prover: {e}")))?;
    let client = ProverClient::new(ClientConfig {
        prover_type: ProverType::Exec,
        coordinators: vec![coordinator],
        proving_time: Duration::from_millis(1_000),
        io_timeout: ethrex_l2_prover::client::DEFAULT_IO_TIMEOUT,
    })
    .map_err(|e| CliError::Io(format!("prover: {e}")))?;
    let shared = Arc::clone(shared);
    tracing::info!("exec prover (in process) polling {url}");
    std::thread::Builder::new()
        .name("prover".into())
        .spawn(move || {
            let stop = std::sync::atomic::AtomicBool::new(false);
            std::thread::scope(|scope| {
                scope.spawn(|| {
                    while !shared.stopped() {
                        std::thread::sleep(Duration::from_millis(50));
                    }
                    stop.store(true, std::sync::atomic::Ordering::SeqCst);
                });
                client.run(&stop);
            });
        })
        .map_err(|e| CliError::Io(format!("cannot start the prover thread: {e}")))
}

/// Starts the sequencer's services on their threads.
fn start_services(
    config: &SequencerConfig,
    chain: &Arc<Blockchain>,
    mempool: &Arc<Mempool>,
    state: &RollupState,
    shared: &Arc<Shared>,
) -> Result<Services, CliError> {
    let io = |e: std::io::Error| CliError::Io(format!("cannot start a sequencer thread: {e}"));
    let client = EthClient::new(&config.l1_rpc_url)?;
    let mut handles = Vec::new();

    let mut watcher = Watcher::new(
        client.clone(),
        config.bridge_address,
        chain.config().chain_id,
        config.watcher.clone(),
        state.clone(),
    );
    let watcher_shared = Arc::clone(shared);
    handles.push(
        spawn_service(
            "l1-watcher",
            Arc::clone(shared),
            Duration::from_millis(config.watcher.watch_interval_ms),
            move || watcher.step(&watcher_shared).map(|_| ()),
        )
        .map_err(io)?,
    );

    let producer = BlockProducer::new(
        Arc::clone(chain),
        Arc::clone(mempool),
        state.clone(),
        config.block_producer.clone(),
    );
    let producer_shared = Arc::clone(shared);
    handles.push(
        spawn_service(
            "block-producer",
            Arc::clone(shared),
            Duration::from_millis(config.block_producer.block_time_ms),
            move || producer.produce(&producer_shared, unix_now()).map(|_| ()),
        )
        .map_err(io)?,
    );

    let mut committer = Committer::new(
        client.clone(),
        state.clone(),
        config.bridge_address,
        config.on_chain_proposer_address,
        config.committer.clone(),
    )
    .map_err(sequencer_error)?;
    handles.push(
        spawn_service(
            "committer",
            Arc::clone(shared),
            Duration::from_millis(config.committer.commit_time_ms),
            move || committer.step().map(|_| ()),
        )
        .map_err(io)?,
    );

    let coordinator = ProofCoordinator::start(
        &config.proof_coordinator,
        Arc::clone(chain),
        state.clone(),
        CoordinatorOptions {
            elasticity_multiplier: config.elasticity_multiplier,
            ..CoordinatorOptions::default()
        },
        Arc::clone(shared),
    )
    .map_err(sequencer_error)?;

    let sender = ProofSender::new(
        client,
        state.clone(),
        config.on_chain_proposer_address,
        config.proof_coordinator.l1_private_key,
        config.proof_coordinator.send_interval_ms,
    )
    .map_err(sequencer_error)?;
    handles.push(sender.spawn(Arc::clone(shared)).map_err(io)?);
    Ok(Services {
        threads: handles,
        coordinator,
    })
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
