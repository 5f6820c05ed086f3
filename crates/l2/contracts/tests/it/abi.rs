//! The contracts' interfaces as `alloy-sol-types` types (calls, returns, events), written from
//! the Solidity sources.

#![allow(clippy::too_many_arguments)]

use alloy_sol_types::sol;

sol! {
    struct SendValues {
        address to;
        uint256 gasLimit;
        uint256 value;
        bytes data;
    }

    #[derive(Default)]
    struct VerifierConfig {
        bool requireRisc0Proof;
        bool requireSp1Proof;
        bool requireTdxProof;
        address risc0Verifier;
        address sp1Verifier;
        address tdxVerifier;
        bytes32 risc0Vk;
        bytes32 sp1Vk;
    }

    interface CommonBridge {
        event PrivilegedTxSent(address indexed from, address indexed to, uint256 indexed transactionId, uint256 value, uint256 gasLimit, bytes data);
        event WithdrawalClaimed(uint256 indexed withdrawalMessageId);
        function initialize(address owner, address onChainProposer, uint256 inclusionMaxWait);
        function deposit(address l2Recipient) payable;
        function depositERC20(address tokenL1, address tokenL2, address destination, uint256 amount);
        function sendToL2(SendValues sendValues);
        function claimWithdrawal(bytes32 l2WithdrawalTxHash, uint256 claimedAmount, uint256 withdrawalBatchNumber, uint256 withdrawalMessageId, bytes32[] withdrawalProof);
        function claimWithdrawalERC20(bytes32 l2WithdrawalTxHash, address tokenL1, address tokenL2, uint256 claimedAmount, uint256 withdrawalBatchNumber, uint256 withdrawalMessageId, bytes32[] withdrawalProof);
        function pendingTxHashes(uint256 id) returns (bytes32);
        function batchWithdrawalLogsMerkleRoots(uint256 batch) returns (bytes32);
        function deposits(address tokenL1, address tokenL2) returns (uint256);
        function claimedWithdrawalIDs(uint256 id) returns (bool);
        function getPendingTransactionHashes() returns (bytes32[]);
        function getPendingTransactionsVersionedHash(uint16 number) returns (bytes32);
        function hasExpiredPrivilegedTransactions() returns (bool);
        function removePendingTransactionHashes(uint16 number);
        function publishWithdrawals(uint256 withdrawalBatchNumber, bytes32 withdrawalsLogsMerkleRoot);
        function owner() returns (address);
    }

    interface OnChainProposer {
        event BatchCommitted(uint256 indexed batchNumber, bytes32 newStateRoot);
        event BatchVerified(uint256 indexed batchNumber);
        function initialize(address owner, VerifierConfig verifiers, bytes32 genesisStateRoot, address[] sequencerAddresses, uint256 chainId);
        function initializeBridgeAddress(address bridge);
        function commitBatch(uint256 batchNumber, bytes32 newStateRoot, bytes32 withdrawalsLogsMerkleRoot, bytes32 processedPrivilegedTransactionsRollingHash, bytes32 lastBlockHash, uint256 nonPrivilegedTransactions);
        function verifyBatch(uint256 batchNumber, bytes risc0BlockProof, bytes sp1ProofBytes, bytes tdxSignature);
        function lastCommittedBatch() returns (uint256);
        function lastVerifiedBatch() returns (uint256);
        function batchCommitments(uint256 batch) returns (bytes32 newStateRoot, bytes32 blobVersionedHash, bytes32 withdrawalsLogsMerkleRoot, bytes32 processedPrivilegedTransactionsRollingHash, bytes32 lastBlockHash, uint256 nonPrivilegedTransactions);
        function publicInputsOf(uint256 batch) returns (bytes);
        function REQUIRE_SP1_PROOF() returns (bool);
        function REQUIRE_RISC0_PROOF() returns (bool);
    }

    interface Upgradeable {
        error OwnableUnauthorizedAccount(address account);
        error InvalidInitialization();
        error UUPSUnauthorizedCallContext();
        function upgradeToAndCall(address newImplementation, bytes data) payable;
        function owner() returns (address);
        function pendingOwner() returns (address);
        function transferOwnership(address newOwner);
        function acceptOwnership();
    }

    interface CommonBridgeL2 {
        function withdraw(address _receiverOnL1) payable;
        function mintETH(address to) payable;
        function mintERC20(address tokenL1, address tokenL2, address destination, uint256 amount);
        function withdrawERC20(address _token, address _receiverOnL1, uint256 _value);
    }

    interface Messenger {
        event L1Message(address indexed senderOnL2, bytes32 indexed data, uint256 messageId);
        function sendMessageToL1(bytes32 data);
        function lastMessageId() returns (uint256);
    }

    interface MockSP1Verifier {
        function expect(bytes32 vKey, bytes publicValues, bytes proofBytes);
    }

    interface MockRisc0Verifier {
        function expect(bytes32 imageId, bytes32 journalDigest, bytes seal);
    }

    interface TestToken {
        function mint(address to, uint256 amount);
        function approve(address spender, uint256 amount) returns (bool);
        function balanceOf(address owner) returns (uint256);
    }

    interface BridgeCaller {
        function callSendToL2(address bridge, SendValues sendValues);
    }
}
