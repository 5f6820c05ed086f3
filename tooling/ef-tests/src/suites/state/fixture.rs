//! The state-test fixture format, shared by execution-spec-tests `state_tests` and the legacy
//! `GeneralStateTests`, and its translation into the VM's inputs: the pre-state as an
//! [`InMemoryDb`] and the block as a [`BlockEnv`].
//!
//! Quantities are `0x` hex strings; 64-bit ones go through [`quantity`], wider ones are `U256`.

use std::collections::{BTreeMap, HashMap};

use alloy_eips::eip2930::AccessList;
use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use ethrex_common::{BlobParams, ChainConfig, Fork};
use ethrex_vm::{BlockEnv, InMemoryDb};
use serde::{Deserialize, Deserializer};

use crate::fixtures::quantity_u64;

/// One test: a pre-state, a block, a transaction template and the expected results per fork.
#[derive(Debug, Deserialize)]
pub struct StateTest {
    pub env: Env,
    pub pre: BTreeMap<Address, Account>,
    pub transaction: TxTemplate,
    pub post: BTreeMap<String, Vec<PostEntry>>,
    /// Only in execution-spec-tests fixtures.
    #[serde(default)]
    pub config: Config,
}

/// The block the transaction runs in.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Env {
    pub current_coinbase: Address,
    #[serde(deserialize_with = "quantity")]
    pub current_gas_limit: u64,
    #[serde(deserialize_with = "quantity")]
    pub current_number: u64,
    #[serde(deserialize_with = "quantity")]
    pub current_timestamp: u64,
    #[serde(default)]
    pub current_difficulty: U256,
    pub current_random: Option<B256>,
    pub current_base_fee: Option<U256>,
    #[serde(default, deserialize_with = "optional_quantity")]
    pub current_excess_blob_gas: Option<u64>,
}

/// An account of the pre-state (or of the expected post-state).
#[derive(Debug, Deserialize)]
pub struct Account {
    #[serde(deserialize_with = "quantity")]
    pub nonce: u64,
    pub balance: U256,
    pub code: Bytes,
    pub storage: BTreeMap<U256, U256>,
}

/// The transaction template: `data`, `gasLimit` and `value` (and `accessLists`, per data) are
/// lists that a post entry's [`Indexes`] pick from.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TxTemplate {
    #[serde(deserialize_with = "quantity")]
    pub nonce: u64,
    pub gas_price: Option<U256>,
    pub max_fee_per_gas: Option<U256>,
    pub max_priority_fee_per_gas: Option<U256>,
    /// Read when used, as a bad entry (`0x:bigint ...` in a legacy fixture) fails one case only.
    pub gas_limit: Vec<String>,
    /// The callee, or `""` for a contract creation.
    pub to: String,
    /// Read when used, like `gas_limit`.
    pub value: Vec<String>,
    pub data: Vec<Bytes>,
    pub secret_key: B256,
    pub sender: Option<Address>,
    /// One access list per `data` entry; `null` entries (legacy fixtures) mean none.
    pub access_lists: Option<Vec<Option<AccessList>>>,
    pub max_fee_per_blob_gas: Option<U256>,
    pub blob_versioned_hashes: Option<Vec<B256>>,
    pub authorization_list: Option<Vec<Authorization>>,
}

/// A signed EIP-7702 authorization as fixtures write it (`v` and `signer` are redundant).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Authorization {
    pub chain_id: U256,
    pub address: Address,
    #[serde(deserialize_with = "quantity")]
    pub nonce: u64,
    #[serde(deserialize_with = "quantity")]
    pub y_parity: u64,
    pub r: U256,
    pub s: U256,
}

/// What one (fork, data, gas, value) combination must produce.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PostEntry {
    /// The post-state root.
    pub hash: B256,
    /// Keccak-256 of the RLP list of the logs.
    pub logs: B256,
    pub indexes: Indexes,
    /// The signed transaction, when the fixture carries it.
    pub txbytes: Option<Bytes>,
    /// Why the transaction is invalid, when it is (`A|B` = either).
    pub expect_exception: Option<String>,
    /// The whole expected post-state (execution-spec-tests only): used to explain a wrong root.
    pub state: Option<BTreeMap<Address, Account>>,
}

