//! Healing: turning the staged leaves — ranges fetched against several pivots' roots, or cut
//! short — into exactly the state of the current pivot's root, by walking that root's tries
//! top-down over snap/1 GetTrieNodes.
//!
//! A round starts from the staged leaves: the account trie is rebuilt from them and, when its
//! root is not the pivot's, the pivot's root node is queued. Each queued node (a path in the
//! account trie or in one account's storage trie, and the hash it must have) is then either
//! - **already here**: the trie rebuilt from the staged leaves has a node of that hash at that
//!   path, so the subtree below it is complete and skipped; or
//! - **fetched**: asked for by path, checked to hash to what its parent references (a peer
//!   answering anything else is disconnected), its hash-referenced children queued, the leaves
//!   it carries itself staged, and every staged leaf under its path that neither it nor one of
//!   its children covers dropped (a deleted account or slot).
//!
//! Once the account trie is done, every account whose staged storage does not rebuild to its
//! storage root gets its storage trie healed the same way (slots of an account that is gone,
//! or whose storage is now empty, are dropped), and codes not staged yet are fetched with
//! GetByteCodes. Healing ends when a round finds nothing to queue: the staged leaves then
//! rebuild to the pivot's root (which `Store::install_synced_state` checks again).
//!
//! The queue is persisted ([`ethrex_storage::HealTask`]); each answer's leaf repairs, finished
//! tasks and new children are one atomic write, so a restart continues the queue without
//! refetching the nodes already handled. If the pivot goes stale while healing (every peer
//! answers empty), the attempt fails with [`SyncError::StateUnavailable`]; the next attempt
//! picks a newer pivot, which empties the queue, and heals again towards the new root, skipping
//! every subtree already right.

use std::{
    collections::{BTreeMap, HashMap, hash_map::Entry},
    sync::{Arc, Mutex, PoisonError},
    time::Instant,
};

use alloy_primitives::{B256, Bytes, U256, keccak256};
use alloy_rlp::Decodable;
use ethrex_common::types::AccountState;
use ethrex_storage::{HealBatch, HealTask};
use ethrex_trie::{EMPTY_TRIE_ROOT, Nibbles, NodePart, Trie, TrieDB, node_parts};
use tokio::task::JoinSet;

use super::{Answer, PeersRef, Staging, ask};
use crate::{
    peers::PeerHandles,
    snap::{SnapMessage, messages::GetTrieNodes},
    sync::SyncError,
};

/// Trie nodes asked per GetTrieNodes request.
pub const HEAL_BATCH: usize = 256;
/// GetTrieNodes requests in flight per snap peer.
pub const REQUESTS_PER_PEER: usize = 2;
/// How often a long healing round logs its progress.
const PROGRESS_EVERY: std::time::Duration = std::time::Duration::from_secs(10);
/// Rounds (seed the queue, empty it) before healing gives up: the account trie, the storage
/// tries and a last check take three; more means the state keeps failing to match.
const MAX_ROUNDS: usize = 8;

/// Heals the staged state towards `root` (see the module docs).
pub(super) async fn heal(
    peers: &dyn PeerHandles,
    staging: &Staging,
    root: B256,
) -> Result<(), SyncError> {
    staging.counters.set_healing(true);
    let healed = heal_rounds(peers, staging, root).await;
    staging.counters.set_healing(false);
    healed
}

async fn heal_rounds(
    peers: &dyn PeerHandles,
    staging: &Staging,
    root: B256,
) -> Result<(), SyncError> {
    let mut state = Leaves::load(staging)?;
    for round in 1..=MAX_ROUNDS {
        let mut queue = staging.heal_queue()?;
        if queue.is_empty() {
            queue = seed(staging, &mut state, root)?;
            if queue.is_empty() {
                return super::download_codes(peers, staging, &state.accounts).await;
            }
        }
        let started = Instant::now();
        let done = walk(peers, staging, root, &mut state, queue).await?;
        let secs = started.elapsed().as_secs_f64().max(1e-9);
        tracing::info!(
            "snap sync: healing round {round}: {} nodes fetched ({:.0}/s), {} already here, \
             {} leaves staged, {} dropped",
            done.fetched,
            done.fetched as f64 / secs,
            done.skipped,
            done.staged,
            done.dropped,
        );
    }
    Err(SyncError::HealingStuck(root))
}

/// The staged leaves, kept in step with what healing writes.
struct Leaves {
    accounts: BTreeMap<B256, AccountState>,
    storage: BTreeMap<B256, BTreeMap<B256, U256>>,
}

