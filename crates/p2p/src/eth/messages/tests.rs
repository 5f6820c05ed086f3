//! Round trips of every message in both versions, the wire shapes the specs fix, and a property
//! test: arbitrary bytes never make a decoder panic.

use alloy_consensus::ReceiptWithBloom;
use alloy_primitives::{FixedBytes, hex};
use ethrex_common::types::ReceiptData;
use proptest::prelude::*;

use super::*;
use crate::eth::test_chain;

const VERSIONS: [EthVersion; 3] = [EthVersion::Eth68, EthVersion::Eth69, EthVersion::Eth70];

fn fork_id() -> ForkId {
    ForkId {
        hash: FixedBytes([0xde, 0xad, 0xbe, 0xef]),
        next: 1_746_612_311,
    }
}

/// One of every message (Status in `version`'s shape; BlockRangeUpdate only for eth/69).
fn every_message(version: EthVersion) -> Vec<EthMessage> {
    static CHAIN: std::sync::LazyLock<Vec<Block>> =
        std::sync::LazyLock::new(|| test_chain::chain(2).1);
    let chain = &*CHAIN;
    let block = chain[1].clone();
    let txs = block.body.transactions.clone();
    let receipts = test_chain::receipts(&txs);
    let status = match version {
        EthVersion::Eth68 => Status::Eth68(StatusEth68 {
            version: 68,
            network_id: 1,
            total_difficulty: U256::from(58_750_000_000_000_000_000_000u128),
            head_hash: B256::repeat_byte(1),
            genesis_hash: B256::repeat_byte(2),
            fork_id: fork_id(),
        }),
        EthVersion::Eth69 | EthVersion::Eth70 => Status::Eth69(StatusEth69 {
            version: version.number(),
            network_id: 1,
            genesis_hash: B256::repeat_byte(2),
            fork_id: fork_id(),
            earliest_block: 0,
            latest_block: 22_000_000,
            latest_hash: B256::repeat_byte(1),
        }),
    };
    let mut messages = vec![
        EthMessage::Status(status),
        EthMessage::NewBlockHashes(vec![BlockHashNumber {
            hash: B256::repeat_byte(3),
            number: 5,
        }]),
        EthMessage::Transactions(txs.clone()),
        EthMessage::GetBlockHeaders(GetBlockHeaders {
            request_id: 7,
            query: HeadersQuery {
                origin: HashOrNumber::Hash(B256::repeat_byte(4)),
                amount: 192,
                skip: 0,
                reverse: true,
            },
        }),
        EthMessage::GetBlockHeaders(GetBlockHeaders {
            request_id: u64::MAX,
            query: HeadersQuery {
                origin: HashOrNumber::Number(0),
                amount: 1,
                skip: 99,
                reverse: false,
            },
        }),
        EthMessage::BlockHeaders(BlockHeaders {
            request_id: 7,
            headers: chain.iter().map(|b| b.header.clone()).collect(),
        }),
        EthMessage::GetBlockBodies(HashesRequest {
            request_id: 8,
            hashes: vec![B256::repeat_byte(5), B256::repeat_byte(6)],
        }),
        EthMessage::BlockBodies(BlockBodies {
            request_id: 8,
            bodies: chain.iter().map(|b| b.body.clone()).collect(),
        }),
        EthMessage::NewBlock(Box::new(NewBlock {
            block: block.clone(),
            total_difficulty: U256::from(17u64),
        })),
        EthMessage::NewPooledTransactionHashes(NewPooledTransactionHashes {
            types: Bytes::from(vec![0, 2, 3]),
            sizes: vec![100, 120, 131_300],
            hashes: vec![B256::repeat_byte(9); 3],
        }),
        EthMessage::GetPooledTransactions(HashesRequest {
            request_id: 9,
            hashes: vec![B256::repeat_byte(9)],
        }),
        EthMessage::PooledTransactions(PooledTransactions {
            request_id: 9,
            transactions: [txs.clone(), vec![test_chain::blob_transaction()]].concat(),
        }),
        EthMessage::GetReceipts(ReceiptsRequest {
            request_id: 10,
            // Only eth/70 carries the index.
            first_block_receipt_index: if version == EthVersion::Eth70 { 3 } else { 0 },
            hashes: vec![B256::repeat_byte(10)],
        }),
        EthMessage::Receipts(Receipts {
            request_id: 10,
            last_block_incomplete: version == EthVersion::Eth70,
            receipts: vec![receipts, vec![]],
        }),
    ];
    if version >= EthVersion::Eth69 {
        messages.push(EthMessage::BlockRangeUpdate(BlockRangeUpdate {
            earliest: 0,
            latest: 100,
            latest_hash: B256::repeat_byte(11),
        }));
    }
    messages
}

