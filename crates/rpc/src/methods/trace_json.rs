//! The JSON of traces, as geth writes them: the struct logger's (`structLogs`), the call
//! tracer's tree (`callTracer`) and the prestate tracer's accounts (`prestateTracer`, with or
//! without `diffMode`).

use std::collections::{BTreeMap, BTreeSet};

use alloy_primitives::{Address, Bytes, U256};
use ethrex_vm::{
    Database, StateChanges, TxResult,
    tracers::{CallFrame, StructLog},
};
use serde_json::{Map, Value, json};

use super::{
    call::{deployed_code, halt_message, op_name, revert_reason, vm_error},
    trace::Executed,
};
use crate::RpcError;

fn hex_u64(n: u64) -> Value {
    Value::String(format!("{n:#x}"))
}

fn hex_u256(n: U256) -> Value {
    Value::String(format!("{n:#x}"))
}

/// An address as geth writes it in JSON (lowercase hex).
fn address(a: &Address) -> String {
    format!("{a:#x}")
}

fn word(n: U256) -> String {
    alloy_primitives::B256::from(n).to_string()
}

/// The struct logger's result: gas used, failure, return value and one entry per opcode.
pub fn struct_logs_json(result: &TxResult, logs: &[StructLog]) -> Value {
    let logs: Vec<Value> = logs.iter().map(struct_log_json).collect();
    json!({
        "gas": result.gas_used,
        "failed": !result.success,
        "returnValue": result.output.to_string(),
        "structLogs": logs,
    })
}

fn struct_log_json(log: &StructLog) -> Value {
    let mut o = Map::new();
    o.insert("pc".into(), json!(log.pc));
    o.insert("op".into(), Value::String(op_name(log.op)));
    o.insert("gas".into(), json!(log.gas));
    o.insert("gasCost".into(), json!(log.gas_cost));
    o.insert("depth".into(), json!(log.depth));
    if let Some(error) = log.error {
        o.insert("error".into(), Value::String(halt_message(error)));
    }
    if let Some(stack) = &log.stack {
        o.insert(
            "stack".into(),
            stack.iter().copied().map(hex_u256).collect(),
        );
    }
    if let Some(memory) = log.memory.as_ref().filter(|m| !m.is_empty()) {
        let words = memory
            .chunks(32)
            .map(|chunk| Value::String(Bytes::copy_from_slice(chunk).to_string()))
            .collect();
        o.insert("memory".into(), Value::Array(words));
    }
    if let Some(data) = log.return_data.as_ref().filter(|d| !d.is_empty()) {
        o.insert("returnData".into(), Value::String(data.to_string()));
    }
    if let Some(storage) = &log.storage {
        let slots = storage
            .iter()
            .map(|(k, v)| (word(*k), Value::String(word(*v))))
            .collect();
        o.insert("storage".into(), Value::Object(slots));
    }
    if log.refund > 0 {
        o.insert("refund".into(), json!(log.refund));
    }
    Value::Object(o)
}

/// The call tracer's tree for `executed`; as geth: the top frame carries the transaction's gas
/// limit and gas used, a creation's output is the code it deployed, and logs of failed frames
/// (and their sub-calls) are dropped.
pub fn call_frame_json(root: &CallFrame, executed: &Executed) -> Value {
    let mut root = root.clone();
    root.gas = executed.gas_limit;
    root.gas_used = executed.result.gas_used;
    clear_failed_logs(&mut root, false);
    set_created_code(&mut root, &executed.changes);
    frame_json(&root)
}

fn set_created_code(frame: &mut CallFrame, changes: &StateChanges) {
    if frame.success
        && frame.call_type.starts_with("CREATE")
        && let Some(code) = frame.to.and_then(|a| deployed_code(changes, a))
    {
        frame.output = code;
    }
    for call in &mut frame.calls {
        set_created_code(call, changes);
    }
}

fn clear_failed_logs(frame: &mut CallFrame, parent_failed: bool) {
    let failed = parent_failed || !frame.success;
    if failed {
        frame.logs.clear();
    }
    for call in &mut frame.calls {
        clear_failed_logs(call, failed);
    }
}

fn frame_json(frame: &CallFrame) -> Value {
    let mut o = Map::new();
    o.insert("type".into(), Value::String(frame.call_type.into()));
    o.insert("from".into(), Value::String(address(&frame.from)));
    if let Some(to) = &frame.to {
        o.insert("to".into(), Value::String(address(to)));
    }
    if frame.call_type != "STATICCALL" {
        o.insert("value".into(), hex_u256(frame.value));
    }
    o.insert("gas".into(), hex_u64(frame.gas));
    o.insert("gasUsed".into(), hex_u64(frame.gas_used));
    o.insert("input".into(), Value::String(frame.input.to_string()));
    let reverted = !frame.success && frame.halt.is_none();
    if (frame.success || reverted) && !frame.output.is_empty() {
        o.insert("output".into(), Value::String(frame.output.to_string()));
    }
    if !frame.success {
        let error = frame
            .halt
            .map_or("execution reverted".to_string(), halt_message);
        o.insert("error".into(), Value::String(error));
        if reverted && let Some(reason) = revert_reason(&frame.output) {
            o.insert("revertReason".into(), Value::String(reason));
        }
    }
    if !frame.logs.is_empty() {
        let logs = frame
            .logs
            .iter()
            .map(|l| {
                json!({
                    "address": l.log.address,
                    "topics": l.log.data.topics(),
                    "data": l.log.data.data,
                    "position": hex_u64(l.position as u64),
                })
            })
            .collect();
        o.insert("logs".into(), Value::Array(logs));
    }
    if !frame.calls.is_empty() {
        o.insert(
            "calls".into(),
            Value::Array(frame.calls.iter().map(frame_json).collect()),
        );
    }
    Value::Object(o)
}

