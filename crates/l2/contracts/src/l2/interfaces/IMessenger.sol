// SPDX-License-Identifier: MIT
pragma solidity ^0.8.31;

/// @title The L2 -> L1 message log (genesis code at 0x…fffe).
interface IMessenger {
    /// @notice A message to L1; its Merkle leaf is keccak256(l2TxHash ‖ senderOnL2 ‖ data ‖ messageId).
    event L1Message(address indexed senderOnL2, bytes32 indexed data, uint256 messageId);

    function sendMessageToL1(bytes32 data) external;

    function lastMessageId() external view returns (uint256);
}
