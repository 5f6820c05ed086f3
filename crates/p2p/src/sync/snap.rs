//! The state download of snap sync: every account, storage slot and code of the state of one
//! root (the pivot's), from the peers' snap/1 answers, each checked before it is kept.
//!
//! - **Accounts**: the hash space in [`ACCOUNT_SLICES`] slices fetched in parallel (one peer
//!   per request, rotating), GetAccountRange of [`RESPONSE_BYTES`]; every answer is verified
//!   against the root with its edge proofs (`ethrex_trie::verify_range`), which also says
//!   whether more accounts follow.
//! - **Storage**: accounts with a storage root are asked for in groups (GetStorageRanges); each
//!   whole storage trie is verified against the account's storage root, a cut one with its
//!   proof, and continued from its last slot alone until complete (`storage.rs`).
//! - **Codes**: the distinct code hashes, GetByteCodes in groups; a code must hash to what was
//!   asked.
//! - **Healing** (`heal.rs`), when the staged ranges were fetched against more than one root:
//!   the pivot's tries walked top-down with GetTrieNodes, repairing the staged leaves.
//!
//! Every verified answer is staged in the store ([`SnapStaging`]) with its progress marker
//! before the next request, so a restart resumes where the download stopped.
//!
//! **Re-pivoting keeps what was downloaded.** A new pivot (the old one left the peers' window)
//! keeps every staged leaf and range marker ([`SnapStaging::begin`]): the ranges not done yet
//! continue against the new root, and healing then fixes what changed in those done against an
//! older one. While the staging area is mixed like this, an account's staged storage root may
//! be an older one: a storage answer that does not verify against it, or that no peer has (the
//! account is gone — checked by asking a peer for the root's first accounts), is not the peer's
//! fault; that account's storage is left to healing instead.
//!
//! A peer whose answer does not verify is disconnected (BreachOfProtocol); an empty answer
//! without proof means the peer does not hold the root (no longer: it left its window) and the
//! next peer is asked. When every peer has failed a request in a row, the download stops with
//! [`SyncError::StateUnavailable`]: the caller picks a newer pivot and continues.

use std::{
    collections::{BTreeMap, BTreeSet},
    ops::Deref,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
};

use alloy_primitives::{B256, U256, keccak256};
use ethrex_common::{constants::EMPTY_CODE_HASH, types::AccountState};
use ethrex_storage::{SnapProgress, SnapStaging, SyncedState};
use ethrex_trie::verify_range;
use tokio::task::JoinSet;

use super::{SyncError, penalise};
use crate::{
    eth::EthPeer,
    peers::PeerHandles,
    snap::{
        SnapMessage,
        messages::{GetAccountRange, GetByteCodes},
    },
};

/// Slices of the account hash space fetched in parallel.
pub const ACCOUNT_SLICES: usize = 16;
/// The byte limit of every snap request by default (what geth's syncer asks).
pub const RESPONSE_BYTES: u64 = 512 * 1024;
/// Accounts per GetStorageRanges request.
pub const STORAGE_GROUP: usize = 64;
/// Code hashes per GetByteCodes request.
pub const CODE_GROUP: usize = 128;

/// Asks peers in turn until one answers `request` with something `check` accepts; a peer
/// whose answer `check` rejects as invalid is disconnected.
async fn ask<T>(
    peers: &dyn PeerHandles,
    turn: &mut usize,
    build: impl Fn(u64) -> SnapMessage,
    mut check: impl FnMut(SnapMessage) -> Answer<T>,
) -> Result<T, SyncError> {
    let mut failures = 0;
    loop {
        let handles: Vec<EthPeer> = (peers.handles().into_iter())
            .filter(|p| p.snap_version().is_some())
            .collect();
        if handles.is_empty() {
            return Err(SyncError::NoPeers);
        }
        if failures >= handles.len() {
            return Err(SyncError::StateUnavailable);
        }
        let peer = &handles[*turn % handles.len()];
        *turn += 1;
        match peer.request_snap(&build).await {
            Err(e) => {
                tracing::debug!("snap sync: {} failed: {e}", peer.remote_id());
                failures += 1;
            }
            Ok(message) => match check(message) {
                Answer::Good(value) => return Ok(value),
                Answer::Lacking => failures += 1,
                Answer::Invalid(why) => {
                    penalise(peer, &why).await;
                    failures += 1;
                }
            },
        }
    }
}

/// What a check made of an answer.
enum Answer<T> {
    Good(T),
    /// The peer does not hold what was asked (an empty answer).
    Lacking,
    /// The answer is wrong: the peer is disconnected.
    Invalid(String),
}

