// SPDX-License-Identifier: MIT
pragma solidity ^0.8.31;

/// @title RISC Zero's on-chain verifier (as deployed by risc0-ethereum).
interface IRiscZeroVerifier {
    /// @notice Reverts unless `seal` proves the image `imageId` committed a journal whose
    /// sha256 is `journalDigest`.
    function verify(bytes calldata seal, bytes32 imageId, bytes32 journalDigest) external view;
}
