//! Transactions: the five EIP-2718 types (legacy incl. pre-EIP-155, EIP-2930, EIP-1559,
//! EIP-4844 with and without blob sidecar, EIP-7702), their decoding and sender recovery.
//!
//! [`decode_transaction`] takes the network ("canonical") encoding: an RLP list for legacy
//! transactions, `type || rlp(payload)` for typed ones; trailing bytes are an error. The hash
//! of a decoded transaction is [`Transaction::tx_hash`].

use alloy_eips::eip2718::Decodable2718;
use alloy_primitives::Address;
use ethrex_crypto::RecoverableSig;

use crate::{CommonError, Result};

pub use alloy_consensus::{
    Signed, TxEip1559, TxEip2930, TxEip4844, TxEip4844Variant, TxEip4844WithSidecar, TxEip7702,
    TxLegacy, TxType,
};
pub use alloy_primitives::Signature;

/// A signed transaction of any type.
pub type Transaction = alloy_consensus::TxEnvelope;

/// Decodes a transaction from its network encoding.
pub fn decode_transaction(bytes: &[u8]) -> Result<Transaction> {
    let mut buf = bytes;
    if buf.is_empty() {
        return Err(CommonError::InvalidTransaction("empty input".into()));
    }
    let tx = Transaction::network_decode(&mut buf)
        .map_err(|e| CommonError::InvalidTransaction(e.to_string()))?;
    if !buf.is_empty() {
        return Err(CommonError::TrailingBytes { what: "transaction", count: buf.len() });
    }
    Ok(tx)
}

/// Recovers the address that signed `tx`. Accepts high-`s` signatures (valid before
/// Homestead); fork rules are checked by [`crate::validation`].
pub fn recover_sender(tx: &Transaction) -> Result<Address> {
    let signature = tx.signature();
    let sig = RecoverableSig { r: signature.r(), s: signature.s(), y_parity: signature.v() };
    Ok(ethrex_crypto::recover_address(&tx.signature_hash(), &sig)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_consensus::SignableTransaction;
    use alloy_eips::eip2718::Encodable2718;
    use alloy_primitives::{B256, TxKind, U256, address, b256, hex};

    const SECRET: B256 = b256!("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80");
    const SIGNER: Address = address!("f39Fd6e51aad88F6F4ce6aB8827279cffFb92266");

    fn sign<T: SignableTransaction<Signature>>(tx: T) -> Signed<T> {
        let sig = ethrex_crypto::sign_hash(&tx.signature_hash(), &SECRET).unwrap();
        tx.into_signed(Signature::new(sig.r, sig.s, sig.y_parity))
    }

    #[test]
    fn every_transaction_type_roundtrips_and_recovers_its_sender() {
        let to = TxKind::Call(Address::repeat_byte(0x11));
        let txs: Vec<Transaction> = vec![
            sign(TxLegacy { chain_id: None, nonce: 1, gas_price: 10, gas_limit: 21_000, to, value: U256::from(5), input: Default::default() }).into(),
            sign(TxLegacy { chain_id: Some(1), nonce: 1, gas_price: 10, gas_limit: 21_000, to, value: U256::from(5), input: Default::default() }).into(),
            sign(TxEip2930 { chain_id: 1, nonce: 2, gas_price: 10, gas_limit: 30_000, to, ..Default::default() }).into(),
            sign(TxEip1559 { chain_id: 1, nonce: 3, max_fee_per_gas: 10, max_priority_fee_per_gas: 1, gas_limit: 30_000, to, ..Default::default() }).into(),
            sign(TxEip4844Variant::TxEip4844(TxEip4844 { chain_id: 1, blob_versioned_hashes: vec![B256::repeat_byte(1)], max_fee_per_blob_gas: 1, ..Default::default() })).into(),
            sign(TxEip7702 { chain_id: 1, gas_limit: 50_000, ..Default::default() }).into(),
        ];
        for tx in txs {
            let bytes = tx.encoded_2718();
            let decoded = decode_transaction(&bytes).unwrap();
            assert_eq!(decoded, tx);
            assert_eq!(decoded.tx_hash(), &alloy_primitives::keccak256(&bytes));
            assert_eq!(recover_sender(&decoded).unwrap(), SIGNER, "{:?}", tx.tx_type());
        }
    }

    #[test]
    fn eip155_example_transaction_decodes_and_recovers() {
        // The example of EIP-155: key 0x4646..46, chain id 1.
        let raw = hex!("f86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a76400008025a028ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8997f761aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d83");
        let tx = decode_transaction(&raw).unwrap();
        assert_eq!(
            tx.signature_hash(),
            b256!("daf5a779ae972f972197303d7b574746c7ef83eadac0f2791ad23db92e4c8e53")
        );
        assert_eq!(recover_sender(&tx).unwrap(), address!("9d8A62f656a8d1615C1294fd71e9CFb3E4855A4F"));
    }

    #[test]
    fn truncated_or_padded_transaction_is_a_clear_error() {
        let tx: Transaction = sign(TxEip1559 { chain_id: 1, gas_limit: 21_000, ..Default::default() }).into();
        let bytes = tx.encoded_2718();
        let err = decode_transaction(&bytes[..bytes.len() - 1]).unwrap_err();
        assert!(err.to_string().starts_with("invalid transaction"), "{err}");
        let mut padded = bytes.clone();
        padded.push(0x80);
        assert!(matches!(decode_transaction(&padded), Err(CommonError::TrailingBytes { .. })));
        assert!(decode_transaction(&[]).is_err());
        assert!(decode_transaction(&[0x7f, 0xc0]).is_err(), "unknown type");
    }

    #[test]
    fn invalid_signature_is_a_clear_error() {
        let tx = TxEip1559 { chain_id: 1, gas_limit: 21_000, ..Default::default() };
        // r = 0 can never be a valid signature.
        let signed: Transaction = tx.into_signed(Signature::new(U256::ZERO, U256::from(1), false)).into();
        let err = recover_sender(&signed).unwrap_err();
        assert!(err.to_string().contains("invalid signature"), "{err}");
    }
}
