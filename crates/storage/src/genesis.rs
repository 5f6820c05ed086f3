//! [`Store::init_genesis`] / [`Store::init_chain`]: writes a chain's genesis block, state and
//! config in one batch, or checks that the stored chain starts with that genesis.

use alloy_primitives::{B256, U256};
use ethrex_common::{
    ChainConfig, Genesis,
    state::{AccountChange, AccountInfo, StateChanges},
    types::Block,
};
use ethrex_trie::EMPTY_TRIE_ROOT;

use crate::{
    Result, Store, StoreError,
    blocks::Placement,
    tables::{ChainDataKey, Table},
};

impl Store {
    /// Initializes an empty store with `genesis`: the genesis block (canonical, the head, safe
    /// and finalized), its state and the chain config, in one atomic write. On a store that
    /// already has a block 0, only checks that it is this genesis' block.
    ///
    /// Returns the genesis block hash.
    pub fn init_genesis(&self, genesis: &Genesis) -> Result<B256> {
        self.init_chain(
            &genesis.block()?,
            &genesis_changes(genesis),
            genesis.config(),
        )
    }

    /// [`Store::init_genesis`] from its parts: the genesis `block`, its `alloc`ation as changes
    /// on the empty state, and the chain `config`.
    pub fn init_chain(
        &self,
        block: &Block,
        alloc: &StateChanges,
        config: &ChainConfig,
    ) -> Result<B256> {
        let hash = block.header.hash_slow();
        if let Some(stored) = self.canonical_hash(block.header.number)? {
            if stored != hash {
                return Err(StoreError::GenesisMismatch {
                    stored,
                    genesis: hash,
                });
            }
            return Ok(hash);
        }

        let update = self.prepare_state_update(EMPTY_TRIE_ROOT, alloc)?;
        if update.root != block.header.state_root {
            return Err(StoreError::GenesisStateRoot {
                computed: update.root,
                header: block.header.state_root,
            });
        }
        let config =
            serde_json::to_vec(config).map_err(|e| StoreError::Serialize(e.to_string()))?;
        let mut batch = self.blocks_batch(&[(block.clone(), Vec::new())], Placement::Canonical)?;
        let root = update.root;
        batch.extend(update.into_batch());
        batch.put(Table::ChainData, ChainDataKey::ChainConfig.key(), config);
        batch.put(
            Table::ChainData,
            ChainDataKey::SafeHash.key(),
            hash.as_slice(),
        );
        batch.put(
            Table::ChainData,
            ChainDataKey::FinalizedHash.key(),
            hash.as_slice(),
        );
        let mut layers = self.layers_write();
        self.backend.write(batch)?;
        layers.clear(root);
        Ok(hash)
    }
}

