//! Integration tests of the `ethrex` binary, in one test binary: real process, real arguments,
//! real output. One module per command or mode; what they share is here and in
//! `ethrex-test-utils` (the node, HTTP and WebSocket clients, signed transactions, fixtures).
//!
//! Tests over the execution-apis test chain (the shared fixtures) skip, saying so, when the
//! fixtures are absent. Modules are `#[cfg(test)]` so their helpers count as test code.

#[cfg(test)]
mod auth;
#[cfg(test)]
mod cli;
#[cfg(test)]
mod crash;
#[cfg(test)]
mod dev;
#[cfg(test)]
mod discovery;
#[cfg(test)]
mod engine;
#[cfg(test)]
mod import;
#[cfg(test)]
mod l2_deploy;
#[cfg(test)]
mod l2_dev;
#[cfg(test)]
mod l2_genesis;
#[cfg(test)]
mod metrics;
#[cfg(test)]
mod node;
#[cfg(test)]
mod peers;
#[cfg(test)]
mod sync;

use std::{ffi::OsStr, path::Path, process::Output};

use ethrex_test_utils::{TxBuilder, node::Binary, raw};

/// The binary under test.
pub const ETHREX: Binary = Binary::new(env!("CARGO_BIN_EXE_ethrex"));

/// Runs `ethrex <args>` to completion.
pub fn ethrex(args: &[&str]) -> Output {
    ETHREX.run(args)
}

/// `ethrex --datadir <datadir> --network <apis>/genesis.json import <file>`: an import over the
/// execution-apis genesis (`apis` is its fixtures directory).
pub fn import(datadir: &str, apis: &Path, file: &Path) -> Output {
    let genesis = apis.join("genesis.json");
    ETHREX.run([
        OsStr::new("--datadir"),
        OsStr::new(datadir),
        OsStr::new("--network"),
        genesis.as_os_str(),
        OsStr::new("import"),
        file.as_os_str(),
    ])
}

/// [`import`] of the whole execution-apis chain (`chain.rlp`).
pub fn import_chain(datadir: &str, apis: &Path) -> Output {
    import(datadir, apis, &apis.join("chain.rlp"))
}

/// A transfer of `value` wei from dev account 0 to `0xaa…aa` (fee cap 2 gwei, tip 1 gwei),
/// signed, as `eth_sendRawTransaction` takes it.
pub fn dev_transfer(nonce: u64, value: u64) -> String {
    raw(&TxBuilder::new().nonce(nonce).value(value).eip1559())
}
