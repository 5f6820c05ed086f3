//! The executing context and other accounts: ADDRESS, BALANCE, ORIGIN, CALLER, CALLVALUE,
//! CALLDATALOAD/SIZE/COPY, CODESIZE/COPY, GASPRICE, EXTCODESIZE/COPY/HASH, RETURNDATASIZE/COPY
//! (EIP-211), SELFBALANCE (EIP-1884).
//!
//! Account access costs follow the fork: flat before Berlin, warm/cold (EIP-2929) after.

use alloy_primitives::{Address, U256};

use super::Step;
use crate::{
    Halt,
    frame::{Exit, Frame, Machine},
    gas,
};

fn push_word(f: &mut Frame, cost: u64, value: U256) -> Step {
    f.charge(cost)?;
    f.stack.push(value)?;
    Ok(())
}

fn address_word(address: Address) -> U256 {
    U256::from_be_slice(address.as_slice())
}

/// Pops an address and warms it, returning whether it was cold.
fn pop_address(f: &mut Frame, m: &mut Machine) -> Result<(Address, bool), Exit> {
    let word = f.stack.pop()?;
    let address = Address::from_word(word.to_be_bytes::<32>().into());
    Ok((address, m.access_account(address)))
}

pub fn address(f: &mut Frame, _: &mut Machine) -> Step {
    let value = address_word(f.address);
    push_word(f, gas::BASE, value)
}

pub fn balance(f: &mut Frame, m: &mut Machine) -> Step {
    let (address, cold) = pop_address(f, m)?;
    f.charge(gas::balance_cost(m.fork, cold))?;
    let balance = m.state.info(address)?.balance;
    f.stack.push(balance)?;
    Ok(())
}

pub fn selfbalance(f: &mut Frame, m: &mut Machine) -> Step {
    let balance = m.state.info(f.address)?.balance;
    push_word(f, gas::LOW, balance)
}

pub fn origin(f: &mut Frame, m: &mut Machine) -> Step {
    push_word(f, gas::BASE, address_word(m.tx.origin))
}

pub fn caller(f: &mut Frame, _: &mut Machine) -> Step {
    let value = address_word(f.caller);
    push_word(f, gas::BASE, value)
}

pub fn callvalue(f: &mut Frame, _: &mut Machine) -> Step {
    let value = f.value;
    push_word(f, gas::BASE, value)
}

pub fn gasprice(f: &mut Frame, m: &mut Machine) -> Step {
    push_word(f, gas::BASE, m.tx.gas_price)
}

pub fn calldataload(f: &mut Frame, _: &mut Machine) -> Step {
    f.charge(gas::VERYLOW)?;
    let offset = f.stack.pop()?;
    let mut word = [0u8; 32];
    if let Ok(start) = usize::try_from(offset)
        && start < f.input.len()
    {
        let rest = &f.input[start..];
        let available = rest.len().min(32);
        word[..available].copy_from_slice(&rest[..available]);
    }
    f.stack.push(U256::from_be_bytes(word))?;
    Ok(())
}

pub fn calldatasize(f: &mut Frame, _: &mut Machine) -> Step {
    let len = U256::from(f.input.len());
    push_word(f, gas::BASE, len)
}

/// The shared shape of the *COPY opcodes: charge, expand, copy with zero padding.
fn copy_to_memory(
    f: &mut Frame,
    m: &mut Machine,
    base_cost: u64,
    src: &[u8],
    dest: U256,
    src_offset: U256,
    size: U256,
) -> Step {
    let len = usize::try_from(size).unwrap_or(usize::MAX);
    f.charge(base_cost.saturating_add(gas::copy_cost(len)))?;
    let dest = m.expand(f, dest, size)?;
    if !size.is_zero() {
        m.memory.write_padded(f.mem, dest, len, src, src_offset);
    }
    Ok(())
}

pub fn calldatacopy(f: &mut Frame, m: &mut Machine) -> Step {
    let [dest, offset, size] = f.stack.pop_n::<3>()?;
    let input = f.input.clone();
    copy_to_memory(f, m, gas::VERYLOW, &input, dest, offset, size)
}

pub fn codesize(f: &mut Frame, _: &mut Machine) -> Step {
    let len = U256::from(f.code.len());
    push_word(f, gas::BASE, len)
}

pub fn codecopy(f: &mut Frame, m: &mut Machine) -> Step {
    let [dest, offset, size] = f.stack.pop_n::<3>()?;
    let code = f.code.clone();
    copy_to_memory(f, m, gas::VERYLOW, code.bytes(), dest, offset, size)
}

pub fn extcodesize(f: &mut Frame, m: &mut Machine) -> Step {
    let (address, cold) = pop_address(f, m)?;
    f.charge(gas::extcode_cost(m.fork, cold))?;
    let len = m.state.code(address)?.len();
    f.stack.push(U256::from(len))?;
    Ok(())
}

pub fn extcodecopy(f: &mut Frame, m: &mut Machine) -> Step {
    let (address, cold) = pop_address(f, m)?;
    let [dest, offset, size] = f.stack.pop_n::<3>()?;
    let code = m.state.code(address)?;
    copy_to_memory(
        f,
        m,
        gas::extcode_cost(m.fork, cold),
        &code,
        dest,
        offset,
        size,
    )
}

pub fn extcodehash(f: &mut Frame, m: &mut Machine) -> Step {
    let (address, cold) = pop_address(f, m)?;
    f.charge(gas::extcodehash_cost(m.fork, cold))?;
    let hash = if m.state.is_dead(address)? {
        U256::ZERO
    } else {
        m.state.info(address)?.code_hash.into()
    };
    f.stack.push(hash)?;
    Ok(())
}

pub fn returndatasize(f: &mut Frame, _: &mut Machine) -> Step {
    let len = U256::from(f.return_data.len());
    push_word(f, gas::BASE, len)
}

pub fn returndatacopy(f: &mut Frame, m: &mut Machine) -> Step {
    let [dest, offset, size] = f.stack.pop_n::<3>()?;
    let end = offset
        .checked_add(size)
        .ok_or(Halt::ReturnDataOutOfBounds)?;
    if end > U256::from(f.return_data.len()) {
        return Err(Halt::ReturnDataOutOfBounds.into());
    }
    let data = f.return_data.clone();
    copy_to_memory(f, m, gas::VERYLOW, &data, dest, offset, size)
}
