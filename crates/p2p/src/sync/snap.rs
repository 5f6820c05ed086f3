//! The state download of snap sync: every account, storage slot and code of the state of one
//! root (the pivot's), from the peers' snap/1 answers, each checked before it is kept.
//!
//! - **Accounts**: the hash space in [`ACCOUNT_SLICES`] slices fetched in parallel (one peer
//!   per request, rotating), GetAccountRange of [`RESPONSE_BYTES`]; every answer is verified
//!   against the root with its edge proofs (`ethrex_trie::verify_range`), which also says
//!   whether more accounts follow.
//! - **Storage**: accounts with a storage root are asked for in groups (GetStorageRanges); each
//!   whole storage trie is verified against the account's storage root, a cut one with its
//!   proof, and continued from its last slot alone until complete.
//! - **Codes**: the distinct code hashes, GetByteCodes in groups; a code must hash to what was
//!   asked.
//!
//! A peer whose answer does not verify is disconnected (BreachOfProtocol); an empty answer
//! without proof means the peer does not hold the root (no longer: it left its window) and the
//! next peer is asked. When every peer has failed a request in a row, the download stops with
//! [`SyncError::StateUnavailable`] (the caller picks a newer pivot and starts again: there is
//! no healing yet).

use std::collections::{BTreeMap, BTreeSet};

use alloy_primitives::{B256, Bytes, U256, keccak256};
use alloy_rlp::Decodable;
use ethrex_common::{constants::EMPTY_CODE_HASH, types::AccountState};
use ethrex_storage::SyncedState;
use ethrex_trie::{EMPTY_TRIE_ROOT, verify_range};
use tokio::task::JoinSet;

use super::{SyncError, penalise};
use crate::{
    eth::EthPeer,
    peers::PeerHandles,
    snap::{
        SnapMessage,
        messages::{GetAccountRange, GetByteCodes, GetStorageRanges},
    },
};

/// Slices of the account hash space fetched in parallel.
pub const ACCOUNT_SLICES: usize = 16;
/// The byte limit of every snap request (what geth's syncer asks).
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

/// The whole state of `root`.
pub(super) async fn download_state(
    peers: &dyn PeerHandles,
    root: B256,
) -> Result<SyncedState, SyncError> {
    let accounts = download_accounts(peers, root).await?;
    tracing::info!("snap sync: {} accounts", accounts.len());
    let storage = download_storage(peers, root, &accounts).await?;
    let slots: usize = storage.values().map(BTreeMap::len).sum();
    tracing::info!(
        "snap sync: {slots} storage slots of {} accounts",
        storage.len()
    );
    let codes = download_codes(peers, &accounts).await?;
    tracing::info!("snap sync: {} codes", codes.len());
    Ok(SyncedState {
        accounts,
        storage,
        codes,
    })
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
    root: B256,
) -> Result<BTreeMap<B256, AccountState>, SyncError> {
    let mut slices = JoinSet::new();
    for index in 0..ACCOUNT_SLICES {
        let (start, end) = slice(index);
        let peers = PeersRef::capture(peers);
        slices.spawn(async move { download_slice(&peers, root, start, end, index).await });
    }
    let mut accounts = BTreeMap::new();
    while let Some(done) = slices.join_next().await {
        let slice = done.map_err(|e| SyncError::Import(e.to_string()))??;
        accounts.extend(slice);
    }
    Ok(accounts)
}

/// The accounts of one slice, `start..=end`.
async fn download_slice(
    peers: &PeersRef,
    root: B256,
    mut start: B256,
    end: B256,
    index: usize,
) -> Result<Vec<(B256, AccountState)>, SyncError> {
    let mut turn = index;
    let mut accounts = Vec::new();
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
                    response_bytes: RESPONSE_BYTES,
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
                        range
                            .accounts
                            .into_iter()
                            .map(|a| (a.hash, a.account.0))
                            .collect(),
                        more,
                    )),
                    Err(e) => {
                        Answer::Invalid(format!("an account range that does not verify: {e}"))
                    }
                }
            },
        )
        .await?;
        let entries: Vec<(B256, AccountState)> = entries;
        let last = entries.last().map(|(hash, _)| *hash);
        accounts.extend(entries.into_iter().filter(|(hash, _)| *hash <= end));
        match last {
            Some(last) if more && last < end => {
                start = B256::from(U256::from_be_bytes(last.0) + U256::from(1));
            }
            _ => return Ok(accounts),
        }
    }
}

