//! The contract rules, run on ethrex's own EVM: the artifacts deployed on an in-memory Osaka
//! state and called as transactions.

mod abi;
mod harness;

mod batches;
