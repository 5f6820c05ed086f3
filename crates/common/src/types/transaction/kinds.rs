//! The five transaction payloads, each a struct whose fields are in wire order with the
//! signature last, so the derived RLP is the signed encoding.
//!
//! Fee fields are `U256`, as the protocol defines them: a fee above 2^128 is unaffordable but
//! valid, and must decode. Legacy `v` is kept as sent (27/28, or `chain_id * 2 + 35/36` with
//! EIP-155); typed transactions carry a y-parity.

use alloy_eips::{eip2930::AccessList, eip7702::SignedAuthorization};
use alloy_primitives::{Address, B256, Bytes, TxKind, U256};
use alloy_rlp::{Encodable, RlpDecodable, RlpEncodable};

/// A legacy transaction (type 0), with or without EIP-155 replay protection.
#[derive(Debug, Clone, PartialEq, Eq, Default, RlpEncodable, RlpDecodable)]
pub struct LegacyTx {
    pub nonce: u64,
    pub gas_price: U256,
    pub gas_limit: u64,
    pub to: TxKind,
    pub value: U256,
    pub data: Bytes,
    pub v: u64,
    pub r: U256,
    pub s: U256,
}

/// An EIP-2930 access-list transaction (type 1).
#[derive(Debug, Clone, PartialEq, Eq, Default, RlpEncodable, RlpDecodable)]
pub struct Eip2930Tx {
    pub chain_id: u64,
    pub nonce: u64,
    pub gas_price: U256,
    pub gas_limit: u64,
    pub to: TxKind,
    pub value: U256,
    pub data: Bytes,
    pub access_list: AccessList,
    pub y_parity: bool,
    pub r: U256,
    pub s: U256,
}

/// An EIP-1559 dynamic-fee transaction (type 2).
#[derive(Debug, Clone, PartialEq, Eq, Default, RlpEncodable, RlpDecodable)]
pub struct Eip1559Tx {
    pub chain_id: u64,
    pub nonce: u64,
    pub max_priority_fee_per_gas: U256,
    pub max_fee_per_gas: U256,
    pub gas_limit: u64,
    pub to: TxKind,
    pub value: U256,
    pub data: Bytes,
    pub access_list: AccessList,
    pub y_parity: bool,
    pub r: U256,
    pub s: U256,
}

/// An EIP-4844 blob transaction (type 3), without its sidecar.
#[derive(Debug, Clone, PartialEq, Eq, Default, RlpEncodable, RlpDecodable)]
pub struct Eip4844Tx {
    pub chain_id: u64,
    pub nonce: u64,
    pub max_priority_fee_per_gas: U256,
    pub max_fee_per_gas: U256,
    pub gas_limit: u64,
    pub to: Address,
    pub value: U256,
    pub data: Bytes,
    pub access_list: AccessList,
    pub max_fee_per_blob_gas: U256,
    pub blob_versioned_hashes: Vec<B256>,
    pub y_parity: bool,
    pub r: U256,
    pub s: U256,
}

/// An EIP-7702 set-code transaction (type 4).
#[derive(Debug, Clone, PartialEq, Eq, Default, RlpEncodable, RlpDecodable)]
pub struct Eip7702Tx {
    pub chain_id: u64,
    pub nonce: u64,
    pub max_priority_fee_per_gas: U256,
    pub max_fee_per_gas: U256,
    pub gas_limit: u64,
    pub to: Address,
    pub value: U256,
    pub data: Bytes,
    pub access_list: AccessList,
    pub authorization_list: Vec<SignedAuthorization>,
    pub y_parity: bool,
    pub r: U256,
    pub s: U256,
}

/// RLP list of `fields`.
fn rlp_list(fields: &[&dyn Encodable]) -> Vec<u8> {
    let payload_length = fields.iter().map(|f| f.length()).sum();
    let mut out = Vec::with_capacity(payload_length + 9);
    alloy_rlp::Header {
        list: true,
        payload_length,
    }
    .encode(&mut out);
    for field in fields {
        field.encode(&mut out);
    }
    out
}

/// `type || rlp(fields)`.
fn typed(ty: u8, fields: &[&dyn Encodable]) -> Vec<u8> {
    let mut out = vec![ty];
    out.extend(rlp_list(fields));
    out
}

impl LegacyTx {
    /// The chain id of an EIP-155 transaction, `None` for `v` of 27 or 28.
    pub fn chain_id(&self) -> Option<u64> {
        (self.v >= 35).then(|| (self.v - 35) / 2)
    }

    /// The y-parity encoded in `v`, or `None` if `v` is neither 27/28 nor EIP-155 shaped.
    pub fn y_parity(&self) -> Option<bool> {
        match self.v {
            27 | 28 => Some(self.v == 28),
            v if v >= 35 => Some((v - 35) % 2 == 1),
            _ => None,
        }
    }

    /// The payload signed: the six fields, plus `chain_id, 0, 0` under EIP-155.
    pub fn signing_payload(&self) -> Vec<u8> {
        let (t, n, p, g, v, d) = (
            &self.to,
            &self.nonce,
            &self.gas_price,
            &self.gas_limit,
            &self.value,
            &self.data,
        );
        match self.chain_id() {
            None => rlp_list(&[n, p, g, t, v, d]),
            Some(id) => rlp_list(&[n, p, g, t, v, d, &id, &0u8, &0u8]),
        }
    }
}

impl Eip2930Tx {
    pub fn signing_payload(&self) -> Vec<u8> {
        let s = self;
        typed(
            1,
            &[
                &s.chain_id,
                &s.nonce,
                &s.gas_price,
                &s.gas_limit,
                &s.to,
                &s.value,
                &s.data,
                &s.access_list,
            ],
        )
    }
}

impl Eip1559Tx {
    pub fn signing_payload(&self) -> Vec<u8> {
        let s = self;
        typed(
            2,
            &[
                &s.chain_id,
                &s.nonce,
                &s.max_priority_fee_per_gas,
                &s.max_fee_per_gas,
                &s.gas_limit,
                &s.to,
                &s.value,
                &s.data,
                &s.access_list,
            ],
        )
    }
}

impl Eip4844Tx {
    pub fn signing_payload(&self) -> Vec<u8> {
        let s = self;
        typed(
            3,
            &[
                &s.chain_id,
                &s.nonce,
                &s.max_priority_fee_per_gas,
                &s.max_fee_per_gas,
                &s.gas_limit,
                &s.to,
                &s.value,
                &s.data,
                &s.access_list,
                &s.max_fee_per_blob_gas,
                &s.blob_versioned_hashes,
            ],
        )
    }
}

impl Eip7702Tx {
    pub fn signing_payload(&self) -> Vec<u8> {
        let s = self;
        typed(
            4,
            &[
                &s.chain_id,
                &s.nonce,
                &s.max_priority_fee_per_gas,
                &s.max_fee_per_gas,
                &s.gas_limit,
                &s.to,
                &s.value,
                &s.data,
                &s.access_list,
                &s.authorization_list,
            ],
        )
    }
}