async fn download_storage(
    peers: &dyn PeerHandles,
    root: B256,
    accounts: &BTreeMap<B256, AccountState>,
) -> Result<BTreeMap<B256, BTreeMap<B256, U256>>, SyncError> {
    let mut pending: Vec<(B256, B256)> = (accounts.iter())
        .filter(|(_, a)| a.storage_root != EMPTY_TRIE_ROOT)
        .map(|(hash, a)| (*hash, a.storage_root))
        .collect();
    pending.reverse();
    let mut storage: BTreeMap<B256, BTreeMap<B256, U256>> = BTreeMap::new();
    let mut turn = 0;
    while !pending.is_empty() {
        let group: Vec<(B256, B256)> =
            pending.split_off(pending.len().saturating_sub(STORAGE_GROUP));
        let hashes: Vec<B256> = group.iter().map(|(hash, _)| *hash).collect();
        let answered = ask(
            peers,
            &mut turn,
            |request_id| {
                SnapMessage::GetStorageRanges(GetStorageRanges {
                    request_id,
                    root_hash: root,
                    account_hashes: hashes.clone(),
                    starting_hash: Bytes::new(),
                    limit_hash: Bytes::new(),
                    response_bytes: RESPONSE_BYTES,
                })
            },
            |answer| check_storage(answer, &group, B256::ZERO),
        )
        .await?;
        let served = answered.len();
        for (index, (slots, more)) in answered.into_iter().enumerate() {
            let (account, storage_root) = group[index];
            let entry = storage.entry(account).or_default();
            let last = slots.last().map(|(k, _)| *k);
            entry.extend(slots);
            if let (true, Some(last)) = (more, last) {
                let rest =
                    download_rest_of_storage(peers, root, (account, storage_root), last, &mut turn)
                        .await?;
                entry.extend(rest);
            }
        }
        // Accounts the answer did not reach go back in the queue.
        pending.extend(group[served..].iter().rev().copied());
    }
    Ok(storage)
}

/// The slots of one account after `last`, in ranges with proofs.
async fn download_rest_of_storage(
    peers: &dyn PeerHandles,
    root: B256,
    (account, storage_root): (B256, B256),
    mut last: B256,
    turn: &mut usize,
) -> Result<Vec<(B256, U256)>, SyncError> {
    let mut slots = Vec::new();
    loop {
        let origin = B256::from(U256::from_be_bytes(last.0) + U256::from(1));
        let mut answered = ask(
            peers,
            turn,
            |request_id| {
                SnapMessage::GetStorageRanges(GetStorageRanges {
                    request_id,
                    root_hash: root,
                    account_hashes: vec![account],
                    starting_hash: Bytes::copy_from_slice(origin.as_slice()),
                    limit_hash: Bytes::new(),
                    response_bytes: RESPONSE_BYTES,
                })
            },
            |answer| check_storage(answer, &[(account, storage_root)], origin),
        )
        .await?;
        let Some((range, more)) = answered.pop() else {
            return Err(SyncError::StateUnavailable);
        };
        let next = range.last().map(|(k, _)| *k);
        slots.extend(range);
        match next {
            Some(next) if more => last = next,
            _ => return Ok(slots),
        }
    }
}

/// One account's slots in an answer, and whether more follow.
type StorageList = (Vec<(B256, U256)>, bool);

/// Checks a StorageRanges answer for `group` (the first list starting at `origin`): each list
/// but a cut last one is a whole storage trie; the last may be cut, with its proof. Returns
/// each list's slots and whether more follow.
fn check_storage(
    answer: SnapMessage,
    group: &[(B256, B256)],
    origin: B256,
) -> Answer<Vec<StorageList>> {
    let SnapMessage::StorageRanges(ranges) = answer else {
        return Answer::Invalid("not a StorageRanges".into());
    };
    if ranges.slots.is_empty() {
        return if ranges.proof.is_empty() {
            Answer::Lacking
        } else {
            Answer::Invalid("a storage proof without slots".into())
        };
    }
    if ranges.slots.len() > group.len() {
        return Answer::Invalid("more storage lists than accounts asked".into());
    }
    let count = ranges.slots.len();
    let mut lists = Vec::with_capacity(count);
    for (index, list) in ranges.slots.into_iter().enumerate() {
        let (account, storage_root) = group[index];
        let keys: Vec<B256> = list.iter().map(|s| s.hash).collect();
        let values: Vec<Vec<u8>> = list.iter().map(|s| s.data.to_vec()).collect();
        let is_last = index + 1 == count;
        let proof: Vec<Vec<u8>> = if is_last {
            ranges.proof.iter().map(|n| n.to_vec()).collect()
        } else {
            Vec::new()
        };
        let first = if index == 0 { origin } else { B256::ZERO };
        let more = match verify_range(storage_root, &first, &keys, &values, &proof) {
            Ok(more) => more,
            Err(e) => {
                return Answer::Invalid(format!("the storage of {account} does not verify: {e}"));
            }
        };
        let mut slots = Vec::with_capacity(list.len());
        for slot in list {
            let Ok(value) = U256::decode(&mut slot.data.as_ref()) else {
                return Answer::Invalid(format!("a storage slot of {account} is not RLP"));
            };
            slots.push((slot.hash, value));
        }
        lists.push((slots, more));
    }
    Answer::Good(lists)
}

async fn download_codes(
    peers: &dyn PeerHandles,
    accounts: &BTreeMap<B256, AccountState>,
) -> Result<BTreeMap<B256, Bytes>, SyncError> {
    let wanted: BTreeSet<B256> = (accounts.values())
        .map(|a| a.code_hash)
        .filter(|hash| *hash != EMPTY_CODE_HASH)
        .collect();
    let mut pending: Vec<B256> = wanted.into_iter().collect();
    let mut codes = BTreeMap::new();
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
                    response_bytes: RESPONSE_BYTES,
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
        for (hash, code) in received {
            codes.insert(hash, code);
        }
        pending.extend(group.into_iter().filter(|hash| !codes.contains_key(hash)));
    }
    Ok(codes)
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
