// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

/// Tight loops dominated by one kind of instruction: PUSH32, MSTORE, or SSTORE.
contract Loops {
    /// An FNV-like hash of the counter with 32-byte constants: about half the instructions are
    /// PUSH32 (the operations alternate, so the optimizer cannot fold the constants).
    function pushLoop(uint256 n) external pure returns (uint256 h) {
        assembly {
            for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                h := mul(xor(h, i), 0x9e3779b97f4a7c15f39cc0605cedc8341082276bf3a27251f86c6a11d0c18e95)
                h := mul(xor(h, 0x243f6a8885a308d313198a2e03707344a4093822299f31d0082efa98ec4e6c89), 0xb7e151628aed2a6abf7158809cf4f3c762e7160f38b4da56a784d9045190cfef)
                h := mul(xor(h, 0x452821e638d01377be5466cf34e90c6cc0ac29b7c97c50dd3f84d5b5b5470917), 0x6a09e667f3bcc908b2fb1366ea957d3e3adec17512775099da2f590b0667322a)
                h := mul(xor(h, 0xbb67ae8584caa73b25742d7078b83b8925d6e4b2f6f4b9a7b0b5d3e6f9a1c2d4), 0x3c6ef372fe94f82ba54ff53a5f1d36f1510e527fade682d19b05688c2b3e6c1f)
            }
        }
    }

    /// Writes `n` words into a 32 KiB window of memory, cycling through it.
    function mstoreLoop(uint256 n) external pure returns (uint256 r) {
        assembly {
            let p := mload(0x40)
            for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                mstore(add(p, shl(5, and(i, 1023))), i)
            }
            r := mload(add(p, 0x20))
        }
    }

    /// Writes `n` fresh storage slots (each a cold zero-to-nonzero SSTORE).
    function sstoreFresh(uint256 n) external returns (uint256 r) {
        assembly {
            for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                sstore(i, add(i, 1))
            }
            r := sload(0)
        }
    }

    /// Rewrites one storage slot `n` times (warm SSTOREs after the first).
    function sstoreSame(uint256 n) external returns (uint256 r) {
        assembly {
            for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                sstore(0, add(i, 1))
            }
            r := sload(0)
        }
    }
}