impl Leaves {
    fn load(staging: &Staging) -> Result<Self, SyncError> {
        let state = staging.load()?;
        Ok(Self {
            accounts: state.accounts,
            storage: state.storage,
        })
    }

    /// The leaves of trie `owner` as (key, trie value).
    fn trie_leaves(&self, owner: Option<B256>) -> Vec<(B256, Vec<u8>)> {
        match owner {
            None => (self.accounts.iter())
                .map(|(k, a)| (*k, alloy_rlp::encode(a)))
                .collect(),
            Some(account) => (self.storage.get(&account).into_iter().flatten())
                .filter(|(_, v)| !v.is_zero())
                .map(|(k, v)| (*k, alloy_rlp::encode(v)))
                .collect(),
        }
    }

    /// The keys of trie `owner` under nibble path `path`.
    fn keys_under(&self, owner: Option<B256>, path: &Nibbles) -> Vec<B256> {
        let (low, high) = prefix_range(path);
        match owner {
            None => self.accounts.range(low..=high).map(|(k, _)| *k).collect(),
            Some(account) => (self.storage.get(&account).into_iter())
                .flat_map(|slots| slots.range(low..=high).map(|(k, _)| *k))
                .collect(),
        }
    }
}

/// The lowest and highest 32-byte keys starting with the nibbles `path`.
fn prefix_range(path: &Nibbles) -> (B256, B256) {
    let (mut low, mut high) = ([0u8; 32], [0xffu8; 32]);
    for (i, nibble) in path.as_slice().iter().take(64).enumerate() {
        let byte = i / 2;
        if i % 2 == 0 {
            low[byte] = nibble << 4;
            high[byte] = (nibble << 4) | 0x0f;
        } else {
            low[byte] |= nibble;
            high[byte] = (high[byte] & 0xf0) | nibble;
        }
    }
    (B256::from(low), B256::from(high))
}

/// A [`TrieDB`] that keeps the hash of every node a commit writes, by path.
#[derive(Default)]
struct NodeHashes(Mutex<HashMap<Nibbles, B256>>);

impl TrieDB for NodeHashes {
    fn get(&self, _path: &Nibbles) -> ethrex_trie::Result<Option<Vec<u8>>> {
        Ok(None)
    }

    fn put_batch(&self, nodes: Vec<(Nibbles, Vec<u8>)>) -> ethrex_trie::Result<()> {
        let mut map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        map.extend(nodes.into_iter().map(|(p, rlp)| (p, keccak256(rlp))));
        Ok(())
    }
}

/// The root of the trie of `leaves` and the hash of each of its stored nodes, by path.
fn rebuild(leaves: Vec<(B256, Vec<u8>)>) -> Result<(B256, HashMap<Nibbles, B256>), SyncError> {
    let db = Arc::new(NodeHashes::default());
    let mut trie = Trie::open(Arc::clone(&db) as Arc<dyn TrieDB>, EMPTY_TRIE_ROOT);
    for (key, value) in leaves {
        trie.insert(key.as_slice(), value).map_err(trie_error)?;
    }
    let root = trie.commit().map_err(trie_error)?;
    drop(trie);
    let hashes = std::mem::take(&mut *db.0.lock().unwrap_or_else(PoisonError::into_inner));
    Ok((root, hashes))
}

fn trie_error(e: ethrex_trie::TrieError) -> SyncError {
    SyncError::Import(format!("healing: {e}"))
}

/// Compares the staged leaves with the pivot's roots and queues what differs: the account
/// trie's root, or else every storage trie that does not match its account (dropping the slots
/// of accounts that are gone or whose storage is now empty). Returns the queue.
fn seed(staging: &Staging, state: &mut Leaves, root: B256) -> Result<Vec<HealTask>, SyncError> {
    let mut batch = HealBatch::new();
    let mut queue = Vec::new();
    let (local, _) = rebuild(state.trie_leaves(None))?;
    if local != root {
        queue.push(HealTask {
            owner: None,
            path: Nibbles::default(),
            hash: root,
        });
    } else {
        let mut dropped = Vec::new();
        for (account, slots) in &state.storage {
            let expected = state.accounts.get(account).map(|a| a.storage_root);
            if expected.is_none_or(|r| r == EMPTY_TRIE_ROOT) {
                for slot in slots.keys() {
                    batch.delete_slot(account, slot);
                }
                dropped.push(*account);
            }
        }
        for account in dropped {
            state.storage.remove(&account);
        }
        for (account, a) in &state.accounts {
            if a.storage_root == EMPTY_TRIE_ROOT {
                continue;
            }
            let (local, _) = rebuild(state.trie_leaves(Some(*account)))?;
            if local != a.storage_root {
                queue.push(HealTask {
                    owner: Some(*account),
                    path: Nibbles::default(),
                    hash: a.storage_root,
                });
            }
        }
    }
    for task in &queue {
        batch.push_task(task);
    }
    if !batch.is_empty() {
        staging.write_heal(batch)?;
    }
    Ok(queue)
}

