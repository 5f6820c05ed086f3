//! Every snap/1 message (devp2p `caps/snap.md`), typed, and [`SnapMessage`]: its id (relative to
//! the snap capability's offset) and its RLP payload.
//!
//! Accounts travel in the slim format ([`SlimAccount`]): the RLP of the consensus account, except
//! that the empty storage root and the empty code hash are sent as empty strings (either empty
//! string or empty list is accepted). A GetStorageRanges origin and limit are byte strings of up
//! to 32 bytes (empty = unbounded); a GetTrieNodes path is a full 32-byte path in binary or a
//! partial one hex-prefix encoded ([`decode_path`]).
//!
//! Decoding is strict: every byte of a payload must be consumed, and a decoder returns
//! [`SnapError`] on any input, never panics.

use alloy_primitives::{B256, Bytes, U256};
use alloy_rlp::{Decodable, Encodable, Header, RlpDecodable, RlpEncodable};
use ethrex_common::{constants::EMPTY_CODE_HASH, types::AccountState};
use ethrex_trie::{EMPTY_TRIE_ROOT, Nibbles};

use super::{SnapError, SnapResult};

/// Message ids, relative to the snap capability's offset.
pub mod id {
    pub const GET_ACCOUNT_RANGE: u64 = 0x00;
    pub const ACCOUNT_RANGE: u64 = 0x01;
    pub const GET_STORAGE_RANGES: u64 = 0x02;
    pub const STORAGE_RANGES: u64 = 0x03;
    pub const GET_BYTE_CODES: u64 = 0x04;
    pub const BYTE_CODES: u64 = 0x05;
    pub const GET_TRIE_NODES: u64 = 0x06;
    pub const TRIE_NODES: u64 = 0x07;
}

/// GetAccountRange: `[reqID, rootHash, startingHash, limitHash, responseBytes]`.
#[derive(Debug, Clone, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct GetAccountRange {
    pub request_id: u64,
    pub root_hash: B256,
    pub starting_hash: B256,
    pub limit_hash: B256,
    pub response_bytes: u64,
}

/// An account in the slim format: `[nonce, balance, storageRoot or "", codeHash or ""]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SlimAccount(pub AccountState);

impl SlimAccount {
    fn root_field(&self) -> &[u8] {
        if self.0.storage_root == EMPTY_TRIE_ROOT {
            &[]
        } else {
            self.0.storage_root.as_slice()
        }
    }

    fn code_field(&self) -> &[u8] {
        if self.0.code_hash == EMPTY_CODE_HASH {
            &[]
        } else {
            self.0.code_hash.as_slice()
        }
    }

    fn payload_length(&self) -> usize {
        self.0.nonce.length()
            + self.0.balance.length()
            + self.root_field().length()
            + self.code_field().length()
    }
}

impl Encodable for SlimAccount {
    fn encode(&self, out: &mut dyn alloy_rlp::BufMut) {
        Header {
            list: true,
            payload_length: self.payload_length(),
        }
        .encode(out);
        self.0.nonce.encode(out);
        self.0.balance.encode(out);
        self.root_field().encode(out);
        self.code_field().encode(out);
    }

    fn length(&self) -> usize {
        let payload_length = self.payload_length();
        payload_length + alloy_rlp::length_of_length(payload_length)
    }
}

/// A hash field of a slim account: empty (string or list) means `empty`.
fn decode_slim_hash(buf: &mut &[u8], empty: B256) -> alloy_rlp::Result<B256> {
    match buf.first() {
        Some(&alloy_rlp::EMPTY_STRING_CODE) | Some(&alloy_rlp::EMPTY_LIST_CODE) => {
            *buf = &buf[1..];
            Ok(empty)
        }
        _ => B256::decode(buf),
    }
}

