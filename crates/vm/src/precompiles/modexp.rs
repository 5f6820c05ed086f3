//! MODEXP (0x05, Byzantium, EIP-198): `base ^ exp mod modulus` for arbitrary-length numbers.
//!
//! Input: three 32-byte big-endian lengths `base_len`, `exp_len`, `mod_len`, then the three
//! numbers, the input right-padded with zeros as far as they need. Output: the result on
//! `mod_len` bytes (zeros for a zero modulus, empty for `mod_len = 0`).
//!
//! Pricing, with `x = max(base_len, mod_len)`, `words = ceil(x / 8)`, and `iterations` roughly
//! the bit length of the exponent (`multiplier * (exp_len - 32)` plus the bit length of its first
//! 32 bytes, at least 1):
//! - Byzantium (EIP-198): `mult_complexity(x) * iterations / 20`, `multiplier = 8`;
//! - Berlin (EIP-2565): `max(200, words^2 * iterations / 3)`, `multiplier = 8`;
//! - Osaka (EIP-7883): `max(500, (x <= 32 ? 16 : 2 * words^2) * iterations)`, `multiplier = 16`;
//!   and EIP-7823 makes any length above 1024 bytes an error.
//!
//! Lengths are 256-bit: the cost is computed in saturating 256-bit arithmetic, and nothing is
//! allocated before it is charged. Once charged, every operand length is bounded by the gas
//! (with a non-empty modulus, `x^2` and `exp_len` both grow the cost), so memory stays
//! proportional to the gas paid; a length beyond the address space could not have been paid for
//! in any block and is reported as out of gas.

use std::borrow::Cow;

use alloy_primitives::U256;
use ethrex_common::Fork;
use ethrex_crypto::modexp;

use super::{PrecompileError, PrecompileResult, charge, success};

/// EIP-7823: the largest length of each operand from Osaka on.
const OSAKA_MAX_LEN: U256 = U256::from_limbs([1024, 0, 0, 0]);
/// Where the operands start, after the three length words.
const HEADER_LEN: usize = 96;

pub(super) fn modexp(input: &[u8], gas_limit: u64, fork: Fork) -> PrecompileResult {
    let base_len = length_word(input, 0);
    let exp_len = length_word(input, 32);
    let mod_len = length_word(input, 64);
    if fork >= Fork::Osaka
        && [base_len, exp_len, mod_len]
            .iter()
            .any(|&l| l > OSAKA_MAX_LEN)
    {
        return Err(PrecompileError::InvalidInput(format!(
            "modexp operand longer than 1024 bytes (EIP-7823): base {base_len}, \
             exponent {exp_len}, modulus {mod_len}"
        )));
    }
    let exp_head = exponent_head(input, base_len, exp_len);
    let cost = gas_cost(fork, base_len, exp_len, mod_len, exp_head);
    let gas = charge(u64::try_from(cost).unwrap_or(u64::MAX), gas_limit)?;
    if mod_len.is_zero() {
        return success(gas, Vec::new());
    }
    let (Ok(base_len), Ok(exp_len), Ok(mod_len)) = (
        usize::try_from(base_len),
        usize::try_from(exp_len),
        usize::try_from(mod_len),
    ) else {
        return Err(PrecompileError::OutOfGas);
    };
    let Some(exp_start) = HEADER_LEN.checked_add(base_len) else {
        return Err(PrecompileError::OutOfGas);
    };
    let Some(mod_start) = exp_start.checked_add(exp_len) else {
        return Err(PrecompileError::OutOfGas);
    };
    let base = operand(input, HEADER_LEN, base_len);
    let exponent = operand(input, exp_start, exp_len);
    let modulus = operand(input, mod_start, mod_len);
    success(gas, modexp::modexp(&base, &exponent, &modulus))
}

/// The cost of a call under `fork`, saturating at `U256::MAX`.
fn gas_cost(fork: Fork, base_len: U256, exp_len: U256, mod_len: U256, exp_head: U256) -> U256 {
    let max_len = base_len.max(mod_len);
    let words = max_len.div_ceil(U256::from(8));
    if fork >= Fork::Osaka {
        let complexity = if max_len <= U256::from(32) {
            U256::from(16)
        } else {
            words.saturating_mul(words).saturating_mul(U256::from(2))
        };
        let cost = complexity.saturating_mul(iterations(exp_len, exp_head, 16));
        cost.max(U256::from(500))
    } else if fork >= Fork::Berlin {
        let complexity = words.saturating_mul(words);
        let cost = complexity.saturating_mul(iterations(exp_len, exp_head, 8));
        div(cost, 3).max(U256::from(200))
    } else {
        let cost = eip198_complexity(max_len).saturating_mul(iterations(exp_len, exp_head, 8));
        div(cost, 20)
    }
}

/// EIP-198's `mult_complexity`: the cost of schoolbook then Karatsuba multiplication.
fn eip198_complexity(x: U256) -> U256 {
    let square = x.saturating_mul(x);
    if x <= U256::from(64) {
        square
    } else if x <= U256::from(1024) {
        div(square, 4)
            .saturating_add(x.saturating_mul(U256::from(96)))
            .saturating_sub(U256::from(3072))
    } else {
        div(square, 16)
            .saturating_add(x.saturating_mul(U256::from(480)))
            .saturating_sub(U256::from(199_680))
    }
}

/// The iteration count: the exponent's bit length less one, with the part beyond its first 32
/// bytes counted as `multiplier` per byte; at least 1.
fn iterations(exp_len: U256, exp_head: U256, multiplier: u64) -> U256 {
    let head_bits = U256::from(exp_head.bit_len().saturating_sub(1));
    let count = if exp_len <= U256::from(32) {
        head_bits
    } else {
        exp_len
            .saturating_sub(U256::from(32))
            .saturating_mul(U256::from(multiplier))
            .saturating_add(head_bits)
    };
    count.max(U256::from(1))
}

