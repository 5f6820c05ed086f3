//! The JSON of blocks, transactions, receipts and logs, as geth writes them. Headers go through
//! `alloy_rpc_types_eth::Header` (geth's field names); transactions are written here from our own
//! `Transaction` (256-bit fees, all five types).

use alloy_primitives::{Address, B256, TxKind, U256};
use ethrex_common::types::{Block, Header, Transaction};
use serde_json::{Map, Value, json};

fn hex_u64(n: u64) -> Value {
    Value::String(format!("{n:#x}"))
}

fn hex_u256(n: U256) -> Value {
    Value::String(format!("{n:#x}"))
}

/// Where a transaction sits, for its JSON.
#[derive(Debug, Clone, Copy)]
pub struct TxPosition {
    pub block_hash: B256,
    pub block_number: u64,
    pub block_timestamp: u64,
    pub index: u64,
    /// The block's base fee (gives `gasPrice` for EIP-1559 transactions).
    pub base_fee: Option<u64>,
}

/// The JSON of a header (with its hash and the block's RLP size when known).
pub fn header_json(header: &Header, size: Option<usize>) -> Value {
    let rpc = alloy_rpc_types_eth::Header {
        hash: header.hash_slow(),
        inner: header.clone(),
        total_difficulty: None,
        size: size.map(U256::from),
    };
    serde_json::to_value(rpc).unwrap_or(Value::Null)
}

