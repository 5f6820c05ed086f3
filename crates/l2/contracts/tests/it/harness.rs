//! A small chain for the contract tests: an in-memory state run by ethrex's own EVM (Osaka),
//! one transaction at a time, each applied before the next; senders need no keys (the VM takes
//! the sender as given), and time moves only when a test moves it.

use std::collections::HashMap;

use alloy_primitives::{Address, B256, Bytes, Log, TxKind, U256};
use alloy_sol_types::{Revert, SolCall, SolError, SolEvent, SolValue};
use ethrex_common::{
    BlobParams, Fork,
    types::{Eip1559Tx, Eip4844Tx, Transaction},
};
use ethrex_l2_contracts::Contract;
use ethrex_vm::{BlockEnv, Database, Evm, InMemoryDb, TxResult};

use crate::abi;

/// Gas of every test transaction (the EIP-7825 cap is 2^24).
const GAS: u64 = 10_000_000;

pub struct Chain {
    db: InMemoryDb,
    pub env: BlockEnv,
}

impl Chain {
    pub fn new() -> Self {
        Chain {
            db: InMemoryDb::default(),
            env: BlockEnv {
                fork: Fork::Osaka,
                chain_id: 1,
                number: 1,
                coinbase: Address::ZERO,
                timestamp: 1_700_000_000,
                gas_limit: 60_000_000,
                base_fee: Some(U256::ZERO),
                difficulty: U256::ZERO,
                prev_randao: Some(B256::ZERO),
                excess_blob_gas: Some(0),
                blob_params: Some(BlobParams::PRAGUE),
                blob_base_fee_override: None,
            },
        }
    }

    /// Sets `address`'s balance (and creates it), keeping its nonce and code.
    pub fn fund(&mut self, address: Address, wei: U256) {
        let nonce = self.nonce(address);
        let code = self.code(address);
        self.db
            .insert_account(address, nonce, wei, code, HashMap::new());
    }

    /// Replaces `address`'s code (an EIP-7702 delegation, for one).
    pub fn set_code(&mut self, address: Address, code: Bytes) {
        let nonce = self.nonce(address);
        let balance = self.balance(address);
        self.db
            .insert_account(address, nonce, balance, code, HashMap::new());
    }

    pub fn advance_time(&mut self, seconds: u64) {
        self.env.timestamp += seconds;
        self.env.number += 1;
    }

    pub fn balance(&self, address: Address) -> U256 {
        self.db
            .account(&address)
            .unwrap()
            .map_or(U256::ZERO, |a| a.balance)
    }

    fn nonce(&self, address: Address) -> u64 {
        self.db.account(&address).unwrap().map_or(0, |a| a.nonce)
    }

    fn code(&self, address: Address) -> Bytes {
        match self.db.account(&address).unwrap() {
            Some(info) => self.db.code(&info.code_hash).unwrap(),
            None => Bytes::new(),
        }
    }

    /// Runs `tx` from `sender` and applies its changes; an invalid transaction panics.
    fn run(&mut self, tx: Transaction, sender: Address) -> Outcome {
        let mut evm = Evm::new(&self.db, self.env.clone());
        let result = evm
            .transact(&tx, sender)
            .unwrap_or_else(|e| panic!("invalid transaction: {e:?}"));
        let changes = evm.into_changes().unwrap();
        self.db.apply(&changes);
        Outcome(result)
    }

    fn tx(&self, from: Address, to: TxKind, value: U256, data: Vec<u8>) -> Transaction {
        Transaction::Eip1559(Eip1559Tx {
            chain_id: self.env.chain_id,
            nonce: self.nonce(from),
            gas_limit: GAS,
            to,
            value,
            data: data.into(),
            r: U256::from(1),
            s: U256::from(1),
            ..Default::default()
        })
    }

    /// Deploys `contract` with ABI-encoded constructor `args`, from `from`.
    pub fn deploy(&mut self, from: Address, contract: &Contract, args: &[u8]) -> Address {
        self.try_deploy(from, contract, args)
            .unwrap_or_else(|outcome| {
                panic!("deploying {} failed: {}", contract.name, outcome.reason())
            })
    }

    /// Deploys `contract`, or returns the failed outcome.
    pub fn try_deploy(
        &mut self,
        from: Address,
        contract: &Contract,
        args: &[u8],
    ) -> Result<Address, Outcome> {
        let mut code = contract.creation_code().unwrap().to_vec();
        code.extend_from_slice(args);
        let tx = self.tx(from, TxKind::Create, U256::ZERO, code);
        let outcome = self.run(tx, from);
        outcome.0.created.ok_or(outcome)
    }

    /// Sends `call` to `to` from `from` with `value` wei.
    pub fn send<C: SolCall>(
        &mut self,
        from: Address,
        to: Address,
        value: U256,
        call: C,
    ) -> Outcome {
        let tx = self.tx(from, TxKind::Call(to), value, call.abi_encode());
        self.run(tx, from)
    }

    /// Sends `value` wei to `to` from `from`, without data.
    pub fn send_value(&mut self, from: Address, to: Address, value: U256) -> Outcome {
        let tx = self.tx(from, TxKind::Call(to), value, Vec::new());
        self.run(tx, from)
    }

