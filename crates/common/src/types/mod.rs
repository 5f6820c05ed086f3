//! Ethereum data types: blocks, headers, transactions, receipts, withdrawals, requests and
//! account state.
//!
//! Wire types come from `alloy-consensus`/`alloy-eips` (their RLP and EIP-2718 encodings are
//! the reference ones); this module names them for ethrex, adds the root computations over our
//! own trie, and the few types alloy does not have.

mod account;
mod block;
mod fee_config;
mod receipt;
mod transaction;

pub use account::AccountState;
pub use alloy_eips::{
    eip4895::{Withdrawal, Withdrawals},
    eip7685::Requests,
};
pub use block::{Block, BlockBody, Header, decode_block, transactions_root, withdrawals_root};
pub use fee_config::FeeConfig;
pub use receipt::{Log, Receipt, ReceiptData, receipts_root};
pub use transaction::{
    BlobFields, Eip1559Tx, Eip2930Tx, Eip4844Tx, Eip7702Tx, L2_BRIDGE_ADDRESS, LegacyTx,
    PLACEHOLDER_SIGNATURE, PRIVILEGED_TX_TYPE, PrivilegedL2Tx, Transaction, TxFees, TxFields,
    TxType, decode_transaction, decode_transaction_2718, privileged_tx_hash,
};