/// What one round did.
#[derive(Default)]
struct Round {
    fetched: u64,
    skipped: u64,
    staged: u64,
    dropped: u64,
}

/// Empties the queue (`queue`, and the children its nodes add), answer by answer, with
/// [`REQUESTS_PER_PEER`] requests in flight per snap peer. Requests in flight are for disjoint
/// subtrees (a child is queued only once its parent is handled), so their answers apply in any
/// order.
async fn walk(
    peers: &dyn PeerHandles,
    staging: &Staging,
    root: B256,
    state: &mut Leaves,
    mut queue: Vec<HealTask>,
) -> Result<Round, SyncError> {
    let mut round = Round::default();
    // The nodes of the tries rebuilt from the staged leaves, by trie.
    let mut local: HashMap<Option<B256>, HashMap<Nibbles, B256>> = HashMap::new();
    let mut requests: JoinSet<Asked> = JoinSet::new();
    let mut turn = 0;
    let (started, mut logged) = (Instant::now(), Instant::now());
    // Depth first (the queue is a stack), so the children of a node come soon after it.
    queue.reverse();
    loop {
        let snap_peers = (peers.handles().iter())
            .filter(|p| p.snap_version().is_some())
            .count();
        while requests.len() < snap_peers.max(1) * REQUESTS_PER_PEER && !queue.is_empty() {
            let wanted = next_request(staging, state, &mut local, &mut queue, &mut round)?;
            if wanted.is_empty() {
                continue;
            }
            let peers = PeersRef::capture(peers);
            let response_bytes = staging.response_bytes;
            let mut first = turn;
            turn += 1;
            requests.spawn(async move {
                let paths = request_paths(&wanted);
                let nodes = ask(
                    &peers,
                    &mut first,
                    |request_id| {
                        SnapMessage::GetTrieNodes(GetTrieNodes {
                            request_id,
                            root_hash: root,
                            paths: paths.clone(),
                            response_bytes,
                        })
                    },
                    |answer| check_nodes(answer, &wanted),
                )
                .await;
                (wanted, nodes)
            });
        }
        let Some(done) = requests.join_next().await else {
            return Ok(round);
        };
        let (mut wanted, nodes) = done.map_err(|e| SyncError::Import(e.to_string()))?;
        let nodes = nodes?;
        let mut batch = HealBatch::new();
        let answered = nodes.len();
        for (task, node) in wanted.iter().zip(nodes) {
            let children = apply(&mut batch, state, task, &node, &mut round)?;
            batch.finish_task(task);
            for child in children {
                batch.push_task(&child);
                queue.push(child);
            }
        }
        // What the answer did not reach is asked again.
        queue.extend(wanted.drain(answered..).rev());
        staging.write_heal(batch)?;
        round.fetched += answered as u64;
        staging.count(answered);
        staging.counters.add_healed(answered);
        ethrex_metrics::record_sync_trie_nodes(answered as u64);
        if logged.elapsed() >= PROGRESS_EVERY {
            logged = Instant::now();
            let secs = started.elapsed().as_secs_f64().max(1e-9);
            tracing::info!(
                "snap sync: healing: {} nodes fetched ({:.0}/s), {} already here, {} queued",
                round.fetched,
                round.fetched as f64 / secs,
                round.skipped,
                queue.len()
            );
        }
    }
}

/// A request's tasks and the nodes answered for them (a prefix of them, in order).
type Asked = (Vec<HealTask>, Result<Vec<Vec<u8>>, SyncError>);

/// Takes up to [`HEAL_BATCH`] tasks off the queue to ask for; those whose node the local trie
/// already has are finished (written) instead.
fn next_request(
    staging: &Staging,
    state: &Leaves,
    local: &mut HashMap<Option<B256>, HashMap<Nibbles, B256>>,
    queue: &mut Vec<HealTask>,
    round: &mut Round,
) -> Result<Vec<HealTask>, SyncError> {
    let mut batch = HealBatch::new();
    let mut wanted: Vec<HealTask> = Vec::new();
    while wanted.len() < HEAL_BATCH
        && let Some(task) = queue.pop()
    {
        let here = match local.entry(task.owner) {
            Entry::Occupied(entry) => entry.into_mut(),
            Entry::Vacant(entry) => entry.insert(rebuild(state.trie_leaves(task.owner))?.1),
        }
        .get(&task.path);
        if here == Some(&task.hash) {
            batch.finish_task(&task);
            round.skipped += 1;
        } else {
            wanted.push(task);
        }
    }
    if !batch.is_empty() {
        staging.write_heal(batch)?;
    }
    Ok(wanted)
}

