//! `eth_simulateV1`: calls executed in a chain of simulated blocks on top of a block, as geth
//! simulates them — each block with its overrides (state, then block fields), its system calls,
//! its calls in order (each seeing the previous ones), the EIP-7685 requests, the pre-merge
//! block reward and withdrawals;
//! the answer is each block as `eth_getBlockByNumber` writes it, with a `calls` list (return
//! data, logs, gas, status, error).
//!
//! Defaults as geth: a block's number is its parent's plus one (gaps are filled with empty
//! blocks), its timestamp its parent's plus 12, its coinbase, difficulty and gas limit its
//! parent's, its base fee zero without `validation` (the parent's next base fee with it); a
//! call's nonce is its sender's, its gas what is left of the block's gas and of the whole
//! simulation's allowance ([`GAS_CAP`]), its fees zero. Transactions in the blocks are the calls
//! unsigned (zero signature). With `traceTransfers`, ether moved by a call or a SELFDESTRUCT
//! shows as an ERC-20 `Transfer` log of the address `0xeeee…eeee` ([`SimTracer`]).
//!
//! State overrides may move a precompile (`movePrecompileToAddress`) or replace it by code:
//! each block starts from its fork's precompiles, and its overrides give the
//! [`PrecompileTable`] every execution of the block runs with (see
//! [`precompile_table`]). A `blobBaseFee` block override changes the blob base fee the block's
//! calls see and pay (BLOBBASEFEE, blob fees); the header's `excessBlobGas` stays computed.

use alloy_consensus::TxReceipt;
use alloy_primitives::{Address, B256, Bloom, Bytes, Log, U256};
use alloy_rpc_types_eth::BlockId;
use ethrex_blockchain::{
    apply_block_prologue, apply_block_rewards, block_env, block_requests_hash,
    header::{fork_of, next_base_fee, next_excess_blob_gas},
    transaction_receipt,
};
use ethrex_common::validation::TxValidityError;
use ethrex_common::{
    ChainConfig, Fork,
    constants::EMPTY_OMMERS_HASH,
    eip4844::GAS_PER_BLOB,
    types::{
        Block, BlockBody, Header, Receipt, Transaction, TxFees, Withdrawal, receipts_root,
        transactions_root, withdrawals_root,
    },
    validation::calldata_floor_gas,
};
use ethrex_storage::StateBuilder;
use ethrex_vm::{
    BlockEnv, CallHook, Database, Evm, InvalidTransaction, StateChanges, TxError, Validation,
    precompiles::PrecompileTable,
};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{
    call::{deployed_code, halt_message, invalid_message, revert_error, vm_error},
    call_args::{BlockOverrides, CallArgs, GAS_CAP},
    overlay::{Overlay, StateOverride, override_changes, precompile_table},
    params::{Params, existing_block},
    sim_tracer::{IndexedLog, SimTracer},
};
use crate::{
    RpcContext, RpcError,
    logs::{LogPosition, log_json},
    types::{TxPosition, block_json, transaction_json},
};

/// Most blocks one simulation may span.
const MAX_BLOCKS: u64 = 256;
/// Seconds between simulated blocks whose timestamp is not given.
const TIMESTAMP_INCREMENT: u64 = 12;

/// Error codes of `eth_simulateV1` (execution-apis).
mod code {
    pub const NONCE_TOO_LOW: i64 = -38010;
    pub const NONCE_TOO_HIGH: i64 = -38011;
    pub const FEE_CAP_TOO_LOW: i64 = -38012;
    pub const INTRINSIC_GAS: i64 = -38013;
    pub const INSUFFICIENT_FUNDS: i64 = -38014;
    pub const BLOCK_GAS_LIMIT: i64 = -38015;
    pub const BLOCK_NUMBER_ORDER: i64 = -38020;
    pub const BLOCK_TIMESTAMP_ORDER: i64 = -38021;
    pub const SENDER_NOT_EOA: i64 = -38024;
    pub const INIT_CODE_TOO_LARGE: i64 = -38025;
    pub const CLIENT_LIMIT: i64 = -38026;
    pub const VM_ERROR: i64 = -32015;
    pub const INVALID_PARAMS: i64 = -32602;
    pub const INTERNAL: i64 = -32603;
}

