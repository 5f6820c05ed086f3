//! Deterministic deployment: CREATE2 through the deterministic deployment proxy at
//! [`DETERMINISTIC_DEPLOYER`] (its calldata is `salt ‖ init code`; it reverts when the CREATE2
//! fails), so the same code with the same salt lands at the same address on every chain.
//!
//! Where the L1 lacks the proxy (anvil has it in its genesis, `ethrex --dev` does not),
//! [`ensure_deployer`] installs it with its published one-time transaction: a pre-EIP-155
//! (no chain id) legacy transaction at 100 gwei signed by a key nobody holds, from
//! [`PROXY_SIGNER`], whose nonce 0 it uses. The funder first pays that account its gas.
//! ethrex's own `eth_sendRawTransaction` accepts that unprotected transaction (the `ethrex`
//! binary's `l2_deploy` tests install the proxy on `ethrex --dev` this way).
//!
//! Guarantee: [`deploy`] refuses (with [`SdkError::AlreadyDeployed`]) to send anything when the
//! target address already has code; it never silently reuses a deployment.

use std::time::Duration;

use alloy_primitives::{Address, B256, Bytes, U256, address, hex, keccak256};

use crate::{
    Result, SdkError,
    client::{EthClient, Receipt},
    tx::{Call, Signer},
};

/// The deterministic deployment proxy's address (the same on every chain that has it).
pub const DETERMINISTIC_DEPLOYER: Address = address!("0x4e59b44847b379578588920ca78fbf26c0b4956c");
/// The one-time account whose nonce-0 transaction creates the proxy.
pub const PROXY_SIGNER: Address = address!("0x3fab184622dc19b6109349b94811493bf2a45362");
/// What the one-time transaction costs its sender: 100,000 gas at 100 gwei.
pub const PROXY_DEPLOYMENT_COST: U256 = U256::from_limbs([10_000_000_000_000_000, 0, 0, 0]);
/// The proxy's published deployment transaction (legacy, pre-EIP-155, `v` = 27, `r` = `s` =
/// 0x2222…22: its sender is whatever key that signature recovers to).
pub const PROXY_DEPLOYMENT_TX: &[u8] = &hex!(
    "f8a58085174876e800830186a08080b853604580600e600039806000f350fe7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe03601600081602082378035828234f58015156039578182fd5b8082525050506014600cf31ba02222222222222222222222222222222222222222222222222222222222222222a02222222222222222222222222222222222222222222222222222222222222222"
);

/// Where `init_code` deployed by the proxy with `salt` lands.
pub fn create2_address(salt: B256, init_code: &[u8]) -> Address {
    DETERMINISTIC_DEPLOYER.create2(salt, keccak256(init_code))
}

/// Makes sure the proxy is on the L1: returns `false` when it already was, `true` after
/// installing it (funding [`PROXY_SIGNER`] from `funder` if it lacks the gas money).
pub fn ensure_deployer(
    client: &EthClient,
    funder: &Signer,
    timeout: Duration,
    progress: &mut dyn FnMut(&str),
) -> Result<bool> {
    if !client.code(DETERMINISTIC_DEPLOYER)?.is_empty() {
        return Ok(false);
    }
    if client.pending_nonce(PROXY_SIGNER)? != 0 {
        return Err(SdkError::InvalidInput(format!(
            "the L1 has no deterministic deployment proxy at {DETERMINISTIC_DEPLOYER}, and its \
             one-time deployer {PROXY_SIGNER} has already used its nonce 0: it cannot be installed"
        )));
    }
    let balance = client.balance(PROXY_SIGNER)?;
    if balance < PROXY_DEPLOYMENT_COST {
        let what = "fund the deterministic deployment proxy's deployer";
        let missing = PROXY_DEPLOYMENT_COST - balance;
        let receipt = client.send_and_wait(
            funder,
            what,
            &Call::transfer(PROXY_SIGNER, missing),
            timeout,
        )?;
        progress(&format!("{what}: {}", receipt.transaction_hash));
    }
    let what = "deploy the deterministic deployment proxy";
    let hash = client.send_raw_transaction(PROXY_DEPLOYMENT_TX)?;
    client.wait_for_success(hash, what, timeout)?;
    progress(&format!("{what}: {hash}"));
    if client.code(DETERMINISTIC_DEPLOYER)?.is_empty() {
        return Err(SdkError::InvalidInput(format!(
            "the deterministic deployment proxy's transaction {hash} left no code at \
             {DETERMINISTIC_DEPLOYER}"
        )));
    }
    Ok(true)
}

