//! The hot path of dispatch: the opcodes programs run most (stack, jumps, cheap arithmetic and
//! memory) are matched here and inlined into the interpreter loop instead of being called
//! through the fork's table — no indirect call, no prologue, the frame stays in registers.
//!
//! Guarantee: the behaviour is the table's. Every opcode here is defined since Frontier and
//! never redefined, so each fork's table holds this very function for it ([`HOT`] lists them;
//! a test checks both facts against the table definitions).

#[cfg(test)]
use super::OpFn;
use super::{OpTable, Step, arithmetic, bitwise, flow, memory_ops, stack_ops};
use crate::{
    frame::{Frame, Machine},
    opcode,
};

/// Runs opcode `op` under `table`: inlined when it is one of [`HOT`], through the table
/// otherwise.
#[inline(always)]
pub fn execute(op: u8, table: &OpTable, f: &mut Frame, m: &mut Machine) -> Step {
    match op {
        opcode::ADD => arithmetic::add(f, m),
        opcode::MUL => arithmetic::mul(f, m),
        opcode::SUB => arithmetic::sub(f, m),
        opcode::LT => bitwise::lt(f, m),
        opcode::GT => bitwise::gt(f, m),
        opcode::EQ => bitwise::eq(f, m),
        opcode::ISZERO => bitwise::iszero(f, m),
        opcode::AND => bitwise::and(f, m),
        opcode::OR => bitwise::or(f, m),
        opcode::POP => stack_ops::pop(f, m),
        opcode::MLOAD => memory_ops::mload(f, m),
        opcode::MSTORE => memory_ops::mstore(f, m),
        opcode::JUMP => flow::jump(f, m),
        opcode::JUMPI => flow::jumpi(f, m),
        opcode::JUMPDEST => flow::jumpdest(f, m),
        opcode::PUSH1 => stack_ops::push::<1>(f, m),
        opcode::PUSH2 => stack_ops::push::<2>(f, m),
        opcode::PUSH3 => stack_ops::push::<3>(f, m),
        opcode::PUSH4 => stack_ops::push::<4>(f, m),
        opcode::PUSH5 => stack_ops::push::<5>(f, m),
        opcode::PUSH6 => stack_ops::push::<6>(f, m),
        opcode::PUSH7 => stack_ops::push::<7>(f, m),
        opcode::PUSH8 => stack_ops::push::<8>(f, m),
        opcode::PUSH9 => stack_ops::push::<9>(f, m),
        opcode::PUSH10 => stack_ops::push::<10>(f, m),
        opcode::PUSH11 => stack_ops::push::<11>(f, m),
        opcode::PUSH12 => stack_ops::push::<12>(f, m),
        opcode::PUSH13 => stack_ops::push::<13>(f, m),
        opcode::PUSH14 => stack_ops::push::<14>(f, m),
        opcode::PUSH15 => stack_ops::push::<15>(f, m),
        opcode::PUSH16 => stack_ops::push::<16>(f, m),
        opcode::PUSH17 => stack_ops::push::<17>(f, m),
        opcode::PUSH18 => stack_ops::push::<18>(f, m),
        opcode::PUSH19 => stack_ops::push::<19>(f, m),
        opcode::PUSH20 => stack_ops::push::<20>(f, m),
        opcode::PUSH21 => stack_ops::push::<21>(f, m),
        opcode::PUSH22 => stack_ops::push::<22>(f, m),
        opcode::PUSH23 => stack_ops::push::<23>(f, m),
        opcode::PUSH24 => stack_ops::push::<24>(f, m),
        opcode::PUSH25 => stack_ops::push::<25>(f, m),
        opcode::PUSH26 => stack_ops::push::<26>(f, m),
        opcode::PUSH27 => stack_ops::push::<27>(f, m),
        opcode::PUSH28 => stack_ops::push::<28>(f, m),
        opcode::PUSH29 => stack_ops::push::<29>(f, m),
        opcode::PUSH30 => stack_ops::push::<30>(f, m),
        opcode::PUSH31 => stack_ops::push::<31>(f, m),
        opcode::PUSH32 => stack_ops::push::<32>(f, m),
        opcode::DUP1 => stack_ops::dup::<1>(f, m),
        opcode::DUP2 => stack_ops::dup::<2>(f, m),
        opcode::DUP3 => stack_ops::dup::<3>(f, m),
        opcode::DUP4 => stack_ops::dup::<4>(f, m),
        opcode::DUP5 => stack_ops::dup::<5>(f, m),
        opcode::DUP6 => stack_ops::dup::<6>(f, m),
        opcode::DUP7 => stack_ops::dup::<7>(f, m),
        opcode::DUP8 => stack_ops::dup::<8>(f, m),
        opcode::DUP9 => stack_ops::dup::<9>(f, m),
        opcode::DUP10 => stack_ops::dup::<10>(f, m),
        opcode::DUP11 => stack_ops::dup::<11>(f, m),
        opcode::DUP12 => stack_ops::dup::<12>(f, m),
        opcode::DUP13 => stack_ops::dup::<13>(f, m),
        opcode::DUP14 => stack_ops::dup::<14>(f, m),
        opcode::DUP15 => stack_ops::dup::<15>(f, m),
        opcode::DUP16 => stack_ops::dup::<16>(f, m),
        opcode::SWAP1 => stack_ops::swap::<1>(f, m),
        opcode::SWAP2 => stack_ops::swap::<2>(f, m),
        opcode::SWAP3 => stack_ops::swap::<3>(f, m),
        opcode::SWAP4 => stack_ops::swap::<4>(f, m),
        opcode::SWAP5 => stack_ops::swap::<5>(f, m),
        opcode::SWAP6 => stack_ops::swap::<6>(f, m),
        opcode::SWAP7 => stack_ops::swap::<7>(f, m),
        opcode::SWAP8 => stack_ops::swap::<8>(f, m),
        opcode::SWAP9 => stack_ops::swap::<9>(f, m),
        opcode::SWAP10 => stack_ops::swap::<10>(f, m),
        opcode::SWAP11 => stack_ops::swap::<11>(f, m),
        opcode::SWAP12 => stack_ops::swap::<12>(f, m),
        opcode::SWAP13 => stack_ops::swap::<13>(f, m),
        opcode::SWAP14 => stack_ops::swap::<14>(f, m),
        opcode::SWAP15 => stack_ops::swap::<15>(f, m),
        opcode::SWAP16 => stack_ops::swap::<16>(f, m),
        _ => (table.0[usize::from(op)])(f, m),
    }
}

