//! Integration tests of the sequencer.

mod committer;
#[cfg(test)]
mod l2_chain;
#[cfg(test)]
mod proof_coordinator;
#[cfg(test)]
mod rpc;
