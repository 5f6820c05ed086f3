//! Round trips of every snap/1 message, the slim account format, paths, and decoders fed
//! arbitrary or mutated bytes.

use alloy_primitives::{U256, hex};
use proptest::prelude::*;

use super::*;

fn samples() -> Vec<SnapMessage> {
    let plain = AccountState::default();
    let contract = AccountState {
        nonce: 7,
        balance: U256::from(10).pow(U256::from(20)),
        storage_root: B256::repeat_byte(0x11),
        code_hash: B256::repeat_byte(0x22),
    };
    vec![
        SnapMessage::GetAccountRange(GetAccountRange {
            request_id: 1,
            root_hash: B256::repeat_byte(1),
            starting_hash: B256::ZERO,
            limit_hash: B256::repeat_byte(0xff),
            response_bytes: 512 * 1024,
        }),
        SnapMessage::AccountRange(AccountRange {
            request_id: 2,
            accounts: vec![
                AccountRangeEntry {
                    hash: B256::repeat_byte(3),
                    account: SlimAccount(plain),
                },
                AccountRangeEntry {
                    hash: B256::repeat_byte(4),
                    account: SlimAccount(contract),
                },
            ],
            proof: vec![Bytes::from(vec![0xc0]), Bytes::from(vec![1, 2, 3])],
        }),
        SnapMessage::GetStorageRanges(GetStorageRanges {
            request_id: 3,
            root_hash: B256::repeat_byte(5),
            account_hashes: vec![B256::repeat_byte(6), B256::repeat_byte(7)],
            starting_hash: Bytes::new(),
            limit_hash: Bytes::from(vec![0xff; 32]),
            response_bytes: 0,
        }),
        SnapMessage::StorageRanges(StorageRanges {
            request_id: 4,
            slots: vec![
                vec![StorageSlot {
                    hash: B256::repeat_byte(8),
                    data: Bytes::from(vec![0x05]),
                }],
                vec![],
            ],
            proof: vec![],
        }),
        SnapMessage::GetByteCodes(GetByteCodes {
            request_id: 5,
            hashes: vec![B256::repeat_byte(9)],
            response_bytes: 1,
        }),
        SnapMessage::ByteCodes(ByteCodes {
            request_id: 6,
            codes: vec![Bytes::from(vec![0x60, 0x00]), Bytes::new()],
        }),
        SnapMessage::GetTrieNodes(GetTrieNodes {
            request_id: 7,
            root_hash: B256::repeat_byte(10),
            paths: vec![
                vec![Bytes::from(vec![0x00])],
                vec![Bytes::from(vec![0xab; 32]), Bytes::from(vec![0x13])],
            ],
            response_bytes: 100,
        }),
        SnapMessage::TrieNodes(TrieNodes {
            request_id: 8,
            nodes: vec![Bytes::from(vec![0xc1, 0x80]), Bytes::new()],
        }),
    ]
}

#[test]
fn every_message_round_trips_under_its_id() {
    for (expected_id, message) in samples().into_iter().enumerate() {
        assert_eq!(message.id(), expected_id as u64);
        let payload = message.encode();
        assert_eq!(
            SnapMessage::decode(message.id(), &payload).unwrap(),
            message
        );
        // A trailing byte is refused.
        let mut longer = payload.clone();
        longer.push(0x80);
        assert!(SnapMessage::decode(message.id(), &longer).is_err());
    }
    assert!(matches!(
        SnapMessage::decode(8, &[0xc0]),
        Err(SnapError::UnknownMessage(8))
    ));
}

#[test]
fn slim_accounts_send_empty_root_and_code_hash_as_empty_strings() {
    let plain = SlimAccount(AccountState {
        nonce: 1,
        balance: U256::from(2),
        ..AccountState::default()
    });
    assert_eq!(alloy_rlp::encode(plain), hex!("c401028080"));
    assert_eq!(plain.length(), 5);
    // An empty list is accepted for either field too.
    let decoded = SlimAccount::decode(&mut &hex!("c40102c0c0")[..]).unwrap();
    assert_eq!(decoded, plain);
    // A full account keeps its hashes.
    let full = SlimAccount(AccountState {
        nonce: 0,
        balance: U256::ZERO,
        storage_root: B256::repeat_byte(1),
        code_hash: B256::repeat_byte(2),
    });
    let encoded = alloy_rlp::encode(full);
    assert_eq!(encoded.len(), full.length());
    assert_eq!(SlimAccount::decode(&mut encoded.as_slice()).unwrap(), full);
    // A fifth field is refused.
    assert!(SlimAccount::decode(&mut &hex!("c50102808080")[..]).is_err());
}

#[test]
fn paths_are_binary_when_full_and_hex_prefix_otherwise() {
    assert_eq!(decode_path(&[0x00]).unwrap(), Nibbles::default());
    assert_eq!(
        decode_path(&[0x1a]).unwrap(),
        Nibbles::from_nibbles(&[0xa]).unwrap()
    );
    assert_eq!(
        decode_path(&[0x00, 0xab]).unwrap(),
        Nibbles::from_nibbles(&[0xa, 0xb]).unwrap()
    );
    assert_eq!(
        decode_path(&[0xab; 32]).unwrap(),
        Nibbles::from_bytes(&[0xab; 32])
    );
    assert_eq!(decode_path(&[]), None);
    assert_eq!(decode_path(&[0x4a]), None);
}

/// Decoder property tests, run by [`crate::rlpx::fuzz::check`]: every snap/1 message id, and
/// the ids after them.
mod fuzz {
    use super::*;
    use crate::rlpx::fuzz::check;

    #[test]
    fn arbitrary_bytes_never_panic_a_decoder() {
        let strategy = (0u64..10, prop::collection::vec(any::<u8>(), 0..300));
        check(
            "snap: arbitrary payloads",
            2000,
            strategy,
            |(id, payload)| {
                let _ = SnapMessage::decode(id, &payload);
                let _ = decode_path(&payload);
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
        check(
            "snap: mutated messages",
            2000,
            strategy,
            |(which, position, byte, cut)| {
                let samples = samples();
                let message = which.get(&samples);
                let mut payload = message.encode();
                let at = position.index(payload.len());
                payload[at] = byte;
                let _ = SnapMessage::decode(message.id(), &payload);
                payload.truncate(cut.index(payload.len() + 1));
                let _ = SnapMessage::decode(message.id(), &payload);
                Ok(())
            },
        );
    }
}
