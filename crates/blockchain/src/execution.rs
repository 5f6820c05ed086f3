//! Block execution: header and body checks, the DAO fork's state change, system calls,
//! transactions through the VM, rewards, withdrawals, requests, and the header fields execution
//! must reproduce (gas used, blob gas, receipts root, logs bloom, requests hash). The state root
//! is checked by the caller, which owns the state (`BlockOutcome::changes`).
//!
//! `run_block` is the one place a block's body is executed; importing ([`execute_block`]) and
//! building (`build.rs`) differ only in what they do with a transaction that cannot be
//! included ([`OnInvalidTx`]) and in comparing against, or filling in, the header.

use alloy_consensus::{
    Eip658Value, Receipt as ReceiptData, ReceiptEnvelope, ReceiptWithBloom, TxReceipt,
};
use alloy_primitives::{Address, B256, Bloom, Bytes, U256, keccak256};
use ethrex_common::{
    ChainConfig, Fork,
    constants::EMPTY_OMMERS_HASH,
    eip4844::GAS_PER_BLOB,
    system_contracts::{
        BEACON_ROOTS_ADDRESS, CONSOLIDATION_REQUEST_ADDRESS, HISTORY_STORAGE_ADDRESS,
        MAINNET_DEPOSIT_CONTRACT, WITHDRAWAL_REQUEST_ADDRESS,
    },
    types::{
        Block, BlockBody, FeeConfig, Header, Receipt, Transaction, TxType, Withdrawal,
        receipts_root, transactions_root, withdrawals_root,
    },
};
use ethrex_vm::{BlockEnv, Database, Evm, Hook, L2Hook, StateChanges, TxError, TxResult};

use crate::{
    BlockError, Result, dao,
    header::{fork_of, validate_header},
    requests::{deposit_requests, requests_hash},
};

/// What executing a block produced.
#[derive(Debug, Clone)]
pub struct BlockOutcome {
    pub receipts: Vec<Receipt>,
    pub changes: StateChanges,
    pub gas_used: u64,
}

fn mismatch<T: std::fmt::Debug>(field: &'static str, expected: T, got: T) -> BlockError {
    BlockError::Mismatch {
        field,
        expected: format!("{expected:?}"),
        got: format!("{got:?}"),
    }
}

/// The execution environment of `header`.
pub fn block_env(config: &ChainConfig, header: &Header) -> BlockEnv {
    let fork = fork_of(config, header);
    BlockEnv {
        fork,
        chain_id: config.chain_id,
        number: header.number,
        coinbase: header.beneficiary,
        timestamp: header.timestamp,
        gas_limit: header.gas_limit,
        base_fee: header.base_fee_per_gas.map(U256::from),
        difficulty: header.difficulty,
        prev_randao: (fork >= Fork::Paris).then_some(header.mix_hash),
        excess_blob_gas: header.excess_blob_gas,
        blob_params: config.blob_params(fork),
        blob_base_fee_override: None,
    }
}

/// Which transaction rules a block runs under.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Rules {
    /// Ethereum's ([`ethrex_vm::L1Hook`]).
    #[default]
    Ethereum,
    /// The rollup's, with the block's fee parameters ([`ethrex_vm::L2Hook`]): operator and L1
    /// data fees, fee vaults, privileged transactions.
    Rollup(FeeConfig),
}

/// Computes the state root after the given changes to the parent's state (pre-Byzantium
/// receipts carry one per transaction).
pub type StateRootFn<'a> = &'a dyn Fn(&StateChanges) -> Result<B256>;

/// Validates `block` against `parent` and executes it over `db` (the parent's state).
/// `state_root` is only called for pre-Byzantium blocks.
pub fn execute_block(
    config: &ChainConfig,
    block: &Block,
    parent: &Header,
    db: &dyn Database,
    state_root: StateRootFn<'_>,
) -> Result<BlockOutcome> {
    execute_block_with_senders(config, block, parent, db, state_root, None)
}

