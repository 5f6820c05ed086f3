//! Tests of transaction encodings, hashes and senders, with alloy's `TxEnvelope` as the
//! reference implementation of the encodings.

use super::*;
use alloy_eips::eip2718::{Decodable2718, Encodable2718};
use alloy_primitives::{address, b256, hex};

const SECRET: B256 = b256!("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80");
const SIGNER: Address = address!("f39Fd6e51aad88F6F4ce6aB8827279cffFb92266");

/// Signs `tx` with [`SECRET`], filling its signature fields.
fn signed(tx: Transaction) -> Transaction {
    tx.sign(&SECRET).unwrap()
}

fn one_of_each() -> Vec<Transaction> {
    let to = TxKind::Call(Address::repeat_byte(0x11));
    let access_list = AccessList(vec![alloy_eips::eip2930::AccessListItem {
        address: Address::repeat_byte(2),
        storage_keys: vec![B256::repeat_byte(3)],
    }]);
    let auth = alloy_eips::eip7702::Authorization {
        chain_id: U256::from(1),
        address: Address::repeat_byte(9),
        nonce: 4,
    };
    vec![
        // pre-EIP-155 (v = 27/28): nonce 0 so that "v" is the only chain-id source.
        Transaction::Legacy(LegacyTx {
            v: 27,
            gas_price: U256::from(10),
            gas_limit: 21_000,
            to,
            value: U256::from(5),
            ..Default::default()
        }),
        Transaction::Legacy(LegacyTx {
            v: 37,
            nonce: 1,
            gas_price: U256::from(10),
            gas_limit: 21_000,
            to,
            data: Bytes::from_static(&[1, 2]),
            ..Default::default()
        }),
        Transaction::Eip2930(Eip2930Tx {
            chain_id: 1,
            nonce: 2,
            gas_price: U256::from(10),
            gas_limit: 30_000,
            to,
            access_list: access_list.clone(),
            ..Default::default()
        }),
        Transaction::Eip1559(Eip1559Tx {
            chain_id: 1,
            nonce: 3,
            max_fee_per_gas: U256::from(10),
            max_priority_fee_per_gas: U256::from(1),
            gas_limit: 30_000,
            to: TxKind::Create,
            access_list: access_list.clone(),
            ..Default::default()
        }),
        Transaction::Eip4844(
            Eip4844Tx {
                chain_id: 1,
                blob_versioned_hashes: vec![B256::repeat_byte(1)],
                max_fee_per_blob_gas: U256::from(1),
                gas_limit: 21_000,
                ..Default::default()
            },
            None,
        ),
        Transaction::Eip7702(Eip7702Tx {
            chain_id: 1,
            gas_limit: 50_000,
            authorization_list: vec![SignedAuthorization::new_unchecked(
                auth,
                1,
                U256::from(7),
                U256::from(8),
            )],
            access_list,
            ..Default::default()
        }),
    ]
    .into_iter()
    // Legacy pre-155 gets v from `signed`: mark it by chain_id() None.
    .map(signed)
    .collect()
}

#[test]
fn every_type_matches_alloys_encoding_hash_and_signature_hash() {
    for tx in one_of_each() {
        let bytes = tx.encode_2718();
        let reference = alloy_consensus::TxEnvelope::decode_2718(&mut bytes.as_slice())
            .unwrap_or_else(|e| panic!("alloy rejects our {:?}: {e}", tx.tx_type()));
        assert_eq!(reference.encoded_2718(), bytes, "{:?}", tx.tx_type());
        assert_eq!(*reference.tx_hash(), tx.hash(), "{:?}", tx.tx_type());
        assert_eq!(
            reference.signature_hash(),
            tx.signature_hash(),
            "{:?}",
            tx.tx_type()
        );
        assert_eq!(decode_transaction(&bytes).unwrap(), tx);
        assert_eq!(tx.sender().unwrap(), SIGNER, "{:?}", tx.tx_type());
    }
}

#[test]
fn block_body_encoding_roundtrips_and_matches_alloy() {
    let txs = one_of_each();
    let ours = alloy_rlp::encode(&txs);
    let reference: Vec<alloy_consensus::TxEnvelope> = alloy_rlp::decode_exact(&ours).unwrap();
    assert_eq!(alloy_rlp::encode(&reference), ours);
    assert_eq!(
        alloy_rlp::decode_exact::<Vec<Transaction>>(&ours).unwrap(),
        txs
    );
}