/// Positions in the template's `data`, `gasLimit` and `value` lists.
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct Indexes {
    pub data: usize,
    pub gas: usize,
    pub value: usize,
}

/// The chain the test is filled for (execution-spec-tests only).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Config {
    #[serde(default, deserialize_with = "optional_quantity")]
    pub chainid: Option<u64>,
    /// Blob parameters by fork name (`"Cancun"`, `"Prague"`, ...).
    #[serde(default)]
    pub blob_schedule: BTreeMap<String, BlobSchedule>,
}

/// One fork's blob parameters, as hex quantities.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BlobSchedule {
    #[serde(deserialize_with = "quantity")]
    pub target: u64,
    #[serde(deserialize_with = "quantity")]
    pub max: u64,
    #[serde(deserialize_with = "quantity")]
    pub base_fee_update_fraction: u64,
}

/// Chain id of fixtures without a `config` (the legacy ones): mainnet.
const DEFAULT_CHAIN_ID: u64 = 1;

/// Base fee of London-and-later fixtures that give none (geth's state-test runner default).
const DEFAULT_BASE_FEE: u64 = 0x0a;

impl StateTest {
    /// The chain id the test is filled for.
    pub fn chain_id(&self) -> u64 {
        self.config.chainid.unwrap_or(DEFAULT_CHAIN_ID)
    }

    /// The pre-state, with the fixtures' block hashes: `keccak256` of the decimal block number.
    pub fn pre_state(&self) -> InMemoryDb {
        let mut db = in_memory_db(&self.pre);
        db.block_hash_fallback = Some(fixture_block_hash);
        db
    }

    /// The block under `fork`: each header field only from the fork that introduced it.
    pub fn block_env(&self, fork: Fork) -> Result<BlockEnv, String> {
        let env = &self.env;
        let prev_randao = if fork >= Fork::Paris {
            let random = env
                .current_random
                .ok_or("a post-merge env needs currentRandom")?;
            Some(random)
        } else {
            None
        };
        let has_blobs = fork >= Fork::Cancun;
        Ok(BlockEnv {
            fork,
            chain_id: self.chain_id(),
            number: env.current_number,
            coinbase: env.current_coinbase,
            timestamp: env.current_timestamp,
            gas_limit: env.current_gas_limit,
            base_fee: (fork >= Fork::London)
                .then(|| env.current_base_fee.unwrap_or(U256::from(DEFAULT_BASE_FEE))),
            difficulty: if prev_randao.is_some() {
                U256::ZERO
            } else {
                env.current_difficulty
            },
            prev_randao,
            excess_blob_gas: has_blobs.then(|| env.current_excess_blob_gas.unwrap_or(0)),
            blob_params: self.blob_params(fork)?,
            blob_base_fee_override: None,
        })
    }

    /// The blob parameters under `fork`: the fixture's `blobSchedule` over the defaults.
    fn blob_params(&self, fork: Fork) -> Result<Option<BlobParams>, String> {
        let mut chain = ChainConfig::all_active_up_to(self.chain_id(), fork);
        for (name, params) in &self.config.blob_schedule {
            let scheduled = name
                .parse::<Fork>()
                .map_err(|e| format!("blobSchedule: {e}"))?;
            let params = BlobParams {
                target: params.target,
                max: params.max,
                base_fee_update_fraction: params.base_fee_update_fraction,
            };
            chain.blob_schedule.insert(scheduled, params);
        }
        Ok(chain.blob_params(fork))
    }
}

/// An in-memory state holding `accounts`.
pub fn in_memory_db(accounts: &BTreeMap<Address, Account>) -> InMemoryDb {
    let mut db = InMemoryDb::default();
    for (address, account) in accounts {
        let storage: HashMap<U256, U256> = account.storage.iter().map(|(k, v)| (*k, *v)).collect();
        db.insert_account(
            *address,
            account.nonce,
            account.balance,
            account.code.clone(),
            storage,
        );
    }
    db
}

/// The hash the fixtures give block `number`: `keccak256` of its decimal representation.
pub fn fixture_block_hash(number: u64) -> B256 {
    keccak256(number.to_string())
}

