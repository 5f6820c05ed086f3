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
use crate::frame::{Frame, Machine};

/// Runs opcode `op` under `table`: inlined when it is one of [`HOT`], through the table
/// otherwise.
#[inline(always)]
pub fn execute(op: u8, table: &OpTable, f: &mut Frame, m: &mut Machine) -> Step {
    match op {
        0x01 => arithmetic::add(f, m),
        0x02 => arithmetic::mul(f, m),
        0x03 => arithmetic::sub(f, m),
        0x10 => bitwise::lt(f, m),
        0x11 => bitwise::gt(f, m),
        0x14 => bitwise::eq(f, m),
        0x15 => bitwise::iszero(f, m),
        0x16 => bitwise::and(f, m),
        0x17 => bitwise::or(f, m),
        0x50 => stack_ops::pop(f, m),
        0x51 => memory_ops::mload(f, m),
        0x52 => memory_ops::mstore(f, m),
        0x56 => flow::jump(f, m),
        0x57 => flow::jumpi(f, m),
        0x5b => flow::jumpdest(f, m),
        0x60 => stack_ops::push::<1>(f, m),
        0x61 => stack_ops::push::<2>(f, m),
        0x62 => stack_ops::push::<3>(f, m),
        0x63 => stack_ops::push::<4>(f, m),
        0x64 => stack_ops::push::<5>(f, m),
        0x65 => stack_ops::push::<6>(f, m),
        0x66 => stack_ops::push::<7>(f, m),
        0x67 => stack_ops::push::<8>(f, m),
        0x68 => stack_ops::push::<9>(f, m),
        0x69 => stack_ops::push::<10>(f, m),
        0x6a => stack_ops::push::<11>(f, m),
        0x6b => stack_ops::push::<12>(f, m),
        0x6c => stack_ops::push::<13>(f, m),
        0x6d => stack_ops::push::<14>(f, m),
        0x6e => stack_ops::push::<15>(f, m),
        0x6f => stack_ops::push::<16>(f, m),
        0x70 => stack_ops::push::<17>(f, m),
        0x71 => stack_ops::push::<18>(f, m),
        0x72 => stack_ops::push::<19>(f, m),
        0x73 => stack_ops::push::<20>(f, m),
        0x74 => stack_ops::push::<21>(f, m),
        0x75 => stack_ops::push::<22>(f, m),
        0x76 => stack_ops::push::<23>(f, m),
        0x77 => stack_ops::push::<24>(f, m),
        0x78 => stack_ops::push::<25>(f, m),
        0x79 => stack_ops::push::<26>(f, m),
        0x7a => stack_ops::push::<27>(f, m),
        0x7b => stack_ops::push::<28>(f, m),
        0x7c => stack_ops::push::<29>(f, m),
        0x7d => stack_ops::push::<30>(f, m),
        0x7e => stack_ops::push::<31>(f, m),
        0x7f => stack_ops::push::<32>(f, m),
        0x80 => stack_ops::dup::<1>(f, m),
        0x81 => stack_ops::dup::<2>(f, m),
        0x82 => stack_ops::dup::<3>(f, m),
        0x83 => stack_ops::dup::<4>(f, m),
        0x84 => stack_ops::dup::<5>(f, m),
        0x85 => stack_ops::dup::<6>(f, m),
        0x86 => stack_ops::dup::<7>(f, m),
        0x87 => stack_ops::dup::<8>(f, m),
        0x88 => stack_ops::dup::<9>(f, m),
        0x89 => stack_ops::dup::<10>(f, m),
        0x8a => stack_ops::dup::<11>(f, m),
        0x8b => stack_ops::dup::<12>(f, m),
        0x8c => stack_ops::dup::<13>(f, m),
        0x8d => stack_ops::dup::<14>(f, m),
        0x8e => stack_ops::dup::<15>(f, m),
        0x8f => stack_ops::dup::<16>(f, m),
        0x90 => stack_ops::swap::<1>(f, m),
        0x91 => stack_ops::swap::<2>(f, m),
        0x92 => stack_ops::swap::<3>(f, m),
        0x93 => stack_ops::swap::<4>(f, m),
        0x94 => stack_ops::swap::<5>(f, m),
        0x95 => stack_ops::swap::<6>(f, m),
        0x96 => stack_ops::swap::<7>(f, m),
        0x97 => stack_ops::swap::<8>(f, m),
        0x98 => stack_ops::swap::<9>(f, m),
        0x99 => stack_ops::swap::<10>(f, m),
        0x9a => stack_ops::swap::<11>(f, m),
        0x9b => stack_ops::swap::<12>(f, m),
        0x9c => stack_ops::swap::<13>(f, m),
        0x9d => stack_ops::swap::<14>(f, m),
        0x9e => stack_ops::swap::<15>(f, m),
        0x9f => stack_ops::swap::<16>(f, m),
        _ => (table.0[usize::from(op)])(f, m),
    }
}

