//! The snippets programs are made of, one function per opcode family. Each pushes its
//! arguments (last argument first, so the first ends on top) and runs its operation; results
//! are often stored with `SSTORE` so that differences in computation surface in the state.

use alloy_primitives::{Address, U256};
use ethrex_common::Fork;
use ethrex_vm::opcode::*;
use rand::{Rng, rngs::StdRng};

use super::{
    Builder, Env, Profile, allowed, bls, initcode,
    values::{self, address_word, pick},
};

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
        82..=84 if profile.nested => create(b, rng, env),
        82..=90 => return_data(b, rng, env),
        91..=98 => stack(b, rng),
        _ if rng.random_bool(0.2) => rare(b, rng, env),
        _ => stack(b, rng),
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
        ADD, MUL, SUB, DIV, SDIV, MOD, SMOD, EXP, SIGNEXTEND, LT, GT, SLT, SGT, EQ, AND, OR, XOR,
        BYTE, SHL, SHR, SAR,
    ];
    let (op, inputs) = match rng.random_range(0..10) {
        0..=6 => (pick(rng, &BINARY), 2),
        7 => (pick(rng, &[ADDMOD, MULMOD]), 3),
        _ => (pick(rng, &[ISZERO, NOT, CLZ]), 1),
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
        ADDRESS,
        ORIGIN,
        CALLER,
        CALLVALUE,
        CALLDATASIZE,
        CODESIZE,
        GASPRICE,
        RETURNDATASIZE,
        COINBASE,
        TIMESTAMP,
        NUMBER,
        PREVRANDAO,
        GASLIMIT,
        CHAINID,
        SELFBALANCE,
        BASEFEE,
        BLOBBASEFEE,
        PC,
        MSIZE,
        GAS,
        GAS,
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
        0 => b.op(ADDRESS, 0, 1),
        1 => b.op(CALLER, 0, 1),
        2 => b.push(address_word(pick(rng, &env.precompiles))),
        _ => b.push(address_word(pick(rng, &env.addresses))),
    }
}

fn account_query(b: &mut Builder, rng: &mut StdRng, env: &Env) {
    match rng.random_range(0..10) {
        0..=5 => {
            let op = pick(rng, &[BALANCE, EXTCODESIZE, EXTCODEHASH]);
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
            b.op(EXTCODECOPY, 4, 0);
        }
        8 => {
            b.push(values::block_number(rng, env.block_number));
            b.op(BLOCKHASH, 1, 1);
            maybe_store(b, rng, 0.7);
        }
        _ => {
            if !allowed(rng, env, BLOBHASH) {
                return;
            }
            b.push(U256::from(pick(rng, &[0u64, 0, 1, 2, 5, u64::MAX])));
            b.op(BLOBHASH, 1, 1);
            maybe_store(b, rng, 0.7);
        }
    }
}