#[test]
fn blob_transaction_with_sidecar_roundtrips_in_network_form() {
    let tx = one_of_each().remove(4);
    let Transaction::Eip4844(inner, None) = tx.clone() else {
        panic!("expected a blob tx")
    };
    let sidecar = alloy_eips::eip4844::BlobTransactionSidecar {
        blobs: vec![Default::default()],
        commitments: vec![Default::default()],
        proofs: vec![Default::default()],
    };
    let with_sidecar = Transaction::Eip4844(
        inner,
        Some(Box::new(BlobTransactionSidecarVariant::Eip4844(sidecar))),
    );
    let network = with_sidecar.encode_network();
    assert!(network.len() > 131_072, "a blob is 128 KiB");
    let decoded = decode_transaction(&network).unwrap();
    assert_eq!(decoded, with_sidecar);
    assert_eq!(
        decoded.hash(),
        tx.hash(),
        "the sidecar is not part of the hash"
    );
    let reference = alloy_consensus::TxEnvelope::network_decode(&mut network.as_slice()).unwrap();
    assert_eq!(*reference.tx_hash(), tx.hash());
}

#[test]
fn fees_above_128_bits_decode() {
    let tx = signed(Transaction::Legacy(LegacyTx {
        v: 37,
        gas_price: U256::MAX >> 8,
        gas_limit: 21_000,
        ..Default::default()
    }));
    let decoded = decode_transaction(&tx.encode_2718()).unwrap();
    assert_eq!(decoded.max_fee_per_gas(), U256::MAX >> 8);
}

#[test]
fn eip155_example_transaction_decodes_and_recovers() {
    // The example of EIP-155: key 0x4646..46, chain id 1.
    let raw = hex!(
        "f86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a76400008025a028ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8997f761aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d83"
    );
    let tx = decode_transaction(&raw).unwrap();
    assert_eq!(tx.chain_id(), Some(1));
    assert_eq!(
        tx.signature_hash(),
        b256!("daf5a779ae972f972197303d7b574746c7ef83eadac0f2791ad23db92e4c8e53")
    );
    assert_eq!(
        tx.sender().unwrap(),
        address!("9d8A62f656a8d1615C1294fd71e9CFb3E4855A4F")
    );
}

#[test]
fn malformed_transactions_are_clear_errors() {
    let tx = one_of_each().remove(3);
    let bytes = tx.encode_2718();
    let err = decode_transaction(&bytes[..bytes.len() - 1]).unwrap_err();
    assert!(
        err.to_string().starts_with("invalid transaction RLP"),
        "{err}"
    );
    let mut padded = bytes.clone();
    padded.push(0x80);
    assert!(matches!(
        decode_transaction(&padded),
        Err(CommonError::TrailingBytes { .. })
    ));
    assert!(
        decode_transaction(&[])
            .unwrap_err()
            .to_string()
            .contains("empty input")
    );
    let err = decode_transaction(&[0x7f, 0xc0]).unwrap_err().to_string();
    assert!(err.contains("unsupported transaction type 0x7f"), "{err}");
    // A legacy v of 29 is neither pre-EIP-155 nor EIP-155.
    let Transaction::Legacy(mut legacy) = one_of_each().remove(0) else {
        panic!()
    };
    legacy.v = 29;
    let err = decode_transaction(&alloy_rlp::encode(&legacy))
        .unwrap_err()
        .to_string();
    assert!(err.contains("legacy v value 29"), "{err}");
}

#[test]
fn invalid_signature_is_a_clear_error() {
    let mut tx = one_of_each().remove(3);
    if let Transaction::Eip1559(t) = &mut tx {
        t.r = U256::ZERO;
    }
    let err = tx.sender().unwrap_err().to_string();
    assert!(err.contains("invalid signature"), "{err}");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

    /// Arbitrary bytes never panic the decoder: they decode or give an error.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300)) {
        let _ = decode_transaction(&bytes);
        let _ = alloy_rlp::decode_exact::<Transaction>(&bytes);
    }

    /// A valid encoding with one byte changed or cut short never panics the decoder, and a
    /// truncated one is always rejected.
    #[test]
    fn corrupted_encodings_never_panic(index in 0usize..6, pos in proptest::prelude::any::<usize>(), byte in proptest::prelude::any::<u8>()) {
        let bytes = one_of_each()[index].encode_2718();
        let pos = pos % bytes.len();
        let mut corrupted = bytes.clone();
        corrupted[pos] = byte;
        if let Ok(tx) = decode_transaction(&corrupted) {
            let _ = tx.sender();
        }
        proptest::prop_assert!(decode_transaction(&bytes[..pos]).is_err());
    }
}

