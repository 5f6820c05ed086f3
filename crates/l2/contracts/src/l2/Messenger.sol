// SPDX-License-Identifier: MIT
pragma solidity ^0.8.31;

import {IMessenger} from "./interfaces/IMessenger.sol";

/// @title Messenger: numbers the L2 -> L1 messages (genesis code at 0x…fffe).
/// @notice Only CommonBridgeL2 sends; ids start at 1 and are the claim ids on L1.
contract Messenger is IMessenger {
    /// @notice CommonBridgeL2's genesis address.
    address public constant BRIDGE = address(0xffff);

    /// @inheritdoc IMessenger
    uint256 public lastMessageId;

    /// @inheritdoc IMessenger
    function sendMessageToL1(bytes32 data) external {
        require(msg.sender == BRIDGE, "Messenger: caller is not the bridge");
        lastMessageId += 1;
        emit L1Message(msg.sender, data, lastMessageId);
    }
}
