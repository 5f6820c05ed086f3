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
    types::{BlobFields, Header, PLACEHOLDER_SIGNATURE, Transaction, TxFees, TxFields},
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

/// The price per gas a call with `fees` pays under `base_fee` (zero for a call naming no fee,
/// as geth's `NoBaseFee` calls).
pub fn effective_price(fees: TxFees, base_fee: Option<U256>) -> U256 {
    match fees {
        TxFees::Legacy { gas_price } => gas_price,
        TxFees::Dynamic {
            max_fee_per_gas,
            max_priority_fee_per_gas,
        } => {
            if max_fee_per_gas.is_zero() && max_priority_fee_per_gas.is_zero() {
                return U256::ZERO;
            }
            let base_fee = base_fee.unwrap_or_default();
            max_fee_per_gas.min(base_fee.saturating_add(max_priority_fee_per_gas))
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
    pub fn fees(&self, base_fee: Option<U256>) -> Result<TxFees, RpcError> {
        let dynamic = self.max_fee_per_gas.is_some() || self.max_priority_fee_per_gas.is_some();
        if self.gas_price.is_some() && dynamic {
            return Err(RpcError::invalid_params(
                "both gasPrice and (maxFeePerGas or maxPriorityFeePerGas) specified",
            ));
        }
        Ok(match (base_fee, self.gas_price) {
            (None, price) | (Some(_), price @ Some(_)) => TxFees::Legacy {
                gas_price: price.unwrap_or_default(),
            },
            (Some(_), None) if !dynamic && !self.is_typed_by_content() => TxFees::Legacy {
                gas_price: U256::ZERO,
            },
            (Some(_), None) => TxFees::Dynamic {
                max_fee_per_gas: self.max_fee_per_gas.unwrap_or_default(),
                max_priority_fee_per_gas: self.max_priority_fee_per_gas.unwrap_or_default(),
            },
        })
    }

    /// Whether the call needs an EIP-4844 or EIP-7702 transaction.
    fn is_typed_by_content(&self) -> bool {
        self.blob_versioned_hashes.is_some() || self.authorization_list.is_some()
    }

    /// The call as a transaction with `nonce`, `gas` and `fees`, for a chain `chain_id`, of
    /// the type its fields call for ([`TxFields::build`]). Its signature is a placeholder (the
    /// VM is told the sender); a legacy one is not EIP-155 (no chain id to check).
    pub fn to_transaction(
        &self,
        fees: TxFees,
        nonce: u64,
        gas_limit: u64,
        chain_id: u64,
    ) -> Result<Transaction, RpcError> {
        let to = self.to.map_or(TxKind::Create, TxKind::Call);
        if to.is_create() {
            if self.authorization_list.is_some() {
                return Err(RpcError::server(
                    "EIP-7702 transaction cannot be used to create contract",
                ));
            }
            if self.blob_versioned_hashes.is_some() {
                return Err(RpcError::server("missing \"to\" in blob transaction"));
            }
        }
        let fields = TxFields {
            value: self.value.unwrap_or_default(),
            data: self.input()?,
            fees,
            access_list: self.access_list.clone(),
            blob: self
                .blob_versioned_hashes
                .clone()
                .map(|versioned_hashes| BlobFields {
                    max_fee_per_blob_gas: self.max_fee_per_blob_gas.unwrap_or_default(),
                    versioned_hashes,
                }),
            authorization_list: self.authorization_list.clone(),
            eip155: false,
            ..TxFields::new(chain_id, nonce, gas_limit, to)
        };
        // Geth's calls carry no signature that could be checked.
        fields
            .build()
            .and_then(|tx| tx.with_signature(PLACEHOLDER_SIGNATURE))
            .map_err(|e| RpcError::invalid_params(e.to_string()))
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
    fees: TxFees,
) -> Result<BlockEnv, RpcError> {
    let header = match overrides {
        Some(overrides) => overrides.apply(header)?,
        None => header.clone(),
    };
    let mut env = block_env(config, &header);
    env.blob_base_fee_override = overrides.and_then(|o| o.blob_base_fee);
    if env.base_fee.is_some() && effective_price(fees, env.base_fee).is_zero() {
        env.base_fee = Some(U256::ZERO);
    }
    Ok(env)
}
