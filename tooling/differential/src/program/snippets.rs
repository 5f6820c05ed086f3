//! The snippets programs are made of, one function per opcode family. Each pushes its
//! arguments (last argument first, so the first ends on top) and runs its operation; results
//! are often stored with `SSTORE` so that differences in computation surface in the state.

use alloy_primitives::{Address, U256};
use ethrex_common::Fork;
use rand::{Rng, rngs::StdRng};

use super::{
    Builder, Env, Profile, allowed, initcode,
    values::{self, address_word, pick},
};

const SSTORE: u8 = 0x55;
const GAS: u8 = 0x5a;

/// One random snippet.
pub fn snippet(b: &mut Builder, rng: &mut StdRng, env: &Env, profile: &Profile) {
    match rng.random_range(0..100) {
        0..=17 => arithmetic(b, rng, env),
        18..=25 => environment(b, rng, env),
        26..=31 => account_query(b, rng, env),
        32..=43 => memory(b, rng, env),
        44..=55 => storage(b, rng, env),
        56..=59 => log(b, rng, env),
        60..=67 => control(b, rng, env),
        68..=77 => call(b, rng, env),
        78..=81 => precompile_call(b, rng, env),
        82..=86 if profile.nested => create(b, rng, env),
        82..=90 => return_data(b, rng, env),
        91..=96 => stack(b, rng),
        _ => rare(b, rng, env),
    }
}

/// A value argument: a fresh word, or a copy of something already on the stack.
fn value_arg(b: &mut Builder, rng: &mut StdRng, env: &Env) {
    if b.depth > 0 && rng.random_bool(0.25) {
        let n = rng.random_range(1..=b.depth.min(8));
        if b.dup(n) {
            return;
        }
    }
    b.push(values::word(rng, &env.addresses));
}

/// Stores the value on top of the stack under a random key (sometimes).
fn maybe_store(b: &mut Builder, rng: &mut StdRng, p: f64) {
    if rng.random_bool(p) {
        b.push(values::key(rng));
        b.op(SSTORE, 2, 0);
    }
}

fn arithmetic(b: &mut Builder, rng: &mut StdRng, env: &Env) {
    const BINARY: [u8; 21] = [
        0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x0a, 0x0b, 0x10, 0x11, 0x12, 0x13, 0x14,
        0x16, 0x17, 0x18, 0x1a, 0x1b, 0x1c, 0x1d,
    ];
    let (op, inputs) = match rng.random_range(0..10) {
        0..=6 => (pick(rng, &BINARY), 2),
        7 => (pick(rng, &[0x08u8, 0x09]), 3),
        _ => (pick(rng, &[0x15u8, 0x19, 0x1e]), 1),
    };
    if !allowed(rng, env, op) {
        return;
    }
    for _ in 0..inputs {
        value_arg(b, rng, env);
    }
    b.op(op, inputs, 1);
    maybe_store(b, rng, 0.4);
}

fn environment(b: &mut Builder, rng: &mut StdRng, env: &Env) {
    const OPS: [u8; 21] = [
        0x30, 0x32, 0x33, 0x34, 0x36, 0x38, 0x3a, 0x3d, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46,
        0x47, 0x48, 0x4a, 0x58, 0x59, 0x5a, 0x5a,
    ];
    let op = pick(rng, &OPS);
    if !allowed(rng, env, op) {
        return;
    }
    b.op(op, 0, 1);
    maybe_store(b, rng, 0.5);
}

/// An address argument: one of the interesting accounts, or this contract, or the caller.
fn address_arg(b: &mut Builder, rng: &mut StdRng, env: &Env) {
    match rng.random_range(0..10) {
        0 => b.op(0x30, 0, 1), // ADDRESS
        1 => b.op(0x33, 0, 1), // CALLER
        2 => b.push(address_word(pick(rng, &env.precompiles))),
        _ => b.push(address_word(pick(rng, &env.addresses))),
    }
}

