//! `debug_traceTransaction`, `debug_traceBlockByNumber`, `debug_traceBlockByHash` and
//! `debug_traceCall` with geth's tracers: the struct logger (the default), `callTracer`
//! (`onlyTopCall`, `withLog`) and `prestateTracer` (`diffMode`, `disableCode`,
//! `disableStorage`).
//!
//! A stored transaction is traced by replaying its block over the parent's state up to it
//! ([`ethrex_blockchain::BlockReplay`]); a call is traced as `eth_call` runs it.

use alloy_primitives::{Address, B256};
use alloy_rpc_types_eth::{BlockId, BlockNumberOrTag};
use ethrex_blockchain::{BlockReplay, ChainError};
use ethrex_common::types::Block;
use ethrex_vm::{
    Database, StateChanges, TxResult,
    inspector::Inspector,
    tracers::{AccessTracer, CallTracer, CallTracerConfig, StructLogger, StructLoggerConfig},
};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{
    call::{Call, deployed_code, invalid_message, state_of},
    call_args::{BlockOverrides, CallArgs},
    overlay::{StateOverride, with_overrides},
    params::{Params, block_number, existing_block},
    trace_json::{PrestateConfig, PrestateInput, call_frame_json, prestate_json, struct_logs_json},
};
use crate::{RpcContext, RpcError};

/// Geth's `TraceConfig` (with `TraceCallConfig`'s overrides); unknown fields are ignored.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TraceConfig {
    tracer: Option<String>,
    tracer_config: Option<Value>,
    #[serde(default)]
    disable_stack: bool,
    #[serde(default)]
    disable_storage: bool,
    #[serde(default)]
    enable_memory: bool,
    #[serde(default)]
    enable_return_data: bool,
    state_overrides: Option<StateOverride>,
    block_overrides: Option<BlockOverrides>,
}

/// Options of the call and prestate tracers (`tracerConfig`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TracerOptions {
    #[serde(default)]
    only_top_call: bool,
    #[serde(default)]
    with_log: bool,
    #[serde(default)]
    diff_mode: bool,
    #[serde(default)]
    disable_code: bool,
    #[serde(default)]
    disable_storage: bool,
}

/// A tracer chosen by a request.
#[derive(Debug, Clone, Copy)]
enum Tracer {
    StructLogger(StructLoggerConfig),
    Call(CallTracerConfig),
    Prestate(PrestateConfig),
}

impl Tracer {
    fn from_config(config: &TraceConfig) -> Result<Self, RpcError> {
        let options: TracerOptions = match &config.tracer_config {
            None | Some(Value::Null) => TracerOptions::default(),
            Some(value) => serde_json::from_value(value.clone())
                .map_err(|e| RpcError::invalid_params(format!("invalid tracerConfig: {e}")))?,
        };
        Ok(match config.tracer.as_deref() {
            None | Some("") | Some("structLogger") => Tracer::StructLogger(StructLoggerConfig {
                stack: !config.disable_stack,
                memory: config.enable_memory,
                storage: !config.disable_storage,
                return_data: config.enable_return_data,
            }),
            Some("callTracer") => Tracer::Call(CallTracerConfig {
                only_top_call: options.only_top_call,
                with_log: options.with_log,
            }),
            Some("prestateTracer") => Tracer::Prestate(PrestateConfig {
                diff_mode: options.diff_mode,
                disable_code: options.disable_code,
                disable_storage: options.disable_storage,
            }),
            Some(other) => {
                return Err(RpcError::server(format!(
                    "tracer {other:?} is not supported: callTracer, prestateTracer or none (struct logger)"
                )));
            }
        })
    }
}

/// A transaction executed under a tracer.
#[derive(Debug)]
pub struct Executed {
    pub result: TxResult,
    pub changes: StateChanges,
    pub gas_limit: u64,
    pub from: Address,
    pub to: Option<Address>,
    pub coinbase: Address,
}

/// Runs one transaction with any inspector (over the state the trace reads as "before").
trait Execute {
    fn execute<I: Inspector>(&self, inspector: &mut I) -> Result<Executed, RpcError>;
}