/// The first parameter.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SimulateOptions {
    block_state_calls: Vec<BlockStateCall>,
    #[serde(default)]
    trace_transfers: bool,
    #[serde(default)]
    validation: bool,
    #[serde(default)]
    return_full_transactions: bool,
}

/// One simulated block's input.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BlockStateCall {
    block_overrides: Option<BlockOverrides>,
    state_overrides: Option<StateOverride>,
    #[serde(default)]
    calls: Vec<CallArgs>,
}

/// A block to simulate, its number and timestamp settled.
#[derive(Debug)]
struct SimBlock {
    number: u64,
    timestamp: u64,
    overrides: BlockOverrides,
    state_overrides: Option<StateOverride>,
    calls: Vec<CallArgs>,
}

/// `eth_simulateV1(options, block = latest)`.
pub fn simulate_v1(ctx: &RpcContext, p: &Params) -> Result<Value, RpcError> {
    p.at_most(2)?;
    let options: SimulateOptions = p.required(0)?;
    let id: BlockId = p.optional(1)?.unwrap_or_default();
    let base = existing_block(ctx, id)?;
    if options.block_state_calls.len() as u64 > MAX_BLOCKS {
        return Err(RpcError::new(code::CLIENT_LIMIT, "too many blocks"));
    }
    let blocks = settle_chain(&base, options.block_state_calls)?;
    let builder = ctx
        .store
        .state_builder(base.state_root)
        .map_err(|e| match e {
            ethrex_storage::StoreError::StateNotAvailable { .. } => RpcError::server(format!(
                "missing trie node: the state of block #{} is no longer held",
                base.number
            )),
            e => e.into(),
        })?;
    let mut sim = Simulator {
        config: ctx.chain.config(),
        parent: base.clone(),
        builder,
        hashes: Vec::new(),
        gas_left: GAS_CAP,
        precompiles: None,
        validation: options.validation,
        trace_transfers: options.trace_transfers,
        full_transactions: options.return_full_transactions,
    };
    let mut results = Vec::with_capacity(blocks.len());
    for block in blocks {
        results.push(sim.process(block)?);
    }
    Ok(Value::Array(results))
}

/// Numbers and timestamps of the blocks: defaults, order checks, gaps filled with empty blocks.
fn settle_chain(base: &Header, input: Vec<BlockStateCall>) -> Result<Vec<SimBlock>, RpcError> {
    let mut blocks = Vec::with_capacity(input.len());
    let (mut prev_number, mut prev_time) = (base.number, base.timestamp);
    for call in input {
        let overrides = call.block_overrides.unwrap_or_default();
        let number = match overrides.number {
            Some(n) => u64::try_from(n)
                .map_err(|_| RpcError::invalid_params("block number override too large"))?,
            None => prev_number + 1,
        };
        if number <= prev_number {
            return Err(RpcError::new(
                code::BLOCK_NUMBER_ORDER,
                format!("block numbers must be in order: {number} <= {prev_number}"),
            ));
        }
        if number - base.number > MAX_BLOCKS {
            return Err(RpcError::new(code::CLIENT_LIMIT, "too many blocks"));
        }
        for gap in prev_number + 1..number {
            prev_time += TIMESTAMP_INCREMENT;
            blocks.push(SimBlock {
                number: gap,
                timestamp: prev_time,
                overrides: BlockOverrides::default(),
                state_overrides: None,
                calls: Vec::new(),
            });
        }
        let timestamp = match overrides.time {
            None => prev_time + TIMESTAMP_INCREMENT,
            Some(time) => {
                let time = time.to::<u64>();
                if time <= prev_time {
                    return Err(RpcError::new(
                        code::BLOCK_TIMESTAMP_ORDER,
                        format!("block timestamps must be in order: {time} <= {prev_time}"),
                    ));
                }
                time
            }
        };
        (prev_number, prev_time) = (number, timestamp);
        blocks.push(SimBlock {
            number,
            timestamp,
            overrides,
            state_overrides: call.state_overrides,
            calls: call.calls,
        });
    }
    Ok(blocks)
}

