//! `ethrex l2`'s own flags (the sequencer's), each with its `ETHREX_<SECTION>_<NAME>` variable
//! (and the few names the issue fixes: `ETHREX_WATCHER_BRIDGE_ADDRESS`,
//! `ETHREX_COMMITTER_ON_CHAIN_PROPOSER_ADDRESS`, `ETHREX_ETH_RPC_URL`,
//! `ETHREX_PROOF_COORDINATOR_LISTEN_{ADDRESS,PORT}`, `ETHREX_PROPOSER_ELASTICITY_MULTIPLIER`).
//! `--network` and `--datadir` are the node's.

use std::{net::IpAddr, path::PathBuf};

use clap::Args;
use ethrex_common::{Address, B256};

/// The sequencer's flags (see the module docs).
#[derive(Debug, Args)]
pub struct SequencerArgs {
    /// Address of the L2's HTTP JSON-RPC server.
    #[arg(
        long = "http.addr",
        value_name = "ADDRESS",
        default_value = "127.0.0.1",
        env = "ETHREX_HTTP_ADDR"
    )]
    pub http_addr: IpAddr,
    /// Port of the L2's HTTP JSON-RPC server.
    #[arg(
        long = "http.port",
        value_name = "PORT",
        default_value_t = 1729,
        env = "ETHREX_HTTP_PORT"
    )]
    pub http_port: u16,
    /// JSON-RPC URL of the L1 (required unless --dev, which runs its own).
    #[arg(long = "eth.rpc-url", value_name = "URL", env = "ETHREX_ETH_RPC_URL")]
    pub eth_rpc_url: Option<String>,
    /// The L1 CommonBridge (proxy) address (required unless --dev).
    #[arg(
        long = "l1.bridge-address",
        value_name = "ADDRESS",
        env = "ETHREX_WATCHER_BRIDGE_ADDRESS"
    )]
    pub bridge_address: Option<Address>,
    /// The L1 OnChainProposer (proxy) address (required unless --dev).
    #[arg(
        long = "l1.on-chain-proposer-address",
        value_name = "ADDRESS",
        env = "ETHREX_COMMITTER_ON_CHAIN_PROPOSER_ADDRESS"
    )]
    pub on_chain_proposer_address: Option<Address>,
    /// Milliseconds between reads of the L1's bridge events. [default: 12000; 1000 with --dev]
    #[arg(
        long = "watcher.watch-interval",
        value_name = "MS",
        env = "ETHREX_WATCHER_WATCH_INTERVAL"
    )]
    pub watch_interval: Option<u64>,
    /// L1 blocks an event waits below the L1 head before it is included. [default: 10; 0 with
    /// --dev]
    #[arg(
        long = "watcher.block-delay",
        value_name = "BLOCKS",
        env = "ETHREX_WATCHER_BLOCK_DELAY"
    )]
    pub block_delay: Option<u64>,
    /// Milliseconds between reads of the L1 blob base fee (the L1 data fee's price).
    #[arg(
        long = "watcher.l1-fee-update-interval-ms",
        value_name = "MS",
        default_value_t = 60_000,
        env = "ETHREX_WATCHER_L1_FEE_UPDATE_INTERVAL_MS"
    )]
    pub l1_fee_update_interval_ms: u64,
    /// Milliseconds between L2 blocks. [default: 5000; 1000 with --dev]
    #[arg(
        long = "block-producer.block-time",
        value_name = "MS",
        env = "ETHREX_BLOCK_PRODUCER_BLOCK_TIME"
    )]
    pub block_time: Option<u64>,
    /// Receives the L2 priority fees. [default: the zero address]
    #[arg(
        long = "block-producer.coinbase-address",
        value_name = "ADDRESS",
        env = "ETHREX_BLOCK_PRODUCER_COINBASE_ADDRESS"
    )]
    pub coinbase_address: Option<Address>,
    /// Receives the L2 base fees (burned without it).
    #[arg(
        long = "block-producer.base-fee-vault-address",
        value_name = "ADDRESS",
        env = "ETHREX_BLOCK_PRODUCER_BASE_FEE_VAULT_ADDRESS"
    )]
    pub base_fee_vault_address: Option<Address>,
    /// Receives the operator fee (charged only with this vault).
    #[arg(
        long = "block-producer.operator-fee-vault-address",
        value_name = "ADDRESS",
        env = "ETHREX_BLOCK_PRODUCER_OPERATOR_FEE_VAULT_ADDRESS"
    )]
    pub operator_fee_vault_address: Option<Address>,
    /// Operator fee in wei per gas, on top of the base fee.
    #[arg(
        long = "block-producer.operator-fee-per-gas",
        value_name = "WEI",
        default_value_t = 0,
        env = "ETHREX_BLOCK_PRODUCER_OPERATOR_FEE_PER_GAS"
    )]
    pub operator_fee_per_gas: u64,
    /// Receives the L1 data fee (charged only with this vault).
    #[arg(
        long = "block-producer.l1-fee-vault-address",
        value_name = "ADDRESS",
        env = "ETHREX_BLOCK_PRODUCER_L1_FEE_VAULT_ADDRESS"
    )]
    pub l1_fee_vault_address: Option<Address>,
    /// The gas limit L2 blocks move towards.
    #[arg(
        long = "block-producer.block-gas-limit",
        value_name = "GAS",
        default_value_t = 30_000_000,
        env = "ETHREX_BLOCK_PRODUCER_BLOCK_GAS_LIMIT"
    )]
    pub block_gas_limit: u64,
    /// Private key of the committer, which sends commitBatch (required unless --dev).
    #[arg(
        long = "committer.l1-private-key",
        value_name = "KEY",
        env = "ETHREX_COMMITTER_L1_PRIVATE_KEY",
        hide_env_values = true
    )]
    pub committer_key: Option<B256>,
    /// Milliseconds between batch commits. [default: 60000; 5000 with --dev]
    #[arg(
        long = "committer.commit-time",
        value_name = "MS",
        env = "ETHREX_COMMITTER_COMMIT_TIME"
    )]
    pub commit_time: Option<u64>,
    /// The most gas a batch's blocks may use together. [default: no limit but the blob's]
    #[arg(
        long = "committer.batch-gas-limit",
        value_name = "GAS",
        env = "ETHREX_COMMITTER_BATCH_GAS_LIMIT"
    )]
    pub batch_gas_limit: Option<u64>,
    /// Private key of the proof sender, which sends verifyBatch; must differ from the
    /// committer's (required unless --dev).
    #[arg(
        long = "proof-coordinator.l1-private-key",
        value_name = "KEY",
        env = "ETHREX_PROOF_COORDINATOR_L1_PRIVATE_KEY",
        hide_env_values = true
    )]
    pub proof_sender_key: Option<B256>,
    /// Address the proof coordinator listens on for provers.
    #[arg(
        long = "proof-coordinator.addr",
        value_name = "ADDRESS",
        default_value = "127.0.0.1",
        env = "ETHREX_PROOF_COORDINATOR_LISTEN_ADDRESS"
    )]
    pub proof_coordinator_addr: IpAddr,
    /// Port the proof coordinator listens on for provers.
    #[arg(
        long = "proof-coordinator.port",
        value_name = "PORT",
        default_value_t = 3900,
        env = "ETHREX_PROOF_COORDINATOR_LISTEN_PORT"
    )]
    pub proof_coordinator_port: u16,
    /// Milliseconds between rounds of sending proofs (verifyBatch). [default: 5000; 1000 with
    /// --dev]
    #[arg(
        long = "proof-coordinator.send-interval",
        value_name = "MS",
        env = "ETHREX_PROOF_COORDINATOR_SEND_INTERVAL"
    )]
    pub send_interval: Option<u64>,
    /// The L2's EIP-1559 elasticity multiplier (only 2 is supported).
    #[arg(
        long = "elasticity-multiplier",
        value_name = "N",
        default_value_t = 2,
        env = "ETHREX_PROPOSER_ELASTICITY_MULTIPLIER"
    )]
    pub elasticity_multiplier: u64,
    /// The L1's Osaka activation time (unix seconds): blob sidecars carry cell proofs from then
    /// on. [default: already active]
    #[arg(
        long = "osaka-activation-time",
        value_name = "TIMESTAMP",
        env = "ETHREX_OSAKA_ACTIVATION_TIME"
    )]
    pub osaka_activation_time: Option<u64>,
    /// Not yet implemented: there is no terminal monitor, the sequencer only logs (accepted
    /// for compatibility).
    #[arg(long = "no-monitor", env = "ETHREX_NO_MONITOR")]
    pub no_monitor: bool,
    /// Run a whole local rollup: the `ethrex --dev` L1 in this process (unless --eth.rpc-url),
    /// its contracts deployed with the dev keys, the sequencer and an exec prover.
    #[arg(long, env = "ETHREX_L2_DEV")]
    pub dev: bool,
    /// Port of the in-process L1's HTTP JSON-RPC (--dev, on --http.addr).
    #[arg(
        long = "dev.l1-http-port",
        value_name = "PORT",
        default_value_t = 8545,
        env = "ETHREX_DEV_L1_HTTP_PORT"
    )]
    pub dev_l1_http_port: u16,
    /// With --dev, do not run the in-process prover (bring your own: `ethrex l2 prover`).
    #[arg(long = "dev.no-prover", env = "ETHREX_DEV_NO_PROVER")]
    pub dev_no_prover: bool,
    /// With --dev, where the deployment's addresses are written.
    #[arg(
        long = "env-file-path",
        value_name = "PATH",
        default_value = ".env",
        env = "ETHREX_DEPLOYER_ENV_FILE_PATH"
    )]
    pub env_file_path: PathBuf,
}