fn memory(b: &mut Builder, rng: &mut StdRng, env: &Env) {
    match rng.random_range(0..12) {
        0..=2 => {
            value_arg(b, rng, env);
            b.push(values::offset(rng));
            b.op(pick(rng, &[MSTORE, MSTORE, MSTORE8]), 2, 0);
        }
        3 | 4 => {
            b.push(values::offset(rng));
            b.op(MLOAD, 1, 1);
            maybe_store(b, rng, 0.5);
        }
        5 => {
            if !allowed(rng, env, MCOPY) {
                return;
            }
            b.push(values::length(rng));
            b.push(values::offset(rng));
            b.push(values::offset(rng));
            b.op(MCOPY, 3, 0);
        }
        6 | 7 => {
            // CALLDATACOPY / CODECOPY (dest, offset, length)
            b.push(values::length(rng));
            b.push(U256::from(rng.random_range(0..120u64)));
            b.push(values::offset(rng));
            b.op(pick(rng, &[CALLDATACOPY, CODECOPY]), 3, 0);
        }
        8 => {
            b.push(U256::from(pick(rng, &[0u64, 1, 4, 31, 32, 64, 1 << 40])));
            b.op(CALLDATALOAD, 1, 1);
            maybe_store(b, rng, 0.6);
        }
        _ => {
            b.push(values::length(rng));
            b.push(values::offset(rng));
            b.op(KECCAK256, 2, 1);
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
            b.op(SLOAD, 1, 1);
            maybe_store(b, rng, 0.5);
        }
        13..=16 => {
            if !allowed(rng, env, TSTORE) {
                return;
            }
            b.push(values::stored(rng));
            b.push(values::key(rng));
            b.op(TSTORE, 2, 0);
        }
        _ => {
            if !allowed(rng, env, TLOAD) {
                return;
            }
            b.push(values::key(rng));
            b.op(TLOAD, 1, 1);
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
    b.op(LOG0 + topics, 2 + usize::from(topics), 0);
}

/// Jumps and `JUMPDEST`s. The stack is emptied first, so every path reaches a `JUMPDEST` with
/// the same (empty) stack and the depth estimate stays exact.
fn control(b: &mut Builder, rng: &mut StdRng, env: &Env) {
    b.trim_stack(0);
    match rng.random_range(0..10) {
        0..=3 => b.label(),
        4..=6 => {
            b.push_jump_target();
            b.op(JUMP, 1, 0);
        }
        _ => {
            if rng.random_bool(0.5) {
                b.push(U256::from(rng.random_range(0..2u64)));
            } else {
                b.push(values::word(rng, &env.addresses));
            }
            b.push_jump_target();
            b.op(JUMPI, 2, 0);
        }
    }
}

/// Pushes a gas argument for a call: mostly a fixed amount (a callee that halts burns what it
/// was given), sometimes all that is left or far too much (capped by EIP-150).
fn gas_arg(b: &mut Builder, rng: &mut StdRng) {
    match rng.random_range(0..20) {
        0 | 1 => b.op(GAS, 0, 1),
        2 => b.push(U256::MAX),
        _ => b.push_u64(pick(
            rng,
            &[0, 1, 100, 2_300, 5_000, 30_000, 100_000, 200_000],
        )),
    }
}

fn call(b: &mut Builder, rng: &mut StdRng, env: &Env) {
    let op = pick(
        rng,
        &[
            CALL,
            CALL,
            CALL,
            CALLCODE,
            DELEGATECALL,
            DELEGATECALL,
            STATICCALL,
            STATICCALL,
        ],
    );
    if !allowed(rng, env, op) {
        return;
    }
    let with_value = matches!(op, CALL | CALLCODE);
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
        _ => b.op(ADDRESS, 0, 1), // ADDRESS: recursion
    }
    gas_arg(b, rng);
    b.op(op, if with_value { 7 } else { 6 }, 1);
    maybe_store(b, rng, 0.5);
}

/// A call to a precompile with an input laid out in memory at 0x100 — shaped to pass the
/// precompile's checks (small MODEXP lengths, curve points, BLAKE2F rounds and flag, BLS
/// points) or random — its success and output stored.
fn precompile_call(b: &mut Builder, rng: &mut StdRng, env: &Env) {
    let target = if rng.random_bool(0.6) {
        Address::with_last_byte(rng.random_range(1..=4))
    } else {
        pick(rng, &env.precompiles)
    };
    let base = 0x100u64;
    let (words, natural_len) = precompile_input(rng, target);
    for (i, word) in words.iter().enumerate() {
        match word {
            Some(word) => b.push(*word),
            None => value_arg(b, rng, env),
        }
        b.push_u64(base + 32 * i as u64);
        b.op(MSTORE, 2, 0);
    }
    let len = if rng.random_bool(0.85) {
        natural_len
    } else {
        rng.random_range(0..=natural_len + 8)
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
        b.op(STATICCALL, 6, 1);
    } else {
        b.op(CALL, 7, 1);
    }
    maybe_store(b, rng, 0.8);
    b.push_u64(0x200);
    b.op(MLOAD, 1, 1); // MLOAD the output
    maybe_store(b, rng, 0.8);
}

/// The input words of a call to `target` (`None`: any value) and the input's natural length.
fn precompile_input(rng: &mut StdRng, target: Address) -> (Vec<Option<U256>>, u64) {
    let random = |n: usize| vec![None; n];
    let shaped = rng.random_bool(0.8);
    let n = |v: u64| Some(U256::from(v));
    let words = |w: &Vec<Option<U256>>| 32 * w.len() as u64;
    // A point of BN254's G1: the generator (1, 2) or the point at infinity (0, 0).
    let g1 = |rng: &mut StdRng| {
        if rng.random_bool(0.6) {
            [n(1), n(2)]
        } else {
            [n(0), n(0)]
        }
    };
    let last = target.as_slice()[19];
    let high = target.as_slice()[18];
    let input: Vec<Option<U256>> = match (high, last) {
        _ if !shaped => random(rng.random_range(0..8)),
        // ECRECOVER: hash, v, r, s — a valid signature or any words.
        (0, 1) => ecrecover_input(rng),
        // MODEXP: three small lengths, then the numbers
        (0, 5) => {
            let mut w = vec![
                n(rng.random_range(0..40)),
                n(rng.random_range(0..40)),
                n(rng.random_range(0..40)),
            ];
            w.extend(random(rng.random_range(0..4)));
            w
        }
        (0, 6) => [g1(rng), g1(rng)].concat(),
        (0, 7) => [g1(rng).to_vec(), vec![None]].concat(),
        (0, 8) => vec![n(0); pick(rng, &[0, 6])],
        (0, 9) => return blake2f_input(rng),
        // BLS12-381: the corner cases of `bls::input`.
        (0, 0x0b..=0x11) => return bls::input(rng, last),
        _ => random(rng.random_range(0..8)),
    };
    let len = words(&input);
    (input, len)
}

/// ECRECOVER's four words: usually a real signature of a random hash (sometimes with a wrong
/// `v`), else random `r` and `s`.
fn ecrecover_input(rng: &mut StdRng) -> Vec<Option<U256>> {
    let hash = alloy_primitives::B256::from(rng.random::<[u8; 32]>());
    let secret = alloy_primitives::B256::with_last_byte(rng.random_range(1..=9));
    let v = |parity: bool| U256::from(27 + u64::from(parity));
    match ethrex_crypto::sign_hash(&hash, &secret) {
        Ok(sig) if rng.random_bool(0.7) => {
            let v = if rng.random_bool(0.9) {
                v(sig.y_parity)
            } else {
                U256::from(pick(rng, &[0u64, 1, 29, 0x1b00]))
            };
            vec![Some(hash.into()), Some(v), Some(sig.r), Some(sig.s)]
        }
        _ => vec![Some(hash.into()), Some(v(rng.random())), None, None],
    }
}

/// A BLAKE2F input (213 bytes): few rounds (or a huge count, out of gas), random state and
/// message, and a final-block flag that is usually 0 or 1.
fn blake2f_input(rng: &mut StdRng) -> (Vec<Option<U256>>, u64) {
    let mut bytes = [0u8; 224];
    rng.fill(&mut bytes[..]);
    let rounds: u32 = if rng.random_bool(0.95) {
        rng.random_range(0..64)
    } else {
        u32::MAX
    };
    bytes[..4].copy_from_slice(&rounds.to_be_bytes());
    bytes[212] = if rng.random_bool(0.95) {
        rng.random_range(0..2)
    } else {
        2
    };
    let words = bytes
        .chunks(32)
        .map(|c| Some(U256::from_be_slice(c)))
        .collect();
    (words, 213)
}

/// `CREATE`/`CREATE2` of a random initcode written into memory, then often a call to the new
/// contract and its address stored.
fn create(b: &mut Builder, rng: &mut StdRng, env: &Env) {
    let create2 = rng.random_bool(0.4);
    if create2 && !allowed(rng, env, CREATE2) {
        return;
    }
    let code = initcode(rng, env);
    let at = rng.random_range(0..4u64) * 32;
    for (i, chunk) in code.chunks(32).enumerate() {
        let mut word = [0u8; 32];
        word[..chunk.len()].copy_from_slice(chunk);
        b.push32(U256::from_be_bytes(word));
        b.push_u64(at + 32 * i as u64);
        b.op(MSTORE, 2, 0);
    }
    if create2 {
        b.push_u64(rng.random_range(0..3)); // salt: repeats make collisions
    }
    match rng.random_range(0..100) {
        // Around the EIP-3860 initcode limit (the extra bytes are whatever memory holds).
        0 | 1 => b.push_u64(pick(rng, &[49_152, 49_153])),
        2..=4 => b.push(values::length(rng)),
        _ => b.push_u64(code.len() as u64),
    }
    b.push_u64(at);
    b.push(values::call_value(rng));
    b.op(
        if create2 { CREATE2 } else { CREATE },
        if create2 { 4 } else { 3 },
        1,
    );
    if rng.random_bool(0.5) {
        // CALL(gas, new address, 0, 0, 0, 0, 32)
        b.push_u64(32);
        b.push_u64(0);
        b.push_u64(0);
        b.push_u64(0);
        b.push_u64(0);
        b.dup(6);
        b.op(GAS, 0, 1);
        b.op(CALL, 7, 1);
        maybe_store(b, rng, 0.5);
    }
    maybe_store(b, rng, 0.7);
}

fn return_data(b: &mut Builder, rng: &mut StdRng, env: &Env) {
    if !allowed(rng, env, RETURNDATACOPY) {
        return;
    }
    if rng.random_bool(0.4) {
        b.op(RETURNDATASIZE, 0, 1);
        maybe_store(b, rng, 0.7);
        return;
    }
    // RETURNDATACOPY(dest, offset, length): usually all of it, sometimes out of bounds (halts).
    if rng.random_bool(0.95) {
        b.op(RETURNDATASIZE, 0, 1);
        b.push_u64(0);
    } else {
        b.push_u64(rng.random_range(0..40));
        b.push_u64(rng.random_range(0..40));
    }
    b.push(values::offset(rng));
    b.op(RETURNDATACOPY, 3, 0);
}

fn stack(b: &mut Builder, rng: &mut StdRng) {
    if b.depth < 17 && rng.random_bool(0.1) {
        // Deep enough for DUP16 and SWAP16.
        while b.depth < 17 {
            b.push_u64(b.depth as u64);
        }
        let k = rng.random_range(11..16u8);
        if rng.random_bool(0.5) {
            b.op(DUP1 + k, 0, 1); // DUP12..DUP16
        } else {
            b.op(SWAP1 + k, 0, 0); // SWAP12..SWAP16
        }
        return;
    }
    let reach = b.depth + usize::from(rng.random_bool(0.01));
    match rng.random_range(0..3) {
        0 if b.depth > 0 => b.op(POP, 1, 0),
        1 if reach > 0 => {
            let n = rng.random_range(1..=reach.min(16));
            let k = u8::try_from(n - 1).unwrap_or(0);
            b.op(DUP1 + k, n, n + 1); // DUPn
        }
        _ if reach > 1 => {
            let n = rng.random_range(1..reach.min(17));
            let k = u8::try_from(n - 1).unwrap_or(0);
            b.op(SWAP1 + k, n + 1, n + 1); // SWAPn
        }
        _ => b.push(U256::ZERO),
    }
}

/// Faults and early exits: a random byte, an operation with too few arguments, a stack
/// overflow, or a terminal in the middle.
fn rare(b: &mut Builder, rng: &mut StdRng, env: &Env) {
    match rng.random_range(0..20) {
        0..=6 => b.raw(&[rng.random()]),
        7..=11 => {
            let op = pick(rng, &[ADD, MSTORE, SSTORE, CALL, LOG2, CODECOPY]);
            b.op(op, 0, 0);
        }
        12 => {
            for _ in 0..1025 {
                b.raw(&[PC]);
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
                REVERT
            } else {
                RETURN
            };
            b.push_u64(rng.random_range(0..70));
            b.push_u64(rng.random_range(0..70));
            b.op(op, 2, 0);
        }
        5 | 6 => {
            // Return a value computed earlier (or a fresh one).
            value_arg(b, rng, env);
            b.push_u64(0);
            b.op(MSTORE, 2, 0);
            b.push_u64(32);
            b.push_u64(0);
            b.op(RETURN, 2, 0);
        }
        7..=10 => b.op(STOP, 0, 0),
        11 => b.op(INVALID, 0, 0),
        12..=14 => {
            address_arg(b, rng, env);
            b.op(SELFDESTRUCT, 1, 0);
        }
        _ => {} // falls off the end
    }
}
