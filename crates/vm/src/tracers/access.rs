//! The access tracer: what a transaction's opcodes reach, as geth's access-list and prestate
//! tracers collect it — storage slots read or written (SLOAD, SSTORE), accounts inspected
//! (BALANCE, EXTCODESIZE, EXTCODECOPY, EXTCODEHASH), called (the CALL family), paid by
//! SELFDESTRUCT, and contracts created.

use std::collections::{BTreeMap, BTreeSet};

use alloy_primitives::{Address, U256};

use crate::{
    inspector::{CallOutcome, Inspector, StepInfo},
    opcode,
};

/// The accounts and slots a transaction's execution touched (not its sender, recipient or
/// coinbase unless an opcode reached them).
#[derive(Debug, Default)]
pub struct AccessTracer {
    /// Touched accounts, each with the slots of its storage touched.
    pub accounts: BTreeMap<Address, BTreeSet<U256>>,
    /// Contracts created (by the transaction itself or by CREATE/CREATE2).
    pub created: BTreeSet<Address>,
}

fn address_of(word: U256) -> Address {
    Address::from_word(word.to_be_bytes::<32>().into())
}

impl Inspector for AccessTracer {
    const STEPS: bool = true;

    fn step(&mut self, step: &StepInfo<'_>) {
        let top = |n: usize| step.stack_top(n);
        match step.op {
            opcode::SLOAD | opcode::SSTORE => {
                if let Some(key) = top(0) {
                    self.accounts.entry(step.address).or_default().insert(key);
                }
            }
            opcode::BALANCE
            | opcode::EXTCODESIZE
            | opcode::EXTCODECOPY
            | opcode::EXTCODEHASH
            | opcode::SELFDESTRUCT => {
                if let Some(word) = top(0) {
                    self.accounts.entry(address_of(word)).or_default();
                }
            }
            opcode::CALL | opcode::CALLCODE | opcode::DELEGATECALL | opcode::STATICCALL => {
                if let Some(word) = top(1) {
                    self.accounts.entry(address_of(word)).or_default();
                }
            }
            _ => {}
        }
    }

    fn call_end(&mut self, outcome: &CallOutcome) {
        if let Some(created) = outcome.created {
            self.accounts.entry(created).or_default();
            self.created.insert(created);
        }
    }
}