/// The whole state of `root` (the state of block `pivot`), resuming what `staging` holds of
/// it; every verified answer is staged before the next request, so a restart re-fetches at most
/// the requests in flight.
pub(super) async fn download_state(
    peers: &dyn PeerHandles,
    staging: &SnapStaging,
    pivot: B256,
    root: B256,
    counters: &Arc<StateCounters>,
    response_bytes: u64,
) -> Result<SyncedState, SyncError> {
    staging.begin(pivot, root)?;
    let staging = &Staging {
        inner: staging.clone(),
        counters: Arc::clone(counters),
        response_bytes,
        mixed: staging.is_mixed()?,
    };
    download_accounts(peers, staging, root).await?;
    let accounts = staging.load()?.accounts;
    tracing::info!("snap sync: {} accounts", accounts.len());
    storage::download_storage(peers, staging, root, &accounts).await?;
    if staging.mixed {
        // Healing fetches the codes of the healed accounts: a stale account's code may be
        // served by no one.
        heal::heal(peers, staging, root).await?;
    } else {
        download_codes(peers, staging, &accounts).await?;
    }
    let state = staging.load()?;
    let slots: usize = state.storage.values().map(BTreeMap::len).sum();
    tracing::info!(
        "snap sync: {slots} storage slots of {} accounts, {} codes",
        state.storage.len(),
        state.codes.len()
    );
    Ok(state)
}

/// The bounds of slice `index` of [`ACCOUNT_SLICES`]: (first key, last key), inclusive.
fn slice(index: usize) -> (B256, B256) {
    let step = U256::MAX / U256::from(ACCOUNT_SLICES) + U256::from(1);
    let start = step * U256::from(index);
    let end = if index + 1 == ACCOUNT_SLICES {
        U256::MAX
    } else {
        step * U256::from(index + 1) - U256::from(1)
    };
    (B256::from(start), B256::from(end))
}

async fn download_accounts(
    peers: &dyn PeerHandles,
    staging: &Staging,
    root: B256,
) -> Result<(), SyncError> {
    let mut slices = JoinSet::new();
    for index in 0..ACCOUNT_SLICES {
        let (first, end) = slice(index);
        let marker = u8::try_from(index).map_err(|e| SyncError::Import(e.to_string()))?;
        let start = match staging.slice_progress(marker)? {
            SnapProgress::Done => continue,
            SnapProgress::From(next) => next,
            SnapProgress::NotStarted => first,
        };
        let peers = PeersRef::capture(peers);
        let staging = staging.clone();
        slices.spawn(
            async move { download_slice(&peers, &staging, root, (start, end), marker).await },
        );
    }
    while let Some(done) = slices.join_next().await {
        done.map_err(|e| SyncError::Import(e.to_string()))??;
    }
    Ok(())
}

/// The accounts of one slice, from `start` to `end` (inclusive), staged answer by answer.
async fn download_slice(
    peers: &PeersRef,
    staging: &Staging,
    root: B256,
    (mut start, end): (B256, B256),
    marker: u8,
) -> Result<(), SyncError> {
    let mut turn = usize::from(marker);
    loop {
        let origin = start;
        let (entries, more) = ask(
            peers,
            &mut turn,
            |request_id| {
                SnapMessage::GetAccountRange(GetAccountRange {
                    request_id,
                    root_hash: root,
                    starting_hash: origin,
                    limit_hash: end,
                    response_bytes: staging.response_bytes,
                })
            },
            |answer| {
                let SnapMessage::AccountRange(range) = answer else {
                    return Answer::Invalid("not an AccountRange".into());
                };
                if range.accounts.is_empty() && range.proof.is_empty() {
                    return Answer::Lacking;
                }
                let keys: Vec<B256> = range.accounts.iter().map(|a| a.hash).collect();
                let values: Vec<Vec<u8>> = (range.accounts.iter())
                    .map(|a| alloy_rlp::encode(a.account.0))
                    .collect();
                let proof: Vec<Vec<u8>> = range.proof.iter().map(|n| n.to_vec()).collect();
                match verify_range(root, &origin, &keys, &values, &proof) {
                    Ok(more) => Answer::Good((
                        (range.accounts.into_iter())
                            .map(|a| (a.hash, a.account.0))
                            .collect::<Vec<_>>(),
                        more,
                    )),
                    Err(e) => {
                        Answer::Invalid(format!("an account range that does not verify: {e}"))
                    }
                }
            },
        )
        .await?;
        let last = entries.last().map(|(hash, _)| *hash);
        let kept: Vec<(B256, AccountState)> = entries
            .into_iter()
            .filter(|(hash, _)| *hash <= end)
            .collect();
        let next = match last {
            Some(last) if more && last < end => Some(increment(last)),
            _ => None,
        };
        staging.put_accounts(marker, &kept, next)?;
        staging.count(kept.len());
        match next {
            Some(next) => start = next,
            None => return Ok(()),
        }
    }
}