#[test]
fn eth70_receipt_messages_add_their_fields_and_earlier_versions_do_not() {
    let request = EthMessage::GetReceipts(ReceiptsRequest {
        request_id: 5,
        first_block_receipt_index: 7,
        hashes: vec![B256::repeat_byte(1)],
    });
    // eth/70: [5, 7, [hash]]; eth/69: [5, [hash]] (the index cannot travel).
    let hash_list = [&[0xe1, 0xa0][..], &[1u8; 32][..]].concat();
    assert_eq!(
        request.encode(EthVersion::Eth70),
        [&[0xe4, 0x05, 0x07][..], &hash_list[..]].concat()
    );
    assert_eq!(
        request.encode(EthVersion::Eth69),
        [&[0xe3, 0x05][..], &hash_list[..]].concat()
    );
    let answer = EthMessage::Receipts(Receipts {
        request_id: 5,
        last_block_incomplete: true,
        receipts: vec![vec![]],
    });
    // eth/70: [5, 1, [[]]]; eth/69: [5, [[]]].
    assert_eq!(
        answer.encode(EthVersion::Eth70),
        vec![0xc4, 0x05, 0x01, 0xc1, 0xc0]
    );
    assert_eq!(
        answer.encode(EthVersion::Eth69),
        vec![0xc3, 0x05, 0xc1, 0xc0]
    );
}

#[test]
fn every_message_round_trips_in_both_versions() {
    for version in VERSIONS {
        let messages = every_message(version);
        assert_eq!(
            messages.len(),
            if version >= EthVersion::Eth69 { 15 } else { 14 }
        );
        for message in messages {
            let payload = message.encode(version);
            let decoded = EthMessage::decode(version, message.id(), &payload)
                .unwrap_or_else(|e| panic!("{version} {}: {e}", message.name()));
            assert_eq!(decoded, message, "{version} {}", message.name());
        }
    }
}

#[test]
fn status_field_order_follows_each_version() {
    // eth/68: [68, 1, td, head, genesis, forkid]; eth/69: [69, 1, genesis, forkid, 0, latest, hash].
    let [EthMessage::Status(s68), ..] = &every_message(EthVersion::Eth68)[..] else {
        panic!()
    };
    let bytes = EthMessage::Status(s68.clone()).encode(EthVersion::Eth68);
    let mut fields = Header::decode_bytes(&mut bytes.as_slice(), true).unwrap();
    assert_eq!(u64::decode(&mut fields).unwrap(), 68);
    assert_eq!(u64::decode(&mut fields).unwrap(), 1);
    assert!(U256::decode(&mut fields).unwrap() > U256::ZERO);
    assert_eq!(B256::decode(&mut fields).unwrap(), B256::repeat_byte(1));
    assert_eq!(B256::decode(&mut fields).unwrap(), B256::repeat_byte(2));
    assert_eq!(ForkId::decode(&mut fields).unwrap(), fork_id());

    let [EthMessage::Status(s69), ..] = &every_message(EthVersion::Eth69)[..] else {
        panic!()
    };
    let bytes = EthMessage::Status(s69.clone()).encode(EthVersion::Eth69);
    let mut fields = Header::decode_bytes(&mut bytes.as_slice(), true).unwrap();
    assert_eq!(u64::decode(&mut fields).unwrap(), 69);
    assert_eq!(u64::decode(&mut fields).unwrap(), 1);
    assert_eq!(B256::decode(&mut fields).unwrap(), B256::repeat_byte(2));
    assert_eq!(ForkId::decode(&mut fields).unwrap(), fork_id());
    assert_eq!(u64::decode(&mut fields).unwrap(), 0);
    assert_eq!(u64::decode(&mut fields).unwrap(), 22_000_000);
    assert_eq!(B256::decode(&mut fields).unwrap(), B256::repeat_byte(1));
    assert!(fields.is_empty());
    // A Status of one version does not decode as the other.
    assert!(EthMessage::decode(EthVersion::Eth68, id::STATUS, &bytes).is_err());
}

