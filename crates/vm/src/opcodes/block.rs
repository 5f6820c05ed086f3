//! The block: BLOCKHASH, COINBASE, TIMESTAMP, NUMBER, DIFFICULTY/PREVRANDAO (EIP-4399),
//! GASLIMIT, CHAINID (EIP-1344), BASEFEE (EIP-3198), BLOBHASH (EIP-4844), BLOBBASEFEE
//! (EIP-7516).

use alloy_primitives::U256;

use super::Step;
use crate::{
    frame::{Frame, Machine},
    gas,
};

fn push_word(f: &mut Frame, cost: u64, value: U256) -> Step {
    f.charge(cost)?;
    f.stack.push(value)?;
    Ok(())
}

pub fn blockhash(f: &mut Frame, m: &mut Machine) -> Step {
    f.charge(gas::BLOCKHASH)?;
    let number = f.stack.pop()?;
    let current = m.env.number;
    let hash = match u64::try_from(number) {
        // The 256 blocks before the current one.
        Ok(n)
            if current
                .checked_sub(n)
                .is_some_and(|age| (1..=256).contains(&age)) =>
        {
            m.state
                .db()
                .block_hash(n)
                .map_err(crate::VmError::from)?
                .into()
        }
        _ => U256::ZERO,
    };
    f.stack.push(hash)?;
    Ok(())
}

pub fn coinbase(f: &mut Frame, m: &mut Machine) -> Step {
    push_word(f, gas::BASE, U256::from_be_slice(m.env.coinbase.as_slice()))
}

pub fn timestamp(f: &mut Frame, m: &mut Machine) -> Step {
    push_word(f, gas::BASE, U256::from(m.env.timestamp))
}

pub fn number(f: &mut Frame, m: &mut Machine) -> Step {
    push_word(f, gas::BASE, U256::from(m.env.number))
}

pub fn prevrandao(f: &mut Frame, m: &mut Machine) -> Step {
    let value = match m.env.prev_randao {
        Some(randao) => randao.into(),
        None => m.env.difficulty,
    };
    push_word(f, gas::BASE, value)
}

pub fn gaslimit(f: &mut Frame, m: &mut Machine) -> Step {
    push_word(f, gas::BASE, U256::from(m.env.gas_limit))
}

pub fn chainid(f: &mut Frame, m: &mut Machine) -> Step {
    push_word(f, gas::BASE, U256::from(m.env.chain_id))
}

pub fn basefee(f: &mut Frame, m: &mut Machine) -> Step {
    push_word(f, gas::BASE, m.env.base_fee.unwrap_or_default())
}

pub fn blobhash(f: &mut Frame, m: &mut Machine) -> Step {
    f.charge(gas::BLOBHASH)?;
    let index = f.stack.pop()?;
    let hash = usize::try_from(index)
        .ok()
        .and_then(|i| m.tx.blob_hashes.get(i))
        .map_or(U256::ZERO, |h| (*h).into());
    f.stack.push(hash)?;
    Ok(())
}

pub fn blobbasefee(f: &mut Frame, m: &mut Machine) -> Step {
    push_word(f, gas::BASE, m.env.blob_base_fee().unwrap_or_default())
}
