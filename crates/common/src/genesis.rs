//! Genesis: a geth-style genesis JSON (`config`, `alloc` with code and storage, header fields)
//! and the genesis block it defines.
//!
//! Parsing is alloy-genesis' (it accepts the quirks of the public networks' files: decimal or
//! hex quantities, `mixhash`/`mixHash`, big JSON numbers for the TTD); the fork schedule is then
//! checked by [`ChainConfig::from_genesis_config`]. The header carries each optional field
//! exactly when the fork active at genesis requires it.

use std::path::Path;

use alloy_primitives::{B64, B256, U256, keccak256};
use ethrex_trie::TrieBuilder;

use crate::{
    ChainConfig, CommonError, Fork, HeaderFields, Result,
    constants::{
        EMPTY_CODE_HASH, EMPTY_OMMERS_HASH, EMPTY_REQUESTS_HASH, EMPTY_TRIE_ROOT, INITIAL_BASE_FEE,
    },
    types::{AccountState, Block, BlockBody, Header},
};

pub use alloy_genesis::GenesisAccount;

/// A parsed and checked genesis specification.
#[derive(Debug, Clone)]
pub struct Genesis {
    raw: alloy_genesis::Genesis,
    config: ChainConfig,
}

impl Genesis {
    /// Parses a genesis JSON document.
    pub fn from_json(json: &str) -> Result<Self> {
        let raw: alloy_genesis::Genesis = serde_json::from_str(json)
            .map_err(|e| CommonError::InvalidGenesis(describe_json_error(json, &e)))?;
        // alloy defaults a missing `config` (or `chainId`) to chain 1: insist on an explicit one.
        let probe: ChainIdProbe = serde_json::from_str(json)
            .map_err(|e| CommonError::InvalidGenesis(describe_json_error(json, &e)))?;
        if probe
            .config
            .and_then(|c| c.chain_id)
            .is_none_or(|id| id == 0)
        {
            return Err(CommonError::InvalidGenesis(
                "config.chainId is missing or zero".into(),
            ));
        }
        let config = ChainConfig::from_genesis_config(&raw.config)?;
        Ok(Genesis { raw, config })
    }

