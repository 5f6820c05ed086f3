//! The system contracts Prague's block processing calls (EIP-4788, EIP-2935, EIP-7002,
//! EIP-7251): defined in `ethrex-common` (which the dev genesis shares), re-exported here.

pub use ethrex_common::system_contracts::SYSTEM_CONTRACTS;
