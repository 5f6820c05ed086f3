//! The subcommands of `ethrex`, one module each, and their shared error type.

pub mod compute_state_root;
pub mod import;
pub mod removedb;

/// Errors a subcommand reports to the user; each maps to an exit status.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(
        "the ethrex node is not available yet: this build only has subcommands (see `ethrex --help`), \
         such as `ethrex compute-state-root --network mainnet`"
    )]
    NodeUnavailable,
    #[error(transparent)]
    Common(#[from] ethrex_common::CommonError),
    #[error(transparent)]
    Store(#[from] ethrex_storage::StoreError),
    #[error(transparent)]
    Chain(#[from] ethrex_blockchain::ChainError),
    #[error("{0}")]
    Io(String),
    #[error("import failed: {0}")]
    Import(String),
}

impl CliError {
    /// The process exit status for this error: 2 for "not available", 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::NodeUnavailable => 2,
            _ => 1,
        }
    }
}
