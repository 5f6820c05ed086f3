//! The L1 messages of a batch: the `L1Message(address indexed senderOnL2, bytes32 indexed data,
//! uint256 messageId)` logs that the `Messenger` (genesis code at [`MESSENGER_ADDRESS`]) emits
//! when `CommonBridgeL2` sends a withdrawal, read from a block's receipts.
//!
//! Each [`L1Message`] carries the hash of the transaction that emitted it; messages come in
//! emission order (transaction order, then log order), which is the order of the Merkle leaves.
//! [`BatchMessages`] gathers a batch's messages and gives their withdrawal leaves, the Merkle
//! root `commitBatch` publishes and the proofs `claimWithdrawal` takes — all computed by
//! `ethrex_l2_contracts::hashes` (`withdrawal_leaf`, `merkle_root`, `merkle_proof`), the same
//! functions the contracts are tested against.
//!
//! Logs of other contracts are not messages and are passed over silently. A log of the
//! Messenger that is not a well-formed `L1Message` (another first topic, a wrong topic count,
//! data that is not one word, a sender topic that is not an address or not `CommonBridgeL2`) is
//! left out and reported as a [`SkippedLog`] with its reason: the real Messenger never emits one.

use alloy_primitives::{Address, B256, U256, b256};
use ethrex_common::types::{Block, Log, Receipt};
use ethrex_l2_contracts::{L2_BRIDGE_ADDRESS, MESSENGER_ADDRESS, hashes};

use crate::{Error, Result};

/// `keccak256("L1Message(address,bytes32,uint256)")`, the event's first topic.
pub const L1_MESSAGE_TOPIC: B256 =
    b256!("0x18d7b705344d616d1b61daa6a8ccfcf9f10c27ade007cc45cf870d1e121f1a9d");

/// One L2 -> L1 message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct L1Message {
    /// The hash of the L2 transaction that emitted it.
    pub tx_hash: B256,
    /// `senderOnL2`: always `CommonBridgeL2`.
    pub sender: Address,
    /// The message: for a withdrawal, its data hash.
    pub data: B256,
    /// The Messenger's id (from 1); the claim id on L1.
    pub message_id: U256,
}

impl L1Message {
    /// The Merkle leaf: keccak256(l2TxHash ‖ bytes20(0x…ffff) ‖ data ‖ bytes32(messageId)).
    pub fn leaf(&self) -> B256 {
        hashes::withdrawal_leaf(self.tx_hash, self.data, self.message_id)
    }
}

/// Why a log of the Messenger was not taken as an L1 message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SkipReason {
    #[error("first topic {0:?} is not L1Message's")]
    OtherEvent(Option<B256>),
    #[error("L1Message with {0} topics, expected 3")]
    WrongTopicCount(usize),
    #[error("L1Message with {0} data bytes, expected 32 (messageId)")]
    WrongDataLength(usize),
    #[error("L1Message sender topic {0} is not an address")]
    SenderNotAnAddress(B256),
    #[error("L1Message sent by {0}, not CommonBridgeL2")]
    SenderNotBridge(Address),
}

/// A Messenger log left out, where it is and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("log {log_index} of transaction {tx_hash} skipped: {reason}")]
pub struct SkippedLog {
    pub tx_hash: B256,
    /// Its index among the block's logs (the JSON-RPC `logIndex`).
    pub log_index: usize,
    pub reason: SkipReason,
}

/// The L1 messages of one block and the Messenger logs left out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BlockMessages {
    pub messages: Vec<L1Message>,
    pub skipped: Vec<SkippedLog>,
}

/// The L1 message of a Messenger log.
fn parse_log(tx_hash: B256, log: &Log) -> Result<L1Message, SkipReason> {
    let topics = log.topics();
    if topics.first() != Some(&L1_MESSAGE_TOPIC) {
        return Err(SkipReason::OtherEvent(topics.first().copied()));
    }
    let [_, sender, data] = topics else {
        return Err(SkipReason::WrongTopicCount(topics.len()));
    };
    let id: [u8; 32] = log.data.data[..]
        .try_into()
        .map_err(|_| SkipReason::WrongDataLength(log.data.data.len()))?;
    if sender[..12] != [0; 12] {
        return Err(SkipReason::SenderNotAnAddress(*sender));
    }
    let sender = Address::from_slice(&sender[12..]);
    if sender != L2_BRIDGE_ADDRESS {
        return Err(SkipReason::SenderNotBridge(sender));
    }
    Ok(L1Message {
        tx_hash,
        sender,
        data: *data,
        message_id: U256::from_be_bytes(id),
    })
}