/// The senders of `transactions`, recovered from their signatures (`None` where recovery
/// fails: execution then recovers again and reports why).
pub fn recover_senders(transactions: &[Transaction]) -> Vec<Option<Address>> {
    transactions.iter().map(|tx| tx.sender().ok()).collect()
}

/// [`execute_block`] with the transactions' senders already recovered ([`recover_senders`],
/// e.g. in parallel ahead of execution); `senders[i]` must be transaction `i`'s.
pub fn execute_block_with_senders(
    config: &ChainConfig,
    block: &Block,
    parent: &Header,
    db: &dyn Database,
    state_root: StateRootFn<'_>,
    senders: Option<&[Option<Address>]>,
) -> Result<BlockOutcome> {
    execute_block_with_rules(
        config,
        block,
        parent,
        db,
        state_root,
        senders,
        Rules::Ethereum,
    )
}

/// [`execute_block_with_senders`] under `rules` (a rollup block runs under its fee
/// parameters).
pub fn execute_block_with_rules(
    config: &ChainConfig,
    block: &Block,
    parent: &Header,
    db: &dyn Database,
    state_root: StateRootFn<'_>,
    senders: Option<&[Option<Address>]>,
    rules: Rules,
) -> Result<BlockOutcome> {
    let header = &block.header;
    validate_header(config, header, parent)?;
    let fork = fork_of(config, header);
    check_body(fork, block)?;
    let body = BodyInput {
        transactions: &block.body.transactions,
        senders,
        ommers: &block.body.ommers,
        withdrawals: block.body.withdrawals.as_deref().map(Vec::as_slice),
    };
    let run = run_block(
        config,
        header,
        body,
        db,
        state_root,
        OnInvalidTx::Reject,
        rules,
    )?;
    if run.requests_hash.is_some() && header.requests_hash != run.requests_hash {
        return Err(mismatch(
            "requests hash",
            header.requests_hash,
            run.requests_hash,
        ));
    }
    if run.gas_used != header.gas_used {
        return Err(mismatch("gas used", header.gas_used, run.gas_used));
    }
    if fork >= Fork::Cancun && header.blob_gas_used != Some(run.blob_gas_used) {
        return Err(mismatch(
            "blob gas used",
            header.blob_gas_used,
            Some(run.blob_gas_used),
        ));
    }
    let root = receipts_root(&run.receipts);
    if root != header.receipts_root {
        return Err(mismatch("receipts root", header.receipts_root, root));
    }
    let bloom = logs_bloom(&run.receipts);
    if bloom != header.logs_bloom {
        return Err(mismatch("logs bloom", header.logs_bloom, bloom));
    }
    Ok(BlockOutcome {
        receipts: run.receipts,
        changes: run.changes,
        gas_used: run.gas_used,
    })
}

/// What a block's execution runs over besides its header.
pub(crate) struct BodyInput<'a> {
    pub transactions: &'a [Transaction],
    /// Senders recovered ahead (by index); recovered here where missing.
    pub senders: Option<&'a [Option<Address>]>,
    pub ommers: &'a [Header],
    pub withdrawals: Option<&'a [Withdrawal]>,
}

/// What [`run_block`] does with a transaction that cannot be included (sender not
/// recoverable, invalid against the state, blob gas above the block maximum).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OnInvalidTx {
    /// The block is invalid: importing a block.
    Reject,
    /// The transaction is left out: building a block.
    Skip,
}

/// What running a block's body produced.
pub(crate) struct BlockRun {
    /// One receipt per included transaction.
    pub receipts: Vec<Receipt>,
    /// The transactions left out (only under [`OnInvalidTx::Skip`]): index in the input and
    /// the error an importer would have rejected the block with.
    pub skipped: Vec<(usize, BlockError)>,
    pub gas_used: u64,
    pub blob_gas_used: u64,
    /// The EIP-7685 requests hash, from Prague on.
    pub requests_hash: Option<B256>,
    /// The EIP-7685 requests (type and data, empty data included), from Prague on.
    pub requests: Option<Vec<(u8, Bytes)>>,
    pub changes: StateChanges,
}

