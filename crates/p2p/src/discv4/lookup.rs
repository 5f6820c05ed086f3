//! The recursive Kademlia lookup of discv4: start from the 16 nodes of the table closest to
//! the target; ask [`ALPHA`] of the closest not yet asked (concurrently) for their neighbours of
//! the target; merge what they return; repeat until the 16 closest seen have all been asked.
//!
//! Before asking a node, the lookup makes sure both endpoint proofs hold: the node answered our
//! Ping (else we ping it now), and we answered its Ping (else we give it one response timeout
//! to ping us back, as it does after our Ping) — otherwise it would drop our FindNode.

use std::{collections::HashSet, sync::Arc, time::Instant};

use alloy_primitives::{B256, B512, keccak256};
use tokio::task::JoinSet;

use super::{Enode, server::Shared, table::BUCKET_SIZE};

/// Nodes asked at once.
pub const ALPHA: usize = 3;

/// Nodes asked at most in one lookup.
const MAX_ASKED: usize = 3 * BUCKET_SIZE;

/// The closest nodes to `target` (a public key) that the lookup found, nearest first.
pub(super) async fn lookup(shared: &Arc<Shared>, target: B512) -> Vec<Enode> {
    let target_id = keccak256(target);
    let mut closest = shared.table().closest(&target_id, BUCKET_SIZE);
    let mut seen: HashSet<B256> = closest.iter().map(Enode::id).collect();
    seen.insert(shared.local_id());
    let mut asked: HashSet<B256> = HashSet::new();
    while asked.len() < MAX_ASKED {
        let batch: Vec<Enode> = closest
            .iter()
            .filter(|node| !asked.contains(&node.id()))
            .take(ALPHA)
            .copied()
            .collect();
        if batch.is_empty() {
            break;
        }
        let mut queries = JoinSet::new();
        for node in batch {
            asked.insert(node.id());
            let shared = shared.clone();
            queries.spawn(async move { ask(&shared, node, target).await });
        }
        while let Some(result) = queries.join_next().await {
            for node in result.unwrap_or_default() {
                if is_dialable(&node) && seen.insert(node.id()) {
                    closest.push(node);
                }
            }
        }
        closest.sort_by_key(|node| node.id() ^ target_id);
        closest.truncate(BUCKET_SIZE);
    }
    closest
}

/// Bonds with `node` if needed, then asks it for its neighbours of `target`.
async fn ask(shared: &Shared, node: Enode, target: B512) -> Vec<Enode> {
    let id = node.id();
    if !shared.table().is_verified(&id, Instant::now()) && !shared.ping(node).await {
        return Vec::new();
    }
    let deadline = tokio::time::Instant::now() + shared.config.response_timeout;
    while !shared.table().knows_us(&id, Instant::now()) && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(shared.config.response_timeout / 20).await;
    }
    shared.find_node(node, target).await
}

/// Whether a node from a Neighbors packet has an address worth contacting.
fn is_dialable(node: &Enode) -> bool {
    node.udp_port != 0 && !node.ip.is_unspecified() && !node.ip.is_multicast()
}