    /// Reads and parses a genesis file.
    pub fn from_file(path: &Path) -> Result<Self> {
        let json = std::fs::read_to_string(path).map_err(|source| CommonError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_json(&json).map_err(|e| match e {
            CommonError::InvalidGenesis(msg) => {
                CommonError::InvalidGenesis(format!("{}: {msg}", path.display()))
            }
            other => other,
        })
    }

    /// This genesis with `accounts` added to (or replacing entries of) its allocation.
    pub fn with_accounts(
        mut self,
        accounts: impl IntoIterator<Item = (alloy_primitives::Address, GenesisAccount)>,
    ) -> Self {
        self.raw.alloc.extend(accounts);
        self
    }

    /// This genesis with a block gas limit of `gas_limit`.
    pub fn with_gas_limit(mut self, gas_limit: u64) -> Self {
        self.raw.gas_limit = gas_limit;
        self
    }

    /// The chain configuration.
    pub fn config(&self) -> &ChainConfig {
        &self.config
    }

    /// The genesis accounts.
    pub fn alloc(&self) -> &std::collections::BTreeMap<alloy_primitives::Address, GenesisAccount> {
        &self.raw.alloc
    }

    /// The genesis timestamp.
    pub fn timestamp(&self) -> u64 {
        self.raw.timestamp
    }

    /// The fork active at genesis.
    pub fn fork(&self) -> Fork {
        self.config
            .fork_at(self.raw.number.unwrap_or(0), self.raw.timestamp)
    }

    /// The state root of the genesis allocation.
    pub fn state_root(&self) -> Result<B256> {
        let mut accounts: Vec<(B256, Vec<u8>)> = self
            .raw
            .alloc
            .iter()
            .map(|(address, account)| {
                let state = AccountState {
                    nonce: account.nonce.unwrap_or(0),
                    balance: account.balance,
                    storage_root: storage_root(account)?,
                    code_hash: account.code.as_ref().map_or(EMPTY_CODE_HASH, keccak256),
                };
                Ok((keccak256(address), alloy_rlp::encode(state)))
            })
            .collect::<Result<_>>()?;
        accounts.sort_unstable_by_key(|a| a.0);
        root_of_sorted(&accounts)
    }

    /// The genesis block header.
    pub fn header(&self) -> Result<Header> {
        let g = &self.raw;
        let fields = HeaderFields::of(self.fork());
        Ok(Header {
            parent_hash: g.parent_hash.unwrap_or_default(),
            ommers_hash: EMPTY_OMMERS_HASH,
            beneficiary: g.coinbase,
            state_root: self.state_root()?,
            transactions_root: EMPTY_TRIE_ROOT,
            receipts_root: EMPTY_TRIE_ROOT,
            logs_bloom: Default::default(),
            difficulty: g.difficulty,
            number: g.number.unwrap_or(0),
            gas_limit: g.gas_limit,
            gas_used: 0,
            timestamp: g.timestamp,
            extra_data: g.extra_data.clone(),
            mix_hash: g.mix_hash,
            nonce: B64::from(g.nonce),
            base_fee_per_gas: fields.base_fee.then(|| {
                g.base_fee_per_gas
                    .and_then(|fee| u64::try_from(fee).ok())
                    .unwrap_or(INITIAL_BASE_FEE)
            }),
            withdrawals_root: fields.withdrawals_root.then_some(EMPTY_TRIE_ROOT),
            blob_gas_used: fields.blob_gas_used.then(|| g.blob_gas_used.unwrap_or(0)),
            excess_blob_gas: fields
                .excess_blob_gas
                .then(|| g.excess_blob_gas.unwrap_or(0)),
            parent_beacon_block_root: fields.parent_beacon_block_root.then_some(B256::ZERO),
            requests_hash: fields.requests_hash.then_some(EMPTY_REQUESTS_HASH),
            block_access_list_hash: None,
            slot_number: None,
        })
    }

    /// The genesis block: the header and an empty body (with an empty withdrawals list from
    /// Shanghai).
    pub fn block(&self) -> Result<Block> {
        let header = self.header()?;
        let withdrawals = header.withdrawals_root.map(|_| Default::default());
        Ok(Block::new(
            header,
            BlockBody {
                transactions: vec![],
                ommers: vec![],
                withdrawals,
            },
        ))
    }
}

/// Just enough of a genesis document to see whether it names its chain id.
#[derive(serde::Deserialize)]
struct ChainIdProbe {
    config: Option<ChainIdOnly>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct ChainIdOnly {
    chain_id: Option<u64>,
}

/// A serde error with the text around where it happened, so the user sees the culprit.
fn describe_json_error(json: &str, err: &serde_json::Error) -> String {
    let line = json
        .lines()
        .nth(err.line().saturating_sub(1))
        .unwrap_or_default();
    let column = err.column().min(line.len());
    let start = line.floor_char_boundary(column.saturating_sub(40));
    let end = line.ceil_char_boundary((column + 20).min(line.len()));
    let excerpt = line[start..end].trim();
    if excerpt.is_empty() {
        err.to_string()
    } else {
        format!("{err}, near `{excerpt}`")
    }
}

/// Root of an account's storage: slots keyed by `keccak256(slot)`, values RLP-encoded without
/// leading zeros, zero values omitted.
fn storage_root(account: &GenesisAccount) -> Result<B256> {
    let Some(storage) = &account.storage else {
        return Ok(EMPTY_TRIE_ROOT);
    };
    let mut slots: Vec<(B256, Vec<u8>)> = storage
        .iter()
        .filter(|(_, value)| !value.is_zero())
        .map(|(slot, value)| {
            (
                keccak256(slot),
                alloy_rlp::encode(U256::from_be_bytes(value.0)),
            )
        })
        .collect();
    slots.sort_unstable_by_key(|a| a.0);
    root_of_sorted(&slots)
}

fn root_of_sorted(leaves: &[(B256, Vec<u8>)]) -> Result<B256> {
    let mut builder = TrieBuilder::new();
    for (key, value) in leaves {
        builder.add(key.as_slice(), value)?;
    }
    Ok(builder.root())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"{
        "config": { "chainId": 1337, "londonBlock": 0, "shanghaiTime": 0, "cancunTime": 0, "pragueTime": 0 },
        "gasLimit": "0x1c9c380", "difficulty": "0x0", "timestamp": "0x0",
        "alloc": {
            "0x0000000000000000000000000000000000000100": {
                "balance": "0x1", "code": "0x6000", "storage": { "0x01": "0x02", "0x03": "0x00" }
            }
        }
    }"#;

