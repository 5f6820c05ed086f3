//! Runs a [`Case`] on revm, the reference: the pre-state behind a `DatabaseRef`, the same block
//! and transaction fields (revm's own validation left on: nonce, balance, fee and gas checks must
//! agree with ours; EIP-7702 authorities recovered by revm itself), one EVM per transaction, and
//! each one's `EvmState` applied to the state before it as a database would: self-destructed accounts and, from Spurious Dragon, touched empty accounts deleted;
//! a created account's old storage dropped; changed slots written.

use std::{collections::HashMap, convert::Infallible};

use alloy_primitives::{Address, B256, Bytes, TxKind, U256};
use ethrex_common::Fork;
use revm::{
    Context, DatabaseRef, ExecuteEvm, MainBuilder, MainContext,
    bytecode::Bytecode,
    context::either::Either,
    context::{
        BlockEnv, CfgEnv, TxEnv,
        context_interface::block::BlobExcessGasAndPrice,
        result::{ExecutionResult, Output},
        transaction::{AccessList, AccessListItem},
    },
    primitives::hardfork::SpecId,
    state::{AccountInfo, EvmState},
};

use crate::{
    case::{CHAIN_ID, Case, TxSpec, TxType},
    forks::{blob_params, revm_spec},
    outcome::{Outcome, Status, TxOutcome},
    world::{World, block_hash},
};

/// Executes `case` on revm: one EVM per transaction, each over the state the previous ones
/// left.
pub fn run(case: &Case) -> Outcome {
    let Some(spec) = revm_spec(case.fork) else {
        let detail = format!("revm has no spec for {}", case.fork);
        return Outcome {
            txs: vec![TxOutcome::invalid(detail); case.txs.len()],
            post: case.pre.clone(),
            faults: Vec::new(),
        };
    };
    let mut world = case.pre.clone();
    let mut block_gas_used = 0;
    let mut txs = Vec::new();
    for tx in &case.txs {
        let (outcome, post) = run_tx(case, tx, spec, &world, block_gas_used);
        block_gas_used += outcome.gas_used;
        txs.push(outcome);
        world = post;
    }
    Outcome {
        txs,
        post: world,
        faults: Vec::new(),
    }
}

/// Runs one transaction over `world`; returns its outcome and the state after it.
fn run_tx(
    case: &Case,
    tx: &TxSpec,
    spec: SpecId,
    world: &World,
    block_gas_used: u64,
) -> (TxOutcome, World) {
    // The block's gas left is a block-level rule revm leaves to its caller (it checks a
    // transaction against the whole block limit, which GASLIMIT must still return).
    let available = case.block.gas_limit.saturating_sub(block_gas_used);
    if tx.gas_limit > available {
        let detail = format!(
            "gas limit {} above the block's gas left {available}",
            tx.gas_limit
        );
        return (TxOutcome::invalid(detail), world.clone());
    }
    let mut cfg = CfgEnv::new_with_spec(spec);
    cfg.chain_id = CHAIN_ID;
    let mut evm = Context::mainnet()
        .with_cfg(cfg)
        .with_block(block_env(case))
        .with_ref_db(PreState::new(world))
        .build_mainnet();
    let executed = match evm.transact(tx_env(tx)) {
        Ok(executed) => executed,
        Err(e) => return (TxOutcome::invalid(format!("{e:?}")), world.clone()),
    };
    let result = executed.result;
    let gas_used = result.tx_gas_used();
    let mut state = executed.state;
    if !result.is_success() {
        drop_ripemd_touch_of_failed_transaction(&mut state, spec);
    }
    let post = apply(world, state, spec);
    let (status, detail, output, logs) = match result {
        ExecutionResult::Success { output, logs, .. } => {
            let output = match output {
                Output::Call(bytes) => bytes,
                Output::Create(..) => Bytes::new(),
            };
            (Status::Success, String::new(), output, logs)
        }
        ExecutionResult::Revert { output, .. } => {
            (Status::Revert, String::new(), output, Vec::new())
        }
        ExecutionResult::Halt { reason, .. } => (
            Status::Halt,
            format!("{reason:?}"),
            Bytes::new(),
            Vec::new(),
        ),
    };
    let outcome = TxOutcome {
        status,
        detail,
        gas_used,
        output,
        logs,
    };
    (outcome, post)
}

fn block_env(case: &Case) -> BlockEnv {
    let b = &case.block;
    let fork = case.fork;
    BlockEnv {
        number: U256::from(b.number),
        beneficiary: b.coinbase,
        timestamp: U256::from(b.timestamp),
        gas_limit: b.gas_limit,
        basefee: if fork >= Fork::London { b.base_fee } else { 0 },
        difficulty: b.difficulty,
        prevrandao: (fork >= Fork::Paris).then_some(b.prev_randao),
        blob_excess_gas_and_price: blob_params(fork).map(|params| {
            BlobExcessGasAndPrice::new(b.excess_blob_gas, params.base_fee_update_fraction)
        }),
        slot_num: 0,
    }
}