/// A simulation in progress.
struct Simulator<'a> {
    config: &'a ChainConfig,
    parent: Header,
    /// The state so far, over the base block's.
    builder: StateBuilder,
    /// Numbers and hashes of the blocks simulated so far.
    hashes: Vec<(u64, B256)>,
    /// What is left of the whole simulation's gas allowance.
    gas_left: u64,
    /// The current block's precompiles when its state overrides moved or replaced some.
    precompiles: Option<PrecompileTable>,
    validation: bool,
    trace_transfers: bool,
    full_transactions: bool,
}

/// A call executed in a simulated block.
struct CallRecord {
    tx: Transaction,
    from: Address,
    output: Bytes,
    gas_used: u64,
    max_used_gas: u64,
    success: bool,
    error: Option<Value>,
    /// The logs the caller sees (with `traceTransfers` ones), each with its index in the block.
    logs: Vec<IndexedLog>,
    /// The logs of the receipt (the ones the code emitted).
    receipt_logs: Vec<Log>,
}

impl Simulator<'_> {
    /// Applies `changes` to the state so far.
    fn apply(&mut self, changes: &StateChanges) -> Result<(), RpcError> {
        self.builder.apply(changes)?;
        Ok(())
    }

    fn header(&self, block: &SimBlock) -> Result<Header, RpcError> {
        let o = &block.overrides;
        let parent = &self.parent;
        let mut header = Header {
            parent_hash: parent.hash_slow(),
            ommers_hash: EMPTY_OMMERS_HASH,
            beneficiary: o.fee_recipient.unwrap_or(parent.beneficiary),
            difficulty: o.difficulty.unwrap_or(parent.difficulty),
            number: block.number,
            gas_limit: o.gas_limit.map_or(parent.gas_limit, |g| g.to()),
            timestamp: block.timestamp,
            mix_hash: o.prev_randao.unwrap_or_default(),
            ..Default::default()
        };
        let fork = fork_of(self.config, &header);
        if fork >= Fork::London {
            header.base_fee_per_gas = Some(match o.base_fee_per_gas {
                Some(fee) => u64::try_from(fee)
                    .map_err(|_| RpcError::invalid_params("base fee override too large"))?,
                None if self.validation => next_base_fee(parent, fork_of(self.config, parent)),
                None => 0,
            });
        }
        if fork >= Fork::Shanghai {
            let withdrawals = o.withdrawals.as_deref().unwrap_or_default();
            header.withdrawals_root = Some(withdrawals_root(withdrawals));
        }
        if fork >= Fork::Cancun {
            let parent_fork = fork_of(self.config, parent);
            let excess = match self.config.blob_params(fork) {
                Some(params) if parent_fork >= Fork::Cancun => {
                    next_excess_blob_gas(parent, params, fork)
                }
                _ => 0,
            };
            header.excess_blob_gas = Some(excess);
            header.blob_gas_used = Some(0);
            header.parent_beacon_block_root = Some(o.beacon_root.unwrap_or_default());
        }
        Ok(header)
    }

    /// Simulates one block: its JSON.
    fn process(&mut self, block: SimBlock) -> Result<Value, RpcError> {
        let mut header = self.header(&block)?;
        let fork = fork_of(self.config, &header);
        let mut env = block_env(self.config, &header);
        env.blob_base_fee_override = block.overrides.blob_base_fee;
        self.precompiles = None;
        if let Some(overrides) = &block.state_overrides {
            self.precompiles = precompile_table(overrides, fork)?;
            let changes = override_changes(&self.builder.reader(), overrides)?;
            self.apply(&changes)?;
        }
        let changes = {
            let reader = self.builder.reader();
            let db = self.with_hashes(&reader);
            let mut evm = Evm::new(&db, env.clone()).with_precompiles(self.precompiles.as_ref());
            apply_block_prologue(self.config, &header, &mut evm).map_err(internal)?;
            evm.into_changes().map_err(vm_error)?
        };
        self.apply(&changes)?;
        let mut records = Vec::with_capacity(block.calls.len());
        let mut receipts = Vec::with_capacity(block.calls.len());
        let (mut gas_used, mut blob_gas_used, mut log_count) = (0u64, 0u64, 0u64);
        for args in &block.calls {
            let record = self.call(args, &header, &env, gas_used, &mut log_count)?;
            gas_used += record.gas_used;
            blob_gas_used += record
                .tx
                .blob_versioned_hashes()
                .map_or(0, |h| h.len() as u64 * GAS_PER_BLOB);
            receipts.push(record_receipt(&record, gas_used));
            records.push(record);
        }
        let withdrawals: Vec<Withdrawal> = block.overrides.withdrawals.clone().unwrap_or_default();
        let (requests_hash, changes) = {
            let reader = self.builder.reader();
            let db = self.with_hashes(&reader);
            let mut evm = Evm::new(&db, env.clone()).with_precompiles(self.precompiles.as_ref());
            let hash =
                block_requests_hash(self.config, &header, &mut evm, &receipts).map_err(internal)?;
            apply_block_rewards(self.config, &header, &mut evm).map_err(internal)?;
            for w in &withdrawals {
                let gwei = U256::from(1_000_000_000u64);
                evm.credit(w.address, U256::from(w.amount) * gwei)
                    .map_err(vm_error)?;
            }
            (hash, evm.into_changes().map_err(vm_error)?)
        };
        self.apply(&changes)?;
        header.gas_used = gas_used;
        if fork >= Fork::Cancun {
            header.blob_gas_used = Some(blob_gas_used);
        }
        header.requests_hash = requests_hash;
        header.state_root = self.builder.root();
        let transactions: Vec<Transaction> = records.iter().map(|r| r.tx.clone()).collect();
        header.transactions_root = transactions_root(&transactions);
        header.receipts_root = receipts_root(&receipts);
        header.logs_bloom = receipts.iter().fold(Bloom::ZERO, |acc, r| acc | r.bloom());
        let body = BlockBody {
            transactions,
            ommers: Vec::new(),
            withdrawals: (fork >= Fork::Shanghai).then(|| withdrawals.into()),
        };
        let block = Block::new(header, body);
        let hash = block.header.hash_slow();
        self.hashes.push((block.header.number, hash));
        let json = self.block_json(&block, hash, &records);
        self.parent = block.header;
        Ok(json)
    }

    /// `db` with the simulated blocks' hashes (BLOCKHASH).
    fn with_hashes<'d>(&self, db: &'d dyn Database) -> Overlay<'d> {
        let mut overlay = Overlay::new(db);
        for (number, hash) in &self.hashes {
            overlay.set_block_hash(*number, *hash);
        }
        overlay
    }

    /// Runs one call as the next transaction of the block (`gas_used` so far).
    fn call(
        &mut self,
        args: &CallArgs,
        header: &Header,
        env: &BlockEnv,
        gas_used: u64,
        log_count: &mut u64,
    ) -> Result<CallRecord, RpcError> {
        let from = args.sender();
        let reader = self.builder.reader();
        let nonce = match args.nonce {
            Some(nonce) => nonce.to(),
            None => reader
                .account(&from)
                .map_err(vm_error)?
                .map_or(0, |a| a.nonce),
        };
        let block_gas_left = header.gas_limit.saturating_sub(gas_used);
        let gas = match args.gas {
            Some(gas) => gas.to::<u64>(),
            None => block_gas_left,
        };
        if gas > block_gas_left {
            return Err(RpcError::new(
                code::BLOCK_GAS_LIMIT,
                format!(
                    "block gas limit reached: {gas_used} >= {}",
                    header.gas_limit
                ),
            ));
        }
        let gas = gas.min(self.gas_left);
        let base_fee = header.base_fee_per_gas.map(U256::from);
        let fees = args.fees(base_fee)?;
        let fees = match (fees, base_fee, args.gas_price) {
            // Geth's simulated transactions default to EIP-1559 ones.
            (TxFees::Legacy { .. }, Some(_), None) => TxFees::Dynamic {
                max_fee_per_gas: U256::ZERO,
                max_priority_fee_per_gas: U256::ZERO,
            },
            (fees, ..) => fees,
        };
        let tx = args.to_transaction(fees, nonce, gas, env.chain_id)?;
        let validation = if self.validation {
            Validation::Simulate
        } else {
            Validation::Call
        };
        let db = self.with_hashes(&reader);
        let mut evm = Evm::with_hook(&db, env.clone(), CallHook { validation })
            .with_precompiles(self.precompiles.as_ref());
        let mut tracer = SimTracer::new(self.trace_transfers, *log_count);
        let result = match evm.transact_with(&tx, from, &mut tracer) {
            Ok(result) => result,
            Err(TxError::Invalid(invalid)) => return Err(invalid_error(&invalid, from, gas)),
            Err(TxError::Vm(e)) => return Err(vm_error(e)),
        };
        let changes = evm.into_changes().map_err(vm_error)?;
        drop(db);
        drop(reader);
        let output = match result.created {
            Some(created) if result.success => deployed_code(&changes, created).unwrap_or_default(),
            _ if result.success => result.output.clone(),
            _ => Bytes::new(),
        };
        self.apply(&changes)?;
        self.gas_left = self.gas_left.saturating_sub(result.gas_used);
        *log_count = tracer.count;
        let max_used_gas = tracer
            .root
            .map_or(result.gas_used, |(given, used)| gas - given + used)
            .max(if env.fork >= Fork::Prague {
                calldata_floor_gas(&tx)
            } else {
                0
            });
        let error = match (result.success, result.halt) {
            (true, _) => None,
            (false, Some(halt)) => {
                Some(json!({ "message": halt_message(halt), "code": code::VM_ERROR }))
            }
            (false, None) => Some(revert_error_object(&result.output)),
        };
        Ok(CallRecord {
            tx: unsigned(tx),
            from,
            output,
            gas_used: result.gas_used,
            max_used_gas,
            success: result.success,
            error,
            logs: if result.success {
                tracer.logs
            } else {
                Vec::new()
            },
            receipt_logs: result.logs,
        })
    }

    fn block_json(&self, block: &Block, hash: B256, records: &[CallRecord]) -> Value {
        let header = &block.header;
        let mut json = block_json(block, false);
        let calls: Vec<Value> = records
            .iter()
            .enumerate()
            .map(|(index, record)| {
                let tx_hash = record.tx.hash();
                let logs: Vec<Value> = record
                    .logs
                    .iter()
                    .map(|(log, log_index)| {
                        let at = LogPosition {
                            block_hash: hash,
                            block_number: header.number,
                            block_timestamp: header.timestamp,
                            transaction_hash: tx_hash,
                            transaction_index: index as u64,
                            log_index: *log_index,
                        };
                        log_json(log, at, false)
                    })
                    .collect();
                let mut call = json!({
                    "returnData": record.output.to_string(),
                    "logs": logs,
                    "gasUsed": format!("{:#x}", record.gas_used),
                    "maxUsedGas": format!("{:#x}", record.max_used_gas),
                    "status": if record.success { "0x1" } else { "0x0" },
                });
                if let (Some(error), Some(map)) = (&record.error, call.as_object_mut()) {
                    map.insert("error".into(), error.clone());
                }
                call
            })
            .collect();
        if let Some(map) = json.as_object_mut() {
            map.insert("calls".into(), Value::Array(calls));
            if self.full_transactions {
                let txs = records
                    .iter()
                    .enumerate()
                    .map(|(index, record)| {
                        let position = TxPosition {
                            block_hash: hash,
                            block_number: header.number,
                            block_timestamp: header.timestamp,
                            index: index as u64,
                            base_fee: header.base_fee_per_gas,
                        };
                        transaction_json(&record.tx, record.from, Some(position))
                    })
                    .collect();
                map.insert("transactions".into(), Value::Array(txs));
            }
        }
        json
    }
}

