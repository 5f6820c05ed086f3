//! What the committer and proof-sender tests stand on: a real L1 (`ethrex --dev --datadir
//! memory` on loopback) with the rollup contracts deployed by `ethrex_l2_sdk::deploy`, deposits
//! made on it, and an in-process rollup chain over `fixtures/genesis/l2.json` whose blocks the
//! real [`BlockProducer`] makes from what the real [`Watcher`] queued and the mempool holds.

use std::{
    path::PathBuf,
    sync::Arc,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use alloy_primitives::{Address, B256, Bytes, TxKind, U256};
use alloy_sol_types::SolCall;
use ethrex_blockchain::{Blockchain, mempool::Mempool};
use ethrex_common::{
    Genesis,
    types::{Eip1559Tx, Transaction},
};
use ethrex_l2_sdk::{
    EthClient,
    calls::{ICommonBridge, IOnChainProposer},
    deploy::{DEFAULT_SALT, DeployOptions, Deployed, deploy},
    tx::{Call, Signer},
};
use ethrex_l2_sequencer::{
    BlockProducerConfig, CommitterConfig, Shared, WatcherConfig, block_producer::BlockProducer,
    committer::Committer, state::RollupState, watcher::Watcher,
};
use ethrex_storage::Store;
use ethrex_test_utils::{
    node::Node,
    tx::{dev_address, dev_secret, sign},
};

/// Rich account #189 of the dev keys: deployer, owners and committer.
pub const COMMITTER: usize = 189;
/// Rich account #190: the proof sender.
pub const PROOF_SENDER: usize = 190;
/// An L1 account making deposits.
pub const DEPOSITOR: usize = 7;
pub const L2_CHAIN_ID: u64 = 65_536_999;
pub const GWEI: u64 = 1_000_000_000;
pub const ETHER: u64 = 1_000_000_000_000_000_000;
pub const RECEIPT_TIMEOUT: Duration = Duration::from_secs(60);

/// The `ethrex` binary: `$ETHREX_BIN`, or `ethrex` in the target directory these tests were
/// built into (`cargo build -p ethrex` puts it there; a workspace test run builds it).
pub fn ethrex_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("ETHREX_BIN") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(|deps| deps.parent()).unwrap();
    let path = profile_dir.join("ethrex");
    assert!(
        path.exists(),
        "{} is missing: build it with `cargo build -p ethrex` (or set ETHREX_BIN)",
        path.display()
    );
    path
}

pub fn l2_genesis() -> Genesis {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../fixtures/genesis/l2.json"
    );
    Genesis::from_json(&std::fs::read_to_string(path).unwrap()).unwrap()
}

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// An L1 with the rollup contracts.
pub struct L1 {
    pub node: Node,
    pub client: EthClient,
    pub deployed: Deployed,
}

impl L1 {
    /// Starts `ethrex --dev --datadir memory` and deploys the contracts (no proof required,
    /// 1800 s of inclusion wait).
    pub fn start() -> Self {
        Self::start_with(|_| {})
    }

    /// [`L1::start`] with the deploy options changed by `change`.
    pub fn start_with(change: impl FnOnce(&mut DeployOptions)) -> Self {
        Self::start_node(&[], change)
    }

    /// [`L1::start_with`], the node also given `extra` arguments.
    pub fn start_node(extra: &[&str], change: impl FnOnce(&mut DeployOptions)) -> Self {
        let mut args = vec!["--dev", "--datadir", "memory"];
        args.extend_from_slice(extra);
        let node = Node::start(&ethrex_binary(), &args);
        let client = EthClient::new(&format!("http://{}", node.http)).unwrap();
        let mut options = DeployOptions {
            deployer: Signer::new(dev_secret(COMMITTER)).unwrap(),
            l2_genesis: l2_genesis(),
            bridge_owner: dev_address(COMMITTER),
            on_chain_proposer_owner: dev_address(COMMITTER),
            committer: dev_address(COMMITTER),
            proof_sender: dev_address(PROOF_SENDER),
            salt: DEFAULT_SALT,
            inclusion_max_wait: 1800,
            sp1: Default::default(),
            risc0: Default::default(),
            tdx: Default::default(),
            receipt_timeout: RECEIPT_TIMEOUT,
        };
        change(&mut options);
        let deployed = deploy(&client, &options, &mut |_| {}).unwrap();
        L1 {
            node,
            client,
            deployed,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.node.http)
    }

    /// Deposits `value` wei for `to` on the L2 from the depositor.
    pub fn deposit(&self, to: Address, value: u64) {
        let data = ICommonBridge::depositCall { l2Recipient: to }.abi_encode();
        let call = Call::new(self.deployed.bridge, data).with_value(U256::from(value));
        self.client
            .send_and_wait(
                &Signer::new(dev_secret(DEPOSITOR)).unwrap(),
                "deposit",
                &call,
                RECEIPT_TIMEOUT,
            )
            .unwrap();
    }

    /// A view call of the `OnChainProposer`.
    pub fn proposer<C: SolCall>(&self, call: C) -> C::Return {
        self.view(self.deployed.on_chain_proposer, call)
    }

    /// A view call of the `CommonBridge`.
    pub fn bridge<C: SolCall>(&self, call: C) -> C::Return {
        self.view(self.deployed.bridge, call)
    }

