//! Memory: MLOAD, MSTORE, MSTORE8, MSIZE, MCOPY (EIP-5656, Cancun) and KECCAK256.

use alloy_primitives::{U256, keccak256};

use super::Step;
use crate::{
    frame::{Frame, Machine},
    gas,
};

const WORD: U256 = U256::from_limbs([32, 0, 0, 0]);

pub fn mload(f: &mut Frame, m: &mut Machine) -> Step {
    f.charge(gas::VERYLOW)?;
    let offset = f.stack.pop()?;
    let offset = m.expand(f, offset, WORD)?;
    f.stack.push(m.memory.load_word(f.mem, offset))?;
    Ok(())
}

pub fn mstore(f: &mut Frame, m: &mut Machine) -> Step {
    f.charge(gas::VERYLOW)?;
    let [offset, value] = f.stack.pop_n::<2>()?;
    let offset = m.expand(f, offset, WORD)?;
    m.memory.write(f.mem, offset, &value.to_be_bytes::<32>());
    Ok(())
}

pub fn mstore8(f: &mut Frame, m: &mut Machine) -> Step {
    f.charge(gas::VERYLOW)?;
    let [offset, value] = f.stack.pop_n::<2>()?;
    let offset = m.expand(f, offset, U256::from(1))?;
    m.memory.write(f.mem, offset, &[value.byte(0)]);
    Ok(())
}

pub fn msize(f: &mut Frame, m: &mut Machine) -> Step {
    f.charge(gas::BASE)?;
    f.stack.push(U256::from(m.memory.size(f.mem)))?;
    Ok(())
}

pub fn mcopy(f: &mut Frame, m: &mut Machine) -> Step {
    let [dest, src, size] = f.stack.pop_n::<3>()?;
    let len = usize::try_from(size).unwrap_or(usize::MAX);
    f.charge(gas::VERYLOW.saturating_add(gas::copy_cost(len)))?;
    if size.is_zero() {
        return Ok(());
    }
    let end = dest.max(src);
    m.expand(f, end, size)?;
    let (src, dest) = (src.to::<usize>(), dest.to::<usize>());
    m.memory.copy_within(f.mem, src, dest, len);
    Ok(())
}

pub fn keccak(f: &mut Frame, m: &mut Machine) -> Step {
    let [offset, size] = f.stack.pop_n::<2>()?;
    let len = usize::try_from(size).unwrap_or(usize::MAX);
    f.charge(gas::KECCAK.saturating_add(gas::words(len).saturating_mul(gas::KECCAK_WORD)))?;
    let offset = m.expand(f, offset, size)?;
    let hash = keccak256(
        m.memory
            .slice(f.mem, offset, if size.is_zero() { 0 } else { len }),
    );
    f.stack.push(hash.into())?;
    Ok(())
}
