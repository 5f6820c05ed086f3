// SPDX-License-Identifier: MIT
pragma solidity ^0.8.31;

import {ICommonBridgeL2} from "./interfaces/ICommonBridgeL2.sol";
import {IMessenger} from "./interfaces/IMessenger.sol";
import {IERC20L2} from "./interfaces/IERC20L2.sol";

/// @title CommonBridgeL2: the L2 end of ethrex's canonical bridge (genesis code at 0x…ffff).
/// @notice Deposits arrive as privileged transactions from this very address calling `mintETH`
/// or `mintERC20` (a mint that fails sends the funds back to L1 as a withdrawal); withdrawals
/// burn here and leave a message to L1 through the Messenger.
/// @dev Holds no state: its code is placed in the L2 genesis, no constructor runs.
contract CommonBridgeL2 is ICommonBridgeL2 {
    /// @notice The Messenger's genesis address.
    address public constant L1_MESSENGER = address(0xfffe);
    /// @notice Where withdrawn ETH is sent (burned).
    address public constant BURN_ADDRESS = address(0);
    /// @notice Stands for ETH in withdrawal data.
    address public constant ETH_TOKEN = 0xEeeeeEeeeEeEeeEeEeEeeEEEeeeeEeeeeeeeEEeE;

    modifier onlySelf() {
        require(msg.sender == address(this), "CommonBridgeL2: caller is not the bridge");
        _;
    }

    /// @inheritdoc ICommonBridgeL2
    function withdraw(address _receiverOnL1) external payable {
        require(msg.value > 0, "CommonBridgeL2: amount to withdraw is zero");
        (bool burned,) = BURN_ADDRESS.call{value: msg.value}("");
        require(burned, "CommonBridgeL2: failed to burn the withdrawn ETH");
        IMessenger(L1_MESSENGER).sendMessageToL1(
            keccak256(abi.encodePacked(ETH_TOKEN, ETH_TOKEN, _receiverOnL1, msg.value))
        );
    }

    /// @inheritdoc ICommonBridgeL2
    function mintETH(address to) external payable onlySelf {
        (bool success,) = to.call{value: msg.value}("");
        if (!success) {
            this.withdraw{value: msg.value}(to);
        }
    }

    /// @inheritdoc ICommonBridgeL2
    function mintERC20(address tokenL1, address tokenL2, address destination, uint256 amount) external onlySelf {
        (bool success,) =
            address(this).call(abi.encodeCall(this.tryMintERC20, (tokenL1, tokenL2, destination, amount)));
        if (!success) {
            IMessenger(L1_MESSENGER).sendMessageToL1(keccak256(abi.encodePacked(tokenL1, tokenL2, destination, amount)));
        }
    }

    /// @notice Mints a deposit if `tokenL2` says it represents `tokenL1`; reverts otherwise.
    function tryMintERC20(address tokenL1, address tokenL2, address destination, uint256 amount) external onlySelf {
        IERC20L2 token = IERC20L2(tokenL2);
        require(token.l1Address() == tokenL1, "CommonBridgeL2: the L2 token does not represent the L1 token");
        token.crosschainMint(destination, amount);
    }

    /// @inheritdoc ICommonBridgeL2
    function withdrawERC20(address _token, address _receiverOnL1, uint256 _value) external {
        require(_value > 0, "CommonBridgeL2: amount to withdraw is zero");
        IERC20L2 token = IERC20L2(_token);
        address tokenL1 = token.l1Address();
        token.crosschainBurn(msg.sender, _value);
        IMessenger(L1_MESSENGER).sendMessageToL1(keccak256(abi.encodePacked(tokenL1, _token, _receiverOnL1, _value)));
    }
}