impl Decodable for SlimAccount {
    fn decode(buf: &mut &[u8]) -> alloy_rlp::Result<Self> {
        let mut fields = Header::decode_bytes(buf, true)?;
        let nonce = u64::decode(&mut fields)?;
        let balance = U256::decode(&mut fields)?;
        let storage_root = decode_slim_hash(&mut fields, EMPTY_TRIE_ROOT)?;
        let code_hash = decode_slim_hash(&mut fields, EMPTY_CODE_HASH)?;
        if !fields.is_empty() {
            return Err(alloy_rlp::Error::ListLengthMismatch {
                expected: 0,
                got: fields.len(),
            });
        }
        Ok(Self(AccountState {
            nonce,
            balance,
            storage_root,
            code_hash,
        }))
    }
}

/// One account of an AccountRange: `[accHash, accBody]`.
#[derive(Debug, Clone, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct AccountRangeEntry {
    pub hash: B256,
    pub account: SlimAccount,
}

/// AccountRange: `[reqID, [[accHash, accBody], ...], [node, ...]]`.
#[derive(Debug, Clone, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct AccountRange {
    pub request_id: u64,
    pub accounts: Vec<AccountRangeEntry>,
    pub proof: Vec<Bytes>,
}

/// GetStorageRanges: `[reqID, rootHash, [accHash, ...], startingHash, limitHash, responseBytes]`
/// (`startingHash` and `limitHash` may be empty: from zero, to the end).
#[derive(Debug, Clone, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct GetStorageRanges {
    pub request_id: u64,
    pub root_hash: B256,
    pub account_hashes: Vec<B256>,
    pub starting_hash: Bytes,
    pub limit_hash: Bytes,
    pub response_bytes: u64,
}

/// One slot of a StorageRanges: `[slotHash, slotData]`, the data as the trie stores it (the
/// RLP of the value).
#[derive(Debug, Clone, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct StorageSlot {
    pub hash: B256,
    pub data: Bytes,
}

/// StorageRanges: `[reqID, [[[slotHash, slotData], ...], ...], [node, ...]]`, one slot list per
/// served account, the proof for the last list only.
#[derive(Debug, Clone, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct StorageRanges {
    pub request_id: u64,
    pub slots: Vec<Vec<StorageSlot>>,
    pub proof: Vec<Bytes>,
}

/// GetByteCodes: `[reqID, [hash, ...], bytes]`.
#[derive(Debug, Clone, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct GetByteCodes {
    pub request_id: u64,
    pub hashes: Vec<B256>,
    pub response_bytes: u64,
}

/// ByteCodes: `[reqID, [code, ...]]`.
#[derive(Debug, Clone, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct ByteCodes {
    pub request_id: u64,
    pub codes: Vec<Bytes>,
}

/// GetTrieNodes: `[reqID, rootHash, [[accPath, slotPath, ...], ...], bytes]`: a group of one
/// path addresses an account-trie node; a longer group names the account (full path) then the
/// paths in its storage trie.
#[derive(Debug, Clone, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct GetTrieNodes {
    pub request_id: u64,
    pub root_hash: B256,
    pub paths: Vec<Vec<Bytes>>,
    pub response_bytes: u64,
}

/// TrieNodes: `[reqID, [node, ...]]`.
#[derive(Debug, Clone, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct TrieNodes {
    pub request_id: u64,
    pub nodes: Vec<Bytes>,
}

/// A GetTrieNodes path: 32 bytes are a full path in binary, anything else is hex-prefix
/// encoded. `None` when it is not valid hex-prefix.
pub fn decode_path(path: &[u8]) -> Option<Nibbles> {
    if path.len() == 32 {
        return Some(Nibbles::from_bytes(path));
    }
    Nibbles::decode_compact(path)
        .ok()
        .map(|(nibbles, _)| nibbles)
}

/// Every snap/1 message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnapMessage {
    GetAccountRange(GetAccountRange),
    AccountRange(AccountRange),
    GetStorageRanges(GetStorageRanges),
    StorageRanges(StorageRanges),
    GetByteCodes(GetByteCodes),
    ByteCodes(ByteCodes),
    GetTrieNodes(GetTrieNodes),
    TrieNodes(TrieNodes),
}