/// The L1 messages in `receipts`, `tx_hashes[i]` being the hash of the transaction of
/// `receipts[i]`. Different counts are an error.
pub fn l1_messages_from_receipts(
    tx_hashes: &[B256],
    receipts: &[Receipt],
) -> Result<BlockMessages> {
    if tx_hashes.len() != receipts.len() {
        return Err(Error::ReceiptCount {
            receipts: receipts.len(),
            transactions: tx_hashes.len(),
        });
    }
    let mut out = BlockMessages::default();
    let logs = tx_hashes
        .iter()
        .zip(receipts)
        .flat_map(|(hash, receipt)| receipt.logs().iter().map(move |log| (*hash, log)));
    for (log_index, (tx_hash, log)) in logs.enumerate() {
        if log.address != MESSENGER_ADDRESS {
            continue;
        }
        match parse_log(tx_hash, log) {
            Ok(message) => out.messages.push(message),
            Err(reason) => out.skipped.push(SkippedLog {
                tx_hash,
                log_index,
                reason,
            }),
        }
    }
    Ok(out)
}

/// The L1 messages of `block`, whose receipts are `receipts` (one per transaction).
pub fn block_l1_messages(block: &Block, receipts: &[Receipt]) -> Result<BlockMessages> {
    let hashes: Vec<B256> = block.body.transactions.iter().map(|tx| tx.hash()).collect();
    l1_messages_from_receipts(&hashes, receipts)
}

/// The proof of one message, as `claimWithdrawal` and `ethrex_getWithdrawalProof` take it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageProof {
    pub message_id: U256,
    /// The message (its data hash).
    pub data: B256,
    /// Its leaf's index in the batch.
    pub index: usize,
    /// Siblings from the bottom.
    pub merkle_proof: Vec<B256>,
}

/// The L1 messages of a batch in emission order, with their leaves.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchMessages {
    messages: Vec<L1Message>,
    leaves: Vec<B256>,
}

impl BatchMessages {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends the next messages (the next block's, in order).
    pub fn extend(&mut self, messages: impl IntoIterator<Item = L1Message>) {
        for message in messages {
            self.leaves.push(message.leaf());
            self.messages.push(message);
        }
    }

    pub fn messages(&self) -> &[L1Message] {
        &self.messages
    }

    /// The withdrawal leaves, in emission order.
    pub fn leaves(&self) -> &[B256] {
        &self.leaves
    }

    /// The root `commitBatch` publishes: zero without messages (then none is published).
    pub fn merkle_root(&self) -> B256 {
        hashes::merkle_root(&self.leaves)
    }

    /// The proof of message `index`; `None` out of range.
    pub fn proof(&self, index: usize) -> Option<Vec<B256>> {
        hashes::merkle_proof(&self.leaves, index)
    }

    /// The proofs of every message `tx_hash` emitted, in emission order (none for a
    /// transaction without messages).
    pub fn proofs_of_tx(&self, tx_hash: B256) -> Vec<MessageProof> {
        self.messages
            .iter()
            .enumerate()
            .filter(|(_, message)| message.tx_hash == tx_hash)
            .filter_map(|(index, message)| {
                Some(MessageProof {
                    message_id: message.message_id,
                    data: message.data,
                    index,
                    merkle_proof: self.proof(index)?,
                })
            })
            .collect()
    }
}

impl FromIterator<L1Message> for BatchMessages {
    fn from_iter<I: IntoIterator<Item = L1Message>>(iter: I) -> Self {
        let mut batch = Self::new();
        batch.extend(iter);
        batch
    }
}

#[cfg(test)]
mod tests;
