// SPDX-License-Identifier: MIT
pragma solidity ^0.8.31;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @title A token bridged to the L2: minted on deposit and burned on withdrawal by
/// CommonBridgeL2 (0x…ffff) only.
interface IERC20L2 is IERC20 {
    /// @notice The L1 token this one represents.
    function l1Address() external view returns (address);

    /// @notice Mints `amount` to `to`; callable by the L2 bridge only.
    function crosschainMint(address to, uint256 amount) external;

    /// @notice Burns `amount` from `from`; callable by the L2 bridge only.
    function crosschainBurn(address from, uint256 amount) external;
}
