//! The command line of `ethrex`: one `#[derive(Args)]` struct per flag group, geth-style flag
//! names, and an `ETHREX_*` environment variable for every flag.
//!
//! Flags of features not built yet (sync, transaction broadcasting, witness precomputation, log
//! files) are parsed and validated so that scripts can be written against them; their help says
//! "not yet implemented" (test `inert_flags_say_so_in_their_help`). `docs/CLI.md` is generated from
//! `--help` and a test fails when the two drift.

use std::{net::IpAddr, path::PathBuf};

use clap::{
    Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum, parser::ValueSource,
};

/// ethrex: a minimal, fast Ethereum execution client.
#[derive(Debug, Parser)]
#[command(name = "ethrex", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub node: NodeOptions,
    #[command(flatten)]
    pub p2p: P2pOptions,
    #[command(flatten)]
    pub rpc: RpcOptions,
    #[command(flatten)]
    pub builder: BuilderOptions,
    #[command(flatten)]
    pub dev: DevOptions,
    #[command(flatten)]
    pub metrics: MetricsOptions,
    #[command(flatten)]
    pub log: LogOptions,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the state root of a network's genesis allocation, as 0x-prefixed hex.
    ComputeStateRoot,
    /// Import blocks from files of consecutive RLP-encoded blocks into the data directory.
    Import {
        /// The files to import, in order.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Blocks per database write.
        #[arg(long, value_name = "BLOCKS", default_value_t = 1024, value_parser = clap::value_parser!(u64).range(1..))]
        batch_size: u64,
    },
    /// Delete the data directory (asks for confirmation unless --force).
    Removedb,
    /// Import a chain file into a fresh temporary database and report gas per second, split into
    /// execution, merkleization and storage.
    ImportBench {
        /// The file of consecutive RLP-encoded blocks (on the --network genesis).
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Use the in-memory backend instead of RocksDB.
        #[arg(long)]
        in_memory: bool,
        /// Blocks per database write.
        #[arg(long, value_name = "BLOCKS", default_value_t = 1024, value_parser = clap::value_parser!(u64).range(1..))]
        batch_size: u64,
    },
    /// Export canonical blocks as consecutive RLP-encoded blocks, the format `import` reads.
    Export(ExportArgs),
    /// The rollup: its node and sequencer (`ethrex l2`, `ethrex l2 --dev` for a whole local
    /// rollup), its L1 contracts (`ethrex l2 deploy`) and its prover (`ethrex l2 prover`). For
    /// `ethrex l2`, --network defaults to the built-in L2 genesis (fixtures/genesis/l2.json) and
    /// --datadir to ~/.local/share/ethrex-l2 (memory with --dev).
    L2(Box<crate::commands::l2::L2Args>),
}

/// What `ethrex export` writes: the file and the block range.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The file to write; refused if it exists, unless --force.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// First block to export [default: 1].
    #[arg(long, value_name = "NUMBER")]
    pub first: Option<u64>,
    /// Last block to export [default: the head].
    #[arg(long, value_name = "NUMBER")]
    pub last: Option<u64>,
}

/// Node: network, data and mempool.
#[derive(Debug, Args)]
#[command(next_help_heading = "Node options")]
pub struct NodeOptions {
    /// Network to join: mainnet, sepolia, holesky, hoodi, or the path of a genesis JSON file
    /// (ignored with --dev).
    #[arg(
        long,
        value_name = "NAME|GENESIS_FILE",
        default_value = "mainnet",
        env = "ETHREX_NETWORK",
        global = true
    )]
    pub network: String,
    /// Data directory; `memory` keeps everything in memory.
    #[arg(
        long,
        value_name = "PATH",
        default_value = "~/.local/share/ethrex",
        env = "ETHREX_DATADIR",
        global = true
    )]
    pub datadir: String,
    /// Act without asking: `removedb` deletes the data directory, `export` overwrites its file.
    #[arg(long, env = "ETHREX_FORCE", global = true)]
    pub force: bool,
    /// Maximum number of transactions in the mempool.
    #[arg(
        long = "mempool.maxsize",
        value_name = "COUNT",
        default_value_t = 10_000,
        env = "ETHREX_MEMPOOL_MAXSIZE"
    )]
    pub mempool_max_size: usize,
    /// Compute and store an execution witness for every block, for provers (not yet implemented;
    /// `debug_executionWitness` computes one on request).
    #[arg(long = "precompute-witnesses", env = "ETHREX_PRECOMPUTE_WITNESSES")]
    pub precompute_witnesses: bool,
}

