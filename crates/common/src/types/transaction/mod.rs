//! Transactions: the five EIP-2718 types (legacy incl. pre-EIP-155, EIP-2930, EIP-1559,
//! EIP-4844 with and without blob sidecar, EIP-7702) and the rollup's privileged type `0x7e`
//! ([`PrivilegedL2Tx`]), their encodings, hashes and senders.
//!
//! Three encodings exist and each has one function:
//! - canonical (EIP-2718): an RLP list for legacy, `type || rlp(payload)` for typed; what the
//!   hash, the transactions trie and Engine API payloads use — [`Transaction::encode_2718`] /
//!   [`decode_transaction_2718`];
//! - network: canonical, except that a blob transaction carries its sidecar —
//!   [`decode_transaction`] / [`Transaction::encode_network`];
//! - in a block body: legacy as a list, typed as an RLP string of the canonical bytes —
//!   the `alloy_rlp::Encodable`/`Decodable` impls.
//!
//! Decoding is strict: canonical RLP, exact field counts, no trailing bytes; a legacy `v`
//! that is neither 27/28 nor EIP-155 shaped is rejected. The enum is ours (not alloy's) so fee
//! fields can be full 256-bit values and the rollup can add its own kinds later.

mod fields;
mod kinds;
mod privileged;

use alloy_eips::{
    eip2930::AccessList, eip7594::BlobTransactionSidecarVariant, eip7702::SignedAuthorization,
};
use alloy_primitives::{Address, B256, Bytes, TxKind, U256, keccak256};
use alloy_rlp::{Decodable, Encodable, Header};
use ethrex_crypto::RecoverableSig;

pub use fields::{BlobFields, PLACEHOLDER_SIGNATURE, TxFees, TxFields};
pub use kinds::{Eip1559Tx, Eip2930Tx, Eip4844Tx, Eip7702Tx, LegacyTx};
pub use privileged::{L2_BRIDGE_ADDRESS, PRIVILEGED_TX_TYPE, PrivilegedL2Tx, privileged_tx_hash};

use crate::{CommonError, Result};

/// The EIP-2718 transaction type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum TxType {
    Legacy = 0,
    Eip2930 = 1,
    Eip1559 = 2,
    Eip4844 = 3,
    Eip7702 = 4,
    /// The rollup's privileged L1 → L2 transaction (ours).
    Privileged = 0x7e,
}

/// A signed transaction of any type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transaction {
    Legacy(LegacyTx),
    Eip2930(Eip2930Tx),
    Eip1559(Eip1559Tx),
    /// A blob transaction and, in its network form, the blobs with their commitments and proofs.
    Eip4844(Eip4844Tx, Option<Box<BlobTransactionSidecarVariant>>),
    Eip7702(Eip7702Tx),
    /// The rollup's privileged L1 → L2 transaction: unsigned, fee-free.
    Privileged(PrivilegedL2Tx),
}

/// Decodes a transaction from its network encoding (see the module docs).
pub fn decode_transaction(bytes: &[u8]) -> Result<Transaction> {
    let rlp_err = |e| CommonError::rlp("transaction", e);
    let Some((&first, payload)) = bytes.split_first() else {
        return Err(CommonError::InvalidTransaction("empty input".into()));
    };
    let mut buf = payload;
    let tx = match first {
        0xc0.. => return decode_exact(bytes, LegacyTx::decode).and_then(Transaction::legacy),
        3 if is_list_of_lists(payload) => {
            // Pooled form: rlp([tx_payload_body, (wrapper_version,) blobs, commitments, proofs]).
            let header = Header::decode(&mut buf).map_err(rlp_err)?;
            let mut body = buf
                .get(..header.payload_length)
                .ok_or_else(|| rlp_err(alloy_rlp::Error::InputTooShort))?;
            buf = &buf[header.payload_length..];
            let tx = Eip4844Tx::decode(&mut body).map_err(rlp_err)?;
            let sidecar =
                BlobTransactionSidecarVariant::rlp_decode_fields(&mut body).map_err(rlp_err)?;
            if !body.is_empty() {
                return Err(CommonError::InvalidTransaction(
                    "extra fields after the blob sidecar".into(),
                ));
            }
            Transaction::Eip4844(tx, Some(Box::new(sidecar)))
        }
        _ => return decode_typed(first, payload),
    };
    if !buf.is_empty() {
        return Err(CommonError::TrailingBytes {
            what: "transaction",
            count: buf.len(),
        });
    }
    Ok(tx)
}

