//! L1 messages read from hand-built receipts; leaves and roots checked against the packed
//! encodings of issue 14 hashed here with `keccak256`, not by the code under test.

use alloy_consensus::ReceiptWithBloom;
use alloy_primitives::{Bytes, LogData, address, keccak256};
use ethrex_common::types::ReceiptData;

use super::*;

const ETH: Address = address!("0xEeeeeEeeeEeEeeEeEeEeeEEEeeeeEeeeeeeeEEeE");
const MESSENGER: Address = address!("0x000000000000000000000000000000000000fffe");
const BRIDGE: Address = address!("0x000000000000000000000000000000000000ffff");

fn word(address: Address) -> B256 {
    B256::left_padding_from(address.as_slice())
}

fn log(address: Address, topics: Vec<B256>, data: Vec<u8>) -> Log {
    Log {
        address,
        data: LogData::new_unchecked(topics, Bytes::from(data)),
    }
}

/// The Messenger's log for message `id` with `data`.
fn message_log(data: B256, id: u64) -> Log {
    let topic = keccak256("L1Message(address,bytes32,uint256)");
    log(
        MESSENGER,
        vec![topic, word(BRIDGE), data],
        U256::from(id).to_be_bytes::<32>().to_vec(),
    )
}

fn receipt(logs: Vec<Log>) -> Receipt {
    Receipt::Eip1559(ReceiptWithBloom::from(ReceiptData {
        status: true.into(),
        cumulative_gas_used: 50_000,
        logs,
    }))
}

/// keccak256(abi.encodePacked(ETH, ETH, receiver, amount)).
fn eth_withdrawal_data(receiver: Address, amount: u64) -> B256 {
    let mut packed = Vec::new();
    packed.extend_from_slice(ETH.as_slice());
    packed.extend_from_slice(ETH.as_slice());
    packed.extend_from_slice(receiver.as_slice());
    packed.extend_from_slice(&U256::from(amount).to_be_bytes::<32>());
    keccak256(packed)
}

/// keccak256(abi.encodePacked(bytes32 txHash, address 0xffff, bytes32 data, uint256 id)).
fn expected_leaf(tx_hash: B256, data: B256, id: u64) -> B256 {
    let mut packed = Vec::new();
    packed.extend_from_slice(tx_hash.as_slice());
    packed.extend_from_slice(BRIDGE.as_slice());
    packed.extend_from_slice(data.as_slice());
    packed.extend_from_slice(&U256::from(id).to_be_bytes::<32>());
    keccak256(packed)
}

fn sorted_pair(a: B256, b: B256) -> B256 {
    let (low, high) = if a < b { (a, b) } else { (b, a) };
    keccak256([low.0, high.0].concat())
}

#[test]
fn event_topic_is_the_keccak_of_the_signature() {
    assert_eq!(
        L1_MESSAGE_TOPIC,
        keccak256("L1Message(address,bytes32,uint256)")
    );
}

#[test]
fn messages_come_in_emission_order_with_their_tx_hashes_and_other_contracts_are_ignored() {
    let tx = [
        B256::repeat_byte(1),
        B256::repeat_byte(2),
        B256::repeat_byte(3),
    ];
    let data = [
        eth_withdrawal_data(Address::repeat_byte(0xa1), 1_000),
        eth_withdrawal_data(Address::repeat_byte(0xa2), 2_000),
        eth_withdrawal_data(Address::repeat_byte(0xa3), 3_000),
    ];
    let mut other = message_log(data[0], 99);
    other.address = Address::repeat_byte(0x42); // same event, another contract
    let receipts = vec![
        // tx 0: a withdrawal, with the bridge's own logs and an impostor around it.
        receipt(vec![
            log(BRIDGE, vec![B256::repeat_byte(9)], vec![]),
            message_log(data[0], 1),
            other,
        ]),
        // tx 1: no logs at all.
        receipt(vec![]),
        // tx 2: two withdrawals.
        receipt(vec![message_log(data[1], 2), message_log(data[2], 3)]),
    ];
    let found = l1_messages_from_receipts(&tx, &receipts).unwrap();
    assert!(found.skipped.is_empty(), "{:?}", found.skipped);
    let got: Vec<(B256, B256, U256)> = found
        .messages
        .iter()
        .map(|m| (m.tx_hash, m.data, m.message_id))
        .collect();
    assert_eq!(
        got,
        vec![
            (tx[0], data[0], U256::from(1)),
            (tx[2], data[1], U256::from(2)),
            (tx[2], data[2], U256::from(3)),
        ]
    );
    assert!(found.messages.iter().all(|m| m.sender == BRIDGE));

    let batch: BatchMessages = found.messages.into_iter().collect();
    let leaves = [
        expected_leaf(tx[0], data[0], 1),
        expected_leaf(tx[2], data[1], 2),
        expected_leaf(tx[2], data[2], 3),
    ];
    assert_eq!(batch.leaves(), leaves);
    // Three leaves: the third is lone and moves up.
    let root = sorted_pair(sorted_pair(leaves[0], leaves[1]), leaves[2]);
    assert_eq!(batch.merkle_root(), root);
    assert_eq!(
        batch.proof(2).unwrap(),
        vec![sorted_pair(leaves[0], leaves[1])]
    );
    assert_eq!(batch.proof(0).unwrap(), vec![leaves[1], leaves[2]]);
    assert_eq!(batch.proof(3), None);

    let proofs = batch.proofs_of_tx(tx[2]);
    assert_eq!(proofs.len(), 2);
    for proof in &proofs {
        let leaf = leaves[proof.index];
        let folded = proof
            .merkle_proof
            .iter()
            .fold(leaf, |n, s| sorted_pair(n, *s));
        assert_eq!(folded, root, "message {}", proof.message_id);
    }
    assert_eq!(
        proofs.iter().map(|p| p.message_id).collect::<Vec<_>>(),
        vec![U256::from(2), U256::from(3)]
    );
    assert!(batch.proofs_of_tx(tx[1]).is_empty());
}

