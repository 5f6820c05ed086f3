//! BN254 ("alt_bn128") ADD (0x06), MUL (0x07) and PAIRING (0x08): Byzantium (EIP-196, EIP-197),
//! repriced in Istanbul (EIP-1108).
//!
//! | | Byzantium | Istanbul |
//! |---|---|---|
//! | add | 500 | 150 |
//! | mul | 40 000 | 6 000 |
//! | pairing | 100 000 + 80 000 k | 45 000 + 34 000 k |
//!
//! ADD and MUL right-pad their input with zeros to 128 and 96 bytes (longer input is ignored).
//! PAIRING takes `k = len / 192` pairs, is charged for them first, then fails if the length is
//! not a multiple of 192; it returns the 32-byte word 1 if the pairing product is 1, else 0.
//! Invalid points are errors.

use alloy_primitives::B256;
use ethrex_common::Fork;
use ethrex_crypto::bn254::{self, PAIR_LEN};

use super::{PrecompileResult, charge, right_padded, success};

/// The costs of one fork's schedule.
struct Schedule {
    add: u64,
    mul: u64,
    pairing_base: u64,
    pairing_per_pair: u64,
}

/// The gas schedule of the BN254 precompiles under `fork`.
fn schedule(fork: Fork) -> Schedule {
    if fork >= Fork::Istanbul {
        Schedule {
            add: 150,
            mul: 6_000,
            pairing_base: 45_000,
            pairing_per_pair: 34_000,
        }
    } else {
        Schedule {
            add: 500,
            mul: 40_000,
            pairing_base: 100_000,
            pairing_per_pair: 80_000,
        }
    }
}

pub(super) fn add(input: &[u8], gas_limit: u64, fork: Fork) -> PrecompileResult {
    let gas = charge(schedule(fork).add, gas_limit)?;
    let sum = bn254::bn254_add(&right_padded(input))?;
    success(gas, sum.to_vec())
}

pub(super) fn mul(input: &[u8], gas_limit: u64, fork: Fork) -> PrecompileResult {
    let gas = charge(schedule(fork).mul, gas_limit)?;
    let product = bn254::bn254_mul(&right_padded(input))?;
    success(gas, product.to_vec())
}

pub(super) fn pairing(input: &[u8], gas_limit: u64, fork: Fork) -> PrecompileResult {
    let Schedule {
        pairing_base,
        pairing_per_pair,
        ..
    } = schedule(fork);
    let pairs = u64::try_from(input.len().div_euclid(PAIR_LEN)).unwrap_or(u64::MAX);
    let cost = pairs
        .saturating_mul(pairing_per_pair)
        .saturating_add(pairing_base);
    let gas = charge(cost, gas_limit)?;
    let holds = bn254::bn254_pairing_check(input)?;
    success(gas, B256::with_last_byte(u8::from(holds)).to_vec())
}
