//! `ethrex_l2_sdk` against a real `ethrex --dev`: the client's reads, a signed transfer, the
//! library deployment (`deploy::deploy`, what `ethrex l2 deploy` runs), a deposit found again
//! with `eth_getLogs`, and a revert's reason surfacing from the gas estimate.

use std::time::Duration;

use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use alloy_sol_types::SolCall;
use ethrex_common::{Genesis, dev::DEV_BALANCE};
use ethrex_l2_sdk::{
    EthClient, SdkError,
    client::{CallRequest, LogFilter},
    deploy::{DEFAULT_SALT, DeployOptions, Verifier, deploy},
    tx::{Call, Signer},
};
use ethrex_test_utils::{dev_address, dev_secret};

use super::*;
use crate::ETHREX;

const WAIT: Duration = Duration::from_secs(30);

#[test]
fn the_sdk_reads_sends_deploys_and_finds_logs_on_a_dev_node() {
    let node = ETHREX.start(&["--dev", "--datadir", "memory"]);
    let client = EthClient::new(&format!("http://{}", node.http)).unwrap();
    assert_eq!(client.chain_id().unwrap(), 1337);
    assert_eq!(client.block_number().unwrap(), 0);
    let sender = Signer::new(dev_secret(3)).unwrap();
    assert_eq!(sender.address(), dev_address(3));
    assert_eq!(client.balance(sender.address()).unwrap(), DEV_BALANCE);
    assert_eq!(client.pending_nonce(sender.address()).unwrap(), 0);
    assert!(client.code(sender.address()).unwrap().is_empty());
    let fees = client.fee_suggestion().unwrap();
    assert_eq!(
        fees.base_fee,
        U256::from(1_000_000_000u64),
        "the dev genesis' base fee"
    );
    assert!(fees.max_fee_per_gas >= fees.base_fee * U256::from(2));

    // A signed EIP-1559 transfer, its gas estimated by the node.
    let to = Address::repeat_byte(0x77);
    let transfer = Call::transfer(to, U256::from(12_345));
    let estimate = client
        .estimate_gas(&CallRequest {
            from: Some(sender.address()),
            to: Some(to),
            value: U256::from(12_345),
            data: Bytes::new(),
        })
        .unwrap();
    assert_eq!(estimate, 21_000);
    let receipt = client
        .send_and_wait(&sender, "a transfer", &transfer, WAIT)
        .unwrap();
    assert!(receipt.succeeded());
    assert_eq!(client.balance(to).unwrap(), U256::from(12_345));
    assert_eq!(client.pending_nonce(sender.address()).unwrap(), 1);
    assert_eq!(
        client.block_number().unwrap(),
        receipt.block_number.to::<u64>()
    );

    // The library deployment, with its progress lines.
    let deployer = Signer::new(dev_secret(DEPLOYER)).unwrap();
    let options = DeployOptions {
        deployer: deployer.clone(),
        l2_genesis: Genesis::from_file(&l2_genesis_path()).unwrap(),
        bridge_owner: deployer.address(),
        on_chain_proposer_owner: deployer.address(),
        committer: deployer.address(),
        proof_sender: dev_address(PROOF_SENDER),
        salt: DEFAULT_SALT,
        inclusion_max_wait: 300,
        sp1: Verifier::default(),
        risc0: Verifier::default(),
        tdx: Verifier::default(),
        receipt_timeout: WAIT,
    };
    let mut lines = Vec::new();
    let deployed = deploy(&client, &options, &mut |line| lines.push(line.to_string())).unwrap();
    assert_eq!(lines.len(), 7, "{lines:?}");
    assert!(!deployed.ownership_pending);
    let batch = client
        .call(&CallRequest {
            to: Some(deployed.on_chain_proposer),
            data: lastCommittedBatchCall {}.abi_encode().into(),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(batch, Bytes::from(vec![0; 32]));

    // Deposits: two, found again by eth_getLogs in order, ids 0 and 1.
    let from = client.block_number().unwrap();
    for recipient in [Address::repeat_byte(1), Address::repeat_byte(2)] {
        let call = Call::new(
            deployed.bridge,
            depositCall {
                l2Recipient: recipient,
            }
            .abi_encode(),
        )
        .with_value(U256::from(ETHER));
        client
            .send_and_wait(&sender, "a deposit", &call, WAIT)
            .unwrap();
    }
    let topic0 = keccak256("PrivilegedTxSent(address,address,uint256,uint256,uint256,bytes)");
    let logs = client
        .logs(&LogFilter {
            from_block: from,
            to_block: client.block_number().unwrap(),
            addresses: vec![deployed.bridge],
            topic0: vec![topic0],
        })
        .unwrap();
    assert_eq!(logs.len(), 2, "{logs:?}");
    for (id, log) in logs.iter().enumerate() {
        assert_eq!(log.address, deployed.bridge);
        assert_eq!(log.topics[3], B256::from(U256::from(id)));
    }
    let none = client
        .logs(&LogFilter {
            from_block: from,
            to_block: client.block_number().unwrap(),
            addresses: vec![deployed.on_chain_proposer],
            topic0: vec![topic0],
        })
        .unwrap();
    assert!(none.is_empty(), "{none:?}");

    // A call that would revert fails at the estimate, with the contract's reason.
    let again = Call::new(
        deployed.on_chain_proposer,
        ethrex_l2_sdk::calls::IOnChainProposer::initializeBridgeAddressCall {
            bridge: deployed.bridge,
        }
        .abi_encode(),
    );
    let err = client.send(&deployer, &again).unwrap_err();
    assert!(
        matches!(&err, SdkError::Rpc { method, .. } if method == "eth_estimateGas"),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("reverted: OnChainProposer: the bridge is already set"),
        "{err}"
    );
}
