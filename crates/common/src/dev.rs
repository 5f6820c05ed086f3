//! The dev chain of `ethrex --dev`: a local chain for dApp development.
//!
//! Chain id [`DEV_CHAIN_ID`], every fork through Osaka active from genesis (post-merge: TTD 0),
//! a [`DEV_GAS_LIMIT`] gas limit unless told otherwise, a 1 gwei base fee, the system contracts
//! block processing calls (EIP-4788, EIP-2935, EIP-7002, EIP-7251), and the 192 accounts of
//! `networks/dev-keys.txt` prefunded with [`DEV_BALANCE`] each. Those keys are public: never use
//! them on a real network.
//!
//! The genesis is deterministic (timestamp 0): a persistent dev datadir reopens with the same
//! genesis as long as the gas limit is the same.

use alloy_primitives::{Address, B256, Bytes, U256};

use crate::{CommonError, Genesis, Result, genesis::GenesisAccount, system_contracts};

/// Chain id of the dev chain (as geth's and anvil's dev chains).
pub const DEV_CHAIN_ID: u64 = 1337;
/// Default block gas limit of the dev chain.
pub const DEV_GAS_LIMIT: u64 = 30_000_000;
/// Balance of each prefunded account: one million ether (10^24 wei).
pub const DEV_BALANCE: U256 = U256::from_limbs([0x1bce_cced_a100_0000, 0xd3c2, 0, 0]);

/// The dev chain's genesis file (config and header fields; the allocation is added here).
const DEV_GENESIS_JSON: &str = include_str!("../networks/dev.json");
/// One `0x<private key> 0x<address>` per line; `#` starts a comment.
const DEV_KEYS: &str = include_str!("../networks/dev-keys.txt");

/// A prefunded dev account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DevAccount {
    pub secret: B256,
    pub address: Address,
}

/// The prefunded accounts, in the order of `dev-keys.txt`.
pub fn dev_accounts() -> Result<Vec<DevAccount>> {
    DEV_KEYS
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty() && !line.trim_start().starts_with('#'))
        .map(|(index, line)| {
            let bad = |what: &str| {
                CommonError::InvalidGenesis(format!("dev-keys.txt line {}: {what}", index + 1))
            };
            let mut fields = line.split_whitespace();
            let secret = fields
                .next()
                .and_then(|s| s.parse::<B256>().ok())
                .ok_or_else(|| bad("bad private key"))?;
            let address = fields
                .next()
                .and_then(|s| s.parse::<Address>().ok())
                .ok_or_else(|| bad("bad address"))?;
            Ok(DevAccount { secret, address })
        })
        .collect()
}

/// The dev chain's genesis with blocks of `gas_limit` gas.
pub fn dev_genesis(gas_limit: u64) -> Result<Genesis> {
    let funded = dev_accounts()?.into_iter().map(|account| {
        let funds = GenesisAccount {
            balance: DEV_BALANCE,
            ..Default::default()
        };
        (account.address, funds)
    });
    let contracts = system_contracts::SYSTEM_CONTRACTS.iter().map(|contract| {
        let account = GenesisAccount {
            nonce: Some(1),
            code: Some(Bytes::from_static(contract.code)),
            ..Default::default()
        };
        (contract.address, account)
    });
    Ok(Genesis::from_json(DEV_GENESIS_JSON)?
        .with_accounts(funded.chain(contracts))
        .with_gas_limit(gas_limit))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Fork;

    #[test]
    fn every_dev_key_controls_its_listed_address() {
        let accounts = dev_accounts().unwrap();
        assert_eq!(accounts.len(), 192);
        for account in accounts {
            assert_eq!(
                ethrex_crypto::secret_to_address(&account.secret).unwrap(),
                account.address
            );
        }
    }

    #[test]
    fn dev_genesis_is_an_osaka_chain_with_the_funded_accounts_and_system_contracts() {
        let genesis = dev_genesis(DEV_GAS_LIMIT).unwrap();
        assert_eq!(genesis.config().chain_id, DEV_CHAIN_ID);
        assert_eq!(genesis.fork(), Fork::Osaka);
        let header = genesis.header().unwrap();
        assert_eq!(header.gas_limit, DEV_GAS_LIMIT);
        assert_eq!(header.base_fee_per_gas, Some(1_000_000_000));
        assert_eq!(DEV_BALANCE, U256::from(10u64).pow(U256::from(24)));
        let first = dev_accounts().unwrap()[0].address;
        assert_eq!(genesis.alloc()[&first].balance, DEV_BALANCE);
        for contract in system_contracts::SYSTEM_CONTRACTS {
            assert_eq!(
                genesis.alloc()[&contract.address]
                    .code
                    .as_deref()
                    .map(|c| &c[..]),
                Some(contract.code)
            );
        }
        assert_eq!(genesis.alloc().len(), 192 + 4);
        // Deterministic: the same block every time, another one with another gas limit.
        let hash = header.hash_slow();
        assert_eq!(
            dev_genesis(DEV_GAS_LIMIT)
                .unwrap()
                .header()
                .unwrap()
                .hash_slow(),
            hash
        );
        assert_ne!(
            dev_genesis(60_000_000)
                .unwrap()
                .header()
                .unwrap()
                .hash_slow(),
            hash
        );
    }
}
