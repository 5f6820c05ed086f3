//! The ABI of the L1 calls the deployer and the sequencer make, declared with `alloy-sol-types`'
//! `sol!` from the signatures of `ethrex-l2-contracts`' Solidity sources (whose tests check the
//! committed ABIs against them), plus the ERC-1967 storage slots and revert-reason decoding.

use alloy_primitives::{Address, B256, Bytes, b256};
use alloy_sol_types::{SolError, SolValue, sol};

sol! {
    /// `OnChainProposer`'s proof requirements and verifiers.
    #[derive(Debug, PartialEq, Eq)]
    struct VerifierConfig {
        bool requireRisc0Proof;
        bool requireSp1Proof;
        bool requireTdxProof;
        address risc0Verifier;
        address sp1Verifier;
        address tdxVerifier;
        bytes32 risc0Vk;
        bytes32 sp1Vk;
    }

    /// The L1 `OnChainProposer` (behind its proxy).
    interface IOnChainProposer {
        function initialize(
            address owner,
            VerifierConfig verifiers,
            bytes32 genesisStateRoot,
            address[] sequencerAddresses,
            uint256 chainId
        ) external;
        function initializeBridgeAddress(address bridge) external;
        function transferOwnership(address newOwner) external;
        function acceptOwnership() external;
        function owner() external view returns (address);
        function pendingOwner() external view returns (address);
        function lastCommittedBatch() external view returns (uint256);
        function lastVerifiedBatch() external view returns (uint256);
        function BRIDGE() external view returns (address);
        function CHAIN_ID() external view returns (uint256);
        function authorizedSequencerAddresses(address sequencer) external view returns (bool);
        function batchCommitments(uint256 batchNumber) external view returns (
            bytes32 newStateRoot,
            bytes32 blobVersionedHash,
            bytes32 withdrawalsLogsMerkleRoot,
            bytes32 processedPrivilegedTransactionsRollingHash,
            bytes32 lastBlockHash,
            uint256 nonPrivilegedTransactions
        );
        function commitBatch(
            uint256 batchNumber,
            bytes32 newStateRoot,
            bytes32 withdrawalsLogsMerkleRoot,
            bytes32 processedPrivilegedTransactionsRollingHash,
            bytes32 lastBlockHash,
            uint256 nonPrivilegedTransactions
        ) external;
        function verifyBatch(
            uint256 batchNumber,
            bytes risc0BlockProof,
            bytes sp1ProofBytes,
            bytes tdxSignature
        ) external;
        event BatchCommitted(uint256 indexed batchNumber, bytes32 newStateRoot);
        event BatchVerified(uint256 indexed batchNumber);
    }

    /// The L1 `CommonBridge` (behind its proxy).
    interface ICommonBridge {
        function initialize(address owner, address onChainProposer, uint256 inclusionMaxWait) external;
        function owner() external view returns (address);
        function deposit(address l2Recipient) external payable;
        function getPendingTransactionHashes() external view returns (bytes32[] memory);
        function getPendingTransactionsVersionedHash(uint16 number) external view returns (bytes32);
        function hasExpiredPrivilegedTransactions() external view returns (bool);
        event PrivilegedTxSent(
            address indexed from,
            address indexed to,
            uint256 indexed transactionId,
            uint256 value,
            uint256 gasLimit,
            bytes data
        );
    }

    /// `Error(string)`, what `require` reverts with.
    error Error(string message);
}

/// ERC-1967's implementation slot: `keccak256("eip1967.proxy.implementation") - 1`.
pub const ERC1967_IMPLEMENTATION_SLOT: B256 =
    b256!("360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc");

/// The creation code of OpenZeppelin's `ERC1967Proxy` in front of `implementation`, calling it
/// with `initialize_call` from the proxy's constructor.
pub fn proxy_init_code(
    proxy_creation_code: &[u8],
    implementation: Address,
    initialize_call: Vec<u8>,
) -> Bytes {
    let args = (implementation, Bytes::from(initialize_call)).abi_encode_params();
    [proxy_creation_code, &args].concat().into()
}

/// The reason of a `require` revert (`Error(string)` data), if `data` is one.
pub fn revert_reason(data: &[u8]) -> Option<String> {
    Error::abi_decode(data).ok().map(|e| e.message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{hex, keccak256};
    use alloy_sol_types::SolCall;

    #[test]
    fn selectors_are_the_canonical_ones() {
        // `cast sig` values of the signatures.
        assert_eq!(ICommonBridge::depositCall::SELECTOR, hex!("f340fa01"));
        assert_eq!(
            IOnChainProposer::transferOwnershipCall::SELECTOR,
            hex!("f2fde38b")
        );
    }

    #[test]
    fn the_implementation_slot_follows_erc1967() {
        let hashed = U256Like::from(keccak256("eip1967.proxy.implementation"));
        assert_eq!(hashed.minus_one(), ERC1967_IMPLEMENTATION_SLOT);
    }

    #[test]
    fn require_reasons_are_decoded() {
        let data = Error {
            message: "OnChainProposer: zero bridge".into(),
        }
        .abi_encode();
        assert_eq!(&data[..4], hex!("08c379a0"));
        assert_eq!(
            revert_reason(&data).as_deref(),
            Some("OnChainProposer: zero bridge")
        );
        assert_eq!(revert_reason(&[1, 2, 3]), None);
    }

    /// A 256-bit big-endian number, for the slot arithmetic.
    struct U256Like(alloy_primitives::U256);
    impl U256Like {
        fn from(hash: B256) -> Self {
            U256Like(alloy_primitives::U256::from_be_bytes(hash.0))
        }
        fn minus_one(self) -> B256 {
            B256::from(self.0 - alloy_primitives::U256::from(1))
        }
    }
}
