// SPDX-License-Identifier: MIT
pragma solidity ^0.8.31;

import {ISP1Verifier} from "../l1/interfaces/ISP1Verifier.sol";

/// @title TEST ONLY: accepts exactly the (key, public values, proof) it was told to expect.
/// @notice Proves nothing; lets tests see what OnChainProposer hands an SP1 verifier.
contract MockSP1Verifier is ISP1Verifier {
    bytes32 public expectedVKey;
    bytes32 public expectedPublicValuesHash;
    bytes32 public expectedProofHash;

    function expect(bytes32 vKey, bytes calldata publicValues, bytes calldata proofBytes) external {
        expectedVKey = vKey;
        expectedPublicValuesHash = keccak256(publicValues);
        expectedProofHash = keccak256(proofBytes);
    }

    function verifyProof(bytes32 programVKey, bytes calldata publicValues, bytes calldata proofBytes)
        external
        view
    {
        require(programVKey == expectedVKey, "MockSP1Verifier: wrong key");
        require(publicValues.length == 256, "MockSP1Verifier: public values are not 256 bytes");
        require(keccak256(publicValues) == expectedPublicValuesHash, "MockSP1Verifier: wrong public values");
        require(keccak256(proofBytes) == expectedProofHash, "MockSP1Verifier: wrong proof");
    }
}
