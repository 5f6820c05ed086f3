//! The opcodes, one file per family, and the 256-entry dispatch table of each fork.
//!
//! Every opcode is a plain function `fn(&mut Frame, &mut Machine) -> Step`: it charges its gas,
//! does its work and returns `Ok(())` to continue, or `Err(Exit)` to end the frame or ask the
//! interpreter for a sub-call. [`table`] builds each fork's table once; an opcode not defined
//! under a fork maps to `flow::invalid`.

mod arithmetic;
mod bitwise;
mod block;
mod environment;
mod flow;
mod hot;
mod logs;
mod memory_ops;
mod stack_ops;
mod storage;
mod system;

use std::sync::OnceLock;

use ethrex_common::Fork;

pub use hot::execute;

use crate::{
    frame::{Exit, Frame, Machine},
    opcode,
};

/// What an opcode returns: continue, or end the frame with an [`Exit`].
pub type Step = Result<(), Exit>;

/// An opcode implementation.
pub type OpFn = fn(&mut Frame, &mut Machine) -> Step;

/// A fork's dispatch table.
pub struct OpTable(pub [OpFn; 256]);

/// The dispatch table of `fork` (built on first use, then shared).
pub fn table(fork: Fork) -> &'static OpTable {
    static TABLES: OnceLock<Vec<OpTable>> = OnceLock::new();
    let tables = TABLES.get_or_init(|| Fork::ALL.iter().map(|f| build(*f)).collect());
    let index = Fork::ALL
        .iter()
        .position(|f| *f == fork)
        .unwrap_or(Fork::ALL.len().saturating_sub(1));
    &tables[index]
}

/// `[f::<1>, f::<2>, ...]` for a const-generic opcode family.
macro_rules! family {
    ($m:ident :: $f:ident; $($n:literal)*) => { [$({ let f: OpFn = $m::$f::<$n>; f }),*] };
}