fn account_query(b: &mut Builder, rng: &mut StdRng, env: &Env) {
    match rng.random_range(0..10) {
        0..=5 => {
            let op = pick(rng, &[0x31u8, 0x3b, 0x3f]); // BALANCE, EXTCODESIZE, EXTCODEHASH
            if !allowed(rng, env, op) {
                return;
            }
            address_arg(b, rng, env);
            b.op(op, 1, 1);
            maybe_store(b, rng, 0.6);
        }
        6 | 7 => {
            // EXTCODECOPY(address, dest, offset, length)
            b.push(values::length(rng));
            b.push(U256::from(rng.random_range(0..40u64)));
            b.push(values::offset(rng));
            address_arg(b, rng, env);
            b.op(0x3c, 4, 0);
        }
        8 => {
            b.push(values::block_number(rng, env.block_number));
            b.op(0x40, 1, 1); // BLOCKHASH
            maybe_store(b, rng, 0.7);
        }
        _ => {
            if !allowed(rng, env, 0x49) {
                return;
            }
            b.push(U256::from(pick(rng, &[0u64, 0, 1, 2, 5, u64::MAX])));
            b.op(0x49, 1, 1); // BLOBHASH
            maybe_store(b, rng, 0.7);
        }
    }
}

fn memory(b: &mut Builder, rng: &mut StdRng, env: &Env) {
    match rng.random_range(0..12) {
        0..=2 => {
            value_arg(b, rng, env);
            b.push(values::offset(rng));
            b.op(pick(rng, &[0x52u8, 0x52, 0x53]), 2, 0); // MSTORE, MSTORE8
        }
        3 | 4 => {
            b.push(values::offset(rng));
            b.op(0x51, 1, 1); // MLOAD
            maybe_store(b, rng, 0.5);
        }
        5 => {
            if !allowed(rng, env, 0x5e) {
                return;
            }
            b.push(values::length(rng));
            b.push(values::offset(rng));
            b.push(values::offset(rng));
            b.op(0x5e, 3, 0); // MCOPY
        }
        6 | 7 => {
            // CALLDATACOPY / CODECOPY (dest, offset, length)
            b.push(values::length(rng));
            b.push(U256::from(rng.random_range(0..120u64)));
            b.push(values::offset(rng));
            b.op(pick(rng, &[0x37u8, 0x39]), 3, 0);
        }
        8 => {
            b.push(U256::from(pick(rng, &[0u64, 1, 4, 31, 32, 64, 1 << 40])));
            b.op(0x35, 1, 1); // CALLDATALOAD
            maybe_store(b, rng, 0.6);
        }
        _ => {
            b.push(values::length(rng));
            b.push(values::offset(rng));
            b.op(0x20, 2, 1); // KECCAK256
            maybe_store(b, rng, 0.5);
        }
    }
}

fn storage(b: &mut Builder, rng: &mut StdRng, env: &Env) {
    match rng.random_range(0..20) {
        0..=8 => {
            if rng.random_bool(0.8) {
                b.push(values::stored(rng));
            } else {
                value_arg(b, rng, env);
            }
            b.push(values::key(rng));
            b.op(SSTORE, 2, 0);
        }
        9..=12 => {
            b.push(values::key(rng));
            b.op(0x54, 1, 1); // SLOAD
            maybe_store(b, rng, 0.5);
        }
        13..=16 => {
            if !allowed(rng, env, 0x5d) {
                return;
            }
            b.push(values::stored(rng));
            b.push(values::key(rng));
            b.op(0x5d, 2, 0); // TSTORE
        }
        _ => {
            if !allowed(rng, env, 0x5c) {
                return;
            }
            b.push(values::key(rng));
            b.op(0x5c, 1, 1); // TLOAD
            maybe_store(b, rng, 0.8);
        }
    }
}

fn log(b: &mut Builder, rng: &mut StdRng, env: &Env) {
    let topics = rng.random_range(0..=4u8);
    for _ in 0..topics {
        value_arg(b, rng, env);
    }
    b.push(values::length(rng));
    b.push(values::offset(rng));
    b.op(0xa0 + topics, 2 + usize::from(topics), 0);
}

fn control(b: &mut Builder, rng: &mut StdRng, env: &Env) {
    match rng.random_range(0..10) {
        0..=3 => b.label(),
        4..=6 => {
            b.push_jump_target();
            b.op(0x56, 1, 0); // JUMP
        }
        _ => {
            if rng.random_bool(0.5) {
                b.push(U256::from(rng.random_range(0..2u64)));
            } else {
                value_arg(b, rng, env);
            }
            b.push_jump_target();
            b.op(0x57, 2, 0); // JUMPI
        }
    }
}