/// Runs `exec` under `tracer` (`before`: the state before it); the trace's JSON.
fn trace<E: Execute>(
    tracer: Tracer,
    exec: &E,
    before: &dyn Database,
) -> Result<(Value, Executed), RpcError> {
    match tracer {
        Tracer::StructLogger(config) => {
            let mut logger = StructLogger::new(config);
            let executed = exec.execute(&mut logger)?;
            Ok((struct_logs_json(&executed.result, &logger.logs), executed))
        }
        Tracer::Call(config) => {
            let mut tracer = CallTracer::new(config);
            let executed = exec.execute(&mut tracer)?;
            let json = match tracer.root() {
                Some(root) => call_frame_json(root, &executed),
                None => Value::Null,
            };
            Ok((json, executed))
        }
        Tracer::Prestate(config) => {
            let mut tracer = AccessTracer::default();
            let executed = exec.execute(&mut tracer)?;
            let mut touched = tracer.accounts;
            for address in [Some(executed.from), executed.to, Some(executed.coinbase)]
                .into_iter()
                .flatten()
            {
                touched.entry(address).or_default();
            }
            let input = PrestateInput {
                before,
                changes: &executed.changes,
                touched: &touched,
                created: &tracer.created,
            };
            Ok((prestate_json(&input, config)?, executed))
        }
    }
}

/// The next transaction of a block being replayed.
struct ReplayStep<'r, 'a>(&'r BlockReplay<'a>, &'a Block);

impl Execute for ReplayStep<'_, '_> {
    fn execute<I: Inspector>(&self, inspector: &mut I) -> Result<Executed, RpcError> {
        let ReplayStep(replay, block) = self;
        let replayed = replay
            .execute_next(inspector)
            .map_err(chain_error)?
            .ok_or_else(|| RpcError::internal("no transaction left to replay"))?;
        let tx = block
            .body
            .transactions
            .get(replayed.index)
            .ok_or_else(|| RpcError::internal("replayed transaction missing"))?;
        let mut result = replayed.result;
        if let Some(code) = result
            .created
            .and_then(|a| deployed_code(&replayed.changes, a))
        {
            result.output = code;
        }
        Ok(Executed {
            gas_limit: tx.gas_limit(),
            from: replayed.sender,
            to: tx.to().to().copied().or(result.created),
            coinbase: replay.env().coinbase,
            result,
            changes: replayed.changes,
        })
    }
}

fn chain_error(e: ChainError) -> RpcError {
    match e {
        ChainError::ParentStateUnavailable { number, .. } => RpcError::server(format!(
            "required historical state unavailable: the parent state of block #{number} is no longer held"
        )),
        e => RpcError::internal(e.to_string()),
    }
}

/// Traces the transactions of `block` from `first` to `last` (inclusive): their traces.
fn trace_block_range(
    ctx: &RpcContext,
    block: &Block,
    tracer: Tracer,
    range: std::ops::RangeInclusive<usize>,
) -> Result<Vec<Value>, RpcError> {
    if block.header.number == 0 {
        return Err(RpcError::server("genesis is not traceable"));
    }
    let mut replay =
        BlockReplay::new(&ctx.chain, block, ctx.genesis.as_deref()).map_err(chain_error)?;
    replay.skip_to(*range.start()).map_err(chain_error)?;
    let mut traces = Vec::new();
    while replay.next_index() <= *range.end() && replay.next_index() < block.body.transactions.len()
    {
        let index = replay.next_index();
        let (json, executed) = {
            let before = replay.state();
            trace(tracer, &ReplayStep(&replay, block), &before)?
        };
        replay.advance(&ethrex_blockchain::ReplayedTx {
            index,
            sender: executed.from,
            result: executed.result,
            changes: executed.changes,
        });
        traces.push(json);
    }
    Ok(traces)
}

fn tracer_param(p: &Params, index: usize) -> Result<(TraceConfig, Tracer), RpcError> {
    let config: TraceConfig = p.optional(index)?.unwrap_or_default();
    let tracer = Tracer::from_config(&config)?;
    Ok((config, tracer))
}

/// `debug_traceTransaction(hash, config?)`.
pub fn trace_transaction(ctx: &RpcContext, p: &Params) -> Result<Value, RpcError> {
    p.at_most(2)?;
    let hash: B256 = p.required(0)?;
    let (_, tracer) = tracer_param(p, 1)?;
    let location = ctx
        .store
        .tx_location(&hash)?
        .ok_or_else(|| RpcError::server("transaction not found"))?;
    let block = ctx
        .store
        .block_by_hash(&location.block_hash)?
        .ok_or_else(|| RpcError::server("transaction not found"))?;
    let index = usize::try_from(location.index)
        .map_err(|_| RpcError::internal("transaction index out of range"))?;
    trace_block_range(ctx, &block, tracer, index..=index)?
        .pop()
        .ok_or_else(|| RpcError::server("transaction not found"))
}

/// `debug_traceBlockByNumber(number, config?)`.
pub fn trace_block_by_number(ctx: &RpcContext, p: &Params) -> Result<Value, RpcError> {
    p.at_most(2)?;
    let tag: BlockNumberOrTag = p.required(0)?;
    let (_, tracer) = tracer_param(p, 1)?;
    let block = block_number(ctx, tag)?
        .map(|n| ctx.store.block_by_number(n).map(|b| (n, b)))
        .transpose()?;
    let block = match block {
        Some((_, Some(block))) => block,
        Some((n, None)) => return Err(RpcError::server(format!("block #{n} not found"))),
        None => return Err(RpcError::server("block not found")),
    };
    trace_block(ctx, &block, tracer)
}

/// `debug_traceBlockByHash(hash, config?)`.
pub fn trace_block_by_hash(ctx: &RpcContext, p: &Params) -> Result<Value, RpcError> {
    p.at_most(2)?;
    let hash: B256 = p.required(0)?;
    let (_, tracer) = tracer_param(p, 1)?;
    let block = ctx
        .store
        .block_by_hash(&hash)?
        .ok_or_else(|| RpcError::server(format!("block {hash} not found")))?;
    trace_block(ctx, &block, tracer)
}

fn trace_block(ctx: &RpcContext, block: &Block, tracer: Tracer) -> Result<Value, RpcError> {
    let count = block.body.transactions.len();
    if count == 0 {
        if block.header.number == 0 {
            return Err(RpcError::server("genesis is not traceable"));
        }
        return Ok(Value::Array(Vec::new()));
    }
    let traces = trace_block_range(ctx, block, tracer, 0..=count - 1)?;
    Ok(Value::Array(
        block
            .body
            .transactions
            .iter()
            .zip(traces)
            .map(|(tx, result)| json!({ "txHash": tx.hash(), "result": result }))
            .collect(),
    ))
}

/// A call run for `debug_traceCall`.
struct CallStep<'a> {
    call: &'a Call,
    db: &'a dyn Database,
    gas: u64,
}