/// GetTrieNodes path sets for `tasks`, in their order: one set per account-trie node, one per
/// run of storage nodes of the same account.
fn request_paths(tasks: &[HealTask]) -> Vec<Vec<Bytes>> {
    let mut sets: Vec<Vec<Bytes>> = Vec::new();
    let mut last_owner = None;
    for task in tasks {
        let path = Bytes::from(task.path.encode_compact(false));
        match task.owner {
            None => {
                sets.push(vec![path]);
                last_owner = None;
            }
            Some(account) => match sets.last_mut() {
                Some(set) if last_owner == Some(account) => set.push(path),
                _ => {
                    sets.push(vec![Bytes::copy_from_slice(account.as_slice()), path]);
                    last_owner = Some(account);
                }
            },
        }
    }
    sets
}

/// Checks a TrieNodes answer for `wanted`: a prefix of it, each node hashing to what was asked.
fn check_nodes(answer: SnapMessage, wanted: &[HealTask]) -> Answer<Vec<Vec<u8>>> {
    let SnapMessage::TrieNodes(answer) = answer else {
        return Answer::Invalid("not a TrieNodes".into());
    };
    if answer.nodes.is_empty() {
        return Answer::Lacking;
    }
    if answer.nodes.len() > wanted.len() {
        return Answer::Invalid("more trie nodes than asked".into());
    }
    let mut nodes = Vec::with_capacity(answer.nodes.len());
    for (task, node) in wanted.iter().zip(answer.nodes) {
        if node.is_empty() && nodes.is_empty() {
            // The first node missing: the peer does not hold it (no longer).
            return Answer::Lacking;
        }
        if node.is_empty() {
            break;
        }
        let got = keccak256(&node);
        if got != task.hash {
            return Answer::Invalid(format!(
                "a trie node hashing to {got}, asked for {} at {:?}",
                task.hash, task.path
            ));
        }
        nodes.push(node.to_vec());
    }
    Answer::Good(nodes)
}

/// `head` followed by `tail`.
fn join(head: &Nibbles, tail: &Nibbles) -> Result<Nibbles, SyncError> {
    Nibbles::from_nibbles(&[head.as_slice(), tail.as_slice()].concat())
        .ok_or_else(|| SyncError::Import("healing: a path of invalid nibbles".into()))
}