/// The opcodes and the fork that introduced each.
fn definitions() -> Vec<(u8, Fork, OpFn)> {
    use Fork::*;
    let mut ops: Vec<(u8, Fork, OpFn)> = vec![
        (opcode::STOP, Frontier, flow::stop),
        (opcode::ADD, Frontier, arithmetic::add),
        (opcode::MUL, Frontier, arithmetic::mul),
        (opcode::SUB, Frontier, arithmetic::sub),
        (opcode::DIV, Frontier, arithmetic::div),
        (opcode::SDIV, Frontier, arithmetic::sdiv),
        (opcode::MOD, Frontier, arithmetic::rem),
        (opcode::SMOD, Frontier, arithmetic::smod),
        (opcode::ADDMOD, Frontier, arithmetic::addmod),
        (opcode::MULMOD, Frontier, arithmetic::mulmod),
        (opcode::EXP, Frontier, arithmetic::exp),
        (opcode::SIGNEXTEND, Frontier, arithmetic::signextend),
        (opcode::LT, Frontier, bitwise::lt),
        (opcode::GT, Frontier, bitwise::gt),
        (opcode::SLT, Frontier, bitwise::slt),
        (opcode::SGT, Frontier, bitwise::sgt),
        (opcode::EQ, Frontier, bitwise::eq),
        (opcode::ISZERO, Frontier, bitwise::iszero),
        (opcode::AND, Frontier, bitwise::and),
        (opcode::OR, Frontier, bitwise::or),
        (opcode::XOR, Frontier, bitwise::xor),
        (opcode::NOT, Frontier, bitwise::not),
        (opcode::BYTE, Frontier, bitwise::byte),
        (opcode::SHL, Constantinople, bitwise::shl),
        (opcode::SHR, Constantinople, bitwise::shr),
        (opcode::SAR, Constantinople, bitwise::sar),
        (opcode::CLZ, Osaka, bitwise::clz),
        (opcode::KECCAK256, Frontier, memory_ops::keccak),
        (opcode::ADDRESS, Frontier, environment::address),
        (opcode::BALANCE, Frontier, environment::balance),
        (opcode::ORIGIN, Frontier, environment::origin),
        (opcode::CALLER, Frontier, environment::caller),
        (opcode::CALLVALUE, Frontier, environment::callvalue),
        (opcode::CALLDATALOAD, Frontier, environment::calldataload),
        (opcode::CALLDATASIZE, Frontier, environment::calldatasize),
        (opcode::CALLDATACOPY, Frontier, environment::calldatacopy),
        (opcode::CODESIZE, Frontier, environment::codesize),
        (opcode::CODECOPY, Frontier, environment::codecopy),
        (opcode::GASPRICE, Frontier, environment::gasprice),
        (opcode::EXTCODESIZE, Frontier, environment::extcodesize),
        (opcode::EXTCODECOPY, Frontier, environment::extcodecopy),
        (
            opcode::RETURNDATASIZE,
            Byzantium,
            environment::returndatasize,
        ),
        (
            opcode::RETURNDATACOPY,
            Byzantium,
            environment::returndatacopy,
        ),
        (
            opcode::EXTCODEHASH,
            Constantinople,
            environment::extcodehash,
        ),
        (opcode::BLOCKHASH, Frontier, block::blockhash),
        (opcode::COINBASE, Frontier, block::coinbase),
        (opcode::TIMESTAMP, Frontier, block::timestamp),
        (opcode::NUMBER, Frontier, block::number),
        (opcode::PREVRANDAO, Frontier, block::prevrandao),
        (opcode::GASLIMIT, Frontier, block::gaslimit),
        (opcode::CHAINID, Istanbul, block::chainid),
        (opcode::SELFBALANCE, Istanbul, environment::selfbalance),
        (opcode::BASEFEE, London, block::basefee),
        (opcode::BLOBHASH, Cancun, block::blobhash),
        (opcode::BLOBBASEFEE, Cancun, block::blobbasefee),
        (opcode::POP, Frontier, stack_ops::pop),
        (opcode::MLOAD, Frontier, memory_ops::mload),
        (opcode::MSTORE, Frontier, memory_ops::mstore),
        (opcode::MSTORE8, Frontier, memory_ops::mstore8),
        (opcode::SLOAD, Frontier, storage::sload),
        (opcode::SSTORE, Frontier, storage::sstore),
        (opcode::JUMP, Frontier, flow::jump),
        (opcode::JUMPI, Frontier, flow::jumpi),
        (opcode::PC, Frontier, flow::pc),
        (opcode::MSIZE, Frontier, memory_ops::msize),
        (opcode::GAS, Frontier, flow::gas_left),
        (opcode::JUMPDEST, Frontier, flow::jumpdest),
        (opcode::TLOAD, Cancun, storage::tload),
        (opcode::TSTORE, Cancun, storage::tstore),
        (opcode::MCOPY, Cancun, memory_ops::mcopy),
        (opcode::PUSH0, Shanghai, stack_ops::push0),
        (opcode::LOG0, Frontier, logs::log::<0>),
        (opcode::LOG1, Frontier, logs::log::<1>),
        (opcode::LOG2, Frontier, logs::log::<2>),
        (opcode::LOG3, Frontier, logs::log::<3>),
        (opcode::LOG4, Frontier, logs::log::<4>),
        (opcode::CREATE, Frontier, system::create_op),
        (opcode::CALL, Frontier, system::call_op),
        (opcode::CALLCODE, Frontier, system::callcode),
        (opcode::RETURN, Frontier, flow::ret),
        (opcode::DELEGATECALL, Homestead, system::delegatecall),
        (opcode::CREATE2, Constantinople, system::create2),
        (opcode::STATICCALL, Byzantium, system::staticcall),
        (opcode::REVERT, Byzantium, flow::revert),
        (opcode::INVALID, Frontier, flow::invalid),
        (opcode::SELFDESTRUCT, Frontier, system::selfdestruct),
    ];
    let pushes = family!(stack_ops::push; 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32);
    let dups = family!(stack_ops::dup; 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16);
    let swaps = family!(stack_ops::swap; 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16);
    for (first, family) in [
        (opcode::PUSH1, &pushes[..]),
        (opcode::DUP1, &dups[..]),
        (opcode::SWAP1, &swaps[..]),
    ] {
        for (op, f) in (first..).zip(family) {
            ops.push((op, Frontier, *f));
        }
    }
    ops
}

