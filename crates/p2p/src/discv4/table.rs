//! The Kademlia table of discv4 and the endpoint-proof ("bond") bookkeeping.
//!
//! Nodes are keyed by their node id (`keccak256` of the public key). Bucket `i` (0 ≤ i < 256)
//! holds up to [`BUCKET_SIZE`] nodes at log-distance `i + 1` from the local id, least recently
//! seen first; a node met when its bucket is full waits in the bucket's replacement list (the
//! [`MAX_REPLACEMENTS`] most recent) and takes the place of an entry that fails revalidation.
//!
//! Bonds are kept apart from the buckets, for any node that talked to us: when it last answered
//! our Ping (its endpoint is proven: we may answer its FindNode and ENRRequest) and when we last
//! answered its Ping (it holds a proof of ours: it will answer our FindNode). Both last
//! [`BOND_EXPIRATION`].

use std::{collections::HashMap, time::Instant};

use alloy_primitives::B256;

use super::{BOND_EXPIRATION, Enode};

/// Entries per bucket (Kademlia's `k`).
pub const BUCKET_SIZE: usize = 16;
/// Replacement candidates kept per bucket.
pub const MAX_REPLACEMENTS: usize = 10;
/// Bonds remembered at most; expired ones are pruned first.
const MAX_BONDS: usize = 10_000;

/// `256 - leading zeros(a xor b)`: 0 for equal ids, 256 when the first bits differ.
pub fn log_distance(a: &B256, b: &B256) -> usize {
    let xor = *a ^ *b;
    let leading_zeros: usize = xor.iter().position(|byte| *byte != 0).map_or(256, |i| {
        8 * i + usize::try_from(xor[i].leading_zeros()).unwrap_or(8)
    });
    256 - leading_zeros
}

/// A node in a bucket and when it was last seen alive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub node: Enode,
    pub id: B256,
    pub last_seen: Instant,
}

/// What [`Table::insert`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Insert {
    /// A new entry at the tail of its bucket.
    Added,
    /// An existing entry, moved to the tail with its endpoint refreshed.
    Refreshed,
    /// The bucket is full: kept as a replacement candidate.
    Replacement,
    /// The local node itself: not inserted.
    Local,
}

#[derive(Debug, Default)]
struct Bucket {
    /// Least recently seen first.
    entries: Vec<Entry>,
    /// Most recent last.
    replacements: Vec<Entry>,
}

#[derive(Debug, Default, Clone, Copy)]
struct Bond {
    pong_received: Option<Instant>,
    ping_answered: Option<Instant>,
    /// The IP the proving Pong came from: only requests from there count as bonded.
    ip: Option<std::net::IpAddr>,
}

/// The routing table of one local node.
#[derive(Debug)]
pub struct Table {
    local_id: B256,
    buckets: Vec<Bucket>,
    bonds: HashMap<B256, Bond>,
}

impl Table {
    /// An empty table around `local_id`.
    pub fn new(local_id: B256) -> Self {
        Self {
            local_id,
            buckets: (0..256).map(|_| Bucket::default()).collect(),
            bonds: HashMap::new(),
        }
    }

    fn bucket_mut(&mut self, id: &B256) -> Option<&mut Bucket> {
        let index = log_distance(&self.local_id, id).checked_sub(1)?;
        self.buckets.get_mut(index)
    }

    /// Records `node` as seen alive at `now` (it answered a Ping).
    pub fn insert(&mut self, node: Enode, now: Instant) -> Insert {
        let id = node.id();
        let Some(bucket) = self.bucket_mut(&id) else {
            return Insert::Local;
        };
        let entry = Entry {
            node,
            id,
            last_seen: now,
        };
        if let Some(position) = bucket.entries.iter().position(|e| e.id == id) {
            bucket.entries.remove(position);
            bucket.entries.push(entry);
            return Insert::Refreshed;
        }
        if bucket.entries.len() < BUCKET_SIZE {
            bucket.replacements.retain(|e| e.id != id);
            bucket.entries.push(entry);
            return Insert::Added;
        }
        bucket.replacements.retain(|e| e.id != id);
        if bucket.replacements.len() == MAX_REPLACEMENTS {
            bucket.replacements.remove(0);
        }
        bucket.replacements.push(entry);
        Insert::Replacement
    }