/// How the node syncs from peers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SyncMode {
    /// Download and execute every block.
    Full,
    /// Download the state at a recent block, then execute from there.
    Snap,
}

/// Peer-to-peer networking.
#[derive(Debug, Args)]
#[command(next_help_heading = "P2P options")]
pub struct P2pOptions {
    /// Comma-separated enode URLs discovery bonds with first; an invalid one stops the node.
    /// An empty value: none. [default: the --network preset's bootnodes]
    #[arg(
        long,
        value_name = "ENODES",
        value_delimiter = ',',
        env = "ETHREX_BOOTNODES"
    )]
    pub bootnodes: Vec<String>,
    /// How the node reaches a head its consensus client names: `full` downloads and executes
    /// every block from peers; `snap` (a node still at its genesis, more than 128 blocks
    /// behind) downloads the state of the block 64 below the head, then executes the rest.
    #[arg(long, value_enum, default_value = "snap", env = "ETHREX_SYNCMODE")]
    pub syncmode: SyncMode,
    /// Disable peer-to-peer networking: no RLPx listener, no discovery socket, no peers. Implied
    /// by --dev.
    #[arg(long = "p2p.disabled", env = "ETHREX_P2P_DISABLED")]
    pub disabled: bool,
    /// Address to listen on for peers: the RLPx TCP listener and discovery's UDP socket bind it
    /// (an unspecified address binds every interface and is announced as loopback).
    #[arg(
        long = "p2p.addr",
        value_name = "ADDRESS",
        default_value = "0.0.0.0",
        env = "ETHREX_P2P_ADDR"
    )]
    pub p2p_addr: IpAddr,
    /// TCP port for RLPx connections; 0 picks a free port, which the enode and ENR then announce.
    /// A port that cannot be bound is a warning, and the node runs without peers.
    #[arg(
        long = "p2p.port",
        value_name = "PORT",
        default_value_t = 30303,
        env = "ETHREX_P2P_PORT"
    )]
    pub p2p_port: u16,
    /// UDP port for discovery (v4); 0 picks a free port. A port that cannot be bound is a
    /// warning, and the node runs without discovery.
    #[arg(
        long = "discovery.port",
        value_name = "PORT",
        default_value_t = 30303,
        env = "ETHREX_DISCOVERY_PORT"
    )]
    pub discovery_port: u16,
    /// How often, in milliseconds, transactions the pool admitted from JSON-RPC are announced to
    /// peers (those received from peers are announced at once).
    #[arg(
        long = "p2p.tx-broadcasting-interval",
        value_name = "MS",
        default_value_t = 1000,
        env = "ETHREX_P2P_TX_BROADCASTING_INTERVAL"
    )]
    pub tx_broadcasting_interval_ms: u64,
    /// Number of peers to aim for: a third (rounded up) dialed from discovered nodes, the rest
    /// accepted inbound. Static peers (admin_addPeer) come on top.
    #[arg(
        long = "p2p.target-peers",
        value_name = "COUNT",
        default_value_t = 25,
        env = "ETHREX_P2P_TARGET_PEERS"
    )]
    pub target_peers: usize,
    /// Interval between discovery lookups (toward random targets and our own id), in
    /// milliseconds. Each lookup queries up to 48 nodes: keep it in seconds outside tests.
    #[arg(
        long = "p2p.lookup-interval",
        value_name = "MS",
        default_value_t = 30_000,
        env = "ETHREX_P2P_LOOKUP_INTERVAL"
    )]
    pub lookup_interval_ms: u64,
}