impl SnapMessage {
    /// The message id, relative to the snap capability's offset.
    pub fn id(&self) -> u64 {
        match self {
            Self::GetAccountRange(_) => id::GET_ACCOUNT_RANGE,
            Self::AccountRange(_) => id::ACCOUNT_RANGE,
            Self::GetStorageRanges(_) => id::GET_STORAGE_RANGES,
            Self::StorageRanges(_) => id::STORAGE_RANGES,
            Self::GetByteCodes(_) => id::GET_BYTE_CODES,
            Self::ByteCodes(_) => id::BYTE_CODES,
            Self::GetTrieNodes(_) => id::GET_TRIE_NODES,
            Self::TrieNodes(_) => id::TRIE_NODES,
        }
    }

    /// The request id every snap message carries first.
    pub fn request_id(&self) -> u64 {
        match self {
            Self::GetAccountRange(m) => m.request_id,
            Self::AccountRange(m) => m.request_id,
            Self::GetStorageRanges(m) => m.request_id,
            Self::StorageRanges(m) => m.request_id,
            Self::GetByteCodes(m) => m.request_id,
            Self::ByteCodes(m) => m.request_id,
            Self::GetTrieNodes(m) => m.request_id,
            Self::TrieNodes(m) => m.request_id,
        }
    }

    /// The message's RLP payload.
    pub fn encode(&self) -> Vec<u8> {
        match self {
            Self::GetAccountRange(m) => alloy_rlp::encode(m),
            Self::AccountRange(m) => alloy_rlp::encode(m),
            Self::GetStorageRanges(m) => alloy_rlp::encode(m),
            Self::StorageRanges(m) => alloy_rlp::encode(m),
            Self::GetByteCodes(m) => alloy_rlp::encode(m),
            Self::ByteCodes(m) => alloy_rlp::encode(m),
            Self::GetTrieNodes(m) => alloy_rlp::encode(m),
            Self::TrieNodes(m) => alloy_rlp::encode(m),
        }
    }

    /// Decodes the payload of message `id`; every byte must be consumed.
    pub fn decode(id: u64, payload: &[u8]) -> SnapResult<Self> {
        let name = name_of(id).ok_or(SnapError::UnknownMessage(id))?;
        let err = SnapError::rlp(name);
        Ok(match id {
            id::GET_ACCOUNT_RANGE => Self::GetAccountRange(exact(payload).map_err(err)?),
            id::ACCOUNT_RANGE => Self::AccountRange(exact(payload).map_err(err)?),
            id::GET_STORAGE_RANGES => Self::GetStorageRanges(exact(payload).map_err(err)?),
            id::STORAGE_RANGES => Self::StorageRanges(exact(payload).map_err(err)?),
            id::GET_BYTE_CODES => Self::GetByteCodes(exact(payload).map_err(err)?),
            id::BYTE_CODES => Self::ByteCodes(exact(payload).map_err(err)?),
            id::GET_TRIE_NODES => Self::GetTrieNodes(exact(payload).map_err(err)?),
            _ => Self::TrieNodes(exact(payload).map_err(err)?),
        })
    }
}

/// The name of message `id`, `None` outside snap/1.
pub fn name_of(id: u64) -> Option<&'static str> {
    Some(match id {
        id::GET_ACCOUNT_RANGE => "GetAccountRange",
        id::ACCOUNT_RANGE => "AccountRange",
        id::GET_STORAGE_RANGES => "GetStorageRanges",
        id::STORAGE_RANGES => "StorageRanges",
        id::GET_BYTE_CODES => "GetByteCodes",
        id::BYTE_CODES => "ByteCodes",
        id::GET_TRIE_NODES => "GetTrieNodes",
        id::TRIE_NODES => "TrieNodes",
        _ => return None,
    })
}

/// Decodes a `T` that must span the whole payload.
fn exact<T: Decodable>(payload: &[u8]) -> alloy_rlp::Result<T> {
    let mut buf = payload;
    let value = T::decode(&mut buf)?;
    if !buf.is_empty() {
        return Err(alloy_rlp::Error::Custom("trailing bytes after the message"));
    }
    Ok(value)
}

#[cfg(test)]
mod tests;
