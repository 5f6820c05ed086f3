// SPDX-License-Identifier: MIT
pragma solidity ^0.8.31;

/// @title A TDX attestation verifier: checks an enclave-registered key signed `payload`.
interface ITDXVerifier {
    /// @notice Reverts unless `signature` is a registered enclave key's signature of `payload`.
    function verify(bytes calldata payload, bytes calldata signature) external view;
}
