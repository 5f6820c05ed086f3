//! The rollup's contracts, compiled and embedded: the L1 `CommonBridge` and `OnChainProposer`
//! (UUPS implementations, deployed behind OpenZeppelin's `ERC1967Proxy`), and the L2 system
//! contracts `CommonBridgeL2` (genesis code at [`L2_BRIDGE_ADDRESS`]) and `Messenger` (at
//! [`MESSENGER_ADDRESS`]), plus the hashes both sides must agree on ([`hashes`]).
//!
//! Where to start reading: [`Contract`] and its constants here, then `src/l1/*.sol` and
//! `src/l2/*.sol` (the Solidity sources), then `README.md` (how the artifacts are rebuilt).
//!
//! Invariant: `artifacts/` is what `make contracts` (npm `solc@0.8.31`, optimizer on, EVM osaka)
//! produces from `src/`; `make contracts-check` fails when they drift. Building this crate needs
//! no node: the artifacts are committed and included at compile time.

pub mod hashes;

use alloy_primitives::{Address, Bytes, address, hex};

/// A compiled contract: its ABI (JSON) and its code (hex, as solc writes it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Contract {
    pub name: &'static str,
    /// The ABI, as solc's JSON.
    pub abi: &'static str,
    creation_hex: &'static str,
    deployed_hex: &'static str,
}

/// Why an embedded artifact could not be used.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("artifact {name}: invalid hex: {source}")]
    InvalidHex {
        name: &'static str,
        source: hex::FromHexError,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Contract {
    /// The creation code (constructor arguments, if any, are appended by the deployer).
    pub fn creation_code(&self) -> Result<Bytes> {
        self.decode(self.creation_hex)
    }

    /// The runtime code (what a genesis allocation holds for the L2 system contracts).
    pub fn deployed_code(&self) -> Result<Bytes> {
        self.decode(self.deployed_hex)
    }

    fn decode(&self, text: &str) -> Result<Bytes> {
        hex::decode(text.trim())
            .map(Bytes::from)
            .map_err(|source| Error::InvalidHex {
                name: self.name,
                source,
            })
    }
}

macro_rules! artifact {
    ($(#[$doc:meta])* $constant:ident, $name:literal) => {
        $(#[$doc])*
        pub const $constant: Contract = Contract {
            name: $name,
            abi: include_str!(concat!("../artifacts/", $name, ".abi.json")),
            creation_hex: include_str!(concat!("../artifacts/", $name, ".bin")),
            deployed_hex: include_str!(concat!("../artifacts/", $name, ".bin-runtime")),
        };
    };
}

artifact!(
    /// L1: deposits, `sendToL2`, the pending privileged transactions, withdrawal claims.
    COMMON_BRIDGE,
    "CommonBridge"
);
artifact!(
    /// L1: batch commitments and their verification.
    ON_CHAIN_PROPOSER,
    "OnChainProposer"
);
artifact!(
    /// L1: OpenZeppelin's ERC1967Proxy (`constructor(address implementation, bytes data)`),
    /// in front of `CommonBridge` and `OnChainProposer`.
    ERC1967_PROXY,
    "ERC1967Proxy"
);
artifact!(
    /// L2 genesis code at [`L2_BRIDGE_ADDRESS`]: mints deposits, burns withdrawals.
    COMMON_BRIDGE_L2,
    "CommonBridgeL2"
);
artifact!(
    /// L2 genesis code at [`MESSENGER_ADDRESS`]: numbers and logs the L2 -> L1 messages.
    MESSENGER,
    "Messenger"
);

/// Contracts for tests only (mock verifiers that prove nothing, mintable tokens, a contract
/// caller): never deploy them on a real chain.
pub mod testing {
    use super::Contract;

    artifact!(
        /// Accepts exactly the SP1 (key, public values, proof) it was told to expect.
        MOCK_SP1_VERIFIER,
        "MockSP1Verifier"
    );
    artifact!(
        /// Accepts exactly the RISC0 (seal, image id, journal digest) it was told to expect.
        MOCK_RISC0_VERIFIER,
        "MockRisc0Verifier"
    );
    artifact!(
        /// An L1 ERC20 anyone can mint.
        TEST_TOKEN,
        "TestToken"
    );
    artifact!(
        /// A bridged L2 token (`constructor(address l1Address)`) anyone can also mint.
        TEST_TOKEN_L2,
        "TestTokenL2"
    );
    artifact!(
        /// Calls `CommonBridge.sendToL2` from a contract.
        BRIDGE_CALLER,
        "BridgeCaller"
    );
}

/// Every production contract.
pub const ALL: [Contract; 5] = [
    COMMON_BRIDGE,
    ON_CHAIN_PROPOSER,
    ERC1967_PROXY,
    COMMON_BRIDGE_L2,
    MESSENGER,
];

/// `CommonBridgeL2`'s L2 genesis address; also the `from` and `to` of deposits and the sender
/// of every L1 message.
pub use ethrex_common::types::L2_BRIDGE_ADDRESS;
/// `Messenger`'s L2 genesis address.
pub const MESSENGER_ADDRESS: Address = address!("0x000000000000000000000000000000000000fffe");
/// Stands for ETH in token pairs and withdrawal data.
pub const ETH_TOKEN_ADDRESS: Address = address!("0xEeeeeEeeeEeEeeEeEeEeeEEEeeeeEeeeeeeeEEeE");
/// The L2 gas limit of deposit transactions (ours).
pub const DEPOSIT_GAS_LIMIT: u64 = 100_000;
/// Added (mod 2^160) to a contract caller's address by `sendToL2` (ours).
pub const ALIAS_OFFSET: Address = address!("0xEe110000000000000000000000000000000011Ff");
