//! The generated chain's genesis: a post-merge chain with every fork up to [`FORK`] active from
//! genesis, written as a geth-style genesis file (the format `ethrex --network <file>` reads).
//!
//! The allocation holds the senders (each with [`INITIAL_ETHER`] wei and [`INITIAL_TOKENS`]
//! token units), the ERC20 token with its code and a balance slot per sender, and the system
//! contracts block processing calls from Cancun and Prague on.

use std::collections::{BTreeMap, HashMap};

use alloy_genesis::{ChainConfig as GenesisConfig, Genesis, GenesisAccount};
use alloy_primitives::{B256, Bytes, U256};
use ethrex_common::{BlobParams, ChainConfig, Fork};
use ethrex_vm::InMemoryDb;

use crate::{
    Result, erc20,
    system_contracts::SYSTEM_CONTRACTS,
    workload::{INITIAL_ETHER, INITIAL_TOKENS},
};

/// Chain id of the generated chains.
pub const CHAIN_ID: u64 = 1337;
/// The fork of every block, active from genesis.
pub const FORK: Fork = Fork::Osaka;
/// The genesis timestamp (blocks follow every 12 seconds).
pub const GENESIS_TIMESTAMP: u64 = 1_700_000_000;
/// The genesis base fee (EIP-1559's initial value).
pub const GENESIS_BASE_FEE: u64 = ethrex_common::constants::INITIAL_BASE_FEE;

/// The chain configuration: every fork up to [`FORK`] at genesis, with the blob schedule geth
/// expects (an entry for each fork from Cancun on that has one).
pub fn chain_config() -> ChainConfig {
    let mut config = ChainConfig::all_active_up_to(CHAIN_ID, FORK);
    if FORK >= Fork::Osaka {
        config.blob_schedule.insert(Fork::Osaka, BlobParams::PRAGUE);
    }
    config
}

/// The genesis of a chain funding `senders`, with blocks of `gas_limit` gas.
pub fn genesis(senders: &[alloy_primitives::Address], gas_limit: u64) -> Result<Genesis> {
    let mut alloc = BTreeMap::new();
    for sender in senders {
        alloc.insert(
            *sender,
            GenesisAccount {
                balance: INITIAL_ETHER,
                ..Default::default()
            },
        );
    }
    let mut token_storage: BTreeMap<B256, B256> = senders
        .iter()
        .map(|s| (erc20::balance_slot(*s).into(), INITIAL_TOKENS.into()))
        .collect();
    let supply = INITIAL_TOKENS * U256::from(senders.len());
    token_storage.insert(erc20::TOTAL_SUPPLY_SLOT.into(), supply.into());
    let token_code = erc20::runtime_code()?;
    alloc.insert(
        erc20::TOKEN,
        GenesisAccount {
            nonce: Some(1),
            code: Some(token_code),
            storage: Some(token_storage),
            ..Default::default()
        },
    );
    for contract in SYSTEM_CONTRACTS {
        alloc.insert(
            contract.address,
            GenesisAccount {
                nonce: Some(1),
                code: Some(Bytes::from_static(contract.code)),
                ..Default::default()
            },
        );
    }
    Ok(Genesis {
        config: genesis_config(&chain_config()),
        nonce: 0,
        timestamp: GENESIS_TIMESTAMP,
        extra_data: Bytes::from_static(b"ethrex-chaingen"),
        gas_limit,
        difficulty: U256::ZERO,
        mix_hash: B256::ZERO,
        coinbase: alloy_primitives::Address::ZERO,
        alloc,
        base_fee_per_gas: Some(u128::from(GENESIS_BASE_FEE)),
        excess_blob_gas: Some(0),
        blob_gas_used: Some(0),
        number: Some(0),
        ..Default::default()
    })
}

/// The accounts of `genesis` as the VM reads them.
pub fn in_memory_db(genesis: &Genesis) -> InMemoryDb {
    let mut db = InMemoryDb::default();
    for (address, account) in &genesis.alloc {
        let storage: HashMap<U256, U256> = account
            .storage
            .iter()
            .flatten()
            .map(|(slot, value)| ((*slot).into(), (*value).into()))
            .collect();
        db.insert_account(
            *address,
            account.nonce.unwrap_or(0),
            account.balance,
            account.code.clone().unwrap_or_default(),
            storage,
        );
    }
    db
}

/// The genesis file's `config` object for `config`: the inverse of
/// [`ChainConfig::from_genesis_config`].
fn genesis_config(config: &ChainConfig) -> GenesisConfig {
    let blob_schedule = config
        .blob_schedule
        .iter()
        .filter_map(|(fork, params)| {
            let key = fork.blob_schedule_key()?;
            let params = alloy_eips::eip7840::BlobParams {
                target_blob_count: params.target,
                max_blob_count: params.max,
                update_fraction: u128::from(params.base_fee_update_fraction),
                ..alloy_eips::eip7840::BlobParams::cancun()
            };
            Some((key.to_string(), params))
        })
        .collect();
    GenesisConfig {
        chain_id: config.chain_id,
        homestead_block: config.homestead_block,
        dao_fork_block: config.dao_fork_block,
        dao_fork_support: config.dao_fork_support,
        eip150_block: config.eip150_block,
        eip155_block: config.eip155_block,
        eip158_block: config.eip158_block,
        byzantium_block: config.byzantium_block,
        constantinople_block: config.constantinople_block,
        petersburg_block: config.petersburg_block,
        istanbul_block: config.istanbul_block,
        muir_glacier_block: config.muir_glacier_block,
        berlin_block: config.berlin_block,
        london_block: config.london_block,
        arrow_glacier_block: config.arrow_glacier_block,
        gray_glacier_block: config.gray_glacier_block,
        merge_netsplit_block: config.merge_netsplit_block,
        terminal_total_difficulty: config.terminal_total_difficulty,
        terminal_total_difficulty_passed: config.terminal_total_difficulty_passed,
        shanghai_time: config.shanghai_time,
        cancun_time: config.cancun_time,
        prague_time: config.prague_time,
        osaka_time: config.osaka_time,
        bpo1_time: config.bpo1_time,
        bpo2_time: config.bpo2_time,
        bpo3_time: config.bpo3_time,
        bpo4_time: config.bpo4_time,
        bpo5_time: config.bpo5_time,
        deposit_contract_address: config.deposit_contract_address,
        blob_schedule,
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::Address;

    use super::*;

    #[test]
    fn the_written_config_reads_back_as_the_same_config() {
        let config = chain_config();
        let read = ChainConfig::from_genesis_config(&genesis_config(&config)).unwrap();
        assert_eq!(read, config);
    }

    #[test]
    fn the_genesis_file_is_post_merge_with_every_fork_at_genesis() {
        let senders = [Address::repeat_byte(1), Address::repeat_byte(2)];
        let json = serde_json::to_string_pretty(&genesis(&senders, 30_000_000).unwrap()).unwrap();
        for field in [
            r#""mergeNetsplitBlock": 0"#,
            r#""terminalTotalDifficulty": 0"#,
            r#""pragueTime": 0"#,
            r#""osakaTime": 0"#,
            r#""baseFeePerGas": "0x3b9aca00""#,
            r#""osaka": {"#,
        ] {
            assert!(json.contains(field), "genesis lacks {field}:\n{json}");
        }
        let parsed = ethrex_common::Genesis::from_json(&json).unwrap();
        assert_eq!(parsed.fork(), FORK);
        assert_eq!(parsed.config(), &chain_config());
        // Two senders, the token and four system contracts.
        assert_eq!(parsed.alloc().len(), 7);
    }
}
