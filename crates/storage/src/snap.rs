//! Reading a state the way snap/1 serves it (devp2p `caps/snap.md`): the leaves of the account
//! trie or of one account's storage trie in key order from an origin, the Merkle proofs of a
//! range's edges, and trie nodes by path.
//!
//! Everything is read through the tries of a [`StateReader`], so it answers for every root
//! [`crate::Store::state_at`] opens — the disk state and every held diff layer (the last
//! [`crate::DEFAULT_STATE_WINDOW`] blocks, the head's included) — and a walk over a state that
//! goes away meanwhile fails with [`crate::StoreError::StateNotAvailable`] instead of reading
//! another state. Each step is one walk down from the root (`Trie::next_key`); the flat tables
//! would be faster for the disk state but are not consistent with a diff layer's root.

use std::ops::ControlFlow;

use alloy_primitives::{B256, Bytes};
use ethrex_common::types::AccountState;
use ethrex_trie::{Nibbles, Trie};

use crate::{Result, StateReader, StoreError, codec, tables::Table, trie_db::TrieOwner};

impl StateReader {
    /// The account whose hashed address is `hashed`, read through the account trie.
    pub fn account_by_hash(&self, hashed: &B256) -> Result<Option<AccountState>> {
        let trie = Trie::open(self.trie_db(TrieOwner::Accounts), self.root());
        trie.get(hashed.as_slice())?
            .map(|bytes| codec::rlp(Table::AccountTrieNodes, hashed.as_slice(), &bytes))
            .transpose()
    }

    /// The trie `owner` of this state, `None` for the storage trie of an absent account.
    fn owned_trie(&self, owner: TrieOwner) -> Result<Option<Trie>> {
        let root = match owner {
            TrieOwner::Accounts => self.root(),
            TrieOwner::Storage(hashed) => match self.account_by_hash(&hashed)? {
                Some(account) => account.storage_root,
                None => return Ok(None),
            },
        };
        Ok(Some(Trie::open(self.trie_db(owner), root)))
    }

    /// Visits the leaves (key, value as stored in the trie) of the trie `owner` whose key is
    /// at least `origin`, in key order, until `visit` breaks. Returns `false` (visiting
    /// nothing) for the storage trie of an absent account.
    pub fn for_each_leaf_from(
        &self,
        owner: TrieOwner,
        origin: &B256,
        visit: &mut dyn FnMut(B256, Vec<u8>) -> ControlFlow<()>,
    ) -> Result<bool> {
        let Some(trie) = self.owned_trie(owner)? else {
            return Ok(false);
        };
        let table = match owner {
            TrieOwner::Accounts => Table::AccountTrieNodes,
            TrieOwner::Storage(_) => Table::StorageTrieNodes,
        };
        let mut key = match trie.get(origin.as_slice())? {
            Some(value) => {
                if visit(*origin, value).is_break() {
                    return Ok(true);
                }
                trie.next_key(origin.as_slice())?
            }
            None => trie.next_key(origin.as_slice())?,
        };
        while let Some(next) = key {
            let hashed = B256::try_from(next.as_slice())
                .map_err(|_| StoreError::corrupt(table, &next, "a trie key is not 32 bytes"))?;
            let value = trie.get(&next)?.ok_or_else(|| {
                StoreError::corrupt(table, &next, "a key the trie lists has no value")
            })?;
            if visit(hashed, value).is_break() {
                break;
            }
            key = trie.next_key(&next)?;
        }
        Ok(true)
    }

    /// The union of the Merkle proofs of `keys` in the trie `owner` (each node once, in the
    /// order first met): the edge proofs of a range. Empty for an absent account's storage.
    pub fn range_proof(&self, owner: TrieOwner, keys: &[B256]) -> Result<Vec<Bytes>> {
        let Some(mut trie) = self.owned_trie(owner)? else {
            return Ok(Vec::new());
        };
        let mut nodes: Vec<Bytes> = Vec::new();
        for key in keys {
            for node in trie.get_proof(key.as_slice())? {
                if !nodes.iter().any(|n| n.as_ref() == node.as_slice()) {
                    nodes.push(Bytes::from(node));
                }
            }
        }
        Ok(nodes)
    }

    /// The RLP of the hash-referenced node at nibble path `path` of the trie `owner`, `None`
    /// when there is none (an absent account, a path off the trie or to an embedded node).
    pub fn trie_node(&self, owner: TrieOwner, path: &Nibbles) -> Result<Option<Vec<u8>>> {
        let Some(trie) = self.owned_trie(owner)? else {
            return Ok(None);
        };
        Ok(trie.node_at_path(path)?)
    }
}
