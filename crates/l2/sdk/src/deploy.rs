//! The rollup's L1 deployment (what `ethrex l2 deploy` runs): `OnChainProposer` and
//! `CommonBridge`, each an implementation behind OpenZeppelin's `ERC1967Proxy` whose constructor
//! calls `initialize`, all through CREATE2 (see [`crate::create2`]).
//!
//! Order, and why:
//! 1. the deterministic deployment proxy, if the L1 lacks it;
//! 2. `OnChainProposer` implementation, then its proxy with `initialize(deployer, verifiers,
//!    L2 genesis state root, [committer, proof sender], L2 chain id)`: the *deployer* owns it
//!    first, because `initializeBridgeAddress` is `onlyOwner` and the bridge comes later;
//! 3. `CommonBridge` implementation, then its proxy with `initialize(bridge owner, proposer
//!    proxy, inclusion max wait)`;
//! 4. `initializeBridgeAddress(bridge proxy)` on the proposer, from the deployer;
//! 5. when the proposer's owner is not the deployer, `transferOwnership(owner)`: with
//!    `Ownable2Step` that only makes it the *pending* owner, who must then call
//!    `acceptOwnership()` on the proposer proxy to take over.
//!
//! Before sending anything, every CREATE2 address is checked to be free: deploying again with
//! the same salt (and so the same code) fails at once with [`SdkError::AlreadyDeployed`].

use std::time::Duration;

use alloy_primitives::{Address, B256, U256, b256};
use alloy_sol_types::SolCall;
use ethrex_common::Genesis;
use ethrex_l2_contracts::{COMMON_BRIDGE, ERC1967_PROXY, ON_CHAIN_PROPOSER};

use crate::{
    Result, SdkError,
    calls::{ICommonBridge, IOnChainProposer, VerifierConfig, proxy_init_code},
    client::EthClient,
    create2,
    tx::{Call, Signer},
};

/// The salt of a deployment unless randomized: `keccak256("ethrex l2 deploy")`.
pub const DEFAULT_SALT: B256 =
    b256!("0x4ad341f81f65ce7fa9d7be03a88ab19fd0c7b7bdd0268647085c5e09834c674c");

/// The verifier of one proof system: required or not, and where it is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Verifier {
    /// Whether every batch needs this proof.
    pub required: bool,
    /// The verifier contract (zero when not required).
    pub address: Address,
}

/// Everything a deployment needs.
#[derive(Debug, Clone)]
pub struct DeployOptions {
    /// Sends every transaction and pays for them.
    pub deployer: Signer,
    /// The L2 genesis: its state root is batch 0, its chain id the proposer's `CHAIN_ID`.
    pub l2_genesis: Genesis,
    pub bridge_owner: Address,
    pub on_chain_proposer_owner: Address,
    /// The committer's L1 address (an authorized sequencer).
    pub committer: Address,
    /// The proof sender's L1 address (an authorized sequencer).
    pub proof_sender: Address,
    pub salt: B256,
    /// Seconds a privileged transaction may wait before the sequencer must include it.
    pub inclusion_max_wait: u64,
    pub sp1: Verifier,
    pub risc0: Verifier,
    pub tdx: Verifier,
    /// How long to wait for each receipt.
    pub receipt_timeout: Duration,
}

/// What a deployment produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deployed {
    /// The `CommonBridge` proxy: the bridge's address.
    pub bridge: Address,
    pub bridge_implementation: Address,
    /// The `OnChainProposer` proxy: the proposer's address.
    pub on_chain_proposer: Address,
    pub on_chain_proposer_implementation: Address,
    /// The L2 genesis state root committed as batch 0.
    pub genesis_state_root: B256,
    /// Whether the proposer's ownership was handed over (pending `acceptOwnership`).
    pub ownership_pending: bool,
}

impl Deployed {
    /// The environment lines the sequencer reads (`.env` style), one per line.
    pub fn env_lines(&self) -> String {
        format!(
            "ETHREX_WATCHER_BRIDGE_ADDRESS={:#x}\nETHREX_COMMITTER_ON_CHAIN_PROPOSER_ADDRESS={:#x}\n",
            self.bridge, self.on_chain_proposer
        )
    }
}

