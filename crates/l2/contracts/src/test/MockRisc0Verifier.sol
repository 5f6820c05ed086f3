// SPDX-License-Identifier: MIT
pragma solidity ^0.8.31;

import {IRiscZeroVerifier} from "../l1/interfaces/IRiscZeroVerifier.sol";

/// @title TEST ONLY: accepts exactly the (seal, image id, journal digest) it was told to expect.
/// @notice Proves nothing; lets tests see what OnChainProposer hands a RISC0 verifier.
contract MockRisc0Verifier is IRiscZeroVerifier {
    bytes32 public expectedImageId;
    bytes32 public expectedJournalDigest;
    bytes32 public expectedSealHash;

    function expect(bytes32 imageId, bytes32 journalDigest, bytes calldata seal) external {
        expectedImageId = imageId;
        expectedJournalDigest = journalDigest;
        expectedSealHash = keccak256(seal);
    }

    function verify(bytes calldata seal, bytes32 imageId, bytes32 journalDigest) external view {
        require(imageId == expectedImageId, "MockRisc0Verifier: wrong image id");
        require(journalDigest == expectedJournalDigest, "MockRisc0Verifier: wrong journal digest");
        require(keccak256(seal) == expectedSealHash, "MockRisc0Verifier: wrong seal");
    }
}
