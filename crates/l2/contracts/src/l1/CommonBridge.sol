// SPDX-License-Identifier: MIT
pragma solidity ^0.8.31;

import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts-upgradeable/proxy/utils/UUPSUpgradeable.sol";
import {Ownable2StepUpgradeable} from "@openzeppelin/contracts-upgradeable/access/Ownable2StepUpgradeable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

import {ICommonBridge} from "./interfaces/ICommonBridge.sol";
import {IOnChainProposer} from "./interfaces/IOnChainProposer.sol";
import {ICommonBridgeL2} from "../l2/interfaces/ICommonBridgeL2.sol";

/// @title CommonBridge: the L1 end of ethrex's canonical bridge (UUPS, behind an ERC1967Proxy).
/// @notice Queues privileged L2 transactions (deposits, `sendToL2`) as a list of hashes the
/// OnChainProposer consumes batch by batch, and pays out withdrawals proven against the message
/// roots of verified batches.
/// @dev Invariants: `pendingTxHashes[id]` is the hash of privileged transaction `id` (ids from
/// 0); those from `pendingTxIndex` on are pending. `deposits[l1][l2]` is what may still be
/// withdrawn through the pair (l1, l2), so a claim can never take out more than was locked for
/// that very pair.
contract CommonBridge is
    ICommonBridge,
    Initializable,
    UUPSUpgradeable,
    Ownable2StepUpgradeable,
    ReentrancyGuardTransient
{
    using SafeERC20 for IERC20;

    /// @notice CommonBridgeL2's genesis address on the L2 (also the sender of its L1 messages).
    address public constant L2_BRIDGE_ADDRESS = address(0xffff);
    /// @notice Stands for ETH in token pairs and withdrawal data.
    address public constant ETH_TOKEN = 0xEeeeeEeeeEeEeeEeEeEeeEEEeeeeEeeeeeeeEEeE;
    /// @notice Gas limit of deposit transactions on the L2 (ours).
    uint256 public constant DEPOSIT_GAS_LIMIT = 100_000;
    /// @notice Added (mod 2^160) to a contract caller's address in `sendToL2` (ours).
    uint160 public constant ALIAS_OFFSET = uint160(0xEe110000000000000000000000000000000011Ff);

    /// @notice Hash of every privileged transaction, by id; those from `pendingTxIndex` pend.
    bytes32[] public pendingTxHashes;
    /// @notice Id of the oldest pending privileged transaction.
    uint256 public pendingTxIndex;
    /// @notice By privileged transaction id: the time after which it must be included.
    mapping(uint256 => uint256) public privilegedTxDeadline;
    /// @notice Seconds a privileged transaction may pend before the sequencer must include it.
    uint256 public inclusionMaxWait;
    /// @notice Withdrawal (L1 message) Merkle root of each batch that has withdrawals.
    mapping(uint256 => bytes32) public batchWithdrawalLogsMerkleRoots;
    /// @notice Amount locked per (L1 token, L2 token) pair, ETH as (ETH_TOKEN, ETH_TOKEN).
    mapping(address => mapping(address => uint256)) public deposits;
    /// @notice Whether the withdrawal with this L2 message id was claimed.
    mapping(uint256 => bool) public claimedWithdrawalIDs;
    /// @notice The OnChainProposer (proxy) that commits and verifies batches.
    address public ON_CHAIN_PROPOSER;

    modifier onlyOnChainProposer() {
        require(msg.sender == ON_CHAIN_PROPOSER, "CommonBridge: caller is not the OnChainProposer");
        _;
    }

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    /// @notice Sets the owner, the OnChainProposer and the inclusion deadline (seconds).
    function initialize(address owner, address onChainProposer, uint256 _inclusionMaxWait) public initializer {
        require(onChainProposer != address(0), "CommonBridge: zero OnChainProposer");
        ON_CHAIN_PROPOSER = onChainProposer;
        inclusionMaxWait = _inclusionMaxWait;
        __Ownable_init(owner);
    }

    /// @notice Deposits the ETH sent to the sender's address on the L2.
    receive() external payable {
        _depositETH(msg.sender);
    }

    /// @inheritdoc ICommonBridge
    function deposit(address l2Recipient) public payable {
        _depositETH(l2Recipient);
    }

    /// @inheritdoc ICommonBridge
    function depositERC20(address tokenL1, address tokenL2, address destination, uint256 amount)
        external
        nonReentrant
    {
        require(amount > 0, "CommonBridge: amount to deposit is zero");
        require(tokenL1 != ETH_TOKEN && tokenL2 != ETH_TOKEN, "CommonBridge: ETH is deposited with deposit()");
        IERC20(tokenL1).safeTransferFrom(msg.sender, address(this), amount);
        deposits[tokenL1][tokenL2] += amount;
        bytes memory data = abi.encodeCall(ICommonBridgeL2.mintERC20, (tokenL1, tokenL2, destination, amount));
        _sendToL2(L2_BRIDGE_ADDRESS, SendValues(L2_BRIDGE_ADDRESS, DEPOSIT_GAS_LIMIT, 0, data));
    }

    /// @inheritdoc ICommonBridge
    /// @dev A contract caller (msg.sender != tx.origin, and not an EIP-7702 delegated EOA) is
    /// aliased, so that an L1 contract cannot pose as the L2 account of the same address.
    function sendToL2(SendValues calldata sendValues) external {
        require(sendValues.value == 0, "CommonBridge: sendToL2 carries no value yet");
        _sendToL2(_l2Sender(msg.sender), sendValues);
    }

    /// @inheritdoc ICommonBridge
    function getPendingTransactionHashes() external view returns (bytes32[] memory hashes) {
        uint256 count = pendingTxHashes.length - pendingTxIndex;
        hashes = new bytes32[](count);
        for (uint256 i = 0; i < count; i++) {
            hashes[i] = pendingTxHashes[pendingTxIndex + i];
        }
    }

    /// @inheritdoc ICommonBridge
    /// @dev bytes2(number) ‖ the low 30 bytes of keccak256(hash_1 ‖ … ‖ hash_number), over the
    /// `number` oldest pending hashes.
    function getPendingTransactionsVersionedHash(uint16 number) public view returns (bytes32) {
        require(number > 0, "CommonBridge: number is zero");
        require(number <= pendingTxHashes.length - pendingTxIndex, "CommonBridge: number is above the pending count");
        bytes32[] memory hashes = new bytes32[](number);
        for (uint256 i = 0; i < number; i++) {
            hashes[i] = pendingTxHashes[pendingTxIndex + i];
        }
        bytes32 rolling = keccak256(abi.encodePacked(hashes));
        uint256 low30 = uint256(rolling) & ((uint256(1) << 240) - 1);
        return bytes32((uint256(number) << 240) | low30);
    }

    /// @inheritdoc ICommonBridge
    function hasExpiredPrivilegedTransactions() public view returns (bool) {
        if (pendingTxIndex >= pendingTxHashes.length) {
            return false;
        }
        return block.timestamp > privilegedTxDeadline[pendingTxIndex];
    }

    /// @inheritdoc ICommonBridge
    function removePendingTransactionHashes(uint16 number) external onlyOnChainProposer {
        require(number <= pendingTxHashes.length - pendingTxIndex, "CommonBridge: number is above the pending count");
        pendingTxIndex += number;
    }

    /// @inheritdoc ICommonBridge
    function publishWithdrawals(uint256 withdrawalBatchNumber, bytes32 withdrawalsLogsMerkleRoot)
        external
        onlyOnChainProposer
    {
        require(
            batchWithdrawalLogsMerkleRoots[withdrawalBatchNumber] == bytes32(0),
            "CommonBridge: the batch's withdrawals are already published"
        );
        require(withdrawalsLogsMerkleRoot != bytes32(0), "CommonBridge: the withdrawals root is zero");
        batchWithdrawalLogsMerkleRoots[withdrawalBatchNumber] = withdrawalsLogsMerkleRoot;
    }

    /// @inheritdoc ICommonBridge
    function claimWithdrawal(
        bytes32 l2WithdrawalTxHash,
        uint256 claimedAmount,
        uint256 withdrawalBatchNumber,
        uint256 withdrawalMessageId,
        bytes32[] calldata withdrawalProof
    ) external nonReentrant {
        _claim(
            l2WithdrawalTxHash,
            ETH_TOKEN,
            ETH_TOKEN,
            claimedAmount,
            withdrawalBatchNumber,
            withdrawalMessageId,
            withdrawalProof
        );
        (bool success,) = payable(msg.sender).call{value: claimedAmount}("");
        require(success, "CommonBridge: failed to send the withdrawn ETH");
    }

    /// @inheritdoc ICommonBridge
    function claimWithdrawalERC20(
        bytes32 l2WithdrawalTxHash,
        address tokenL1,
        address tokenL2,
        uint256 claimedAmount,
        uint256 withdrawalBatchNumber,
        uint256 withdrawalMessageId,
        bytes32[] calldata withdrawalProof
    ) external nonReentrant {
        require(tokenL1 != ETH_TOKEN, "CommonBridge: ETH is claimed with claimWithdrawal()");
        _claim(
            l2WithdrawalTxHash,
            tokenL1,
            tokenL2,
            claimedAmount,
            withdrawalBatchNumber,
            withdrawalMessageId,
            withdrawalProof
        );
        IERC20(tokenL1).safeTransfer(msg.sender, claimedAmount);
    }

    /// @notice The sender a privileged transaction from `caller` has on the L2.
    function _l2Sender(address caller) internal view returns (address) {
        if (caller == tx.origin || _isDelegatedEoa(caller)) {
            return caller;
        }
        unchecked {
            return address(uint160(caller) + ALIAS_OFFSET);
        }
    }

    /// @notice Whether `account`'s code is an EIP-7702 delegation (0xef0100 ‖ address).
    function _isDelegatedEoa(address account) internal view returns (bool) {
        if (account.code.length != 23) {
            return false;
        }
        bytes memory code = account.code;
        return code[0] == 0xef && code[1] == 0x01 && code[2] == 0x00;
    }

    function _depositETH(address l2Recipient) internal {
        require(msg.value > 0, "CommonBridge: amount to deposit is zero");
        deposits[ETH_TOKEN][ETH_TOKEN] += msg.value;
        bytes memory data = abi.encodeCall(ICommonBridgeL2.mintETH, (l2Recipient));
        _sendToL2(L2_BRIDGE_ADDRESS, SendValues(L2_BRIDGE_ADDRESS, DEPOSIT_GAS_LIMIT, msg.value, data));
    }

    /// @notice Burns the L2 gas limit in L1 gas, records the hash and its deadline, emits the event.
    function _sendToL2(address from, SendValues memory sendValues) internal {
        _burnGas(sendValues.gasLimit);
        uint256 transactionId = pendingTxHashes.length;
        bytes32 txHash = keccak256(
            abi.encodePacked(
                from,
                sendValues.to,
                bytes32(transactionId),
                sendValues.value,
                sendValues.gasLimit,
                keccak256(sendValues.data)
            )
        );
        pendingTxHashes.push(txHash);
        privilegedTxDeadline[transactionId] = block.timestamp + inclusionMaxWait;
        emit PrivilegedTxSent(
            from, sendValues.to, transactionId, sendValues.value, sendValues.gasLimit, sendValues.data
        );
    }

    /// @notice Checks a withdrawal claim against a verified batch's root and the pair's deposits.
    function _claim(
        bytes32 l2WithdrawalTxHash,
        address tokenL1,
        address tokenL2,
        uint256 claimedAmount,
        uint256 withdrawalBatchNumber,
        uint256 withdrawalMessageId,
        bytes32[] calldata withdrawalProof
    ) internal {
        require(
            withdrawalBatchNumber <= IOnChainProposer(ON_CHAIN_PROPOSER).lastVerifiedBatch(),
            "CommonBridge: the withdrawal's batch is not verified"
        );
        require(!claimedWithdrawalIDs[withdrawalMessageId], "CommonBridge: the withdrawal was already claimed");
        bytes32 root = batchWithdrawalLogsMerkleRoots[withdrawalBatchNumber];
        require(root != bytes32(0), "CommonBridge: the batch has no withdrawals");
        bytes32 dataHash = keccak256(abi.encodePacked(tokenL1, tokenL2, msg.sender, claimedAmount));
        bytes32 leaf = keccak256(abi.encodePacked(l2WithdrawalTxHash, L2_BRIDGE_ADDRESS, dataHash, withdrawalMessageId));
        require(MerkleProof.verifyCalldata(withdrawalProof, root, leaf), "CommonBridge: invalid withdrawal proof");
        require(deposits[tokenL1][tokenL2] >= claimedAmount, "CommonBridge: the claim exceeds the pair's deposits");
        deposits[tokenL1][tokenL2] -= claimedAmount;
        claimedWithdrawalIDs[withdrawalMessageId] = true;
        emit WithdrawalClaimed(withdrawalMessageId);
    }

    /// @notice Consumes `amount` gas (an L1 -> L2 call pays its L2 gas limit in L1 gas).
    function _burnGas(uint256 amount) private view {
        uint256 startingGas = gasleft();
        while (startingGas - gasleft() < amount) {}
    }

    function _authorizeUpgrade(address) internal override onlyOwner {}
}