/// Deploys and initializes the rollup's L1 contracts (see the module docs for the order),
/// reporting one line per transaction (what it did and its hash) to `progress`.
pub fn deploy(
    client: &EthClient,
    options: &DeployOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<Deployed> {
    let timeout = options.receipt_timeout;
    let deployer = &options.deployer;
    let genesis_state_root = options.l2_genesis.state_root()?;
    let chain_id = U256::from(options.l2_genesis.config().chain_id);

    let proposer_impl_code = ON_CHAIN_PROPOSER.creation_code()?;
    let proposer_impl = create2::create2_address(options.salt, &proposer_impl_code);
    let initialize = IOnChainProposer::initializeCall {
        owner: deployer.address(),
        verifiers: verifier_config(options),
        genesisStateRoot: genesis_state_root,
        sequencerAddresses: vec![options.committer, options.proof_sender],
        chainId: chain_id,
    };
    let proxy_code = ERC1967_PROXY.creation_code()?;
    let proposer_proxy_code = proxy_init_code(&proxy_code, proposer_impl, initialize.abi_encode());
    let proposer = create2::create2_address(options.salt, &proposer_proxy_code);

    let bridge_impl_code = COMMON_BRIDGE.creation_code()?;
    let bridge_impl = create2::create2_address(options.salt, &bridge_impl_code);
    let initialize = ICommonBridge::initializeCall {
        owner: options.bridge_owner,
        onChainProposer: proposer,
        inclusionMaxWait: U256::from(options.inclusion_max_wait),
    };
    let bridge_proxy_code = proxy_init_code(&proxy_code, bridge_impl, initialize.abi_encode());

    let steps = [
        ("OnChainProposer implementation", &proposer_impl_code[..]),
        ("OnChainProposer proxy", &proposer_proxy_code[..]),
        ("CommonBridge implementation", &bridge_impl_code[..]),
        ("CommonBridge proxy", &bridge_proxy_code[..]),
    ];
    // Refuse before spending anything when a previous deployment used this salt.
    for (what, code) in steps {
        create2::check_free(client, what, options.salt, code)?;
    }
    create2::ensure_deployer(client, deployer, timeout, progress)?;
    let mut addresses = Vec::with_capacity(steps.len());
    for (what, code) in steps {
        let deployment = create2::deploy(client, deployer, what, options.salt, code, timeout)?;
        progress(&format!(
            "{what} at {}: {}",
            deployment.address, deployment.receipt.transaction_hash
        ));
        addresses.push(deployment.address);
    }
    let bridge = create2::create2_address(options.salt, &bridge_proxy_code);
    if addresses != [proposer_impl, proposer, bridge_impl, bridge] {
        return Err(SdkError::InvalidInput(format!(
            "deployed at {addresses:?}, expected {:?}",
            [proposer_impl, proposer, bridge_impl, bridge]
        )));
    }

    let what = "OnChainProposer.initializeBridgeAddress";
    let call = IOnChainProposer::initializeBridgeAddressCall { bridge }.abi_encode();
    let receipt = client.send_and_wait(deployer, what, &Call::new(proposer, call), timeout)?;
    progress(&format!("{what}({bridge}): {}", receipt.transaction_hash));

    let ownership_pending = options.on_chain_proposer_owner != deployer.address();
    if ownership_pending {
        let owner = options.on_chain_proposer_owner;
        let what = "OnChainProposer.transferOwnership";
        let call = IOnChainProposer::transferOwnershipCall { newOwner: owner }.abi_encode();
        let receipt = client.send_and_wait(deployer, what, &Call::new(proposer, call), timeout)?;
        progress(&format!(
            "{what}({owner}): {} (pending: {owner} must call acceptOwnership() on {proposer})",
            receipt.transaction_hash
        ));
    }
    Ok(Deployed {
        bridge,
        bridge_implementation: bridge_impl,
        on_chain_proposer: proposer,
        on_chain_proposer_implementation: proposer_impl,
        genesis_state_root,
        ownership_pending,
    })
}

/// The proposer's verifier configuration (verification keys zero: no prover backend is built).
fn verifier_config(options: &DeployOptions) -> VerifierConfig {
    VerifierConfig {
        requireRisc0Proof: options.risc0.required,
        requireSp1Proof: options.sp1.required,
        requireTdxProof: options.tdx.required,
        risc0Verifier: options.risc0.address,
        sp1Verifier: options.sp1.address,
        tdxVerifier: options.tdx.address,
        risc0Vk: B256::ZERO,
        sp1Vk: B256::ZERO,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::keccak256;

    #[test]
    fn the_default_salt_is_the_hash_of_its_name() {
        assert_eq!(keccak256("ethrex l2 deploy"), DEFAULT_SALT);
    }

    #[test]
    fn env_lines_name_the_proxies() {
        let deployed = Deployed {
            bridge: Address::repeat_byte(0xab),
            bridge_implementation: Address::repeat_byte(1),
            on_chain_proposer: Address::repeat_byte(0xcd),
            on_chain_proposer_implementation: Address::repeat_byte(2),
            genesis_state_root: B256::ZERO,
            ownership_pending: false,
        };
        assert_eq!(
            deployed.env_lines(),
            "ETHREX_WATCHER_BRIDGE_ADDRESS=0xabababababababababababababababababababab\n\
             ETHREX_COMMITTER_ON_CHAIN_PROPOSER_ADDRESS=0xcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd\n"
        );
    }
}
