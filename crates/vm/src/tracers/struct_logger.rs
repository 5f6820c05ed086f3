//! Geth's struct logger: one entry per executed opcode with pc, gas, cost, depth and stack.

use alloy_primitives::U256;

use super::opcode_name;
use crate::inspector::{Inspector, StepInfo};

/// One executed opcode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StructLog {
    pub pc: usize,
    pub op: &'static str,
    pub gas: u64,
    pub gas_cost: u64,
    /// Call depth, 1 for the transaction's own frame (as geth counts).
    pub depth: usize,
    pub stack: Vec<U256>,
}

/// Collects a [`StructLog`] per opcode (memory is not recorded, to bound the trace's size).
#[derive(Debug, Default)]
pub struct StructLogger {
    pub logs: Vec<StructLog>,
}

impl Inspector for StructLogger {
    const STEPS: bool = true;

    fn step(&mut self, step: &StepInfo<'_>) {
        self.logs.push(StructLog {
            pc: step.pc,
            op: opcode_name(step.op),
            gas: step.gas,
            gas_cost: 0,
            depth: step.depth + 1,
            stack: step.stack.to_vec(),
        });
    }

    fn step_end(&mut self, gas_left: u64) {
        if let Some(last) = self.logs.last_mut() {
            last.gas_cost = last.gas.saturating_sub(gas_left);
        }
    }
}
