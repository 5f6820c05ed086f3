// SPDX-License-Identifier: MIT
pragma solidity ^0.8.31;

/// @title The L1 side of ethrex's canonical bridge.
/// @notice Deposits (ETH and ERC20) and arbitrary L1 -> L2 calls become privileged L2
/// transactions; withdrawals proven in a verified batch are claimed here.
interface ICommonBridge {
    /// @notice An L1 -> L2 call: the fields of a privileged transaction.
    struct SendValues {
        address to;
        uint256 gasLimit;
        uint256 value;
        bytes data;
    }

    /// @notice A privileged transaction was queued for the L2.
    /// @dev Its L2 hash is keccak256(bytes20(from) ‖ bytes20(to) ‖ bytes32(transactionId) ‖
    /// bytes32(value) ‖ bytes32(gasLimit) ‖ keccak256(data)).
    event PrivilegedTxSent(
        address indexed from,
        address indexed to,
        uint256 indexed transactionId,
        uint256 value,
        uint256 gasLimit,
        bytes data
    );

    /// @notice A withdrawal was claimed on L1.
    event WithdrawalClaimed(uint256 indexed withdrawalMessageId);

    function deposit(address l2Recipient) external payable;

    function depositERC20(address tokenL1, address tokenL2, address destination, uint256 amount) external;

    function sendToL2(SendValues calldata sendValues) external;

    function getPendingTransactionHashes() external view returns (bytes32[] memory);

    function getPendingTransactionsVersionedHash(uint16 number) external view returns (bytes32);

    function hasExpiredPrivilegedTransactions() external view returns (bool);

    /// @notice Consumes the `number` oldest pending privileged transactions (OnChainProposer only).
    function removePendingTransactionHashes(uint16 number) external;

    /// @notice Publishes a batch's withdrawal (L1 message) Merkle root (OnChainProposer only).
    function publishWithdrawals(uint256 withdrawalBatchNumber, bytes32 withdrawalsLogsMerkleRoot) external;

    function claimWithdrawal(
        bytes32 l2WithdrawalTxHash,
        uint256 claimedAmount,
        uint256 withdrawalBatchNumber,
        uint256 withdrawalMessageId,
        bytes32[] calldata withdrawalProof
    ) external;

    function claimWithdrawalERC20(
        bytes32 l2WithdrawalTxHash,
        address tokenL1,
        address tokenL2,
        uint256 claimedAmount,
        uint256 withdrawalBatchNumber,
        uint256 withdrawalMessageId,
        bytes32[] calldata withdrawalProof
    ) external;
}
