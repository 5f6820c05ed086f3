//! The call object of `eth_call`, `eth_estimateGas`, `eth_createAccessList`, `debug_traceCall`
//! and `eth_simulateV1` (geth's `TransactionArgs`), block overrides, and how a call becomes a
//! transaction the VM runs and the environment it runs in.
//!
//! Fees follow geth's message rules: before London only `gasPrice` counts; from London either
//! `gasPrice` or the EIP-1559 pair (absent ones are zero). A call whose effective gas price is
//! zero runs with a base fee of zero (geth's `NoBaseFee`), so it needs no funds for gas.

use alloy_eips::{eip2930::AccessList, eip7702::SignedAuthorization};
use alloy_primitives::{Address, B256, Bytes, TxKind, U64, U256};
use ethrex_blockchain::block_env;
use ethrex_common::{
    ChainConfig,
    types::{Eip1559Tx, Eip2930Tx, Eip4844Tx, Eip7702Tx, Header, LegacyTx, Transaction},
};
use ethrex_vm::BlockEnv;
use serde::Deserialize;

use crate::RpcError;

/// Gas of a call that names none, and the most a call may use (geth's default `--rpc.gascap`).
pub const GAS_CAP: u64 = 50_000_000;

/// A call object (geth's `TransactionArgs`); unknown fields are ignored.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallArgs {
    pub from: Option<Address>,
    pub to: Option<Address>,
    pub gas: Option<U64>,
    pub gas_price: Option<U256>,
    pub max_fee_per_gas: Option<U256>,
    pub max_priority_fee_per_gas: Option<U256>,
    pub max_fee_per_blob_gas: Option<U256>,
    pub value: Option<U256>,
    pub nonce: Option<U64>,
    pub input: Option<Bytes>,
    pub data: Option<Bytes>,
    pub access_list: Option<AccessList>,
    pub blob_versioned_hashes: Option<Vec<B256>>,
    pub authorization_list: Option<Vec<SignedAuthorization>>,
}

/// The fees of a call, resolved against the block's base fee.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fees {
    /// One gas price (`gasPrice`, or any call before London).
    Legacy(U256),
    /// EIP-1559 caps.
    Dynamic {
        max_fee: U256,
        max_priority_fee: U256,
    },
}

impl Fees {
    /// The price per gas the call pays under `base_fee` (zero for a call naming no fee).
    pub fn effective_price(&self, base_fee: Option<U256>) -> U256 {
        match *self {
            Fees::Legacy(price) => price,
            Fees::Dynamic {
                max_fee,
                max_priority_fee,
            } => {
                if max_fee.is_zero() && max_priority_fee.is_zero() {
                    return U256::ZERO;
                }
                let base_fee = base_fee.unwrap_or_default();
                max_fee.min(base_fee.saturating_add(max_priority_fee))
            }
        }
    }

    /// The most the call may pay per gas (what its balance must cover).
    pub fn max_fee(&self) -> U256 {
        match *self {
            Fees::Legacy(price) => price,
            Fees::Dynamic { max_fee, .. } => max_fee,
        }
    }
}

impl CallArgs {
    /// The sender (the zero address when not given, as geth).
    pub fn sender(&self) -> Address {
        self.from.unwrap_or_default()
    }

    /// The call data: `input`, or its older name `data` (both only if equal).
    pub fn input(&self) -> Result<Bytes, RpcError> {
        match (&self.input, &self.data) {
            (Some(input), Some(data)) if input != data => Err(RpcError::invalid_params(
                "both \"data\" and \"input\" are set and not equal. Please use \"input\" to pass transaction call data",
            )),
            (Some(input), _) => Ok(input.clone()),
            (None, Some(data)) => Ok(data.clone()),
            (None, None) => Ok(Bytes::new()),
        }
    }

    /// The gas limit asked for, capped at [`GAS_CAP`] (the cap when absent).
    pub fn gas_or_cap(&self) -> u64 {
        self.gas.map_or(GAS_CAP, |g| g.to::<u64>().min(GAS_CAP))
    }

    /// The fees, as geth reads them for a block with `base_fee`.
    pub fn fees(&self, base_fee: Option<U256>) -> Result<Fees, RpcError> {
        let dynamic = self.max_fee_per_gas.is_some() || self.max_priority_fee_per_gas.is_some();
        if self.gas_price.is_some() && dynamic {
            return Err(RpcError::invalid_params(
                "both gasPrice and (maxFeePerGas or maxPriorityFeePerGas) specified",
            ));
        }
        Ok(match (base_fee, self.gas_price) {
            (None, price) | (Some(_), price @ Some(_)) => Fees::Legacy(price.unwrap_or_default()),
            (Some(_), None) if !dynamic && !self.is_typed_by_content() => Fees::Legacy(U256::ZERO),
            (Some(_), None) => Fees::Dynamic {
                max_fee: self.max_fee_per_gas.unwrap_or_default(),
                max_priority_fee: self.max_priority_fee_per_gas.unwrap_or_default(),
            },
        })
    }

    /// Whether the call needs an EIP-4844 or EIP-7702 transaction.
    fn is_typed_by_content(&self) -> bool {
        self.blob_versioned_hashes.is_some() || self.authorization_list.is_some()
    }

