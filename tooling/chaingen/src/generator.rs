//! [`Generator`]: the generated chain, block by block: the genesis, then each block built by
//! `ethrex_blockchain::build_block` over the head state from the workload's transactions.
//!
//! Blocks follow every 12 seconds, pay [`FEE_RECIPIENT`], carry no withdrawals and a zero
//! parent beacon block root, and keep the genesis gas limit. Their transactions use up to the
//! EIP-1559 gas target (half the gas limit), not the whole limit: a full block raises the base
//! fee by 12.5%, so a chain of full blocks would overflow the 64-bit base fee after about 200
//! blocks. At the target the base fee stays put (it drifts down slightly, as a block rarely
//! lands exactly on it).

use alloy_primitives::{Address, B256, Bytes, address, keccak256};
use ethrex_blockchain::{
    BlockAttributes, BuiltBlock,
    header::{fork_of, next_base_fee},
};
use ethrex_common::{ChainConfig, types::Header};

use crate::{
    ChainParams, Error, Result,
    genesis::{self, CHAIN_ID, FORK},
    state::ChainState,
    workload::{self, Workload, WorkloadParams},
};

/// Receives the priority fees of every block.
pub const FEE_RECIPIENT: Address = address!("0000000000000000000000000000000000c0ffee");
/// Seconds between blocks.
pub const BLOCK_TIME: u64 = 12;
/// The smallest gas limit accepted: room for a few transactions at the gas target.
pub const MIN_GAS_LIMIT: u64 = 200_000;
/// EIP-1559's elasticity: the gas target is the limit over this.
const ELASTICITY: u64 = 2;

/// Generates a chain.
#[derive(Debug)]
pub struct Generator {
    config: ChainConfig,
    genesis_json: String,
    state: ChainState,
    head: Header,
    workload: Workload,
}

impl Generator {
    /// The genesis of the chain `params` describes.
    pub fn new(params: &ChainParams) -> Result<Self> {
        check(params)?;
        let senders = workload::senders(params.seed, params.senders)?;
        let addresses: Vec<Address> = senders.iter().map(|s| s.address).collect();
        let genesis = genesis::genesis(&addresses, params.gas_limit)?;
        let genesis_json = serde_json::to_string_pretty(&genesis)
            .map_err(|e| Error::Internal(format!("genesis to JSON: {e}")))?;
        // Read back as the node reads it, so the chain follows the node's view of the file.
        let parsed = ethrex_common::Genesis::from_json(&genesis_json)?;
        let config = parsed.config().clone();
        let head = parsed.header()?;
        let mut state = ChainState::new(genesis::in_memory_db(&genesis))?;
        if state.root() != head.state_root {
            return Err(Error::Internal(format!(
                "genesis state root {} from the file, {} from the state",
                head.state_root,
                state.root()
            )));
        }
        state.insert_block_hash(0, head.hash_slow());
        let erc20_execution_gas = workload::erc20_execution_gas(
            &config,
            &head,
            state.db(),
            &senders[0],
            senders[1].address,
        )?;
        let workload_params = WorkloadParams {
            chain_id: CHAIN_ID,
            fork: FORK,
            seed: params.seed,
            erc20_share: params.erc20_share,
            erc20_execution_gas,
        };
        Ok(Generator {
            config,
            genesis_json,
            state,
            head,
            workload: Workload::new(workload_params, senders)?,
        })
    }

    /// The genesis file, as written.
    pub fn genesis_json(&self) -> &str {
        &self.genesis_json
    }

    pub fn config(&self) -> &ChainConfig {
        &self.config
    }

    /// The last block's header (the genesis header at first).
    pub fn head(&self) -> &Header {
        &self.head
    }

    /// The head state.
    pub fn state(&self) -> &ethrex_vm::InMemoryDb {
        self.state.db()
    }

