//! The rollup's JSON-RPC methods (`ethrex_*`), served next to the node's own through
//! [`ethrex_rpc::ExtraMethods`] ([`L2Rpc`]), over the sequencer's records and the chain. Numbers
//! are JSON numbers; hashes and addresses `0x` hex.
//!
//! - `ethrex_batchNumber()` → the last sealed batch (0: only the genesis).
//! - `ethrex_getBatchByNumber("0x<n>" | n, full = false)` → `{number, first_block, last_block,
//!   state_root, blob_versioned_hash, privileged_transactions_hash, l1_messages_merkle_root,
//!   commit_tx, verify_tx}` (the L1 transactions `null` until sent), or `null` for a batch not
//!   sealed. With `full` = `true` (ours) the object also has `block_hashes`, the batch's block
//!   hashes in order.
//! - `ethrex_getWithdrawalProof(txHash)` → `null` while the transaction is pending or in a
//!   block no sealed batch holds yet; then one entry per L1 message the transaction sent, in
//!   emission order: `{batch_number, message_id, message_hash, merkle_proof}` — the message hash
//!   is its data (the withdrawal's data hash), the proof the sibling hashes from the leaf up
//!   (what `claimWithdrawal` takes), which verifies against the batch's
//!   `l1_messages_merkle_root`. A transaction without messages gives `[]`; one the node does not
//!   know is an error (-32000); a malformed hash -32602.
//! - `ethrex_getBaseFeeVaultAddress`, `ethrex_getOperatorFeeVaultAddress`,
//!   `ethrex_getOperatorFee`, `ethrex_getL1BlobBaseFee` take the block as `{"block_number": N}`
//!   (ours also: a plain block number or tag, `"latest"` when absent) and answer that block's
//!   recorded fee parameter: the vault address (`null`: none, the base fee is burned / no
//!   operator fee), the operator fee per gas (charged only with an operator vault) and the L1
//!   blob base fee the L1 data fee was priced at, as JSON numbers. A block without recorded fee
//!   parameters (the genesis) is an error.
//!
//! [`L2Rpc::fee_config`] gives `eth_call`, `eth_estimateGas` and `eth_gasPrice` the parameters
//! the next block will be built with: the block producer's settings with the L1 blob base fee
//! the watcher read last.

use std::sync::Arc;

use alloy_primitives::{B256, U256};
use ethrex_blockchain::{Blockchain, mempool::Mempool};
use ethrex_common::types::FeeConfig;
use ethrex_l2_common::{BatchMessages, messages::block_l1_messages};
use ethrex_rpc::{ExtraMethods, RpcError};
use serde_json::{Value, json};

use crate::{
    BlockProducerConfig, SequencerError, Shared,
    state::{Batch, RollupState},
};

/// The `ethrex_*` methods over a rollup chain and its sequencer's records.
#[derive(Debug, Clone)]
pub struct L2Rpc {
    chain: Arc<Blockchain>,
    state: RollupState,
    mempool: Option<Arc<Mempool>>,
    next_fees: Option<(BlockProducerConfig, Arc<Shared>)>,
}

impl L2Rpc {
    pub fn new(chain: Arc<Blockchain>, state: RollupState) -> Self {
        L2Rpc {
            chain,
            state,
            mempool: None,
            next_fees: None,
        }
    }

    /// Pending transactions of `mempool` get `null` withdrawal proofs (not an unknown-tx error).
    pub fn with_mempool(mut self, mempool: Arc<Mempool>) -> Self {
        self.mempool = Some(mempool);
        self
    }

    /// Calls are priced at the fee parameters the block producer builds the next block with.
    pub fn with_block_producer(mut self, config: BlockProducerConfig, shared: Arc<Shared>) -> Self {
        self.next_fees = Some((config, shared));
        self
    }

