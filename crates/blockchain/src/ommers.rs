//! Ommer (uncle) rules of proof-of-work blocks: `validate_ommers` of execution-specs
//! (`src/ethereum/<fork>/fork.py`, Frontier to Gray Glacier; after the merge `execution.rs`
//! rejects any ommer).
//!
//! A block at number `n` may name at most [`MAX_OMMERS`] distinct ommers. Each one:
//! - is not the block itself, one of its [`MAX_OMMER_DEPTH`] + 1 most recent ancestors, nor an
//!   ommer one of those ancestors already included;
//! - is not a sibling of the block (same parent);
//! - has a number in `[n - MAX_OMMER_DEPTH, n - 1]` and a parent among those ancestors;
//! - has a valid header against that parent (the header rules of `header.rs`).
//!
//! Ancestors are found through a lookup by hash, so the block's branch may be a side branch or
//! blocks of the current import batch not stored yet (`exec_db::Ancestry::block`).

use std::collections::HashSet;

use alloy_primitives::B256;
use ethrex_common::{
    ChainConfig,
    types::{Block, Header},
};
use ethrex_vm::{StateError, VmError};

use crate::{BlockError, Result, header::validate_header};

/// At most this many ommers per block.
pub(crate) const MAX_OMMERS: usize = 2;
/// An ommer is at most this many blocks older than the block naming it.
pub(crate) const MAX_OMMER_DEPTH: u64 = 6;

/// The block with this hash, if known. A failure (the database's) is not a verdict on the block.
pub(crate) type BlockLookup<'a> = &'a dyn Fn(&B256) -> std::result::Result<Option<Block>, VmError>;

/// Checks the ommers of `block` (whose hash is `block_hash`); its ancestors come from `lookup`.
pub(crate) fn validate_ommers(
    config: &ChainConfig,
    block: &Block,
    block_hash: B256,
    lookup: BlockLookup<'_>,
) -> Result<()> {
    let ommers = &block.body.ommers;
    if ommers.is_empty() {
        return Ok(());
    }
    if ommers.len() > MAX_OMMERS {
        return Err(BlockError::InvalidBody(format!(
            "{} ommers, at most {MAX_OMMERS}",
            ommers.len()
        )));
    }
    let hashes: Vec<B256> = ommers.iter().map(Header::hash_slow).collect();
    let mut seen = HashSet::new();
    for hash in &hashes {
        if !seen.insert(*hash) {
            return Err(invalid(*hash, "included twice".into()));
        }
    }
    let header = &block.header;
    let ancestors = recent_ancestors(header, lookup)?;
    let already_included: HashSet<B256> = ancestors
        .iter()
        .flat_map(|(_, b)| b.body.ommers.iter().map(Header::hash_slow))
        .collect();
    for (ommer, &hash) in ommers.iter().zip(&hashes) {
        if hash == block_hash {
            return Err(invalid(hash, "is the block itself".into()));
        }
        if let Some((_, ancestor)) = ancestors.iter().find(|(h, _)| *h == hash) {
            return Err(invalid(
                hash,
                format!("is ancestor #{} of the block", ancestor.header.number),
            ));
        }
        if already_included.contains(&hash) {
            return Err(invalid(
                hash,
                "is already an ommer of one of the block's ancestors".into(),
            ));
        }
        if ommer.parent_hash == header.parent_hash {
            return Err(invalid(
                hash,
                "is a sibling of the block (same parent)".into(),
            ));
        }
        let lowest = header.number.saturating_sub(MAX_OMMER_DEPTH);
        if ommer.number >= header.number || ommer.number < lowest {
            return Err(invalid(
                hash,
                format!(
                    "number {} outside [{lowest}, {}]",
                    ommer.number,
                    header.number.saturating_sub(1)
                ),
            ));
        }
        let Some((_, parent)) = ancestors.iter().find(|(h, _)| *h == ommer.parent_hash) else {
            return Err(invalid(
                hash,
                format!(
                    "parent {} is not one of the block's {} most recent ancestors",
                    ommer.parent_hash,
                    MAX_OMMER_DEPTH + 1
                ),
            ));
        };
        validate_header(config, ommer, &parent.header).map_err(|e| invalid(hash, e.to_string()))?;
    }
    Ok(())
}

fn invalid(hash: B256, reason: String) -> BlockError {
    BlockError::InvalidOmmer { hash, reason }
}

