//! Account proofs and batched storage reads: `eth_getProof` (EIP-1186) and
//! `eth_getStorageValues`. Both read the state of one block (`latest` by default) and take
//! storage keys as geth does ([`StorageKey`]: hex of at most 32 bytes).

use std::collections::BTreeMap;

use alloy_primitives::{Address, B256};
use ethrex_common::constants::{EMPTY_CODE_HASH, EMPTY_TRIE_ROOT};
use serde_json::{Map, Value, json};

use super::{
    params::{Params, StorageKey},
    state::state_at,
};
use crate::{RpcContext, RpcError};

/// Most storage keys one request may name.
pub const MAX_STORAGE_KEYS: usize = 1024;

fn too_many_keys(count: usize) -> RpcError {
    RpcError::invalid_params(format!(
        "{count} storage keys requested, at most {MAX_STORAGE_KEYS} allowed"
    ))
}

/// `eth_getProof(address, storageKeys, block?)`: the account and its proof from the state root,
/// and each slot's value and proof from the account's storage root. An absent account reads as
/// empty, its proof showing where its path ends.
pub fn get_proof(ctx: &RpcContext, p: &Params) -> Result<Value, RpcError> {
    p.at_most(3)?;
    let address: Address = p.required(0)?;
    let keys: Vec<StorageKey> = p.required(1)?;
    if keys.len() > MAX_STORAGE_KEYS {
        return Err(too_many_keys(keys.len()));
    }
    let state = state_at(ctx, p, 2)?;
    let account = state.account_state_from_trie(&address)?;
    let account_proof = state.account_proof(&address)?;
    let mut storage_proof = Vec::with_capacity(keys.len());
    for key in keys {
        let value = state.storage_value_from_trie(&address, &key.slot)?;
        let proof = state.storage_proof(&address, &key.slot)?;
        // A key given as 32 bytes is echoed as such, any other as a quantity (as geth does).
        let key = if key.full_length {
            json!(B256::from(key.slot))
        } else {
            Value::String(format!("{:#x}", key.slot))
        };
        storage_proof.push(json!({
            "key": key,
            "value": format!("{value:#x}"),
            "proof": proof,
        }));
    }
    let (nonce, balance, code_hash, storage_root) = match account {
        Some(a) => (a.nonce, a.balance, a.code_hash, a.storage_root),
        None => (0, Default::default(), EMPTY_CODE_HASH, EMPTY_TRIE_ROOT),
    };
    Ok(json!({
        "address": address,
        "accountProof": account_proof,
        "balance": format!("{balance:#x}"),
        "codeHash": code_hash,
        "nonce": format!("{nonce:#x}"),
        "storageHash": storage_root,
        "storageProof": storage_proof,
    }))
}

/// `eth_getStorageValues({address: [keys]}, block?)`: the values of many slots of many
/// accounts at one block, as 32-byte words under the same addresses.
pub fn get_storage_values(ctx: &RpcContext, p: &Params) -> Result<Value, RpcError> {
    p.at_most(2)?;
    let requests: BTreeMap<Address, Vec<StorageKey>> = p.required(0)?;
    if requests.is_empty() {
        return Err(RpcError::invalid_params("empty request"));
    }
    let count = requests.values().map(Vec::len).sum();
    if count > MAX_STORAGE_KEYS {
        return Err(too_many_keys(count));
    }
    let state = state_at(ctx, p, 1)?;
    let mut out = Map::new();
    for (address, keys) in requests {
        let mut values = Vec::with_capacity(keys.len());
        for key in keys {
            let value = state.storage_value(&address, &key.slot)?;
            values.push(json!(B256::from(value)));
        }
        out.insert(format!("{address:#x}"), Value::Array(values));
    }
    Ok(Value::Object(out))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::methods::test_chain::test_chain;

    const CONTRACT: &str = "0x7dcd17433742f4c0ca53122ab541d0ba67fc27df";

    #[test]
    fn an_absent_account_reads_as_empty_with_a_proof_of_absence() {
        let chain = test_chain!(u64::MAX);
        let absent = "0xc1cadaffffffffffffffffffffffffffffffffff";
        let proof = chain.ok("eth_getProof", json!([absent, ["0x1"], "latest"]));
        assert_eq!(proof["balance"], "0x0");
        assert_eq!(proof["nonce"], "0x0");
        assert_eq!(
            proof["codeHash"],
            json!(ethrex_common::constants::EMPTY_CODE_HASH)
        );
        assert_eq!(
            proof["storageHash"],
            json!(ethrex_common::constants::EMPTY_TRIE_ROOT)
        );
        assert!(!proof["accountProof"].as_array().unwrap().is_empty());
        assert_eq!(
            proof["storageProof"],
            json!([{ "key": "0x1", "value": "0x0", "proof": [] }])
        );
    }

    #[test]
    fn storage_keys_are_echoed_as_given_and_values_read() {
        let chain = test_chain!(u64::MAX);
        let full = format!("0x{}", "00".repeat(32));
        let proof = chain.ok("eth_getProof", json!([CONTRACT, [full, "0x0"]]));
        let slots = proof["storageProof"].as_array().unwrap();
        assert_eq!(slots[0]["key"], json!(full));
        assert_eq!(slots[1]["key"], "0x0");
        assert_eq!(slots[0]["value"], slots[1]["value"]);
        assert_eq!(slots[0]["proof"], slots[1]["proof"]);
        let values = chain.ok("eth_getStorageValues", json!([{ CONTRACT: ["0x0"] }]));
        let word = values[CONTRACT][0].as_str().unwrap();
        let quantity = slots[0]["value"].as_str().unwrap().trim_start_matches("0x");
        assert_eq!(
            word.trim_start_matches("0x").trim_start_matches('0'),
            quantity
        );
    }

    #[test]
    fn bad_storage_keys_and_empty_requests_are_invalid_params() {
        let chain = test_chain!(1);
        let code = |method: &str, params| chain.call(method, params).unwrap_err().code;
        let too_long = format!("0x{}", "00".repeat(33));
        assert_eq!(code("eth_getProof", json!([CONTRACT, [too_long]])), -32602);
        assert_eq!(code("eth_getProof", json!([CONTRACT, ["0xzz"]])), -32602);
        assert_eq!(code("eth_getStorageValues", json!([{}])), -32602);
        let many: Vec<String> = (0..=super::MAX_STORAGE_KEYS)
            .map(|i| format!("{i:#x}"))
            .collect();
        assert_eq!(
            code("eth_getStorageValues", json!([{ CONTRACT: many }])),
            -32602
        );
    }
}