    /// Sends `call` to `to` from `from`.
    pub fn call<C: SolCall>(&mut self, from: Address, to: Address, call: C) -> Outcome {
        self.send(from, to, U256::ZERO, call)
    }

    /// Sends `call` in a blob transaction whose first versioned hash is `blob_hash`.
    pub fn call_with_blob<C: SolCall>(
        &mut self,
        from: Address,
        to: Address,
        call: C,
        blob_hash: B256,
    ) -> Outcome {
        let tx = Transaction::Eip4844(
            Eip4844Tx {
                chain_id: self.env.chain_id,
                nonce: self.nonce(from),
                gas_limit: GAS,
                to,
                data: call.abi_encode().into(),
                max_fee_per_blob_gas: U256::from(1_000u64),
                blob_versioned_hashes: vec![blob_hash],
                r: U256::from(1),
                s: U256::from(1),
                ..Default::default()
            },
            None,
        );
        self.run(tx, from)
    }

    /// Runs `call` as `eth_call` would (from a fresh account, nothing kept) and decodes its return.
    pub fn view<C: SolCall>(&self, to: Address, call: C) -> C::Return {
        let caller = Address::repeat_byte(0x5e);
        let tx = self.tx(caller, TxKind::Call(to), U256::ZERO, call.abi_encode());
        let result = Evm::new(&self.db, self.env.clone())
            .transact(&tx, caller)
            .unwrap();
        let outcome = Outcome(result);
        assert!(outcome.0.success, "view reverted: {}", outcome.reason());
        C::abi_decode_returns(&outcome.0.output).unwrap()
    }
}

/// What a transaction did.
pub struct Outcome(pub TxResult);

impl Outcome {
    /// The revert reason (or the halt), for messages.
    pub fn reason(&self) -> String {
        match Revert::abi_decode(&self.0.output) {
            Ok(revert) => revert.reason,
            Err(_) => format!("{:?} {}", self.0.halt, self.0.output),
        }
    }

    /// Asserts success; returns the logs.
    #[track_caller]
    pub fn ok(self) -> Vec<Log> {
        assert!(self.0.success, "reverted: {}", self.reason());
        self.0.logs
    }

    /// Asserts a revert whose reason contains `expected`.
    #[track_caller]
    pub fn reverts_with(self, expected: &str) {
        assert!(
            !self.0.success,
            "expected a revert with {expected:?}, but it succeeded"
        );
        let reason = self.reason();
        assert!(
            reason.contains(expected),
            "expected a revert with {expected:?}, got {reason:?}"
        );
    }

    /// Asserts a revert with the custom error `E`.
    #[track_caller]
    pub fn reverts_with_error<E: SolError>(self) {
        assert!(
            !self.0.success,
            "expected {}, but it succeeded",
            E::SIGNATURE
        );
        assert!(
            self.0.output.starts_with(&E::SELECTOR),
            "expected {}, got {}",
            E::SIGNATURE,
            self.0.output
        );
    }

    /// The events of type `E` among the logs (the transaction must have succeeded).
    #[track_caller]
    pub fn events<E: SolEvent>(self) -> Vec<E> {
        self.ok()
            .iter()
            .filter_map(|log| E::decode_log(log).ok().map(|l| l.data))
            .collect()
    }
}

/// The accounts of the rollup fixture.
pub const OWNER: Address = Address::repeat_byte(0x0a);
pub const COMMITTER: Address = Address::repeat_byte(0x0c);
pub const PROOF_SENDER: Address = Address::repeat_byte(0x0d);
pub const ALICE: Address = Address::repeat_byte(0xa1);
pub const BOB: Address = Address::repeat_byte(0xb0);
/// The L2's chain id.
pub const L2_CHAIN_ID: u64 = 65_536_999;
pub const GENESIS_ROOT: B256 = B256::repeat_byte(0x99);
pub const SP1_VK: B256 = B256::repeat_byte(0x51);
pub const RISC0_IMAGE_ID: B256 = B256::repeat_byte(0x52);
pub const INCLUSION_MAX_WAIT: u64 = 300;

pub fn ether(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18u64))
}

/// Which proofs the proposer requires.
#[derive(Debug, Clone, Copy, Default)]
pub struct Proofs {
    pub sp1: bool,
    pub risc0: bool,
}

/// An L1 with the rollup deployed as `ethrex l2 deploy` would: implementations behind proxies,
/// both initialized, the bridge linked to the proposer; mock verifiers always deployed.
pub struct Rollup {
    pub chain: Chain,
    pub bridge: Address,
    pub proposer: Address,
    pub sp1: Address,
    pub risc0: Address,
    /// The implementations behind the proxies.
    pub bridge_impl: Address,
    pub proposer_impl: Address,
}

