// SPDX-License-Identifier: MIT
pragma solidity ^0.8.31;

/// @title The L2 side of ethrex's canonical bridge (genesis code at 0x…ffff).
interface ICommonBridgeL2 {
    function withdraw(address _receiverOnL1) external payable;

    function mintETH(address to) external payable;

    function mintERC20(address tokenL1, address tokenL2, address destination, uint256 amount) external;

    function withdrawERC20(address _token, address _receiverOnL1, uint256 _value) external;
}
