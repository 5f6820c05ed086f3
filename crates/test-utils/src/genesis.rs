//! A small genesis for in-process chains: [`GenesisBuilder`] activates every fork up to a chosen
//! one at block 0 (the schedule of `ChainConfig::all_active_up_to`, written once there), funds
//! the first dev accounts and, from Prague, holds the system contracts block processing calls.
//!
//! The result is an `ethrex_common::Genesis` ([`GenesisBuilder::build`]) or its JSON
//! ([`GenesisBuilder::json`], for a genesis file the binary reads).

use std::collections::BTreeMap;

use alloy_primitives::{Address, B256, Bytes, U256};
use ethrex_common::{
    ChainConfig, Fork, Genesis,
    constants::INITIAL_BASE_FEE,
    dev::{DEV_BALANCE, DEV_CHAIN_ID, DEV_GAS_LIMIT, dev_accounts},
    genesis::GenesisAccount,
    system_contracts::SYSTEM_CONTRACTS,
};
use serde_json::{Value, json};

/// How many dev accounts a [`GenesisBuilder`] funds unless told otherwise.
pub const FUNDED_DEV_ACCOUNTS: usize = 4;

/// A genesis with every fork up to `fork` active from block 0 (defaults: the dev chain id,
/// 30M gas, a 1 gwei base fee, dev accounts 0..4 holding `DEV_BALANCE` each).
#[derive(Debug, Clone)]
pub struct GenesisBuilder {
    fork: Fork,
    chain_id: u64,
    gas_limit: u64,
    base_fee: u64,
    alloc: BTreeMap<Address, GenesisAccount>,
}

impl GenesisBuilder {
    pub fn new(fork: Fork) -> Self {
        let mut builder = GenesisBuilder {
            fork,
            chain_id: DEV_CHAIN_ID,
            gas_limit: DEV_GAS_LIMIT,
            base_fee: INITIAL_BASE_FEE,
            alloc: BTreeMap::new(),
        };
        for account in &dev_accounts().expect("dev keys")[..FUNDED_DEV_ACCOUNTS] {
            builder = builder.fund(account.address, DEV_BALANCE);
        }
        if fork >= Fork::Prague {
            for contract in SYSTEM_CONTRACTS {
                let account = GenesisAccount {
                    nonce: Some(1),
                    code: Some(Bytes::from_static(contract.code)),
                    ..Default::default()
                };
                builder = builder.account(contract.address, account);
            }
        }
        builder
    }

    pub fn chain_id(mut self, chain_id: u64) -> Self {
        self.chain_id = chain_id;
        self
    }

    pub fn gas_limit(mut self, gas_limit: u64) -> Self {
        self.gas_limit = gas_limit;
        self
    }

    /// The genesis block's base fee (from London).
    pub fn base_fee(mut self, base_fee: u64) -> Self {
        self.base_fee = base_fee;
        self
    }

    /// Sets (or replaces) `address`'s account.
    pub fn account(mut self, address: Address, account: GenesisAccount) -> Self {
        self.alloc.insert(address, account);
        self
    }

    /// Sets `address`'s balance, creating the account (with nothing else) if absent.
    pub fn fund(mut self, address: Address, balance: U256) -> Self {
        self.alloc.entry(address).or_default().balance = balance;
        self
    }

    /// A contract with `code` and `storage` (slot → value), no balance.
    pub fn contract(
        self,
        address: Address,
        code: impl Into<Bytes>,
        storage: impl IntoIterator<Item = (U256, U256)>,
    ) -> Self {
        let storage: BTreeMap<B256, B256> = storage
            .into_iter()
            .map(|(slot, value)| (B256::from(slot), B256::from(value)))
            .collect();
        let account = GenesisAccount {
            code: Some(code.into()),
            storage: (!storage.is_empty()).then_some(storage),
            ..Default::default()
        };
        self.account(address, account)
    }

    /// The genesis JSON (geth's format).
    pub fn json(&self) -> Value {
        let mut genesis = self.header_json();
        genesis["alloc"] = serde_json::to_value(&self.alloc).expect("alloc to JSON");
        genesis
    }

    pub fn build(&self) -> Genesis {
        Genesis::from_json(&self.header_json().to_string())
            .expect("a valid genesis")
            .with_accounts(self.alloc.clone())
    }

    /// Everything but the allocation.
    fn header_json(&self) -> Value {
        let mut header = json!({
            "config": config_json(self.chain_id, self.fork),
            "gasLimit": format!("{:#x}", self.gas_limit),
            "difficulty": "0x0",
            "timestamp": "0x0",
            "extraData": "0x",
            "alloc": {},
        });
        if self.fork >= Fork::London {
            header["baseFeePerGas"] = json!(format!("{:#x}", self.base_fee));
        }
        header
    }
}

/// The genesis `config` of `ChainConfig::all_active_up_to`: its fields are geth's names, except
/// the blob schedule, which a genesis file keys by `Fork::blob_schedule_key`; unset forks left out.
fn config_json(chain_id: u64, fork: Fork) -> Value {
    let config = ChainConfig::all_active_up_to(chain_id, fork);
    let mut json = serde_json::to_value(&config).expect("config to JSON");
    let blobs: serde_json::Map<String, Value> = config
        .blob_schedule
        .iter()
        .filter_map(|(fork, params)| {
            let key = fork.blob_schedule_key()?;
            Some((
                key.to_string(),
                serde_json::to_value(params).expect("blob params"),
            ))
        })
        .collect();
    json["blobSchedule"] = Value::Object(blobs);
    if let Value::Object(fields) = &mut json {
        fields.retain(|_, value| !value.is_null());
    }
    json
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_fork_genesis_is_at_that_fork_with_funded_dev_accounts() {
        for fork in [Fork::Shanghai, Fork::Cancun, Fork::Prague, Fork::Osaka] {
            let genesis = GenesisBuilder::new(fork).build();
            assert_eq!(genesis.fork(), fork);
            assert_eq!(genesis.config().chain_id, DEV_CHAIN_ID);
            let alloc = genesis.alloc();
            assert_eq!(alloc[&crate::dev_address(0)].balance, DEV_BALANCE);
            let contracts = SYSTEM_CONTRACTS
                .iter()
                .all(|c| alloc.contains_key(&c.address));
            assert_eq!(contracts, fork >= Fork::Prague, "{fork}");
            genesis.block().unwrap();
        }
    }

    #[test]
    fn json_and_build_give_the_same_genesis_block() {
        let builder = GenesisBuilder::new(Fork::Prague).base_fee(7).contract(
            Address::repeat_byte(1),
            vec![0x00],
            [(U256::from(1), U256::from(42))],
        );
        let from_json = Genesis::from_json(&builder.json().to_string()).unwrap();
        let header = from_json.header().unwrap();
        assert_eq!(header, builder.build().header().unwrap());
        assert_eq!(header.base_fee_per_gas, Some(7));
    }
}
