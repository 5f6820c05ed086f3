//! The inspector interface: hooks a tracer attaches to, called before and after each opcode and
//! at the start and end of each call frame (a SELFDESTRUCT's transfer counts as a frame, as in
//! geth, so value moved by calls and by self-destruction is reported the same way).
//!
//! The interpreter is generic over the inspector, so with [`NoopInspector`] (the default) every
//! hook compiles to nothing, and the per-opcode hooks are skipped entirely unless the inspector
//! sets [`Inspector::STEPS`] (and the log hook unless it sets [`Inspector::LOGS`]).

use alloy_primitives::{Address, Bytes, Log, U256};

use crate::{Halt, opcode};

/// Which kind of frame a call is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallType {
    Call,
    CallCode,
    DelegateCall,
    StaticCall,
    Create,
    Create2,
    /// A SELFDESTRUCT's transfer of the account's balance to the beneficiary.
    SelfDestruct,
}

impl CallType {
    /// The opcode that starts such a frame.
    pub fn opcode(self) -> u8 {
        match self {
            CallType::Call => opcode::CALL,
            CallType::CallCode => opcode::CALLCODE,
            CallType::DelegateCall => opcode::DELEGATECALL,
            CallType::StaticCall => opcode::STATICCALL,
            CallType::Create => opcode::CREATE,
            CallType::Create2 => opcode::CREATE2,
            CallType::SelfDestruct => opcode::SELFDESTRUCT,
        }
    }

    /// The name geth's tracers use: its opcode's mnemonic.
    pub fn name(self) -> &'static str {
        opcode::name(self.opcode())
    }
}

/// A call or creation about to start, or a SELFDESTRUCT (`from` the destroyed account `to` the
/// beneficiary, `value` its balance, no gas).
#[derive(Debug, Clone)]
pub struct CallInfo {
    pub call_type: CallType,
    pub from: Address,
    /// The callee; `None` for a creation (its address is in the outcome).
    pub to: Option<Address>,
    pub value: U256,
    pub gas: u64,
    pub input: Bytes,
    pub depth: usize,
}

/// How a call or creation ended.
#[derive(Debug, Clone)]
pub struct CallOutcome {
    pub success: bool,
    pub gas_used: u64,
    pub output: Bytes,
    /// The halt or revert reason, if the frame failed.
    pub error: Option<String>,
    /// The exceptional halt, if the frame halted (`None` for a revert).
    pub halt: Option<Halt>,
    pub created: Option<Address>,
}

/// An opcode about to execute.
#[derive(Debug)]
pub struct StepInfo<'a> {
    pub pc: usize,
    pub op: u8,
    pub gas: u64,
    pub depth: usize,
    /// The account whose storage the frame acts on.
    pub address: Address,
    /// Bottom first.
    pub stack: &'a [U256],
    pub memory: &'a [u8],
    /// Output of the frame's last finished child call.
    pub return_data: &'a [u8],
    /// The transaction's refund counter (negative values read as zero).
    pub refund: u64,
}

impl StepInfo<'_> {
    /// The stack value `n` places below the top (0 = top), if the stack is that deep.
    pub fn stack_top(&self, n: usize) -> Option<U256> {
        let index = self.stack.len().checked_sub(n.checked_add(1)?)?;
        self.stack.get(index).copied()
    }
}

/// An opcode that just executed (or ended its frame).
#[derive(Debug)]
pub struct StepEnd<'a> {
    /// The frame's gas left.
    pub gas_left: u64,
    /// The frame's stack after the opcode, bottom first.
    pub stack: &'a [U256],
    /// The exceptional halt the opcode caused, if any.
    pub halt: Option<Halt>,
}

/// Hooks into execution. Every method has an empty default.
pub trait Inspector {
    /// Whether [`Inspector::step`] and [`Inspector::step_end`] are wanted (checked at compile time).
    const STEPS: bool = false;
    /// Whether [`Inspector::log`] is wanted (checked at compile time).
    const LOGS: bool = false;

    /// Before an opcode executes.
    fn step(&mut self, _step: &StepInfo<'_>) {}
    /// After an opcode executed (or ended the frame).
    fn step_end(&mut self, _end: &StepEnd<'_>) {}
    /// A LOG opcode appended `log` (it is dropped later if its frame fails).
    fn log(&mut self, _log: &Log) {}
    /// A call or creation starts. A SELFDESTRUCT is reported as a frame of its own
    /// ([`CallType::SelfDestruct`]) that ends at once, successfully, as geth's tracers see it.
    fn call_start(&mut self, _call: &CallInfo) {}
    /// The innermost running call or creation ended.
    fn call_end(&mut self, _outcome: &CallOutcome) {}
}

/// The inspector that does nothing (and costs nothing).
#[derive(Debug, Default, Clone, Copy)]
pub struct NoopInspector;

impl Inspector for NoopInspector {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stack_top_counts_from_the_top_and_stops_at_the_bottom() {
        let stack = [U256::from(1), U256::from(2), U256::from(3)];
        let step = StepInfo {
            pc: 0,
            op: 0,
            gas: 0,
            depth: 0,
            address: Address::ZERO,
            stack: &stack,
            memory: &[],
            return_data: &[],
            refund: 0,
        };
        assert_eq!(step.stack_top(0), Some(U256::from(3)));
        assert_eq!(step.stack_top(2), Some(U256::from(1)));
        assert_eq!(step.stack_top(3), None);
        assert_eq!(step.stack_top(usize::MAX), None);
    }
}
