// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

/// Calls a precompile `n` times with the same input, in a fixed memory window.
contract PrecompileLoop {
    /// STATICCALLs `precompile` with `input` `n` times; reverts if a call fails or returns
    /// nothing, returns the keccak-256 of the last output.
    function run(address precompile, bytes calldata input, uint256 n) external view returns (bytes32 h) {
        assembly {
            let ptr := mload(0x40)
            calldatacopy(ptr, input.offset, input.length)
            let out := add(ptr, input.length)
            for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                if iszero(staticcall(gas(), precompile, ptr, input.length, 0, 0)) { revert(0, 0) }
                let size := returndatasize()
                if iszero(size) { revert(0, 0) }
                returndatacopy(out, 0, size)
                h := keccak256(out, size)
            }
        }
    }
}
