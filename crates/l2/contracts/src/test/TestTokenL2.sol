// SPDX-License-Identifier: MIT
pragma solidity ^0.8.31;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {IERC20L2} from "../l2/interfaces/IERC20L2.sol";

/// @title TEST ONLY: a bridged L2 token naming any L1 token, which anyone can also mint
/// (an attacker's token, in the provenance tests).
contract TestTokenL2 is ERC20, IERC20L2 {
    address public constant BRIDGE = address(0xffff);
    address public immutable l1Address;

    constructor(address _l1Address) ERC20("Test L2", "TSTL2") {
        l1Address = _l1Address;
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function crosschainMint(address to, uint256 amount) external {
        require(msg.sender == BRIDGE, "TestTokenL2: caller is not the bridge");
        _mint(to, amount);
    }

    function crosschainBurn(address from, uint256 amount) external {
        require(msg.sender == BRIDGE, "TestTokenL2: caller is not the bridge");
        _burn(from, amount);
    }
}