/// Options of the prestate tracer.
#[derive(Debug, Clone, Copy, Default)]
pub struct PrestateConfig {
    pub diff_mode: bool,
    pub disable_code: bool,
    pub disable_storage: bool,
}

/// One account of a prestate trace.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Account {
    balance: Option<U256>,
    nonce: u64,
    code: Bytes,
    storage: BTreeMap<U256, U256>,
}

impl Account {
    fn exists(&self) -> bool {
        self.nonce > 0
            || !self.code.is_empty()
            || !self.storage.is_empty()
            || self.balance.is_some_and(|b| !b.is_zero())
    }

    fn json(&self, config: PrestateConfig) -> Value {
        let mut o = Map::new();
        if let Some(balance) = self.balance {
            o.insert("balance".into(), hex_u256(balance));
        }
        if self.nonce > 0 {
            o.insert("nonce".into(), json!(self.nonce));
        }
        if !self.code.is_empty() && !config.disable_code {
            o.insert("code".into(), Value::String(self.code.to_string()));
            let hash = alloy_primitives::keccak256(&self.code);
            o.insert("codeHash".into(), Value::String(hash.to_string()));
        }
        if !self.storage.is_empty() && !config.disable_storage {
            let slots = self
                .storage
                .iter()
                .map(|(k, v)| (word(*k), Value::String(word(*v))))
                .collect();
            o.insert("storage".into(), Value::Object(slots));
        }
        Value::Object(o)
    }
}

/// What a prestate trace is built from.
pub struct PrestateInput<'a> {
    /// The state before the transaction.
    pub before: &'a dyn Database,
    /// The transaction's changes.
    pub changes: &'a StateChanges,
    /// Accounts (and their slots) the transaction touched: its sender, recipient and the
    /// coinbase included.
    pub touched: &'a BTreeMap<Address, BTreeSet<U256>>,
    /// Contracts it created.
    pub created: &'a BTreeSet<Address>,
}

/// The prestate tracer's result: each touched account before the transaction or, in diff
/// mode, `{pre, post}` with only what changed.
pub fn prestate_json(input: &PrestateInput<'_>, config: PrestateConfig) -> Result<Value, RpcError> {
    let mut pre = BTreeMap::new();
    for (address, slots) in input.touched {
        let info = input.before.account(address).map_err(vm_error)?;
        let info = info.unwrap_or_default();
        let code = input.before.code(&info.code_hash).map_err(vm_error)?;
        let mut storage = BTreeMap::new();
        for slot in slots {
            let value = input.before.storage(address, slot).map_err(vm_error)?;
            storage.insert(*slot, value);
        }
        let account = Account {
            balance: Some(info.balance),
            nonce: info.nonce,
            code,
            storage,
        };
        pre.insert(*address, (info, account));
    }
    let mut post = BTreeMap::new();
    if config.diff_mode {
        for (address, (info, account)) in pre.iter_mut() {
            let change = input
                .changes
                .accounts
                .iter()
                .find(|c| c.address == *address);
            let Some(change) = change else {
                // Untouched by the transaction's writes: nothing to show.
                account.storage.clear();
                account.balance = None;
                continue;
            };
            let Some(new_info) = change.info else {
                continue; // deleted: only in `pre`
            };
            let mut after = Account::default();
            let mut modified = false;
            if new_info.balance != info.balance {
                modified = true;
                after.balance = Some(new_info.balance);
            }
            if new_info.nonce != info.nonce {
                modified = true;
                after.nonce = new_info.nonce;
            }
            if new_info.code_hash != info.code_hash {
                modified = true;
                after.code = match &change.code {
                    Some(code) => code.clone(),
                    None => input.before.code(&new_info.code_hash).map_err(vm_error)?,
                };
            }
            let mut kept = BTreeMap::new();
            for (slot, old) in &account.storage {
                let new = new_value(change, *slot, *old);
                if new == *old {
                    continue;
                }
                modified = true;
                if !old.is_zero() {
                    kept.insert(*slot, *old);
                }
                if !new.is_zero() {
                    after.storage.insert(*slot, new);
                }
            }
            account.storage = kept;
            if modified {
                post.insert(*address, after);
            } else {
                account.balance = None;
            }
        }
        pre.retain(|_, (_, account)| account.balance.is_some());
    }
    pre.retain(|address, (_, account)| !input.created.contains(address) || account.exists());
    let pre_json: Map<String, Value> = pre
        .iter()
        .map(|(a, (_, account))| (address(a), account.json(config)))
        .collect();
    if !config.diff_mode {
        return Ok(Value::Object(pre_json));
    }
    let post_json: Map<String, Value> = post
        .iter()
        .map(|(a, account)| (address(a), account.json(config)))
        .collect();
    Ok(json!({ "pre": pre_json, "post": post_json }))
}

/// A slot's value after the transaction.
fn new_value(change: &ethrex_vm::AccountChange, slot: U256, old: U256) -> U256 {
    match change.storage.iter().find(|(s, _)| *s == slot) {
        Some((_, value)) => *value,
        None if change.storage_cleared => U256::ZERO,
        None => old,
    }
}
