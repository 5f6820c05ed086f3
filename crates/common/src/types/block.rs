//! Blocks, headers and bodies, and the roots a header commits to.
//!
//! `Header` is alloy's: every field through Prague's `requests_hash`, with optional fields
//! encoded only when present (and no later one is absent), as each fork requires.

use alloy_primitives::B256;
use alloy_rlp::Decodable;

use super::{Transaction, Withdrawal};
use crate::{CommonError, Result};

/// A block header (hash: [`Header::hash_slow`]).
pub use alloy_consensus::Header;

/// A block: header and body, with ethrex's transaction type.
pub type Block = alloy_consensus::Block<Transaction>;

/// A block body: transactions, ommers and (from Shanghai) withdrawals.
pub type BlockBody = alloy_consensus::BlockBody<Transaction>;

/// Decodes an RLP-encoded block, rejecting trailing bytes.
pub fn decode_block(bytes: &[u8]) -> Result<Block> {
    let mut buf = bytes;
    let block = Block::decode(&mut buf).map_err(|e| CommonError::rlp("block", e))?;
    if !buf.is_empty() {
        return Err(CommonError::TrailingBytes {
            what: "block",
            count: buf.len(),
        });
    }
    Ok(block)
}

/// The transactions root: the ordered trie of the EIP-2718 encodings.
pub fn transactions_root(transactions: &[Transaction]) -> B256 {
    ethrex_trie::ordered_trie_root(transactions.iter().map(Transaction::encode_2718))
}

/// The withdrawals root (EIP-4895): the ordered trie of the RLP encodings.
pub fn withdrawals_root(withdrawals: &[Withdrawal]) -> B256 {
    ethrex_trie::ordered_trie_root(withdrawals.iter().map(alloy_rlp::encode))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::constants::EMPTY_TRIE_ROOT;
    use alloy_primitives::{Address, b256};

    #[test]
    fn empty_lists_have_the_empty_root() {
        assert_eq!(transactions_root(&[]), EMPTY_TRIE_ROOT);
        assert_eq!(withdrawals_root(&[]), EMPTY_TRIE_ROOT);
    }

    #[test]
    fn withdrawals_root_matches_alloy_reference() {
        let withdrawals: Vec<Withdrawal> = (0..20u64)
            .map(|i| Withdrawal {
                index: i,
                validator_index: i * 3,
                address: Address::repeat_byte(i as u8),
                amount: i * 1000,
            })
            .collect();
        let reference = alloy_consensus::proofs::calculate_withdrawals_root(&withdrawals);
        assert_eq!(withdrawals_root(&withdrawals), reference);
    }

    #[test]
    fn header_hash_of_mainnet_genesis_header() {
        // Mainnet's genesis header, field by field (yellow paper appendix and every client).
        let header = Header {
            difficulty: alloy_primitives::U256::from(0x400000000u64),
            extra_data: alloy_primitives::hex!(
                "11bbe8db4e347b4e8c937c1c8370e4b5ed33adb3db69cbdb7a38e1e50b1b82fa"
            )
            .into(),
            gas_limit: 5000,
            nonce: alloy_primitives::B64::from(0x42u64),
            state_root: b256!("d7f8974fb5ac78d9ac099b9ad5018bedc2ce0a72dad1827a1709da30580f0544"),
            ommers_hash: crate::constants::EMPTY_OMMERS_HASH,
            transactions_root: EMPTY_TRIE_ROOT,
            receipts_root: EMPTY_TRIE_ROOT,
            ..Default::default()
        };
        assert_eq!(
            header.hash_slow(),
            b256!("d4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3")
        );
    }

    #[test]
    fn truncated_block_rlp_is_a_clear_error() {
        let block = Block::new(Header::default(), BlockBody::default());
        let mut bytes = alloy_rlp::encode(&block);
        bytes.pop();
        let err = decode_block(&bytes).unwrap_err();
        assert!(err.to_string().starts_with("invalid block RLP"), "{err}");
        let mut extra = alloy_rlp::encode(&block);
        extra.push(0);
        assert!(matches!(
            decode_block(&extra),
            Err(CommonError::TrailingBytes { .. })
        ));
    }
}
