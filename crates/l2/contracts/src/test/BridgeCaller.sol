// SPDX-License-Identifier: MIT
pragma solidity ^0.8.31;

import {ICommonBridge} from "../l1/interfaces/ICommonBridge.sol";

/// @title TEST ONLY: calls CommonBridge.sendToL2 from a contract (the aliasing tests; also run
/// as the code an EIP-7702 delegation points to).
contract BridgeCaller {
    function callSendToL2(address bridge, ICommonBridge.SendValues calldata sendValues) external {
        ICommonBridge(bridge).sendToL2(sendValues);
    }
}
