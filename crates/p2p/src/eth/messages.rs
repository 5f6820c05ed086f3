//! Every eth/68 and eth/69 message (devp2p `caps/eth.md`), typed, and [`EthMessage`]: its id
//! (relative to the eth capability's offset) and its RLP payload for a negotiated
//! [`EthVersion`].
//!
//! Versions differ in three places: [`Status`] (eth/68 carries total difficulty and the head
//! hash; eth/69 the served block range), `Receipts` (see [`super::receipts`]) and
//! `BlockRangeUpdate` (eth/69 only). Requests and their answers carry a request id (eth/66+).
//! Transactions travel in their block-body form (legacy as a list, typed as an RLP string),
//! except in `PooledTransactions`, where a blob transaction's string holds its network form
//! with the sidecar.
//!
//! Decoding is strict: every byte of a payload must be consumed, and a decoder returns
//! [`EthError`] on any input, never panics.

use alloy_primitives::{B256, Bytes, U256};
use alloy_rlp::{Decodable, Encodable, Header, RlpDecodable, RlpEncodable};
use ethrex_common::{
    ForkId,
    types::{Block, BlockBody, Header as BlockHeader, Receipt, Transaction, decode_transaction},
};

use super::{
    EthError, EthResult, EthVersion,
    receipts::{decode_block_receipts, encode_block_receipts, wrap_list},
};

/// Message ids, relative to the eth capability's offset.
pub mod id {
    pub const STATUS: u64 = 0x00;
    pub const NEW_BLOCK_HASHES: u64 = 0x01;
    pub const TRANSACTIONS: u64 = 0x02;
    pub const GET_BLOCK_HEADERS: u64 = 0x03;
    pub const BLOCK_HEADERS: u64 = 0x04;
    pub const GET_BLOCK_BODIES: u64 = 0x05;
    pub const BLOCK_BODIES: u64 = 0x06;
    pub const NEW_BLOCK: u64 = 0x07;
    pub const NEW_POOLED_TRANSACTION_HASHES: u64 = 0x08;
    pub const GET_POOLED_TRANSACTIONS: u64 = 0x09;
    pub const POOLED_TRANSACTIONS: u64 = 0x0a;
    pub const GET_RECEIPTS: u64 = 0x0f;
    pub const RECEIPTS: u64 = 0x10;
    /// eth/69 only.
    pub const BLOCK_RANGE_UPDATE: u64 = 0x11;
}

/// eth/68's Status: `[version, networkid, td, blockhash, genesis, forkid]`.
#[derive(Debug, Clone, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct StatusEth68 {
    pub version: u64,
    pub network_id: u64,
    /// Total difficulty of the head (meaningless after the merge; peers ignore it).
    pub total_difficulty: U256,
    pub head_hash: B256,
    pub genesis_hash: B256,
    pub fork_id: ForkId,
}

/// eth/69's Status: `[version, networkid, genesis, forkid, earliest, latest, latestHash]`.
#[derive(Debug, Clone, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct StatusEth69 {
    pub version: u64,
    pub network_id: u64,
    pub genesis_hash: B256,
    pub fork_id: ForkId,
    /// The earliest block whose body and receipts we serve.
    pub earliest_block: u64,
    pub latest_block: u64,
    pub latest_hash: B256,
}

/// The first message of a session, in the shape of the negotiated version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    Eth68(StatusEth68),
    Eth69(StatusEth69),
}

impl Status {
    /// The version the message announces.
    pub fn version(&self) -> u64 {
        match self {
            Self::Eth68(s) => s.version,
            Self::Eth69(s) => s.version,
        }
    }

    pub fn network_id(&self) -> u64 {
        match self {
            Self::Eth68(s) => s.network_id,
            Self::Eth69(s) => s.network_id,
        }
    }

    pub fn genesis_hash(&self) -> B256 {
        match self {
            Self::Eth68(s) => s.genesis_hash,
            Self::Eth69(s) => s.genesis_hash,
        }
    }