/// Decodes a transaction from its EIP-2718 encoding, the form blocks and Engine API payloads
/// carry: a legacy RLP list, or a type byte and its payload (a blob transaction without its
/// sidecar). Every byte must be consumed.
pub fn decode_transaction_2718(bytes: &[u8]) -> Result<Transaction> {
    match bytes.split_first() {
        None => Err(CommonError::InvalidTransaction("empty input".into())),
        Some((&first, _)) if first >= 0xc0 => {
            decode_exact(bytes, LegacyTx::decode).and_then(Transaction::legacy)
        }
        Some((&ty, payload)) => decode_typed(ty, payload),
    }
}

/// Decodes a typed transaction's payload (`bytes` after the type byte), which must be consumed.
fn decode_typed(ty: u8, payload: &[u8]) -> Result<Transaction> {
    match ty {
        1 => decode_exact(payload, Eip2930Tx::decode).map(Transaction::Eip2930),
        2 => decode_exact(payload, Eip1559Tx::decode).map(Transaction::Eip1559),
        3 => decode_exact(payload, Eip4844Tx::decode).map(|tx| Transaction::Eip4844(tx, None)),
        4 => decode_exact(payload, Eip7702Tx::decode).map(Transaction::Eip7702),
        PRIVILEGED_TX_TYPE => {
            let tx = decode_exact(payload, PrivilegedL2Tx::decode)?;
            match tx.malformation() {
                Some(reason) => Err(CommonError::InvalidTransaction(reason.into())),
                None => Ok(Transaction::Privileged(tx)),
            }
        }
        other => Err(CommonError::InvalidTransaction(format!(
            "unsupported transaction type {other:#04x}"
        ))),
    }
}

fn decode_exact<T>(bytes: &[u8], decode: fn(&mut &[u8]) -> alloy_rlp::Result<T>) -> Result<T> {
    let mut buf = bytes;
    let value = decode(&mut buf).map_err(|e| CommonError::rlp("transaction", e))?;
    if !buf.is_empty() {
        return Err(CommonError::TrailingBytes {
            what: "transaction",
            count: buf.len(),
        });
    }
    Ok(value)
}

/// Whether `payload` is an RLP list whose first item is itself a list.
fn is_list_of_lists(payload: &[u8]) -> bool {
    let mut buf = payload;
    match Header::decode(&mut buf) {
        Ok(header) => header.list && buf.first().is_some_and(|b| *b >= 0xc0),
        Err(_) => false,
    }
}

impl Transaction {
    fn legacy(tx: LegacyTx) -> Result<Self> {
        if tx.y_parity().is_none() {
            return Err(CommonError::InvalidTransaction(format!(
                "legacy v value {} is neither 27/28 nor EIP-155 (chain_id * 2 + 35/36)",
                tx.v
            )));
        }
        Ok(Transaction::Legacy(tx))
    }

    pub fn tx_type(&self) -> TxType {
        match self {
            Transaction::Legacy(_) => TxType::Legacy,
            Transaction::Eip2930(_) => TxType::Eip2930,
            Transaction::Eip1559(_) => TxType::Eip1559,
            Transaction::Eip4844(..) => TxType::Eip4844,
            Transaction::Eip7702(_) => TxType::Eip7702,
            Transaction::Privileged(_) => TxType::Privileged,
        }
    }

    /// The canonical EIP-2718 encoding (a blob transaction without its sidecar).
    pub fn encode_2718(&self) -> Vec<u8> {
        let typed = |ty: u8, payload: &dyn Encodable| {
            let mut out = Vec::with_capacity(payload.length() + 1);
            out.push(ty);
            payload.encode(&mut out);
            out
        };
        match self {
            Transaction::Legacy(tx) => alloy_rlp::encode(tx),
            Transaction::Eip2930(tx) => typed(1, tx),
            Transaction::Eip1559(tx) => typed(2, tx),
            Transaction::Eip4844(tx, _) => typed(3, tx),
            Transaction::Eip7702(tx) => typed(4, tx),
            Transaction::Privileged(tx) => typed(PRIVILEGED_TX_TYPE, tx),
        }
    }

    /// The network encoding: canonical, with the sidecar of a blob transaction that has one.
    pub fn encode_network(&self) -> Vec<u8> {
        let Transaction::Eip4844(tx, Some(sidecar)) = self else {
            return self.encode_2718();
        };
        let payload_length = tx.length() + sidecar.rlp_encoded_fields_length();
        let mut out = vec![3];
        Header {
            list: true,
            payload_length,
        }
        .encode(&mut out);
        tx.encode(&mut out);
        sidecar.rlp_encode_fields(&mut out);
        out
    }

