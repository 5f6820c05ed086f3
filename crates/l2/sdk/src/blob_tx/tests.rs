//! Blob transactions built, signed and encoded without a node: both sidecar versions, the
//! network encoding round trip, and malformed sidecars refused.

use alloy_eips::{
    eip4844::{Blob, BlobTransactionSidecar, Bytes48},
    eip7594::BlobTransactionSidecarEip7594,
};
use alloy_primitives::{address, b256, keccak256};
use ethrex_common::types::decode_transaction;
use ethrex_crypto::kzg;

use super::*;

/// Hardhat's first dev key and its address (public test values).
const SECRET: B256 = b256!("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80");
const ADDRESS: Address = address!("f39Fd6e51aad88F6F4ce6aB8827279cffFb92266");

fn blob_bytes() -> Vec<u8> {
    let mut bytes = vec![0u8; kzg::BYTES_PER_BLOB];
    bytes[1] = 7;
    bytes[100] = 0x55;
    bytes
}

fn sidecar(cell_proofs: bool) -> BlobTransactionSidecarVariant {
    let bytes = blob_bytes();
    let commitment = kzg::blob_commitment(&bytes).unwrap();
    let blobs = vec![Blob::from_slice(&bytes)];
    let commitments = vec![Bytes48::from(commitment)];
    if cell_proofs {
        BlobTransactionSidecarVariant::Eip7594(BlobTransactionSidecarEip7594 {
            blobs,
            commitments,
            cell_proofs: kzg::blob_cell_proofs(&bytes)
                .unwrap()
                .into_iter()
                .map(Bytes48::from)
                .collect(),
        })
    } else {
        BlobTransactionSidecarVariant::Eip4844(BlobTransactionSidecar {
            blobs,
            commitments,
            proofs: vec![Bytes48::from(kzg::blob_proof(&bytes, &commitment).unwrap())],
        })
    }
}

fn fees() -> BlobFees {
    BlobFees {
        gas: FeeSuggestion {
            base_fee: U256::from(7),
            max_priority_fee_per_gas: U256::from(2),
            max_fee_per_gas: U256::from(16),
        },
        max_fee_per_blob_gas: U256::from(3),
    }
}

fn call(cell_proofs: bool) -> BlobCall {
    BlobCall {
        to: Address::repeat_byte(0x11),
        data: Bytes::from_static(&[1, 2, 3]),
        sidecar: sidecar(cell_proofs),
        gas_limit: None,
    }
}

#[test]
fn both_sidecar_versions_sign_and_round_trip_through_the_network_encoding() {
    let signer = Signer::new(SECRET).unwrap();
    for cell_proofs in [false, true] {
        let call = call(cell_proofs);
        let tx = sign_blob_tx(&signer, eip4844(1337, 9, 100_000, &fees(), &call).unwrap()).unwrap();
        let Transaction::Eip4844(inner, Some(sidecar)) = &tx else {
            panic!("a blob transaction with its sidecar: {tx:?}");
        };
        assert_eq!(
            **sidecar, call.sidecar,
            "the sidecar is kept through signing"
        );
        let commitment = kzg::blob_commitment(&blob_bytes()).unwrap();
        assert_eq!(
            inner.blob_versioned_hashes,
            vec![kzg::kzg_commitment_to_versioned_hash(&commitment)]
        );
        assert_eq!(inner.max_fee_per_blob_gas, U256::from(3));
        assert_eq!(inner.to, call.to);
        assert_eq!(tx.sender().unwrap(), ADDRESS);
        assert_eq!(
            (tx.chain_id(), tx.nonce(), tx.gas_limit()),
            (Some(1337), 9, 100_000)
        );

        // The canonical form is type 3 without the sidecar; the hash covers only that.
        let canonical = tx.encode_2718();
        assert_eq!(canonical[0], 3);
        assert_eq!(tx.hash(), keccak256(&canonical));
        let network = tx.encode_network();
        assert!(
            network.len() > kzg::BYTES_PER_BLOB,
            "the blob travels along"
        );
        let decoded = decode_transaction(&network).unwrap();
        assert_eq!(decoded, tx, "cell proofs: {cell_proofs}");
        assert_eq!(decoded.hash(), tx.hash());
    }
}

#[test]
fn a_version_1_sidecar_is_marked_as_such_on_the_wire() {
    let signer = Signer::new(SECRET).unwrap();
    let tx = sign_blob_tx(
        &signer,
        eip4844(1, 0, 21_000, &fees(), &call(true)).unwrap(),
    )
    .unwrap();
    let network = tx.encode_network();
    // rlp([tx_payload_body, wrapper_version = 1, blobs, commitments, cell_proofs]): the byte
    // right after the transaction's own list is the version.
    let mut rest = &network[1..];
    alloy_rlp::Header::decode(&mut rest).unwrap();
    let mut peek = rest;
    let tx_header = alloy_rlp::Header::decode(&mut peek).unwrap();
    let tx_len = tx_header.payload_length + alloy_rlp::length_of_length(tx_header.payload_length);
    assert_eq!(rest[tx_len], 0x01);
}

#[test]
fn malformed_sidecars_are_refused_before_anything_is_built() {
    let mut empty = call(false);
    empty.sidecar = BlobTransactionSidecarVariant::Eip4844(BlobTransactionSidecar::default());
    let err = eip4844(1, 0, 21_000, &fees(), &empty).unwrap_err();
    assert!(err.to_string().contains("at least one blob"), "{err}");

    let mut few_proofs = call(true);
    if let BlobTransactionSidecarVariant::Eip7594(s) = &mut few_proofs.sidecar {
        s.cell_proofs.truncate(3);
    }
    let err = eip4844(1, 0, 21_000, &fees(), &few_proofs).unwrap_err();
    assert!(
        err.to_string()
            .contains("1 blobs, 1 commitments and 3 proofs (expected 128)"),
        "{err}"
    );

    let mut no_commitment = call(false);
    if let BlobTransactionSidecarVariant::Eip4844(s) = &mut no_commitment.sidecar {
        s.commitments.clear();
    }
    assert!(matches!(
        no_commitment.versioned_hashes(),
        Err(SdkError::InvalidInput(_))
    ));
}

#[test]
fn signing_something_else_as_a_blob_transaction_is_an_error() {
    let signer = Signer::new(SECRET).unwrap();
    let plain = crate::tx::eip1559(
        1,
        0,
        21_000,
        &fees().gas,
        &crate::tx::Call::transfer(ADDRESS, U256::from(1)),
    )
    .unwrap();
    assert!(matches!(
        sign_blob_tx(&signer, plain),
        Err(SdkError::InvalidInput(_))
    ));
}
