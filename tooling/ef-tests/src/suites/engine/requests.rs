//! The execution requests (EIP-7685) of a Prague-or-later block, which `engine_newPayloadV4`
//! takes beside the payload.
//!
//! A header whose requests hash is `sha256("")` commits to no requests: the list is empty. For
//! the others the requests come from our own executor: a [`LocalChain`] (an in-memory store on
//! the test's genesis, importing the test's valid blocks as the replay goes) builds the block
//! again on its parent with `payload::build_on` (same attributes, same transactions) and takes
//! the requests it produced. This is not circular: the header's requests hash binds them, and
//! the node recomputes that hash from the list it receives.

use alloy_primitives::Bytes;
use ethrex_blockchain::{BlockAttributes, Blockchain, payload::build_on, requests::requests_hash};
use ethrex_common::{ChainConfig, constants::EMPTY_REQUESTS_HASH, types::Block};
use ethrex_storage::Store;

use crate::suites::blockchain::{BlockchainTest, pre_state};

/// Whether some block of the test commits to a non-empty list of requests.
pub(super) fn needs_executor(blocks: &[Option<Block>]) -> bool {
    blocks.iter().flatten().any(|block| {
        block
            .header
            .requests_hash
            .is_some_and(|hash| hash != EMPTY_REQUESTS_HASH)
    })
}

/// The test's chain, executed in process.
pub(super) struct LocalChain {
    chain: Blockchain,
}

impl LocalChain {
    /// The test's genesis and pre-state in an in-memory store.
    pub(super) fn new(
        test: &BlockchainTest,
        genesis: &Block,
        config: &ChainConfig,
    ) -> Result<Self, String> {
        let store = Store::in_memory();
        store
            .init_chain(genesis, &pre_state(&test.pre), config)
            .map_err(|e| format!("local chain genesis: {e}"))?;
        let chain = Blockchain::new(store).map_err(|e| format!("local chain: {e}"))?;
        Ok(LocalChain { chain })
    }

    /// Imports a valid block, so that later blocks find their parent's state.
    pub(super) fn import(&self, block: &Block) -> Result<(), String> {
        self.chain
            .import_block(block)
            .map(|_| ())
            .map_err(|e| format!("local import of block {}: {e}", block.header.number))
    }

    /// `block`'s requests as our executor produces them on its parent (each `type ‖ data`,
    /// empty ones left out), with what went wrong if they do not match the header's hash (an
    /// empty list when the block cannot be built: parent unknown, attributes invalid).
    fn executed_requests(&self, block: &Block) -> (Vec<Bytes>, Option<String>) {
        let header = &block.header;
        let parent = match self.chain.store().header_by_hash(&header.parent_hash) {
            Ok(Some(parent)) => parent,
            Ok(None) => {
                return (
                    vec![],
                    Some(format!("parent {} unknown", header.parent_hash)),
                );
            }
            Err(e) => return (vec![], Some(e.to_string())),
        };
        let attributes = BlockAttributes {
            timestamp: header.timestamp,
            fee_recipient: header.beneficiary,
            prev_randao: header.mix_hash,
            gas_limit: header.gas_limit,
            extra_data: header.extra_data.clone(),
            withdrawals: block.body.withdrawals.as_ref().map(|w| w.to_vec()),
            parent_beacon_block_root: header.parent_beacon_block_root,
        };
        let transactions = block.body.transactions.clone();
        let requests = match build_on(&self.chain, &parent, attributes, transactions) {
            Ok(built) => built.requests.unwrap_or_default(),
            Err(e) => return (vec![], Some(format!("cannot execute the block: {e}"))),
        };
        let hash = requests_hash(&requests);
        let problem = (Some(hash) != header.requests_hash).then(|| {
            format!(
                "executed requests hash {hash} differs from the header's {:?}",
                header.requests_hash
            )
        });
        (encode(&requests), problem)
    }
}

/// The requests to send with `block` (Prague or later): none when its header commits to none,
/// else those of `local`'s execution; with what went wrong if the list does not match the
/// header (the list is then the best available: the node must reject an invalid block anyway,
/// and a valid one fails the test).
pub(super) fn requests_for(
    block: &Block,
    local: Option<&LocalChain>,
) -> (Vec<Bytes>, Option<String>) {
    match (block.header.requests_hash, local) {
        (None, _) => (vec![], None),
        (Some(hash), _) if hash == EMPTY_REQUESTS_HASH => (vec![], None),
        (Some(_), Some(local)) => local.executed_requests(block),
        (Some(_), None) => (vec![], Some("no local chain to execute the block".into())),
    }
}

/// Requests as the Engine API sends them: `type ‖ data`, empty ones left out.
fn encode(requests: &[(u8, Bytes)]) -> Vec<Bytes> {
    requests
        .iter()
        .filter(|(_, data)| !data.is_empty())
        .map(|(ty, data)| {
            let mut bytes = Vec::with_capacity(data.len() + 1);
            bytes.push(*ty);
            bytes.extend_from_slice(data);
            Bytes::from(bytes)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_header_committing_to_no_requests_needs_no_execution() {
        let mut block = Block::default();
        block.header.requests_hash = Some(EMPTY_REQUESTS_HASH);
        assert_eq!(requests_for(&block, None), (vec![], None));
        assert!(!needs_executor(&[Some(block.clone()), None]));
        block.header.requests_hash = Some(alloy_primitives::B256::repeat_byte(1));
        assert!(needs_executor(&[Some(block.clone())]));
        let (requests, problem) = requests_for(&block, None);
        assert!(requests.is_empty() && problem.is_some());
    }

    #[test]
    fn requests_are_typed_and_empty_ones_left_out() {
        let requests = [
            (0u8, Bytes::from(vec![1, 2])),
            (1u8, Bytes::new()),
            (2u8, Bytes::from(vec![3])),
        ];
        assert_eq!(
            encode(&requests),
            vec![Bytes::from(vec![0, 1, 2]), Bytes::from(vec![2, 3])]
        );
    }
}