/// JSON-RPC (HTTP, WebSocket) and the Engine API.
#[derive(Debug, Args)]
#[command(next_help_heading = "RPC options")]
pub struct RpcOptions {
    /// Address of the HTTP JSON-RPC server. The JSON-RPC port also serves debug_ tracing and
    /// admin_ methods: listening on all interfaces (`--http.addr 0.0.0.0`) exposes them to
    /// whoever can reach the port, a choice left to the user.
    #[arg(
        long = "http.addr",
        value_name = "ADDRESS",
        default_value = "127.0.0.1",
        env = "ETHREX_HTTP_ADDR"
    )]
    pub http_addr: IpAddr,
    /// Port of the HTTP JSON-RPC server.
    #[arg(
        long = "http.port",
        value_name = "PORT",
        default_value_t = 8545,
        env = "ETHREX_HTTP_PORT"
    )]
    pub http_port: u16,
    /// Enable the WebSocket JSON-RPC server.
    #[arg(long = "ws.enabled", env = "ETHREX_ENABLE_WS")]
    pub ws_enabled: bool,
    /// Address of the WebSocket JSON-RPC server (the same methods as HTTP, see --http.addr).
    #[arg(
        long = "ws.addr",
        value_name = "ADDRESS",
        default_value = "127.0.0.1",
        env = "ETHREX_WS_ADDR"
    )]
    pub ws_addr: IpAddr,
    /// Port of the WebSocket JSON-RPC server.
    #[arg(
        long = "ws.port",
        value_name = "PORT",
        default_value_t = 8546,
        env = "ETHREX_WS_PORT"
    )]
    pub ws_port: u16,
    /// Address of the authenticated Engine API server (engine_* methods for the consensus
    /// client; every request needs a JWT signed with --authrpc.jwtsecret).
    #[arg(
        long = "authrpc.addr",
        value_name = "ADDRESS",
        default_value = "127.0.0.1",
        env = "ETHREX_AUTHRPC_ADDR"
    )]
    pub authrpc_addr: IpAddr,
    /// Port of the authenticated Engine API server.
    #[arg(
        long = "authrpc.port",
        value_name = "PORT",
        default_value_t = 8551,
        env = "ETHREX_AUTHRPC_PORT"
    )]
    pub authrpc_port: u16,
    /// File holding the JWT secret shared with the consensus client: 32 bytes as 64 hex digits
    /// (0x optional). Created with a random secret when absent; an unreadable or malformed file
    /// stops the node. [default: <datadir>/jwt.hex; with `--datadir memory`, jwt.hex in the
    /// current directory]
    #[arg(
        long = "authrpc.jwtsecret",
        value_name = "PATH",
        env = "ETHREX_AUTHRPC_JWTSECRET"
    )]
    pub authrpc_jwtsecret: Option<PathBuf>,
}

impl RpcOptions {
    /// The JWT secret file: --authrpc.jwtsecret, else `jwt.hex` in `datadir` (the expanded data
    /// directory; `None` for `--datadir memory`, then the current directory).
    pub fn jwt_secret_path(&self, datadir: Option<&std::path::Path>) -> PathBuf {
        match (&self.authrpc_jwtsecret, datadir) {
            (Some(path), _) => path.clone(),
            (None, Some(datadir)) => datadir.join(JWT_SECRET_FILE),
            (None, None) => PathBuf::from(JWT_SECRET_FILE),
        }
    }
}

/// The JWT secret's file name when --authrpc.jwtsecret is not given.
pub const JWT_SECRET_FILE: &str = "jwt.hex";

/// Block building.
#[derive(Debug, Args)]
#[command(next_help_heading = "Block builder options")]
pub struct BuilderOptions {
    /// Extra data put in built blocks' headers (at most 32 bytes). Only --dev builds blocks for
    /// now.
    #[arg(long = "builder.extra-data", value_name = "DATA", default_value = concat!("ethrex ", env!("CARGO_PKG_VERSION")), env = "ETHREX_BUILDER_EXTRA_DATA")]
    pub extra_data: String,
    /// Gas limit of built blocks. Only --dev builds blocks for now: there it is the dev chain's
    /// gas limit, 30000000 when not given.
    #[arg(
        long = "builder.gas-limit",
        value_name = "GAS",
        default_value_t = 60_000_000,
        env = "ETHREX_BUILDER_GAS_LIMIT"
    )]
    pub gas_limit: u64,
    /// Whether --builder.gas-limit was given (or its environment variable set).
    #[arg(skip)]
    pub gas_limit_given: bool,
    /// Maximum blobs per built block (default: the protocol maximum of the fork). Only --dev
    /// builds blocks for now.
    #[arg(
        long = "builder.max-blobs",
        value_name = "COUNT",
        env = "ETHREX_BUILDER_MAX_BLOBS"
    )]
    pub max_blobs: Option<u64>,
}