fn tx_env(tx: &TxSpec) -> TxEnv {
    let (tx_type, chain_id, priority) = match tx.ty {
        TxType::Legacy { eip155 } => (0, eip155.then_some(CHAIN_ID), None),
        TxType::AccessList => (1, Some(CHAIN_ID), None),
        TxType::DynamicFee => (2, Some(CHAIN_ID), Some(tx.priority_fee)),
        TxType::Blob => (3, Some(CHAIN_ID), Some(tx.priority_fee)),
        TxType::SetCode => (4, Some(CHAIN_ID), Some(tx.priority_fee)),
    };
    let access_list = AccessList(
        tx.access_list
            .iter()
            .map(|(address, keys)| AccessListItem {
                address: *address,
                storage_keys: keys.clone(),
            })
            .collect(),
    );
    TxEnv {
        tx_type,
        caller: tx.sender,
        gas_limit: tx.gas_limit,
        gas_price: tx.max_fee,
        kind: tx.to.map_or(TxKind::Create, TxKind::Call),
        value: tx.value,
        data: tx.data.clone(),
        nonce: tx.nonce,
        chain_id,
        access_list,
        gas_priority_fee: priority,
        blob_hashes: tx.blob_hashes.clone(),
        max_fee_per_blob_gas: tx.max_fee_per_blob_gas,
        authorization_list: tx
            .authorizations
            .iter()
            .map(|auth| Either::Left(auth.clone()))
            .collect(),
    }
}

/// Applies revm's per-account result to the pre-state, as a database commit does.
/// Where revm departs from execution-specs, the reference this runner stands for: revm keeps a
/// touch of RIPEMD-160's account (the EIP-161 exception of mainnet block 2,675,119) through
/// every revert, the transaction's own failure included; execution-specs keep it through the
/// failure of inner calls only (`incorporate_child_on_error`), and `process_message_call` drops
/// every touched account when the transaction's frame fails (Spurious Dragon to Gray Glacier;
/// from Paris there is no touched set). After a failed transaction the only touch left in revm's
/// state is that one (the coinbase and the sender, touched outside the frame, are never 0x03
/// here), so it is undone.
fn drop_ripemd_touch_of_failed_transaction(state: &mut EvmState, spec: SpecId) {
    if (SpecId::SPURIOUS_DRAGON..SpecId::MERGE).contains(&spec)
        && let Some(account) = state.get_mut(&Address::with_last_byte(3))
    {
        account.unmark_touch();
    }
}

fn apply(pre: &World, state: EvmState, spec: SpecId) -> World {
    let mut world = pre.clone();
    for (address, account) in state {
        if !account.is_touched() {
            continue;
        }
        let deleted =
            account.is_selfdestructed() || (spec >= SpecId::SPURIOUS_DRAGON && account.is_empty());
        if deleted {
            world.accounts.remove(&address);
            continue;
        }
        let entry = world.accounts.entry(address).or_default();
        if account.is_created() {
            entry.storage.clear();
        }
        entry.nonce = account.info.nonce;
        entry.balance = account.info.balance;
        if let Some(code) = &account.info.code {
            entry.code = code.original_bytes();
        }
        for (key, slot) in account.storage {
            entry.set_slot(key, slot.present_value());
        }
    }
    world
}

/// The pre-state as revm's database; code looked up by hash.
struct PreState<'a> {
    world: &'a World,
    codes: HashMap<B256, Bytecode>,
}

impl<'a> PreState<'a> {
    fn new(world: &'a World) -> Self {
        let codes = world
            .accounts
            .values()
            .map(|a| (a.code_hash(), bytecode(&a.code)))
            .collect();
        PreState { world, codes }
    }
}

/// revm's bytecode for raw code: an EIP-7702 designator when it parses as one, legacy otherwise.
fn bytecode(code: &Bytes) -> Bytecode {
    Bytecode::new_raw_checked(code.clone()).unwrap_or_else(|_| Bytecode::new_legacy(code.clone()))
}

impl DatabaseRef for PreState<'_> {
    type Error = Infallible;

    fn basic_ref(&self, address: Address) -> Result<Option<AccountInfo>, Self::Error> {
        Ok(self.world.get(&address).map(|a| {
            let code = bytecode(&a.code);
            AccountInfo {
                balance: a.balance,
                nonce: a.nonce,
                code_hash: a.code_hash(),
                code: Some(code),
                ..AccountInfo::default()
            }
        }))
    }

    fn code_by_hash_ref(&self, code_hash: B256) -> Result<Bytecode, Self::Error> {
        Ok(self.codes.get(&code_hash).cloned().unwrap_or_default())
    }

    fn storage_ref(&self, address: Address, index: U256) -> Result<U256, Self::Error> {
        Ok(self
            .world
            .get(&address)
            .and_then(|a| a.storage.get(&index).copied())
            .unwrap_or_default())
    }

    fn block_hash_ref(&self, number: u64) -> Result<B256, Self::Error> {
        Ok(block_hash(number))
    }
}
