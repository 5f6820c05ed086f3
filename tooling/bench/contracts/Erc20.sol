// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

/// A minimal ERC20 token, plus `bench*` entry points that call its functions `n` times in one
/// transaction, each time for a fresh address (so every call writes a fresh storage slot).
contract Erc20 {
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;
    uint256 public totalSupply;

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);

    function transfer(address to, uint256 value) public returns (bool) {
        balanceOf[msg.sender] -= value;
        balanceOf[to] += value;
        emit Transfer(msg.sender, to, value);
        return true;
    }

    function approve(address spender, uint256 value) public returns (bool) {
        allowance[msg.sender][spender] = value;
        emit Approval(msg.sender, spender, value);
        return true;
    }

    function transferFrom(address from, address to, uint256 value) public returns (bool) {
        allowance[from][msg.sender] -= value;
        balanceOf[from] -= value;
        balanceOf[to] += value;
        emit Transfer(from, to, value);
        return true;
    }

    function mint(address to, uint256 value) public {
        totalSupply += value;
        balanceOf[to] += value;
        emit Transfer(address(0), to, value);
    }

    /// Mints `n` tokens to the caller, then sends one to each of `n` fresh addresses.
    function benchTransfer(uint256 n) external returns (uint256) {
        mint(msg.sender, n);
        for (uint256 i = 1; i <= n; i++) {
            transfer(recipient(i), 1);
        }
        return balanceOf[msg.sender];
    }

    /// Mints `i` tokens to each of `n` fresh addresses.
    function benchMint(uint256 n) external returns (uint256) {
        for (uint256 i = 1; i <= n; i++) {
            mint(recipient(i), i);
        }
        return totalSupply;
    }

    /// Approves each of `n` fresh spenders for `i` tokens.
    function benchApprove(uint256 n) external returns (uint256) {
        for (uint256 i = 1; i <= n; i++) {
            approve(recipient(i), i);
        }
        return allowance[msg.sender][recipient(n)];
    }

    function recipient(uint256 i) internal pure returns (address) {
        return address(uint160(0x10000 + i));
    }
}
