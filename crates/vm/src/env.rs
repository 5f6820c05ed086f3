//! The execution environment: the block a transaction runs in and the rules of its fork.

use alloy_primitives::{Address, B256, U256};
use ethrex_common::{BlobParams, Fork, eip4844::blob_base_fee};

/// What the VM needs to know about the block being executed.
#[derive(Debug, Clone)]
pub struct BlockEnv {
    pub fork: Fork,
    pub chain_id: u64,
    pub number: u64,
    pub coinbase: Address,
    pub timestamp: u64,
    pub gas_limit: u64,
    /// EIP-1559 base fee (London on).
    pub base_fee: Option<U256>,
    /// Pre-merge difficulty (the DIFFICULTY opcode).
    pub difficulty: U256,
    /// Post-merge randomness (the PREVRANDAO opcode).
    pub prev_randao: Option<B256>,
    /// EIP-4844 excess blob gas of the block (Cancun on).
    pub excess_blob_gas: Option<u64>,
    /// Blob parameters in force (Cancun on).
    pub blob_params: Option<BlobParams>,
    /// A blob base fee to use instead of the one of `excess_blob_gas` (the RPC's
    /// `blobBaseFee` block override): BLOBBASEFEE and blob fees follow it, the header does not.
    pub blob_base_fee_override: Option<U256>,
}

impl BlockEnv {
    /// The blob base fee (EIP-4844, or the override), when the fork has
    /// blobs.
    pub fn blob_base_fee(&self) -> Option<U256> {
        let params = self.blob_params?;
        if let Some(fee) = self.blob_base_fee_override {
            return Some(fee);
        }
        Some(blob_base_fee(
            self.excess_blob_gas.unwrap_or(0),
            params.base_fee_update_fraction,
        ))
    }
}
