//! The L2 genesis (`fixtures/genesis/l2.json`): the dev chain's genesis file (the same fork
//! schedule, every fork through Osaka at 0, 30M gas, 1 gwei base fee) with chain id
//! [`L2_CHAIN_ID`] and an allocation of
//! - the 192 rich accounts of `ethrex_common::dev` with the dev chain's balance each,
//! - the system contracts block processing calls (EIP-4788, EIP-2935, EIP-7002, EIP-7251),
//!   nonce 1, as the dev chain holds them,
//! - `CommonBridgeL2` at 0x…ffff and `Messenger` at 0x…fffe: the embedded runtime code, nonce 1,
//!   no storage. No constructor runs for genesis code, and none is needed: neither contract has
//!   a constructor or immutables, their addresses are constants in the code, and `Messenger`'s
//!   only state, `lastMessageId`, must start at 0 (the first message is 1).
//!
//! Guarantee: [`l2_genesis_json`] is a pure function of the embedded data, written in a fixed
//! key order (the dev file's text with its chain id replaced and its empty `alloc` filled;
//! accounts sorted by address, fields in a fixed order), so `make l2-genesis` reproduces the
//! committed file byte for byte, and a test fails when they differ.

use std::collections::BTreeMap;

use alloy_primitives::{Address, Bytes, U256};
use ethrex_common::{dev, system_contracts};
use ethrex_l2_contracts::{COMMON_BRIDGE_L2, L2_BRIDGE_ADDRESS, MESSENGER, MESSENGER_ADDRESS};
use serde::Serialize;

use crate::{Result, SdkError};

/// The L2's chain id.
pub const L2_CHAIN_ID: u64 = 65_536_999;

/// The dev chain's genesis file (config and header fields, empty `alloc`).
const DEV_GENESIS_JSON: &str = include_str!("../../../common/networks/dev.json");

/// One account of the allocation, serialized in this field order.
#[derive(Serialize)]
struct AllocAccount {
    balance: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<String>,
}

impl AllocAccount {
    fn funded(balance: U256) -> Self {
        AllocAccount {
            balance: format!("{balance:#x}"),
            nonce: None,
            code: None,
        }
    }

    fn contract(code: &[u8]) -> Self {
        AllocAccount {
            balance: "0x0".into(),
            nonce: Some("0x1".into()),
            code: Some(Bytes::copy_from_slice(code).to_string()),
        }
    }
}

/// The L2 genesis JSON, exactly as `fixtures/genesis/l2.json` holds it.
pub fn l2_genesis_json() -> Result<String> {
    let mut alloc: BTreeMap<Address, AllocAccount> = BTreeMap::new();
    for account in dev::dev_accounts()? {
        alloc.insert(account.address, AllocAccount::funded(dev::DEV_BALANCE));
    }
    for contract in system_contracts::SYSTEM_CONTRACTS {
        alloc.insert(contract.address, AllocAccount::contract(contract.code));
    }
    alloc.insert(
        L2_BRIDGE_ADDRESS,
        AllocAccount::contract(&COMMON_BRIDGE_L2.deployed_code()?),
    );
    alloc.insert(
        MESSENGER_ADDRESS,
        AllocAccount::contract(&MESSENGER.deployed_code()?),
    );
    // Lowercase hex keys, sorted (BTreeMap of addresses sorts by bytes, as by lowercase hex).
    let alloc: BTreeMap<String, AllocAccount> = alloc
        .into_iter()
        .map(|(address, account)| (format!("{address:#x}"), account))
        .collect();
    let alloc = serde_json::to_string_pretty(&alloc)
        .map_err(|e| SdkError::InvalidInput(format!("serialize the L2 allocation: {e}")))?
        // Nested one level in the document.
        .replace('\n', "\n  ");
    let text = replace_once(
        DEV_GENESIS_JSON,
        &format!("\"chainId\": {},", dev::DEV_CHAIN_ID),
        &format!("\"chainId\": {L2_CHAIN_ID},"),
    )?;
    replace_once(&text, "\"alloc\": {}", &format!("\"alloc\": {alloc}"))
}

/// `text` with its one occurrence of `from` replaced by `to`.
fn replace_once(text: &str, from: &str, to: &str) -> Result<String> {
    match text.matches(from).count() {
        1 => Ok(text.replacen(from, to, 1)),
        n => Err(SdkError::InvalidInput(format!(
            "the dev genesis file holds `{from}` {n} times, expected once"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::address;
    use ethrex_common::{Fork, Genesis};

    /// The committed file, relative to this crate.
    const COMMITTED: &str = include_str!("../../../../fixtures/genesis/l2.json");

    #[test]
    fn the_committed_l2_genesis_is_what_the_generator_writes() {
        let generated = l2_genesis_json().unwrap();
        assert!(
            generated == COMMITTED,
            "fixtures/genesis/l2.json is stale: run `make l2-genesis` (first differing line: {:?})",
            generated
                .lines()
                .zip(COMMITTED.lines())
                .find(|(a, b)| a != b)
        );
    }

    #[test]
    fn the_l2_genesis_is_the_dev_chain_with_the_l2_chain_id_and_system_contracts() {
        let genesis = Genesis::from_json(COMMITTED).unwrap();
        assert_eq!(genesis.config().chain_id, 65_536_999);
        assert_eq!(genesis.fork(), Fork::Osaka);
        let header = genesis.header().unwrap();
        assert_eq!(header.gas_limit, 30_000_000);
        assert_eq!(header.base_fee_per_gas, Some(1_000_000_000));
        // 192 rich accounts, 4 L1 system contracts, the L2 bridge and messenger.
        assert_eq!(genesis.alloc().len(), 192 + 4 + 2);
        let rich = dev::dev_accounts().unwrap();
        assert_eq!(rich.len(), 192);
        let million_ether = U256::from(10u64).pow(U256::from(24));
        for account in &rich {
            assert_eq!(genesis.alloc()[&account.address].balance, million_ether);
        }
        let code = |at: Address| genesis.alloc()[&at].code.clone().unwrap();
        let bridge = address!("0x000000000000000000000000000000000000ffff");
        let messenger = address!("0x000000000000000000000000000000000000fffe");
        assert_eq!(code(bridge), COMMON_BRIDGE_L2.deployed_code().unwrap());
        assert_eq!(code(messenger), MESSENGER.deployed_code().unwrap());
        for at in [bridge, messenger] {
            assert!(genesis.alloc()[&at].storage.is_none(), "{at}: no storage");
            assert_eq!(genesis.alloc()[&at].balance, U256::ZERO);
        }
        // The same fork schedule as the dev chain's.
        let dev_genesis = dev::dev_genesis(dev::DEV_GAS_LIMIT).unwrap();
        for (number, time) in [(0, 0), (0, u64::MAX / 2)] {
            assert_eq!(
                genesis.config().fork_at(number, time),
                dev_genesis.config().fork_at(number, time)
            );
        }
        // Only the chain id and the two L2 contracts make it differ from the dev genesis.
        assert_ne!(header.state_root, dev_genesis.header().unwrap().state_root);
        let without_l2 = dev_genesis
            .with_accounts([bridge, messenger].map(|at| (at, genesis.alloc()[&at].clone())));
        assert_eq!(without_l2.state_root().unwrap(), header.state_root);
    }
}
