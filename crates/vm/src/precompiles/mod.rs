//! Precompiled contracts: which addresses are precompiles under each fork, their gas, and their
//! input framing, over the pure primitives of `ethrex-crypto`.
//!
//! One table, `PRECOMPILES`, lists every precompile in activation order with the fork that
//! introduces it; [`active_precompiles`], [`is_precompile`] and [`execute_precompile`] all derive
//! from it. Repricings are per-precompile functions of the fork (EIP-1108 for BN254, EIP-2565
//! and EIP-7883 for MODEXP). One file per family:
//!
//! | address | precompile | since | file |
//! |---|---|---|---|
//! | 0x01 | ecrecover | Frontier | `ecrecover.rs` |
//! | 0x02, 0x03 | sha256, ripemd160 | Frontier | `hashes.rs` |
//! | 0x04 | identity | Frontier | `identity.rs` |
//! | 0x05 | modexp (EIP-198, 2565, 7823, 7883) | Byzantium | `modexp.rs` |
//! | 0x06–0x08 | BN254 add, mul, pairing (EIP-196, 197, 1108) | Byzantium | `bn254.rs` |
//! | 0x09 | blake2f (EIP-152) | Istanbul | `blake2f.rs` |
//! | 0x0a | KZG point evaluation (EIP-4844) | Cancun | `point_evaluation.rs` |
//! | 0x0b–0x11 | BLS12-381 (EIP-2537) | Prague | `bls12_381.rs` |
//! | 0x100 | P256VERIFY (EIP-7951) | Osaka | `p256verify.rs` |
//!
//! Invariants: a precompile never panics and allocates at most in proportion to its input or to
//! the gas it charged (checked before allocating); every failure consumes all the gas given to
//! the call, whichever [`PrecompileError`] it is; on success `gas_used <= gas_limit`.
#![cfg_attr(
    not(test),
    deny(clippy::arithmetic_side_effects, clippy::as_conversions)
)]

mod blake2f;
mod bls12_381;
mod bn254;
mod ecrecover;
mod hashes;
mod identity;
mod modexp;
mod p256verify;
mod point_evaluation;
#[cfg(test)]
mod proptests;
mod table;
#[cfg(test)]
mod tests;

pub use table::PrecompileTable;

use alloy_primitives::{Address, Bytes};
use ethrex_common::Fork;

/// What a successful precompile call returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrecompileOutput {
    /// Gas charged, at most the call's gas limit.
    pub gas_used: u64,
    /// Return data.
    pub output: Bytes,
}

/// Why a precompile call failed. Both variants consume all the gas given to the call.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PrecompileError {
    /// The call's gas limit is below the precompile's cost.
    #[error("out of gas")]
    OutOfGas,
    /// The input is malformed (wrong length, invalid point, bad proof, ...).
    #[error("invalid precompile input: {0}")]
    InvalidInput(String),
}

/// Result of one precompile call.
pub type PrecompileResult = Result<PrecompileOutput, PrecompileError>;

/// A precompile's entry point: `(input, gas_limit, fork)`.
type Run = fn(&[u8], u64, Fork) -> PrecompileResult;

/// One precompiled contract: its address, the fork that activates it, its entry point.
struct Precompile {
    address: Address,
    since: Fork,
    run: Run,
}

/// The address `0x00..00{n}` of a precompile.
const fn precompile_address(n: u16) -> Address {
    let [high, low] = n.to_be_bytes();
    let mut bytes = [0u8; 20];
    bytes[18] = high;
    bytes[19] = low;
    Address::new(bytes)
}

