//! EIP-4844 blob transactions to an L1: a [`BlobCall`] (a call carrying blobs in a sidecar),
//! built with `ethrex_common`'s `TxFields` (blob fields make it type 3), signed with
//! [`Signer`], and sent in its network encoding (`rlp([tx, blobs, commitments, proofs])` for a
//! version-0 sidecar, `rlp([tx, 1, blobs, commitments, cell_proofs])` for version 1, through
//! `Transaction::encode_network`) by [`EthClient::send_blob`].
//!
//! Fees come from the L1: the base fee and tip of [`EthClient::fee_suggestion`], and a blob
//! fee cap of twice `eth_blobBaseFee` (at least 1 wei), room for the blob base fee to rise for
//! a few blocks. The gas limit is the node's estimate of the call *with* its blob hashes (a
//! contract reading `blobhash(0)` sees them) plus [`GAS_MARGIN_PERCENT`] percent.
//!
//! Which sidecar version to send is the caller's choice (`SidecarVersion::at` in
//! `ethrex-l2-common`): version 0 before the L1's Osaka, version 1 from then on.
//! `ethrex --dev` accepts both over `eth_sendRawTransaction` and includes blob transactions in
//! its blocks (without the sidecar).
//!
//! Guarantees: the versioned hashes signed over are computed from the sidecar's commitments,
//! so a transaction built here always matches its sidecar; a sidecar without blobs, or with
//! counts that differ, is [`SdkError::InvalidInput`].

use std::time::Duration;

use alloy_eips::eip7594::BlobTransactionSidecarVariant;
use alloy_primitives::{Address, B256, Bytes, TxKind, U64, U256};
use ethrex_common::types::{BlobFields, Transaction, TxFees, TxFields};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::{
    Result, SdkError,
    client::{EthClient, FeeSuggestion, Receipt},
    tx::{GAS_MARGIN_PERCENT, Signer},
};

/// A call of `to` with `data` carrying the blobs of `sidecar`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobCall {
    pub to: Address,
    pub data: Bytes,
    pub sidecar: BlobTransactionSidecarVariant,
    /// A fixed gas limit; `None` asks the node for an estimate.
    pub gas_limit: Option<u64>,
}

/// The fees a blob transaction offers: the EIP-1559 ones and the blob fee cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlobFees {
    pub gas: FeeSuggestion,
    pub max_fee_per_blob_gas: U256,
}

impl BlobCall {
    /// The versioned hashes of the sidecar's blobs (from their commitments), checking that the
    /// sidecar has at least one blob and as many commitments and proofs as it needs.
    pub fn versioned_hashes(&self) -> Result<Vec<B256>> {
        let blobs = self.sidecar.blobs().len();
        let commitments = self.sidecar.commitments();
        let proofs = match &self.sidecar {
            BlobTransactionSidecarVariant::Eip4844(s) => (s.proofs.len(), blobs),
            BlobTransactionSidecarVariant::Eip7594(s) => (
                s.cell_proofs.len(),
                blobs.saturating_mul(ethrex_crypto::kzg::CELLS_PER_EXT_BLOB),
            ),
        };
        if blobs == 0 {
            return Err(SdkError::InvalidInput(
                "a blob transaction carries at least one blob".into(),
            ));
        }
        if commitments.len() != blobs || proofs.0 != proofs.1 {
            return Err(SdkError::InvalidInput(format!(
                "blob sidecar with {blobs} blobs, {} commitments and {} proofs (expected {})",
                commitments.len(),
                proofs.0,
                proofs.1
            )));
        }
        Ok(commitments
            .iter()
            .map(|c| ethrex_crypto::kzg::kzg_commitment_to_versioned_hash(&c.0))
            .collect())
    }
}

/// An unsigned EIP-4844 transaction of `call`, with its sidecar attached, everything else
/// given.
pub fn eip4844(
    chain_id: u64,
    nonce: u64,
    gas_limit: u64,
    fees: &BlobFees,
    call: &BlobCall,
) -> Result<Transaction> {
    let mut fields = TxFields::new(chain_id, nonce, gas_limit, TxKind::Call(call.to));
    fields.data = call.data.clone();
    fields.fees = TxFees::Dynamic {
        max_fee_per_gas: fees.gas.max_fee_per_gas,
        max_priority_fee_per_gas: fees.gas.max_priority_fee_per_gas,
    };
    fields.blob = Some(BlobFields {
        max_fee_per_blob_gas: fees.max_fee_per_blob_gas,
        versioned_hashes: call.versioned_hashes()?,
    });
    match fields.build()? {
        Transaction::Eip4844(tx, _) => Ok(Transaction::Eip4844(
            tx,
            Some(Box::new(call.sidecar.clone())),
        )),
        other => Err(SdkError::InvalidInput(format!(
            "blob fields built a {:?} transaction",
            other.tx_type()
        ))),
    }
}

