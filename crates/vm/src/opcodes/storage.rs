//! Storage: SLOAD, SSTORE (with each fork's metering, see `gas::sstore_cost`), and transient
//! storage TLOAD/TSTORE (EIP-1153, Cancun).

use ethrex_common::Fork;

use super::Step;
use crate::{
    Halt,
    frame::{Exit, Frame, Machine},
    gas,
};

pub fn sload(f: &mut Frame, m: &mut Machine) -> Step {
    let key = f.stack.pop()?;
    let (slot, cold) = m.state.access_slot(f.address, key)?;
    f.charge(gas::sload_cost(m.fork, cold))?;
    f.stack.push(slot.current)?;
    Ok(())
}

pub fn sstore(f: &mut Frame, m: &mut Machine) -> Step {
    if f.is_static {
        return Err(Halt::StaticStateChange.into());
    }
    if m.fork >= Fork::Istanbul && f.gas <= gas::SSTORE_SENTRY {
        return Err(Halt::OutOfGas.into());
    }
    let [key, value] = f.stack.pop_n::<2>()?;
    let fork = m.fork;
    let mut refund = 0;
    m.state.sstore(f.address, key, value, |slot, cold| {
        let (cost, slot_refund) = gas::sstore_cost(fork, slot.original, slot.current, value, cold);
        refund = slot_refund;
        f.charge(cost).map_err(Exit::from)
    })?;
    m.state.refund = m.state.refund.saturating_add(refund);
    Ok(())
}

pub fn tload(f: &mut Frame, m: &mut Machine) -> Step {
    f.charge(gas::TLOAD_TSTORE)?;
    let key = f.stack.pop()?;
    f.stack.push(m.state.transient(f.address, key))?;
    Ok(())
}

pub fn tstore(f: &mut Frame, m: &mut Machine) -> Step {
    if f.is_static {
        return Err(Halt::StaticStateChange.into());
    }
    f.charge(gas::TLOAD_TSTORE)?;
    let [key, value] = f.stack.pop_n::<2>()?;
    m.state.set_transient(f.address, key, value);
    Ok(())
}
