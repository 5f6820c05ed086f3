//! Integration tests of `ethrex-l2-sdk`: the JSON-RPC client against scripted loopback servers
//! (every error kind, the fee fallback, bounded waits). The deployment itself runs against a
//! real `ethrex --dev` in the `ethrex` binary's tests (`cmd/ethrex/tests/it/l2_deploy.rs`).

#[cfg(test)]
mod client;
#[cfg(test)]
mod server;
