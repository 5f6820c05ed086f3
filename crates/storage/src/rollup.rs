//! What the rollup keeps besides the chain: the fee parameters each L2 block was built with
//! ([`FeeConfig`]), which re-executing the block needs (restarts, batch proving).
//!
//! Stored in [`Table::Misc`] under `rollup/fee_config/<block hash>`, RLP-encoded; written before
//! the block itself, so a stored rollup block always has its fee parameters.
//!
//! The sequencer's own records (batches, queued privileged transactions, witnesses, proofs)
//! are opaque values under `rollup/seq/<key>` ([`Store::rollup_value`],
//! [`Store::write_rollup_values`]): the storage does not know their types.

use alloy_primitives::B256;
use alloy_rlp::Decodable;
use ethrex_common::types::FeeConfig;

use crate::{Result, Store, StoreError, backend::WriteBatch, tables::Table};

const FEE_CONFIG_PREFIX: &[u8] = b"rollup/fee_config/";
const SEQUENCER_PREFIX: &[u8] = b"rollup/seq/";

fn fee_config_key(block_hash: &B256) -> Vec<u8> {
    [FEE_CONFIG_PREFIX, block_hash.as_slice()].concat()
}

impl Store {
    /// The sequencer's value under `key`, if any.
    pub fn rollup_value(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.backend
            .get(Table::Misc, &[SEQUENCER_PREFIX, key].concat())
    }

    /// Writes (`Some`) or deletes (`None`) the sequencer's values, all in one atomic write.
    pub fn write_rollup_values(&self, writes: &[(&[u8], Option<&[u8]>)]) -> Result<()> {
        let mut batch = WriteBatch::new();
        for (key, value) in writes {
            let key = [SEQUENCER_PREFIX, key].concat();
            match value {
                Some(value) => batch.put(Table::Misc, key, value.to_vec()),
                None => batch.delete(Table::Misc, key),
            }
        }
        self.backend.write(batch)
    }

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

    #[test]
    fn sequencer_values_are_written_together_and_deleted() {
        let store = Store::in_memory();
        store
            .write_rollup_values(&[(b"a", Some(b"1")), (b"b", Some(b"2"))])
            .unwrap();
        assert_eq!(store.rollup_value(b"a").unwrap(), Some(b"1".to_vec()));
        assert_eq!(store.rollup_value(b"b").unwrap(), Some(b"2".to_vec()));
        store
            .write_rollup_values(&[(b"a", None), (b"b", Some(b"3"))])
            .unwrap();
        assert_eq!(store.rollup_value(b"a").unwrap(), None);
        assert_eq!(store.rollup_value(b"b").unwrap(), Some(b"3".to_vec()));
        // Not the fee configs' namespace.
        assert_eq!(store.fee_config(&B256::ZERO).unwrap(), None);
    }
}
