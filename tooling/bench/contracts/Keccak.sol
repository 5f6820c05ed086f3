// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

/// A chain of `n` keccak-256 hashes of 64 bytes each (the previous hash and a counter).
contract Keccak {
    function hashChain(uint256 n) external pure returns (bytes32 h) {
        assembly {
            for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                mstore(0, h)
                mstore(0x20, i)
                h := keccak256(0, 0x40)
            }
        }
    }
}