    /// The call as a transaction with `nonce`, `gas` and `fees`, for a chain `chain_id`. Its
    /// signature is a placeholder (the VM is told the sender).
    pub fn to_transaction(
        &self,
        fees: Fees,
        nonce: u64,
        gas_limit: u64,
        chain_id: u64,
    ) -> Result<Transaction, RpcError> {
        let data = self.input()?;
        let value = self.value.unwrap_or_default();
        let access_list = self.access_list.clone().unwrap_or_default();
        let kind = self.to.map_or(TxKind::Create, TxKind::Call);
        let (max_fee, max_priority_fee) = match fees {
            Fees::Legacy(price) => (price, price),
            Fees::Dynamic {
                max_fee,
                max_priority_fee,
            } => (max_fee, max_priority_fee),
        };
        let (r, s) = (U256::from(1), U256::from(1));
        if let Some(authorization_list) = &self.authorization_list {
            let to = self.to.ok_or_else(|| {
                RpcError::server("EIP-7702 transaction cannot be used to create contract")
            })?;
            return Ok(Transaction::Eip7702(Eip7702Tx {
                chain_id,
                nonce,
                max_priority_fee_per_gas: max_priority_fee,
                max_fee_per_gas: max_fee,
                gas_limit,
                to,
                value,
                data,
                access_list,
                authorization_list: authorization_list.clone(),
                y_parity: false,
                r,
                s,
            }));
        }
        if let Some(blob_versioned_hashes) = &self.blob_versioned_hashes {
            let to = self
                .to
                .ok_or_else(|| RpcError::server("missing \"to\" in blob transaction"))?;
            return Ok(Transaction::Eip4844(
                Eip4844Tx {
                    chain_id,
                    nonce,
                    max_priority_fee_per_gas: max_priority_fee,
                    max_fee_per_gas: max_fee,
                    gas_limit,
                    to,
                    value,
                    data,
                    access_list,
                    max_fee_per_blob_gas: self.max_fee_per_blob_gas.unwrap_or_default(),
                    blob_versioned_hashes: blob_versioned_hashes.clone(),
                    y_parity: false,
                    r,
                    s,
                },
                None,
            ));
        }
        Ok(match fees {
            Fees::Dynamic { .. } => Transaction::Eip1559(Eip1559Tx {
                chain_id,
                nonce,
                max_priority_fee_per_gas: max_priority_fee,
                max_fee_per_gas: max_fee,
                gas_limit,
                to: kind,
                value,
                data,
                access_list,
                y_parity: false,
                r,
                s,
            }),
            Fees::Legacy(gas_price) if self.access_list.is_some() => {
                Transaction::Eip2930(Eip2930Tx {
                    chain_id,
                    nonce,
                    gas_price,
                    gas_limit,
                    to: kind,
                    value,
                    data,
                    access_list,
                    y_parity: false,
                    r,
                    s,
                })
            }
            Fees::Legacy(gas_price) => Transaction::Legacy(LegacyTx {
                nonce,
                gas_price,
                gas_limit,
                to: kind,
                value,
                data,
                // Not EIP-155: no chain id to check.
                v: 27,
                r,
                s,
            }),
        })
    }
}

/// Block fields a call may run under instead of the block's own (geth's `BlockOverrides`).
/// `blobBaseFee` is no header field: it only changes the environment (BLOBBASEFEE, blob fees).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BlockOverrides {
    pub number: Option<U256>,
    pub difficulty: Option<U256>,
    pub time: Option<U64>,
    pub gas_limit: Option<U64>,
    pub fee_recipient: Option<Address>,
    pub prev_randao: Option<B256>,
    pub base_fee_per_gas: Option<U256>,
    pub blob_base_fee: Option<U256>,
    pub beacon_root: Option<B256>,
    pub withdrawals: Option<Vec<alloy_eips::eip4895::Withdrawal>>,
}

impl BlockOverrides {
    /// `header` with the overridden fields replaced.
    pub fn apply(&self, header: &Header) -> Result<Header, RpcError> {
        let mut header = header.clone();
        if let Some(number) = self.number {
            header.number = u64::try_from(number)
                .map_err(|_| RpcError::invalid_params("block number override too large"))?;
        }
        if let Some(difficulty) = self.difficulty {
            header.difficulty = difficulty;
        }
        if let Some(time) = self.time {
            header.timestamp = time.to();
        }
        if let Some(gas_limit) = self.gas_limit {
            header.gas_limit = gas_limit.to();
        }
        if let Some(coinbase) = self.fee_recipient {
            header.beneficiary = coinbase;
        }
        if let Some(randao) = self.prev_randao {
            header.mix_hash = randao;
        }
        if let Some(base_fee) = self.base_fee_per_gas {
            header.base_fee_per_gas = Some(
                u64::try_from(base_fee)
                    .map_err(|_| RpcError::invalid_params("base fee override too large"))?,
            );
        }
        if let Some(root) = self.beacon_root {
            header.parent_beacon_block_root = Some(root);
        }
        Ok(header)
    }
}

/// The environment of a call at `header` paying `fees`: the header's own (geth runs a call at
/// block N with N's header), with `overrides`, and a zero base fee when the call pays nothing.
pub fn call_env(
    config: &ChainConfig,
    header: &Header,
    overrides: Option<&BlockOverrides>,
    fees: Fees,
) -> Result<BlockEnv, RpcError> {
    let header = match overrides {
        Some(overrides) => overrides.apply(header)?,
        None => header.clone(),
    };
    let mut env = block_env(config, &header);
    env.blob_base_fee_override = overrides.and_then(|o| o.blob_base_fee);
    if env.base_fee.is_some() && fees.effective_price(env.base_fee).is_zero() {
        env.base_fee = Some(U256::ZERO);
    }
    Ok(env)
}
