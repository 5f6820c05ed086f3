//! Comparison and bitwise logic: LT, GT, SLT, SGT, EQ, ISZERO, AND, OR, XOR, NOT, BYTE, SHL,
//! SHR, SAR (EIP-145, Constantinople) and CLZ (EIP-7939, Osaka).

use alloy_primitives::U256;

use super::Step;
use crate::{
    frame::{Frame, Machine},
    gas,
};

fn binary(f: &mut Frame, op: impl Fn(U256, U256) -> U256) -> Step {
    f.charge(gas::VERYLOW)?;
    let (a, b) = f.stack.pop_top()?;
    *b = op(a, *b);
    Ok(())
}

fn flag(b: bool) -> U256 {
    U256::from(u8::from(b))
}

/// Signed less-than.
fn slt_of(a: U256, b: U256) -> bool {
    match (a.bit(255), b.bit(255)) {
        (true, false) => true,
        (false, true) => false,
        _ => a < b,
    }
}

pub fn lt(f: &mut Frame, _: &mut Machine) -> Step {
    binary(f, |a, b| flag(a < b))
}

pub fn gt(f: &mut Frame, _: &mut Machine) -> Step {
    binary(f, |a, b| flag(a > b))
}

pub fn slt(f: &mut Frame, _: &mut Machine) -> Step {
    binary(f, |a, b| flag(slt_of(a, b)))
}

pub fn sgt(f: &mut Frame, _: &mut Machine) -> Step {
    binary(f, |a, b| flag(slt_of(b, a)))
}

pub fn eq(f: &mut Frame, _: &mut Machine) -> Step {
    binary(f, |a, b| flag(a == b))
}

pub fn iszero(f: &mut Frame, _: &mut Machine) -> Step {
    f.charge(gas::VERYLOW)?;
    let a = f.stack.pop()?;
    f.stack.push(flag(a.is_zero()))?;
    Ok(())
}

pub fn and(f: &mut Frame, _: &mut Machine) -> Step {
    binary(f, |a, b| a & b)
}

pub fn or(f: &mut Frame, _: &mut Machine) -> Step {
    binary(f, |a, b| a | b)
}

pub fn xor(f: &mut Frame, _: &mut Machine) -> Step {
    binary(f, |a, b| a ^ b)
}

pub fn not(f: &mut Frame, _: &mut Machine) -> Step {
    f.charge(gas::VERYLOW)?;
    let a = f.stack.pop()?;
    f.stack.push(!a)?;
    Ok(())
}

pub fn byte(f: &mut Frame, _: &mut Machine) -> Step {
    binary(f, |i, x| {
        if i >= U256::from(32) {
            return U256::ZERO;
        }
        // `i < 32`: byte `i` from the most significant is byte `31 - i` from the least.
        U256::from(x.byte(31usize.saturating_sub(i.to::<usize>())))
    })
}

pub fn shl(f: &mut Frame, _: &mut Machine) -> Step {
    binary(f, |shift, value| {
        if shift >= U256::from(256) {
            U256::ZERO
        } else {
            value.wrapping_shl(shift.to::<usize>())
        }
    })
}

pub fn shr(f: &mut Frame, _: &mut Machine) -> Step {
    binary(f, |shift, value| {
        if shift >= U256::from(256) {
            U256::ZERO
        } else {
            value.wrapping_shr(shift.to::<usize>())
        }
    })
}

pub fn sar(f: &mut Frame, _: &mut Machine) -> Step {
    binary(f, |shift, value| {
        let negative = value.bit(255);
        if shift >= U256::from(256) {
            return if negative { U256::MAX } else { U256::ZERO };
        }
        value.arithmetic_shr(shift.to::<usize>())
    })
}

pub fn clz(f: &mut Frame, _: &mut Machine) -> Step {
    f.charge(gas::LOW)?;
    let a = f.stack.pop()?;
    f.stack.push(U256::from(a.leading_zeros()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::opcodes::tests::run_binary;

    #[test]
    fn shifts_follow_eip145_examples() {
        let one = U256::from(1);
        assert_eq!(run_binary(shl, U256::from(255), one), one << 255);
        assert_eq!(run_binary(shl, U256::from(256), one), U256::ZERO);
        assert_eq!(
            run_binary(sar, U256::from(1), one << 255),
            U256::from(0b11) << 254
        );
        assert_eq!(run_binary(sar, U256::from(300), one << 255), U256::MAX);
        assert_eq!(run_binary(shr, U256::from(255), one << 255), one);
    }

    #[test]
    fn byte_indexes_from_the_most_significant() {
        let x = U256::from(0x1234u64);
        assert_eq!(run_binary(byte, U256::from(31), x), U256::from(0x34));
        assert_eq!(run_binary(byte, U256::from(30), x), U256::from(0x12));
        assert_eq!(run_binary(byte, U256::from(32), x), U256::ZERO);
    }

    #[test]
    fn signed_comparisons() {
        let minus_one = U256::MAX;
        assert_eq!(run_binary(slt, minus_one, U256::ZERO), U256::from(1));
        assert_eq!(run_binary(sgt, minus_one, U256::ZERO), U256::ZERO);
    }
}
