//! Protocol constants shared by every crate.

use alloy_primitives::{B256, b256};

/// Root of an empty Merkle-Patricia trie: `keccak256(rlp(""))`.
pub const EMPTY_TRIE_ROOT: B256 = ethrex_trie::EMPTY_TRIE_ROOT;

/// Keccak-256 of empty code.
pub const EMPTY_CODE_HASH: B256 =
    b256!("c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");

/// Hash of an empty ommers list: `keccak256(rlp([]))`.
pub const EMPTY_OMMERS_HASH: B256 =
    b256!("1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347");

/// EIP-7685 requests hash of a block with no requests: `sha256("")`.
pub const EMPTY_REQUESTS_HASH: B256 =
    b256!("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

/// Maximum deployed code size (EIP-170, Spurious Dragon).
pub const MAX_CODE_SIZE: usize = 24_576;

/// Maximum initcode size (EIP-3860, Shanghai): twice the EIP-170 limit.
pub const MAX_INITCODE_SIZE: usize = 2 * MAX_CODE_SIZE;

/// EIP-1559 base fee of the first London block when a genesis gives none.
pub const INITIAL_BASE_FEE: u64 = 1_000_000_000;

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::keccak256;

    #[test]
    fn constants_match_their_definitions() {
        assert_eq!(EMPTY_TRIE_ROOT, keccak256([0x80]));
        assert_eq!(EMPTY_CODE_HASH, keccak256([]));
        assert_eq!(EMPTY_OMMERS_HASH, keccak256([0xc0]));
    }
}