#[test]
fn batches_of_one_and_no_message_have_the_leaf_and_zero_as_root() {
    let data = eth_withdrawal_data(Address::repeat_byte(7), 5);
    let tx = B256::repeat_byte(0xee);
    let found = l1_messages_from_receipts(&[tx], &[receipt(vec![message_log(data, 12)])]).unwrap();
    let batch: BatchMessages = found.messages.into_iter().collect();
    assert_eq!(batch.merkle_root(), expected_leaf(tx, data, 12));
    assert_eq!(batch.proof(0).unwrap(), Vec::<B256>::new());
    assert_eq!(BatchMessages::new().merkle_root(), B256::ZERO);
}

#[test]
fn messages_of_several_blocks_extend_one_batch_in_order() {
    let tx = [B256::repeat_byte(1), B256::repeat_byte(2)];
    let data = [B256::repeat_byte(0x10), B256::repeat_byte(0x20)];
    let mut batch = BatchMessages::new();
    for (i, (tx, data)) in tx.iter().zip(data).enumerate() {
        let id = i as u64 + 1;
        let block = l1_messages_from_receipts(&[*tx], &[receipt(vec![message_log(data, id)])]);
        batch.extend(block.unwrap().messages);
    }
    let leaves = [
        expected_leaf(tx[0], data[0], 1),
        expected_leaf(tx[1], data[1], 2),
    ];
    assert_eq!(batch.leaves(), leaves);
    assert_eq!(batch.merkle_root(), sorted_pair(leaves[0], leaves[1]));
}

#[test]
fn malformed_messenger_logs_are_skipped_with_their_reason() {
    let topic = L1_MESSAGE_TOPIC;
    let id = U256::from(1).to_be_bytes::<32>().to_vec();
    let data = B256::repeat_byte(5);
    let cases = [
        (
            log(MESSENGER, vec![topic, word(BRIDGE)], id.clone()),
            SkipReason::WrongTopicCount(2),
        ),
        (
            log(MESSENGER, vec![topic, word(BRIDGE), data, data], id.clone()),
            SkipReason::WrongTopicCount(4),
        ),
        (
            log(MESSENGER, vec![topic, word(BRIDGE), data], vec![1; 31]),
            SkipReason::WrongDataLength(31),
        ),
        (
            log(
                MESSENGER,
                vec![B256::repeat_byte(3), word(BRIDGE), data],
                id.clone(),
            ),
            SkipReason::OtherEvent(Some(B256::repeat_byte(3))),
        ),
        (
            log(MESSENGER, vec![], id.clone()),
            SkipReason::OtherEvent(None),
        ),
        (
            log(
                MESSENGER,
                vec![topic, B256::repeat_byte(0xff), data],
                id.clone(),
            ),
            SkipReason::SenderNotAnAddress(B256::repeat_byte(0xff)),
        ),
        (
            log(
                MESSENGER,
                vec![topic, word(Address::repeat_byte(9)), data],
                id.clone(),
            ),
            SkipReason::SenderNotBridge(Address::repeat_byte(9)),
        ),
    ];
    for (bad, reason) in cases {
        let tx = B256::repeat_byte(0xab);
        // A good message after the bad one is still found; the bad one is log 0.
        let logs = vec![bad, message_log(data, 2)];
        let found = l1_messages_from_receipts(&[tx], &[receipt(logs)]).unwrap();
        assert_eq!(found.messages.len(), 1, "{reason}");
        assert_eq!(found.messages[0].message_id, U256::from(2));
        assert_eq!(
            found.skipped,
            vec![SkippedLog {
                tx_hash: tx,
                log_index: 0,
                reason: reason.clone()
            }]
        );
        let text = found.skipped[0].to_string();
        assert!(text.starts_with("log 0 of transaction 0xabab"), "{text}");
    }
}

#[test]
fn receipt_count_must_match_the_transactions() {
    let err = l1_messages_from_receipts(&[B256::ZERO; 2], &[receipt(vec![])]).unwrap_err();
    assert_eq!(err.to_string(), "1 receipts for 2 transactions");
}