/// The opcodes [`execute`] inlines, with the function it runs for each.
#[cfg(test)]
pub const HOT: &[(u8, OpFn)] = &[
    (0x01, arithmetic::add as OpFn),
    (0x02, arithmetic::mul as OpFn),
    (0x03, arithmetic::sub as OpFn),
    (0x10, bitwise::lt as OpFn),
    (0x11, bitwise::gt as OpFn),
    (0x14, bitwise::eq as OpFn),
    (0x15, bitwise::iszero as OpFn),
    (0x16, bitwise::and as OpFn),
    (0x17, bitwise::or as OpFn),
    (0x50, stack_ops::pop as OpFn),
    (0x51, memory_ops::mload as OpFn),
    (0x52, memory_ops::mstore as OpFn),
    (0x56, flow::jump as OpFn),
    (0x57, flow::jumpi as OpFn),
    (0x5b, flow::jumpdest as OpFn),
    (0x60, stack_ops::push::<1> as OpFn),
    (0x61, stack_ops::push::<2> as OpFn),
    (0x62, stack_ops::push::<3> as OpFn),
    (0x63, stack_ops::push::<4> as OpFn),
    (0x64, stack_ops::push::<5> as OpFn),
    (0x65, stack_ops::push::<6> as OpFn),
    (0x66, stack_ops::push::<7> as OpFn),
    (0x67, stack_ops::push::<8> as OpFn),
    (0x68, stack_ops::push::<9> as OpFn),
    (0x69, stack_ops::push::<10> as OpFn),
    (0x6a, stack_ops::push::<11> as OpFn),
    (0x6b, stack_ops::push::<12> as OpFn),
    (0x6c, stack_ops::push::<13> as OpFn),
    (0x6d, stack_ops::push::<14> as OpFn),
    (0x6e, stack_ops::push::<15> as OpFn),
    (0x6f, stack_ops::push::<16> as OpFn),
    (0x70, stack_ops::push::<17> as OpFn),
    (0x71, stack_ops::push::<18> as OpFn),
    (0x72, stack_ops::push::<19> as OpFn),
    (0x73, stack_ops::push::<20> as OpFn),
    (0x74, stack_ops::push::<21> as OpFn),
    (0x75, stack_ops::push::<22> as OpFn),
    (0x76, stack_ops::push::<23> as OpFn),
    (0x77, stack_ops::push::<24> as OpFn),
    (0x78, stack_ops::push::<25> as OpFn),
    (0x79, stack_ops::push::<26> as OpFn),
    (0x7a, stack_ops::push::<27> as OpFn),
    (0x7b, stack_ops::push::<28> as OpFn),
    (0x7c, stack_ops::push::<29> as OpFn),
    (0x7d, stack_ops::push::<30> as OpFn),
    (0x7e, stack_ops::push::<31> as OpFn),
    (0x7f, stack_ops::push::<32> as OpFn),
    (0x80, stack_ops::dup::<1> as OpFn),
    (0x81, stack_ops::dup::<2> as OpFn),
    (0x82, stack_ops::dup::<3> as OpFn),
    (0x83, stack_ops::dup::<4> as OpFn),
    (0x84, stack_ops::dup::<5> as OpFn),
    (0x85, stack_ops::dup::<6> as OpFn),
    (0x86, stack_ops::dup::<7> as OpFn),
    (0x87, stack_ops::dup::<8> as OpFn),
    (0x88, stack_ops::dup::<9> as OpFn),
    (0x89, stack_ops::dup::<10> as OpFn),
    (0x8a, stack_ops::dup::<11> as OpFn),
    (0x8b, stack_ops::dup::<12> as OpFn),
    (0x8c, stack_ops::dup::<13> as OpFn),
    (0x8d, stack_ops::dup::<14> as OpFn),
    (0x8e, stack_ops::dup::<15> as OpFn),
    (0x8f, stack_ops::dup::<16> as OpFn),
    (0x90, stack_ops::swap::<1> as OpFn),
    (0x91, stack_ops::swap::<2> as OpFn),
    (0x92, stack_ops::swap::<3> as OpFn),
    (0x93, stack_ops::swap::<4> as OpFn),
    (0x94, stack_ops::swap::<5> as OpFn),
    (0x95, stack_ops::swap::<6> as OpFn),
    (0x96, stack_ops::swap::<7> as OpFn),
    (0x97, stack_ops::swap::<8> as OpFn),
    (0x98, stack_ops::swap::<9> as OpFn),
    (0x99, stack_ops::swap::<10> as OpFn),
    (0x9a, stack_ops::swap::<11> as OpFn),
    (0x9b, stack_ops::swap::<12> as OpFn),
    (0x9c, stack_ops::swap::<13> as OpFn),
    (0x9d, stack_ops::swap::<14> as OpFn),
    (0x9e, stack_ops::swap::<15> as OpFn),
    (0x9f, stack_ops::swap::<16> as OpFn),
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
