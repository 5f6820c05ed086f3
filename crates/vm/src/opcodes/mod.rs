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

use crate::frame::{Exit, Frame, Machine};

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
        .unwrap_or(Fork::ALL.len() - 1);
    &tables[index]
}

/// `[f::<1>, f::<2>, ...]` for a const-generic opcode family.
macro_rules! family {
    ($m:ident :: $f:ident; $($n:literal)*) => { [$($m::$f::<$n> as OpFn),*] };
}

/// The opcodes and the fork that introduced each.
fn definitions() -> Vec<(u8, Fork, OpFn)> {
    use Fork::*;
    let mut ops: Vec<(u8, Fork, OpFn)> = vec![
        (0x00, Frontier, flow::stop),
        (0x01, Frontier, arithmetic::add),
        (0x02, Frontier, arithmetic::mul),
        (0x03, Frontier, arithmetic::sub),
        (0x04, Frontier, arithmetic::div),
        (0x05, Frontier, arithmetic::sdiv),
        (0x06, Frontier, arithmetic::rem),
        (0x07, Frontier, arithmetic::smod),
        (0x08, Frontier, arithmetic::addmod),
        (0x09, Frontier, arithmetic::mulmod),
        (0x0a, Frontier, arithmetic::exp),
        (0x0b, Frontier, arithmetic::signextend),
        (0x10, Frontier, bitwise::lt),
        (0x11, Frontier, bitwise::gt),
        (0x12, Frontier, bitwise::slt),
        (0x13, Frontier, bitwise::sgt),
        (0x14, Frontier, bitwise::eq),
        (0x15, Frontier, bitwise::iszero),
        (0x16, Frontier, bitwise::and),
        (0x17, Frontier, bitwise::or),
        (0x18, Frontier, bitwise::xor),
        (0x19, Frontier, bitwise::not),
        (0x1a, Frontier, bitwise::byte),
        (0x1b, Constantinople, bitwise::shl),
        (0x1c, Constantinople, bitwise::shr),
        (0x1d, Constantinople, bitwise::sar),
        (0x1e, Osaka, bitwise::clz),
        (0x20, Frontier, memory_ops::keccak),
        (0x30, Frontier, environment::address),
        (0x31, Frontier, environment::balance),
        (0x32, Frontier, environment::origin),
        (0x33, Frontier, environment::caller),
        (0x34, Frontier, environment::callvalue),
        (0x35, Frontier, environment::calldataload),
        (0x36, Frontier, environment::calldatasize),
        (0x37, Frontier, environment::calldatacopy),
        (0x38, Frontier, environment::codesize),
        (0x39, Frontier, environment::codecopy),
        (0x3a, Frontier, environment::gasprice),
        (0x3b, Frontier, environment::extcodesize),
        (0x3c, Frontier, environment::extcodecopy),
        (0x3d, Byzantium, environment::returndatasize),
        (0x3e, Byzantium, environment::returndatacopy),
        (0x3f, Constantinople, environment::extcodehash),
        (0x40, Frontier, block::blockhash),
        (0x41, Frontier, block::coinbase),
        (0x42, Frontier, block::timestamp),
        (0x43, Frontier, block::number),
        (0x44, Frontier, block::prevrandao),
        (0x45, Frontier, block::gaslimit),
        (0x46, Istanbul, block::chainid),
        (0x47, Istanbul, environment::selfbalance),
        (0x48, London, block::basefee),
        (0x49, Cancun, block::blobhash),
        (0x4a, Cancun, block::blobbasefee),
        (0x50, Frontier, stack_ops::pop),
        (0x51, Frontier, memory_ops::mload),
        (0x52, Frontier, memory_ops::mstore),
        (0x53, Frontier, memory_ops::mstore8),
        (0x54, Frontier, storage::sload),
        (0x55, Frontier, storage::sstore),
        (0x56, Frontier, flow::jump),
        (0x57, Frontier, flow::jumpi),
        (0x58, Frontier, flow::pc),
        (0x59, Frontier, memory_ops::msize),
        (0x5a, Frontier, flow::gas_left),
        (0x5b, Frontier, flow::jumpdest),
        (0x5c, Cancun, storage::tload),
        (0x5d, Cancun, storage::tstore),
        (0x5e, Cancun, memory_ops::mcopy),
        (0x5f, Shanghai, stack_ops::push0),
        (0xa0, Frontier, logs::log::<0>),
        (0xa1, Frontier, logs::log::<1>),
        (0xa2, Frontier, logs::log::<2>),
        (0xa3, Frontier, logs::log::<3>),
        (0xa4, Frontier, logs::log::<4>),
        (0xf0, Frontier, system::create_op),
        (0xf1, Frontier, system::call_op),
        (0xf2, Frontier, system::callcode),
        (0xf3, Frontier, flow::ret),
        (0xf4, Homestead, system::delegatecall),
        (0xf5, Constantinople, system::create2),
        (0xfa, Byzantium, system::staticcall),
        (0xfd, Byzantium, flow::revert),
        (0xfe, Frontier, flow::invalid),
        (0xff, Frontier, system::selfdestruct),
    ];
    let pushes = family!(stack_ops::push; 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32);
    let dups = family!(stack_ops::dup; 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16);
    let swaps = family!(stack_ops::swap; 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16);
    for (first, family) in [(0x60u8, &pushes[..]), (0x80, &dups[..]), (0x90, &swaps[..])] {
        for (op, f) in (first..).zip(family) {
            ops.push((op, Frontier, *f));
        }
    }
    ops
}

fn build(fork: Fork) -> OpTable {
    let mut table = [flow::invalid as OpFn; 256];
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