    /// Runs `method`; `None` when it is not an `ethrex_*` method of the rollup.
    pub fn call(&self, method: &str, params: &Value) -> Option<Result<Value, RpcError>> {
        let params = match params {
            Value::Array(values) => values.as_slice(),
            Value::Null => &[],
            other => std::slice::from_ref(other),
        };
        let result = match method {
            "ethrex_batchNumber" => self.batch_number(),
            "ethrex_getBatchByNumber" => self.batch_by_number(params),
            "ethrex_getWithdrawalProof" => self.withdrawal_proof(params),
            "ethrex_getBaseFeeVaultAddress" => {
                self.fee_parameter(params, |f| json!(f.base_fee_vault))
            }
            "ethrex_getOperatorFeeVaultAddress" => {
                self.fee_parameter(params, |f| json!(f.operator_fee_vault))
            }
            "ethrex_getOperatorFee" => {
                self.fee_parameter(params, |f| json!(f.operator_fee_per_gas))
            }
            "ethrex_getL1BlobBaseFee" => {
                self.fee_parameter(params, |f| json!(f.l1_fee_per_blob_gas))
            }
            _ => return None,
        };
        Some(result)
    }

    fn batch_number(&self) -> Result<Value, RpcError> {
        Ok(json!(self.state.last_batch_number().map_err(internal)?))
    }

    fn batch_by_number(&self, params: &[Value]) -> Result<Value, RpcError> {
        at_most(params, 2)?;
        let number = match params.first() {
            Some(value) => quantity(value, 0)?,
            None => {
                return Err(RpcError::invalid_params(
                    "missing value for required argument 0",
                ));
            }
        };
        let full = match params.get(1) {
            None | Some(Value::Null) => false,
            Some(Value::Bool(full)) => *full,
            Some(_) => return Err(RpcError::invalid_params("invalid argument 1: not a bool")),
        };
        let Some(batch) = self.state.batch(number).map_err(internal)? else {
            return Ok(Value::Null);
        };
        let mut json = batch_json(&batch);
        if full && let Some(object) = json.as_object_mut() {
            let mut hashes = Vec::new();
            for number in batch.first_block..=batch.last_block {
                let hash = self.chain.store().canonical_hash(number)?.ok_or_else(|| {
                    RpcError::internal(format!(
                        "block #{number} of batch {} is missing",
                        batch.number
                    ))
                })?;
                hashes.push(json!(hash));
            }
            object.insert("block_hashes".into(), Value::Array(hashes));
        }
        Ok(json)
    }

    fn withdrawal_proof(&self, params: &[Value]) -> Result<Value, RpcError> {
        at_most(params, 1)?;
        let hash = tx_hash(params.first())?;
        let store = self.chain.store();
        let Some(location) = store.tx_location(&hash)? else {
            if self
                .mempool
                .as_ref()
                .is_some_and(|pool| pool.contains(&hash))
            {
                return Ok(Value::Null);
            }
            return Err(RpcError::server(format!("transaction {hash} not found")));
        };
        let header = store.header_by_hash(&location.block_hash)?.ok_or_else(|| {
            RpcError::internal(format!(
                "block {} of transaction {hash} is missing",
                location.block_hash
            ))
        })?;
        let Some(batch) = self.batch_of_block(header.number).map_err(internal)? else {
            return Ok(Value::Null);
        };
        let messages = self.batch_messages(&batch)?;
        if messages.merkle_root() != batch.l1_messages_merkle_root {
            return Err(RpcError::internal(format!(
                "batch {}: its receipts give L1 messages root {}, its record says {}",
                batch.number,
                messages.merkle_root(),
                batch.l1_messages_merkle_root
            )));
        }
        let proofs: Vec<Value> = messages
            .proofs_of_tx(hash)
            .into_iter()
            .map(|proof| {
                json!({
                    "batch_number": batch.number,
                    "message_id": number_json(proof.message_id),
                    "message_hash": proof.data,
                    "merkle_proof": proof.merkle_proof,
                })
            })
            .collect();
        Ok(Value::Array(proofs))
    }

