//! The rollup's privileged transaction (type `0x7e`, ours): an L1 → L2 message that the L1
//! bridge recorded (`PrivilegedTxSent`) and the sequencer must include. It is unsigned — its
//! sender is the `from` the bridge set — and fee-free; the sender's nonce is not used.
//!
//! Encoding: `0x7e ‖ rlp([chain_id, transaction_id, 0, 0, gas_limit, to, value, data, [],
//! from])`. The two fee fields must be zero and the access list empty, else decoding fails.
//! Its hash is not the keccak of that encoding but the bridge's own:
//! `keccak256(bytes20(from) ‖ bytes20(to) ‖ bytes32(transactionId) ‖ bytes32(value) ‖
//! bytes32(gasLimit) ‖ keccak256(data))`, so the L1 and the L2 name it alike.
//!
//! Only the rollup's transaction hook executes it; Ethereum's rules reject it (see
//! [`crate::validation`]), and `eth_sendRawTransaction` refuses it everywhere.

use alloy_eips::eip2930::AccessList;
use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use alloy_rlp::{RlpDecodable, RlpEncodable};

/// The EIP-2718 type byte of a privileged transaction.
pub const PRIVILEGED_TX_TYPE: u8 = 0x7e;

/// The L2 bridge (`CommonBridgeL2`, genesis code): the value of a privileged transaction from
/// it is minted (a deposit); any other sender pays its value from its balance.
pub const L2_BRIDGE_ADDRESS: Address = Address::new([
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff,
]);

/// The L1 bridge's hash of a privileged transaction: `keccak256(bytes20(from) ‖ bytes20(to) ‖
/// bytes32(transactionId) ‖ bytes32(value) ‖ bytes32(gasLimit) ‖ keccak256(data))` — what
/// `CommonBridge` stores and the L2 transaction's hash.
pub fn privileged_tx_hash(
    from: Address,
    to: Address,
    transaction_id: U256,
    value: U256,
    gas_limit: U256,
    data: &[u8],
) -> B256 {
    let mut buf = Vec::with_capacity(20 + 20 + 32 * 4);
    buf.extend_from_slice(from.as_slice());
    buf.extend_from_slice(to.as_slice());
    buf.extend_from_slice(&transaction_id.to_be_bytes::<32>());
    buf.extend_from_slice(&value.to_be_bytes::<32>());
    buf.extend_from_slice(&gas_limit.to_be_bytes::<32>());
    buf.extend_from_slice(keccak256(data).as_slice());
    keccak256(buf)
}

/// A privileged L1 → L2 transaction, fields in wire order.
#[derive(Debug, Clone, PartialEq, Eq, Default, RlpEncodable, RlpDecodable)]
pub struct PrivilegedL2Tx {
    pub chain_id: u64,
    /// The bridge's `transactionId` (from 0), where other types carry the nonce.
    pub transaction_id: u64,
    /// Always zero.
    pub max_priority_fee_per_gas: U256,
    /// Always zero.
    pub max_fee_per_gas: U256,
    pub gas_limit: u64,
    pub to: Address,
    pub value: U256,
    pub data: Bytes,
    /// Always empty.
    pub access_list: AccessList,
    /// The sender the bridge recorded (the bridge itself for deposits, or an L1 account,
    /// aliased when it is a contract).
    pub from: Address,
}

impl PrivilegedL2Tx {
    /// A privileged transaction with zero fees and an empty access list.
    pub fn new(
        chain_id: u64,
        transaction_id: u64,
        gas_limit: u64,
        from: Address,
        to: Address,
        value: U256,
        data: Bytes,
    ) -> Self {
        PrivilegedL2Tx {
            chain_id,
            transaction_id,
            gas_limit,
            to,
            value,
            data,
            from,
            ..Default::default()
        }
    }

    /// The bridge's hash, which is the transaction hash (see the module docs).
    pub fn hash(&self) -> B256 {
        privileged_tx_hash(
            self.from,
            self.to,
            U256::from(self.transaction_id),
            self.value,
            U256::from(self.gas_limit),
            &self.data,
        )
    }

    /// Why a decoded privileged transaction is malformed: non-zero fees or an access list.
    pub(super) fn malformation(&self) -> Option<&'static str> {
        if !self.max_priority_fee_per_gas.is_zero() || !self.max_fee_per_gas.is_zero() {
            Some("privileged transaction with non-zero fee fields")
        } else if !self.access_list.is_empty() {
            Some("privileged transaction with an access list")
        } else {
            None
        }
    }
}
