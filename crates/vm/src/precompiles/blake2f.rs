//! BLAKE2F (0x09, Istanbul, EIP-152): the BLAKE2b compression function with a chosen number of
//! rounds.
//!
//! The input must be exactly 213 bytes (rounds as a big-endian `u32`, `h`, `m`, `t`, the final
//! flag); the cost is one gas per round, charged before the final flag (0 or 1) is checked, as
//! in the specification. Returns the 64-byte new state.

use ethrex_common::Fork;
use ethrex_crypto::{
    CryptoError,
    blake2::{self, BLAKE2F_INPUT_LEN},
};

use super::{PrecompileError, PrecompileResult, charge, success};

pub(super) fn blake2f(input: &[u8], gas_limit: u64, _fork: Fork) -> PrecompileResult {
    if input.len() != BLAKE2F_INPUT_LEN {
        return Err(CryptoError::InvalidLength {
            what: "blake2f input",
            expected: BLAKE2F_INPUT_LEN,
            got: input.len(),
        }
        .into());
    }
    let rounds = input
        .first_chunk::<4>()
        .map_or(0, |r| u32::from_be_bytes(*r));
    let gas = charge(u64::from(rounds), gas_limit)?;
    let f = blake2::blake2f_input(input).map_err(PrecompileError::from)?;
    let state = blake2::blake2f(f.rounds, f.h, &f.m, f.t, f.f);
    success(gas, blake2::blake2f_output(&state).to_vec())
}