    pub fn fork_id(&self) -> ForkId {
        match self {
            Self::Eth68(s) => s.fork_id,
            Self::Eth69(s) => s.fork_id,
        }
    }

    /// The hash of the peer's head (eth/68) or latest served block (eth/69).
    pub fn head_hash(&self) -> B256 {
        match self {
            Self::Eth68(s) => s.head_hash,
            Self::Eth69(s) => s.latest_hash,
        }
    }
}

/// One entry of NewBlockHashes (`[hash, number]`; pre-merge block propagation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct BlockHashNumber {
    pub hash: B256,
    pub number: u64,
}

/// NewBlock: `[block, td]` (pre-merge block propagation; decoded and ignored).
#[derive(Debug, Clone, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct NewBlock {
    pub block: Block,
    pub total_difficulty: U256,
}

/// Where a header request starts: a block hash or a canonical block number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashOrNumber {
    Hash(B256),
    Number(u64),
}

impl Encodable for HashOrNumber {
    fn encode(&self, out: &mut dyn alloy_rlp::BufMut) {
        match self {
            Self::Hash(hash) => hash.encode(out),
            Self::Number(number) => number.encode(out),
        }
    }

    fn length(&self) -> usize {
        match self {
            Self::Hash(hash) => hash.length(),
            Self::Number(number) => number.length(),
        }
    }
}

impl Decodable for HashOrNumber {
    fn decode(buf: &mut &[u8]) -> alloy_rlp::Result<Self> {
        // A 32-byte string is a hash (0xa0 prefix); anything else must be a number.
        if buf.first() == Some(&0xa0) {
            B256::decode(buf).map(Self::Hash)
        } else {
            u64::decode(buf).map(Self::Number)
        }
    }
}

/// A header query: `[origin, amount, skip, reverse]`. Headers are `skip + 1` blocks apart,
/// ascending unless `reverse`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct HeadersQuery {
    pub origin: HashOrNumber,
    pub amount: u64,
    pub skip: u64,
    pub reverse: bool,
}

/// GetBlockHeaders: `[request-id, [origin, amount, skip, reverse]]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct GetBlockHeaders {
    pub request_id: u64,
    pub query: HeadersQuery,
}

/// BlockHeaders: `[request-id, [header, ...]]`.
#[derive(Debug, Clone, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct BlockHeaders {
    pub request_id: u64,
    pub headers: Vec<BlockHeader>,
}

/// A request by hashes: GetBlockBodies, GetPooledTransactions, GetReceipts
/// (`[request-id, [hash, ...]]`).
#[derive(Debug, Clone, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct HashesRequest {
    pub request_id: u64,
    pub hashes: Vec<B256>,
}

/// BlockBodies: `[request-id, [[transactions, ommers, withdrawals?], ...]]`.
#[derive(Debug, Clone, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct BlockBodies {
    pub request_id: u64,
    pub bodies: Vec<BlockBody>,
}

/// NewPooledTransactionHashes (eth/68, EIP-5793): `[types, [size, ...], [hash, ...]]`, three
/// lists of equal length; a size is that of the transaction's EIP-2718 encoding.
#[derive(Debug, Clone, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct NewPooledTransactionHashes {
    pub types: Bytes,
    pub sizes: Vec<u64>,
    pub hashes: Vec<B256>,
}

/// PooledTransactions: `[request-id, [tx, ...]]`, blob transactions with their sidecars.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PooledTransactions {
    pub request_id: u64,
    pub transactions: Vec<Transaction>,
}

/// GetReceipts: `[request-id, [hash, ...]]`; eth/70 (EIP-7975) adds where the first block's
/// receipts start: `[request-id, firstBlockReceiptIndex, [hash, ...]]` (0 before eth/70).
#[derive(Debug, Clone, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct ReceiptsRequest {
    pub request_id: u64,
    pub first_block_receipt_index: u64,
    pub hashes: Vec<B256>,
}