/// Dev mode: a local chain that builds its own blocks, for dApp development.
#[derive(Debug, Args)]
#[command(next_help_heading = "Dev mode options")]
pub struct DevOptions {
    /// Run a local development chain instead of joining a network: chain id 1337, every fork
    /// through Osaka active, 192 prefunded accounts (their keys are public), blocks built by the
    /// node itself, no peer-to-peer networking (implies --p2p.disabled). --network is ignored;
    /// --datadir still applies (`--datadir memory` for a throwaway chain).
    #[arg(long, env = "ETHREX_DEV")]
    pub dev: bool,
    /// Dev mode: milliseconds between blocks. 0 builds a block as soon as transactions are
    /// pending, and never an empty one.
    #[arg(
        long = "dev.block-time",
        value_name = "MS",
        default_value_t = 0,
        env = "ETHREX_DEV_BLOCK_TIME"
    )]
    pub block_time_ms: u64,
}

/// Prometheus metrics.
#[derive(Debug, Args)]
#[command(next_help_heading = "Metrics options")]
pub struct MetricsOptions {
    /// Serve Prometheus metrics.
    #[arg(long, env = "ETHREX_METRICS")]
    pub metrics: bool,
    /// Address of the metrics endpoint.
    #[arg(
        long = "metrics.addr",
        value_name = "ADDRESS",
        default_value = "127.0.0.1",
        env = "ETHREX_METRICS_ADDR"
    )]
    pub metrics_addr: IpAddr,
    /// Port of the metrics endpoint.
    #[arg(
        long = "metrics.port",
        value_name = "PORT",
        default_value_t = 9090,
        env = "ETHREX_METRICS_PORT"
    )]
    pub metrics_port: u16,
}

/// When to color log output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogColor {
    Auto,
    Always,
    Never,
}

/// Logging.
#[derive(Debug, Args)]
#[command(next_help_heading = "Logging options")]
pub struct LogOptions {
    /// Log level: error, warn, info, debug, trace, or a RUST_LOG-style filter.
    #[arg(
        long = "log.level",
        value_name = "LEVEL",
        default_value = "info",
        env = "ETHREX_LOG_LEVEL"
    )]
    pub level: String,
    /// Colored log output.
    #[arg(
        long = "log.color",
        value_enum,
        default_value = "auto",
        env = "ETHREX_LOG_COLOR"
    )]
    pub color: LogColor,
    /// Also write logs to files in this directory (not yet implemented: logs go to stderr only).
    #[arg(long = "log.dir", value_name = "PATH", env = "ETHREX_LOG_DIR")]
    pub dir: Option<PathBuf>,
}

impl Cli {
    /// Whether peer-to-peer networking is off: `--p2p.disabled`, or `--dev`, which implies it.
    pub fn p2p_disabled(&self) -> bool {
        self.p2p.disabled || self.dev.dev
    }

    /// Parses the process's arguments (printing clap's message and exiting on a bad one), and
    /// notes which defaults were overridden where that matters.
    pub fn parse_args() -> Cli {
        Self::from_matches(Self::command().get_matches()).unwrap_or_else(|e| e.exit())
    }

