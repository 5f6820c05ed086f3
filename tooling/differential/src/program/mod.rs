//! The random program generator: bytecode made of short "snippets", each pushing its own
//! arguments and running one operation (arithmetic, memory, storage, logs, calls, creations,
//! jumps, ...), so that programs are mostly valid and run deep, with rare deliberate faults
//! (stack underflow, invalid jumps, invalid opcodes, huge memory offsets, opcodes of a later fork).
//!
//! A program ends with a final `JUMPDEST` (so every forward jump has a target) and a terminal:
//! `STOP`, `RETURN`, `REVERT`, `INVALID`, `SELFDESTRUCT`, or falling off the end.

mod bls;
mod builder;
mod init;
mod snippets;
pub mod values;

use std::ops::Range;

use alloy_primitives::Address;
use ethrex_common::Fork;
use ethrex_vm::opcode::*;
use rand::{Rng, rngs::StdRng};

pub use builder::Builder;
pub use init::{initcode, self_destruct};

/// What a program may refer to.
#[derive(Debug, Clone)]
pub struct Env {
    pub fork: Fork,
    /// Addresses to query, pay and self-destruct to: existing accounts of every kind, a missing
    /// one, a precompile.
    pub addresses: Vec<Address>,
    /// Contracts worth calling (pre-deployed helpers, the program itself).
    pub callees: Vec<Address>,
    /// The precompiles active under the fork.
    pub precompiles: Vec<Address>,
    /// The number of the block (for `BLOCKHASH` arguments).
    pub block_number: u64,
}

/// How big a program is and what it may contain.
#[derive(Debug, Clone)]
pub struct Profile {
    /// The number of snippets.
    pub snippets: Range<usize>,
    /// Whether the program may create contracts (initcodes are themselves programs: this stops
    /// the nesting).
    pub nested: bool,
    /// Whether the program starts by calling itself with all its gas (deep recursion: to the
    /// 1024-frame limit before EIP-150, to exhaustion after).
    pub recursive: bool,
}

/// The fork that introduced `opcode` (Frontier for the original set).
pub fn since(opcode: u8) -> Fork {
    match opcode {
        DELEGATECALL => Fork::Homestead,
        RETURNDATASIZE | RETURNDATACOPY | STATICCALL | REVERT => Fork::Byzantium,
        SHL..=SAR | EXTCODEHASH | CREATE2 => Fork::Constantinople,
        CHAINID | SELFBALANCE => Fork::Istanbul,
        BASEFEE => Fork::London,
        PUSH0 => Fork::Shanghai,
        BLOBHASH | BLOBBASEFEE | TLOAD..=MCOPY => Fork::Cancun,
        CLZ => Fork::Osaka,
        _ => Fork::Frontier,
    }
}

/// Whether to emit `opcode` under `env`'s fork: always if defined, rarely if not (to check both
/// EVMs treat it as invalid).
pub fn allowed(rng: &mut StdRng, env: &Env, opcode: u8) -> bool {
    env.fork >= since(opcode) || rng.random_bool(0.01)
}

/// A random program for `env`.
pub fn generate(rng: &mut StdRng, env: &Env, profile: &Profile) -> Vec<u8> {
    let mut b = Builder::new(env.fork >= Fork::Shanghai);
    if profile.recursive {
        // CALL(GAS - 1024, ADDRESS, 0, 0, 0, 0, 0) POP: before EIP-150 a call cannot be given
        // all the gas left, as its own cost comes out of it.
        for _ in 0..5 {
            b.push(alloy_primitives::U256::ZERO);
        }
        b.op(ADDRESS, 0, 1);
        b.push_u64(1024);
        b.op(GAS, 0, 1);
        b.op(SUB, 2, 1);
        b.op(CALL, 7, 1);
        b.op(POP, 1, 0);
    }
    let count = rng.random_range(profile.snippets.clone());
    for _ in 0..count {
        snippets::snippet(&mut b, rng, env, profile);
        if b.depth > 48 {
            b.trim_stack(24);
        }
    }
    b.trim_stack(0);
    b.label();
    snippets::terminal(&mut b, rng, env);
    b.finish(rng)
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    fn env(fork: Fork) -> Env {
        Env {
            fork,
            addresses: vec![Address::repeat_byte(1)],
            callees: vec![Address::repeat_byte(2)],
            precompiles: vec![Address::with_last_byte(1)],
            block_number: 1000,
        }
    }

    #[test]
    fn generation_is_deterministic_per_seed() {
        let profile = Profile {
            snippets: 10..40,
            nested: true,
            recursive: false,
        };
        let a = generate(&mut StdRng::seed_from_u64(7), &env(Fork::Osaka), &profile);
        let b = generate(&mut StdRng::seed_from_u64(7), &env(Fork::Osaka), &profile);
        assert_eq!(a, b);
        assert!(a.len() > 10);
    }

    #[test]
    fn opcodes_of_later_forks_are_mostly_left_out() {
        let profile = Profile {
            snippets: 30..60,
            nested: true,
            recursive: false,
        };
        let tloads = (0..50u64)
            .map(|seed| {
                let code = generate(
                    &mut StdRng::seed_from_u64(seed),
                    &env(Fork::Berlin),
                    &profile,
                );
                code.iter().filter(|b| **b == TLOAD).count()
            })
            .sum::<usize>();
        // 0x5c also appears inside push data; TLOAD snippets alone would give far more.
        assert!(tloads < 60, "{tloads}");
    }
}
