//! Integration tests of `ethrex-p2p` through its public API, in one test binary: bad peers
//! against a real [`ethrex_p2p::peers::PeerManager`] on loopback (`bad_peers`). Modules are
//! `#[cfg(test)]` so their helpers count as test code.

#[cfg(test)]
mod bad_peers;