    /// The transaction hash: keccak-256 of the canonical encoding; for a privileged
    /// transaction, the bridge's hash ([`PrivilegedL2Tx::hash`]).
    pub fn hash(&self) -> B256 {
        match self {
            Transaction::Privileged(tx) => tx.hash(),
            _ => keccak256(self.encode_2718()),
        }
    }

    /// The hash the sender signed (a privileged transaction is unsigned: its hash).
    pub fn signature_hash(&self) -> B256 {
        keccak256(match self {
            Transaction::Privileged(tx) => return tx.hash(),
            Transaction::Legacy(tx) => tx.signing_payload(),
            Transaction::Eip2930(tx) => tx.signing_payload(),
            Transaction::Eip1559(tx) => tx.signing_payload(),
            Transaction::Eip4844(tx, _) => tx.signing_payload(),
            Transaction::Eip7702(tx) => tx.signing_payload(),
        })
    }

    /// The signature as `r`, `s` and y-parity. (A legacy `v` is checked when decoding, so its
    /// parity is always defined for decoded transactions; an ill-formed one reads as parity 0.)
    pub fn signature(&self) -> RecoverableSig {
        let (r, s, y_parity) = match self {
            Transaction::Legacy(tx) => (tx.r, tx.s, tx.y_parity().unwrap_or(false)),
            Transaction::Eip2930(tx) => (tx.r, tx.s, tx.y_parity),
            Transaction::Eip1559(tx) => (tx.r, tx.s, tx.y_parity),
            Transaction::Eip4844(tx, _) => (tx.r, tx.s, tx.y_parity),
            Transaction::Eip7702(tx) => (tx.r, tx.s, tx.y_parity),
            Transaction::Privileged(_) => (U256::ZERO, U256::ZERO, false),
        };
        RecoverableSig { r, s, y_parity }
    }

    /// Recovers the sender's address (a privileged transaction names it: `from`). Accepts
    /// high-`s` signatures (valid before Homestead); fork rules are checked by
    /// [`crate::validation`].
    pub fn sender(&self) -> Result<Address> {
        if let Transaction::Privileged(tx) = self {
            return Ok(tx.from);
        }
        if let Transaction::Legacy(tx) = self
            && tx.y_parity().is_none()
        {
            return Err(CommonError::InvalidTransaction(format!(
                "invalid legacy v value {}",
                tx.v
            )));
        }
        Ok(ethrex_crypto::recover_address(
            &self.signature_hash(),
            &self.signature(),
        )?)
    }

    /// The chain id: `None` only for a legacy transaction without EIP-155 protection.
    pub fn chain_id(&self) -> Option<u64> {
        match self {
            Transaction::Legacy(tx) => tx.chain_id(),
            Transaction::Eip2930(tx) => Some(tx.chain_id),
            Transaction::Eip1559(tx) => Some(tx.chain_id),
            Transaction::Eip4844(tx, _) => Some(tx.chain_id),
            Transaction::Eip7702(tx) => Some(tx.chain_id),
            Transaction::Privileged(tx) => Some(tx.chain_id),
        }
    }

    pub fn nonce(&self) -> u64 {
        match self {
            Transaction::Legacy(tx) => tx.nonce,
            Transaction::Eip2930(tx) => tx.nonce,
            Transaction::Eip1559(tx) => tx.nonce,
            Transaction::Eip4844(tx, _) => tx.nonce,
            Transaction::Eip7702(tx) => tx.nonce,
            Transaction::Privileged(tx) => tx.transaction_id,
        }
    }

    pub fn gas_limit(&self) -> u64 {
        match self {
            Transaction::Legacy(tx) => tx.gas_limit,
            Transaction::Eip2930(tx) => tx.gas_limit,
            Transaction::Eip1559(tx) => tx.gas_limit,
            Transaction::Eip4844(tx, _) => tx.gas_limit,
            Transaction::Eip7702(tx) => tx.gas_limit,
            Transaction::Privileged(tx) => tx.gas_limit,
        }
    }

    /// The most the sender pays per gas: the gas price, or the EIP-1559 max fee.
    pub fn max_fee_per_gas(&self) -> U256 {
        match self {
            Transaction::Legacy(tx) => tx.gas_price,
            Transaction::Eip2930(tx) => tx.gas_price,
            Transaction::Eip1559(tx) => tx.max_fee_per_gas,
            Transaction::Eip4844(tx, _) => tx.max_fee_per_gas,
            Transaction::Eip7702(tx) => tx.max_fee_per_gas,
            Transaction::Privileged(tx) => tx.max_fee_per_gas,
        }
    }