#[test]
fn receipt_shapes_match_eip7642() {
    let data = ReceiptData {
        status: true.into(),
        cumulative_gas_used: 21_000,
        logs: vec![],
    };
    let legacy = Receipt::Legacy(ReceiptWithBloom::from(data.clone()));
    let typed = Receipt::Eip1559(ReceiptWithBloom::from(data));
    let encode = |r: &Receipt, v| {
        let mut out = Vec::new();
        crate::eth::receipts::encode_receipt(r, v, &mut out);
        out
    };
    // eth/69: [tx-type, status, cumulative-gas, logs], no bloom, for every type.
    assert_eq!(
        hex::encode(encode(&legacy, EthVersion::Eth69)),
        "c680018252 08c0".replace(' ', "")
    );
    assert_eq!(
        hex::encode(encode(&typed, EthVersion::Eth69)),
        "c602018252 08c0".replace(' ', "")
    );
    // eth/68: legacy as the list [status, gas, bloom, logs]; typed as a string of type || list.
    let legacy68 = encode(&legacy, EthVersion::Eth68);
    let list = format!("f9010801825208b90100{}c0", "00".repeat(256));
    assert_eq!(hex::encode(&legacy68), list);
    let typed68 = encode(&typed, EthVersion::Eth68);
    assert_eq!(hex::encode(&typed68), format!("b9010c02{list}"));
    // Both shapes decode to the same receipt, bloom included.
    for (r, v) in [
        (&legacy, EthVersion::Eth68),
        (&typed, EthVersion::Eth69),
        (&typed, EthVersion::Eth68),
    ] {
        let bytes = encode(r, v);
        let decoded = crate::eth::receipts::decode_receipt(&mut bytes.as_slice(), v).unwrap();
        assert_eq!(&decoded, r);
    }
}

#[test]
fn malformed_messages_are_typed_errors() {
    let v = EthVersion::Eth69;
    // Unequal announcement lists.
    let bad = NewPooledTransactionHashes {
        types: Bytes::from(vec![2]),
        sizes: vec![1, 2],
        hashes: vec![B256::ZERO],
    };
    let payload = alloy_rlp::encode(&bad);
    assert!(matches!(
        EthMessage::decode(v, id::NEW_POOLED_TRANSACTION_HASHES, &payload),
        Err(EthError::Invalid { .. })
    ));
    // Trailing bytes, unknown ids, BlockRangeUpdate under eth/68.
    let mut payload = EthMessage::GetReceipts(ReceiptsRequest {
        request_id: 1,
        first_block_receipt_index: 0,
        hashes: vec![],
    })
    .encode(v);
    payload.push(0x80);
    assert!(matches!(
        EthMessage::decode(v, id::GET_RECEIPTS, &payload),
        Err(EthError::Rlp { .. })
    ));
    assert!(matches!(
        EthMessage::decode(v, 0x0b, &[0xc0]),
        Err(EthError::UnknownMessage(0x0b))
    ));
    let range = EthMessage::BlockRangeUpdate(BlockRangeUpdate {
        earliest: 0,
        latest: 1,
        latest_hash: B256::ZERO,
    });
    assert!(matches!(
        EthMessage::decode(EthVersion::Eth68, id::BLOCK_RANGE_UPDATE, &range.encode(v)),
        Err(EthError::UnknownMessage(_))
    ));
    // A receipt of an unknown type.
    let payload = hex::decode("ca01c8c7c60501825208c0").unwrap();
    assert!(matches!(
        EthMessage::decode(v, id::RECEIPTS, &payload),
        Err(EthError::Rlp { .. })
    ));
    let known = hex::decode("ca01c8c7c60201825208c0").unwrap();
    assert!(EthMessage::decode(v, id::RECEIPTS, &known).is_ok());
}

/// Decoder property tests, run by [`crate::rlpx::fuzz::check`]: every message id of eth/68 and
/// eth/69, and the ids around them.
mod fuzz {
    use super::*;
    use crate::rlpx::fuzz::check;

    #[test]
    fn arbitrary_bytes_never_panic_a_decoder() {
        let strategy = (0u64..0x14, prop::collection::vec(any::<u8>(), 0..300));
        check(
            "eth: arbitrary payloads",
            2000,
            strategy,
            |(id, payload)| {
                for version in VERSIONS {
                    let _ = EthMessage::decode(version, id, &payload);
                }
                Ok(())
            },
        );
    }

    #[test]
    fn mutated_messages_never_panic_a_decoder() {
        let strategy = (
            any::<prop::sample::Index>(),
            any::<prop::sample::Index>(),
            any::<u8>(),
            any::<prop::sample::Index>(),
        );
        let every_version = VERSIONS.map(|version| (version, every_message(version)));
        check(
            "eth: mutated messages",
            2000,
            strategy,
            |(which, position, byte, cut)| {
                for (version, messages) in &every_version {
                    let version = *version;
                    let message = which.get(messages);
                    let mut payload = message.encode(version);
                    let i = position.index(payload.len());
                    payload[i] = byte;
                    let _ = EthMessage::decode(version, message.id(), &payload);
                    payload.truncate(cut.index(payload.len() + 1));
                    let _ = EthMessage::decode(version, message.id(), &payload);
                }
                Ok(())
            },
        );
    }
}
