//! Answers to the peer's requests, as pure functions over the store (or a transaction lookup):
//! headers, bodies, receipts and pooled transactions.
//!
//! Unknown blocks and transactions are left out of an answer, never an error. Every answer is
//! capped at [`MAX_ITEMS`] items and stops once it reaches [`SOFT_RESPONSE_LIMIT`] bytes (the
//! item that crosses the limit is included, so an answer is never empty for a known item).

use alloy_primitives::B256;
use alloy_rlp::Encodable;
use ethrex_blockchain::mempool::Mempool;
use ethrex_common::{constants::EMPTY_TRIE_ROOT, types::Transaction};
use ethrex_storage::Store;

use super::{
    EthResult, EthVersion,
    messages::{
        BlockBodies, BlockHeaders, GetBlockHeaders, HashOrNumber, HashesRequest,
        PooledTransactions, Receipts, ReceiptsRequest, encode_pooled_transaction,
    },
    receipts::block_receipts_len,
};

/// The most headers, bodies, receipt lists or transactions one answer holds.
pub const MAX_ITEMS: usize = 1024;
/// The size at which an answer stops growing (the spec's recommended soft limit): 2 MiB.
pub const SOFT_RESPONSE_LIMIT: usize = 2 * 1024 * 1024;

/// Collects items until [`MAX_ITEMS`] or [`SOFT_RESPONSE_LIMIT`].
struct Budget {
    bytes: usize,
    items: usize,
}

impl Budget {
    fn new() -> Self {
        Self { bytes: 0, items: 0 }
    }

    fn exhausted(&self) -> bool {
        self.items >= MAX_ITEMS || self.bytes >= SOFT_RESPONSE_LIMIT
    }

    fn add(&mut self, size: usize) {
        self.items += 1;
        self.bytes = self.bytes.saturating_add(size);
    }
}

/// GetBlockHeaders: from the origin (by hash: any stored block; by number: the canonical one),
/// `skip + 1` blocks apart, ascending unless reversed, at most `amount`. Going back from a hash
/// without skipping follows parent hashes (a side chain is served as such); every other walk
/// follows the canonical chain by number.
pub fn serve_headers(store: &Store, request: &GetBlockHeaders) -> EthResult<BlockHeaders> {
    let query = &request.query;
    let mut headers = Vec::new();
    let limit = usize::try_from(query.amount).unwrap_or(usize::MAX);
    let mut budget = Budget::new();
    let mut current = match query.origin {
        HashOrNumber::Hash(hash) => store.header_by_hash(&hash)?,
        HashOrNumber::Number(number) => store.header_by_number(number)?,
    };
    let by_parent =
        matches!(query.origin, HashOrNumber::Hash(_)) && query.reverse && query.skip == 0;
    let step = query.skip.saturating_add(1);
    while let Some(header) = current {
        if headers.len() >= limit || budget.exhausted() {
            break;
        }
        budget.add(header.length());
        let next = if by_parent {
            match header.number {
                0 => None,
                _ => store.header_by_hash(&header.parent_hash)?,
            }
        } else {
            let number = if query.reverse {
                header.number.checked_sub(step)
            } else {
                header.number.checked_add(step)
            };
            match number {
                Some(number) => store.header_by_number(number)?,
                None => None,
            }
        };
        headers.push(header);
        current = next;
    }
    Ok(BlockHeaders {
        request_id: request.request_id,
        headers,
    })
}

/// GetBlockBodies: the stored bodies of the requested hashes, in request order.
pub fn serve_bodies(store: &Store, request: &HashesRequest) -> EthResult<BlockBodies> {
    let mut bodies = Vec::new();
    let mut budget = Budget::new();
    for hash in &request.hashes {
        if budget.exhausted() {
            break;
        }
        if let Some(body) = store.body_by_hash(hash)? {
            budget.add(body.length());
            bodies.push(body);
        }
    }
    Ok(BlockBodies {
        request_id: request.request_id,
        bodies,
    })
}

/// GetReceipts: each requested block's receipts, in request order; the size limit counts them
/// in `version`'s shape. A block whose header is unknown, or whose receipts are not stored
/// while its header commits to some, is left out.
///
/// eth/70 (EIP-7975): the first block's receipts start at `first_block_receipt_index` (its list
/// is always present, empty if the index is past its end), and a block whose receipts would
/// take the answer over [`SOFT_RESPONSE_LIMIT`] is cut there (at least one receipt is always
/// served), with `last_block_incomplete` set.
pub fn serve_receipts(
    store: &Store,
    request: &ReceiptsRequest,
    version: EthVersion,
) -> EthResult<Receipts> {
    let mut receipts = Vec::new();
    let mut budget = Budget::new();
    let mut last_block_incomplete = false;
    for (index, hash) in request.hashes.iter().enumerate() {
        if budget.exhausted() {
            break;
        }
        let Some(header) = store.header_by_hash(hash)? else {
            continue;
        };
        let block_receipts = store.receipts(hash)?;
        if block_receipts.is_empty() && header.receipts_root != EMPTY_TRIE_ROOT {
            continue;
        }
        if version != EthVersion::Eth70 {
            budget.add(block_receipts_len(&block_receipts, version));
            receipts.push(block_receipts);
            continue;
        }
        let skip = match index {
            0 => usize::try_from(request.first_block_receipt_index).unwrap_or(usize::MAX),
            _ => 0,
        };
        let mut list = Vec::new();
        for receipt in block_receipts.iter().skip(skip) {
            let size = block_receipts_len(std::slice::from_ref(receipt), version);
            let empty = receipts.is_empty() && list.is_empty();
            if !empty && budget.bytes.saturating_add(size) > SOFT_RESPONSE_LIMIT {
                last_block_incomplete = true;
                break;
            }
            budget.bytes = budget.bytes.saturating_add(size);
            list.push(receipt.clone());
        }
        budget.items += 1;
        if last_block_incomplete && list.is_empty() {
            // Nothing of this block fits: it is left for the next request.
            last_block_incomplete = false;
            break;
        }
        receipts.push(list);
        if last_block_incomplete {
            break;
        }
    }
    Ok(Receipts {
        request_id: request.request_id,
        last_block_incomplete,
        receipts,
    })
}

/// GetPooledTransactions: the transactions `lookup` finds, in request order (blob transactions
/// with their sidecars, as the pool keeps them).
pub fn serve_pooled_transactions(
    lookup: impl Fn(&B256) -> Option<Transaction>,
    request: &HashesRequest,
) -> PooledTransactions {
    let mut transactions = Vec::new();
    let mut budget = Budget::new();
    for hash in &request.hashes {
        if budget.exhausted() {
            break;
        }
        if let Some(tx) = lookup(hash) {
            let mut encoded = Vec::new();
            encode_pooled_transaction(&tx, &mut encoded);
            budget.add(encoded.len());
            transactions.push(tx);
        }
    }
    PooledTransactions {
        request_id: request.request_id,
        transactions,
    }
}

/// [`serve_pooled_transactions`] from the mempool.
pub fn serve_from_mempool(mempool: &Mempool, request: &HashesRequest) -> PooledTransactions {
    serve_pooled_transactions(|hash| mempool.get(hash).map(|p| p.transaction), request)
}

#[cfg(test)]
mod tests;