    /// The EIP-1559 max priority fee, for dynamic-fee types.
    pub fn max_priority_fee_per_gas(&self) -> Option<U256> {
        match self {
            Transaction::Legacy(_) | Transaction::Eip2930(_) => None,
            Transaction::Eip1559(tx) => Some(tx.max_priority_fee_per_gas),
            Transaction::Eip4844(tx, _) => Some(tx.max_priority_fee_per_gas),
            Transaction::Eip7702(tx) => Some(tx.max_priority_fee_per_gas),
            Transaction::Privileged(tx) => Some(tx.max_priority_fee_per_gas),
        }
    }

    /// The recipient, or `Create`.
    pub fn to(&self) -> TxKind {
        match self {
            Transaction::Legacy(tx) => tx.to,
            Transaction::Eip2930(tx) => tx.to,
            Transaction::Eip1559(tx) => tx.to,
            Transaction::Eip4844(tx, _) => TxKind::Call(tx.to),
            Transaction::Eip7702(tx) => TxKind::Call(tx.to),
            Transaction::Privileged(tx) => TxKind::Call(tx.to),
        }
    }

    pub fn is_create(&self) -> bool {
        self.to().is_create()
    }

    pub fn value(&self) -> U256 {
        match self {
            Transaction::Legacy(tx) => tx.value,
            Transaction::Eip2930(tx) => tx.value,
            Transaction::Eip1559(tx) => tx.value,
            Transaction::Eip4844(tx, _) => tx.value,
            Transaction::Eip7702(tx) => tx.value,
            Transaction::Privileged(tx) => tx.value,
        }
    }

    /// Calldata, or initcode for a creation.
    pub fn data(&self) -> &Bytes {
        match self {
            Transaction::Legacy(tx) => &tx.data,
            Transaction::Eip2930(tx) => &tx.data,
            Transaction::Eip1559(tx) => &tx.data,
            Transaction::Eip4844(tx, _) => &tx.data,
            Transaction::Eip7702(tx) => &tx.data,
            Transaction::Privileged(tx) => &tx.data,
        }
    }

    pub fn access_list(&self) -> Option<&AccessList> {
        match self {
            Transaction::Legacy(_) => None,
            Transaction::Eip2930(tx) => Some(&tx.access_list),
            Transaction::Eip1559(tx) => Some(&tx.access_list),
            Transaction::Eip4844(tx, _) => Some(&tx.access_list),
            Transaction::Eip7702(tx) => Some(&tx.access_list),
            Transaction::Privileged(tx) => Some(&tx.access_list),
        }
    }

    pub fn blob_versioned_hashes(&self) -> Option<&[B256]> {
        match self {
            Transaction::Eip4844(tx, _) => Some(&tx.blob_versioned_hashes),
            _ => None,
        }
    }

    pub fn authorization_list(&self) -> Option<&[SignedAuthorization]> {
        match self {
            Transaction::Eip7702(tx) => Some(&tx.authorization_list),
            _ => None,
        }
    }
}

/// Block-body encoding: legacy as a list, typed as an RLP string of the canonical bytes.
impl Encodable for Transaction {
    fn encode(&self, out: &mut dyn alloy_rlp::BufMut) {
        match self {
            Transaction::Legacy(tx) => tx.encode(out),
            typed => typed.encode_2718().as_slice().encode(out),
        }
    }

    fn length(&self) -> usize {
        match self {
            Transaction::Legacy(tx) => tx.length(),
            typed => typed.encode_2718().as_slice().length(),
        }
    }
}

impl Decodable for Transaction {
    fn decode(buf: &mut &[u8]) -> alloy_rlp::Result<Self> {
        if buf.first().is_some_and(|b| *b >= 0xc0) {
            let tx = LegacyTx::decode(buf)?;
            return Transaction::legacy(tx)
                .map_err(|_| alloy_rlp::Error::Custom("invalid legacy v value"));
        }
        let bytes = Header::decode_bytes(buf, false)?;
        let (&ty, payload) = bytes.split_first().ok_or(alloy_rlp::Error::InputTooShort)?;
        decode_typed(ty, payload).map_err(|_| alloy_rlp::Error::Custom("invalid typed transaction"))
    }
}

#[cfg(test)]
mod tests;
