//! Answers to snap/1 requests, as pure functions over the store (devp2p `caps/snap.md`).
//!
//! Rules kept by every answer:
//! - A root the store cannot open (unknown, or older than the diff-layer window) gets an empty
//!   answer, as does a state that goes away while it is read.
//! - The byte limit is the request's, capped at [`SOFT_RESPONSE_LIMIT`], counted the way geth
//!   counts it (the snap suite's expected answers depend on it): an account or a slot costs 32
//!   bytes plus its RLP value (slim account, slot), a code or trie node its own length. Items
//!   are added until the count exceeds the limit, so the item that exceeds it is the last, and
//!   an answer holds at least one item when one exists.
//! - A GetTrieNodes path set with no path is a bad request ([`SnapError::BadRequest`]: the
//!   session disconnects); a storage path set whose account is absent is answered with nothing
//!   (not even empty strings), as geth does.
//! - Ranges come with the proofs of their origin and of their last key, except a range that is
//!   a whole trie from the zero origin (then the proof is empty).
//!
//! States are read through their tries (`ethrex_storage::StateReader::for_each_leaf_from`), so
//! every root `Store::state_at` opens is served: the disk state and the diff layers of the last
//! 128 blocks, the head's included.

use std::ops::ControlFlow;

use alloy_primitives::{B256, Bytes};
use alloy_rlp::{Decodable, Encodable};
use ethrex_common::{constants::EMPTY_CODE_HASH, types::AccountState};
use ethrex_storage::{StateReader, Store, StoreError, TrieOwner};

use super::{
    SnapError, SnapResult,
    messages::{
        AccountRange, AccountRangeEntry, ByteCodes, GetAccountRange, GetByteCodes,
        GetStorageRanges, GetTrieNodes, SlimAccount, StorageRanges, StorageSlot, TrieNodes,
        decode_path,
    },
};

/// The size at which an answer stops growing whatever the request asks: 2 MiB.
pub const SOFT_RESPONSE_LIMIT: usize = 2 * 1024 * 1024;
/// The most code hashes or trie-node paths one request is looked up for.
pub const MAX_LOOKUPS: usize = 1024;

/// The byte limit of an answer: the request's, at most [`SOFT_RESPONSE_LIMIT`].
fn byte_limit(requested: u64) -> usize {
    usize::try_from(requested).map_or(SOFT_RESPONSE_LIMIT, |r| r.min(SOFT_RESPONSE_LIMIT))
}

/// The state of `root`, `None` when the store does not hold it.
fn state(store: &Store, root: B256) -> SnapResult<Option<StateReader>> {
    if !store.has_state(&root) {
        return Ok(None);
    }
    available(store.state_at(root))
}

/// `Ok(None)` for a state that is not (or no longer) held, other errors kept.
fn available<T>(result: Result<T, StoreError>) -> SnapResult<Option<T>> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(StoreError::StateNotAvailable { .. }) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// A GetStorageRanges bound: empty = `default`, otherwise the bytes right-aligned in 32 bytes
/// (longer strings keep their last 32 bytes).
fn bound(bytes: &Bytes, default: B256) -> B256 {
    match bytes.len() {
        0 => default,
        n if n <= 32 => B256::left_padding_from(bytes),
        n => B256::from_slice(&bytes[n - 32..]),
    }
}

/// How a walk over a range ended.
struct Walked<T> {
    items: Vec<T>,
    /// The walk stopped before the end of the trie (byte limit or limit hash).
    cut: bool,
}

