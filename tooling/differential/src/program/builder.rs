//! [`Builder`]: bytecode under construction — opcodes, minimal pushes, `JUMPDEST` labels and
//! jumps whose targets are patched in at the end, and an estimate of the stack depth (exact on
//! straight-line code, approximate across jumps) so arguments can be taken with `DUP`.

use alloy_primitives::U256;
use ethrex_vm::opcode::{DUP1, JUMPDEST, POP, PUSH0, PUSH1, PUSH2};
use rand::{Rng, rngs::StdRng};

/// The stack limit of the EVM.
const STACK_LIMIT: usize = 1024;

/// Bytecode being generated.
#[derive(Debug, Default)]
pub struct Builder {
    code: Vec<u8>,
    /// Offsets of the `JUMPDEST`s emitted.
    labels: Vec<usize>,
    /// Offsets of the 2-byte operands of `PUSH2`s that hold a jump target.
    jumps: Vec<usize>,
    /// Estimated stack depth.
    pub depth: usize,
    /// Whether `PUSH0` exists (Shanghai on).
    pub has_push0: bool,
}

impl Builder {
    pub fn new(has_push0: bool) -> Self {
        Builder {
            has_push0,
            ..Default::default()
        }
    }

    pub fn len(&self) -> usize {
        self.code.len()
    }

    pub fn is_empty(&self) -> bool {
        self.code.is_empty()
    }

    /// Emits an opcode taking `inputs` stack items and leaving `outputs`.
    pub fn op(&mut self, opcode: u8, inputs: usize, outputs: usize) {
        self.code.push(opcode);
        self.depth = self.depth.saturating_sub(inputs) + outputs;
    }

    /// Emits raw bytes (no effect on the depth estimate).
    pub fn raw(&mut self, bytes: &[u8]) {
        self.code.extend_from_slice(bytes);
    }

    /// Pushes `value` with the shortest push (`PUSH0` for zero when it exists).
    pub fn push(&mut self, value: U256) {
        let bytes = value.to_be_bytes::<32>();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        if skip == 32 && self.has_push0 {
            self.op(PUSH0, 0, 1);
            return;
        }
        let n = (32 - skip).max(1);
        self.push_n(n, &bytes[32 - n..]);
    }

    /// Pushes `value` with a 32-byte push whatever its size.
    pub fn push32(&mut self, value: U256) {
        self.push_n(32, &value.to_be_bytes::<32>());
    }

    pub fn push_u64(&mut self, value: u64) {
        self.push(U256::from(value));
    }

    /// `PUSHn` of exactly `bytes` (`n = bytes.len()`, 1 to 32).
    pub fn push_n(&mut self, n: usize, bytes: &[u8]) {
        let opcode = u8::try_from(n - 1).map_or(PUSH1, |k| PUSH1 + k);
        self.code.push(opcode);
        self.code.extend_from_slice(bytes);
        self.depth += 1;
    }

    /// `DUPn` of the `n`th stack item (1-based), if the stack seems that deep.
    pub fn dup(&mut self, n: usize) -> bool {
        if n == 0 || n > 16 || n > self.depth {
            return false;
        }
        let k = u8::try_from(n - 1).unwrap_or(0);
        self.op(DUP1 + k, n, n + 1);
        true
    }

    /// Emits a `JUMPDEST` and remembers it as a jump target.
    pub fn label(&mut self) {
        self.labels.push(self.code.len());
        self.code.push(JUMPDEST);
    }

    /// Pushes a jump target, chosen when the code is finished.
    pub fn push_jump_target(&mut self) {
        self.code.push(PUSH2);
        self.jumps.push(self.code.len());
        self.code.extend_from_slice(&[0, 0]);
        self.depth += 1;
    }

    /// Pops until the estimated depth is at most `max`, keeping clear of the stack limit.
    pub fn trim_stack(&mut self, max: usize) {
        while self.depth > max.min(STACK_LIMIT - 64) {
            self.op(POP, 1, 0);
        }
    }

    /// The finished code: each jump gets a target — mostly a later `JUMPDEST` (so programs move
    /// forward), sometimes an earlier one (a loop, ended by gas), rarely an offset that is not a
    /// `JUMPDEST` at all.
    pub fn finish(mut self, rng: &mut StdRng) -> Vec<u8> {
        let end = self.code.len();
        for &at in &self.jumps {
            let later: Vec<usize> = self.labels.iter().copied().filter(|l| *l > at).collect();
            let roll = rng.random_range(0..100);
            let target = if roll < 2 || self.labels.is_empty() {
                rng.random_range(0..end + 2)
            } else if roll < 4 || later.is_empty() {
                self.labels[rng.random_range(0..self.labels.len())]
            } else {
                later[rng.random_range(0..later.len())]
            };
            let target = u16::try_from(target).unwrap_or(u16::MAX).to_be_bytes();
            self.code[at..at + 2].copy_from_slice(&target);
        }
        self.code
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    #[test]
    fn pushes_are_minimal_and_push0_only_when_available() {
        let mut b = Builder::new(false);
        b.push(U256::ZERO);
        b.push(U256::from(0x1234));
        b.push(U256::MAX);
        let code = b.finish(&mut StdRng::seed_from_u64(0));
        assert_eq!(&code[..5], &[PUSH1, 0x00, PUSH2, 0x12, 0x34]);
        assert_eq!(code[5], ethrex_vm::opcode::PUSH32);
        assert_eq!(code.len(), 5 + 33);
        let mut b = Builder::new(true);
        b.push(U256::ZERO);
        assert_eq!(b.finish(&mut StdRng::seed_from_u64(0)), vec![PUSH0]);
    }

    #[test]
    fn jumps_mostly_land_on_a_later_jumpdest() {
        let landed = (0..100)
            .filter(|seed| {
                let mut b = Builder::new(true);
                b.label();
                b.push_jump_target();
                b.op(ethrex_vm::opcode::JUMP, 1, 0);
                b.label();
                let code = b.finish(&mut StdRng::seed_from_u64(*seed));
                u16::from_be_bytes([code[2], code[3]]) == 5
            })
            .count();
        assert!((85..100).contains(&landed), "{landed}");
    }
}
