//! The ERC20 token of the generated chains: the runtime code of the EVM benchmark's `Erc20`
//! (`tooling/bench/contracts/Erc20.sol`, compiled to `Erc20.hex` by its `build.sh`), its
//! storage layout, and `transfer` calldata.
//!
//! Storage layout (Solidity's, in declaration order): `balanceOf` is the mapping at slot 0, so
//! the balance of `owner` is at `keccak256(pad32(owner) ‖ pad32(0))`; `allowance` is at slot 1
//! and `totalSupply` at slot 2. The token is predeployed in the genesis with these slots set, so
//! no deployment or minting transaction is needed.

use alloy_primitives::{Address, B256, Bytes, U256, hex, keccak256};

use crate::{Error, Result};

/// The token's address in the generated genesis.
pub const TOKEN: Address = Address::new(hex!("00000000000000000000000000000000000e2c20"));

/// Slot of the `balanceOf` mapping.
const BALANCES_SLOT: u64 = 0;
/// Slot of `totalSupply`.
pub const TOTAL_SUPPLY_SLOT: U256 = U256::from_limbs([2, 0, 0, 0]);

/// Selector of `transfer(address,uint256)`.
const TRANSFER_SELECTOR: [u8; 4] = hex!("a9059cbb");

/// The token's runtime code.
pub fn runtime_code() -> Result<Bytes> {
    let text = include_str!("../../bench/contracts/Erc20.hex");
    hex::decode(text.trim())
        .map(Bytes::from)
        .map_err(|e| Error::Internal(format!("Erc20.hex is not hex: {e}")))
}

/// The storage slot of `owner`'s balance.
pub fn balance_slot(owner: Address) -> U256 {
    let mut preimage = [0u8; 64];
    preimage[12..32].copy_from_slice(owner.as_slice());
    preimage[32..].copy_from_slice(&U256::from(BALANCES_SLOT).to_be_bytes::<32>());
    U256::from_be_bytes(keccak256(preimage).0)
}

/// The calldata of `transfer(to, value)`.
pub fn transfer_calldata(to: Address, value: U256) -> Bytes {
    let mut data = Vec::with_capacity(4 + 64);
    data.extend_from_slice(&TRANSFER_SELECTOR);
    data.extend_from_slice(B256::left_padding_from(to.as_slice()).as_slice());
    data.extend_from_slice(&value.to_be_bytes::<32>());
    Bytes::from(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selector_is_the_keccak_of_the_signature() {
        assert_eq!(
            keccak256("transfer(address,uint256)")[..4],
            TRANSFER_SELECTOR
        );
    }

    #[test]
    fn the_code_dispatches_transfer() {
        let code = runtime_code().unwrap();
        // The dispatcher compares the selector with a PUSH4 of it.
        let push4 = [&[0x63], &TRANSFER_SELECTOR[..]].concat();
        assert!(
            code.windows(5).any(|w| w == push4),
            "no transfer in Erc20.hex"
        );
    }

    #[test]
    fn balance_of_reads_the_balance_slot() {
        use ethrex_common::{ChainConfig, Fork, types::Header};
        use ethrex_vm::{Evm, InMemoryDb};

        let owner = Address::repeat_byte(0x33);
        let mut db = InMemoryDb::default();
        let storage = [(balance_slot(owner), U256::from(1234))].into();
        db.insert_account(TOKEN, 1, U256::ZERO, runtime_code().unwrap(), storage);
        let config = ChainConfig::all_active_up_to(1, Fork::Osaka);
        let env = ethrex_blockchain::block_env(&config, &Header::default());
        // balanceOf(owner), called from outside any transaction.
        let mut input = keccak256("balanceOf(address)")[..4].to_vec();
        input.extend_from_slice(B256::left_padding_from(owner.as_slice()).as_slice());
        let result = Evm::new(&db, env)
            .system_call(TOKEN, input.into())
            .unwrap()
            .unwrap();
        assert!(result.success);
        assert_eq!(U256::from_be_slice(&result.output), U256::from(1234));
    }
}
