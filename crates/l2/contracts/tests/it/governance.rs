//! The L1 contracts' governance: UUPS proxies initialized once (the implementations never),
//! upgraded by the owner only, ownership moved in two steps; a required proof needs a verifier.

use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_sol_types::{SolCall, SolValue};
use ethrex_l2_contracts::{COMMON_BRIDGE, ERC1967_PROXY, ON_CHAIN_PROPOSER};

use crate::{
    abi::{self, Upgradeable},
    harness::*,
};

#[test]
fn proxies_and_implementations_cannot_be_initialized_again() {
    let mut rollup = Rollup::deploy(Proofs::default());
    let init = || abi::CommonBridge::initializeCall {
        owner: ALICE,
        onChainProposer: ALICE,
        inclusionMaxWait: U256::ZERO,
    };
    for target in [rollup.bridge, rollup.bridge_impl] {
        rollup
            .chain
            .call(ALICE, target, init())
            .reverts_with_error::<Upgradeable::InvalidInitialization>();
    }
    let init = || abi::OnChainProposer::initializeCall {
        owner: ALICE,
        verifiers: abi::VerifierConfig::default(),
        genesisStateRoot: B256::ZERO,
        sequencerAddresses: vec![ALICE],
        chainId: U256::ZERO,
    };
    for target in [rollup.proposer, rollup.proposer_impl] {
        rollup
            .chain
            .call(ALICE, target, init())
            .reverts_with_error::<Upgradeable::InvalidInitialization>();
    }
    for target in [rollup.bridge, rollup.proposer] {
        let owner = rollup.chain.view(target, Upgradeable::ownerCall {});
        assert_eq!(owner, OWNER);
    }
}

#[test]
fn only_the_owner_upgrades() {
    let mut rollup = Rollup::deploy(Proofs::default());
    let new_impl = rollup.chain.deploy(OWNER, &COMMON_BRIDGE, &[]);
    let upgrade = || Upgradeable::upgradeToAndCallCall {
        newImplementation: new_impl,
        data: Bytes::new(),
    };
    let bridge = rollup.bridge;
    rollup
        .chain
        .call(ALICE, bridge, upgrade())
        .reverts_with_error::<Upgradeable::OwnableUnauthorizedAccount>();
    // Calling the implementation directly is refused whoever calls.
    let bridge_impl = rollup.bridge_impl;
    rollup
        .chain
        .call(OWNER, bridge_impl, upgrade())
        .reverts_with_error::<Upgradeable::UUPSUnauthorizedCallContext>();
    let deposit = abi::CommonBridge::depositCall { l2Recipient: BOB };
    rollup.chain.send(ALICE, bridge, ether(1), deposit).ok();
    rollup.chain.call(OWNER, bridge, upgrade()).ok();
    // The state survives the upgrade.
    assert_eq!(rollup.pending().len(), 1);
}

#[test]
fn ownership_moves_in_two_steps() {
    let mut rollup = Rollup::deploy(Proofs::default());
    let proposer = rollup.proposer;
    let owner = |rollup: &Rollup| rollup.chain.view(proposer, Upgradeable::ownerCall {});
    rollup
        .chain
        .call(
            OWNER,
            proposer,
            Upgradeable::transferOwnershipCall { newOwner: BOB },
        )
        .ok();
    assert_eq!(owner(&rollup), OWNER, "not before acceptance");
    rollup
        .chain
        .call(ALICE, proposer, Upgradeable::acceptOwnershipCall {})
        .reverts_with_error::<Upgradeable::OwnableUnauthorizedAccount>();
    rollup
        .chain
        .call(BOB, proposer, Upgradeable::acceptOwnershipCall {})
        .ok();
    assert_eq!(owner(&rollup), BOB);
}

#[test]
fn the_bridge_address_is_set_once_by_the_owner() {
    let mut rollup = Rollup::deploy(Proofs::default());
    let call = abi::OnChainProposer::initializeBridgeAddressCall { bridge: ALICE };
    let proposer = rollup.proposer;
    rollup
        .chain
        .call(ALICE, proposer, call.clone())
        .reverts_with_error::<Upgradeable::OwnableUnauthorizedAccount>();
    rollup
        .chain
        .call(OWNER, proposer, call)
        .reverts_with("the bridge is already set");
}

#[test]
fn a_required_proof_needs_its_verifier() {
    let mut chain = Chain::new();
    chain.fund(OWNER, ether(10));
    let implementation = chain.deploy(OWNER, &ON_CHAIN_PROPOSER, &[]);
    let init = |require_sp1: bool, sp1_verifier: Address| abi::OnChainProposer::initializeCall {
        owner: OWNER,
        verifiers: abi::VerifierConfig {
            requireRisc0Proof: false,
            requireSp1Proof: require_sp1,
            requireTdxProof: false,
            risc0Verifier: Address::ZERO,
            sp1Verifier: sp1_verifier,
            tdxVerifier: Address::ZERO,
            risc0Vk: B256::ZERO,
            sp1Vk: SP1_VK,
        },
        genesisStateRoot: GENESIS_ROOT,
        sequencerAddresses: vec![COMMITTER],
        chainId: U256::from(L2_CHAIN_ID),
    };
    let args = |call: abi::OnChainProposer::initializeCall| {
        (implementation, Bytes::from(call.abi_encode())).abi_encode_params()
    };
    let refused = chain
        .try_deploy(OWNER, &ERC1967_PROXY, &args(init(true, Address::ZERO)))
        .expect_err("SP1 required without a verifier");
    refused.reverts_with("SP1 required without a verifier");
    chain
        .try_deploy(OWNER, &ERC1967_PROXY, &args(init(true, ALICE)))
        .unwrap_or_else(|o| panic!("{}", o.reason()));
}