/// Receipts: `[request-id, [[receipt, ...], ...]]`, in the version's receipt shape; eth/70 adds
/// `lastBlockIncomplete` after the request id (the last list stops short of its block's end).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipts {
    pub request_id: u64,
    /// eth/70: the last list is a prefix of its block's receipts (always false before).
    pub last_block_incomplete: bool,
    /// Each requested block's receipts, in request order.
    pub receipts: Vec<Vec<Receipt>>,
}

/// BlockRangeUpdate (eth/69): `[earliest, latest, latestHash]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct BlockRangeUpdate {
    pub earliest: u64,
    pub latest: u64,
    pub latest_hash: B256,
}

/// An eth message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EthMessage {
    Status(Status),
    NewBlockHashes(Vec<BlockHashNumber>),
    Transactions(Vec<Transaction>),
    GetBlockHeaders(GetBlockHeaders),
    BlockHeaders(BlockHeaders),
    GetBlockBodies(HashesRequest),
    BlockBodies(BlockBodies),
    NewBlock(Box<NewBlock>),
    NewPooledTransactionHashes(NewPooledTransactionHashes),
    GetPooledTransactions(HashesRequest),
    PooledTransactions(PooledTransactions),
    GetReceipts(ReceiptsRequest),
    Receipts(Receipts),
    BlockRangeUpdate(BlockRangeUpdate),
}

impl EthMessage {
    /// The message id, relative to the eth capability's offset.
    pub fn id(&self) -> u64 {
        match self {
            Self::Status(_) => id::STATUS,
            Self::NewBlockHashes(_) => id::NEW_BLOCK_HASHES,
            Self::Transactions(_) => id::TRANSACTIONS,
            Self::GetBlockHeaders(_) => id::GET_BLOCK_HEADERS,
            Self::BlockHeaders(_) => id::BLOCK_HEADERS,
            Self::GetBlockBodies(_) => id::GET_BLOCK_BODIES,
            Self::BlockBodies(_) => id::BLOCK_BODIES,
            Self::NewBlock(_) => id::NEW_BLOCK,
            Self::NewPooledTransactionHashes(_) => id::NEW_POOLED_TRANSACTION_HASHES,
            Self::GetPooledTransactions(_) => id::GET_POOLED_TRANSACTIONS,
            Self::PooledTransactions(_) => id::POOLED_TRANSACTIONS,
            Self::GetReceipts(_) => id::GET_RECEIPTS,
            Self::Receipts(_) => id::RECEIPTS,
            Self::BlockRangeUpdate(_) => id::BLOCK_RANGE_UPDATE,
        }
    }

