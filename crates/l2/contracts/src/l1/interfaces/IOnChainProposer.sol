// SPDX-License-Identifier: MIT
pragma solidity ^0.8.31;

/// @title The L1 contract that receives ethrex's batch commitments and their proofs.
interface IOnChainProposer {
    /// @notice What a committed batch is checked against when it is verified.
    /// @dev Field order is that of `batchCommitments(uint256)`.
    struct BatchCommitmentInfo {
        bytes32 newStateRoot;
        bytes32 blobVersionedHash;
        bytes32 withdrawalsLogsMerkleRoot;
        bytes32 processedPrivilegedTransactionsRollingHash;
        bytes32 lastBlockHash;
        uint256 nonPrivilegedTransactions;
    }

    /// @notice Which proofs `verifyBatch` requires, their verifiers and the guest's keys.
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

    event BatchCommitted(uint256 indexed batchNumber, bytes32 newStateRoot);
    event BatchVerified(uint256 indexed batchNumber);

    function lastCommittedBatch() external view returns (uint256);

    function lastVerifiedBatch() external view returns (uint256);

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
        bytes calldata risc0BlockProof,
        bytes calldata sp1ProofBytes,
        bytes calldata tdxSignature
    ) external;
}