impl Rollup {
    pub fn deploy(proofs: Proofs) -> Self {
        use ethrex_l2_contracts::{
            COMMON_BRIDGE, ERC1967_PROXY, ON_CHAIN_PROPOSER,
            testing::{MOCK_RISC0_VERIFIER, MOCK_SP1_VERIFIER},
        };
        let mut chain = Chain::new();
        for account in [OWNER, COMMITTER, PROOF_SENDER, ALICE, BOB] {
            chain.fund(account, ether(1_000));
        }
        let sp1 = chain.deploy(OWNER, &MOCK_SP1_VERIFIER, &[]);
        let risc0 = chain.deploy(OWNER, &MOCK_RISC0_VERIFIER, &[]);
        let proposer_impl = chain.deploy(OWNER, &ON_CHAIN_PROPOSER, &[]);
        let init = abi::OnChainProposer::initializeCall {
            owner: OWNER,
            verifiers: abi::VerifierConfig {
                requireRisc0Proof: proofs.risc0,
                requireSp1Proof: proofs.sp1,
                requireTdxProof: false,
                risc0Verifier: risc0,
                sp1Verifier: sp1,
                tdxVerifier: Address::ZERO,
                risc0Vk: RISC0_IMAGE_ID,
                sp1Vk: SP1_VK,
            },
            genesisStateRoot: GENESIS_ROOT,
            sequencerAddresses: vec![COMMITTER, PROOF_SENDER],
            chainId: U256::from(L2_CHAIN_ID),
        };
        let proposer = chain.deploy(
            OWNER,
            &ERC1967_PROXY,
            &(proposer_impl, Bytes::from(init.abi_encode())).abi_encode_params(),
        );
        let bridge_impl = chain.deploy(OWNER, &COMMON_BRIDGE, &[]);
        let init = abi::CommonBridge::initializeCall {
            owner: OWNER,
            onChainProposer: proposer,
            inclusionMaxWait: U256::from(INCLUSION_MAX_WAIT),
        };
        let bridge = chain.deploy(
            OWNER,
            &ERC1967_PROXY,
            &(bridge_impl, Bytes::from(init.abi_encode())).abi_encode_params(),
        );
        chain
            .call(
                OWNER,
                proposer,
                abi::OnChainProposer::initializeBridgeAddressCall { bridge },
            )
            .ok();
        Rollup {
            chain,
            bridge,
            proposer,
            sp1,
            risc0,
            bridge_impl,
            proposer_impl,
        }
    }

    /// Commits batch `number` with a blob and the given roots, from the committer.
    pub fn commit(&mut self, batch: &Batch) -> Outcome {
        let call = abi::OnChainProposer::commitBatchCall {
            batchNumber: U256::from(batch.number),
            newStateRoot: batch.state_root,
            withdrawalsLogsMerkleRoot: batch.withdrawals_root,
            processedPrivilegedTransactionsRollingHash: batch.rolling_hash,
            lastBlockHash: batch.last_block_hash,
            nonPrivilegedTransactions: U256::from(batch.non_privileged),
        };
        self.chain
            .call_with_blob(COMMITTER, self.proposer, call, batch.blob_hash)
    }

    /// Verifies batch `number` with empty proofs, from the proof sender.
    pub fn verify(&mut self, number: u64) -> Outcome {
        self.verify_with(number, Bytes::new(), Bytes::new())
    }

    pub fn verify_with(&mut self, number: u64, risc0_seal: Bytes, sp1_proof: Bytes) -> Outcome {
        let call = abi::OnChainProposer::verifyBatchCall {
            batchNumber: U256::from(number),
            risc0BlockProof: risc0_seal,
            sp1ProofBytes: sp1_proof,
            tdxSignature: Bytes::new(),
        };
        self.chain.call(PROOF_SENDER, self.proposer, call)
    }

    pub fn last_committed(&self) -> u64 {
        self.chain
            .view(
                self.proposer,
                abi::OnChainProposer::lastCommittedBatchCall {},
            )
            .to()
    }

    pub fn last_verified(&self) -> u64 {
        self.chain
            .view(
                self.proposer,
                abi::OnChainProposer::lastVerifiedBatchCall {},
            )
            .to()
    }

    /// The bridge's pending privileged transaction hashes.
    pub fn pending(&self) -> Vec<B256> {
        self.chain.view(
            self.bridge,
            abi::CommonBridge::getPendingTransactionHashesCall {},
        )
    }
}

/// The fields of a commit.
#[derive(Debug, Clone)]
pub struct Batch {
    pub number: u64,
    pub state_root: B256,
    pub withdrawals_root: B256,
    pub rolling_hash: B256,
    pub last_block_hash: B256,
    pub non_privileged: u64,
    pub blob_hash: B256,
}

impl Batch {
    /// A valid batch `number`: no privileged transactions, no withdrawals.
    pub fn new(number: u64) -> Self {
        let byte = u8::try_from(number).unwrap();
        let mut blob_hash = B256::repeat_byte(byte);
        blob_hash[0] = 0x01;
        Batch {
            number,
            state_root: B256::repeat_byte(byte.wrapping_add(0x20)),
            withdrawals_root: B256::ZERO,
            rolling_hash: B256::ZERO,
            last_block_hash: B256::repeat_byte(byte.wrapping_add(0x40)),
            non_privileged: 1,
            blob_hash,
        }
    }
}
