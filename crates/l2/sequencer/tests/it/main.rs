//! Integration tests of the sequencer.

#[cfg(test)]
mod block_producer;
mod committer;
#[cfg(test)]
mod l2_chain;
#[cfg(test)]
mod proof_coordinator;
#[cfg(test)]
mod rpc;
