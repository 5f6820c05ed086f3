//! [`Case`]: one differential test case — fork, block, pre-state and transaction — in a neutral
//! form that each runner translates into its EVM's own types. Nothing here is random: the
//! generator ([`crate::generate`]) fills it in.

use alloy_eips::eip7702::SignedAuthorization;
use alloy_primitives::{Address, B256, Bytes, U256, hex};
use ethrex_common::Fork;

use crate::world::World;

/// The chain id of every case.
pub const CHAIN_ID: u64 = 1;

/// The block a case's transaction runs in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockSpec {
    pub number: u64,
    pub timestamp: u64,
    pub coinbase: Address,
    pub gas_limit: u64,
    /// EIP-1559 base fee; zero (and absent for ethrex) before London.
    pub base_fee: u64,
    /// Pre-merge difficulty (zero from Paris).
    pub difficulty: U256,
    /// Post-merge randomness (used from Paris).
    pub prev_randao: B256,
    /// EIP-4844 excess blob gas (used from Cancun).
    pub excess_blob_gas: u64,
}

/// The EIP-2718 type of the transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxType {
    /// Legacy; `eip155` chooses `v = 37` (chain id 1) over `v = 27`.
    Legacy {
        eip155: bool,
    },
    AccessList,
    DynamicFee,
    Blob,
    /// EIP-7702 set-code transaction.
    SetCode,
}

/// The transaction. Its signature is not part of it: both EVMs are told the sender.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxSpec {
    pub ty: TxType,
    pub sender: Address,
    pub nonce: u64,
    /// The recipient, or `None` for a contract creation (`data` is then the initcode).
    pub to: Option<Address>,
    pub value: U256,
    pub data: Bytes,
    pub gas_limit: u64,
    /// Gas price, or the EIP-1559 max fee per gas.
    pub max_fee: u128,
    /// EIP-1559 max priority fee (dynamic-fee and blob transactions).
    pub priority_fee: u128,
    pub access_list: Vec<(Address, Vec<B256>)>,
    pub blob_hashes: Vec<B256>,
    pub max_fee_per_blob_gas: u128,
    /// EIP-7702 authorizations, signed (each EVM recovers the authorities itself).
    pub authorizations: Vec<SignedAuthorization>,
}

/// One case: everything both EVMs are given. The transactions run in order in one block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    /// The seed the case was generated from (it reproduces the case).
    pub seed: u64,
    pub fork: Fork,
    pub block: BlockSpec,
    pub pre: World,
    pub txs: Vec<TxSpec>,
}

impl Case {
    /// A multi-line description for a failure report: seed, fork, the transaction and the
    /// code of every contract in hex.
    pub fn describe(&self) -> String {
        let mut out = format!("seed {} fork {}\n", self.seed, self.fork);
        for tx in &self.txs {
            out.push_str(&format!(
                "  tx {:?} from {} nonce {} to {:?} value {} gas {} data 0x{}{}\n",
                tx.ty,
                tx.sender,
                tx.nonce,
                tx.to,
                tx.value,
                tx.gas_limit,
                hex::encode(&tx.data),
                if tx.authorizations.is_empty() {
                    String::new()
                } else {
                    format!(" authorizations {:?}", tx.authorizations)
                }
            ));
        }
        for (address, account) in &self.pre.accounts {
            if !account.code.is_empty() {
                out.push_str(&format!(
                    "  code {address}: 0x{}\n",
                    hex::encode(&account.code)
                ));
            }
        }
        out
    }
}