fn build(fork: Fork) -> OpTable {
    let invalid: OpFn = flow::invalid;
    let mut table = [invalid; 256];
    for (op, since, f) in definitions() {
        if fork >= since {
            table[usize::from(op)] = f;
        }
    }
    OpTable(table)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::{
        BlockEnv, InMemoryDb,
        code::Code,
        frame::{FrameKind, TxContext},
        state::State,
    };
    use alloy_primitives::map::HashMap;
    use alloy_primitives::{Address, Bytes, U256};
    use std::sync::Arc;

    /// Runs a binary opcode on `a` (top) and `b` and returns the result.
    pub fn run_binary(op: OpFn, a: U256, b: U256) -> U256 {
        let db = InMemoryDb::default();
        let mut state = State::new(&db);
        let env = test_env(Fork::Osaka);
        let mut cache = HashMap::default();
        let context = TxContext {
            origin: Address::ZERO,
            gas_price: U256::ZERO,
            blob_hashes: vec![],
        };
        let mut machine = Machine::new(&mut state, &env, &mut cache, context);
        let mut frame = test_frame(&mut machine);
        frame.stack.push(b).unwrap();
        frame.stack.push(a).unwrap();
        assert!(op(&mut frame, &mut machine).is_ok());
        frame.stack.pop().unwrap()
    }

    pub fn test_env(fork: Fork) -> BlockEnv {
        BlockEnv {
            fork,
            chain_id: 1,
            number: 1,
            coinbase: Address::ZERO,
            timestamp: 0,
            gas_limit: 30_000_000,
            base_fee: None,
            difficulty: U256::ZERO,
            prev_randao: None,
            excess_blob_gas: None,
            blob_params: None,
            blob_base_fee_override: None,
        }
    }

    pub fn test_frame(machine: &mut Machine) -> Frame {
        Frame {
            code: Arc::new(Code::analyse(&Bytes::new())),
            pc: 0,
            stack: Default::default(),
            mem: 0,
            gas: 1_000_000,
            address: Address::ZERO,
            caller: Address::ZERO,
            value: U256::ZERO,
            input: Bytes::new(),
            is_static: false,
            depth: 0,
            return_data: Bytes::new(),
            kind: FrameKind::Call {
                ret_offset: 0,
                ret_len: 0,
            },
            checkpoint: machine.state.checkpoint(),
        }
    }

    #[test]
    fn the_definitions_are_exactly_the_named_opcodes_once_each() {
        let mut defined: Vec<u8> = definitions().iter().map(|(op, _, _)| *op).collect();
        defined.sort_unstable();
        let named: Vec<u8> = (0..=u8::MAX)
            .filter(|op| opcode::name(*op) != "INVALID" || *op == opcode::INVALID)
            .collect();
        assert_eq!(defined, named);
    }

    #[test]
    fn every_fork_defines_exactly_its_opcodes() {
        let defined = |fork: Fork| {
            table(fork)
                .0
                .iter()
                .filter(|f| **f as usize != flow::invalid as *const () as usize)
                .count()
        };
        // 0xfe INVALID is defined but maps to `invalid` itself, so it is not counted.
        assert_eq!(defined(Fork::Frontier), 129);
        assert_eq!(defined(Fork::Homestead), 130);
        assert_eq!(defined(Fork::Byzantium), 134);
        assert_eq!(defined(Fork::Constantinople), 139);
        assert_eq!(defined(Fork::Istanbul), 141);
        assert_eq!(defined(Fork::London), 142);
        assert_eq!(defined(Fork::Shanghai), 143);
        assert_eq!(defined(Fork::Cancun), 148);
        assert_eq!(defined(Fork::Osaka), 149);
    }
}
