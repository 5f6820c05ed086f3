//! The system contracts Prague's block processing calls (EIP-4788, EIP-2935, EIP-7002,
//! EIP-7251), with the runtime code each EIP specifies, as a genesis must hold them: without
//! code, the request contracts' system calls fail and every block is invalid.
//!
//! The code is the same as in the execution-apis test genesis and in the EEST fixtures' `pre`
//! state (nonce 1, no balance, no storage, as on mainnet). The dev genesis (`dev.rs`) and the
//! benchmark chain generator (`tooling/chaingen`) put them in their allocations.

use alloy_primitives::{Address, address, hex};

/// The caller of system calls (EIP-4788, EIP-2935, EIP-7002, EIP-7251): `SYSTEM_ADDRESS`.
pub const SYSTEM_ADDRESS: Address = address!("fffffffffffffffffffffffffffffffffffffffe");
/// EIP-4788 beacon roots contract.
pub const BEACON_ROOTS_ADDRESS: Address = address!("000F3df6D732807Ef1319fB7B8bB8522d0Beac02");
/// EIP-2935 block hash history contract.
pub const HISTORY_STORAGE_ADDRESS: Address = address!("0000F90827F1C53a10cb7A02335B175320002935");
/// EIP-7002 withdrawal request contract.
pub const WITHDRAWAL_REQUEST_ADDRESS: Address =
    address!("00000961Ef480Eb55e80D19ad83579A64c007002");
/// EIP-7251 consolidation request contract.
pub const CONSOLIDATION_REQUEST_ADDRESS: Address =
    address!("0000BBdDc7CE488642fb579F8B00f3a590007251");
/// The deposit contract of mainnet (EIP-6110; the test fixtures use it too). A chain config's
/// `depositContractAddress` overrides it.
pub const MAINNET_DEPOSIT_CONTRACT: Address = address!("00000000219ab540356cbb839cbe05303d7705fa");

/// A system contract: its address and runtime code.
#[derive(Debug, Clone, Copy)]
pub struct SystemContract {
    pub address: Address,
    pub code: &'static [u8],
}

/// Every system contract a Prague (or later) genesis needs.
pub const SYSTEM_CONTRACTS: [SystemContract; 4] = [
    // EIP-4788 beacon roots
    SystemContract {
        address: BEACON_ROOTS_ADDRESS,
        code: &hex!(
            "3373fffffffffffffffffffffffffffffffffffffffe14604d57602036146024575f5ffd5b5f3580"
            "1560495762001fff810690815414603c575f5ffd5b62001fff01545f5260205ff35b5f5ffd5b6200"
            "1fff42064281555f359062001fff015500"
        ),
    },
    // EIP-2935 block hash history
    SystemContract {
        address: HISTORY_STORAGE_ADDRESS,
        code: &hex!(
            "3373fffffffffffffffffffffffffffffffffffffffe14604657602036036042575f356001430381"
            "11604257611fff81430311604257611fff9006545f5260205ff35b5f5ffd5b5f35611fff60014303"
            "065500"
        ),
    },
    // EIP-7002 withdrawal requests
    SystemContract {
        address: WITHDRAWAL_REQUEST_ADDRESS,
        code: &hex!(
            "3373fffffffffffffffffffffffffffffffffffffffe1460cb5760115f54807fffffffffffffffff"
            "ffffffffffffffffffffffffffffffffffffffffffffffff146101f457600182026001905f5b5f82"
            "111560685781019083028483029004916001019190604d565b909390049250505036603814608857"
            "366101f457346101f4575f5260205ff35b34106101f4576001546001016001556003548060030260"
            "04013381556001015f35815560010160203590553360601b5f5260385f601437604c5fa060010160"
            "0355005b6003546002548082038060101160df575060105b5f5b8181146101835782810160030260"
            "040181604c02815460601b8152601401816001015481526020019060020154807fffffffffffffff"
            "ffffffffffffffffff00000000000000000000000000000000168252906010019060401c90816038"
            "1c81600701538160301c81600601538160281c81600501538160201c81600401538160181c816003"
            "01538160101c81600201538160081c81600101535360010160e1565b910180921461019557906002"
            "556101a0565b90505f6002555f6003555b5f54807fffffffffffffffffffffffffffffffffffffff"
            "ffffffffffffffffffffffffff14156101cd57505f5b6001546002828201116101e25750505f6101"
            "e8565b01600290035b5f555f600155604c025ff35b5f5ffd"
        ),
    },
    // EIP-7251 consolidation requests
    SystemContract {
        address: CONSOLIDATION_REQUEST_ADDRESS,
        code: &hex!(
            "3373fffffffffffffffffffffffffffffffffffffffe1460d35760115f54807fffffffffffffffff"
            "ffffffffffffffffffffffffffffffffffffffffffffffff1461019a57600182026001905f5b5f82"
            "111560685781019083028483029004916001019190604d565b909390049250505036606014608857"
            "3661019a573461019a575f5260205ff35b341061019a576001546001016001556003548060040260"
            "04013381556001015f358155600101602035815560010160403590553360601b5f5260605f601437"
            "60745fa0600101600355005b6003546002548082038060021160e7575060025b5f5b818114610129"
            "5782810160040260040181607402815460601b815260140181600101548152602001816002015481"
            "526020019060030154905260010160e9565b910180921461013b5790600255610146565b90505f60"
            "02555f6003555b5f54807fffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
            "ffffff141561017357505f5b6001546001828201116101885750505f61018e565b01600190035b5f"
            "555f6001556074025ff35b5f5ffd"
        ),
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_code_has_the_sizes_the_eips_give() {
        let sizes: Vec<usize> = SYSTEM_CONTRACTS.iter().map(|c| c.code.len()).collect();
        assert_eq!(sizes, [97, 83, 504, 414]);
    }

    #[test]
    fn the_addresses_are_the_eips_own() {
        use alloy_eips::{eip2935, eip4788, eip7002, eip7251};
        assert_eq!(BEACON_ROOTS_ADDRESS, eip4788::BEACON_ROOTS_ADDRESS);
        assert_eq!(SYSTEM_ADDRESS, eip4788::SYSTEM_ADDRESS);
        assert_eq!(HISTORY_STORAGE_ADDRESS, eip2935::HISTORY_STORAGE_ADDRESS);
        assert_eq!(
            WITHDRAWAL_REQUEST_ADDRESS,
            eip7002::WITHDRAWAL_REQUEST_PREDEPLOY_ADDRESS
        );
        assert_eq!(
            CONSOLIDATION_REQUEST_ADDRESS,
            eip7251::CONSOLIDATION_REQUEST_PREDEPLOY_ADDRESS
        );
    }
}
