//! What this node runs and holds: `eth_config` (EIP-7910: the current, next and last fork's
//! rules — activation time, blob schedule, fork id, precompiles, system contracts) and
//! `eth_capabilities` (the head, and the oldest block each kind of data is served for).

use alloy_primitives::{Address, B256};
use ethrex_blockchain::header::fork_of;
use ethrex_common::{
    ChainConfig, Fork, ForkId,
    config::Activation,
    system_contracts::{
        BEACON_ROOTS_ADDRESS, CONSOLIDATION_REQUEST_ADDRESS, HISTORY_STORAGE_ADDRESS,
        MAINNET_DEPOSIT_CONTRACT, WITHDRAWAL_REQUEST_ADDRESS,
    },
    types::Header,
};
use ethrex_storage::DEFAULT_STATE_WINDOW;
use ethrex_vm::precompiles::active_precompiles;
use serde_json::{Map, Value, json};

use super::params::Params;
use crate::{RpcContext, RpcError};

/// EIP-7910's name of each precompile, by address.
const PRECOMPILE_NAMES: [(u16, &str); 18] = [
    (0x01, "ECREC"),
    (0x02, "SHA256"),
    (0x03, "RIPEMD160"),
    (0x04, "ID"),
    (0x05, "MODEXP"),
    (0x06, "BN254_ADD"),
    (0x07, "BN254_MUL"),
    (0x08, "BN254_PAIRING"),
    (0x09, "BLAKE2F"),
    (0x0a, "KZG_POINT_EVALUATION"),
    (0x0b, "BLS12_G1ADD"),
    (0x0c, "BLS12_G1MSM"),
    (0x0d, "BLS12_G2ADD"),
    (0x0e, "BLS12_G2MSM"),
    (0x0f, "BLS12_PAIRING_CHECK"),
    (0x10, "BLS12_MAP_FP_TO_G1"),
    (0x11, "BLS12_MAP_FP2_TO_G2"),
    (0x100, "P256VERIFY"),
];

fn precompile_name(address: &Address) -> Option<&'static str> {
    let [prefix @ .., high, low] = address.0.0;
    if prefix.iter().any(|b| *b != 0) {
        return None;
    }
    let number = u16::from_be_bytes([high, low]);
    PRECOMPILE_NAMES
        .iter()
        .find(|(n, _)| *n == number)
        .map(|(_, name)| *name)
}

fn head(ctx: &RpcContext) -> Result<Header, RpcError> {
    ctx.store
        .head_header()?
        .ok_or_else(|| RpcError::internal("the store has no head block"))
}

/// `eth_config`: the rules of the head's fork, of the next scheduled fork and of the last
/// scheduled one (`null` when none is scheduled after the head).
pub fn eth_config(ctx: &RpcContext, p: &Params) -> Result<Value, RpcError> {
    p.at_most(0)?;
    let config = ctx.chain.config();
    let head = head(ctx)?;
    let genesis = ctx
        .store
        .header_by_number(0)?
        .ok_or_else(|| RpcError::internal("the store has no genesis block"))?;
    let genesis = (genesis.hash_slow(), genesis.timestamp);
    let current = fork_of(config, &head);
    // Forks scheduled after the head (by timestamp: only those are still to come post-merge).
    let upcoming: Vec<(Fork, u64)> = Fork::ALL
        .into_iter()
        .filter(|fork| *fork > current)
        .filter_map(|fork| match config.activation(fork) {
            Some(Activation::Timestamp(time)) if time > head.timestamp => Some((fork, time)),
            _ => None,
        })
        .collect();
    let object = |fork: Fork| fork_config(config, genesis, fork);
    Ok(json!({
        "current": object(current),
        "next": upcoming.first().map(|(fork, _)| object(*fork)),
        "last": upcoming.last().map(|(fork, _)| object(*fork)),
    }))
}