fn internal(e: ethrex_blockchain::BlockError) -> RpcError {
    RpcError::internal(e.to_string())
}

/// The receipt of a call, `cumulative` gas used in the block after it.
fn record_receipt(record: &CallRecord, cumulative: u64) -> Receipt {
    transaction_receipt(
        &record.tx,
        record.success,
        cumulative,
        record.receipt_logs.clone(),
    )
}

/// `tx` with a zero signature (how geth's simulated blocks carry calls).
fn unsigned(mut tx: Transaction) -> Transaction {
    match &mut tx {
        Transaction::Legacy(t) => (t.v, t.r, t.s) = (0, U256::ZERO, U256::ZERO),
        Transaction::Eip2930(t) => (t.y_parity, t.r, t.s) = (false, U256::ZERO, U256::ZERO),
        Transaction::Eip1559(t) => (t.y_parity, t.r, t.s) = (false, U256::ZERO, U256::ZERO),
        Transaction::Eip4844(t, _) => (t.y_parity, t.r, t.s) = (false, U256::ZERO, U256::ZERO),
        Transaction::Eip7702(t) => (t.y_parity, t.r, t.s) = (false, U256::ZERO, U256::ZERO),
        Transaction::Privileged(_) => {}
    }
    tx
}

/// The error object of a reverted call (code 3, with the data).
fn revert_error_object(output: &Bytes) -> Value {
    let error = revert_error(output);
    json!({
        "message": error.message,
        "code": 3,
        "data": output.to_string(),
    })
}

