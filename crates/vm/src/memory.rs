//! Memory shared by all call frames of a transaction: one buffer, each frame owning the part
//! from its base offset on. A child frame's memory starts where its parent's ends and is
//! truncated away when the child returns.
//!
//! Offsets and sizes come from the stack as 256-bit values: [`Memory::expansion_cost`] turns an
//! access into a gas cost first (huge values cost more gas than exists), so no allocation
//! happens before the gas for it is paid.

use std::ops::Range;

use alloy_primitives::U256;

/// The transaction's memory buffer.
#[derive(Debug, Default)]
pub struct Memory {
    buffer: Vec<u8>,
}

/// Gas of `words` words of memory: `3 * words + words^2 / 512`.
pub fn memory_cost(words: u64) -> u64 {
    words
        .saturating_mul(3)
        .saturating_add(words.saturating_mul(words) / 512)
}

/// Converts a 256-bit offset/size pair to the end of the accessed range, or `None` for a range
/// too large to ever pay for (callers treat it as out of gas).
pub fn access_end(offset: U256, size: U256) -> Option<usize> {
    if size.is_zero() {
        return Some(0);
    }
    let offset: u64 = offset.try_into().ok()?;
    let size: u64 = size.try_into().ok()?;
    let end = offset.checked_add(size)?;
    // 2^32 bytes of memory would cost ~2^45 gas: far above any gas limit.
    if end > u64::from(u32::MAX) {
        return None;
    }
    usize::try_from(end).ok()
}

impl Memory {
    /// Starts a child frame's memory; returns its base offset.
    pub fn enter(&mut self) -> usize {
        self.buffer.len()
    }

    /// Drops a finished child frame's memory.
    pub fn leave(&mut self, base: usize) {
        self.buffer.truncate(base);
    }

    /// Size of the frame's memory in bytes (always a multiple of 32).
    #[inline]
    #[expect(
        clippy::arithmetic_side_effects,
        reason = "a frame's base is the buffer's length when it entered, and the buffer only \
                  shrinks back to a base when that frame leaves: `base <= len` while it runs"
    )]
    pub fn size(&self, base: usize) -> usize {
        self.buffer.len() - base
    }

    /// The buffer positions of `[offset, offset + len)` in the frame at `base`.
    #[inline]
    #[expect(
        clippy::arithmetic_side_effects,
        reason = "callers pass ranges within the frame's memory (grown by `Machine::expand` \
                  first), so `base + offset + len <= buffer.len() <= isize::MAX`"
    )]
    fn range(base: usize, offset: usize, len: usize) -> Range<usize> {
        let start = base + offset;
        start..start + len
    }

    /// Gas to grow the frame's memory so that `end` bytes are addressable (0 if already so).
    pub fn expansion_cost(&self, base: usize, end: usize) -> u64 {
        let current = self.size(base);
        if end <= current {
            return 0;
        }
        let words = |bytes: usize| u64::try_from(bytes.div_ceil(32)).unwrap_or(u64::MAX);
        // `end > current`, so the new cost is the larger one.
        memory_cost(words(end)).saturating_sub(memory_cost(words(current)))
    }

    /// Grows the frame's memory to cover `end` bytes (gas already charged).
    pub fn resize(&mut self, base: usize, end: usize) {
        let needed = base.saturating_add(end.div_ceil(32).saturating_mul(32));
        if needed > self.buffer.len() {
            self.buffer.resize(needed, 0);
        }
    }

    /// The bytes `[offset, offset + len)` of the frame's memory (must be within its size).
    pub fn slice(&self, base: usize, offset: usize, len: usize) -> &[u8] {
        &self.buffer[Self::range(base, offset, len)]
    }

    /// Writes `data` at `offset` (within size).
    pub fn write(&mut self, base: usize, offset: usize, data: &[u8]) {
        self.buffer[Self::range(base, offset, data.len())].copy_from_slice(data);
    }

    /// Writes `len` bytes at `offset` from `src` starting at `src_offset`, zero-filling what
    /// `src` does not cover (CALLDATACOPY, CODECOPY, ... semantics).
    pub fn write_padded(
        &mut self,
        base: usize,
        offset: usize,
        len: usize,
        src: &[u8],
        src_offset: U256,
    ) {
        let dest = &mut self.buffer[Self::range(base, offset, len)];
        let start = usize::try_from(src_offset)
            .unwrap_or(usize::MAX)
            .min(src.len());
        let src = &src[start..];
        let available = src.len().min(len);
        dest[..available].copy_from_slice(&src[..available]);
        dest[available..].fill(0);
    }

    /// MCOPY within the frame's memory (ranges within size).
    pub fn copy_within(&mut self, base: usize, src: usize, dest: usize, len: usize) {
        let dest = Self::range(base, dest, len).start;
        self.buffer.copy_within(Self::range(base, src, len), dest);
    }

    /// Reads a 32-byte word at `offset` (within size).
    pub fn load_word(&self, base: usize, offset: usize) -> U256 {
        U256::from_be_slice(self.slice(base, offset, 32))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expansion_cost_is_quadratic_in_words() {
        let memory = Memory::default();
        assert_eq!(memory.expansion_cost(0, 32), 3);
        assert_eq!(memory.expansion_cost(0, 33), 6);
        assert_eq!(
            memory.expansion_cost(0, 32 * 1024),
            3 * 1024 + 1024 * 1024 / 512
        );
    }

    #[test]
    fn huge_offsets_are_unpayable_not_allocated() {
        assert_eq!(access_end(U256::MAX, U256::from(1)), None);
        assert_eq!(access_end(U256::from(1) << 40, U256::from(1)), None);
        assert_eq!(
            access_end(U256::MAX, U256::ZERO),
            Some(0),
            "zero size never expands"
        );
    }

    #[test]
    fn child_memory_is_separate_and_dropped() {
        let mut memory = Memory::default();
        memory.resize(0, 32);
        memory.write(0, 0, &[1; 32]);
        let child = memory.enter();
        memory.resize(child, 64);
        assert_eq!(memory.size(child), 64);
        assert_eq!(memory.load_word(child, 0), U256::ZERO);
        memory.leave(child);
        assert_eq!(memory.size(0), 32);
    }

    #[test]
    fn padded_write_zero_fills_past_the_source() {
        let mut memory = Memory::default();
        memory.resize(0, 32);
        memory.write(0, 0, &[0xff; 32]);
        memory.write_padded(0, 0, 4, &[1, 2, 3], U256::from(1));
        assert_eq!(memory.slice(0, 0, 5), &[2, 3, 0, 0, 0xff]);
        memory.write_padded(0, 0, 2, &[1, 2, 3], U256::MAX);
        assert_eq!(memory.slice(0, 0, 2), &[0, 0]);
    }
}