    /// Removes a node (it failed revalidation); the bucket's most recent replacement takes its
    /// place. Returns the removed node.
    pub fn remove(&mut self, id: &B256) -> Option<Enode> {
        let bucket = self.bucket_mut(id)?;
        if let Some(position) = bucket.replacements.iter().position(|e| e.id == *id) {
            return Some(bucket.replacements.remove(position).node);
        }
        let position = bucket.entries.iter().position(|e| e.id == *id)?;
        let removed = bucket.entries.remove(position);
        if let Some(replacement) = bucket.replacements.pop() {
            // Its last sighting decides its place: it is still the least recently seen if
            // older than the others.
            let at = bucket
                .entries
                .iter()
                .position(|e| e.last_seen > replacement.last_seen)
                .unwrap_or(bucket.entries.len());
            bucket.entries.insert(at, replacement);
        }
        Some(removed.node)
    }

    /// The entry of a node in a bucket (replacements excluded).
    pub fn get(&self, id: &B256) -> Option<&Entry> {
        let index = log_distance(&self.local_id, id).checked_sub(1)?;
        self.buckets
            .get(index)?
            .entries
            .iter()
            .find(|e| e.id == *id)
    }

    /// Number of nodes in the buckets.
    pub fn len(&self) -> usize {
        self.buckets.iter().map(|b| b.entries.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every node in the buckets, nearest buckets first.
    pub fn nodes(&self) -> Vec<Enode> {
        self.buckets
            .iter()
            .flat_map(|b| b.entries.iter().map(|e| e.node))
            .collect()
    }

    /// The `n` nodes of the buckets closest to `target` (an id), nearest first.
    pub fn closest(&self, target: &B256, n: usize) -> Vec<Enode> {
        let mut entries: Vec<&Entry> = self.buckets.iter().flat_map(|b| &b.entries).collect();
        entries.sort_by_key(|e| e.id ^ *target);
        entries.into_iter().take(n).map(|e| e.node).collect()
    }

    /// The node to revalidate: the least recently seen entry of a non-empty bucket, the
    /// `pick`-th (modulo their number; pass a random number).
    pub fn revalidation_candidate(&self, pick: usize) -> Option<Enode> {
        let non_empty: Vec<&Bucket> = self
            .buckets
            .iter()
            .filter(|b| !b.entries.is_empty())
            .collect();
        let bucket = non_empty.get(pick.checked_rem(non_empty.len())?)?;
        bucket.entries.first().map(|e| e.node)
    }

    fn bond_mut(&mut self, id: B256, now: Instant) -> Option<&mut Bond> {
        if self.bonds.len() >= MAX_BONDS && !self.bonds.contains_key(&id) {
            self.prune_bonds(now);
            if self.bonds.len() >= MAX_BONDS {
                return None;
            }
        }
        Some(self.bonds.entry(id).or_default())
    }

    /// `id` answered our Ping with a matching Pong at `now`: its endpoint is proven.
    pub fn pong_received(&mut self, id: B256, now: Instant) {
        if let Some(bond) = self.bond_mut(id, now) {
            bond.pong_received = Some(now);
        }
    }

    /// [`Table::pong_received`], the Pong coming from `ip`: only requests from that IP are
    /// answered ([`Table::is_verified_from`]), so a proof made from one address cannot make us
    /// send Neighbors to another (amplification).
    pub fn pong_received_from(&mut self, id: B256, ip: std::net::IpAddr, now: Instant) {
        if let Some(bond) = self.bond_mut(id, now) {
            bond.pong_received = Some(now);
            bond.ip = Some(ip);
        }
    }

    /// Whether `id`'s endpoint is proven from `ip` (see [`Table::pong_received_from`]; a proof
    /// recorded without an IP counts from anywhere).
    pub fn is_verified_from(&self, id: &B256, ip: std::net::IpAddr, now: Instant) -> bool {
        self.is_verified(id, now)
            && self
                .bonds
                .get(id)
                .is_some_and(|b| b.ip.is_none_or(|bonded| bonded == ip))
    }

    /// We answered a Ping of `id` at `now`: it holds a proof of our endpoint.
    pub fn ping_answered(&mut self, id: B256, now: Instant) {
        if let Some(bond) = self.bond_mut(id, now) {
            bond.ping_answered = Some(now);
        }
    }

    /// Whether `id`'s endpoint is proven: we may answer its FindNode and ENRRequest.
    pub fn is_verified(&self, id: &B256, now: Instant) -> bool {
        self.bonds
            .get(id)
            .and_then(|b| b.pong_received)
            .is_some_and(|t| now.saturating_duration_since(t) < BOND_EXPIRATION)
    }

    /// Whether we answered a Ping of `id` recently: it should answer our FindNode.
    pub fn knows_us(&self, id: &B256, now: Instant) -> bool {
        self.bonds
            .get(id)
            .and_then(|b| b.ping_answered)
            .is_some_and(|t| now.saturating_duration_since(t) < BOND_EXPIRATION)
    }

    /// Forgets bonds whose proofs have both expired.
    pub fn prune_bonds(&mut self, now: Instant) {
        let live = |t: Option<Instant>| {
            t.is_some_and(|t| now.saturating_duration_since(t) < BOND_EXPIRATION)
        };
        self.bonds
            .retain(|_, b| live(b.pong_received) || live(b.ping_answered));
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use alloy_primitives::b256;

    use super::*;
    use crate::NodeKey;

    fn random_node() -> Enode {
        Enode {
            public_key: NodeKey::random().public_key(),
            ip: "127.0.0.1".parse().unwrap(),
            udp_port: 30303,
            tcp_port: 30303,
        }
    }

    /// `n` random nodes at log-distance 256 from the zero id (their first bit set).
    fn far_nodes(n: usize) -> Vec<Enode> {
        std::iter::repeat_with(random_node)
            .filter(|node| node.id()[0] >= 0x80)
            .take(n)
            .collect()
    }

    #[test]
    fn log_distance_counts_from_the_first_differing_bit() {
        let zero = B256::ZERO;
        let cases = [
            (zero, 0),
            (B256::with_last_byte(1), 1),
            (B256::with_last_byte(2), 2),
            (B256::with_last_byte(3), 2),
            (B256::with_last_byte(0xff), 8),
            (
                b256!("0000000000000000000000000000000000000000000000000000000000000100"),
                9,
            ),
            (
                b256!("0001000000000000000000000000000000000000000000000000000000000000"),
                241,
            ),
            (
                b256!("8000000000000000000000000000000000000000000000000000000000000000"),
                256,
            ),
            (B256::repeat_byte(0xff), 256),
        ];
        for (id, expected) in cases {
            assert_eq!(log_distance(&zero, &id), expected, "{id}");
            assert_eq!(log_distance(&id, &zero), expected, "symmetric for {id}");
        }
        let a = b256!("e0c4bb1a4cb3d5a4ec5b8d0d1ea11a4b9d5b6f5e0c1d2e3f405162738495a6b7");
        let b = b256!("e0c4bb1a4cb3d5a4ec5b8d0d1ea11a4b9d5b6f5e0c1d2e3f405162738495a6b6");
        assert_eq!(log_distance(&a, &b), 1);
        let c = b256!("e0c4bb1a4cb3d5a4ec5b8d0d1ea11a4b9d5b6f5e0c1d2e3f00000000000000b7");
        // The first difference is bit 6 of byte 24 (0x40 ^ 0x00), 63 bits from the end.
        assert_eq!(log_distance(&a, &c), 63);
    }

    #[test]
    fn a_full_bucket_keeps_newcomers_as_replacements_promoted_on_removal() {
        let mut table = Table::new(B256::ZERO);
        let now = Instant::now();
        let nodes = far_nodes(BUCKET_SIZE + 2);
        for (i, node) in nodes.iter().enumerate() {
            let at = now + Duration::from_secs(u64::try_from(i).unwrap());
            let expected = if i < BUCKET_SIZE {
                Insert::Added
            } else {
                Insert::Replacement
            };
            assert_eq!(table.insert(*node, at), expected, "node {i}");
        }
        assert_eq!(table.len(), BUCKET_SIZE);
        assert!(table.get(&nodes[BUCKET_SIZE].id()).is_none());

        // Revalidation picks the least recently seen: the first inserted.
        assert_eq!(table.revalidation_candidate(12345), Some(nodes[0]));
        // Seen again, it moves to the tail.
        assert_eq!(
            table.insert(nodes[0], now + Duration::from_secs(100)),
            Insert::Refreshed
        );
        assert_eq!(table.revalidation_candidate(0), Some(nodes[1]));

        // Removing an entry promotes the most recent replacement.
        assert_eq!(table.remove(&nodes[1].id()), Some(nodes[1]));
        assert_eq!(table.len(), BUCKET_SIZE);
        assert!(table.get(&nodes[BUCKET_SIZE + 1].id()).is_some());
        assert!(table.get(&nodes[BUCKET_SIZE].id()).is_none());
        assert_eq!(table.remove(&nodes[2].id()), Some(nodes[2]));
        assert!(table.get(&nodes[BUCKET_SIZE].id()).is_some());
        // No replacement left: the bucket shrinks.
        assert_eq!(table.remove(&nodes[3].id()), Some(nodes[3]));
        assert_eq!(table.len(), BUCKET_SIZE - 1);
        assert_eq!(table.remove(&nodes[3].id()), None);
    }

    #[test]
    fn replacement_lists_keep_only_the_most_recent() {
        let mut table = Table::new(B256::ZERO);
        let now = Instant::now();
        let nodes = far_nodes(BUCKET_SIZE + MAX_REPLACEMENTS + 3);
        for node in &nodes {
            table.insert(*node, now);
        }
        for node in &nodes[..BUCKET_SIZE] {
            table.remove(&node.id());
        }
        let kept: Vec<Enode> = table.nodes();
        assert_eq!(kept.len(), MAX_REPLACEMENTS);
        for node in &nodes[BUCKET_SIZE + 3..] {
            assert!(kept.contains(node));
        }
    }

    #[test]
    fn the_local_node_is_never_inserted() {
        let local = random_node();
        let mut table = Table::new(local.id());
        assert_eq!(table.insert(local, Instant::now()), Insert::Local);
        assert!(table.is_empty());
        assert_eq!(table.revalidation_candidate(3), None);
    }

    #[test]
    fn closest_orders_by_xor_distance_to_the_target() {
        let mut table = Table::new(B256::repeat_byte(0x55));
        let now = Instant::now();
        let nodes: Vec<Enode> = std::iter::repeat_with(random_node).take(200).collect();
        for node in &nodes {
            table.insert(*node, now);
        }
        let target = random_node().id();
        let closest = table.closest(&target, BUCKET_SIZE);
        assert_eq!(closest.len(), BUCKET_SIZE);
        let mut all: Vec<Enode> = table.nodes();
        all.sort_by_key(|n| n.id() ^ target);
        assert_eq!(closest, all[..BUCKET_SIZE]);
        assert!(
            closest
                .windows(2)
                .all(|w| (w[0].id() ^ target) < (w[1].id() ^ target))
        );
        assert_eq!(table.closest(&target, 1000).len(), table.len());
    }

    #[test]
    fn bonds_prove_endpoints_for_twelve_hours() {
        let mut table = Table::new(B256::ZERO);
        let now = Instant::now();
        let id = random_node().id();
        assert!(!table.is_verified(&id, now));
        assert!(!table.knows_us(&id, now));
        table.ping_answered(id, now);
        assert!(
            !table.is_verified(&id, now),
            "a Ping alone proves nothing about the sender"
        );
        assert!(table.knows_us(&id, now));
        table.pong_received(id, now);
        assert!(table.is_verified(&id, now));
        let (here, there) = ("127.0.0.1".parse().unwrap(), "127.0.0.2".parse().unwrap());
        table.pong_received_from(id, here, now);
        assert!(table.is_verified_from(&id, here, now));
        assert!(
            !table.is_verified_from(&id, there, now),
            "bonded from another IP"
        );
        let later = now + BOND_EXPIRATION + Duration::from_secs(1);
        assert!(!table.is_verified(&id, later));
        assert!(!table.knows_us(&id, later));
        table.prune_bonds(later);
        assert!(table.bonds.is_empty());
    }
}
