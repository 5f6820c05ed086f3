//! Positional parameters: typed access with geth's error messages, and block-tag resolution.

use alloy_primitives::{B256, U256};
use alloy_rpc_types_eth::{BlockId, BlockNumberOrTag};
use ethrex_common::types::Header;
use serde::{Deserialize, Deserializer, de::DeserializeOwned};
use serde_json::Value;

use crate::{RpcContext, RpcError};

/// A request's positional params.
#[derive(Debug)]
pub struct Params {
    values: Vec<Value>,
}

impl Params {
    pub fn new(params: Value) -> Self {
        let values = match params {
            Value::Array(values) => values,
            Value::Null => Vec::new(),
            other => vec![other],
        };
        Self { values }
    }

    /// Parameter `index`, required.
    pub fn required<T: DeserializeOwned>(&self, index: usize) -> Result<T, RpcError> {
        match self.values.get(index) {
            None | Some(Value::Null) => Err(RpcError::invalid_params(format!(
                "missing value for required argument {index}"
            ))),
            Some(value) => parse(index, value),
        }
    }

    /// All the params as sent, a JSON array.
    pub fn to_value(&self) -> Value {
        Value::Array(self.values.clone())
    }

    /// Parameter `index` as sent (`None` when absent; JSON `null` is `Some(Value::Null)`).
    pub fn raw(&self, index: usize) -> Option<&Value> {
        self.values.get(index)
    }

    /// Parameter `index`, `None` when absent or null.
    pub fn optional<T: DeserializeOwned>(&self, index: usize) -> Result<Option<T>, RpcError> {
        match self.values.get(index) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => parse(index, value).map(Some),
        }
    }

    /// Parameter `index`, a required 32-byte hash that must carry its `0x` prefix (geth refuses
    /// bare hex for hashes).
    pub fn hash(&self, index: usize) -> Result<B256, RpcError> {
        if let Some(Value::String(text)) = self.values.get(index)
            && !text.starts_with("0x")
            && !text.starts_with("0X")
        {
            return Err(RpcError::invalid_params(format!(
                "invalid argument {index}: hex string without 0x prefix"
            )));
        }
        self.required(index)
    }

    /// Params `[block, index]` (`eth_get*ByBlock{Hash,Number}AndIndex`): the block by hash
    /// when `by_hash`, else by number or tag.
    pub fn block_and_index(
        &self,
        by_hash: bool,
    ) -> Result<(alloy_rpc_types_eth::BlockId, alloy_primitives::U64), RpcError> {
        self.at_most(2)?;
        Ok((self.block_at(0, by_hash)?, self.required(1)?))
    }

    /// Params `[block]` (`eth_get*CountByBlock{Hash,Number}`): the block by hash when
    /// `by_hash`, else by number or tag.
    pub fn only_block(&self, by_hash: bool) -> Result<alloy_rpc_types_eth::BlockId, RpcError> {
        self.at_most(1)?;
        self.block_at(0, by_hash)
    }

    /// Param `index`: a block hash when `by_hash`, else a block number or tag.
    fn block_at(
        &self,
        index: usize,
        by_hash: bool,
    ) -> Result<alloy_rpc_types_eth::BlockId, RpcError> {
        Ok(if by_hash {
            alloy_rpc_types_eth::BlockId::from(self.hash(index)?)
        } else {
            alloy_rpc_types_eth::BlockId::Number(self.required(index)?)
        })
    }

    /// Refuses more than `max` params.
    pub fn at_most(&self, max: usize) -> Result<(), RpcError> {
        if self.values.len() > max {
            return Err(RpcError::invalid_params(format!(
                "too many arguments, want at most {max}"
            )));
        }
        Ok(())
    }
}

fn parse<T: DeserializeOwned>(index: usize, value: &Value) -> Result<T, RpcError> {
    serde_json::from_value(value.clone())
        .map_err(|e| RpcError::invalid_params(format!("invalid argument {index}: {e}")))
}

/// The header a block id designates, or an error naming what is missing.
pub fn resolve_block(ctx: &RpcContext, id: BlockId) -> Result<Option<Header>, RpcError> {
    match id {
        BlockId::Hash(hash) => {
            let header = ctx.store.header_by_hash(&hash.block_hash)?;
            if hash.require_canonical == Some(true)
                && let Some(header) = &header
                && ctx.store.canonical_hash(header.number)? != Some(hash.block_hash)
            {
                return Err(RpcError::server(format!(
                    "hash {} is not currently canonical",
                    hash.block_hash
                )));
            }
            Ok(header)
        }
        BlockId::Number(tag) => match block_number(ctx, tag)? {
            Some(number) => Ok(ctx.store.header_by_number(number)?),
            None => Ok(None),
        },
    }
}

/// The number a tag designates (`None`: no such block yet, e.g. no finalized block).
pub fn block_number(ctx: &RpcContext, tag: BlockNumberOrTag) -> Result<Option<u64>, RpcError> {
    let head = || -> Result<u64, RpcError> { Ok(ctx.store.head_header()?.map_or(0, |h| h.number)) };
    let number_of = |hash: Option<B256>| -> Result<Option<u64>, RpcError> {
        Ok(match hash {
            Some(hash) => ctx.store.block_number(&hash)?,
            None => None,
        })
    };
    Ok(match tag {
        BlockNumberOrTag::Latest | BlockNumberOrTag::Pending => Some(head()?),
        BlockNumberOrTag::Earliest => Some(0),
        BlockNumberOrTag::Safe => number_of(ctx.store.safe_hash()?)?,
        BlockNumberOrTag::Finalized => number_of(ctx.store.finalized_hash()?)?,
        BlockNumberOrTag::Number(n) => Some(n),
    })
}

/// The header of a block id that must exist (state queries): "header not found" otherwise, as
/// geth says.
pub fn existing_block(ctx: &RpcContext, id: BlockId) -> Result<Header, RpcError> {
    resolve_block(ctx, id)?.ok_or_else(|| RpcError::server("header not found"))
}

/// A storage slot key as geth reads it: hex of at most 32 bytes (the `0x` prefix optional, an
/// odd number of digits allowed), left-padded to a 32-byte slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StorageKey {
    pub slot: U256,
    /// Whether it was written as exactly 32 bytes (`eth_getProof` echoes those as hashes, the
    /// others as quantities).
    pub full_length: bool,
}

impl StorageKey {
    pub fn parse(text: &str) -> Result<Self, String> {
        let digits = text
            .strip_prefix("0x")
            .or_else(|| text.strip_prefix("0X"))
            .unwrap_or(text);
        let even = if digits.len().is_multiple_of(2) {
            digits.to_string()
        } else {
            format!("0{digits}")
        };
        let bytes = alloy_primitives::hex::decode(&even)
            .map_err(|_| format!("invalid hex in storage key: {text:?}"))?;
        if bytes.len() > 32 {
            return Err(format!(
                "storage key too long (want at most 32 bytes): {text:?}"
            ));
        }
        Ok(Self {
            slot: U256::from_be_slice(&bytes),
            full_length: bytes.len() == 32,
        })
    }
}

impl<'de> Deserialize<'de> for StorageKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        StorageKey::parse(&text).map_err(serde::de::Error::custom)
    }
}