/// Pushes a gas argument for a call: all that is left, a fixed amount, or far too much.
fn gas_arg(b: &mut Builder, rng: &mut StdRng) {
    match rng.random_range(0..10) {
        0..=3 => b.op(GAS, 0, 1),
        4..=8 => b.push_u64(pick(rng, &[0, 1, 100, 2_300, 5_000, 30_000, 100_000, 400_000])),
        _ => b.push(U256::MAX),
    }
}

fn call(b: &mut Builder, rng: &mut StdRng, env: &Env) {
    // CALL, CALLCODE, DELEGATECALL, STATICCALL
    let op = pick(rng, &[0xf1u8, 0xf1, 0xf1, 0xf2, 0xf4, 0xf4, 0xfa, 0xfa]);
    if !allowed(rng, env, op) {
        return;
    }
    let with_value = matches!(op, 0xf1 | 0xf2);
    b.push(values::length(rng)); // return length
    b.push(values::offset(rng)); // return offset
    b.push(values::length(rng)); // argument length
    b.push(values::offset(rng)); // argument offset
    if with_value {
        b.push(values::call_value(rng));
    }
    match rng.random_range(0..20) {
        0..=11 => b.push(address_word(pick(rng, &env.callees))),
        12..=16 => b.push(address_word(pick(rng, &env.addresses))),
        17 => b.push(address_word(pick(rng, &env.precompiles))),
        _ => b.op(0x30, 0, 1), // ADDRESS: recursion
    }
    gas_arg(b, rng);
    b.op(op, if with_value { 7 } else { 6 }, 1);
    maybe_store(b, rng, 0.5);
}

/// A call to a precompile with an input laid out in memory at 0x100 (for MODEXP, with small
/// lengths so it runs), its output stored.
fn precompile_call(b: &mut Builder, rng: &mut StdRng, env: &Env) {
    let target = if rng.random_bool(0.7) {
        Address::with_last_byte(rng.random_range(1..=4))
    } else {
        pick(rng, &env.precompiles)
    };
    let base = 0x100u64;
    let mut words = rng.random_range(0..6u64);
    if target == Address::with_last_byte(5) {
        for i in 0..3 {
            b.push_u64(rng.random_range(0..40));
            b.push_u64(base + 32 * i);
            b.op(0x52, 2, 0);
        }
        words = 3 + rng.random_range(0..4);
    }
    let first = if target == Address::with_last_byte(5) {
        3
    } else {
        0
    };
    for i in first..words {
        value_arg(b, rng, env);
        b.push_u64(base + 32 * i);
        b.op(0x52, 2, 0);
    }
    let len = if rng.random_bool(0.8) {
        32 * words
    } else {
        rng.random_range(0..=32 * words)
    };
    b.push_u64(rng.random_range(0..80)); // return length
    b.push_u64(0x200); // return offset
    b.push_u64(len);
    b.push_u64(base);
    let static_call = env.fork >= Fork::Byzantium && rng.random_bool(0.5);
    if !static_call {
        b.push(values::call_value(rng));
    }
    b.push(address_word(target));
    gas_arg(b, rng);
    if static_call {
        b.op(0xfa, 6, 1);
    } else {
        b.op(0xf1, 7, 1);
    }
    maybe_store(b, rng, 0.8);
    b.push_u64(0x200);
    b.op(0x51, 1, 1); // MLOAD the output
    maybe_store(b, rng, 0.8);
}