    fn view<C: SolCall>(&self, to: Address, call: C) -> C::Return {
        let answer = self
            .client
            .call(&ethrex_l2_sdk::client::CallRequest {
                to: Some(to),
                data: call.abi_encode().into(),
                ..Default::default()
            })
            .unwrap();
        C::abi_decode_returns(&answer).unwrap()
    }

    /// A plain L1 transfer: a new L1 block, with the current time.
    pub fn new_block(&self) {
        let signer = Signer::new(dev_secret(DEPOSITOR)).unwrap();
        let call = Call::transfer(Address::repeat_byte(0x99), U256::from(1));
        self.client
            .send_and_wait(&signer, "transfer", &call, RECEIPT_TIMEOUT)
            .unwrap();
    }

    pub fn last_committed(&self) -> u64 {
        self.proposer(IOnChainProposer::lastCommittedBatchCall {})
            .to::<u64>()
    }

    pub fn last_verified(&self) -> u64 {
        self.proposer(IOnChainProposer::lastVerifiedBatchCall {})
            .to::<u64>()
    }

    /// The committer's settings: commit with the committer key, cell proofs unless
    /// `osaka_activation_time` is ahead.
    pub fn committer_config(&self, osaka_activation_time: Option<u64>) -> CommitterConfig {
        CommitterConfig {
            l1_private_key: dev_secret(COMMITTER),
            commit_time_ms: 1_000,
            batch_gas_limit: None,
            osaka_activation_time,
        }
    }

    /// A committer talking to the L1 at `url` (the node's, or a proxy in front of it).
    pub fn committer(&self, url: &str, state: &RollupState, osaka: Option<u64>) -> Committer {
        Committer::new(
            EthClient::new(url).unwrap(),
            state.clone(),
            self.deployed.bridge,
            self.deployed.on_chain_proposer,
            self.committer_config(osaka),
        )
        .unwrap()
        .with_receipt_timeout(RECEIPT_TIMEOUT)
    }
}

/// A rollup chain in process, fed by a watcher of `l1`.
pub struct L2 {
    pub chain: Arc<Blockchain>,
    pub state: RollupState,
    pub mempool: Arc<Mempool>,
    pub shared: Arc<Shared>,
    producer: BlockProducer,
    watcher: Option<Watcher>,
}

impl L2 {
    /// A rollup chain whose deposits a watcher of `l1` queues.
    pub fn new(l1: &L1) -> Self {
        let mut l2 = Self::local();
        l2.watcher = Some(Watcher::new(
            l1.client.clone(),
            l1.deployed.bridge,
            L2_CHAIN_ID,
            WatcherConfig {
                block_delay: 0,
                ..WatcherConfig::default()
            },
            l2.state.clone(),
        ));
        l2
    }

    /// A rollup chain without an L1 (deposits queued by hand).
    pub fn local() -> Self {
        let store = Store::in_memory();
        store.init_genesis(&l2_genesis()).unwrap();
        let chain = Arc::new(Blockchain::new_rollup(store.clone()).unwrap());
        let state = RollupState::new(store);
        let mempool = Arc::new(Mempool::new(1000));
        let shared = Shared::new();
        let config = BlockProducerConfig {
            coinbase: Address::repeat_byte(0xc0),
            base_fee_vault: Some(Address::repeat_byte(0x0b)),
            operator_fee_vault: Some(Address::repeat_byte(0x0c)),
            operator_fee_per_gas: 1_000,
            ..BlockProducerConfig::default()
        };
        let producer = BlockProducer::new(
            Arc::clone(&chain),
            Arc::clone(&mempool),
            state.clone(),
            config,
        );
        L2 {
            chain,
            state,
            mempool,
            shared,
            producer,
            watcher: None,
        }
    }

    /// One watcher round: how many deposits it queued.
    pub fn watch(&mut self) -> usize {
        let watcher = self.watcher.as_mut().expect("a rollup chain with an L1");
        watcher.step(&self.shared).unwrap()
    }

    /// Produces a block with what is queued and `txs` (through the mempool); returns its
    /// number and its privileged transactions' count.
    pub fn produce(&self, txs: Vec<Transaction>) -> (u64, usize) {
        for tx in txs {
            self.mempool.add_transaction(&self.chain, tx).unwrap();
        }
        let produced = self.producer.produce(&self.shared, now()).unwrap();
        (produced.number, produced.privileged)
    }

    pub fn block_hash(&self, number: u64) -> B256 {
        self.chain.store().canonical_hash(number).unwrap().unwrap()
    }
}

/// An L2 transfer of `value` wei from dev account `from`.
pub fn transfer(from: usize, nonce: u64, to: Address, value: u64) -> Transaction {
    l2_tx(from, nonce, to, value, Bytes::new(), 21_000)
}

/// An L2 EIP-1559 transaction from dev account `from` (1 gwei tip, 10 gwei cap).
pub fn l2_tx(
    from: usize,
    nonce: u64,
    to: Address,
    value: u64,
    data: Bytes,
    gas_limit: u64,
) -> Transaction {
    let tx = Transaction::Eip1559(Eip1559Tx {
        chain_id: L2_CHAIN_ID,
        nonce,
        max_priority_fee_per_gas: U256::from(GWEI),
        max_fee_per_gas: U256::from(10 * GWEI),
        gas_limit,
        to: TxKind::Call(to),
        value: U256::from(value),
        data,
        ..Default::default()
    });
    sign(tx, &dev_secret(from))
}
