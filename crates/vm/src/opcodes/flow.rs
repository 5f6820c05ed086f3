//! Control flow and frame ends: STOP, JUMP, JUMPI, PC, JUMPDEST, GAS, RETURN, REVERT
//! (EIP-140, Byzantium), INVALID and undefined opcodes.

use alloy_primitives::{Bytes, U256};

use super::Step;
use crate::{
    Halt,
    frame::{Exit, Frame, Machine},
    gas,
};

pub fn stop(_: &mut Frame, _: &mut Machine) -> Step {
    Err(Exit::Stop)
}

fn jump_to(f: &mut Frame, dest: U256) -> Step {
    let dest = usize::try_from(dest).map_err(|_| Halt::InvalidJump)?;
    if !f.code.is_jumpdest(dest) {
        return Err(Halt::InvalidJump.into());
    }
    f.pc = dest;
    Ok(())
}

pub fn jump(f: &mut Frame, _: &mut Machine) -> Step {
    f.charge(gas::MID)?;
    let dest = f.stack.pop()?;
    jump_to(f, dest)
}

pub fn jumpi(f: &mut Frame, _: &mut Machine) -> Step {
    f.charge(gas::HIGH)?;
    let [dest, condition] = f.stack.pop_n::<2>()?;
    if condition.is_zero() {
        Ok(())
    } else {
        jump_to(f, dest)
    }
}

pub fn pc(f: &mut Frame, _: &mut Machine) -> Step {
    f.charge(gas::BASE)?;
    // The interpreter advanced `pc` past this opcode before running it: `pc >= 1`.
    f.stack.push(U256::from(f.pc.saturating_sub(1)))?;
    Ok(())
}

pub fn jumpdest(f: &mut Frame, _: &mut Machine) -> Step {
    f.charge(gas::JUMPDEST)?;
    Ok(())
}

pub fn gas_left(f: &mut Frame, _: &mut Machine) -> Step {
    f.charge(gas::BASE)?;
    f.stack.push(U256::from(f.gas))?;
    Ok(())
}

fn output(f: &mut Frame, m: &mut Machine) -> Result<Bytes, Exit> {
    let [offset, size] = f.stack.pop_n::<2>()?;
    let offset = m.expand(f, offset, size)?;
    let size = usize::try_from(size).unwrap_or(0);
    Ok(Bytes::copy_from_slice(m.memory.slice(f.mem, offset, size)))
}

pub fn ret(f: &mut Frame, m: &mut Machine) -> Step {
    m.output = output(f, m)?;
    Err(Exit::Return)
}

pub fn revert(f: &mut Frame, m: &mut Machine) -> Step {
    m.output = output(f, m)?;
    Err(Exit::Revert)
}

/// INVALID (0xfe) and every opcode undefined under the fork: consumes all gas.
pub fn invalid(f: &mut Frame, _: &mut Machine) -> Step {
    let op = f.code.op(f.pc.saturating_sub(1));
    Err(Halt::InvalidOpcode(op).into())
}
