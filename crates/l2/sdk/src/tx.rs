//! Signed EIP-1559 transactions to an L1: a [`Signer`] (a private key and its address), the
//! [`Call`] to make, and [`EthClient::send`] / [`EthClient::send_and_wait`], which fill the
//! chain id, the pending nonce, the suggested fees and an estimated gas limit.
//!
//! Transactions are built with `ethrex_common`'s `TxFields` (dynamic fees make them EIP-1559)
//! and signed with its `Transaction::sign`: the workspace has one signer. The gas limit is the
//! node's estimate plus [`GAS_MARGIN_PERCENT`] percent, unless the call fixes one.

use std::time::Duration;

use alloy_primitives::{Address, B256, Bytes, TxKind, U256};
use ethrex_common::types::{Transaction, TxFees, TxFields};

use crate::{
    Result, SdkError,
    client::{CallRequest, EthClient, FeeSuggestion, Receipt},
};

/// Added to the node's gas estimate, in percent: state can change between estimate and
/// inclusion.
pub const GAS_MARGIN_PERCENT: u64 = 20;

/// A private key and the address it controls. Its `Debug` shows the address only.
#[derive(Clone, PartialEq, Eq)]
pub struct Signer {
    secret: B256,
    address: Address,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

impl Signer {
    /// The signer of `secret` (an invalid key, e.g. zero, is an error).
    pub fn new(secret: B256) -> Result<Self> {
        let address = ethrex_crypto::secret_to_address(&secret)?;
        Ok(Signer { secret, address })
    }

    /// Parses a private key written as 64 hex digits, `0x` optional.
    pub fn from_hex(text: &str) -> Result<Self> {
        let secret: B256 = text.trim().parse().map_err(|_| {
            SdkError::InvalidInput("private key: expected 32 bytes as 64 hex digits".into())
        })?;
        Self::new(secret)
    }

    /// The signer's address.
    pub fn address(&self) -> Address {
        self.address
    }

    /// Signs `tx`.
    pub fn sign(&self, tx: Transaction) -> Result<Transaction> {
        Ok(tx.sign(&self.secret)?)
    }
}

/// What a transaction does: its target (or a creation), value and data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub to: TxKind,
    pub value: U256,
    pub data: Bytes,
    /// A fixed gas limit; `None` asks the node for an estimate.
    pub gas_limit: Option<u64>,
}

impl Call {
    /// A call of `to` with `data` and no value.
    pub fn new(to: Address, data: impl Into<Bytes>) -> Self {
        Call {
            to: TxKind::Call(to),
            value: U256::ZERO,
            data: data.into(),
            gas_limit: None,
        }
    }

    /// A plain transfer of `value` to `to`.
    pub fn transfer(to: Address, value: U256) -> Self {
        Call {
            value,
            ..Call::new(to, Bytes::new())
        }
    }

    /// This call with `value` attached.
    pub fn with_value(mut self, value: U256) -> Self {
        self.value = value;
        self
    }
}

/// An unsigned EIP-1559 transaction of `call` with everything else given.
pub fn eip1559(
    chain_id: u64,
    nonce: u64,
    gas_limit: u64,
    fees: &FeeSuggestion,
    call: &Call,
) -> Result<Transaction> {
    let mut fields = TxFields::new(chain_id, nonce, gas_limit, call.to);
    fields.value = call.value;
    fields.data = call.data.clone();
    fields.fees = TxFees::Dynamic {
        max_fee_per_gas: fees.max_fee_per_gas,
        max_priority_fee_per_gas: fees.max_priority_fee_per_gas,
    };
    Ok(fields.build()?)
}

impl EthClient {
    /// Signs and sends `call` from `signer`: the chain id, pending nonce, suggested fees and
    /// (unless fixed) the estimated gas limit plus the margin come from the node. Returns the
    /// transaction hash.
    pub fn send(&self, signer: &Signer, call: &Call) -> Result<B256> {
        let chain_id = self.chain_id()?;
        let nonce = self.pending_nonce(signer.address())?;
        let fees = self.fee_suggestion()?;
        let gas_limit = match call.gas_limit {
            Some(limit) => limit,
            None => {
                let estimate = self.estimate_gas(&CallRequest {
                    from: Some(signer.address()),
                    to: call.to.to().copied(),
                    value: call.value,
                    data: call.data.clone(),
                })?;
                estimate.saturating_add(estimate.saturating_mul(GAS_MARGIN_PERCENT) / 100)
            }
        };
        let tx = signer.sign(eip1559(chain_id, nonce, gas_limit, &fees, call)?)?;
        let hash = self.send_raw_transaction(&tx.encode_2718())?;
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

    /// [`EthClient::send`], then waits at most `timeout` for the receipt; a revert is
    /// [`SdkError::Reverted`] naming `what`.
    pub fn send_and_wait(
        &self,
        signer: &Signer,
        what: &str,
        call: &Call,
        timeout: Duration,
    ) -> Result<Receipt> {
        let hash = self.send(signer, call)?;
        self.wait_for_success(hash, what, timeout)
    }

    /// Waits at most `timeout` for the receipt of `hash`; a revert is [`SdkError::Reverted`].
    pub fn wait_for_success(&self, hash: B256, what: &str, timeout: Duration) -> Result<Receipt> {
        let receipt = self.wait_for_receipt(hash, timeout)?;
        if receipt.succeeded() {
            Ok(receipt)
        } else {
            Err(SdkError::Reverted {
                what: what.to_string(),
                hash,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{address, b256};

    /// Hardhat's first dev key and its address (public test values).
    const SECRET: B256 = b256!("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80");
    const ADDRESS: Address = address!("f39Fd6e51aad88F6F4ce6aB8827279cffFb92266");

    #[test]
    fn a_signer_knows_its_address_and_hides_its_key() {
        let signer = Signer::from_hex(&format!("{SECRET}")).unwrap();
        assert_eq!(signer.address(), ADDRESS);
        let without_prefix = Signer::from_hex(&SECRET.to_string()[2..]).unwrap();
        assert_eq!(without_prefix, signer);
        let shown = format!("{signer:?}");
        assert!(!shown.contains("ac0974be"), "{shown}");
    }

    #[test]
    fn bad_private_keys_are_refused() {
        for bad in ["", "0x12", "zz", &format!("0x{}", "00".repeat(32))] {
            assert!(Signer::from_hex(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn transactions_are_eip1559_and_recover_their_signer() {
        let signer = Signer::new(SECRET).unwrap();
        let fees = FeeSuggestion {
            base_fee: U256::from(7),
            max_priority_fee_per_gas: U256::from(2),
            max_fee_per_gas: U256::from(16),
        };
        let call = Call::transfer(Address::repeat_byte(0x11), U256::from(5));
        let tx = signer
            .sign(eip1559(1337, 4, 21_000, &fees, &call).unwrap())
            .unwrap();
        // EIP-2718 type byte 2: an EIP-1559 transaction.
        assert_eq!(tx.encode_2718()[0], 0x02);
        assert_eq!(tx.sender().unwrap(), ADDRESS);
        assert_eq!(tx.chain_id(), Some(1337));
        assert_eq!(tx.nonce(), 4);
        assert_eq!(tx.max_fee_per_gas(), U256::from(16));
        assert_eq!(tx.max_priority_fee_per_gas(), Some(U256::from(2)));
        assert_eq!(tx.value(), U256::from(5));
    }
}
