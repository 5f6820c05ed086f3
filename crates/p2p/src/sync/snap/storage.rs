//! The storage part of the state download: the slots of every account with a storage root,
//! GetStorageRanges for groups of accounts, a storage trie larger than one answer continued
//! from its last slot alone, every list verified against the account's staged storage root.
//!
//! In a mixed staging area (staged items may be an older root's, see `snap.rs`), an answer that
//! does not verify against the staged storage root, or an account no peer serves while the root
//! is still served, is not the peer's fault: that account's storage is marked done with what it
//! has and left to healing.

use std::collections::BTreeMap;

use alloy_primitives::{B256, Bytes, U256};
use alloy_rlp::Decodable;
use ethrex_common::types::AccountState;
use ethrex_storage::SnapProgress;
use ethrex_trie::{EMPTY_TRIE_ROOT, verify_range};

use super::{Answer, STORAGE_GROUP, Staging, ask, increment};
use crate::{
    peers::PeerHandles,
    snap::{
        SnapMessage,
        messages::{GetAccountRange, GetStorageRanges},
    },
    sync::SyncError,
};

pub(super) async fn download_storage(
    peers: &dyn PeerHandles,
    staging: &Staging,
    root: B256,
    accounts: &BTreeMap<B256, AccountState>,
) -> Result<(), SyncError> {
    let mut pending: Vec<(B256, B256)> = Vec::new();
    let mut turn = 0;
    for (hash, account) in accounts
        .iter()
        .filter(|(_, a)| a.storage_root != EMPTY_TRIE_ROOT)
    {
        match staging.storage_progress(hash)? {
            SnapProgress::Done => {}
            SnapProgress::From(next) => {
                download_rest_of_storage(
                    peers,
                    staging,
                    root,
                    (*hash, account.storage_root),
                    next,
                    &mut turn,
                )
                .await?;
            }
            SnapProgress::NotStarted => pending.push((*hash, account.storage_root)),
        }
    }
    pending.reverse();
    // Accounts asked for one by one (a mixed area's group no peer answered).
    let mut singles: Vec<(B256, B256)> = Vec::new();
    while !pending.is_empty() || !singles.is_empty() {
        let group: Vec<(B256, B256)> = match singles.pop() {
            Some(single) => vec![single],
            None => pending.split_off(pending.len().saturating_sub(STORAGE_GROUP)),
        };
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
                    response_bytes: staging.response_bytes,
                })
            },
            |answer| check_storage(answer, &group, B256::ZERO, staging.mixed),
        )
        .await;
        let answered = match answered {
            Err(SyncError::StateUnavailable) if staging.mixed && group.len() > 1 => {
                singles.extend(group.into_iter().rev());
                continue;
            }
            Err(SyncError::StateUnavailable) if staging.mixed => {
                leave_to_healing(peers, staging, root, group[0].0, &mut turn).await?;
                continue;
            }
            other => other?,
        };
        let served = answered.len();
        for (index, (slots, listing)) in answered.into_iter().enumerate() {
            let account = group[index];
            let next = match (listing, slots.last()) {
                (Listing::Stale, _) => {
                    staging.put_storage(&account.0, &[], None)?;
                    continue;
                }
                (Listing::More, Some((last, _))) => Some(increment(*last)),
                _ => None,
            };
            staging.put_storage(&account.0, &slots, next)?;
            staging.count(slots.len());
            if let Some(next) = next {
                download_rest_of_storage(peers, staging, root, account, next, &mut turn).await?;
            }
        }
        // Accounts the answer did not reach go back in the queue.
        pending.extend(group[served..].iter().rev().copied());
    }
    Ok(())
}

/// A mixed area's account whose storage no peer serves: when a peer still serves the root (so
/// the account is gone from it), its storage is marked done and left to healing; otherwise the
/// root is gone ([`SyncError::StateUnavailable`]).
async fn leave_to_healing(
    peers: &dyn PeerHandles,
    staging: &Staging,
    root: B256,
    account: B256,
    turn: &mut usize,
) -> Result<(), SyncError> {
    ask(
        peers,
        turn,
        |request_id| {
            SnapMessage::GetAccountRange(GetAccountRange {
                request_id,
                root_hash: root,
                starting_hash: account,
                limit_hash: account,
                response_bytes: 1,
            })
        },
        |answer| match answer {
            SnapMessage::AccountRange(range)
                if !(range.accounts.is_empty() && range.proof.is_empty()) =>
            {
                Answer::Good(())
            }
            SnapMessage::AccountRange(_) => Answer::Lacking,
            _ => Answer::Invalid("not an AccountRange".into()),
        },
    )
    .await?;
    tracing::debug!("snap sync: the storage of {account} is left to healing");
    Ok(staging.put_storage(&account, &[], None)?)
}

/// The slots of one account from `origin` on, in ranges with proofs, staged piece by piece.
async fn download_rest_of_storage(
    peers: &dyn PeerHandles,
    staging: &Staging,
    root: B256,
    (account, storage_root): (B256, B256),
    mut origin: B256,
    turn: &mut usize,
) -> Result<(), SyncError> {
    loop {
        let from = origin;
        let answered = ask(
            peers,
            turn,
            |request_id| {
                SnapMessage::GetStorageRanges(GetStorageRanges {
                    request_id,
                    root_hash: root,
                    account_hashes: vec![account],
                    starting_hash: Bytes::copy_from_slice(from.as_slice()),
                    limit_hash: Bytes::new(),
                    response_bytes: staging.response_bytes,
                })
            },
            |answer| check_storage(answer, &[(account, storage_root)], from, staging.mixed),
        )
        .await;
        let mut answered = match answered {
            Err(SyncError::StateUnavailable) if staging.mixed => {
                return leave_to_healing(peers, staging, root, account, turn).await;
            }
            other => other?,
        };
        let Some((range, listing)) = answered.pop() else {
            return Err(SyncError::StateUnavailable);
        };
        let next = match (listing, range.last()) {
            (Listing::Stale, _) => return Ok(staging.put_storage(&account, &[], None)?),
            (Listing::More, Some((last, _))) => Some(increment(*last)),
            _ => None,
        };
        staging.put_storage(&account, &range, next)?;
        staging.count(range.len());
        match next {
            Some(next) => origin = next,
            None => return Ok(()),
        }
    }
}

/// How one account's slot list in an answer ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Listing {
    /// The whole rest of the storage.
    Complete,
    /// Cut: more slots follow.
    More,
    /// It does not verify against the staged storage root, in a mixed area: the account changed
    /// since it was staged (its slots are not kept; healing fetches its storage).
    Stale,
}

/// One account's slots in an answer, and how the list ends.
type StorageList = (Vec<(B256, U256)>, Listing);

/// Checks a StorageRanges answer for `group` (the first list starting at `origin`): each list
/// but a cut last one is a whole storage trie; the last may be cut, with its proof. Returns
/// each list's slots and how it ends. In a `mixed` area a list that does not verify ends the
/// answer as [`Listing::Stale`] instead of condemning the peer.
fn check_storage(
    answer: SnapMessage,
    group: &[(B256, B256)],
    origin: B256,
    mixed: bool,
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
        let listing = match verify_range(storage_root, &first, &keys, &values, &proof) {
            Ok(true) => Listing::More,
            Ok(false) => Listing::Complete,
            Err(_) if mixed => {
                lists.push((Vec::new(), Listing::Stale));
                break;
            }
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
        lists.push((slots, listing));
    }
    Answer::Good(lists)
}