/// Deserializes a 64-bit hex quantity.
fn quantity<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    let s = String::deserialize(deserializer)?;
    quantity_u64(&s).map_err(serde::de::Error::custom)
}

/// Deserializes an optional 64-bit hex quantity.
fn optional_quantity<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
    let s = Option::<String>::deserialize(deserializer)?;
    s.map(|s| quantity_u64(&s).map_err(serde::de::Error::custom))
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEST: &str = r#"{
        "env": {
            "currentCoinbase": "0x2adc25665018aa1fe0e6bc666dac8fc2697ff9ba",
            "currentGasLimit": "0x07270e00", "currentNumber": "0x01",
            "currentTimestamp": "0x03e8", "currentDifficulty": "0x020000",
            "currentRandom": "0x0000000000000000000000000000000000000000000000000000000000020000",
            "currentBaseFee": "0x07", "currentExcessBlobGas": "0x20000"
        },
        "pre": {
            "0x0000000000000000000000000000000000000100": {
                "nonce": "0x01", "balance": "0x0a", "code": "0x6000",
                "storage": { "0x01": "0x02", "0x03": "0x00" }
            }
        },
        "transaction": {
            "nonce": "0x00", "gasPrice": "0x0a", "gasLimit": ["0x5208"], "to": "",
            "value": ["0x00"], "data": ["0x"],
            "secretKey": "0x45a915e4d060149eb4365960e6a7a45f334393093061116b197e3240065ff2d8"
        },
        "post": {},
        "config": {
            "chainid": "0x01",
            "blobSchedule": { "Cancun": { "target": "0x03", "max": "0x04", "baseFeeUpdateFraction": "0x32f0ed" } }
        }
    }"#;

    #[test]
    fn env_fields_follow_the_fork() {
        let test: StateTest = serde_json::from_str(TEST).unwrap();
        let frontier = test.block_env(Fork::Frontier).unwrap();
        assert_eq!(frontier.base_fee, None);
        assert_eq!(frontier.prev_randao, None);
        assert_eq!(frontier.difficulty, U256::from(0x020000));
        assert_eq!(frontier.blob_params, None);
        assert_eq!(frontier.excess_blob_gas, None);
        let london = test.block_env(Fork::London).unwrap();
        assert_eq!(london.base_fee, Some(U256::from(7)));
        let paris = test.block_env(Fork::Paris).unwrap();
        assert_eq!(paris.prev_randao, test.env.current_random);
        assert_eq!(paris.difficulty, U256::ZERO);
        let cancun = test.block_env(Fork::Cancun).unwrap();
        assert_eq!(cancun.excess_blob_gas, Some(0x20000));
        assert_eq!(
            cancun.blob_params.map(|p| p.max),
            Some(4),
            "the fixture's schedule wins"
        );
        let prague = test.block_env(Fork::Prague).unwrap();
        assert_eq!(
            prague.blob_params,
            Some(BlobParams::PRAGUE),
            "a Cancun entry does not carry over"
        );
    }

    #[test]
    fn pre_state_drops_zero_slots_and_hashes_blocks_like_the_fixtures() {
        let test: StateTest = serde_json::from_str(TEST).unwrap();
        let db = test.pre_state();
        let account = &db.accounts[&Address::left_padding_from(&[1, 0])];
        assert_eq!(account.info.nonce, 1);
        assert_eq!(account.storage.len(), 1);
        assert_eq!(account.info.code_hash, keccak256([0x60, 0x00]));
        assert_eq!(
            fixture_block_hash(0),
            "0x044852b2a670ade5407e78fb2863c51de9fcb96542a07186fe3aeda6bb8a116d"
                .parse::<B256>()
                .unwrap()
        );
        assert_eq!(
            ethrex_vm::Database::block_hash(&db, 7).unwrap(),
            fixture_block_hash(7)
        );
    }

    #[test]
    fn post_merge_env_without_random_is_an_error() {
        let mut test: StateTest = serde_json::from_str(TEST).unwrap();
        test.env.current_random = None;
        assert!(test.block_env(Fork::London).is_ok());
        let err = test.block_env(Fork::Paris).unwrap_err();
        assert!(err.contains("currentRandom"), "{err}");
    }
}
