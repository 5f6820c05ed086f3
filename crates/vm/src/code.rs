//! Analysed bytecode: the code padded so that a PUSH at the end reads zeros, and the bitmap of
//! valid JUMPDESTs (a `JUMPDEST` byte that is not PUSH data). Analysis happens once per code hash:
//! each execution keeps what it used, and [`shared`] keeps it for the whole process (so an
//! `eth_call` or the next block does not analyse a contract again), bounded to
//! [`SHARED_MAX_BYTES`] of code — past it the shared cache starts over. Only the analysis is
//! shared: an execution still reads every code it runs through its own state and database, so
//! what observes those reads (execution witnesses, tracers) sees them all.

use std::{
    collections::HashMap,
    sync::{Arc, LazyLock, Mutex, PoisonError},
};

use alloy_primitives::{B256, Bytes};

use crate::opcode;

/// Most code, in bytes, the process-wide cache holds.
pub const SHARED_MAX_BYTES: usize = 64 << 20;

/// The process-wide analysed code by code hash, and how many bytes of code it holds.
#[derive(Default)]
struct SharedCache {
    codes: HashMap<B256, Arc<Code>>,
    bytes: usize,
}

static SHARED: LazyLock<Mutex<SharedCache>> = LazyLock::new(Mutex::default);

/// `bytes` analysed: from the process-wide cache, else analysed (outside the lock) and cached.
/// `hash` must be the keccak of `bytes`.
pub fn shared(hash: B256, bytes: &Bytes) -> Arc<Code> {
    let lock = || SHARED.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(code) = lock().codes.get(&hash).cloned() {
        return code;
    }
    let code = Arc::new(Code::analyse(bytes));
    let mut cache = lock();
    if cache.bytes.saturating_add(code.len()) > SHARED_MAX_BYTES {
        *cache = SharedCache::default();
    }
    if cache.codes.insert(hash, Arc::clone(&code)).is_none() {
        cache.bytes = cache.bytes.saturating_add(code.len());
    }
    code
}

/// Code with its jump destinations.
#[derive(Debug)]
pub struct Code {
    /// The code followed by 33 zero bytes (so PUSH32 at the end and STOP past the end read 0).
    padded: Vec<u8>,
    len: usize,
    jumpdests: Vec<u64>,
}

impl Code {
    pub fn analyse(code: &Bytes) -> Code {
        let len = code.len();
        let padded_len = len.saturating_add(33);
        let mut padded = Vec::with_capacity(padded_len);
        padded.extend_from_slice(code);
        padded.resize(padded_len, 0);
        let mut jumpdests = vec![0u64; len.div_ceil(64)];
        let mut pc = 0usize;
        while pc < len {
            let op = padded[pc];
            if op == opcode::JUMPDEST {
                jumpdests[pc / 64] |= 1 << (pc % 64);
            }
            // `pc < len` and `len` is a vector's length (at most `isize::MAX`): the sum stays
            // far below `usize::MAX` (saturation never happens; analysis runs once per code).
            pc = pc
                .saturating_add(1)
                .saturating_add(opcode::immediate_len(op));
        }
        Code {
            padded,
            len,
            jumpdests,
        }
    }

    /// Length of the original code.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// The original code.
    #[inline]
    pub fn bytes(&self) -> &[u8] {
        &self.padded[..self.len]
    }

    /// The byte at `pc` (0, i.e. STOP, past the end).
    #[inline]
    pub fn op(&self, pc: usize) -> u8 {
        self.padded.get(pc).copied().unwrap_or(0)
    }

    /// `n` bytes of PUSH data starting at `pc` (zero-padded past the end).
    #[inline]
    #[expect(
        clippy::arithmetic_side_effects,
        reason = "`start <= len` (a vector's length, at most `isize::MAX`) and `n <= 32`: the sum \
                  cannot overflow, and the padding makes it at most `padded.len()`"
    )]
    pub fn push_data(&self, pc: usize, n: usize) -> &[u8] {
        let start = pc.min(self.len);
        &self.padded[start..start + n]
    }

    /// Whether `dest` is a valid JUMPDEST.
    #[inline]
    pub fn is_jumpdest(&self, dest: usize) -> bool {
        dest < self.len && self.jumpdests[dest / 64] & (1 << (dest % 64)) != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jumpdest_inside_push_data_is_not_valid() {
        use opcode::{JUMPDEST, PUSH1, PUSH2};
        let code = Code::analyse(&Bytes::copy_from_slice(&[
            PUSH1, JUMPDEST, JUMPDEST, PUSH2, JUMPDEST, JUMPDEST,
        ]));
        assert!(!code.is_jumpdest(1));
        assert!(code.is_jumpdest(2));
        assert!(!code.is_jumpdest(4) && !code.is_jumpdest(5));
        assert!(!code.is_jumpdest(100));
    }

    #[test]
    fn push_past_the_end_reads_zeros() {
        let code = Code::analyse(&Bytes::copy_from_slice(&[opcode::PUSH32, 0xaa]));
        assert_eq!(code.push_data(1, 32)[0], 0xaa);
        assert!(code.push_data(1, 32)[1..].iter().all(|b| *b == 0));
        assert_eq!(code.op(5), 0);
    }

    #[test]
    fn shared_analysis_is_one_code_per_hash() {
        let bytes = Bytes::from_static(&[0x60, 0x01, 0x5b, 0x00]);
        let hash = alloy_primitives::keccak256(&bytes);
        let first = shared(hash, &bytes);
        assert_eq!(first.bytes(), &bytes[..]);
        assert!(first.is_jumpdest(2));
        assert!(Arc::ptr_eq(&first, &shared(hash, &bytes)));
    }
}
