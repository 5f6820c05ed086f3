//! The subcommands of `ethrex`, one module each, and their shared error type.

pub mod compute_state_root;
pub mod dev;
pub mod export;
pub mod import;
pub mod import_bench;
pub mod l2;
pub mod node;
pub mod p2p;
pub mod removedb;

/// Errors a subcommand reports to the user; each maps to an exit status.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Common(#[from] ethrex_common::CommonError),
    #[error(transparent)]
    Store(#[from] ethrex_storage::StoreError),
    #[error(transparent)]
    Chain(#[from] ethrex_blockchain::ChainError),
    #[error(transparent)]
    P2p(#[from] ethrex_p2p::P2pError),
    #[error("--bootnodes: {0}")]
    InvalidBootnode(ethrex_p2p::discv4::Discv4Error),
    #[error(transparent)]
    Jwt(#[from] ethrex_rpc::JwtError),
    #[error("{0}")]
    Io(String),
    #[error("import failed: {0}")]
    Import(String),
    #[error("no database at {0}")]
    NoDatabase(std::path::PathBuf),
    #[error("nothing to export: the chain has only the genesis block")]
    NothingToExport,
    #[error("invalid range: --first {first} is greater than --last {last}")]
    ExportRange { first: u64, last: u64 },
    #[error("invalid range: --last {last} is past the head, block #{head}")]
    ExportPastHead { last: u64, head: u64 },
    #[error("canonical block #{0} is missing from the database")]
    MissingBlock(u64),
    #[error("{0} already exists (use --force to overwrite it)")]
    OutputExists(std::path::PathBuf),
    /// Boxed: the rollup SDK's errors carry more data than the others.
    #[error(transparent)]
    L2(Box<ethrex_l2_sdk::SdkError>),
    #[error("{0}")]
    InvalidArgs(String),
}

impl From<ethrex_l2_sdk::SdkError> for CliError {
    fn from(err: ethrex_l2_sdk::SdkError) -> Self {
        CliError::L2(Box::new(err))
    }
}

impl CliError {
    /// The process exit status for this error.
    pub fn exit_code(&self) -> u8 {
        1
    }
}