/// EIP-7910's configuration object of `fork` (`activationTime` 0 for a fork activated by block
/// number or at genesis).
fn fork_config(config: &ChainConfig, genesis: (B256, u64), fork: Fork) -> Value {
    let (genesis_hash, genesis_time) = genesis;
    // The fork id a node has once `fork` is active: a timestamp fork comes after every
    // block-number fork.
    let (number, time) = match config.activation(fork) {
        Some(Activation::Timestamp(time)) => (u64::MAX, time),
        Some(Activation::Block(number)) => (number, 0),
        Some(Activation::TotalDifficulty(_)) | None => (0, 0),
    };
    let fork_id = ForkId::new(config, genesis_hash, genesis_time, number, time);
    let precompiles: Map<String, Value> = active_precompiles(fork)
        .iter()
        .filter_map(|address| Some((precompile_name(address)?.to_string(), json!(address))))
        .collect();
    let mut contracts = Map::new();
    if fork >= Fork::Cancun {
        contracts.insert("BEACON_ROOTS_ADDRESS".into(), json!(BEACON_ROOTS_ADDRESS));
    }
    if fork >= Fork::Prague {
        let deposit = config
            .deposit_contract_address
            .unwrap_or(MAINNET_DEPOSIT_CONTRACT);
        contracts.insert("DEPOSIT_CONTRACT_ADDRESS".into(), json!(deposit));
        contracts.insert(
            "HISTORY_STORAGE_ADDRESS".into(),
            json!(HISTORY_STORAGE_ADDRESS),
        );
        contracts.insert(
            "WITHDRAWAL_REQUEST_PREDEPLOY_ADDRESS".into(),
            json!(WITHDRAWAL_REQUEST_ADDRESS),
        );
        contracts.insert(
            "CONSOLIDATION_REQUEST_PREDEPLOY_ADDRESS".into(),
            json!(CONSOLIDATION_REQUEST_ADDRESS),
        );
    }
    json!({
        "activationTime": time,
        "blobSchedule": config.blob_params(fork),
        "chainId": format!("{:#x}", config.chain_id),
        "forkId": format!("{:#x}", fork_id.hash),
        "precompiles": precompiles,
        "systemContracts": contracts,
    })
}

/// `eth_capabilities`: the head, and for each kind of data whether it is served and from which
/// block. Blocks, transactions, receipts and logs are kept from genesis; state (and so proofs)
/// only for the recent blocks whose state is held, a window of [`DEFAULT_STATE_WINDOW`] blocks.
pub fn capabilities(ctx: &RpcContext, p: &Params) -> Result<Value, RpcError> {
    p.at_most(0)?;
    let head = head(ctx)?;
    let oldest_state = oldest_state(ctx, &head)?;
    let from_genesis = json!({ "disabled": false, "oldestBlock": "0x0" });
    let state = json!({
        "disabled": false,
        "oldestBlock": format!("{oldest_state:#x}"),
        "deleteStrategy": {
            "type": "window",
            "retentionBlocks": format!("{DEFAULT_STATE_WINDOW:#x}"),
        },
    });
    Ok(json!({
        "head": { "number": format!("{:#x}", head.number), "hash": head.hash_slow() },
        "state": state,
        "tx": from_genesis,
        "logs": from_genesis,
        "receipts": from_genesis,
        "blocks": from_genesis,
        "stateproofs": state,
    }))
}

/// The oldest canonical block whose state is held (walking back from the head, at most the
/// window).
fn oldest_state(ctx: &RpcContext, head: &Header) -> Result<u64, RpcError> {
    let mut oldest = head.number;
    let floor = head.number.saturating_sub(DEFAULT_STATE_WINDOW);
    for number in (floor..head.number).rev() {
        match ctx.store.header_by_number(number)? {
            Some(header) if ctx.store.has_state(&header.state_root) => oldest = number,
            _ => break,
        }
    }
    Ok(oldest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::methods::test_chain::test_chain;

    #[test]
    fn config_names_the_next_and_last_scheduled_forks() {
        // Block 0x2d has timestamp 450: Prague; Osaka (480), BPO1 and BPO2 (540) are to come.
        let chain = test_chain!(0x2d);
        let config = chain.ok("eth_config", json!([]));
        assert_eq!(config["current"]["activationTime"], 450);
        assert_eq!(config["next"]["activationTime"], 480);
        assert_eq!(config["last"]["activationTime"], 540);
        assert!(config["current"]["precompiles"].get("P256VERIFY").is_none());
        assert_eq!(
            config["next"]["precompiles"]["P256VERIFY"],
            "0x0000000000000000000000000000000000000100"
        );
        assert_eq!(config["last"]["blobSchedule"]["max"], 21);
        assert_ne!(config["current"]["forkId"], config["next"]["forkId"]);
    }

    #[test]
    fn precompile_names_follow_eip_7910() {
        let address = |n: u16| {
            let mut bytes = [0u8; 20];
            bytes[18..].copy_from_slice(&n.to_be_bytes());
            Address::from(bytes)
        };
        assert_eq!(precompile_name(&address(1)), Some("ECREC"));
        assert_eq!(precompile_name(&address(0x100)), Some("P256VERIFY"));
        assert_eq!(precompile_name(&address(0x12)), None);
        assert_eq!(precompile_name(&Address::repeat_byte(1)), None);
        for fork in Fork::ALL {
            for precompile in active_precompiles(fork) {
                assert!(
                    precompile_name(precompile).is_some(),
                    "{precompile} unnamed"
                );
            }
        }
    }
}
