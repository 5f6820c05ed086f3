//! Calls, creations and self-destruction: CALL, CALLCODE, DELEGATECALL (EIP-7, Homestead),
//! STATICCALL (EIP-214, Byzantium), CREATE, CREATE2 (EIP-1014, Constantinople), SELFDESTRUCT
//! (EIP-6780 from Cancun).
//!
//! These opcodes only price and validate the request; the interpreter runs the child frame
//! (see `interpreter.rs`), so the Rust stack does not grow with the call depth.

use alloy_primitives::{Address, Bytes, U256};
use ethrex_common::{Fork, constants::MAX_INITCODE_SIZE};

use super::Step;
use crate::{
    Halt,
    frame::{CallKind, CallRequest, CreateRequest, Exit, Frame, Machine, SelfDestructed},
    gas,
};

fn to_address(word: U256) -> Address {
    Address::from_word(word.to_be_bytes::<32>().into())
}

fn call(f: &mut Frame, m: &mut Machine, kind: CallKind) -> Step {
    let gas_requested = f.stack.pop()?;
    let target = to_address(f.stack.pop()?);
    let value = match kind {
        CallKind::Call | CallKind::CallCode => f.stack.pop()?,
        CallKind::DelegateCall | CallKind::StaticCall => U256::ZERO,
    };
    let [in_offset, in_size, out_offset, out_size] = f.stack.pop_n::<4>()?;
    if kind == CallKind::Call && f.is_static && !value.is_zero() {
        return Err(Halt::StaticStateChange.into());
    }
    let cold = m.access_account(target);
    let mut cost = gas::call_base_cost(m.fork, cold);
    // EIP-7702: calling a delegated account runs the delegate's code (and pays its access).
    let mut code_address = target;
    if m.fork >= Fork::Prague
        && let Some(delegate) = ethrex_common::eip7702::delegate_of(&m.state.code(target)?)
    {
        let delegate_cold = m.access_account(delegate);
        cost = cost.saturating_add(gas::account_access_cost(delegate_cold));
        code_address = delegate;
    }
    if !value.is_zero() {
        cost = cost.saturating_add(gas::CALL_VALUE);
    }
    if kind == CallKind::Call {
        let creates_account = if m.fork >= Fork::SpuriousDragon {
            !value.is_zero() && m.state.is_dead(target)?
        } else {
            !m.state.exists(target)?
        };
        if creates_account {
            cost = cost.saturating_add(gas::NEW_ACCOUNT);
        }
    }
    f.charge(cost)?;
    let in_start = m.expand(f, in_offset, in_size)?;
    let ret_offset = m.expand(f, out_offset, out_size)?;
    let mut child_gas = gas::call_gas(m.fork, gas_requested, f.gas).ok_or(Halt::OutOfGas)?;
    f.charge(child_gas)?;
    if !value.is_zero() {
        child_gas = child_gas.saturating_add(gas::CALL_STIPEND);
    }
    let in_len = usize::try_from(in_size).unwrap_or(0);
    let input = if in_size.is_zero() {
        Bytes::new()
    } else {
        Bytes::copy_from_slice(m.memory.slice(f.mem, in_start, in_len))
    };
    let checks_balance = matches!(kind, CallKind::Call | CallKind::CallCode) && !value.is_zero();
    let delegated = code_address != target;
    let (address, caller, value, transfers_value) = match kind {
        CallKind::Call => (target, f.address, value, !value.is_zero()),
        CallKind::CallCode => (f.address, f.address, value, false),
        CallKind::DelegateCall => (f.address, f.caller, f.value, false),
        CallKind::StaticCall => (target, f.address, U256::ZERO, false),
    };
    Err(Exit::Call(Box::new(CallRequest {
        kind,
        gas: child_gas,
        address,
        code_address,
        caller,
        value,
        transfers_value,
        checks_balance,
        delegated,
        input,
        is_static: f.is_static || kind == CallKind::StaticCall,
        ret_offset,
        ret_len: usize::try_from(out_size).unwrap_or(0),
    })))
}