/// The leaves of trie `owner` from `origin` until `size` (already `used` bytes) exceeds
/// `limit`, stopping after the first key at or beyond `limit_hash`. `None` for an absent
/// account's storage.
fn walk<T>(
    reader: &StateReader,
    range: (TrieOwner, B256, B256),
    budget: (&mut usize, usize),
    mut item: impl FnMut(B256, Vec<u8>) -> Result<T, StoreError>,
    size: impl Fn(&T) -> usize,
) -> SnapResult<Option<Walked<T>>> {
    let (owner, origin, limit_hash) = range;
    let (used, limit) = budget;
    let mut items = Vec::new();
    let mut cut = false;
    let mut failure = None;
    let exists = reader.for_each_leaf_from(owner, &origin, &mut |key, value| {
        match item(key, value) {
            Ok(value) => {
                *used = used.saturating_add(size(&value));
                items.push(value);
            }
            Err(e) => {
                failure = Some(e);
                return ControlFlow::Break(());
            }
        }
        if *used > limit || key >= limit_hash {
            cut = true;
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    })?;
    if let Some(e) = failure {
        return Err(e.into());
    }
    Ok(exists.then_some(Walked { items, cut }))
}

/// GetAccountRange: the accounts from the starting hash (see the module docs), with the proofs
/// of the starting hash and of the last account.
pub fn serve_account_range(store: &Store, req: &GetAccountRange) -> SnapResult<AccountRange> {
    let empty = AccountRange {
        request_id: req.request_id,
        accounts: Vec::new(),
        proof: Vec::new(),
    };
    let Some(reader) = state(store, req.root_hash)? else {
        return Ok(empty);
    };
    let answer = account_range(&reader, req);
    Ok(available(answer.map_err(into_store))?.unwrap_or(empty))
}

fn account_range(reader: &StateReader, req: &GetAccountRange) -> SnapResult<AccountRange> {
    let mut used = 0;
    let decode = |hash: B256, value: Vec<u8>| {
        let account =
            AccountState::decode(&mut value.as_slice()).map_err(|e| StoreError::Corrupt {
                table: ethrex_storage::Table::AccountTrieNodes,
                key: hash.to_string(),
                reason: format!("invalid account RLP: {e}"),
            })?;
        Ok(AccountRangeEntry {
            hash,
            account: SlimAccount(account),
        })
    };
    let walked = walk(
        reader,
        (TrieOwner::Accounts, req.starting_hash, req.limit_hash),
        (&mut used, byte_limit(req.response_bytes)),
        decode,
        |entry| 32 + entry.account.length(),
    )?
    .unwrap_or(Walked {
        items: Vec::new(),
        cut: false,
    });
    let proof = edge_proof(
        reader,
        TrieOwner::Accounts,
        req.starting_hash,
        &walked,
        |e| e.hash,
    )?;
    Ok(AccountRange {
        request_id: req.request_id,
        accounts: walked.items,
        proof,
    })
}

/// The proofs of `origin` and of the last item, or none for a whole trie from zero.
fn edge_proof<T>(
    reader: &StateReader,
    owner: TrieOwner,
    origin: B256,
    walked: &Walked<T>,
    key: impl Fn(&T) -> B256,
) -> SnapResult<Vec<Bytes>> {
    if origin == B256::ZERO && !walked.cut {
        return Ok(Vec::new());
    }
    let mut keys = vec![origin];
    keys.extend(walked.items.last().map(key));
    Ok(reader.range_proof(owner, &keys)?)
}

/// A [`crate::snap::SnapError`] back into the store error it wraps, to spot a vanished state.
fn into_store(e: super::SnapError) -> StoreError {
    match e {
        super::SnapError::Store(e) => e,
        other => StoreError::Backend(other.to_string()),
    }
}

/// GetStorageRanges: the slots of each account in turn (the origin applies to the first, the
/// limit to the last) until the byte limit; only the last list, if it is not a whole storage
/// trie, carries proofs. An account the state lacks gets an empty answer.
pub fn serve_storage_ranges(store: &Store, req: &GetStorageRanges) -> SnapResult<StorageRanges> {
    let empty = StorageRanges {
        request_id: req.request_id,
        slots: Vec::new(),
        proof: Vec::new(),
    };
    let Some(reader) = state(store, req.root_hash)? else {
        return Ok(empty);
    };
    let answer = storage_ranges(&reader, req);
    Ok(available(answer.map_err(into_store))?.unwrap_or(empty))
}

fn storage_ranges(reader: &StateReader, req: &GetStorageRanges) -> SnapResult<StorageRanges> {
    let empty = StorageRanges {
        request_id: req.request_id,
        slots: Vec::new(),
        proof: Vec::new(),
    };
    let limit = byte_limit(req.response_bytes);
    // An account's storage may run 10% past the limit before it is cut (and proved).
    let hard_limit = limit.saturating_add(limit / 10);
    let mut used = 0;
    let mut slots = Vec::new();
    let mut proof = Vec::new();
    let last = req.account_hashes.len().saturating_sub(1);
    for (i, account) in req.account_hashes.iter().enumerate() {
        if i > 0 && used >= limit {
            break;
        }
        let origin = match i {
            0 => bound(&req.starting_hash, B256::ZERO),
            _ => B256::ZERO,
        };
        let limit_hash = match i == last {
            true => bound(&req.limit_hash, B256::repeat_byte(0xff)),
            false => B256::repeat_byte(0xff),
        };
        let slot = |hash, value: Vec<u8>| {
            Ok(StorageSlot {
                hash,
                data: Bytes::from(value),
            })
        };
        let Some(walked) = walk(
            reader,
            (TrieOwner::Storage(*account), origin, limit_hash),
            (&mut used, hard_limit),
            slot,
            |slot| 32 + slot.data.len(),
        )?
        else {
            return Ok(empty);
        };
        let owner = TrieOwner::Storage(*account);
        proof = edge_proof(reader, owner, origin, &walked, |s| s.hash)?;
        slots.push(walked.items);
        if !proof.is_empty() {
            break;
        }
    }
    Ok(StorageRanges {
        request_id: req.request_id,
        slots,
        proof,
    })
}

/// GetByteCodes: the codes of the requested hashes in request order, unknown ones skipped.
/// Codes are read through the head's state, so those of recent blocks are found too.
pub fn serve_byte_codes(store: &Store, req: &GetByteCodes) -> SnapResult<ByteCodes> {
    let limit = byte_limit(req.response_bytes);
    let head = head_state(store)?;
    let mut codes = Vec::new();
    let mut used = 0usize;
    for hash in req.hashes.iter().take(MAX_LOOKUPS) {
        if *hash == EMPTY_CODE_HASH {
            codes.push(Bytes::new());
            continue;
        }
        let code = match &head {
            Some(reader) => available(reader.code_bytes(hash))?.flatten(),
            None => None,
        };
        let code = match code {
            Some(code) => Some(code),
            None => store.code(hash)?,
        };
        if let Some(code) = code.filter(|code| !code.is_empty()) {
            used = used.saturating_add(code.len());
            codes.push(code);
        }
        if used > limit {
            break;
        }
    }
    Ok(ByteCodes {
        request_id: req.request_id,
        codes,
    })
}

/// The state of the head block, if the store holds it.
fn head_state(store: &Store) -> SnapResult<Option<StateReader>> {
    let Some(hash) = store.head_hash()? else {
        return Ok(None);
    };
    let Some(header) = store.header_by_hash(&hash)? else {
        return Ok(None);
    };
    state(store, header.state_root)
}

/// GetTrieNodes: the node at each path, in request order; a path with no node (or not a valid
/// path) is answered with an empty string so the answer stays aligned with the request; a
/// storage path set of an absent account adds nothing; an empty path set is a bad request.
pub fn serve_trie_nodes(store: &Store, req: &GetTrieNodes) -> SnapResult<TrieNodes> {
    if req.paths.iter().any(Vec::is_empty) {
        return Err(SnapError::BadRequest("GetTrieNodes with an empty path set"));
    }
    let empty = TrieNodes {
        request_id: req.request_id,
        nodes: Vec::new(),
    };
    let Some(reader) = state(store, req.root_hash)? else {
        return Ok(empty);
    };
    let answer = trie_nodes(&reader, req);
    Ok(available(answer.map_err(into_store))?.unwrap_or(empty))
}

fn trie_nodes(reader: &StateReader, req: &GetTrieNodes) -> SnapResult<TrieNodes> {
    let limit = byte_limit(req.response_bytes);
    let mut used = 0usize;
    let mut nodes = Vec::new();
    let mut lookups = 0;
    'groups: for group in &req.paths {
        let Some((account, storage)) = group.split_first() else {
            continue; // refused by `serve_trie_nodes`
        };
        let lookups_here: Vec<(TrieOwner, &Bytes)> = if storage.is_empty() {
            vec![(TrieOwner::Accounts, account)]
        } else {
            // A storage path set names its account by its full hashed address; one the state
            // lacks (or a shorter path) names no storage trie: nothing is answered for it.
            lookups += 1;
            let Ok(hashed) = B256::try_from(account.as_ref()) else {
                continue;
            };
            if reader.account_by_hash(&hashed)?.is_none() {
                continue;
            }
            storage
                .iter()
                .map(|path| (TrieOwner::Storage(hashed), path))
                .collect()
        };
        for (owner, path) in lookups_here {
            lookups += 1;
            let node = match decode_path(path) {
                Some(path) => reader.trie_node(owner, &path)?.unwrap_or_default(),
                None => Vec::new(),
            };
            used = used.saturating_add(node.len());
            nodes.push(Bytes::from(node));
            if used > limit || lookups >= MAX_LOOKUPS {
                break 'groups;
            }
        }
    }
    Ok(TrieNodes {
        request_id: req.request_id,
        nodes,
    })
}

#[cfg(test)]
mod tests;
