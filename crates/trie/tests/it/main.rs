//! Integration tests of `ethrex-trie` through its public API: known root vectors (from the
//! Ethereum `TrieTests` fixtures) and property tests against a naive Yellow Paper reference.
//!
//! Modules are `#[cfg(test)]` so their helpers count as test code (unwrap allowed).

#[cfg(test)]
mod proofs;
#[cfg(test)]
mod properties;
#[cfg(test)]
mod reference;
#[cfg(test)]
mod vectors;