/// The `MAX_OMMER_DEPTH + 1` most recent ancestors of `header` (fewer near genesis) with their
/// hashes, parent first.
fn recent_ancestors(header: &Header, lookup: BlockLookup<'_>) -> Result<Vec<(B256, Block)>> {
    let mut ancestors = Vec::new();
    let mut hash = header.parent_hash;
    for _ in 0..=MAX_OMMER_DEPTH {
        let block = lookup(&hash)?.ok_or(VmError::Database(StateError::MissingBlock(hash)))?;
        let (parent_hash, number) = (block.header.parent_hash, block.header.number);
        ancestors.push((hash, block));
        if number == 0 {
            break;
        }
        hash = parent_hash;
    }
    Ok(ancestors)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use alloy_primitives::U256;
    use ethrex_common::{Fork, types::BlockBody};

    use super::*;
    use crate::header::tests::{homestead_child, homestead_genesis};

    /// A Homestead chain: `blocks[i]` is canonical block `i`; `known` holds every block built
    /// (canonical or not) by hash.
    struct Chain {
        config: ChainConfig,
        blocks: Vec<Block>,
        known: HashMap<B256, Block>,
    }

    impl Chain {
        /// Genesis and canonical blocks 1..=`length`.
        fn new(length: u64) -> Self {
            let genesis = Block {
                header: homestead_genesis(),
                body: BlockBody::default(),
            };
            let mut chain = Chain {
                config: ChainConfig::all_active_up_to(1, Fork::Homestead),
                blocks: Vec::new(),
                known: HashMap::new(),
            };
            chain.add(genesis.clone());
            chain.blocks.push(genesis);
            for _ in 0..length {
                let tip = chain.tip().header.clone();
                let block = chain.child(&tip, 0, Vec::new());
                chain.blocks.push(block);
            }
            chain
        }

        fn tip(&self) -> &Block {
            &self.blocks[self.blocks.len() - 1]
        }

        fn header(&self, number: usize) -> Header {
            self.blocks[number].header.clone()
        }

        fn add(&mut self, block: Block) {
            self.known.insert(block.header.hash_slow(), block);
        }

        /// A valid child of `parent` naming `ommers`; `salt` (its extra data) tells siblings
        /// apart. Remembered in `known`.
        fn child(&mut self, parent: &Header, salt: u8, ommers: Vec<Header>) -> Block {
            let header = homestead_child(parent, &[salt], &ommers);
            let block = Block {
                header,
                body: BlockBody {
                    ommers,
                    ..Default::default()
                },
            };
            self.add(block.clone());
            block
        }

        /// A side block: a child of canonical block `number` other than the canonical one.
        fn uncle_of(&mut self, number: usize) -> Header {
            let parent = self.header(number);
            self.child(&parent, 1, Vec::new()).header
        }

        /// Checks a new tip naming `ommers`.
        fn check(&mut self, ommers: Vec<Header>) -> Result<()> {
            let parent = self.tip().header.clone();
            let block = self.child(&parent, 0, ommers);
            self.check_block(&block, block.header.hash_slow())
        }

        fn check_block(&self, block: &Block, hash: B256) -> Result<()> {
            let lookup = |h: &B256| Ok(self.known.get(h).cloned());
            validate_ommers(&self.config, block, hash, &lookup)
        }
    }

    /// The reason of an `InvalidOmmer` error naming `hash`.
    fn ommer_error(result: Result<()>, hash: B256) -> String {
        match result {
            Err(BlockError::InvalidOmmer { hash: got, reason }) if got == hash => reason,
            other => panic!("expected an invalid ommer {hash}, got {other:?}"),
        }
    }

    #[test]
    fn ommers_one_to_six_blocks_old_with_ancestor_parents_are_valid() {
        let mut chain = Chain::new(8);
        // The new tip is #9: ommers #8 (parent #7) and #3 (parent #2) are 1 and 6 blocks old.
        let newest = chain.uncle_of(7);
        let oldest = chain.uncle_of(2);
        assert_eq!(chain.check(vec![newest, oldest]), Ok(()));
    }

    #[test]
    fn a_block_without_ommers_needs_no_lookup() {
        let chain = Chain::new(1);
        let block = chain.tip().clone();
        let lookup = |_: &B256| Err(VmError::Internal("unreachable".into()));
        assert_eq!(
            validate_ommers(&chain.config, &block, B256::ZERO, &lookup),
            Ok(())
        );
    }

    #[test]
    fn more_than_two_ommers_are_rejected() {
        let mut chain = Chain::new(8);
        let ommers = vec![chain.uncle_of(5), chain.uncle_of(6), chain.uncle_of(7)];
        assert_eq!(
            chain.check(ommers),
            Err(BlockError::InvalidBody("3 ommers, at most 2".into()))
        );
    }

    #[test]
    fn an_ommer_included_twice_is_rejected() {
        let mut chain = Chain::new(8);
        let ommer = chain.uncle_of(6);
        let hash = ommer.hash_slow();
        let reason = ommer_error(chain.check(vec![ommer.clone(), ommer]), hash);
        assert_eq!(reason, "included twice");
    }

    #[test]
    fn an_ommer_older_than_six_blocks_is_rejected() {
        let mut chain = Chain::new(8);
        // #2 (parent #1) named by #9: seven blocks old.
        let ommer = chain.uncle_of(1);
        let hash = ommer.hash_slow();
        let reason = ommer_error(chain.check(vec![ommer]), hash);
        assert_eq!(reason, "number 2 outside [3, 8]");
    }

    #[test]
    fn a_sibling_is_not_an_ommer() {
        let mut chain = Chain::new(8);
        let sibling = chain.uncle_of(8);
        let hash = sibling.hash_slow();
        let reason = ommer_error(chain.check(vec![sibling]), hash);
        assert_eq!(reason, "is a sibling of the block (same parent)");
    }

    #[test]
    fn an_ancestor_is_not_an_ommer() {
        let mut chain = Chain::new(8);
        let ancestor = chain.header(5);
        let hash = ancestor.hash_slow();
        let reason = ommer_error(chain.check(vec![ancestor]), hash);
        assert_eq!(reason, "is ancestor #5 of the block");
    }

    #[test]
    fn an_ommer_already_included_by_an_ancestor_is_rejected() {
        let mut chain = Chain::new(6);
        // #7 names the ommer #6; #9 names it again (it is three blocks old, so age allows it).
        let ommer = chain.uncle_of(5);
        let hash = ommer.hash_slow();
        let seven = chain.child(&chain.header(6), 0, vec![ommer.clone()]);
        chain.blocks.push(seven);
        let eight = chain.child(&chain.tip().header.clone(), 0, Vec::new());
        chain.blocks.push(eight);
        let reason = ommer_error(chain.check(vec![ommer]), hash);
        assert_eq!(
            reason,
            "is already an ommer of one of the block's ancestors"
        );
    }

    #[test]
    fn the_block_itself_is_not_an_ommer() {
        let mut chain = Chain::new(8);
        let ommer = chain.uncle_of(6);
        let hash = ommer.hash_slow();
        let parent = chain.tip().header.clone();
        let block = chain.child(&parent, 0, vec![ommer]);
        // A block cannot name its own header (its hash covers its ommers): check the rule by
        // claiming the ommer's hash as the block's.
        let reason = ommer_error(chain.check_block(&block, hash), hash);
        assert_eq!(reason, "is the block itself");
    }

    #[test]
    fn an_ommer_whose_parent_is_not_an_ancestor_is_rejected() {
        let mut chain = Chain::new(8);
        // #7 on a side branch: its parent is the side block #6, not an ancestor of #9.
        let side = chain.uncle_of(5);
        let ommer = chain.child(&side, 2, Vec::new()).header;
        let hash = ommer.hash_slow();
        let reason = ommer_error(chain.check(vec![ommer]), hash);
        assert_eq!(
            reason,
            format!(
                "parent {} is not one of the block's 7 most recent ancestors",
                side.hash_slow()
            )
        );
    }

    #[test]
    fn an_ommer_with_an_invalid_header_is_rejected() {
        let mut chain = Chain::new(8);
        let mut ommer = chain.uncle_of(6);
        ommer.difficulty += U256::from(1);
        let hash = ommer.hash_slow();
        let reason = ommer_error(chain.check(vec![ommer]), hash);
        assert!(reason.starts_with("invalid header: difficulty"), "{reason}");
    }

    #[test]
    fn a_missing_ancestor_is_a_database_failure() {
        let mut chain = Chain::new(8);
        let ommer = chain.uncle_of(6);
        let missing = chain.header(4).hash_slow();
        chain.known.remove(&missing);
        let err = chain.check(vec![ommer]).unwrap_err();
        assert!(
            matches!(&err, BlockError::Vm(VmError::Database(StateError::MissingBlock(h))) if *h == missing),
            "{err:?}"
        );
    }
}