    /// The message's name, for errors and logs.
    pub fn name(&self) -> &'static str {
        name_of(self.id()).unwrap_or("unknown")
    }

    /// The request id of a request or an answer.
    pub fn request_id(&self) -> Option<u64> {
        match self {
            Self::GetBlockHeaders(m) => Some(m.request_id),
            Self::BlockHeaders(m) => Some(m.request_id),
            Self::GetBlockBodies(m) | Self::GetPooledTransactions(m) => Some(m.request_id),
            Self::GetReceipts(m) => Some(m.request_id),
            Self::BlockBodies(m) => Some(m.request_id),
            Self::PooledTransactions(m) => Some(m.request_id),
            Self::Receipts(m) => Some(m.request_id),
            _ => None,
        }
    }

    /// The RLP payload in `version`'s shape (Status is encoded in its own variant's shape).
    pub fn encode(&self, version: EthVersion) -> Vec<u8> {
        let mut out = Vec::new();
        match self {
            Self::Status(Status::Eth68(s)) => s.encode(&mut out),
            Self::Status(Status::Eth69(s)) => s.encode(&mut out),
            Self::NewBlockHashes(m) => m.encode(&mut out),
            Self::Transactions(m) => m.encode(&mut out),
            Self::GetBlockHeaders(m) => m.encode(&mut out),
            Self::BlockHeaders(m) => m.encode(&mut out),
            Self::GetBlockBodies(m) | Self::GetPooledTransactions(m) => m.encode(&mut out),
            Self::GetReceipts(m) if version == EthVersion::Eth70 => m.encode(&mut out),
            Self::GetReceipts(m) => HashesRequest {
                request_id: m.request_id,
                hashes: m.hashes.clone(),
            }
            .encode(&mut out),
            Self::BlockBodies(m) => m.encode(&mut out),
            Self::NewBlock(m) => m.encode(&mut out),
            Self::NewPooledTransactionHashes(m) => m.encode(&mut out),
            Self::PooledTransactions(m) => {
                let mut txs = Vec::new();
                for tx in &m.transactions {
                    encode_pooled_transaction(tx, &mut txs);
                }
                let mut fields = Vec::new();
                m.request_id.encode(&mut fields);
                wrap_list(&txs, &mut fields);
                wrap_list(&fields, &mut out);
            }
            Self::Receipts(m) => {
                let mut fields = Vec::new();
                m.request_id.encode(&mut fields);
                if version == EthVersion::Eth70 {
                    m.last_block_incomplete.encode(&mut fields);
                }
                encode_block_receipts(&m.receipts, version, &mut fields);
                wrap_list(&fields, &mut out);
            }
            Self::BlockRangeUpdate(m) => m.encode(&mut out),
        }
        out
    }

    /// Decodes message `id` (relative to the eth offset) of `version` from its payload.
    pub fn decode(version: EthVersion, id: u64, payload: &[u8]) -> EthResult<Self> {
        let name = name_of(id).ok_or(EthError::UnknownMessage(id))?;
        let err = EthError::rlp(name);
        let message = match id {
            id::STATUS => Self::Status(match version {
                EthVersion::Eth68 => Status::Eth68(exact(payload).map_err(err)?),
                EthVersion::Eth69 | EthVersion::Eth70 => {
                    Status::Eth69(exact(payload).map_err(err)?)
                }
            }),
            id::NEW_BLOCK_HASHES => Self::NewBlockHashes(exact(payload).map_err(err)?),
            id::TRANSACTIONS => Self::Transactions(exact(payload).map_err(err)?),
            id::GET_BLOCK_HEADERS => Self::GetBlockHeaders(exact(payload).map_err(err)?),
            id::BLOCK_HEADERS => Self::BlockHeaders(exact(payload).map_err(err)?),
            id::GET_BLOCK_BODIES => Self::GetBlockBodies(exact(payload).map_err(err)?),
            id::BLOCK_BODIES => Self::BlockBodies(exact(payload).map_err(err)?),
            id::NEW_BLOCK => Self::NewBlock(Box::new(exact(payload).map_err(err)?)),
            id::NEW_POOLED_TRANSACTION_HASHES => {
                let m: NewPooledTransactionHashes = exact(payload).map_err(err)?;
                if m.types.len() != m.hashes.len() || m.sizes.len() != m.hashes.len() {
                    return Err(EthError::Invalid {
                        message: name,
                        reason: format!(
                            "{} types, {} sizes and {} hashes",
                            m.types.len(),
                            m.sizes.len(),
                            m.hashes.len()
                        ),
                    });
                }
                Self::NewPooledTransactionHashes(m)
            }
            id::GET_POOLED_TRANSACTIONS => {
                Self::GetPooledTransactions(exact(payload).map_err(err)?)
            }
            id::POOLED_TRANSACTIONS => Self::PooledTransactions(
                exact_with(payload, decode_pooled_transactions).map_err(err)?,
            ),
            id::GET_RECEIPTS if version == EthVersion::Eth70 => {
                Self::GetReceipts(exact(payload).map_err(err)?)
            }
            id::GET_RECEIPTS => {
                let m: HashesRequest = exact(payload).map_err(err)?;
                Self::GetReceipts(ReceiptsRequest {
                    request_id: m.request_id,
                    first_block_receipt_index: 0,
                    hashes: m.hashes,
                })
            }
            id::RECEIPTS => Self::Receipts(
                exact_with(payload, |buf| decode_receipts(buf, version)).map_err(err)?,
            ),
            id::BLOCK_RANGE_UPDATE if version >= EthVersion::Eth69 => {
                Self::BlockRangeUpdate(exact(payload).map_err(err)?)
            }
            other => return Err(EthError::UnknownMessage(other)),
        };
        Ok(message)
    }
}