    /// The sealed batch holding block `number` (batches hold consecutive blocks in order).
    fn batch_of_block(&self, number: u64) -> Result<Option<Batch>, SequencerError> {
        let (mut lo, mut hi) = (1u64, self.state.last_batch_number()?);
        while lo <= hi {
            let mid = lo + (hi - lo) / 2;
            let batch = self.state.batch(mid)?.ok_or_else(|| {
                SequencerError::Corrupt(format!("sealed batch {mid} has no record"))
            })?;
            if number < batch.first_block {
                hi = mid.saturating_sub(1);
            } else if number > batch.last_block {
                lo = mid.saturating_add(1);
            } else {
                return Ok(Some(batch));
            }
        }
        Ok(None)
    }

    /// The L1 messages of `batch`'s blocks, from their receipts.
    fn batch_messages(&self, batch: &Batch) -> Result<BatchMessages, RpcError> {
        let store = self.chain.store();
        let mut messages = BatchMessages::new();
        for number in batch.first_block..=batch.last_block {
            let block = store.block_by_number(number)?.ok_or_else(|| {
                RpcError::internal(format!(
                    "block #{number} of batch {} is missing",
                    batch.number
                ))
            })?;
            let receipts = store.receipts(&block.header.hash_slow())?;
            let found = block_l1_messages(&block, &receipts)
                .map_err(|e| RpcError::internal(format!("block #{number}: {e}")))?;
            messages.extend(found.messages);
        }
        Ok(messages)
    }

    /// One recorded fee parameter of the block the params name.
    fn fee_parameter(
        &self,
        params: &[Value],
        pick: impl Fn(&FeeConfig) -> Value,
    ) -> Result<Value, RpcError> {
        at_most(params, 1)?;
        let store = self.chain.store();
        let number = match block_param(params.first())? {
            Some(number) => number,
            None => {
                store
                    .head_header()?
                    .ok_or_else(|| RpcError::internal("the chain has no head"))?
                    .number
            }
        };
        let hash = store
            .canonical_hash(number)?
            .ok_or_else(|| RpcError::server(format!("block #{number} not found")))?;
        let fees = store.fee_config(&hash)?.ok_or_else(|| {
            RpcError::server(format!("block #{number} has no recorded fee parameters"))
        })?;
        Ok(pick(&fees))
    }

    /// The fee parameters of the next block (`None` without the block producer's settings).
    pub fn fee_config(&self) -> Option<FeeConfig> {
        let (config, shared) = self.next_fees.as_ref()?;
        Some(config.fee_config(shared.l1_blob_base_fee()))
    }
}

impl ExtraMethods for L2Rpc {
    fn call(&self, method: &str, params: &Value) -> Option<Result<Value, RpcError>> {
        L2Rpc::call(self, method, params)
    }

    fn fee_config(&self) -> Option<FeeConfig> {
        L2Rpc::fee_config(self)
    }
}

/// A batch record as `ethrex_getBatchByNumber` shows it.
pub fn batch_json(batch: &Batch) -> Value {
    json!({
        "number": batch.number,
        "first_block": batch.first_block,
        "last_block": batch.last_block,
        "state_root": batch.state_root,
        "blob_versioned_hash": batch.blob_versioned_hash,
        "privileged_transactions_hash": batch.privileged_transactions_hash,
        "l1_messages_merkle_root": batch.l1_messages_merkle_root,
        "commit_tx": batch.commit_tx,
        "verify_tx": batch.verify_tx,
    })
}

fn internal(e: SequencerError) -> RpcError {
    RpcError::internal(e.to_string())
}

fn at_most(params: &[Value], n: usize) -> Result<(), RpcError> {
    if params.len() > n {
        return Err(RpcError::invalid_params(format!(
            "too many arguments, want at most {n}"
        )));
    }
    Ok(())
}

