//! The contract rules, run on ethrex's own EVM: the committed artifacts deployed on an
//! in-memory Osaka state and called as transactions, one integration-test binary.
//!
//! Where to start reading: `harness.rs` (the chain, the deployed rollup, a batch), then one
//! module per contract area. Modules are `#[cfg(test)]` so their helpers count as test code.

#[cfg(test)]
mod abi;
#[cfg(test)]
mod harness;

#[cfg(test)]
mod batches;
#[cfg(test)]
mod claims;
#[cfg(test)]
mod deposits;
#[cfg(test)]
mod governance;
#[cfg(test)]
mod l2;
#[cfg(test)]
mod surface;
#[cfg(test)]
mod verifiers;
