//! Geth's struct logger: one entry per executed opcode with pc, gas, cost, depth and, as
//! configured, the stack, the memory, the storage the contract touched so far and the last
//! call's return data.
//!
//! Storage is recorded as geth does: on SLOAD (the value read) and SSTORE (the value written),
//! each entry carrying every slot of the executing contract seen so far in the transaction.

use std::collections::{BTreeMap, HashMap};

use alloy_primitives::{Address, Bytes, U256};

use crate::{
    Halt,
    inspector::{Inspector, StepEnd, StepInfo},
    opcode::{SLOAD, SSTORE},
};

/// What the struct logger records besides pc, op, gas, cost and depth (geth's options; the
/// default is geth's: stack and storage, no memory, no return data).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StructLoggerConfig {
    pub stack: bool,
    pub memory: bool,
    pub storage: bool,
    pub return_data: bool,
}

impl Default for StructLoggerConfig {
    fn default() -> Self {
        Self {
            stack: true,
            memory: false,
            storage: true,
            return_data: false,
        }
    }
}

/// One executed opcode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StructLog {
    pub pc: usize,
    pub op: u8,
    pub gas: u64,
    pub gas_cost: u64,
    /// Call depth, 1 for the transaction's own frame (as geth counts).
    pub depth: usize,
    /// Bottom first; `None` when not recorded.
    pub stack: Option<Vec<U256>>,
    /// The frame's memory; `None` when not recorded.
    pub memory: Option<Bytes>,
    /// The executing contract's slots seen so far (on SLOAD and SSTORE only).
    pub storage: Option<BTreeMap<U256, U256>>,
    /// Output of the frame's last child call; `None` when not recorded.
    pub return_data: Option<Bytes>,
    /// The refund counter before the opcode.
    pub refund: u64,
    /// The halt the opcode caused.
    pub error: Option<Halt>,
}

/// Collects a [`StructLog`] per opcode.
#[derive(Debug, Default)]
pub struct StructLogger {
    pub config: StructLoggerConfig,
    pub logs: Vec<StructLog>,
    /// Per contract, the slots seen so far.
    storage: HashMap<Address, BTreeMap<U256, U256>>,
    /// The contract and slot of a running SLOAD (its value is known once it executed).
    pending_load: Option<(Address, U256)>,
}

impl StructLogger {
    pub fn new(config: StructLoggerConfig) -> Self {
        Self {
            config,
            ..Default::default()
        }
    }
}

impl Inspector for StructLogger {
    const STEPS: bool = true;

    fn step(&mut self, step: &StepInfo<'_>) {
        let config = self.config;
        let top = |n: usize| step.stack_top(n);
        let mut storage = None;
        if config.storage {
            match (step.op, top(0), top(1)) {
                (SLOAD, Some(key), _) => self.pending_load = Some((step.address, key)),
                (SSTORE, Some(key), Some(value)) => {
                    let slots = self.storage.entry(step.address).or_default();
                    slots.insert(key, value);
                    storage = Some(slots.clone());
                }
                _ => {}
            }
        }
        self.logs.push(StructLog {
            pc: step.pc,
            op: step.op,
            gas: step.gas,
            gas_cost: 0,
            depth: step.depth.saturating_add(1),
            stack: config.stack.then(|| step.stack.to_vec()),
            memory: config.memory.then(|| Bytes::copy_from_slice(step.memory)),
            storage,
            return_data: config
                .return_data
                .then(|| Bytes::copy_from_slice(step.return_data)),
            refund: step.refund,
            error: None,
        });
    }

    fn step_end(&mut self, end: &StepEnd<'_>) {
        let Some(last) = self.logs.last_mut() else {
            return;
        };
        last.gas_cost = last.gas.saturating_sub(end.gas_left);
        last.error = end.halt;
        if let Some((address, key)) = self.pending_load.take()
            && end.halt.is_none()
            && let Some(value) = end.stack.last()
        {
            let slots = self.storage.entry(address).or_default();
            slots.insert(key, *value);
            last.storage = Some(slots.clone());
        }
    }
}