/// A JSON number when it fits in a `u64`, else `0x` hex.
fn number_json(n: U256) -> Value {
    match u64::try_from(n) {
        Ok(n) => json!(n),
        Err(_) => json!(format!("{n:#x}")),
    }
}

/// Parameter `index` as a number: a JSON number or a `0x` hex quantity.
fn quantity(value: &Value, index: usize) -> Result<u64, RpcError> {
    let invalid = |why: &str| RpcError::invalid_params(format!("invalid argument {index}: {why}"));
    match value {
        Value::Number(n) => n
            .as_u64()
            .ok_or_else(|| invalid("not a block or batch number")),
        Value::String(text) => {
            let digits = text
                .strip_prefix("0x")
                .ok_or_else(|| invalid("hex string without 0x prefix"))?;
            if digits.is_empty() || digits.len() > 16 {
                return Err(invalid("not a 64-bit hex quantity"));
            }
            u64::from_str_radix(digits, 16).map_err(|_| invalid("not a 64-bit hex quantity"))
        }
        _ => Err(invalid("not a number")),
    }
}

/// The block a fee method names: `{"block_number": N}`, a number, or `"latest"` (`None`).
fn block_param(value: Option<&Value>) -> Result<Option<u64>, RpcError> {
    let value = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(object)) => match object.get("block_number") {
            Some(inner @ (Value::Number(_) | Value::String(_))) if object.len() == 1 => inner,
            _ => {
                return Err(RpcError::invalid_params(
                    "invalid argument 0: want {\"block_number\": N}",
                ));
            }
        },
        Some(value) => value,
    };
    match value {
        Value::String(tag) if tag == "latest" => Ok(None),
        value => quantity(value, 0).map(Some),
    }
}

/// A transaction hash: `0x` and 64 hex digits.
fn tx_hash(value: Option<&Value>) -> Result<B256, RpcError> {
    let invalid = |why: &str| RpcError::invalid_params(format!("invalid argument 0: {why}"));
    let Some(Value::String(text)) = value else {
        return Err(invalid("want a transaction hash"));
    };
    let digits = text
        .strip_prefix("0x")
        .ok_or_else(|| invalid("hex string without 0x prefix"))?;
    if digits.len() != 64 {
        return Err(invalid("hex string of odd length or not 32 bytes"));
    }
    text.parse::<B256>().map_err(|_| invalid("not hex"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_are_parsed_strictly() {
        assert_eq!(quantity(&json!("0x1f"), 0).unwrap(), 31);
        assert_eq!(quantity(&json!(7), 0).unwrap(), 7);
        for bad in [
            json!("1f"),
            json!("0x"),
            json!("0xzz"),
            json!(-1),
            json!(true),
        ] {
            assert_eq!(quantity(&bad, 0).unwrap_err().code, -32602, "{bad}");
        }
        assert_eq!(
            block_param(Some(&json!({"block_number": 5}))).unwrap(),
            Some(5)
        );
        assert_eq!(
            block_param(Some(&json!({"block_number": "0x5"}))).unwrap(),
            Some(5)
        );
        assert_eq!(block_param(Some(&json!("latest"))).unwrap(), None);
        assert_eq!(block_param(None).unwrap(), None);
        assert!(block_param(Some(&json!({"number": 5}))).is_err());
        assert!(block_param(Some(&json!({"block_number": {"block_number": 5}}))).is_err());
        let hash = format!("0x{}", "ab".repeat(32));
        assert_eq!(
            tx_hash(Some(&json!(hash))).unwrap(),
            B256::repeat_byte(0xab)
        );
        for bad in [
            json!("0x12"),
            json!("ab".repeat(32)),
            json!(12),
            json!(format!("0x{}", "zz".repeat(32))),
        ] {
            assert_eq!(tx_hash(Some(&bad)).unwrap_err().code, -32602, "{bad}");
        }
    }
}
