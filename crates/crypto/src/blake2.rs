//! The BLAKE2b compression function `F` with a caller-chosen number of rounds, as exposed by the
//! BLAKE2F precompile (EIP-152, RFC 7693 §3.2).
//!
//! Only the compression function is exposed: the EIP-152 input framing (213 bytes: rounds as a
//! big-endian `u32`, `h`, `m`, `t` as little-endian words, the final-block flag) is decoded by
//! [`blake2f_input`]. Any number of rounds is valid, including zero; the message schedule
//! `SIGMA` repeats every ten rounds.

use crate::{CryptoError, Result};

/// Length of the EIP-152 input.
pub const BLAKE2F_INPUT_LEN: usize = 213;

/// BLAKE2b initialisation vector (the SHA-512 IV).
const IV: [u64; 8] = [
    0x6a09e667f3bcc908,
    0xbb67ae8584caa73b,
    0x3c6ef372fe94f82b,
    0xa54ff53a5f1d36f1,
    0x510e527fade682d1,
    0x9b05688c2b3e6c1f,
    0x1f83d9abfb41bd6b,
    0x5be0cd19137e2179,
];

/// Message word permutations, one per round modulo 10.
const SIGMA: [[usize; 16]; 10] = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
    [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
    [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
    [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
    [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
    [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
    [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
    [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
    [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
    [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
];

/// The decoded EIP-152 input of the compression function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blake2fInput {
    /// Number of rounds.
    pub rounds: u32,
    /// State vector.
    pub h: [u64; 8],
    /// Message block.
    pub m: [u64; 16],
    /// Offset counter.
    pub t: [u64; 2],
    /// Final-block indicator.
    pub f: bool,
}

/// Decodes the 213-byte EIP-152 input; the final byte must be 0 or 1.
pub fn blake2f_input(input: &[u8]) -> Result<Blake2fInput> {
    let input: &[u8; BLAKE2F_INPUT_LEN] =
        input.try_into().map_err(|_| CryptoError::InvalidLength {
            what: "blake2f input",
            expected: BLAKE2F_INPUT_LEN,
            got: input.len(),
        })?;
    let (rounds, rest) = input.split_at(4);
    let (h_bytes, rest) = rest.split_at(64);
    let (m_bytes, rest) = rest.split_at(128);
    let t_bytes = &rest[..16];
    let f = match input[BLAKE2F_INPUT_LEN - 1] {
        0 => false,
        1 => true,
        other => return Err(CryptoError::InvalidBlake2Flag(other)),
    };
    let mut rounds_word = [0u8; 4];
    rounds_word.copy_from_slice(rounds);
    let mut h = [0u64; 8];
    read_le_words(h_bytes, &mut h);
    let mut m = [0u64; 16];
    read_le_words(m_bytes, &mut m);
    let mut t = [0u64; 2];
    read_le_words(t_bytes, &mut t);
    Ok(Blake2fInput {
        rounds: u32::from_be_bytes(rounds_word),
        h,
        m,
        t,
        f,
    })
}

/// Runs `rounds` rounds of the BLAKE2b compression function on state `h` and returns the new
/// state.
pub fn blake2f(rounds: u32, h: [u64; 8], m: &[u64; 16], t: [u64; 2], f: bool) -> [u64; 8] {
    let mut v = [0u64; 16];
    v[..8].copy_from_slice(&h);
    v[8..].copy_from_slice(&IV);
    v[12] ^= t[0];
    v[13] ^= t[1];
    if f {
        v[14] = !v[14];
    }
    for s in SIGMA.iter().cycle().take(rounds_as_usize(rounds)) {
        mix(&mut v, 0, 4, 8, 12, m[s[0]], m[s[1]]);
        mix(&mut v, 1, 5, 9, 13, m[s[2]], m[s[3]]);
        mix(&mut v, 2, 6, 10, 14, m[s[4]], m[s[5]]);
        mix(&mut v, 3, 7, 11, 15, m[s[6]], m[s[7]]);
        mix(&mut v, 0, 5, 10, 15, m[s[8]], m[s[9]]);
        mix(&mut v, 1, 6, 11, 12, m[s[10]], m[s[11]]);
        mix(&mut v, 2, 7, 8, 13, m[s[12]], m[s[13]]);
        mix(&mut v, 3, 4, 9, 14, m[s[14]], m[s[15]]);
    }
    let mut out = h;
    for (i, word) in out.iter_mut().enumerate() {
        *word ^= v[i] ^ v[i + 8];
    }
    out
}

/// Encodes a state as the 64-byte little-endian output of the precompile.
pub fn blake2f_output(h: &[u64; 8]) -> [u8; 64] {
    let mut out = [0u8; 64];
    for (chunk, word) in out.chunks_exact_mut(8).zip(h) {
        chunk.copy_from_slice(&word.to_le_bytes());
    }
    out
}

/// The mixing function `G`.
fn mix(v: &mut [u64; 16], a: usize, b: usize, c: usize, d: usize, x: u64, y: u64) {
    v[a] = v[a].wrapping_add(v[b]).wrapping_add(x);
    v[d] = (v[d] ^ v[a]).rotate_right(32);
    v[c] = v[c].wrapping_add(v[d]);
    v[b] = (v[b] ^ v[c]).rotate_right(24);
    v[a] = v[a].wrapping_add(v[b]).wrapping_add(y);
    v[d] = (v[d] ^ v[a]).rotate_right(16);
    v[c] = v[c].wrapping_add(v[d]);
    v[b] = (v[b] ^ v[c]).rotate_right(63);
}

fn read_le_words(bytes: &[u8], words: &mut [u64]) {
    for (word, chunk) in words.iter_mut().zip(bytes.chunks_exact(8)) {
        let mut buf = [0u8; 8];
        buf.copy_from_slice(chunk);
        *word = u64::from_le_bytes(buf);
    }
}

/// `rounds` as a `usize` (every target ethrex supports has at least 32-bit pointers).
fn rounds_as_usize(rounds: u32) -> usize {
    usize::try_from(rounds).unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::hex;

    // EIP-152 test vector 5: 12 rounds of BLAKE2b on "abc", the final block.
    const ABC_12_ROUNDS: [u8; 213] = hex!(
        "0000000c48c9bdf267e6096a3ba7ca8485ae67bb2bf894fe72f36e3cf1361d5f3af54fa5d182e6ad7f520e"
        "511f6c3e2b8c68059b6bbd41fbabd9831f79217e1319cde05b616263000000000000000000000000000000"
        "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
        "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
        "0000000000000000000000000000000000000000000000000300000000000000000000000000000001"
    );

    fn run(input: &[u8]) -> Result<[u8; 64]> {
        let i = blake2f_input(input)?;
        Ok(blake2f_output(&blake2f(i.rounds, i.h, &i.m, i.t, i.f)))
    }

    #[test]
    fn twelve_rounds_on_abc_give_the_blake2b_digest() {
        assert_eq!(
            run(&ABC_12_ROUNDS).unwrap(),
            hex!(
                "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1"
                "7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923"
            )
        );
    }

    #[test]
    fn malformed_inputs_are_rejected() {
        assert!(matches!(
            run(&ABC_12_ROUNDS[1..]),
            Err(CryptoError::InvalidLength { .. })
        ));
        let mut bad_flag = ABC_12_ROUNDS;
        bad_flag[212] = 2;
        assert_eq!(run(&bad_flag), Err(CryptoError::InvalidBlake2Flag(2)));
    }
}