/// A contract deployed by [`deploy`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deployment {
    pub address: Address,
    pub receipt: Receipt,
}

/// The address `init_code` will take with `salt`, or [`SdkError::AlreadyDeployed`] when code
/// is already there.
pub fn check_free(client: &EthClient, what: &str, salt: B256, init_code: &[u8]) -> Result<Address> {
    let address = create2_address(salt, init_code);
    if client.code(address)?.is_empty() {
        Ok(address)
    } else {
        Err(SdkError::AlreadyDeployed {
            what: what.to_string(),
            address,
        })
    }
}

/// Deploys `init_code` with `salt` through the proxy from `signer` and checks that code is at
/// the expected address afterwards.
pub fn deploy(
    client: &EthClient,
    signer: &Signer,
    what: &str,
    salt: B256,
    init_code: &[u8],
    timeout: Duration,
) -> Result<Deployment> {
    let address = check_free(client, what, salt, init_code)?;
    let data: Bytes = [salt.as_slice(), init_code].concat().into();
    let receipt = client.send_and_wait(
        signer,
        what,
        &Call::new(DETERMINISTIC_DEPLOYER, data),
        timeout,
    )?;
    if client.code(address)?.is_empty() {
        return Err(SdkError::InvalidInput(format!(
            "{what}: transaction {} succeeded but left no code at {address}",
            receipt.transaction_hash
        )));
    }
    Ok(Deployment { address, receipt })
}

/// A random salt (for `--randomize-contract-deployment`).
pub fn random_salt() -> B256 {
    B256::from(rand::random::<[u8; 32]>())
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::b256;
    use ethrex_common::types::{Transaction, decode_transaction_2718};

    #[test]
    fn the_presigned_transaction_comes_from_the_one_time_account_and_creates_the_proxy() {
        let tx: Transaction = decode_transaction_2718(PROXY_DEPLOYMENT_TX).unwrap();
        assert_eq!(tx.sender().unwrap(), PROXY_SIGNER);
        assert_eq!(tx.chain_id(), None, "pre-EIP-155: valid on every chain");
        assert_eq!(tx.nonce(), 0);
        assert!(tx.is_create());
        assert_eq!(PROXY_SIGNER.create(0), DETERMINISTIC_DEPLOYER);
        let cost = U256::from(tx.gas_limit()) * tx.max_fee_per_gas();
        assert_eq!(cost, PROXY_DEPLOYMENT_COST);
        assert_eq!(PROXY_DEPLOYMENT_COST, U256::from(10u64).pow(U256::from(16)));
    }

    #[test]
    fn create2_addresses_follow_eip_1014() {
        // EIP-1014's example 5: deployer 0x00000000000000000000000000000000deadbeef, salt
        // 0x00000000000000000000000000000000000000000000000000000000cafebabe, init code
        // 0xdeadbeef -> 0x60f3f640a8508fC6a86d45DF051962668E1e8AC7. Same formula, our deployer:
        let salt = b256!("0x00000000000000000000000000000000000000000000000000000000cafebabe");
        let eip_example = address!("0x00000000000000000000000000000000deadbeef")
            .create2(salt, keccak256(hex!("deadbeef")));
        assert_eq!(
            eip_example,
            address!("0x60f3f640a8508fC6a86d45DF051962668E1e8AC7")
        );
        let ours = create2_address(salt, &hex!("deadbeef"));
        let preimage = [
            &[0xff][..],
            DETERMINISTIC_DEPLOYER.as_slice(),
            salt.as_slice(),
            keccak256(hex!("deadbeef")).as_slice(),
        ]
        .concat();
        assert_eq!(ours, Address::from_slice(&keccak256(preimage)[12..]));
    }

    #[test]
    fn random_salts_differ() {
        assert_ne!(random_salt(), random_salt());
    }
}