/// The key right after `key`.
fn increment(key: B256) -> B256 {
    B256::from(U256::from_be_bytes(key.0).saturating_add(U256::from(1)))
}

async fn download_codes(
    peers: &dyn PeerHandles,
    staging: &Staging,
    accounts: &BTreeMap<B256, AccountState>,
) -> Result<(), SyncError> {
    let staged = staging.load()?.codes;
    let wanted: BTreeSet<B256> = (accounts.values())
        .map(|a| a.code_hash)
        .filter(|hash| *hash != EMPTY_CODE_HASH && !staged.contains_key(hash))
        .collect();
    let mut pending: Vec<B256> = wanted.into_iter().collect();
    let mut turn = 0;
    while !pending.is_empty() {
        let group: Vec<B256> = pending.split_off(pending.len().saturating_sub(CODE_GROUP));
        let received = ask(
            peers,
            &mut turn,
            |request_id| {
                SnapMessage::GetByteCodes(GetByteCodes {
                    request_id,
                    hashes: group.clone(),
                    response_bytes: staging.response_bytes,
                })
            },
            |answer| {
                let SnapMessage::ByteCodes(answer) = answer else {
                    return Answer::Invalid("not a ByteCodes".into());
                };
                if answer.codes.is_empty() {
                    return Answer::Lacking;
                }
                let mut found = Vec::new();
                for code in answer.codes {
                    let hash = keccak256(&code);
                    if !group.contains(&hash) {
                        return Answer::Invalid(format!("a code that was not asked for ({hash})"));
                    }
                    found.push((hash, code));
                }
                Answer::Good(found)
            },
        )
        .await?;
        staging.put_codes(&received)?;
        staging.count(received.len());
        pending.extend(
            group
                .into_iter()
                .filter(|hash| received.iter().all(|(h, _)| h != hash)),
        );
    }
    Ok(())
}

/// What the state download did so far, shared with the sync's progress report.
#[derive(Debug, Default)]
pub struct StateCounters {
    fetched: AtomicU64,
    healed: AtomicU64,
    healing: AtomicBool,
}

impl StateCounters {
    /// State items fetched: accounts, slots, codes and trie nodes.
    pub fn fetched(&self) -> u64 {
        self.fetched.load(Ordering::Relaxed)
    }

    /// Trie nodes fetched by healing.
    pub fn healed(&self) -> u64 {
        self.healed.load(Ordering::Relaxed)
    }

    /// Whether the download is healing.
    pub fn healing(&self) -> bool {
        self.healing.load(Ordering::Relaxed)
    }

    fn set_healing(&self, healing: bool) {
        self.healing.store(healing, Ordering::Relaxed);
    }

    fn add_healed(&self, nodes: usize) {
        self.healed.fetch_add(nodes as u64, Ordering::Relaxed);
    }
}

/// The staging area, counting what is fetched into it (the metric and the caller's counters).
#[derive(Clone)]
struct Staging {
    inner: SnapStaging,
    counters: Arc<StateCounters>,
    /// The byte limit of every request.
    response_bytes: u64,
    /// Whether staged items may belong to an older root (see the module docs).
    mixed: bool,
}

impl Staging {
    fn count(&self, items: usize) {
        let items = items as u64;
        self.counters.fetched.fetch_add(items, Ordering::Relaxed);
        ethrex_metrics::record_sync_state_items(items);
    }
}

impl Deref for Staging {
    type Target = SnapStaging;

    fn deref(&self) -> &SnapStaging {
        &self.inner
    }
}

/// The peers as an owned handle list a spawned task can keep.
struct PeersRef(Vec<EthPeer>);

impl PeersRef {
    fn capture(peers: &dyn PeerHandles) -> Self {
        Self(peers.handles())
    }
}

impl PeerHandles for PeersRef {
    fn handles(&self) -> Vec<EthPeer> {
        self.0.clone()
    }

    fn handle(&self, id: &alloy_primitives::B512) -> Option<EthPeer> {
        self.0.iter().find(|p| p.remote_id() == *id).cloned()
    }
}

mod heal;
mod storage;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_slices_cover_the_hash_space_without_gaps_or_overlaps() {
        let mut next = U256::ZERO;
        for index in 0..ACCOUNT_SLICES {
            let (start, end) = slice(index);
            let (start, end) = (U256::from_be_bytes(start.0), U256::from_be_bytes(end.0));
            assert_eq!(start, next, "slice {index} starts where the last ended");
            assert!(end > start);
            next = end.saturating_add(U256::from(1));
            if index + 1 == ACCOUNT_SLICES {
                assert_eq!(end, U256::MAX);
            }
        }
    }
}
