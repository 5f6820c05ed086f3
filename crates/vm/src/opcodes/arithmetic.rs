//! Arithmetic: ADD, MUL, SUB, DIV, SDIV, MOD, SMOD, ADDMOD, MULMOD, EXP, SIGNEXTEND.
//! Division and modulo by zero give zero, as the Yellow Paper defines.

use alloy_primitives::U256;

use super::Step;
use crate::{
    frame::{Frame, Machine},
    gas,
};

fn binary(f: &mut Frame, cost: u64, op: impl Fn(U256, U256) -> U256) -> Step {
    f.charge(cost)?;
    let (a, b) = f.stack.pop_top()?;
    *b = op(a, *b);
    Ok(())
}

pub fn add(f: &mut Frame, _: &mut Machine) -> Step {
    binary(f, gas::VERYLOW, |a, b| a.wrapping_add(b))
}

pub fn mul(f: &mut Frame, _: &mut Machine) -> Step {
    binary(f, gas::LOW, |a, b| a.wrapping_mul(b))
}

pub fn sub(f: &mut Frame, _: &mut Machine) -> Step {
    binary(f, gas::VERYLOW, |a, b| a.wrapping_sub(b))
}

pub fn div(f: &mut Frame, _: &mut Machine) -> Step {
    binary(f, gas::LOW, |a, b| a.checked_div(b).unwrap_or_default())
}

pub fn sdiv(f: &mut Frame, _: &mut Machine) -> Step {
    binary(f, gas::LOW, |a, b| {
        if b.is_zero() {
            return U256::ZERO;
        }
        let (a_neg, b_neg) = (a.bit(255), b.bit(255));
        let (ua, ub) = (
            if a_neg { a.wrapping_neg() } else { a },
            if b_neg { b.wrapping_neg() } else { b },
        );
        // `b` is not zero, so neither is `ub`: the division cannot panic.
        let q = ua.wrapping_div(ub);
        if a_neg != b_neg { q.wrapping_neg() } else { q }
    })
}

pub fn rem(f: &mut Frame, _: &mut Machine) -> Step {
    binary(f, gas::LOW, |a, b| a.checked_rem(b).unwrap_or_default())
}

pub fn smod(f: &mut Frame, _: &mut Machine) -> Step {
    binary(f, gas::LOW, |a, b| {
        if b.is_zero() {
            return U256::ZERO;
        }
        let a_neg = a.bit(255);
        let ua = if a_neg { a.wrapping_neg() } else { a };
        let ub = if b.bit(255) { b.wrapping_neg() } else { b };
        let r = ua.wrapping_rem(ub);
        if a_neg { r.wrapping_neg() } else { r }
    })
}

pub fn addmod(f: &mut Frame, _: &mut Machine) -> Step {
    f.charge(gas::MID)?;
    let [a, b, n] = f.stack.pop_n::<3>()?;
    f.stack.push(if n.is_zero() {
        U256::ZERO
    } else {
        a.add_mod(b, n)
    })?;
    Ok(())
}

pub fn mulmod(f: &mut Frame, _: &mut Machine) -> Step {
    f.charge(gas::MID)?;
    let [a, b, n] = f.stack.pop_n::<3>()?;
    f.stack.push(if n.is_zero() {
        U256::ZERO
    } else {
        a.mul_mod(b, n)
    })?;
    Ok(())
}

pub fn exp(f: &mut Frame, m: &mut Machine) -> Step {
    let [base, exponent] = f.stack.pop_n::<2>()?;
    f.charge(gas::exp_cost(m.fork, exponent))?;
    f.stack.push(base.wrapping_pow(exponent))?;
    Ok(())
}

pub fn signextend(f: &mut Frame, _: &mut Machine) -> Step {
    binary(f, gas::LOW, |byte, x| {
        if byte >= U256::from(31) {
            return x;
        }
        // `byte < 31`: the sign bit is bit 7 of that byte, at most bit 247.
        let bit = byte.to::<usize>().saturating_mul(8).saturating_add(7);
        let mask = U256::from(1).wrapping_shl(bit).wrapping_sub(U256::from(1));
        if x.bit(bit) { x | !mask } else { x & mask }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_division_and_modulo_follow_twos_complement() {
        let neg = |v: u64| U256::from(v).wrapping_neg();
        let run = |op: fn(&mut Frame, &mut Machine) -> Step, a: U256, b: U256| {
            super::super::tests::run_binary(op, a, b)
        };
        assert_eq!(run(sdiv, neg(10), U256::from(3)), neg(3));
        assert_eq!(run(sdiv, neg(10), neg(3)), U256::from(3));
        assert_eq!(run(smod, neg(10), U256::from(3)), neg(1));
        assert_eq!(
            run(sdiv, U256::from(1) << 255, neg(1)),
            U256::from(1) << 255,
            "MIN / -1 overflows to MIN"
        );
        assert_eq!(run(div, U256::from(7), U256::ZERO), U256::ZERO);
        assert_eq!(run(signextend, U256::ZERO, U256::from(0xff)), U256::MAX);
        assert_eq!(
            run(signextend, U256::ZERO, U256::from(0x7f)),
            U256::from(0x7f)
        );
    }
}