/// Every precompile, in activation order: the single source of truth for the fork rules.
const PRECOMPILES: [Precompile; 18] = [
    entry(0x01, Fork::Frontier, ecrecover::ecrecover),
    entry(0x02, Fork::Frontier, hashes::sha256),
    entry(0x03, Fork::Frontier, hashes::ripemd160),
    entry(0x04, Fork::Frontier, identity::identity),
    entry(0x05, Fork::Byzantium, modexp::modexp),
    entry(0x06, Fork::Byzantium, bn254::add),
    entry(0x07, Fork::Byzantium, bn254::mul),
    entry(0x08, Fork::Byzantium, bn254::pairing),
    entry(0x09, Fork::Istanbul, blake2f::blake2f),
    entry(0x0a, Fork::Cancun, point_evaluation::point_evaluation),
    entry(0x0b, Fork::Prague, bls12_381::g1_add),
    entry(0x0c, Fork::Prague, bls12_381::g1_msm),
    entry(0x0d, Fork::Prague, bls12_381::g2_add),
    entry(0x0e, Fork::Prague, bls12_381::g2_msm),
    entry(0x0f, Fork::Prague, bls12_381::pairing),
    entry(0x10, Fork::Prague, bls12_381::map_fp_to_g1),
    entry(0x11, Fork::Prague, bls12_381::map_fp2_to_g2),
    entry(0x100, Fork::Osaka, p256verify::p256verify),
];

const fn entry(n: u16, since: Fork, run: Run) -> Precompile {
    Precompile {
        address: precompile_address(n),
        since,
        run,
    }
}

/// The addresses of [`PRECOMPILES`], in the same order.
static ADDRESSES: [Address; PRECOMPILES.len()] = {
    let mut addresses = [Address::ZERO; PRECOMPILES.len()];
    let mut i = 0;
    while i < PRECOMPILES.len() {
        addresses[i] = PRECOMPILES[i].address;
        i = i.saturating_add(1);
    }
    addresses
};

/// The precompile addresses active under `fork`, in address order.
pub fn active_precompiles(fork: Fork) -> &'static [Address] {
    let active = PRECOMPILES.iter().take_while(|p| p.since <= fork).count();
    ADDRESSES.get(..active).unwrap_or(&ADDRESSES)
}

/// Whether `address` is a precompile under `fork`.
pub fn is_precompile(address: &Address, fork: Fork) -> bool {
    find(address).is_some_and(|p| p.since <= fork)
}

/// Runs the precompile at `address` with `gas_limit` gas (`None` if `address` is not a
/// precompile under `fork`).
pub fn execute_precompile(
    address: &Address,
    input: &[u8],
    gas_limit: u64,
    fork: Fork,
) -> Option<PrecompileResult> {
    let precompile = find(address).filter(|p| p.since <= fork)?;
    Some((precompile.run)(input, gas_limit, fork))
}

fn find(address: &Address) -> Option<&'static Precompile> {
    // Every precompile address has 18 leading zero bytes: most addresses fail here.
    if address[..18].iter().any(|&b| b != 0) {
        return None;
    }
    PRECOMPILES.iter().find(|p| p.address == *address)
}

/// Fails with [`PrecompileError::OutOfGas`] if `cost` exceeds `gas_limit`.
fn charge(cost: u64, gas_limit: u64) -> Result<u64, PrecompileError> {
    if cost > gas_limit {
        return Err(PrecompileError::OutOfGas);
    }
    Ok(cost)
}

/// The cost `base + per_word * ceil(len / 32)` of the Frontier data precompiles, saturating.
fn linear_cost(len: usize, base: u64, per_word: u64) -> u64 {
    let words = len.div_ceil(32);
    u64::try_from(words)
        .unwrap_or(u64::MAX)
        .saturating_mul(per_word)
        .saturating_add(base)
}

/// The first `N` bytes of `input`, right-padded with zeros when `input` is shorter.
fn right_padded<const N: usize>(input: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    let len = input.len().min(N);
    if let (Some(dst), Some(src)) = (out.get_mut(..len), input.get(..len)) {
        dst.copy_from_slice(src);
    }
    out
}

/// The `N` bytes of `input` starting at `offset`, if all are there.
fn chunk_at<const N: usize>(input: &[u8], offset: usize) -> Option<&[u8; N]> {
    input.get(offset..)?.first_chunk::<N>()
}

/// A successful result of `gas_used` gas.
fn success(gas_used: u64, output: impl Into<Bytes>) -> PrecompileResult {
    Ok(PrecompileOutput {
        gas_used,
        output: output.into(),
    })
}

impl From<ethrex_crypto::CryptoError> for PrecompileError {
    fn from(error: ethrex_crypto::CryptoError) -> Self {
        PrecompileError::InvalidInput(error.to_string())
    }
}