/// Runs a block's body over `db` (the parent's state) in consensus order: the DAO fork's
/// state change (on that block only), the EIP-4788 and EIP-2935 system calls, the
/// transactions, pre-merge rewards, withdrawals, and the EIP-7685 requests. `header` gives the
/// environment and the system call inputs; the fields execution produces (gas used, roots,
/// bloom, requests hash) are not read.
pub(crate) fn run_block(
    config: &ChainConfig,
    header: &Header,
    body: BodyInput<'_>,
    db: &dyn Database,
    state_root: StateRootFn<'_>,
    on_invalid: OnInvalidTx,
    rules: Rules,
) -> Result<BlockRun> {
    let env = block_env(config, header);
    match rules {
        Rules::Ethereum => {
            let evm = Evm::new(db, env);
            run_block_on(config, header, body, evm, state_root, on_invalid)
        }
        Rules::Rollup(fees) => {
            let evm = Evm::with_hook(db, env, L2Hook::new(fees));
            run_block_on(config, header, body, evm, state_root, on_invalid)
        }
    }
}

/// [`run_block`] over an EVM with the block's transaction hook.
fn run_block_on<H: Hook>(
    config: &ChainConfig,
    header: &Header,
    body: BodyInput<'_>,
    mut evm: Evm<'_, H>,
    state_root: StateRootFn<'_>,
    on_invalid: OnInvalidTx,
) -> Result<BlockRun> {
    let fork = fork_of(config, header);
    let env = block_env(config, header);
    apply_pre_transactions(config, header, &mut evm)?;
    let mut receipts = Vec::with_capacity(body.transactions.len());
    let mut skipped = Vec::new();
    let mut cumulative = 0u64;
    let mut blob_gas = 0u64;
    let max_blob_gas = env.blob_params.map_or(0, |p| p.max * GAS_PER_BLOB);
    for (index, tx) in body.transactions.iter().enumerate() {
        let sender = body.senders.and_then(|s| s.get(index).copied().flatten());
        let (result, tx_blob_gas) =
            match transact(&mut evm, tx, sender, index, blob_gas, max_blob_gas)? {
                Ok(included) => included,
                Err(reason) if on_invalid == OnInvalidTx::Skip => {
                    skipped.push((index, reason));
                    continue;
                }
                Err(reason) => return Err(reason),
            };
        blob_gas += tx_blob_gas;
        cumulative += result.gas_used;
        let status = if fork >= Fork::Byzantium {
            Eip658Value::Eip658(result.success)
        } else {
            Eip658Value::PostState(state_root(&evm.changes_so_far())?)
        };
        receipts.push(receipt(tx, status, cumulative, result.logs));
    }
    apply_rewards(&mut evm, fork, header, body.ommers)?;
    for w in body.withdrawals.unwrap_or_default() {
        evm.credit(
            w.address,
            U256::from(w.amount) * U256::from(1_000_000_000u64),
        )?;
    }
    let requests = if fork >= Fork::Prague {
        Some(execution_requests(config, &mut evm, &receipts)?)
    } else {
        None
    };
    Ok(BlockRun {
        receipts,
        skipped,
        gas_used: cumulative,
        blob_gas_used: blob_gas,
        requests_hash: requests.as_deref().map(requests_hash),
        requests,
        changes: evm.into_changes()?,
    })
}

