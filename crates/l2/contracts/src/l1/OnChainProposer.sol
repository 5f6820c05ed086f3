// SPDX-License-Identifier: MIT
pragma solidity ^0.8.31;

import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts-upgradeable/proxy/utils/UUPSUpgradeable.sol";
import {Ownable2StepUpgradeable} from "@openzeppelin/contracts-upgradeable/access/Ownable2StepUpgradeable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {IOnChainProposer} from "./interfaces/IOnChainProposer.sol";
import {ICommonBridge} from "./interfaces/ICommonBridge.sol";
import {ISP1Verifier} from "./interfaces/ISP1Verifier.sol";
import {IRiscZeroVerifier} from "./interfaces/IRiscZeroVerifier.sol";
import {ITDXVerifier} from "./interfaces/ITDXVerifier.sol";

/// @title OnChainProposer: batch commitments and their verification (UUPS, behind an ERC1967Proxy).
/// @notice Batches are committed in order by an authorized sequencer (consuming the bridge's
/// pending privileged transactions and publishing the batch's withdrawal root), then verified in
/// order against the proofs each required verifier accepts.
/// @dev Batch 0 is the L2 genesis, committed and verified at `initialize`. The public inputs of
/// batch n are 8 words: batch n-1's state root, the new state root, the withdrawal root, the
/// privileged rolling hash, the blob versioned hash, the last block hash, the chain id and the
/// count of non-privileged transactions.
contract OnChainProposer is
    IOnChainProposer,
    Initializable,
    UUPSUpgradeable,
    Ownable2StepUpgradeable,
    ReentrancyGuardTransient
{
    /// @notice What each committed batch is verified against, by batch number.
    mapping(uint256 => BatchCommitmentInfo) public batchCommitments;
    /// @inheritdoc IOnChainProposer
    uint256 public lastCommittedBatch;
    /// @inheritdoc IOnChainProposer
    uint256 public lastVerifiedBatch;
    /// @notice Accounts allowed to commit and verify (the committer and the proof sender).
    mapping(address => bool) public authorizedSequencerAddresses;

    bool public REQUIRE_RISC0_PROOF;
    bool public REQUIRE_SP1_PROOF;
    bool public REQUIRE_TDX_PROOF;
    address public RISC0_VERIFIER_ADDRESS;
    address public SP1_VERIFIER_ADDRESS;
    address public TDX_VERIFIER_ADDRESS;
    /// @notice The guest program's RISC0 image id.
    bytes32 public RISC0_VERIFICATION_KEY;
    /// @notice The guest program's SP1 verification key.
    bytes32 public SP1_VERIFICATION_KEY;
    /// @notice The L2's chain id (a public input).
    uint256 public CHAIN_ID;
    /// @notice The CommonBridge (proxy).
    address public BRIDGE;

    modifier onlySequencer() {
        require(authorizedSequencerAddresses[msg.sender], "OnChainProposer: caller is not an authorized sequencer");
        _;
    }

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    /// @notice Sets the owner, the proof requirements and verifiers, the genesis state root
    /// (batch 0), the sequencers and the L2 chain id. A required proof needs its verifier.
    function initialize(
        address owner,
        VerifierConfig calldata verifiers,
        bytes32 genesisStateRoot,
        address[] calldata sequencerAddresses,
        uint256 chainId
    ) public initializer {
        require(
            !verifiers.requireRisc0Proof || verifiers.risc0Verifier != address(0),
            "OnChainProposer: RISC0 required without a verifier"
        );
        require(
            !verifiers.requireSp1Proof || verifiers.sp1Verifier != address(0),
            "OnChainProposer: SP1 required without a verifier"
        );
        require(
            !verifiers.requireTdxProof || verifiers.tdxVerifier != address(0),
            "OnChainProposer: TDX required without a verifier"
        );
        REQUIRE_RISC0_PROOF = verifiers.requireRisc0Proof;
        REQUIRE_SP1_PROOF = verifiers.requireSp1Proof;
        REQUIRE_TDX_PROOF = verifiers.requireTdxProof;
        RISC0_VERIFIER_ADDRESS = verifiers.risc0Verifier;
        SP1_VERIFIER_ADDRESS = verifiers.sp1Verifier;
        TDX_VERIFIER_ADDRESS = verifiers.tdxVerifier;
        RISC0_VERIFICATION_KEY = verifiers.risc0Vk;
        SP1_VERIFICATION_KEY = verifiers.sp1Vk;
        CHAIN_ID = chainId;
        batchCommitments[0].newStateRoot = genesisStateRoot;
        for (uint256 i = 0; i < sequencerAddresses.length; i++) {
            authorizedSequencerAddresses[sequencerAddresses[i]] = true;
        }
        __Ownable_init(owner);
    }

    /// @notice Sets the bridge once (it is deployed after this contract).
    function initializeBridgeAddress(address bridge) external onlyOwner {
        require(BRIDGE == address(0), "OnChainProposer: the bridge is already set");
        require(bridge != address(0), "OnChainProposer: zero bridge");
        BRIDGE = bridge;
    }

    /// @inheritdoc IOnChainProposer
    function commitBatch(
        uint256 batchNumber,
        bytes32 newStateRoot,
        bytes32 withdrawalsLogsMerkleRoot,
        bytes32 processedPrivilegedTransactionsRollingHash,
        bytes32 lastBlockHash,
        uint256 nonPrivilegedTransactions
    ) external onlySequencer nonReentrant {
        require(batchNumber == lastCommittedBatch + 1, "OnChainProposer: batch number is not the next one");
        require(lastBlockHash != bytes32(0), "OnChainProposer: the last block hash is zero");
        require(BRIDGE != address(0), "OnChainProposer: the bridge is not set");
        if (processedPrivilegedTransactionsRollingHash != bytes32(0)) {
            uint16 count = uint16(bytes2(processedPrivilegedTransactionsRollingHash));
            require(
                ICommonBridge(BRIDGE).getPendingTransactionsVersionedHash(count)
                    == processedPrivilegedTransactionsRollingHash,
                "OnChainProposer: the privileged transactions rolling hash does not match the bridge's"
            );
            ICommonBridge(BRIDGE).removePendingTransactionHashes(count);
        }
        if (withdrawalsLogsMerkleRoot != bytes32(0)) {
            ICommonBridge(BRIDGE).publishWithdrawals(batchNumber, withdrawalsLogsMerkleRoot);
        }
        bytes32 blobVersionedHash = blobhash(0);
        require(blobVersionedHash != bytes32(0), "OnChainProposer: the commit transaction carries no blob");
        require(
            nonPrivilegedTransactions == 0 || !ICommonBridge(BRIDGE).hasExpiredPrivilegedTransactions(),
            "OnChainProposer: expired privileged transactions must be included first"
        );
        batchCommitments[batchNumber] = BatchCommitmentInfo(
            newStateRoot,
            blobVersionedHash,
            withdrawalsLogsMerkleRoot,
            processedPrivilegedTransactionsRollingHash,
            lastBlockHash,
            nonPrivilegedTransactions
        );
        lastCommittedBatch = batchNumber;
        emit BatchCommitted(batchNumber, newStateRoot);
    }

    /// @inheritdoc IOnChainProposer
    function verifyBatch(
        uint256 batchNumber,
        bytes calldata risc0BlockProof,
        bytes calldata sp1ProofBytes,
        bytes calldata tdxSignature
    ) external onlySequencer nonReentrant {
        require(batchNumber == lastVerifiedBatch + 1, "OnChainProposer: batch number is not the next to verify");
        require(batchNumber <= lastCommittedBatch, "OnChainProposer: the batch is not committed");
        bytes memory publicInputs = publicInputsOf(batchNumber);
        if (REQUIRE_RISC0_PROOF) {
            IRiscZeroVerifier(RISC0_VERIFIER_ADDRESS).verify(
                risc0BlockProof, RISC0_VERIFICATION_KEY, sha256(publicInputs)
            );
        }
        if (REQUIRE_SP1_PROOF) {
            ISP1Verifier(SP1_VERIFIER_ADDRESS).verifyProof(SP1_VERIFICATION_KEY, publicInputs, sp1ProofBytes);
        }
        if (REQUIRE_TDX_PROOF) {
            ITDXVerifier(TDX_VERIFIER_ADDRESS).verify(publicInputs, tdxSignature);
        }
        lastVerifiedBatch = batchNumber;
        emit BatchVerified(batchNumber);
    }

    /// @notice The 256 bytes of public inputs a proof of committed batch `batchNumber` proves.
    function publicInputsOf(uint256 batchNumber) public view returns (bytes memory) {
        require(batchNumber > 0 && batchNumber <= lastCommittedBatch, "OnChainProposer: the batch is not committed");
        BatchCommitmentInfo storage batch = batchCommitments[batchNumber];
        return abi.encode(
            batchCommitments[batchNumber - 1].newStateRoot,
            batch.newStateRoot,
            batch.withdrawalsLogsMerkleRoot,
            batch.processedPrivilegedTransactionsRollingHash,
            batch.blobVersionedHash,
            batch.lastBlockHash,
            CHAIN_ID,
            batch.nonPrivilegedTransactions
        );
    }

    function _authorizeUpgrade(address) internal override onlyOwner {}
}
