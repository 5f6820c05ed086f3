//! LOG0–LOG4: append a log of the executing account (not allowed in static calls).

use alloy_primitives::{Address, B256, Bytes, Log, LogData};

use super::Step;
use crate::{
    Halt,
    frame::{Frame, Machine},
    gas,
};

pub fn log<const N: usize>(f: &mut Frame, m: &mut Machine) -> Step {
    if f.is_static {
        return Err(Halt::StaticStateChange.into());
    }
    let [offset, size] = f.stack.pop_n::<2>()?;
    let len = usize::try_from(size).unwrap_or(usize::MAX);
    let topics = u64::try_from(N).unwrap_or(u64::MAX);
    let len_u64 = u64::try_from(len).unwrap_or(u64::MAX);
    let cost = gas::LOG
        .saturating_add(gas::LOG_TOPIC.saturating_mul(topics))
        .saturating_add(len_u64.saturating_mul(gas::LOG_DATA));
    f.charge(cost)?;
    let mut topics = Vec::with_capacity(N);
    for _ in 0..N {
        topics.push(B256::from(f.stack.pop()?));
    }
    let offset = m.expand(f, offset, size)?;
    let data = if size.is_zero() {
        Bytes::new()
    } else {
        Bytes::copy_from_slice(m.memory.slice(f.mem, offset, len))
    };
    let address: Address = f.address;
    m.state.logs.push(Log {
        address,
        data: LogData::new_unchecked(topics, data),
    });
    Ok(())
}
