//! Stack manipulation: POP, PUSH0 (EIP-3855, Shanghai), PUSH1–PUSH32, DUP1–DUP16, SWAP1–SWAP16.

use alloy_primitives::U256;

use super::Step;
use crate::{
    frame::{Frame, Machine},
    gas,
};

pub fn pop(f: &mut Frame, _: &mut Machine) -> Step {
    f.charge(gas::BASE)?;
    f.stack.pop()?;
    Ok(())
}

pub fn push0(f: &mut Frame, _: &mut Machine) -> Step {
    f.charge(gas::BASE)?;
    f.stack.push(U256::ZERO)?;
    Ok(())
}

/// PUSHn: the `N` bytes after the opcode (zeros past the end of the code).
#[expect(
    clippy::arithmetic_side_effects,
    reason = "`N` is 1 to 32 (PUSH1 to PUSH32), so `32 - N` cannot underflow, and `pc + N` is at \
              most the code's length plus 32"
)]
pub fn push<const N: usize>(f: &mut Frame, _: &mut Machine) -> Step {
    f.charge(gas::VERYLOW)?;
    let mut word = [0u8; 32];
    word[32 - N..].copy_from_slice(f.code.push_data(f.pc, N));
    let value = U256::from_be_bytes(word);
    f.stack.push(value)?;
    f.pc += N;
    Ok(())
}

pub fn dup<const N: usize>(f: &mut Frame, _: &mut Machine) -> Step {
    f.charge(gas::VERYLOW)?;
    f.stack.dup(N)?;
    Ok(())
}

pub fn swap<const N: usize>(f: &mut Frame, _: &mut Machine) -> Step {
    f.charge(gas::VERYLOW)?;
    f.stack.swap(N)?;
    Ok(())
}
