//! `ethrex l2 --dev`'s L1 side: unless `--eth.rpc-url` names one, an `ethrex --dev` chain runs in
//! this process, serving only HTTP JSON-RPC on `--http.addr`:`--dev.l1-http-port` (8545), with a
//! block as soon as transactions are pending. The rollup's contracts are deployed on it with the
//! dev keys — account #189 (0-based, of `dev-keys.txt`) deploys, owns both contracts and
//! commits batches, #190 sends proofs — with a 300 s inclusion deadline, and their addresses are
//! printed and written to `--env-file-path`.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use clap::Parser;
use ethrex_blockchain::mempool::Mempool;
use ethrex_common::{Genesis, dev::dev_accounts};
use ethrex_l2_sdk::{
    EthClient,
    create2::random_salt,
    deploy::{DeployOptions, Verifier, deploy},
    tx::Signer,
};
use ethrex_rpc::{RpcContext, ServerConfig};

use super::{args::SequencerArgs, deploy::write_env_file, sequencer::L1Setup};
use crate::{
    cli::Cli,
    commands::{CliError, dev as l1_dev, node::client_version},
};

/// The dev account that deploys, owns and commits.
pub const DEPLOYER_INDEX: usize = 189;
/// The dev account that sends proofs.
pub const PROOF_SENDER_INDEX: usize = 190;
/// Seconds a deposit may wait before the sequencer must include it (--dev).
pub const DEV_INCLUSION_MAX_WAIT: u64 = 300;

/// The in-process L1 (stopped with the sequencer).
pub struct L1Node {
    producer: l1_dev::Producer,
    /// Where its JSON-RPC listens (the port bound, when 0 was asked).
    http: SocketAddr,
}

impl L1Node {
    pub async fn stop(self) {
        self.producer.stop().await;
    }
}

/// Starts `ethrex --dev` in this process, HTTP only, on `addr`.
async fn start_l1(addr: SocketAddr) -> Result<L1Node, CliError> {
    let cli = Cli::try_parse_from(["ethrex", "--dev", "--datadir", "memory"])
        .map_err(|e| CliError::Io(format!("the in-process L1's settings: {e}")))?;
    let chain = Arc::new(l1_dev::open_chain(&cli)?);
    let mempool = Arc::new(Mempool::new(cli.node.mempool_max_size));
    let mut ctx = RpcContext::new(Arc::clone(&chain), Arc::clone(&mempool), client_version());
    let events = Arc::clone(&ctx.events);
    let (producer, listener) = l1_dev::Producer::start(&cli, chain, mempool, events)?;
    ctx.on_transaction = Some(listener);
    let config = ServerConfig {
        http: addr,
        ws: None,
        cors_origins: vec!["*".into()],
    };
    let servers = ethrex_rpc::start(ctx, config)
        .await
        .map_err(|e| CliError::Io(format!("the in-process L1: {e}")))?;
    tracing::info!("L1 JSON-RPC on http://{}", servers.http);
    Ok(L1Node {
        producer,
        http: servers.http,
    })
}

/// The L1 of `ethrex l2 --dev` (started here unless `--eth.rpc-url`) with the contracts
/// deployed on it.
pub async fn prepare_l1(
    _cli: &Cli,
    args: &SequencerArgs,
    genesis: &Genesis,
) -> Result<(L1Setup, Option<L1Node>), CliError> {
    let (url, node) = match &args.eth_rpc_url {
        Some(url) => (url.clone(), None),
        None => {
            let addr = SocketAddr::new(args.http_addr, args.dev_l1_http_port);
            let node = start_l1(addr).await?;
            (format!("http://{}", node.http), Some(node))
        }
    };
    let accounts = dev_accounts()?;
    let account = |i: usize| {
        accounts
            .get(i)
            .copied()
            .ok_or_else(|| CliError::Io(format!("dev-keys.txt has no account #{i}")))
    };
    let deployer = account(DEPLOYER_INDEX)?;
    let proof_sender = account(PROOF_SENDER_INDEX)?;
    let options = DeployOptions {
        deployer: Signer::new(deployer.secret)?,
        l2_genesis: genesis.clone(),
        bridge_owner: deployer.address,
        on_chain_proposer_owner: deployer.address,
        committer: deployer.address,
        proof_sender: proof_sender.address,
        // A fresh address set each run: an external L1 may hold an earlier deployment.
        salt: random_salt(),
        inclusion_max_wait: DEV_INCLUSION_MAX_WAIT,
        sp1: Verifier::default(),
        risc0: Verifier::default(),
        tdx: Verifier::default(),
        receipt_timeout: Duration::from_secs(60),
    };
    let env_file = args.env_file_path.clone();
    let deploy_url = url.clone();
    let (deployed, start_block) = tokio::task::spawn_blocking(move || {
        let client = EthClient::new(&deploy_url)?;
        let start_block = client.block_number()?;
        let mut progress = |line: &str| tracing::info!("deploy: {line}");
        let deployed = deploy(&client, &options, &mut progress)?;
        Ok::<_, CliError>((deployed, start_block))
    })
    .await
    .map_err(|e| CliError::Io(format!("the deployment stopped: {e}")))??;
    tracing::info!(
        "rollup contracts: bridge {:#x}, on-chain proposer {:#x}",
        deployed.bridge,
        deployed.on_chain_proposer
    );
    write_env_file(&env_file, &deployed.env_lines())?;
    tracing::info!("addresses written to {}", env_file.display());
    Ok((
        L1Setup {
            url,
            bridge: deployed.bridge,
            on_chain_proposer: deployed.on_chain_proposer,
            committer_key: deployer.secret,
            proof_sender_key: proof_sender.secret,
            start_block,
        },
        node,
    ))
}