    /// Builds the next block and makes it the head.
    pub fn next_block(&mut self) -> Result<BuiltBlock> {
        let parent = &self.head;
        let number = parent.number + 1;
        let attributes = BlockAttributes {
            timestamp: parent.timestamp + BLOCK_TIME,
            fee_recipient: FEE_RECIPIENT,
            prev_randao: keccak256(number.to_be_bytes()),
            gas_limit: parent.gas_limit,
            extra_data: Bytes::new(),
            withdrawals: Some(Vec::new()),
            parent_beacon_block_root: Some(B256::ZERO),
        };
        let base_fee = next_base_fee(parent, fork_of(&self.config, parent));
        let transactions = self
            .workload
            .block_transactions(base_fee, parent.gas_limit / ELASTICITY)?;
        let built = self
            .state
            .build(&self.config, parent, attributes, transactions)?;
        // Every transaction took a nonce: one left out breaks the sender's later ones.
        if let Some(skipped) = built.skipped.first() {
            return Err(Error::Skipped {
                number,
                count: built.skipped.len(),
                first: skipped.reason.to_string(),
            });
        }
        let header = &built.block.header;
        self.state.insert_block_hash(number, header.hash_slow());
        self.head = header.clone();
        Ok(built)
    }
}

/// Checks the parameters.
fn check(params: &ChainParams) -> Result<()> {
    if params.senders < 2 {
        return Err(Error::Params(format!(
            "--senders {}: at least 2 are needed (ERC20 transfers go between senders)",
            params.senders
        )));
    }
    if params.erc20_share > 100 {
        return Err(Error::Params(format!(
            "--erc20-share {} is not a percentage",
            params.erc20_share
        )));
    }
    if params.gas_limit < MIN_GAS_LIMIT {
        return Err(Error::Params(format!(
            "--gas-limit {} is below the minimum {MIN_GAS_LIMIT}",
            params.gas_limit
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use alloy_primitives::U256;
    use ethrex_blockchain::{BlockError, execute_block};
    use ethrex_common::types::Transaction;
    use ethrex_vm::{InMemoryDb, StateChanges};

    use super::*;
    use crate::{
        erc20::{self, TOKEN},
        state::tests::root_from_scratch,
        system_contracts::SYSTEM_CONTRACTS,
        workload::{PRIORITY_FEE, TRANSFER_GAS},
    };

    fn params(senders: usize, gas_limit: u64, erc20_share: u8) -> ChainParams {
        ChainParams {
            senders,
            gas_limit,
            erc20_share,
            seed: 7,
        }
    }

    /// `changes` in a canonical order (the VM's follows hash maps).
    fn sorted(mut changes: StateChanges) -> StateChanges {
        changes.accounts.sort_by_key(|a| a.address);
        for account in &mut changes.accounts {
            account.storage.sort();
        }
        changes
    }

    /// Balances as the transfers imply them, computed without the VM.
    #[derive(Default)]
    struct Ledger {
        ether: HashMap<Address, U256>,
        tokens: HashMap<Address, U256>,
    }

    impl Ledger {
        fn of(db: &InMemoryDb) -> Self {
            let mut ledger = Ledger::default();
            for (address, account) in &db.accounts {
                ledger.ether.insert(*address, account.info.balance);
                let slot = erc20::balance_slot(*address);
                let tokens = db.accounts[&TOKEN].storage.get(&slot).copied();
                ledger.tokens.insert(*address, tokens.unwrap_or_default());
            }
            ledger
        }

        /// Applies `tx`, which used `gas` at `base_fee`.
        fn apply(&mut self, tx: &Transaction, gas: u64, base_fee: u64) {
            let sender = tx.sender().unwrap();
            let to = *tx.to().to().unwrap();
            let price = U256::from(base_fee + PRIORITY_FEE);
            *self.ether.get_mut(&sender).unwrap() -= U256::from(gas) * price + tx.value();
            *self.ether.entry(FEE_RECIPIENT).or_default() +=
                U256::from(gas) * U256::from(PRIORITY_FEE);
            *self.ether.entry(to).or_default() += tx.value();
            if to == TOKEN {
                let data = tx.data();
                assert_eq!(data.len(), 68);
                let recipient = Address::from_slice(&data[16..36]);
                let amount = U256::from_be_slice(&data[36..68]);
                *self.tokens.get_mut(&sender).unwrap() -= amount;
                *self.tokens.get_mut(&recipient).unwrap() += amount;
            }
        }

        fn check(&self, db: &InMemoryDb) {
            for (address, ether) in &self.ether {
                let got = db.accounts.get(address).map(|a| a.info.balance);
                assert_eq!(got.unwrap_or_default(), *ether, "ether of {address}");
            }
            for (address, tokens) in &self.tokens {
                let slot = erc20::balance_slot(*address);
                let got = db.accounts[&TOKEN].storage.get(&slot).copied();
                assert_eq!(got.unwrap_or_default(), *tokens, "tokens of {address}");
            }
        }
    }

    #[test]
    fn blocks_pass_execute_block_and_balances_follow_the_transfers() {
        let mut generator = Generator::new(&params(30, 3_000_000, 50)).unwrap();
        let config = generator.config().clone();
        let mut ledger = Ledger::of(generator.state());
        let supply_slot = &erc20::TOTAL_SUPPLY_SLOT;
        let supply = generator.state().accounts[&TOKEN].storage[supply_slot];
        for _ in 0..4 {
            let parent = generator.head().clone();
            let parent_state = generator.state().clone();
            let built = generator.next_block().unwrap();
            let block = &built.block;

            // The importer's code accepts the block, with the same changes and receipts.
            let root_after = |changes: &StateChanges| {
                let mut state = parent_state.clone();
                state.apply(changes);
                Ok::<_, BlockError>(root_from_scratch(&state))
            };
            let outcome = execute_block(&config, block, &parent, &parent_state, &root_after);
            let outcome = outcome.unwrap();
            assert!(sorted(outcome.changes) == sorted(built.changes.clone()));
            // The incremental state root equals one computed from scratch.
            assert_eq!(
                block.header.state_root,
                root_from_scratch(generator.state())
            );

            // Gas: 21,000 per ETH transfer plus what each ERC20 receipt reports, and the
            // block filled to within one transaction of the gas target.
            let base_fee = block.header.base_fee_per_gas.unwrap();
            let (mut transfers, mut erc20_gas, mut previous) = (0u64, 0u64, 0u64);
            for (tx, receipt) in block.body.transactions.iter().zip(&outcome.receipts) {
                let gas = receipt.cumulative_gas_used() - previous;
                previous = receipt.cumulative_gas_used();
                assert!(receipt.status(), "transaction {} failed", tx.hash());
                if tx.data().is_empty() {
                    assert_eq!(gas, TRANSFER_GAS);
                    transfers += 1;
                } else {
                    assert_eq!(receipt.logs().len(), 1, "one Transfer event");
                    erc20_gas += gas;
                }
                ledger.apply(tx, gas, base_fee);
            }
            assert!(transfers > 0 && erc20_gas > 0);
            assert_eq!(block.header.gas_used, TRANSFER_GAS * transfers + erc20_gas);
            let target = block.header.gas_limit / 2;
            assert!(block.header.gas_used <= target);
            assert!(block.header.gas_used > target - 100_000);
            ledger.check(generator.state());
        }
        // Tokens only moved; the system contracts are still there.
        let state = generator.state();
        assert_eq!(state.accounts[&TOKEN].storage[supply_slot], supply);
        for contract in SYSTEM_CONTRACTS {
            assert_eq!(state.accounts[&contract.address].code, contract.code[..]);
        }
    }

    #[test]
    fn erc20_share_picks_the_mix() {
        for (share, want_eth, want_erc20) in [(0, true, false), (100, false, true)] {
            let mut generator = Generator::new(&params(5, 1_000_000, share)).unwrap();
            let block = generator.next_block().unwrap().block;
            let erc20 = block
                .body
                .transactions
                .iter()
                .any(|tx| !tx.data().is_empty());
            let eth = block
                .body
                .transactions
                .iter()
                .any(|tx| tx.data().is_empty());
            assert_eq!((eth, erc20), (want_eth, want_erc20), "share {share}");
        }
    }

    #[test]
    fn invalid_parameters_are_refused_with_the_flag_named() {
        for (bad, needle) in [
            (params(1, 30_000_000, 50), "--senders 1"),
            (params(10, 30_000_000, 101), "--erc20-share 101"),
            (params(10, 1000, 50), "--gas-limit 1000"),
        ] {
            let err = Generator::new(&bad).unwrap_err().to_string();
            assert!(err.contains(needle), "{err:?} should mention {needle:?}");
        }
    }
}