    #[test]
    fn header_fields_follow_the_fork_active_at_genesis() {
        let genesis = Genesis::from_json(MINIMAL).unwrap();
        assert_eq!(genesis.fork(), Fork::Prague);
        let header = genesis.header().unwrap();
        assert_eq!(header.base_fee_per_gas, Some(INITIAL_BASE_FEE));
        assert_eq!(header.withdrawals_root, Some(EMPTY_TRIE_ROOT));
        assert_eq!(header.excess_blob_gas, Some(0));
        assert_eq!(header.parent_beacon_block_root, Some(B256::ZERO));
        assert_eq!(header.requests_hash, Some(EMPTY_REQUESTS_HASH));
        assert_eq!(
            genesis.block().unwrap().body.withdrawals.map(|w| w.len()),
            Some(0)
        );
    }

    #[test]
    fn state_root_matches_general_trie_with_zero_slots_omitted() {
        let genesis = Genesis::from_json(MINIMAL).unwrap();
        let account = genesis.alloc().values().next().unwrap();
        let mut storage = ethrex_trie::Trie::new_in_memory();
        storage
            .insert(
                keccak256(B256::with_last_byte(1)).as_slice(),
                alloy_rlp::encode(U256::from(2)),
            )
            .unwrap();
        assert_eq!(storage_root(account).unwrap(), storage.root_hash());
        let state = AccountState {
            nonce: 0,
            balance: U256::from(1),
            storage_root: storage.root_hash(),
            code_hash: keccak256([0x60, 0x00]),
        };
        let mut trie = ethrex_trie::Trie::new_in_memory();
        let address = alloy_primitives::address!("0000000000000000000000000000000000000100");
        trie.insert(keccak256(address).as_slice(), alloy_rlp::encode(state))
            .unwrap();
        assert_eq!(genesis.state_root().unwrap(), trie.root_hash());
    }

    #[test]
    fn malformed_genesis_names_the_problem() {
        let cases = [
            ("{", "EOF"),
            (
                r#"{"config": {"chainId": 1}, "alloc": {"0xzz": {"balance": "0x1"}}}"#,
                "0xzz",
            ),
            (
                r#"{"config": {"chainId": 1}, "alloc": {}, "gasLimit": "lots"}"#,
                "lots",
            ),
            (r#"{"alloc": {}}"#, "chainId"),
            (
                r#"{"config": {"chainId": 1, "londonBlock": 5, "berlinBlock": 9}, "alloc": {}}"#,
                "London is scheduled at 5, before Berlin at 9",
            ),
            (
                r#"{"config": {"chainId": 1, "blobSchedule": {"nope": {"target": 1, "max": 2, "baseFeeUpdateFraction": 3}}}, "alloc": {}}"#,
                "unknown fork \"nope\"",
            ),
        ];
        for (json, needle) in cases {
            let Err(err) = Genesis::from_json(json) else {
                panic!("accepted {json}")
            };
            let err = err.to_string();
            assert!(
                err.contains(needle),
                "error {err:?} should mention {needle:?}"
            );
        }
    }
}
