//! Tracers built on the [`crate::inspector::Inspector`] hooks: geth's struct logger (one entry
//! per opcode), call tracer (the tree of calls) and the access tracer (the accounts and slots a
//! transaction reaches: access lists and prestate traces).

mod access;
mod call_tracer;
mod struct_logger;

pub use access::AccessTracer;
pub use call_tracer::{CallFrame, CallLog, CallTracer, CallTracerConfig};
pub use struct_logger::{StructLog, StructLogger, StructLoggerConfig};

/// Opcode mnemonics, for traces.
pub fn opcode_name(op: u8) -> &'static str {
    const NAMES: [&str; 256] = {
        let mut names = ["INVALID"; 256];
        let known: [(u8, &str); 92] = [
            (0x00, "STOP"),
            (0x01, "ADD"),
            (0x02, "MUL"),
            (0x03, "SUB"),
            (0x04, "DIV"),
            (0x05, "SDIV"),
            (0x06, "MOD"),
            (0x07, "SMOD"),
            (0x08, "ADDMOD"),
            (0x09, "MULMOD"),
            (0x0a, "EXP"),
            (0x0b, "SIGNEXTEND"),
            (0x10, "LT"),
            (0x11, "GT"),
            (0x12, "SLT"),
            (0x13, "SGT"),
            (0x14, "EQ"),
            (0x15, "ISZERO"),
            (0x16, "AND"),
            (0x17, "OR"),
            (0x18, "XOR"),
            (0x19, "NOT"),
            (0x1a, "BYTE"),
            (0x1b, "SHL"),
            (0x1c, "SHR"),
            (0x1d, "SAR"),
            (0x1e, "CLZ"),
            (0x20, "KECCAK256"),
            (0x30, "ADDRESS"),
            (0x31, "BALANCE"),
            (0x32, "ORIGIN"),
            (0x33, "CALLER"),
            (0x34, "CALLVALUE"),
            (0x35, "CALLDATALOAD"),
            (0x36, "CALLDATASIZE"),
            (0x37, "CALLDATACOPY"),
            (0x38, "CODESIZE"),
            (0x39, "CODECOPY"),
            (0x3a, "GASPRICE"),
            (0x3b, "EXTCODESIZE"),
            (0x3c, "EXTCODECOPY"),
            (0x3d, "RETURNDATASIZE"),
            (0x3e, "RETURNDATACOPY"),
            (0x3f, "EXTCODEHASH"),
            (0x40, "BLOCKHASH"),
            (0x41, "COINBASE"),
            (0x42, "TIMESTAMP"),
            (0x43, "NUMBER"),
            (0x44, "PREVRANDAO"),
            (0x45, "GASLIMIT"),
            (0x46, "CHAINID"),
            (0x47, "SELFBALANCE"),
            (0x48, "BASEFEE"),
            (0x49, "BLOBHASH"),
            (0x4a, "BLOBBASEFEE"),
            (0x50, "POP"),
            (0x51, "MLOAD"),
            (0x52, "MSTORE"),
            (0x53, "MSTORE8"),
            (0x54, "SLOAD"),
            (0x55, "SSTORE"),
            (0x56, "JUMP"),
            (0x57, "JUMPI"),
            (0x58, "PC"),
            (0x59, "MSIZE"),
            (0x5a, "GAS"),
            (0x5b, "JUMPDEST"),
            (0x5c, "TLOAD"),
            (0x5d, "TSTORE"),
            (0x5e, "MCOPY"),
            (0x5f, "PUSH0"),
            (0xa0, "LOG0"),
            (0xa1, "LOG1"),
            (0xa2, "LOG2"),
            (0xa3, "LOG3"),
            (0xa4, "LOG4"),
            (0xf0, "CREATE"),
            (0xf1, "CALL"),
            (0xf2, "CALLCODE"),
            (0xf3, "RETURN"),
            (0xf4, "DELEGATECALL"),
            (0xf5, "CREATE2"),
            (0xfa, "STATICCALL"),
            (0xfd, "REVERT"),
            (0xfe, "INVALID"),
            (0xff, "SELFDESTRUCT"),
            (0x60, "PUSH1"),
            (0x7f, "PUSH32"),
            (0x80, "DUP1"),
            (0x8f, "DUP16"),
            (0x90, "SWAP1"),
            (0x9f, "SWAP16"),
        ];
        let mut i = 0;
        while i < known.len() {
            names[known[i].0 as usize] = known[i].1;
            i += 1;
        }
        const PUSH: [&str; 32] = [
            "PUSH1", "PUSH2", "PUSH3", "PUSH4", "PUSH5", "PUSH6", "PUSH7", "PUSH8", "PUSH9",
            "PUSH10", "PUSH11", "PUSH12", "PUSH13", "PUSH14", "PUSH15", "PUSH16", "PUSH17",
            "PUSH18", "PUSH19", "PUSH20", "PUSH21", "PUSH22", "PUSH23", "PUSH24", "PUSH25",
            "PUSH26", "PUSH27", "PUSH28", "PUSH29", "PUSH30", "PUSH31", "PUSH32",
        ];
        const DUP: [&str; 16] = [
            "DUP1", "DUP2", "DUP3", "DUP4", "DUP5", "DUP6", "DUP7", "DUP8", "DUP9", "DUP10",
            "DUP11", "DUP12", "DUP13", "DUP14", "DUP15", "DUP16",
        ];
        const SWAP: [&str; 16] = [
            "SWAP1", "SWAP2", "SWAP3", "SWAP4", "SWAP5", "SWAP6", "SWAP7", "SWAP8", "SWAP9",
            "SWAP10", "SWAP11", "SWAP12", "SWAP13", "SWAP14", "SWAP15", "SWAP16",
        ];
        let mut j = 0;
        while j < 32 {
            names[0x60 + j] = PUSH[j];
            if j < 16 {
                names[0x80 + j] = DUP[j];
                names[0x90 + j] = SWAP[j];
            }
            j += 1;
        }
        names
    };
    NAMES[usize::from(op)]
}