    /// [`Cli::parse_args`] over given arguments (the first is the program name).
    #[cfg(test)]
    pub fn try_parse_args<I, T>(args: I) -> Result<Cli, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        Self::from_matches(Self::command().try_get_matches_from(args)?)
    }

    fn from_matches(matches: clap::ArgMatches) -> Result<Cli, clap::Error> {
        let mut cli = Self::from_arg_matches(&matches)?;
        cli.builder.gas_limit_given = matches
            .value_source("gas_limit")
            .is_some_and(|source| source != ValueSource::DefaultValue);
        Ok(cli)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn defaults_follow_the_cli_reference() {
        let cli = Cli::try_parse_from(["ethrex"]).unwrap();
        assert_eq!(cli.node.network, "mainnet");
        assert_eq!(cli.node.mempool_max_size, 10_000);
        assert_eq!(cli.rpc.http_addr.to_string(), "127.0.0.1");
        assert_eq!(cli.rpc.http_port, 8545);
        assert_eq!(cli.rpc.ws_addr.to_string(), "127.0.0.1");
        assert_eq!(cli.rpc.ws_port, 8546);
        assert_eq!(cli.rpc.authrpc_addr.to_string(), "127.0.0.1");
        assert_eq!(cli.rpc.authrpc_port, 8551);
        assert_eq!(cli.rpc.authrpc_jwtsecret, None);
        assert_eq!(cli.p2p.p2p_port, 30303);
        assert_eq!(cli.p2p.syncmode, SyncMode::Snap);
        assert_eq!(cli.metrics.metrics_addr.to_string(), "127.0.0.1");
        assert_eq!(cli.metrics.metrics_port, 9090);
        assert_eq!(cli.builder.gas_limit, 60_000_000);
        assert_eq!(cli.log.color, LogColor::Auto);
    }

    #[test]
    fn bad_flag_values_are_rejected_with_the_flag_name() {
        let err = Cli::try_parse_from(["ethrex", "--http.port", "99999"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("--http.port"), "{err}");
        let err = Cli::try_parse_from(["ethrex", "--syncmode", "fast"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("--syncmode"), "{err}");
    }

    /// Flags parsed but not yet acted on. When one starts to work, drop it from this list and
    /// from its help's "not yet implemented".
    const INERT_FLAGS: [&str; 2] = ["precompute-witnesses", "log.dir"];

    #[test]
    fn inert_flags_say_so_in_their_help() {
        let command = Cli::command();
        for name in INERT_FLAGS {
            let arg = command
                .get_arguments()
                .find(|arg| arg.get_long() == Some(name))
                .unwrap_or_else(|| panic!("no flag --{name}"));
            let help = arg.get_help().map(ToString::to_string).unwrap_or_default();
            assert!(help.contains("not yet implemented"), "--{name}: {help}");
        }
    }

    #[test]
    fn working_flags_do_not_say_they_are_inert() {
        let command = Cli::command();
        for arg in command.get_arguments() {
            let Some(name) = arg.get_long() else { continue };
            if INERT_FLAGS.contains(&name) {
                continue;
            }
            let help = arg.get_help().map(ToString::to_string).unwrap_or_default();
            assert!(!help.contains("not yet implemented"), "--{name}: {help}");
        }
    }

    #[test]
    fn the_jwt_secret_defaults_to_the_data_directory_or_the_current_one() {
        let cli = Cli::try_parse_from(["ethrex"]).unwrap();
        let datadir = std::path::Path::new("/data/ethrex");
        assert_eq!(
            cli.rpc.jwt_secret_path(Some(datadir)),
            PathBuf::from("/data/ethrex/jwt.hex")
        );
        assert_eq!(cli.rpc.jwt_secret_path(None), PathBuf::from("jwt.hex"));
        let cli =
            Cli::try_parse_from(["ethrex", "--authrpc.jwtsecret", "/secrets/jwt.hex"]).unwrap();
        assert_eq!(
            cli.rpc.jwt_secret_path(Some(datadir)),
            PathBuf::from("/secrets/jwt.hex")
        );
    }

    #[test]
    fn network_is_accepted_after_the_subcommand() {
        let cli =
            Cli::try_parse_from(["ethrex", "compute-state-root", "--network", "hoodi"]).unwrap();
        assert!(matches!(cli.command, Some(Command::ComputeStateRoot)));
        assert_eq!(cli.node.network, "hoodi");
    }

    #[test]
    fn export_takes_a_file_and_an_optional_range() {
        let cli = Cli::try_parse_from(["ethrex", "export", "out.rlp", "--last", "20", "--force"])
            .unwrap();
        let Some(Command::Export(args)) = cli.command else {
            panic!("expected export, got {:?}", cli.command);
        };
        assert_eq!(args.file, PathBuf::from("out.rlp"));
        assert_eq!((args.first, args.last), (None, Some(20)));
        assert!(cli.node.force);
    }

    #[test]
    fn dev_flags_and_whether_the_gas_limit_was_given() {
        let cli = Cli::try_parse_args(["ethrex", "--dev", "--dev.block-time", "200"]).unwrap();
        assert!(cli.dev.dev);
        assert_eq!(cli.dev.block_time_ms, 200);
        assert!(!cli.builder.gas_limit_given);
        let cli = Cli::try_parse_args(["ethrex", "--builder.gas-limit", "60000000"]).unwrap();
        assert!(cli.builder.gas_limit_given);
        assert!(!cli.dev.dev);
        assert_eq!(cli.dev.block_time_ms, 0);
    }

    #[test]
    fn bootnodes_split_on_commas() {
        let cli = Cli::try_parse_from([
            "ethrex",
            "--bootnodes",
            "enode://a@1.2.3.4:1,enode://b@5.6.7.8:2",
        ])
        .unwrap();
        assert_eq!(cli.p2p.bootnodes.len(), 2);
    }
}