/// The JSON of a block: its header fields, `transactions` (hashes, or full objects when
/// `full`), `uncles` (hashes), `withdrawals` when present, and `size`.
pub fn block_json(block: &Block, full: bool) -> Value {
    let size = alloy_rlp::encode(block).len();
    let mut object = match header_json(&block.header, Some(size)) {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    let hash = block.header.hash_slow();
    let transactions: Vec<Value> = block
        .body
        .transactions
        .iter()
        .enumerate()
        .map(|(i, tx)| {
            if full {
                let position = TxPosition {
                    block_hash: hash,
                    block_number: block.header.number,
                    block_timestamp: block.header.timestamp,
                    index: i as u64,
                    base_fee: block.header.base_fee_per_gas,
                };
                transaction_json(tx, tx.sender().unwrap_or_default(), Some(position))
            } else {
                Value::String(tx.hash().to_string())
            }
        })
        .collect();
    object.insert("transactions".into(), Value::Array(transactions));
    let uncles = block
        .body
        .ommers
        .iter()
        .map(|o| Value::String(o.hash_slow().to_string()))
        .collect();
    object.insert("uncles".into(), Value::Array(uncles));
    if let Some(withdrawals) = &block.body.withdrawals {
        object.insert(
            "withdrawals".into(),
            serde_json::to_value(withdrawals).unwrap_or(Value::Null),
        );
    }
    Value::Object(object)
}

/// The JSON of a transaction sent by `from`, at `position` (pending when `None`).
pub fn transaction_json(tx: &Transaction, from: Address, position: Option<TxPosition>) -> Value {
    let mut o = Map::new();
    let (block_hash, block_number, index) = match position {
        Some(p) => (
            Value::String(p.block_hash.to_string()),
            hex_u64(p.block_number),
            hex_u64(p.index),
        ),
        None => (Value::Null, Value::Null, Value::Null),
    };
    o.insert("blockHash".into(), block_hash);
    o.insert("blockNumber".into(), block_number);
    if let Some(p) = position {
        o.insert("blockTimestamp".into(), hex_u64(p.block_timestamp));
    }
    o.insert("transactionIndex".into(), index);
    o.insert("hash".into(), Value::String(tx.hash().to_string()));
    o.insert("from".into(), json!(from));
    o.insert("type".into(), hex_u64(tx.tx_type() as u64));
    o.insert("nonce".into(), hex_u64(tx.nonce()));
    o.insert("gas".into(), hex_u64(tx.gas_limit()));
    o.insert("value".into(), hex_u256(tx.value()));
    o.insert("input".into(), Value::String(tx.data().to_string()));
    o.insert(
        "to".into(),
        match tx.to() {
            TxKind::Call(to) => json!(to),
            TxKind::Create => Value::Null,
        },
    );
    if let Some(chain_id) = tx.chain_id() {
        o.insert("chainId".into(), hex_u64(chain_id));
    }
    match tx.max_priority_fee_per_gas() {
        None => {
            o.insert("gasPrice".into(), hex_u256(tx.max_fee_per_gas()));
        }
        Some(tip) => {
            let cap = tx.max_fee_per_gas();
            let price = match position.and_then(|p| p.base_fee) {
                Some(base) => (U256::from(base) + tip).min(cap),
                None => cap,
            };
            o.insert("gasPrice".into(), hex_u256(price));
            o.insert("maxFeePerGas".into(), hex_u256(cap));
            o.insert("maxPriorityFeePerGas".into(), hex_u256(tip));
        }
    }
    if let Some(list) = tx.access_list() {
        o.insert(
            "accessList".into(),
            serde_json::to_value(list).unwrap_or(Value::Null),
        );
    }
    if let Some(hashes) = tx.blob_versioned_hashes() {
        o.insert("blobVersionedHashes".into(), json!(hashes));
        if let Transaction::Eip4844(t, _) = tx {
            o.insert("maxFeePerBlobGas".into(), hex_u256(t.max_fee_per_blob_gas));
        }
    }
    if let Some(list) = tx.authorization_list() {
        o.insert(
            "authorizationList".into(),
            serde_json::to_value(list).unwrap_or(Value::Null),
        );
    }
    let sig = tx.signature();
    o.insert("r".into(), hex_u256(sig.r));
    o.insert("s".into(), hex_u256(sig.s));
    match tx {
        Transaction::Legacy(t) => {
            o.insert("v".into(), hex_u64(t.v));
        }
        _ => {
            let parity = u64::from(sig.y_parity);
            o.insert("v".into(), hex_u64(parity));
            o.insert("yParity".into(), hex_u64(parity));
        }
    }
    Value::Object(o)
}

/// The price per gas a transaction pays in a block of base fee `base_fee` (EIP-1559: the base
/// fee plus the tip, capped by the fee cap; before London, and for legacy transactions, the gas
/// price).
pub fn effective_gas_price(tx: &Transaction, base_fee: Option<u64>) -> U256 {
    match (tx.max_priority_fee_per_gas(), base_fee) {
        (Some(tip), Some(base)) => (U256::from(base) + tip).min(tx.max_fee_per_gas()),
        _ => tx.max_fee_per_gas(),
    }
}

/// Where a receipt sits, and what of its block its JSON needs.
#[derive(Debug, Clone, Copy)]
pub struct ReceiptPosition {
    pub block_hash: B256,
    pub block_number: u64,
    pub block_timestamp: u64,
    pub index: u64,
    /// Index in the block of the receipt's first log (logs are numbered across the block).
    pub first_log_index: u64,
    /// Gas used by this transaction alone (its cumulative gas minus the previous receipt's).
    pub gas_used: u64,
    pub base_fee: Option<u64>,
    /// The block's blob base fee (Cancun on).
    pub blob_gas_price: Option<U256>,
}

/// The JSON of the receipt of `tx`, sent by `from`, as geth writes it: `status` (or `root`
/// before Byzantium), gas, `effectiveGasPrice`, `contractAddress` for creations, the logs
/// numbered across the block, and the blob gas fields of blob transactions.
pub fn receipt_json(
    receipt: &ethrex_common::types::Receipt,
    tx: &Transaction,
    from: Address,
    at: ReceiptPosition,
) -> Value {
    use alloy_consensus::{Eip658Value, TxReceipt};

    let tx_hash = tx.hash();
    let mut o = Map::new();
    // The transaction's type: a privileged transaction's receipt is stored as type 2.
    o.insert("type".into(), hex_u64(tx.tx_type() as u64));
    match receipt.status_or_post_state() {
        Eip658Value::Eip658(success) => {
            o.insert("status".into(), hex_u64(u64::from(success)));
        }
        Eip658Value::PostState(root) => {
            o.insert("root".into(), json!(root));
        }
    }
    o.insert("transactionHash".into(), json!(tx_hash));
    o.insert("transactionIndex".into(), hex_u64(at.index));
    o.insert("blockHash".into(), json!(at.block_hash));
    o.insert("blockNumber".into(), hex_u64(at.block_number));
    o.insert("from".into(), json!(from));
    let (to, contract) = match tx.to() {
        TxKind::Call(to) => (json!(to), Value::Null),
        TxKind::Create => (Value::Null, json!(from.create(tx.nonce()))),
    };
    o.insert("to".into(), to);
    o.insert("contractAddress".into(), contract);
    o.insert(
        "cumulativeGasUsed".into(),
        hex_u64(receipt.cumulative_gas_used()),
    );
    o.insert("gasUsed".into(), hex_u64(at.gas_used));
    o.insert(
        "effectiveGasPrice".into(),
        hex_u256(effective_gas_price(tx, at.base_fee)),
    );
    if let Some(hashes) = tx.blob_versioned_hashes() {
        let blobs = hashes.len() as u64;
        o.insert(
            "blobGasUsed".into(),
            hex_u64(blobs.saturating_mul(ethrex_common::eip4844::GAS_PER_BLOB)),
        );
        if let Some(price) = at.blob_gas_price {
            o.insert("blobGasPrice".into(), hex_u256(price));
        }
    }
    let logs: Vec<Value> = receipt
        .logs()
        .iter()
        .enumerate()
        .map(|(i, log)| {
            let position = crate::logs::LogPosition {
                block_hash: at.block_hash,
                block_number: at.block_number,
                block_timestamp: at.block_timestamp,
                transaction_hash: tx_hash,
                transaction_index: at.index,
                log_index: at.first_log_index + i as u64,
            };
            crate::logs::log_json(log, position, false)
        })
        .collect();
    o.insert("logs".into(), Value::Array(logs));
    o.insert("logsBloom".into(), json!(receipt.bloom()));
    Value::Object(o)
}
