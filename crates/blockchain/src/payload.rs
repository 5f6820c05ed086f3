//! Payload building from the mempool: [`build_payload`] builds a block on the chain's head with
//! the mempool's best transactions ([`mempool_candidates`]: highest effective tip first, each
//! sender in nonce order, within the block's gas and the blob limit), through [`build_on`] and
//! [`crate::build_block`] (which leave out what cannot be included); [`import_payload`] then
//! takes it the way a consensus client's block comes in: [`Blockchain::add_block`] and fork
//! choice, and updates the mempool. [`build_on`] alone builds on any stored block and writes
//! nothing (`testing_buildBlockV1`).
//!
//! Blocks carry blob transactions without their sidecars; the mempool keeps those.

use alloy_primitives::B256;
use ethrex_common::types::{Header, Transaction};
use ethrex_storage::{ForkChoice, StoreError};
use ethrex_vm::StateChanges;

use crate::{
    BlockAttributes, BlockError, Blockchain, BuiltBlock, Candidates, ChainError, Rules, Timings,
    build_block_with_rules,
    header::{fork_of, next_base_fee},
    mempool::{Mempool, MempoolError},
};

/// Why a payload could not be built or imported.
#[derive(Debug, thiserror::Error)]
pub enum PayloadError {
    #[error("the chain has no head block")]
    NoHead,
    #[error("cannot build on block #{number}: {source}")]
    Build { number: u64, source: BlockError },
    #[error(transparent)]
    Chain(#[from] ChainError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("mempool update failed: {0}")]
    Mempool(#[from] MempoolError),
}

/// The gas limit of a child of a block with `parent` gas, moved toward `target` as far as the
/// protocol allows (less than 1/1024 of the parent's per block).
pub fn next_gas_limit(parent: u64, target: u64) -> u64 {
    let step = (parent / 1024).saturating_sub(1);
    if target > parent {
        parent.saturating_add(step).min(target)
    } else {
        parent.saturating_sub(step).max(target)
    }
}

/// Builds a block on the chain's head with `attributes` and the mempool's best pending
/// transactions, at most `max_blobs` blobs (`None`: the fork's maximum; never more).
pub fn build_payload(
    chain: &Blockchain,
    mempool: &Mempool,
    attributes: BlockAttributes,
    max_blobs: Option<u64>,
) -> Result<BuiltBlock, PayloadError> {
    let head = chain.store().head_header()?.ok_or(PayloadError::NoHead)?;
    let candidates = mempool_candidates(chain, mempool, &head, attributes.timestamp, max_blobs);
    build_on(chain, &head, attributes, candidates)
}

/// The mempool's best pending transactions for a child of `parent` at `timestamp` (the
/// child's base fee orders them), at most `max_blobs` blobs (`None`: the fork's maximum; never
/// more), without blob sidecars.
pub fn mempool_candidates(
    chain: &Blockchain,
    mempool: &Mempool,
    parent: &Header,
    timestamp: u64,
    max_blobs: Option<u64>,
) -> Candidates {
    let config = chain.config();
    let fork = fork_of(
        config,
        &Header {
            number: parent.number + 1,
            timestamp,
            ..Default::default()
        },
    );
    let base_fee = next_base_fee(parent, fork_of(config, parent));
    let fork_max = config.blob_params(fork).map_or(0, |params| params.max);
    let blob_limit = max_blobs.map_or(fork_max, |max| max.min(fork_max));
    select(mempool, base_fee, blob_limit)
}

/// Builds the child of `parent` (any stored block whose state the store holds, not only the
/// head) with `attributes` and `transactions` in the order given, through
/// [`crate::build_block`]: what cannot be included is left out and listed in
/// [`BuiltBlock::skipped`]. Nothing is written: the block is neither stored nor made the head.
pub fn build_on(
    chain: &Blockchain,
    parent: &Header,
    attributes: BlockAttributes,
    candidates: impl Into<Candidates>,
) -> Result<BuiltBlock, PayloadError> {
    build_on_with_rules(
        chain,
        parent,
        attributes,
        candidates.into(),
        Rules::Ethereum,
    )
}

/// [`build_on`] under `rules` (a rollup's block producer: its fee parameters).
pub fn build_on_with_rules(
    chain: &Blockchain,
    parent: &Header,
    attributes: BlockAttributes,
    candidates: Candidates,
    rules: Rules,
) -> Result<BuiltBlock, PayloadError> {
    let store = chain.store();
    let state = store.state_at(parent.state_root)?;
    let state_root = |changes: &StateChanges| {
        let mut builder = store
            .state_builder(parent.state_root)
            .map_err(|e| BlockError::StateRoot(e.to_string()))?;
        builder
            .apply(changes)
            .map_err(|e| BlockError::StateRoot(e.to_string()))
    };
    build_block_with_rules(
        chain.config(),
        parent,
        &state,
        attributes,
        candidates,
        &state_root,
        rules,
    )
    .map_err(|source| PayloadError::Build {
        number: parent.number,
        source,
    })
}

/// Imports a built block as the new head, safe and finalized block (a block produced here has
/// no consensus to wait for), then updates the mempool. Returns the import's timings. The
/// block is executed again, as a consensus client's would be, but with the senders the
/// mempool recovered (`built.senders`) instead of recovering them a second time.
pub fn import_payload(
    chain: &Blockchain,
    mempool: &Mempool,
    built: &BuiltBlock,
) -> Result<Timings, PayloadError> {
    let block = &built.block;
    let timings = chain.add_block_with_senders(block, Some(&built.senders))?;
    let hash: B256 = block.header.hash_slow();
    chain.set_fork_choice(ForkChoice {
        head: hash,
        safe: Some(hash),
        finalized: Some(hash),
    })?;
    mempool.on_new_head(chain, block)?;
    Ok(timings)
}

/// The candidates in the mempool's best order, within `blob_limit` blobs: a blob transaction
/// that does not fit is left out with its sender's later ones; sidecars are dropped.
fn select(mempool: &Mempool, base_fee: u64, blob_limit: u64) -> Candidates {
    let mut blobs = 0u64;
    let mut blocked = std::collections::HashSet::new();
    let mut candidates = Candidates::default();
    for pooled in mempool.best_transactions(base_fee) {
        if blocked.contains(&pooled.sender) {
            continue;
        }
        let count = pooled
            .transaction
            .blob_versioned_hashes()
            .map_or(0, |hashes| hashes.len() as u64);
        if blobs + count > blob_limit {
            blocked.insert(pooled.sender);
            continue;
        }
        blobs += count;
        candidates
            .transactions
            .push(without_sidecar(&pooled.transaction));
        candidates.senders.push(Some(pooled.sender));
    }
    candidates
}

/// `tx` as a block carries it: a blob transaction without its sidecar.
pub fn without_sidecar(tx: &Transaction) -> Transaction {
    match tx {
        Transaction::Eip4844(blob_tx, Some(_)) => Transaction::Eip4844(blob_tx.clone(), None),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::{Address, Bytes};
    use ethrex_common::{
        Fork,
        dev::{DEV_GAS_LIMIT, dev_genesis},
    };
    use ethrex_storage::Store;

    use super::*;
    use crate::mempool::test_tx::{sender, sign, transfer};

    fn attributes(chain: &Blockchain, parent: &Header) -> BlockAttributes {
        let timestamp = parent.timestamp + 12;
        let fork = fork_of(
            chain.config(),
            &Header {
                number: parent.number + 1,
                timestamp,
                ..Default::default()
            },
        );
        BlockAttributes {
            timestamp,
            fee_recipient: Address::repeat_byte(0xfe),
            prev_randao: B256::ZERO,
            gas_limit: parent.gas_limit,
            extra_data: Bytes::new(),
            withdrawals: (fork >= Fork::Shanghai).then(Vec::new),
            parent_beacon_block_root: (fork >= Fork::Cancun).then_some(B256::ZERO),
        }
    }

    /// A dev chain at its genesis, and an empty mempool.
    fn dev_chain() -> (Blockchain, Mempool) {
        let store = Store::in_memory();
        store
            .init_genesis(&dev_genesis(DEV_GAS_LIMIT).unwrap())
            .unwrap();
        (Blockchain::new(store).unwrap(), Mempool::new(16))
    }

    #[test]
    fn build_on_builds_on_an_older_block_and_writes_nothing() {
        let (chain, mempool) = dev_chain();
        let genesis = chain.store().head_header().unwrap().unwrap();
        let first = build_payload(&chain, &mempool, attributes(&chain, &genesis), None).unwrap();
        import_payload(&chain, &mempool, &first).unwrap();
        let head = first.block.header.hash_slow();

        // Nonce 0 again: valid over the genesis state, whatever the head holds.
        let tx = sign(transfer(0, 2_000_000_000, 7), 0);
        let built = build_on(&chain, &genesis, attributes(&chain, &genesis), vec![tx]).unwrap();
        assert!(built.skipped.is_empty(), "{:?}", built.skipped);
        assert_eq!(built.block.header.number, 1);
        assert_eq!(built.block.header.parent_hash, genesis.hash_slow());
        assert_eq!(built.block.body.transactions.len(), 1);
        let store = chain.store();
        let built_hash = built.block.header.hash_slow();
        assert_ne!(built_hash, head);
        assert_eq!(store.head_header().unwrap().unwrap().hash_slow(), head);
        assert_eq!(store.header_by_hash(&built_hash).unwrap(), None);
    }

    #[test]
    fn the_mempools_senders_are_carried_into_the_import() {
        let (chain, mempool) = dev_chain();
        for (account, tip) in [(0, 7), (1, 8)] {
            let tx = sign(transfer(0, 2_000_000_000, tip), account);
            mempool.add_transaction(&chain, tx).unwrap();
        }
        let genesis = chain.store().head_header().unwrap().unwrap();
        let built = build_payload(&chain, &mempool, attributes(&chain, &genesis), None).unwrap();
        // Highest tip first: account 1, then account 0.
        assert_eq!(built.senders, [Some(sender(1)), Some(sender(0))]);

        // The import believes the senders it is given: swapped, the block's transactions run
        // from the wrong accounts and the state no longer matches the header's root.
        let swapped = [Some(sender(0)), Some(sender(1))];
        let refused = chain.add_block_with_senders(&built.block, Some(&swapped));
        assert!(
            matches!(
                refused,
                Err(ChainError::StateRootMismatch { number: 1, .. })
            ),
            "{refused:?}"
        );
        import_payload(&chain, &mempool, &built).unwrap();
        let head = chain.store().head_header().unwrap().unwrap();
        assert_eq!(head.hash_slow(), built.block.header.hash_slow());
        assert!(mempool.is_empty());
    }

    #[test]
    fn gas_limit_moves_toward_the_target_within_the_protocol_bound() {
        assert_eq!(next_gas_limit(30_000_000, 30_000_000), 30_000_000);
        assert_eq!(next_gas_limit(30_000_000, 60_000_000), 30_029_295);
        assert_eq!(next_gas_limit(30_000_000, 30_000_100), 30_000_100);
        assert_eq!(next_gas_limit(30_000_000, 1), 29_970_705);
    }
}