/// What precedes a block's transactions: the DAO fork's state change (on that block only) and
/// the EIP-4788 and EIP-2935 system calls.
pub(crate) fn apply_pre_transactions<H: Hook>(
    config: &ChainConfig,
    header: &Header,
    evm: &mut Evm<'_, H>,
) -> Result<()> {
    let fork = fork_of(config, header);
    dao::apply_if_fork_block(config, header.number, evm)?;
    if fork >= Fork::Cancun {
        let root = header.parent_beacon_block_root.unwrap_or_default();
        evm.system_call(
            BEACON_ROOTS_ADDRESS,
            Bytes::copy_from_slice(root.as_slice()),
        )?;
    }
    if fork >= Fork::Prague {
        evm.system_call(
            HISTORY_STORAGE_ADDRESS,
            Bytes::copy_from_slice(header.parent_hash.as_slice()),
        )?;
    }
    Ok(())
}

/// Executes `tx` as the next transaction of the block, `blob_gas` having been used so far:
/// the result and the transaction's blob gas. The outer error means the block cannot be
/// processed (the database failed); the inner one why `tx` cannot be included.
fn transact<H: Hook>(
    evm: &mut Evm<'_, H>,
    tx: &Transaction,
    sender: Option<Address>,
    index: usize,
    blob_gas: u64,
    max_blob_gas: u64,
) -> Result<std::result::Result<(TxResult, u64), BlockError>> {
    let sender = match sender.map_or_else(|| tx.sender(), Ok) {
        Ok(sender) => sender,
        Err(e) => {
            return Ok(Err(BlockError::InvalidSender {
                index,
                reason: e.to_string(),
            }));
        }
    };
    let tx_blob_gas = tx
        .blob_versioned_hashes()
        .map_or(0, |h| h.len() as u64 * GAS_PER_BLOB);
    if tx_blob_gas > 0 && blob_gas + tx_blob_gas > max_blob_gas {
        return Ok(Err(BlockError::InvalidBody(format!(
            "blob gas {} above the block maximum {max_blob_gas}",
            blob_gas + tx_blob_gas
        ))));
    }
    match evm.transact(tx, sender) {
        Ok(result) => Ok(Ok((result, tx_blob_gas))),
        Err(TxError::Invalid(reason)) => Ok(Err(BlockError::InvalidTransaction {
            index,
            hash: tx.hash(),
            reason,
        })),
        Err(TxError::Vm(e)) => Err(BlockError::Vm(e)),
    }
}

/// The EIP-7685 requests hash of [`execution_requests`].
pub(crate) fn requests<H: Hook>(
    config: &ChainConfig,
    evm: &mut Evm<'_, H>,
    receipts: &[Receipt],
) -> Result<B256> {
    execution_requests(config, evm, receipts).map(|requests| requests_hash(&requests))
}

/// The EIP-7685 requests, by type (empty data included): deposits from the receipts' logs
/// (EIP-6110), then the withdrawal (EIP-7002) and consolidation (EIP-7251) requests their
/// system calls return.
pub(crate) fn execution_requests<H: Hook>(
    config: &ChainConfig,
    evm: &mut Evm<'_, H>,
    receipts: &[Receipt],
) -> Result<Vec<(u8, Bytes)>> {
    let deposit_contract = config
        .deposit_contract_address
        .unwrap_or(MAINNET_DEPOSIT_CONTRACT);
    let deposits = deposit_requests(
        receipts.iter().flat_map(|r| r.logs().iter()),
        deposit_contract,
    )?;
    let mut requests = vec![(0u8, Bytes::from(deposits))];
    for (ty, contract) in [
        (1u8, WITHDRAWAL_REQUEST_ADDRESS),
        (2u8, CONSOLIDATION_REQUEST_ADDRESS),
    ] {
        match evm.system_call(contract, Bytes::new())? {
            Some(result) if result.success => requests.push((ty, result.output)),
            _ => return Err(BlockError::SystemCallFailed(contract)),
        }
    }
    Ok(requests)
}