/// The name of message `id` (relative), or `None` for an id eth does not define.
pub fn name_of(id: u64) -> Option<&'static str> {
    Some(match id {
        id::STATUS => "Status",
        id::NEW_BLOCK_HASHES => "NewBlockHashes",
        id::TRANSACTIONS => "Transactions",
        id::GET_BLOCK_HEADERS => "GetBlockHeaders",
        id::BLOCK_HEADERS => "BlockHeaders",
        id::GET_BLOCK_BODIES => "GetBlockBodies",
        id::BLOCK_BODIES => "BlockBodies",
        id::NEW_BLOCK => "NewBlock",
        id::NEW_POOLED_TRANSACTION_HASHES => "NewPooledTransactionHashes",
        id::GET_POOLED_TRANSACTIONS => "GetPooledTransactions",
        id::POOLED_TRANSACTIONS => "PooledTransactions",
        id::GET_RECEIPTS => "GetReceipts",
        id::RECEIPTS => "Receipts",
        id::BLOCK_RANGE_UPDATE => "BlockRangeUpdate",
        _ => return None,
    })
}

/// Appends a transaction as PooledTransactions carries it: legacy as its list, typed as an RLP
/// string of its network encoding (a blob transaction with its sidecar).
pub fn encode_pooled_transaction(tx: &Transaction, out: &mut Vec<u8>) {
    match tx {
        Transaction::Legacy(_) => tx.encode(out),
        typed => typed.encode_network().as_slice().encode(out),
    }
}

fn decode_pooled_transaction(buf: &mut &[u8]) -> alloy_rlp::Result<Transaction> {
    if buf.first().is_some_and(|b| *b >= 0xc0) {
        return Transaction::decode(buf);
    }
    let bytes = Header::decode_bytes(buf, false)?;
    decode_transaction(bytes).map_err(|_| alloy_rlp::Error::Custom("invalid pooled transaction"))
}

fn decode_pooled_transactions(buf: &mut &[u8]) -> alloy_rlp::Result<PooledTransactions> {
    let mut fields = Header::decode_bytes(buf, true)?;
    let request_id = u64::decode(&mut fields)?;
    let mut txs = Header::decode_bytes(&mut fields, true)?;
    if !fields.is_empty() {
        return Err(alloy_rlp::Error::Custom(
            "extra fields after the transactions",
        ));
    }
    let mut transactions = Vec::new();
    while !txs.is_empty() {
        transactions.push(decode_pooled_transaction(&mut txs)?);
    }
    Ok(PooledTransactions {
        request_id,
        transactions,
    })
}

fn decode_receipts(buf: &mut &[u8], version: EthVersion) -> alloy_rlp::Result<Receipts> {
    let mut fields = Header::decode_bytes(buf, true)?;
    let request_id = u64::decode(&mut fields)?;
    let last_block_incomplete = match version {
        EthVersion::Eth70 => bool::decode(&mut fields)?,
        _ => false,
    };
    let receipts = decode_block_receipts(&mut fields, version)?;
    if !fields.is_empty() {
        return Err(alloy_rlp::Error::Custom("extra fields after the receipts"));
    }
    Ok(Receipts {
        request_id,
        last_block_incomplete,
        receipts,
    })
}

fn exact<T: Decodable>(payload: &[u8]) -> alloy_rlp::Result<T> {
    exact_with(payload, T::decode)
}

fn exact_with<T>(
    payload: &[u8],
    decode: impl FnOnce(&mut &[u8]) -> alloy_rlp::Result<T>,
) -> alloy_rlp::Result<T> {
    let mut buf = payload;
    let value = decode(&mut buf)?;
    if !buf.is_empty() {
        return Err(alloy_rlp::Error::Custom("trailing bytes after the message"));
    }
    Ok(value)
}

#[cfg(test)]
mod tests;
