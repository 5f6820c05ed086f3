//! What the rollup keeps besides the chain: the fee parameters each L2 block was built with
//! ([`FeeConfig`]), which re-executing the block needs (restarts, batch proving).
//!
//! Stored in [`Table::Misc`] under `rollup/fee_config/<block hash>`, RLP-encoded; written before
//! the block itself, so a stored rollup block always has its fee parameters.

use alloy_primitives::B256;
use alloy_rlp::Decodable;
use ethrex_common::types::FeeConfig;

use crate::{Result, Store, StoreError, backend::WriteBatch, tables::Table};

const FEE_CONFIG_PREFIX: &[u8] = b"rollup/fee_config/";

fn fee_config_key(block_hash: &B256) -> Vec<u8> {
    [FEE_CONFIG_PREFIX, block_hash.as_slice()].concat()
}

impl Store {
    /// Records the fee parameters of the rollup block `block_hash`.
    pub fn set_fee_config(&self, block_hash: &B256, config: &FeeConfig) -> Result<()> {
        let mut batch = WriteBatch::new();
        batch.put(
            Table::Misc,
            fee_config_key(block_hash),
            alloy_rlp::encode(config),
        );
        self.backend.write(batch)
    }

    /// The fee parameters of the rollup block `block_hash`, if recorded.
    pub fn fee_config(&self, block_hash: &B256) -> Result<Option<FeeConfig>> {
        let key = fee_config_key(block_hash);
        let Some(bytes) = self.backend.get(Table::Misc, &key)? else {
            return Ok(None);
        };
        FeeConfig::decode(&mut bytes.as_slice())
            .map(Some)
            .map_err(|e| StoreError::corrupt(Table::Misc, &key, e))
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::Address;

    use super::*;

    #[test]
    fn fee_configs_are_kept_per_block() {
        let store = Store::in_memory();
        let config = FeeConfig {
            base_fee_vault: Some(Address::repeat_byte(1)),
            operator_fee_per_gas: 3,
            ..FeeConfig::default()
        };
        let hash = B256::repeat_byte(7);
        assert_eq!(store.fee_config(&hash).unwrap(), None);
        store.set_fee_config(&hash, &config).unwrap();
        assert_eq!(store.fee_config(&hash).unwrap(), Some(config));
        assert_eq!(store.fee_config(&B256::repeat_byte(8)).unwrap(), None);
    }
}