/// The opcodes [`execute`] inlines, with the function it runs for each.
#[cfg(test)]
pub const HOT: &[(u8, OpFn)] = &[
    (opcode::ADD, arithmetic::add as OpFn),
    (opcode::MUL, arithmetic::mul as OpFn),
    (opcode::SUB, arithmetic::sub as OpFn),
    (opcode::LT, bitwise::lt as OpFn),
    (opcode::GT, bitwise::gt as OpFn),
    (opcode::EQ, bitwise::eq as OpFn),
    (opcode::ISZERO, bitwise::iszero as OpFn),
    (opcode::AND, bitwise::and as OpFn),
    (opcode::OR, bitwise::or as OpFn),
    (opcode::POP, stack_ops::pop as OpFn),
    (opcode::MLOAD, memory_ops::mload as OpFn),
    (opcode::MSTORE, memory_ops::mstore as OpFn),
    (opcode::JUMP, flow::jump as OpFn),
    (opcode::JUMPI, flow::jumpi as OpFn),
    (opcode::JUMPDEST, flow::jumpdest as OpFn),
    (opcode::PUSH1, stack_ops::push::<1> as OpFn),
    (opcode::PUSH2, stack_ops::push::<2> as OpFn),
    (opcode::PUSH3, stack_ops::push::<3> as OpFn),
    (opcode::PUSH4, stack_ops::push::<4> as OpFn),
    (opcode::PUSH5, stack_ops::push::<5> as OpFn),
    (opcode::PUSH6, stack_ops::push::<6> as OpFn),
    (opcode::PUSH7, stack_ops::push::<7> as OpFn),
    (opcode::PUSH8, stack_ops::push::<8> as OpFn),
    (opcode::PUSH9, stack_ops::push::<9> as OpFn),
    (opcode::PUSH10, stack_ops::push::<10> as OpFn),
    (opcode::PUSH11, stack_ops::push::<11> as OpFn),
    (opcode::PUSH12, stack_ops::push::<12> as OpFn),
    (opcode::PUSH13, stack_ops::push::<13> as OpFn),
    (opcode::PUSH14, stack_ops::push::<14> as OpFn),
    (opcode::PUSH15, stack_ops::push::<15> as OpFn),
    (opcode::PUSH16, stack_ops::push::<16> as OpFn),
    (opcode::PUSH17, stack_ops::push::<17> as OpFn),
    (opcode::PUSH18, stack_ops::push::<18> as OpFn),
    (opcode::PUSH19, stack_ops::push::<19> as OpFn),
    (opcode::PUSH20, stack_ops::push::<20> as OpFn),
    (opcode::PUSH21, stack_ops::push::<21> as OpFn),
    (opcode::PUSH22, stack_ops::push::<22> as OpFn),
    (opcode::PUSH23, stack_ops::push::<23> as OpFn),
    (opcode::PUSH24, stack_ops::push::<24> as OpFn),
    (opcode::PUSH25, stack_ops::push::<25> as OpFn),
    (opcode::PUSH26, stack_ops::push::<26> as OpFn),
    (opcode::PUSH27, stack_ops::push::<27> as OpFn),
    (opcode::PUSH28, stack_ops::push::<28> as OpFn),
    (opcode::PUSH29, stack_ops::push::<29> as OpFn),
    (opcode::PUSH30, stack_ops::push::<30> as OpFn),
    (opcode::PUSH31, stack_ops::push::<31> as OpFn),
    (opcode::PUSH32, stack_ops::push::<32> as OpFn),
    (opcode::DUP1, stack_ops::dup::<1> as OpFn),
    (opcode::DUP2, stack_ops::dup::<2> as OpFn),
    (opcode::DUP3, stack_ops::dup::<3> as OpFn),
    (opcode::DUP4, stack_ops::dup::<4> as OpFn),
    (opcode::DUP5, stack_ops::dup::<5> as OpFn),
    (opcode::DUP6, stack_ops::dup::<6> as OpFn),
    (opcode::DUP7, stack_ops::dup::<7> as OpFn),
    (opcode::DUP8, stack_ops::dup::<8> as OpFn),
    (opcode::DUP9, stack_ops::dup::<9> as OpFn),
    (opcode::DUP10, stack_ops::dup::<10> as OpFn),
    (opcode::DUP11, stack_ops::dup::<11> as OpFn),
    (opcode::DUP12, stack_ops::dup::<12> as OpFn),
    (opcode::DUP13, stack_ops::dup::<13> as OpFn),
    (opcode::DUP14, stack_ops::dup::<14> as OpFn),
    (opcode::DUP15, stack_ops::dup::<15> as OpFn),
    (opcode::DUP16, stack_ops::dup::<16> as OpFn),
    (opcode::SWAP1, stack_ops::swap::<1> as OpFn),
    (opcode::SWAP2, stack_ops::swap::<2> as OpFn),
    (opcode::SWAP3, stack_ops::swap::<3> as OpFn),
    (opcode::SWAP4, stack_ops::swap::<4> as OpFn),
    (opcode::SWAP5, stack_ops::swap::<5> as OpFn),
    (opcode::SWAP6, stack_ops::swap::<6> as OpFn),
    (opcode::SWAP7, stack_ops::swap::<7> as OpFn),
    (opcode::SWAP8, stack_ops::swap::<8> as OpFn),
    (opcode::SWAP9, stack_ops::swap::<9> as OpFn),
    (opcode::SWAP10, stack_ops::swap::<10> as OpFn),
    (opcode::SWAP11, stack_ops::swap::<11> as OpFn),
    (opcode::SWAP12, stack_ops::swap::<12> as OpFn),
    (opcode::SWAP13, stack_ops::swap::<13> as OpFn),
    (opcode::SWAP14, stack_ops::swap::<14> as OpFn),
    (opcode::SWAP15, stack_ops::swap::<15> as OpFn),
    (opcode::SWAP16, stack_ops::swap::<16> as OpFn),
];

#[cfg(test)]
mod tests {
    use ethrex_common::Fork;

    use super::*;
    use crate::opcodes::{definitions, table};

    #[test]
    fn every_hot_opcode_is_a_frontier_opcode_never_redefined() {
        let definitions = definitions();
        for (op, _) in HOT {
            let defined: Vec<Fork> = definitions
                .iter()
                .filter(|(code, _, _)| code == op)
                .map(|(_, since, _)| *since)
                .collect();
            assert_eq!(defined, [Fork::Frontier], "opcode {op:#04x}");
        }
    }

    #[test]
    fn every_forks_table_holds_the_inlined_function() {
        for fork in Fork::ALL {
            for (op, function) in HOT {
                assert!(
                    std::ptr::fn_addr_eq(table(fork).0[usize::from(*op)], *function),
                    "{fork:?} opcode {op:#04x}"
                );
            }
        }
    }
}
