// SPDX-License-Identifier: MIT
pragma solidity ^0.8.31;

/// @title SP1's on-chain verifier (as deployed by Succinct's sp1-contracts).
interface ISP1Verifier {
    /// @notice Reverts unless `proofBytes` proves the program `programVKey` output `publicValues`.
    function verifyProof(bytes32 programVKey, bytes calldata publicValues, bytes calldata proofBytes) external view;
}
