//! `ethrex l2 deploy` on `ethrex --dev`: the proxies point to their implementations and are
//! initialized (batch 0 holds the L2 genesis root as a separately started `ethrex --network
//! fixtures/genesis/l2.json` reports it, the sequencers, owners, bridge, proof requirements,
//! inclusion wait), the env file names the proxies, a deposit emits `PrivilegedTxSent` with id 0,
//! a second deployment with the same salt is refused, a random salt deploys again and hands the
//! proposer's ownership over in two steps.

use alloy_primitives::{Address, B256, U256, keccak256};
use alloy_sol_types::{SolCall, SolValue};
use ethrex_test_utils::{
    TxBuilder, dev_address, dev_secret,
    node::{stderr, stdout},
    raw,
};
use serde_json::json;

use super::*;
use crate::ETHREX;

#[test]
fn deploy_on_the_dev_chain_initializes_the_proxies_and_refuses_a_second_time() {
    let l1 = ETHREX.start(&["--dev", "--datadir", "memory"]);
    let dir = tempfile::tempdir().unwrap();
    let env_file = dir.path().join("deploy.env");
    std::fs::write(&env_file, "KEEP_ME=1\n").unwrap();
    assert!(code(&l1, CREATE2_DEPLOYER).is_empty());

    let out = deploy(&l1, &env_file, &[]);
    let printed = stdout(&out);
    assert!(out.status.success(), "{printed}\n{}", stderr(&out));
    // One line per transaction with its hash: fund the proxy signer, install the proxy, four
    // deployments, initializeBridgeAddress.
    let tx_lines = printed
        .lines()
        .filter(|line| {
            line.rsplit(": ")
                .next()
                .is_some_and(|h| h.len() == 66 && h.parse::<B256>().is_ok())
        })
        .count();
    assert_eq!(tx_lines, 7, "{printed}");
    assert!(
        !code(&l1, CREATE2_DEPLOYER).is_empty(),
        "the pre-EIP-155 proxy transaction was accepted"
    );

    let env = std::fs::read_to_string(&env_file).unwrap();
    assert!(env.starts_with("KEEP_ME=1\n"), "{env}");
    let bridge = env_value(&env, "ETHREX_WATCHER_BRIDGE_ADDRESS");
    let proposer = env_value(&env, "ETHREX_COMMITTER_ON_CHAIN_PROPOSER_ADDRESS");
    assert!(printed.contains(&format!("ETHREX_WATCHER_BRIDGE_ADDRESS={bridge:#x}")));
    for (proxy, what) in [(bridge, "CommonBridge"), (proposer, "OnChainProposer")] {
        assert!(!code(&l1, proxy).is_empty(), "{what} proxy has code");
        let implementation_at = printed_address(&printed, &format!("{what} implementation"));
        assert_eq!(printed_address(&printed, &format!("{what} proxy")), proxy);
        assert_eq!(implementation(&l1, proxy), implementation_at, "{what}");
        assert!(!code(&l1, implementation_at).is_empty());
    }

    // Batch 0 is the L2 genesis, whose root a node started on that genesis reports.
    let l2 = ETHREX.start(&[
        "--network",
        l2_genesis_path().to_str().unwrap(),
        "--datadir",
        "memory",
    ]);
    assert_eq!(l2.result("eth_chainId", json!([])), "0x3e803e7");
    let genesis_root: B256 = l2.result("eth_getBlockByNumber", json!(["0x0", false]))["stateRoot"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    drop(l2);
    let last = eth_call(&l1, proposer, lastCommittedBatchCall {}.abi_encode());
    assert_eq!(U256::abi_decode(&last).unwrap(), U256::ZERO);
    let batch0 = eth_call(
        &l1,
        proposer,
        batchCommitmentsCall {
            batchNumber: U256::ZERO,
        }
        .abi_encode(),
    );
    assert_eq!(B256::from_slice(&batch0[..32]), genesis_root);
    let chain_id = eth_call(&l1, proposer, CHAIN_IDCall {}.abi_encode());
    assert_eq!(
        U256::abi_decode(&chain_id).unwrap(),
        U256::from(65_536_999u64)
    );
    let authorized = |who: Address| {
        let answer = eth_call(
            &l1,
            proposer,
            authorizedSequencerAddressesCall { sequencer: who }.abi_encode(),
        );
        bool::abi_decode(&answer).unwrap()
    };
    assert!(authorized(dev_address(DEPLOYER)));
    assert!(authorized(dev_address(PROOF_SENDER)));
    assert!(!authorized(dev_address(0)));
    let address_of =
        |to: Address, data: Vec<u8>| Address::abi_decode(&eth_call(&l1, to, data)).unwrap();
    assert_eq!(address_of(proposer, BRIDGECall {}.abi_encode()), bridge);
    assert_eq!(
        address_of(proposer, ownerCall {}.abi_encode()),
        dev_address(DEPLOYER)
    );
    assert_eq!(
        address_of(bridge, ownerCall {}.abi_encode()),
        dev_address(DEPLOYER)
    );
    let flag = |to: Address, data: Vec<u8>| bool::abi_decode(&eth_call(&l1, to, data)).unwrap();
    assert!(!flag(proposer, REQUIRE_SP1_PROOFCall {}.abi_encode()));
    assert!(!flag(proposer, REQUIRE_RISC0_PROOFCall {}.abi_encode()));
    assert!(!flag(proposer, REQUIRE_TDX_PROOFCall {}.abi_encode()));
    let wait = eth_call(&l1, bridge, inclusionMaxWaitCall {}.abi_encode());
    assert_eq!(U256::abi_decode(&wait).unwrap(), U256::from(300));

    // A deposit becomes privileged transaction 0.
    let recipient = Address::repeat_byte(0x42);
    let tx = TxBuilder::new()
        .to(bridge)
        .value(ETHER)
        .data(
            depositCall {
                l2Recipient: recipient,
            }
            .abi_encode(),
        )
        .gas_limit(300_000)
        .eip1559();
    let receipt = send(&l1, raw(&tx));
    let topic0 = keccak256("PrivilegedTxSent(address,address,uint256,uint256,uint256,bytes)");
    let log = receipt["logs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|log| log["topics"][0] == json!(topic0))
        .unwrap_or_else(|| panic!("no PrivilegedTxSent in {receipt}"));
    assert_eq!(log["address"], json!(bridge));
    let l2_bridge = B256::left_padding_from(&[0xff, 0xff]);
    assert_eq!(log["topics"][1], json!(l2_bridge));
    assert_eq!(log["topics"][2], json!(l2_bridge));
    assert_eq!(log["topics"][3], json!(B256::ZERO), "transaction id 0");

    // The same salt again: refused before any transaction, nothing changed.
    let nonce_before = l1.result(
        "eth_getTransactionCount",
        json!([dev_address(DEPLOYER), "latest"]),
    );
    let again = deploy(&l1, &env_file, &[]);
    assert_eq!(again.status.code(), Some(1), "{}", stdout(&again));
    let message = stderr(&again);
    assert!(message.contains("already deployed at"), "{message}");
    assert!(
        message.contains("--randomize-contract-deployment"),
        "{message}"
    );
    assert!(!message.contains("panicked"), "{message}");
    assert_eq!(
        l1.result(
            "eth_getTransactionCount",
            json!([dev_address(DEPLOYER), "latest"])
        ),
        nonce_before
    );

    // A random salt deploys anew; another proposer owner becomes pending, then accepts.
    let new_owner = dev_address(PROOF_SENDER).to_string();
    let random = deploy(
        &l1,
        &env_file,
        &[
            "--randomize-contract-deployment",
            "--on-chain-proposer-owner",
            &new_owner,
            "--bridge-owner",
            &new_owner,
            "--sp1",
            "true",
            "--sp1.verifier-address",
            "0x5151515151515151515151515151515151515151",
        ],
    );
    let printed = stdout(&random);
    assert!(random.status.success(), "{printed}\n{}", stderr(&random));
    assert!(printed.contains("must call acceptOwnership()"), "{printed}");
    let env = std::fs::read_to_string(&env_file).unwrap();
    assert_eq!(env.lines().count(), 3, "{env}");
    let proposer2 = env_value(&env, "ETHREX_COMMITTER_ON_CHAIN_PROPOSER_ADDRESS");
    let bridge2 = env_value(&env, "ETHREX_WATCHER_BRIDGE_ADDRESS");
    assert_ne!(proposer2, proposer);
    assert_eq!(
        address_of(bridge2, ownerCall {}.abi_encode()),
        dev_address(PROOF_SENDER)
    );
    assert_eq!(
        address_of(proposer2, ownerCall {}.abi_encode()),
        dev_address(DEPLOYER)
    );
    assert_eq!(
        address_of(proposer2, pendingOwnerCall {}.abi_encode()),
        dev_address(PROOF_SENDER)
    );
    assert_eq!(address_of(proposer2, BRIDGECall {}.abi_encode()), bridge2);
    assert!(flag(proposer2, REQUIRE_SP1_PROOFCall {}.abi_encode()));
    assert!(!flag(proposer2, REQUIRE_RISC0_PROOFCall {}.abi_encode()));
    assert_eq!(
        address_of(proposer2, SP1_VERIFIER_ADDRESSCall {}.abi_encode()),
        Address::repeat_byte(0x51)
    );
    let accept = TxBuilder::new()
        .to(proposer2)
        .data(acceptOwnershipCall {}.abi_encode())
        .gas_limit(100_000)
        .signer(dev_secret(PROOF_SENDER))
        .eip1559();
    send(&l1, raw(&accept));
    assert_eq!(
        address_of(proposer2, ownerCall {}.abi_encode()),
        dev_address(PROOF_SENDER)
    );
}
