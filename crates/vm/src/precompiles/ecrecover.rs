//! ECRECOVER (0x01, Frontier): the address that signed a hash, from `hash || v || r || s`.
//!
//! Costs 3000 gas. The input is right-padded with zeros to 128 bytes (longer input is ignored).
//! `v` is a full 32-byte word that must equal 27 or 28; `r` and `s` must be in `[1, n)` (any
//! `s`, no low-`s` rule). Every invalid signature gives empty output, not an error.

use alloy_primitives::{B256, U256};
use ethrex_common::Fork;
use ethrex_crypto::{RecoverableSig, recover_address};

use super::{PrecompileResult, charge, right_padded, success};

const GAS: u64 = 3000;

pub(super) fn ecrecover(input: &[u8], gas_limit: u64, _fork: Fork) -> PrecompileResult {
    let gas = charge(GAS, gas_limit)?;
    let input = right_padded::<128>(input);
    let (hash, rest) = input.split_at(32);
    let (v, rest) = rest.split_at(32);
    let (r, s) = rest.split_at(32);
    let y_parity = match U256::from_be_slice(v) {
        v if v == U256::from(27) => false,
        v if v == U256::from(28) => true,
        _ => return success(gas, Vec::new()),
    };
    let signature = RecoverableSig {
        r: U256::from_be_slice(r),
        s: U256::from_be_slice(s),
        y_parity,
    };
    match recover_address(&B256::from_slice(hash), &signature) {
        Ok(address) => success(gas, B256::left_padding_from(address.as_slice()).to_vec()),
        Err(_) => success(gas, Vec::new()),
    }
}