/// The simulation's error for a call that cannot run, with geth's codes.
fn invalid_error(invalid: &InvalidTransaction, from: Address, gas: u64) -> RpcError {
    let code = match invalid {
        InvalidTransaction::NonceMismatch { tx, state } if tx < state => code::NONCE_TOO_LOW,
        InvalidTransaction::NonceMismatch { .. } => code::NONCE_TOO_HIGH,
        InvalidTransaction::SenderNotEoa(_) => code::SENDER_NOT_EOA,
        InvalidTransaction::FeeBelowBaseFee { .. } => code::FEE_CAP_TOO_LOW,
        InvalidTransaction::InsufficientFunds { .. } => code::INSUFFICIENT_FUNDS,
        InvalidTransaction::Stateless(TxValidityError::IntrinsicGasTooLow { .. }) => {
            code::INTRINSIC_GAS
        }
        InvalidTransaction::Stateless(TxValidityError::PriorityAboveMaxFee { .. }) => {
            code::INVALID_PARAMS
        }
        InvalidTransaction::Stateless(TxValidityError::InitcodeSizeExceeded { .. }) => {
            code::INIT_CODE_TOO_LARGE
        }
        _ => code::INTERNAL,
    };
    RpcError::new(
        code,
        format!(
            "err: {} (supplied gas {gas})",
            invalid_message(invalid, from)
        ),
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::methods::test_chain::{TestChain, test_chain};

    const CALLER: &str = "0xc000000000000000000000000000000000000000";
    const CONTRACT: &str = "0xc200000000000000000000000000000000000000";
    const IDENTITY: &str = "0x0000000000000000000000000000000000000004";
    const MOVED_TO: &str = "0x0000000000000000000000000000000000123456";
    /// Returns the 32-byte word 42.
    const RETURNS_42: &str = "0x602a5f5260205ff3";
    const WORD_42: &str = "0x000000000000000000000000000000000000000000000000000000000000002a";

    /// The calls of the one block simulated with `block` (`traceTransfers` on) at the head.
    fn simulate_one(chain: &TestChain, block: serde_json::Value) -> Vec<serde_json::Value> {
        let options = json!({ "blockStateCalls": [block], "traceTransfers": true });
        let result = chain.ok("eth_simulateV1", json!([options, "latest"]));
        result[0]["calls"].as_array().cloned().unwrap_or_default()
    }

    fn call_to(to: &str, input: &str) -> serde_json::Value {
        json!({ "from": CALLER, "to": to, "input": input })
    }

    #[test]
    fn a_moved_precompile_runs_at_its_new_address_and_the_old_one_runs_its_code() {
        let block = json!({
            "stateOverrides": {
                IDENTITY: { "code": RETURNS_42, "movePrecompileToAddress": MOVED_TO },
            },
            "calls": [call_to(MOVED_TO, "0x1234"), call_to(IDENTITY, "0x1234")],
        });
        let calls = simulate_one(&test_chain!(u64::MAX), block);
        assert_eq!(calls[0]["returnData"], "0x1234");
        assert_eq!(calls[1]["returnData"], WORD_42);
    }

    #[test]
    fn overriding_a_precompiles_code_runs_the_code() {
        let block = json!({
            "stateOverrides": { IDENTITY: { "code": RETURNS_42 } },
            "calls": [call_to(IDENTITY, "0x1234")],
        });
        let calls = simulate_one(&test_chain!(u64::MAX), block);
        assert_eq!(calls[0]["returnData"], WORD_42);
    }

    #[test]
    fn moving_a_plain_account_is_refused() {
        let chain = test_chain!(u64::MAX);
        let options = json!({ "blockStateCalls": [{
            "stateOverrides": { CONTRACT: { "movePrecompileToAddress": MOVED_TO } },
        }] });
        let err = chain
            .call("eth_simulateV1", json!([options, "latest"]))
            .unwrap_err();
        assert_eq!(err.code, -32000);
        assert!(
            err.message.contains("is not a precompile"),
            "{}",
            err.message
        );
    }

    #[test]
    fn selfdestruct_shows_as_a_transfer_log() {
        let beneficiary = "0x00000000000000000000000000000000000000be";
        let code = format!("0x73{}ff", &beneficiary[2..]);
        let block = json!({
            "stateOverrides": { CONTRACT: { "code": code, "balance": "0x1e8480" } },
            "calls": [call_to(CONTRACT, "0x")],
        });
        let calls = simulate_one(&test_chain!(u64::MAX), block);
        let logs = calls[0]["logs"].as_array().unwrap();
        assert_eq!(logs.len(), 1, "{logs:?}");
        assert_eq!(
            logs[0]["address"],
            "0xeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"
        );
        let topic = |address: &str| format!("0x{:0>64}", &address[2..]);
        assert_eq!(logs[0]["topics"][1], topic(CONTRACT));
        assert_eq!(logs[0]["topics"][2], topic(beneficiary));
        assert_eq!(logs[0]["data"], format!("0x{:0>64}", "1e8480"));
    }

    #[test]
    fn blobbasefee_reads_the_blob_base_fee_override() {
        // BLOBBASEFEE; PUSH0; MSTORE; RETURN(0, 32).
        let block = json!({
            "blockOverrides": { "blobBaseFee": "0x7" },
            "stateOverrides": { CONTRACT: { "code": "0x4a5f5260205ff3" } },
            "calls": [call_to(CONTRACT, "0x")],
        });
        let calls = simulate_one(&test_chain!(u64::MAX), block);
        assert_eq!(calls[0]["returnData"], format!("0x{:0>64}", "7"));
    }
}
