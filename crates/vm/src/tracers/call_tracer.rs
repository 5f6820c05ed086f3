//! Geth's call tracer: the tree of calls and creations with gas, input, output, errors and,
//! optionally, the logs each frame emitted.

use alloy_primitives::{Address, Bytes, Log, U256};

use crate::{
    Halt,
    inspector::{CallInfo, CallOutcome, Inspector},
};

/// What the call tracer records (geth's `onlyTopCall` and `withLog`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CallTracerConfig {
    /// Only the transaction's own frame, no sub-calls.
    pub only_top_call: bool,
    /// Record the logs of each frame.
    pub with_log: bool,
}

/// A log emitted by a frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallLog {
    pub log: Log,
    /// How many sub-calls of the frame had started before the log.
    pub position: usize,
}

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
    /// The exceptional halt, if the frame halted (`None` for a revert).
    pub halt: Option<Halt>,
    pub success: bool,
    pub calls: Vec<CallFrame>,
    /// Logs emitted directly by this frame (with [`CallTracerConfig::with_log`]).
    pub logs: Vec<CallLog>,
}

/// Builds the call tree; [`CallTracer::root`] is the transaction's frame once it ended.
#[derive(Debug, Default)]
pub struct CallTracer {
    pub config: CallTracerConfig,
    stack: Vec<CallFrame>,
    /// Frames started (including ignored ones under `only_top_call`).
    depth: usize,
    root: Option<CallFrame>,
}

impl CallTracer {
    pub fn new(config: CallTracerConfig) -> Self {
        Self {
            config,
            ..Default::default()
        }
    }

    /// The finished tree.
    pub fn root(&self) -> Option<&CallFrame> {
        self.root.as_ref()
    }

    /// The finished tree, taken out of the tracer.
    pub fn into_root(self) -> Option<CallFrame> {
        self.root
    }

    fn ignored(&self) -> bool {
        self.config.only_top_call && self.depth > 1
    }
}

impl Inspector for CallTracer {
    const LOGS: bool = true;

    fn call_start(&mut self, call: &CallInfo) {
        self.depth = self.depth.saturating_add(1);
        if self.ignored() {
            return;
        }
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
            halt: None,
            success: true,
            calls: Vec::new(),
            logs: Vec::new(),
        });
    }

    fn call_end(&mut self, outcome: &CallOutcome) {
        let ignored = self.ignored();
        self.depth = self.depth.saturating_sub(1);
        if ignored {
            return;
        }
        let Some(mut frame) = self.stack.pop() else {
            return;
        };
        frame.gas_used = outcome.gas_used;
        frame.output = outcome.output.clone();
        frame.error = outcome.error.clone();
        frame.halt = outcome.halt;
        frame.success = outcome.success;
        if outcome.created.is_some() {
            frame.to = outcome.created;
        }
        match self.stack.last_mut() {
            Some(parent) => parent.calls.push(frame),
            None => self.root = Some(frame),
        }
    }

    fn log(&mut self, log: &Log) {
        if !self.config.with_log || self.ignored() {
            return;
        }
        if let Some(frame) = self.stack.last_mut() {
            frame.logs.push(CallLog {
                log: log.clone(),
                position: frame.calls.len(),
            });
        }
    }
}
