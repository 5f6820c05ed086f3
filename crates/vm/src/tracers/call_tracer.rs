//! Geth's call tracer: the tree of calls and creations with gas, input, output and errors.

use alloy_primitives::{Address, Bytes, U256};

use crate::inspector::{CallInfo, CallOutcome, Inspector};

/// One call in the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallFrame {
    /// `CALL`, `STATICCALL`, `CREATE`, ...
    pub call_type: &'static str,
    pub from: Address,
    pub to: Option<Address>,
    pub value: U256,
    pub gas: u64,
    pub gas_used: u64,
    pub input: Bytes,
    pub output: Bytes,
    pub error: Option<String>,
    pub calls: Vec<CallFrame>,
}

/// Builds the call tree; [`CallTracer::root`] is the transaction's frame once it ended.
#[derive(Debug, Default)]
pub struct CallTracer {
    stack: Vec<CallFrame>,
    root: Option<CallFrame>,
}

impl CallTracer {
    /// The finished tree.
    pub fn root(&self) -> Option<&CallFrame> {
        self.root.as_ref()
    }
}

impl Inspector for CallTracer {
    fn call_start(&mut self, call: &CallInfo) {
        self.stack.push(CallFrame {
            call_type: call.call_type.name(),
            from: call.from,
            to: call.to,
            value: call.value,
            gas: call.gas,
            gas_used: 0,
            input: call.input.clone(),
            output: Bytes::new(),
            error: None,
            calls: Vec::new(),
        });
    }

    fn call_end(&mut self, outcome: &CallOutcome) {
        let Some(mut frame) = self.stack.pop() else {
            return;
        };
        frame.gas_used = outcome.gas_used;
        frame.output = outcome.output.clone();
        frame.error = outcome.error.clone();
        if outcome.created.is_some() {
            frame.to = outcome.created;
        }
        match self.stack.last_mut() {
            Some(parent) => parent.calls.push(frame),
            None => self.root = Some(frame),
        }
    }
}