/// Applies fetched `node` (checked to be `task`'s) to the staged leaves through `batch`; its
/// hash-referenced children are returned, to be queued.
fn apply(
    batch: &mut HealBatch,
    state: &mut Leaves,
    task: &HealTask,
    node: &[u8],
    round: &mut Round,
) -> Result<Vec<HealTask>, SyncError> {
    let parts = node_parts(node).map_err(trie_error)?;
    let mut children = Vec::new();
    let mut leaves: BTreeMap<B256, Vec<u8>> = BTreeMap::new();
    for part in parts {
        match part {
            NodePart::Child { path, hash } => {
                let full = join(&task.path, &path)?;
                children.push(HealTask {
                    owner: task.owner,
                    path: full,
                    hash,
                });
            }
            NodePart::Leaf { path, value } => {
                let full = join(&task.path, &path)?;
                let packed = full.pack();
                if full.len() != 64 || packed.len() != 32 {
                    return Err(SyncError::Import(format!(
                        "healing: a leaf at {full:?} is not 64 nibbles deep"
                    )));
                }
                leaves.insert(B256::from_slice(&packed), value);
            }
        }
    }
    // Staged keys under this node that it does not hold and no child covers are gone.
    for key in state.keys_under(task.owner, &task.path) {
        let nibbles = Nibbles::from_bytes(key.as_slice());
        let covered = leaves.contains_key(&key)
            || (children.iter()).any(|c| nibbles.as_slice().starts_with(c.path.as_slice()));
        if !covered {
            round.dropped += 1;
            match task.owner {
                None => {
                    batch.delete_account(&key);
                    state.accounts.remove(&key);
                }
                Some(account) => {
                    batch.delete_slot(&account, &key);
                    if let Some(slots) = state.storage.get_mut(&account) {
                        slots.remove(&key);
                    }
                }
            }
        }
    }
    for (key, value) in leaves {
        round.staged += 1;
        match task.owner {
            None => {
                let account = AccountState::decode(&mut value.as_slice())
                    .map_err(|e| SyncError::Import(format!("healing: account {key}: {e}")))?;
                batch.put_account(&key, &account);
                state.accounts.insert(key, account);
            }
            Some(owner) => {
                let slot = U256::decode(&mut value.as_slice())
                    .map_err(|e| SyncError::Import(format!("healing: slot {key}: {e}")))?;
                batch.put_slot(&owner, &key, &slot);
                state.storage.entry(owner).or_default().insert(key, slot);
            }
        }
    }
    Ok(children)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prefix_range_spans_exactly_the_keys_under_the_path() {
        let path = Nibbles::from_nibbles(&[0xa, 0x3, 0x7]).unwrap();
        let (low, high) = prefix_range(&path);
        assert_eq!(low[0], 0xa3);
        assert_eq!(low[1], 0x70);
        assert!(low[2..].iter().all(|b| *b == 0));
        assert_eq!(high[0], 0xa3);
        assert_eq!(high[1], 0x7f);
        assert!(high[2..].iter().all(|b| *b == 0xff));
        let (low, high) = prefix_range(&Nibbles::default());
        assert_eq!((low, high), (B256::ZERO, B256::repeat_byte(0xff)));
    }

    #[test]
    fn a_trie_nodes_answer_must_be_a_prefix_of_what_was_asked_each_node_hashing_right() {
        let nodes: Vec<Vec<u8>> = (0u8..3).map(|i| vec![0xc2, 0x80 + i, 0x80]).collect();
        let wanted: Vec<HealTask> = (nodes.iter())
            .map(|n| HealTask {
                owner: None,
                path: Nibbles::default(),
                hash: keccak256(n),
            })
            .collect();
        let answer = |nodes: Vec<Vec<u8>>| {
            check_nodes(
                SnapMessage::TrieNodes(crate::snap::messages::TrieNodes {
                    request_id: 1,
                    nodes: nodes.into_iter().map(Bytes::from).collect(),
                }),
                &wanted,
            )
        };
        let good = |a: Answer<Vec<Vec<u8>>>| match a {
            Answer::Good(nodes) => Some(nodes),
            _ => None,
        };
        assert_eq!(good(answer(nodes.clone())), Some(nodes.clone()), "all");
        assert_eq!(
            good(answer(nodes[..2].to_vec())),
            Some(nodes[..2].to_vec()),
            "cut"
        );
        let gap = vec![nodes[0].clone(), Vec::new(), nodes[2].clone()];
        assert_eq!(good(answer(gap)), Some(nodes[..1].to_vec()), "up to a gap");
        assert!(matches!(answer(Vec::new()), Answer::Lacking), "nothing");
        assert!(
            matches!(answer(vec![Vec::new()]), Answer::Lacking),
            "no first node"
        );
        let swapped = vec![nodes[1].clone(), nodes[0].clone()];
        assert!(
            matches!(answer(swapped), Answer::Invalid(_)),
            "out of order"
        );
        let mut more = nodes.clone();
        more.push(nodes[0].clone());
        assert!(
            matches!(answer(more), Answer::Invalid(_)),
            "more than asked"
        );
        let not_nodes = SnapMessage::ByteCodes(crate::snap::messages::ByteCodes {
            request_id: 1,
            codes: Vec::new(),
        });
        assert!(matches!(
            check_nodes(not_nodes, &wanted),
            Answer::Invalid(_)
        ));
    }

    #[test]
    fn storage_paths_of_one_account_share_a_path_set() {
        let a = B256::repeat_byte(1);
        let task = |owner, nibbles: &[u8]| HealTask {
            owner,
            path: Nibbles::from_nibbles(nibbles).unwrap(),
            hash: B256::ZERO,
        };
        let sets = request_paths(&[
            task(None, &[]),
            task(Some(a), &[]),
            task(Some(a), &[1]),
            task(None, &[2]),
        ]);
        assert_eq!(sets.len(), 3);
        assert_eq!(sets[0], vec![Bytes::from(vec![0x00])]);
        assert_eq!(
            sets[1],
            vec![
                Bytes::copy_from_slice(a.as_slice()),
                Bytes::from(vec![0x00]),
                Bytes::from(vec![0x11])
            ]
        );
        assert_eq!(sets[2], vec![Bytes::from(vec![0x12])]);
    }
}
