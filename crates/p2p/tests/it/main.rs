//! Integration tests of `ethrex-p2p` through its public API, in one test binary: bad peers
//! against a real [`ethrex_p2p::peers::PeerManager`] on loopback (`bad_peers`); a running geth
//! serving our requests (`geth_peer`, ignored: tests/devp2p/peers.sh runs it). Modules are
//! `#[cfg(test)]` so their helpers count as test code.

#[cfg(test)]
mod bad_peers;
#[cfg(test)]
mod geth_peer;