pub fn call_op(f: &mut Frame, m: &mut Machine) -> Step {
    call(f, m, CallKind::Call)
}

pub fn callcode(f: &mut Frame, m: &mut Machine) -> Step {
    call(f, m, CallKind::CallCode)
}

pub fn delegatecall(f: &mut Frame, m: &mut Machine) -> Step {
    call(f, m, CallKind::DelegateCall)
}

pub fn staticcall(f: &mut Frame, m: &mut Machine) -> Step {
    call(f, m, CallKind::StaticCall)
}

fn create(f: &mut Frame, m: &mut Machine, with_salt: bool) -> Step {
    if f.is_static {
        return Err(Halt::StaticStateChange.into());
    }
    let [value, offset, size] = f.stack.pop_n::<3>()?;
    let salt = if with_salt {
        Some(f.stack.pop()?)
    } else {
        None
    };
    let len = usize::try_from(size).unwrap_or(usize::MAX);
    if m.fork >= Fork::Shanghai && len > MAX_INITCODE_SIZE {
        return Err(Halt::InitcodeSizeExceeded.into());
    }
    let mut cost = gas::CREATE;
    if m.fork >= Fork::Shanghai {
        cost = cost.saturating_add(gas::words(len).saturating_mul(2));
    }
    if with_salt {
        cost = cost.saturating_add(gas::words(len).saturating_mul(gas::KECCAK_WORD));
    }
    f.charge(cost)?;
    let start = m.expand(f, offset, size)?;
    let init_code = if size.is_zero() {
        Bytes::new()
    } else {
        Bytes::copy_from_slice(m.memory.slice(f.mem, start, len))
    };
    let child_gas = if m.fork >= Fork::Tangerine {
        f.gas.saturating_sub(f.gas / 64)
    } else {
        f.gas
    };
    f.charge(child_gas)?;
    Err(Exit::Create(Box::new(CreateRequest {
        gas: child_gas,
        value,
        init_code,
        salt,
    })))
}

pub fn create_op(f: &mut Frame, m: &mut Machine) -> Step {
    create(f, m, false)
}

pub fn create2(f: &mut Frame, m: &mut Machine) -> Step {
    create(f, m, true)
}

pub fn selfdestruct(f: &mut Frame, m: &mut Machine) -> Step {
    if f.is_static {
        return Err(Halt::StaticStateChange.into());
    }
    let beneficiary = to_address(f.stack.pop()?);
    let mut cost = gas::selfdestruct_base_cost(m.fork);
    if m.fork >= Fork::Berlin && m.access_account(beneficiary) {
        cost = cost.saturating_add(gas::COLD_ACCOUNT_ACCESS);
    }
    let balance = m.state.info(f.address)?.balance;
    let charges_new_account = if m.fork >= Fork::SpuriousDragon {
        !balance.is_zero() && m.state.is_dead(beneficiary)?
    } else {
        m.fork >= Fork::Tangerine && !m.state.exists(beneficiary)?
    };
    if charges_new_account {
        cost = cost.saturating_add(gas::NEW_ACCOUNT);
    }
    f.charge(cost)?;
    let deletes = m.fork < Fork::Cancun || m.state.created_in_tx(f.address)?;
    let already = if deletes {
        m.state.mark_selfdestruct(f.address)?
    } else {
        true
    };
    if !already && m.fork < Fork::London {
        m.state.refund = m.state.refund.saturating_add(gas::SELFDESTRUCT_REFUND);
    }
    if beneficiary != f.address {
        m.state.add_balance(beneficiary, balance)?;
        m.state.set_balance(f.address, U256::ZERO)?;
    } else if deletes {
        // Sending to itself burns the balance when the account is deleted.
        m.state.set_balance(f.address, U256::ZERO)?;
    } else {
        // Not deleted (EIP-6780) and paying itself: nothing moves, but the account is touched.
        m.state.touch(beneficiary)?;
    }
    Err(Exit::SelfDestruct(Box::new(SelfDestructed {
        beneficiary,
        balance,
    })))
}