/// The genesis allocation as state changes on the empty state.
fn genesis_changes(genesis: &Genesis) -> StateChanges {
    let accounts = genesis
        .alloc()
        .iter()
        .map(|(address, account)| {
            let code = account.code.clone().filter(|code| !code.is_empty());
            let info = AccountInfo {
                nonce: account.nonce.unwrap_or(0),
                balance: account.balance,
                code_hash: code.as_ref().map_or(
                    AccountInfo::default().code_hash,
                    alloy_primitives::keccak256,
                ),
            };
            let storage = account
                .storage
                .iter()
                .flatten()
                .map(|(slot, value)| (U256::from_be_bytes(slot.0), U256::from_be_bytes(value.0)))
                .filter(|(_, value)| !value.is_zero())
                .collect();
            AccountChange {
                address: *address,
                info: Some(info),
                code,
                storage_cleared: false,
                storage,
            }
        })
        .collect();
    StateChanges { accounts }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::{Address, Bytes};
    use ethrex_common::{Network, state::Database};

    use super::*;
    use crate::test_utils::{Harness, backend_tests};

    const SMALL_GENESIS: &str = r#"{
        "config": { "chainId": 1337, "homesteadBlock": 0, "eip150Block": 0, "eip155Block": 0,
            "eip158Block": 0, "byzantiumBlock": 0, "constantinopleBlock": 0, "petersburgBlock": 0,
            "istanbulBlock": 0, "berlinBlock": 0, "londonBlock": 0,
            "terminalTotalDifficulty": 0, "shanghaiTime": 0, "cancunTime": 0 },
        "gasLimit": "0x1c9c380",
        "difficulty": "0x0",
        "alloc": {
            "0x00000000000000000000000000000000000000aa": { "balance": "0x100",
                "code": "0x6001600055", "storage": { "0x01": "0x02", "0x03": "0x00" } },
            "0x00000000000000000000000000000000000000bb": { "balance": "0x5", "nonce": "0x7" }
        }
    }"#;

    fn genesis_is_written_once_and_read_back(h: &Harness) {
        let genesis = Genesis::from_json(SMALL_GENESIS).unwrap();
        let hash = {
            let store = h.open();
            store.init_genesis(&genesis).unwrap()
        };
        let store = h.open();
        assert_eq!(
            store.init_genesis(&genesis).unwrap(),
            hash,
            "second init only checks"
        );
        assert_eq!(store.canonical_hash(0).unwrap(), Some(hash));
        assert_eq!(store.head_hash().unwrap(), Some(hash));
        assert_eq!(store.safe_hash().unwrap(), Some(hash));
        assert_eq!(store.finalized_hash().unwrap(), Some(hash));
        assert_eq!(
            store.chain_config().unwrap().as_ref(),
            Some(genesis.config())
        );

        let header = store.header_by_number(0).unwrap().unwrap();
        let state = store.state_at(header.state_root).unwrap();
        let aa = Address::with_last_byte(0xaa);
        let account = state.account(&aa).unwrap().unwrap();
        assert_eq!(account.balance, U256::from(0x100));
        assert_eq!(
            state.code(&account.code_hash).unwrap(),
            Bytes::from(vec![0x60, 1, 0x60, 0, 0x55])
        );
        assert_eq!(state.storage(&aa, &U256::from(1)).unwrap(), U256::from(2));
        assert_eq!(state.storage(&aa, &U256::from(3)).unwrap(), U256::ZERO);
        let bb = state
            .account(&Address::with_last_byte(0xbb))
            .unwrap()
            .unwrap();
        assert_eq!((bb.nonce, bb.balance), (7, U256::from(5)));
        assert!(!state.has_storage(&Address::with_last_byte(0xbb)).unwrap());
    }

    fn another_genesis_is_refused(h: &Harness) {
        let store = h.open();
        let ours = store
            .init_genesis(&Genesis::from_json(SMALL_GENESIS).unwrap())
            .unwrap();
        let other = Network::Sepolia.genesis().unwrap();
        let err = store.init_genesis(&other).unwrap_err();
        let theirs = other.block().unwrap().header.hash_slow();
        assert_eq!(
            err.to_string(),
            format!("the database holds genesis {ours}, not this chain's genesis {theirs}")
        );
    }

    fn public_network_genesis_states_match_their_roots(h: &Harness) {
        // Holesky: ~1,000 accounts incl. the deposit contract's storage; Hoodi likewise.
        for network in [Network::Holesky, Network::Hoodi] {
            let store = Store::in_memory();
            let genesis = network.genesis().unwrap();
            store.init_genesis(&genesis).unwrap();
            let root = genesis.block().unwrap().header.state_root;
            assert_eq!(store.stored_state_root().unwrap(), root, "{network}");
        }
        // Mainnet's 8,893 accounts on the backend under test.
        let store = h.open();
        let hash = store
            .init_genesis(&Network::Mainnet.genesis().unwrap())
            .unwrap();
        assert_eq!(
            hash.to_string(),
            "0xd4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3"
        );
    }

    backend_tests!(
        genesis_is_written_once_and_read_back,
        another_genesis_is_refused,
        public_network_genesis_states_match_their_roots,
    );
}