/// The logs bloom of a block: the union of its receipts' blooms.
pub(crate) fn logs_bloom(receipts: &[Receipt]) -> Bloom {
    receipts.iter().fold(Bloom::ZERO, |acc, r| acc | r.bloom())
}

/// Body rules: what the header commits to ([`check_body_commitments`]), no ommers after the
/// merge.
fn check_body(fork: Fork, block: &Block) -> Result<()> {
    check_body_commitments(&block.header, &block.body)?;
    let header = &block.header;
    if fork >= Fork::Paris
        && (header.ommers_hash != EMPTY_OMMERS_HASH || !block.body.ommers.is_empty())
    {
        return Err(BlockError::InvalidBody("ommers after the merge".into()));
    }
    Ok(())
}

/// Whether `body` is the one `header` commits to: its transactions root, ommers hash and
/// withdrawals root (present exactly when the header has one). Also what the syncer checks a
/// downloaded body with.
pub fn check_body_commitments(header: &Header, body: &BlockBody) -> Result<()> {
    let tx_root = transactions_root(&body.transactions);
    if tx_root != header.transactions_root {
        return Err(mismatch(
            "transactions root",
            header.transactions_root,
            tx_root,
        ));
    }
    let ommers_hash = keccak256(alloy_rlp::encode(&body.ommers));
    if ommers_hash != header.ommers_hash {
        return Err(mismatch("ommers hash", header.ommers_hash, ommers_hash));
    }
    match (&body.withdrawals, header.withdrawals_root) {
        (Some(withdrawals), Some(expected)) => {
            let root = withdrawals_root(withdrawals);
            if root != expected {
                return Err(mismatch("withdrawals root", expected, root));
            }
        }
        (None, None) => {}
        _ => {
            return Err(BlockError::InvalidBody(
                "withdrawals and withdrawals root disagree".into(),
            ));
        }
    }
    Ok(())
}

/// Pre-merge block and ommer rewards (5, 3 or 2 ether).
pub(crate) fn apply_rewards<H: Hook>(
    evm: &mut Evm<'_, H>,
    fork: Fork,
    header: &Header,
    ommers: &[Header],
) -> Result<()> {
    if fork >= Fork::Paris {
        return Ok(());
    }
    let ether = U256::from(10u64).pow(U256::from(18));
    let reward = ether
        * U256::from(match fork {
            f if f >= Fork::Constantinople => 2u64,
            f if f >= Fork::Byzantium => 3,
            _ => 5,
        });
    let number = header.number;
    let mut miner_reward = reward;
    for ommer in ommers {
        let depth = number.saturating_sub(ommer.number);
        let ommer_reward = reward * U256::from(8u64.saturating_sub(depth)) / U256::from(8);
        evm.credit(ommer.beneficiary, ommer_reward)?;
        miner_reward += reward / U256::from(32);
    }
    evm.credit(header.beneficiary, miner_reward)?;
    Ok(())
}

pub(crate) fn receipt(
    tx: &Transaction,
    status: Eip658Value,
    cumulative: u64,
    logs: Vec<alloy_primitives::Log>,
) -> Receipt {
    let data = ReceiptData {
        status,
        cumulative_gas_used: cumulative,
        logs,
    };
    let with_bloom = ReceiptWithBloom::from(data);
    match tx.tx_type() {
        TxType::Legacy => ReceiptEnvelope::Legacy(with_bloom),
        TxType::Eip2930 => ReceiptEnvelope::Eip2930(with_bloom),
        // Alloy's envelope has no 0x7e: a privileged transaction's receipt is stored and
        // committed as a type-2 one (ours; only the rollup's re-execution checks its root).
        TxType::Eip1559 | TxType::Privileged => ReceiptEnvelope::Eip1559(with_bloom),
        TxType::Eip4844 => ReceiptEnvelope::Eip4844(with_bloom),
        TxType::Eip7702 => ReceiptEnvelope::Eip7702(with_bloom),
    }
}

#[cfg(test)]
mod tests;
