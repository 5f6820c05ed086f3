//! Tracers built on the [`crate::inspector::Inspector`] hooks: geth's struct logger (one entry
//! per opcode), call tracer (the tree of calls) and the access tracer (the accounts and slots a
//! transaction reaches: access lists and prestate traces).

mod access;
mod call_tracer;
mod struct_logger;

pub use access::AccessTracer;
pub use call_tracer::{CallFrame, CallLog, CallTracer, CallTracerConfig};
pub use struct_logger::{StructLog, StructLogger, StructLoggerConfig};