/// `a / divisor` for a non-zero constant divisor.
fn div(a: U256, divisor: u64) -> U256 {
    a.checked_div(U256::from(divisor)).unwrap_or_default()
}

/// The 32-byte big-endian word at `offset`, right-padded with zeros.
fn length_word(input: &[u8], offset: usize) -> U256 {
    let mut word = [0u8; 32];
    copy_available(input, offset, &mut word);
    U256::from_be_bytes(word)
}

/// The value of the first `min(32, exp_len)` bytes of the exponent, which starts at
/// `96 + base_len`, right-padded with zeros.
fn exponent_head(input: &[u8], base_len: U256, exp_len: U256) -> U256 {
    let head_len = exp_len.min(U256::from(32)).saturating_to::<usize>();
    let mut head = [0u8; 32];
    let start = usize::try_from(base_len)
        .ok()
        .and_then(|len| len.checked_add(HEADER_LEN));
    let Some(head) = head.get_mut(..head_len) else {
        return U256::ZERO;
    };
    if let Some(start) = start {
        copy_available(input, start, head);
    }
    U256::from_be_slice(head)
}

/// The `len` bytes of `input` at `start`, right-padded with zeros; borrowed when all are there.
fn operand(input: &[u8], start: usize, len: usize) -> Cow<'_, [u8]> {
    if let Some(bytes) = start.checked_add(len).and_then(|end| input.get(start..end)) {
        return Cow::Borrowed(bytes);
    }
    let mut bytes = vec![0u8; len];
    copy_available(input, start, &mut bytes);
    Cow::Owned(bytes)
}

/// Fills the start of `out` with the bytes of `input` from `offset` on, as many as there are.
fn copy_available(input: &[u8], offset: usize, out: &mut [u8]) {
    let available = input.get(offset..).unwrap_or_default();
    let n = available.len().min(out.len());
    if let (Some(dst), Some(src)) = (out.get_mut(..n), available.get(..n)) {
        dst.copy_from_slice(src);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lengths(base: u64, exp: u64, modulus: u64) -> Vec<u8> {
        [base, exp, modulus]
            .iter()
            .flat_map(|l| U256::from(*l).to_be_bytes::<32>())
            .collect()
    }

    #[test]
    fn huge_declared_lengths_run_out_of_gas_without_allocating() {
        let mut input = vec![0xffu8; 96]; // every length is 2^256 - 1
        input.push(1);
        for fork in [Fork::Byzantium, Fork::Berlin] {
            assert_eq!(
                modexp(&input, 30_000_000, fork),
                Err(PrecompileError::OutOfGas)
            );
        }
        assert!(matches!(
            modexp(&input, 30_000_000, Fork::Osaka),
            Err(PrecompileError::InvalidInput(_))
        ));
    }

    #[test]
    fn empty_base_and_modulus_cost_the_minimum_whatever_the_exponent_length() {
        let mut input = lengths(0, 0, 0);
        input[32..64].fill(0xff); // exponent length 2^256 - 1, never read
        assert_eq!(modexp(&input, 0, Fork::Byzantium).unwrap().gas_used, 0);
        let berlin = modexp(&input, 200, Fork::Berlin).unwrap();
        assert_eq!((berlin.gas_used, berlin.output.len()), (200, 0));
    }

    #[test]
    fn missing_operand_bytes_are_zeros() {
        // 2^3 mod 5 with the modulus cut off: the modulus reads as 0x05 00 -> 1280.
        let mut input = lengths(1, 1, 2);
        input.extend_from_slice(&[2, 3, 5]);
        let out = modexp(&input, 1_000, Fork::Berlin).unwrap();
        assert_eq!(out.output.as_ref(), &[0, 8]);
        let mut exact = lengths(1, 1, 1);
        exact.extend_from_slice(&[2, 3, 5]);
        assert_eq!(
            modexp(&exact, 1_000, Fork::Berlin).unwrap().output.as_ref(),
            &[3]
        );
    }

    #[test]
    fn osaka_accepts_1024_byte_operands_and_rejects_1025() {
        let ok = lengths(1024, 1, 1024);
        assert!(modexp(&ok, u64::MAX, Fork::Osaka).is_ok());
        let too_long = lengths(1, 1, 1025);
        assert!(matches!(
            modexp(&too_long, u64::MAX, Fork::Osaka),
            Err(PrecompileError::InvalidInput(_))
        ));
        assert!(modexp(&too_long, u64::MAX, Fork::Prague).is_ok());
    }

    #[test]
    fn pricing_follows_each_fork() {
        // base, exponent, modulus of 64 bytes; exponent 0x03 in its last byte.
        let mut input = lengths(64, 1, 64);
        input.extend(std::iter::repeat_n(0xaa, 64));
        input.push(3);
        input.extend(std::iter::repeat_n(0xbb, 64));
        // iterations = bitlen(3) - 1 = 1.
        // Byzantium: 64^2 * 1 / 20 = 204; Berlin: max(200, 8^2 / 3 = 21) = 200;
        // Osaka: max(500, 2 * 8^2 = 128) = 500.
        for (fork, gas) in [
            (Fork::Byzantium, 204),
            (Fork::Berlin, 200),
            (Fork::Osaka, 500),
        ] {
            assert_eq!(
                modexp(&input, u64::MAX, fork).unwrap().gas_used,
                gas,
                "{fork}"
            );
        }
    }
}