impl Execute for CallStep<'_> {
    fn execute<I: Inspector>(&self, inspector: &mut I) -> Result<Executed, RpcError> {
        let out = match self.call.run(self.db, self.gas, inspector)? {
            Ok(out) => out,
            Err(invalid) => {
                return Err(RpcError::server(format!(
                    "tracing failed: {}",
                    invalid_message(&invalid, self.call.from)
                )));
            }
        };
        Ok(Executed {
            gas_limit: self.gas,
            from: self.call.from,
            to: self.call.args.to.or(out.result.created),
            coinbase: self.call.env.coinbase,
            result: out.result,
            changes: out.changes,
        })
    }
}

/// `debug_traceCall(callObject, block = latest, config?)`: the call traced as `eth_call` runs
/// it (`config` may carry `stateOverrides` and `blockOverrides`).
pub fn trace_call(ctx: &RpcContext, p: &Params) -> Result<Value, RpcError> {
    p.at_most(3)?;
    let args: CallArgs = p.required(0)?;
    let id: BlockId = p.optional(1)?.unwrap_or_default();
    let (config, tracer) = tracer_param(p, 2)?;
    let header = existing_block(ctx, id)?;
    let state = state_of(ctx, &header)?;
    let overlay = with_overrides(&state, config.state_overrides.as_ref())?;
    let call = Call::new(
        ctx,
        args,
        &header,
        config.block_overrides.as_ref(),
        &overlay,
    )?
    .with_state_overrides(config.state_overrides.as_ref())?;
    let step = CallStep {
        call: &call,
        db: &overlay,
        gas: call.args.gas_or_cap(),
    };
    Ok(trace(tracer, &step, &overlay)?.0)
}