/// A deposit as the bridge records it: from and to the L2 bridge, id 5, 1 wei, 100,000 gas.
fn deposit() -> PrivilegedL2Tx {
    let bridge = address!("000000000000000000000000000000000000ffff");
    PrivilegedL2Tx::new(
        65_536_999,
        5,
        100_000,
        bridge,
        bridge,
        U256::from(1),
        Bytes::from_static(&hex!("abcd")),
    )
}

#[test]
fn privileged_encoding_is_type_7e_and_round_trips() {
    let tx = Transaction::Privileged(deposit());
    // rlp([0x8403e803e7, 5, 0, 0, 0x830186a0, 0x94..ffff, 1, 0x82abcd, [], 0x94..ffff]).
    let bridge = "94000000000000000000000000000000000000ffff";
    let expected = hex::decode(format!(
        "7ef83b8403e803e7058080830186a0{bridge}0182abcdc0{bridge}"
    ))
    .unwrap();
    assert_eq!(tx.encode_2718(), expected);
    assert_eq!(tx.tx_type() as u8, 0x7e);
    assert_eq!(decode_transaction(&expected).unwrap(), tx);
    assert_eq!(decode_transaction_2718(&expected).unwrap(), tx);
    // In a block body: an RLP string of the canonical bytes.
    let body = alloy_rlp::encode(&tx);
    assert_eq!(Transaction::decode(&mut body.as_slice()).unwrap(), tx);
}

#[test]
fn privileged_hash_is_the_bridges() {
    let tx = Transaction::Privileged(deposit());
    // keccak256(from ‖ to ‖ bytes32(5) ‖ bytes32(1) ‖ bytes32(100000) ‖ keccak256(0xabcd)),
    // assembled here from the formula.
    let mut packed = Vec::new();
    packed.extend_from_slice(&hex!("000000000000000000000000000000000000ffff"));
    packed.extend_from_slice(&hex!("000000000000000000000000000000000000ffff"));
    packed.extend_from_slice(&B256::left_padding_from(&[5]).0);
    packed.extend_from_slice(&B256::left_padding_from(&[1]).0);
    packed.extend_from_slice(&B256::left_padding_from(&hex!("0186a0")).0);
    packed.extend_from_slice(keccak256(hex!("abcd")).as_slice());
    assert_eq!(packed.len(), 168);
    assert_eq!(tx.hash(), keccak256(&packed));
    assert_ne!(tx.hash(), keccak256(tx.encode_2718()));
}

#[test]
fn privileged_sender_is_from_and_it_cannot_be_signed() {
    let tx = Transaction::Privileged(deposit());
    assert_eq!(
        tx.sender().unwrap(),
        address!("000000000000000000000000000000000000ffff")
    );
    assert_eq!(tx.nonce(), 5);
    assert_eq!(tx.max_fee_per_gas(), U256::ZERO);
    assert!(tx.clone().sign(&SECRET).is_err());
    assert_eq!(
        crate::validation::validate_transaction(&tx, crate::Fork::Osaka, 65_536_999),
        Err(crate::validation::TxValidityError::PrivilegedNotAllowed)
    );
}

#[test]
fn privileged_with_fees_or_access_list_is_rejected() {
    let mut with_fee = deposit();
    with_fee.max_fee_per_gas = U256::from(1);
    let mut with_list = deposit();
    with_list.access_list = AccessList(vec![alloy_eips::eip2930::AccessListItem {
        address: Address::repeat_byte(2),
        storage_keys: vec![],
    }]);
    for bad in [with_fee, with_list] {
        let bytes = Transaction::Privileged(bad).encode_2718();
        let err = decode_transaction_2718(&bytes).unwrap_err().to_string();
        assert!(err.contains("privileged transaction with"), "{err}");
    }
    let mut trailing = Transaction::Privileged(deposit()).encode_2718();
    trailing.push(0);
    assert!(decode_transaction_2718(&trailing).is_err());
}
