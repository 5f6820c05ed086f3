//! Account state as stored in the state trie: `rlp([nonce, balance, storage_root, code_hash])`.

use alloy_primitives::{B256, U256};
use alloy_rlp::{RlpDecodable, RlpEncodable};

use crate::constants::{EMPTY_CODE_HASH, EMPTY_TRIE_ROOT};

/// The value of an account's leaf in the state trie.
#[derive(Debug, Clone, Copy, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct AccountState {
    pub nonce: u64,
    pub balance: U256,
    /// Root of the account's storage trie.
    pub storage_root: B256,
    /// Keccak-256 of the account's code.
    pub code_hash: B256,
}

impl Default for AccountState {
    /// An empty account: no nonce, no balance, no storage, no code.
    fn default() -> Self {
        AccountState {
            nonce: 0,
            balance: U256::ZERO,
            storage_root: EMPTY_TRIE_ROOT,
            code_hash: EMPTY_CODE_HASH,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_rlp::{Decodable, Encodable};

    #[test]
    fn account_state_rlp_roundtrips() {
        let account = AccountState {
            nonce: 7,
            balance: U256::from(10u64).pow(U256::from(20)),
            ..Default::default()
        };
        let mut out = Vec::new();
        account.encode(&mut out);
        assert_eq!(out[0], 0xf8, "a list longer than 55 bytes");
        assert_eq!(AccountState::decode(&mut out.as_slice()).unwrap(), account);
    }

    #[test]
    fn truncated_account_rlp_is_an_error() {
        let mut out = Vec::new();
        AccountState::default().encode(&mut out);
        out.truncate(out.len() - 1);
        assert!(AccountState::decode(&mut out.as_slice()).is_err());
    }
}
