//! The interfaces issue 14 names, checked against the committed ABIs: every function (by its
//! canonical signature), public getter and event is there, so a rename or a changed parameter
//! list fails here before it breaks the sequencer.

use std::collections::BTreeSet;

use ethrex_l2_contracts::{
    COMMON_BRIDGE, COMMON_BRIDGE_L2, Contract, ERC1967_PROXY, MESSENGER, ON_CHAIN_PROPOSER,
};
use serde_json::Value;

/// The canonical type of an ABI parameter (tuples expanded).
fn canonical(param: &Value) -> String {
    let ty = param["type"].as_str().unwrap();
    match ty.strip_prefix("tuple") {
        Some(suffix) => {
            let inner: Vec<String> = param["components"]
                .as_array()
                .unwrap()
                .iter()
                .map(canonical)
                .collect();
            format!("({}){suffix}", inner.join(","))
        }
        None => ty.to_string(),
    }
}

/// "function name(types)" and "event name(types)" for every entry of the ABI.
fn signatures(contract: &Contract) -> BTreeSet<String> {
    let abi: Value = serde_json::from_str(contract.abi).unwrap();
    abi.as_array()
        .unwrap()
        .iter()
        .filter_map(|entry| {
            let kind = entry["type"].as_str()?;
            let name = entry["name"].as_str().unwrap_or("");
            let inputs: Vec<String> = entry["inputs"]
                .as_array()
                .map(|inputs| inputs.iter().map(canonical).collect())
                .unwrap_or_default();
            Some(format!("{kind} {name}({})", inputs.join(",")))
        })
        .collect()
}

#[track_caller]
fn assert_has(contract: &Contract, expected: &[&str]) {
    let have = signatures(contract);
    let missing: Vec<&&str> = expected.iter().filter(|s| !have.contains(**s)).collect();
    assert!(
        missing.is_empty(),
        "{} lacks {missing:?}; it has {have:#?}",
        contract.name
    );
}

#[test]
fn common_bridge_has_the_named_interface() {
    assert_has(
        &COMMON_BRIDGE,
        &[
            "function deposit(address)",
            "receive ()",
            "function depositERC20(address,address,address,uint256)",
            "function sendToL2((address,uint256,uint256,bytes))",
            "function claimWithdrawal(bytes32,uint256,uint256,uint256,bytes32[])",
            "function claimWithdrawalERC20(bytes32,address,address,uint256,uint256,uint256,bytes32[])",
            "function pendingTxHashes(uint256)",
            "function batchWithdrawalLogsMerkleRoots(uint256)",
            "function deposits(address,address)",
            "function claimedWithdrawalIDs(uint256)",
            "function getPendingTransactionHashes()",
            "function getPendingTransactionsVersionedHash(uint16)",
            "function hasExpiredPrivilegedTransactions()",
            "event PrivilegedTxSent(address,address,uint256,uint256,uint256,bytes)",
            "function upgradeToAndCall(address,bytes)",
            "function acceptOwnership()",
        ],
    );
}

#[test]
fn on_chain_proposer_has_the_named_interface() {
    assert_has(
        &ON_CHAIN_PROPOSER,
        &[
            "function commitBatch(uint256,bytes32,bytes32,bytes32,bytes32,uint256)",
            "function verifyBatch(uint256,bytes,bytes,bytes)",
            "function authorizedSequencerAddresses(address)",
            "function lastCommittedBatch()",
            "function lastVerifiedBatch()",
            "function batchCommitments(uint256)",
            "function REQUIRE_SP1_PROOF()",
            "function REQUIRE_RISC0_PROOF()",
            "function REQUIRE_TDX_PROOF()",
            "function SP1_VERIFIER_ADDRESS()",
            "function RISC0_VERIFIER_ADDRESS()",
            "function TDX_VERIFIER_ADDRESS()",
            "event BatchCommitted(uint256,bytes32)",
            "event BatchVerified(uint256)",
            "function upgradeToAndCall(address,bytes)",
            "function acceptOwnership()",
        ],
    );
    // batchCommitments returns newStateRoot, blobVersionedHash, then the commit fields in order.
    let abi: Value = serde_json::from_str(ON_CHAIN_PROPOSER.abi).unwrap();
    let getter = abi
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "batchCommitments")
        .unwrap();
    let outputs: Vec<&str> = getter["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        outputs,
        [
            "newStateRoot",
            "blobVersionedHash",
            "withdrawalsLogsMerkleRoot",
            "processedPrivilegedTransactionsRollingHash",
            "lastBlockHash",
            "nonPrivilegedTransactions"
        ]
    );
}

#[test]
fn the_l2_contracts_have_the_named_interface() {
    assert_has(
        &COMMON_BRIDGE_L2,
        &[
            "function withdraw(address)",
            "function mintETH(address)",
            "function mintERC20(address,address,address,uint256)",
            "function withdrawERC20(address,address,uint256)",
        ],
    );
    assert_has(
        &MESSENGER,
        &[
            "function sendMessageToL1(bytes32)",
            "function lastMessageId()",
            "event L1Message(address,bytes32,uint256)",
        ],
    );
    assert_has(&ERC1967_PROXY, &["constructor (address,bytes)"]);
}

#[test]
fn every_artifact_decodes_and_the_genesis_code_has_no_immutables() {
    for contract in ethrex_l2_contracts::ALL {
        assert!(
            !contract.creation_code().unwrap().is_empty(),
            "{}",
            contract.name
        );
        assert!(
            !contract.deployed_code().unwrap().is_empty(),
            "{}",
            contract.name
        );
    }
    // solc leaves immutables as zeros in the deployed code and lists them in
    // immutableReferences; genesis code must not have any: the sources declare none.
    for source in ["src/l2/CommonBridgeL2.sol", "src/l2/Messenger.sol"] {
        let text =
            std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(source))
                .unwrap();
        assert!(
            !text.contains("immutable"),
            "{source} declares an immutable"
        );
    }
}