/// Signs `tx` and keeps its sidecar (signing covers the transaction without it).
pub fn sign_blob_tx(signer: &Signer, tx: Transaction) -> Result<Transaction> {
    let Transaction::Eip4844(unsigned, sidecar) = tx else {
        return Err(SdkError::InvalidInput("not a blob transaction".into()));
    };
    match signer.sign(Transaction::Eip4844(unsigned, None))? {
        Transaction::Eip4844(signed, _) => Ok(Transaction::Eip4844(signed, sidecar)),
        other => Err(SdkError::InvalidInput(format!(
            "signing turned a blob transaction into a {:?} one",
            other.tx_type()
        ))),
    }
}

/// `eth_estimateGas`'s arguments for a blob call.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BlobEstimate<'a> {
    from: Address,
    to: Address,
    input: &'a Bytes,
    max_fee_per_blob_gas: U256,
    blob_versioned_hashes: &'a [B256],
}

impl EthClient {
    /// `eth_blobBaseFee`: the blob base fee of the next L1 block.
    pub fn blob_base_fee(&self) -> Result<U256> {
        self.request("eth_blobBaseFee", json!([]))
    }

    /// The latest L1 block's timestamp (which sidecar version the L1 takes depends on it).
    pub fn latest_timestamp(&self) -> Result<u64> {
        #[derive(Deserialize)]
        struct Head {
            timestamp: U64,
        }
        let head: Option<Head> = self.request("eth_getBlockByNumber", json!(["latest", false]))?;
        head.map(|h| h.timestamp.to::<u64>())
            .ok_or_else(|| SdkError::Malformed {
                method: "eth_getBlockByNumber".into(),
                reason: "no latest block".into(),
            })
    }

    /// The fees a blob transaction should offer now (see the module docs).
    pub fn blob_fees(&self) -> Result<BlobFees> {
        let gas = self.fee_suggestion()?;
        let blob_base_fee = self.blob_base_fee()?;
        Ok(BlobFees {
            gas,
            max_fee_per_blob_gas: blob_base_fee
                .saturating_mul(U256::from(2))
                .max(U256::from(1)),
        })
    }

    /// Signs and sends `call` from `signer` as a blob transaction: the chain id, pending nonce,
    /// fees and (unless fixed) the estimated gas limit plus the margin come from the node.
    /// Returns the transaction hash (which does not cover the sidecar).
    pub fn send_blob(&self, signer: &Signer, call: &BlobCall) -> Result<B256> {
        let versioned_hashes = call.versioned_hashes()?;
        let chain_id = self.chain_id()?;
        let nonce = self.pending_nonce(signer.address())?;
        let fees = self.blob_fees()?;
        let gas_limit = match call.gas_limit {
            Some(limit) => limit,
            None => {
                let estimate: U64 = self.request(
                    "eth_estimateGas",
                    json!([
                        BlobEstimate {
                            from: signer.address(),
                            to: call.to,
                            input: &call.data,
                            max_fee_per_blob_gas: fees.max_fee_per_blob_gas,
                            blob_versioned_hashes: &versioned_hashes,
                        },
                        "latest"
                    ]),
                )?;
                let estimate = estimate.to::<u64>();
                estimate.saturating_add(estimate.saturating_mul(GAS_MARGIN_PERCENT) / 100)
            }
        };
        let tx = sign_blob_tx(signer, eip4844(chain_id, nonce, gas_limit, &fees, call)?)?;
        let hash = self.send_raw_transaction(&tx.encode_network())?;
        if hash != tx.hash() {
            return Err(SdkError::Malformed {
                method: "eth_sendRawTransaction".into(),
                reason: format!(
                    "the node answered hash {hash}, the transaction's is {}",
                    tx.hash()
                ),
            });
        }
        Ok(hash)
    }

    /// [`EthClient::send_blob`], then waits at most `timeout` for the receipt; a revert is
    /// [`SdkError::Reverted`] naming `what`.
    pub fn send_blob_and_wait(
        &self,
        signer: &Signer,
        what: &str,
        call: &BlobCall,
        timeout: Duration,
    ) -> Result<Receipt> {
        let hash = self.send_blob(signer, call)?;
        self.wait_for_success(hash, what, timeout)
    }

    /// Whether the L1 knows transaction `hash` (pending or mined): `eth_getTransactionByHash`
    /// answers something other than null.
    pub fn knows_transaction(&self, hash: B256) -> Result<bool> {
        let tx: Option<serde_json::Value> =
            self.request("eth_getTransactionByHash", json!([hash]))?;
        Ok(tx.is_some())
    }
}

#[cfg(test)]
mod tests;