/// `CREATE`/`CREATE2` of a random initcode written into memory, then often a call to the new
/// contract and its address stored.
fn create(b: &mut Builder, rng: &mut StdRng, env: &Env) {
    let create2 = rng.random_bool(0.4);
    if create2 && !allowed(rng, env, 0xf5) {
        return;
    }
    let code = initcode(rng, env);
    let at = rng.random_range(0..4u64) * 32;
    for (i, chunk) in code.chunks(32).enumerate() {
        let mut word = [0u8; 32];
        word[..chunk.len()].copy_from_slice(chunk);
        b.push32(U256::from_be_bytes(word));
        b.push_u64(at + 32 * i as u64);
        b.op(0x52, 2, 0);
    }
    if create2 {
        b.push_u64(rng.random_range(0..3)); // salt: repeats make collisions
    }
    if rng.random_bool(0.03) {
        b.push(values::length(rng)); // a length with nothing to do with the code
    } else {
        b.push_u64(code.len() as u64);
    }
    b.push_u64(at);
    b.push(values::call_value(rng));
    b.op(if create2 { 0xf5 } else { 0xf0 }, if create2 { 4 } else { 3 }, 1);
    if rng.random_bool(0.5) {
        // CALL(gas, new address, 0, 0, 0, 0, 32)
        b.push_u64(32);
        b.push_u64(0);
        b.push_u64(0);
        b.push_u64(0);
        b.push_u64(0);
        b.dup(6);
        b.op(GAS, 0, 1);
        b.op(0xf1, 7, 1);
        maybe_store(b, rng, 0.5);
    }
    maybe_store(b, rng, 0.7);
}

fn return_data(b: &mut Builder, rng: &mut StdRng, env: &Env) {
    if !allowed(rng, env, 0x3e) {
        return;
    }
    if rng.random_bool(0.4) {
        b.op(0x3d, 0, 1); // RETURNDATASIZE
        maybe_store(b, rng, 0.7);
        return;
    }
    // RETURNDATACOPY(dest, offset, length): out-of-bounds reads halt.
    b.push_u64(rng.random_range(0..40));
    b.push_u64(rng.random_range(0..40));
    b.push(values::offset(rng));
    b.op(0x3e, 3, 0);
}

fn stack(b: &mut Builder, rng: &mut StdRng) {
    let reach = b.depth + usize::from(rng.random_bool(0.05));
    match rng.random_range(0..3) {
        0 if b.depth > 0 => b.op(0x50, 1, 0), // POP
        1 if reach > 0 => {
            let n = rng.random_range(1..=reach.min(16));
            let k = u8::try_from(n - 1).unwrap_or(0);
            b.op(0x80 + k, n, n + 1); // DUPn
        }
        _ if reach > 1 => {
            let n = rng.random_range(1..reach.min(17));
            let k = u8::try_from(n - 1).unwrap_or(0);
            b.op(0x90 + k, n + 1, n + 1); // SWAPn
        }
        _ => b.op(0x5f, 0, 1), // PUSH0 (invalid before Shanghai)
    }
}

/// Faults and early exits: a random byte, an operation with too few arguments, a stack
/// overflow, or a terminal in the middle.
fn rare(b: &mut Builder, rng: &mut StdRng, env: &Env) {
    match rng.random_range(0..20) {
        0..=6 => b.raw(&[rng.random()]),
        7..=11 => {
            let op = pick(rng, &[0x01u8, 0x52, 0x55, 0xf1, 0xa2, 0x39]);
            b.op(op, 0, 0);
        }
        12 => {
            for _ in 0..1025 {
                b.raw(&[0x58]); // PC
            }
        }
        _ => terminal(b, rng, env),
    }
}

/// The end of a program.
pub fn terminal(b: &mut Builder, rng: &mut StdRng, env: &Env) {
    match rng.random_range(0..20) {
        0..=4 => {
            // RETURN(offset, length), or REVERT
            let op = if rng.random_bool(0.3) && env.fork >= Fork::Byzantium {
                0xfd
            } else {
                0xf3
            };
            b.push_u64(rng.random_range(0..70));
            b.push_u64(rng.random_range(0..70));
            b.op(op, 2, 0);
        }
        5 | 6 => {
            // Return a value computed earlier (or a fresh one).
            value_arg(b, rng, env);
            b.push_u64(0);
            b.op(0x52, 2, 0);
            b.push_u64(32);
            b.push_u64(0);
            b.op(0xf3, 2, 0);
        }
        7..=10 => b.op(0x00, 0, 0), // STOP
        11 => b.op(0xfe, 0, 0),     // INVALID
        12..=14 => {
            address_arg(b, rng, env);
            b.op(0xff, 1, 0); // SELFDESTRUCT
        }
        _ => {} // falls off the end
    }
}
