//! `eth_createAccessList`: the access list a call would want, as geth builds it — run the call
//! with the access tracer, put what it reached in the call's access list, and run again until
//! the list no longer grows. The sender, the recipient (or created contract) and precompiles
//! are left out as accounts (they are warm anyway), though slots of theirs are listed.

use std::collections::{BTreeMap, BTreeSet};

use alloy_eips::eip2930::{AccessList, AccessListItem};
use alloy_primitives::{Address, B256, U256};
use alloy_rpc_types_eth::BlockId;
use ethrex_vm::{create_address, precompiles::is_precompile, tracers::AccessTracer};
use serde_json::{Value, json};

use super::{
    call::{Call, failure_message, invalid_message, state_of},
    call_args::CallArgs,
    overlay::{StateOverride, with_overrides},
    params::{Params, existing_block},
};
use crate::{RpcContext, RpcError};

/// Most runs before giving up on a list that keeps growing.
const MAX_ROUNDS: usize = 64;

type Accesses = BTreeMap<Address, BTreeSet<U256>>;

/// `eth_createAccessList(callObject, block = latest, stateOverrides?)`.
pub fn create_access_list(ctx: &RpcContext, p: &Params) -> Result<Value, RpcError> {
    p.at_most(3)?;
    let mut args: CallArgs = p.required(0)?;
    let id: BlockId = p.optional(1)?.unwrap_or_default();
    let state_overrides: Option<StateOverride> = p.optional(2)?;
    // Geth applies these overrides without a precompile table: nothing can be moved.
    if let Some((address, _)) = state_overrides
        .iter()
        .flatten()
        .find(|(_, o)| o.move_precompile_to_address.is_some())
    {
        return Err(RpcError::server(format!(
            "account {address} is not a precompile"
        )));
    }
    let header = existing_block(ctx, id)?;
    let state = state_of(ctx, &header)?;
    let overlay = with_overrides(&state, state_overrides.as_ref())?;
    // Geth runs the call without fees, whatever the call says.
    args.gas_price = None;
    args.max_fee_per_gas = None;
    args.max_priority_fee_per_gas = None;
    let given: Option<AccessList> = args.access_list.take();
    let mut call = Call::new(ctx, args, &header, None, &overlay)?;
    let gas = call.args.gas_or_cap();
    let nonce = call.args.nonce.map_or(call.nonce, |n| n.to());
    let (fork, from, to) = (call.env.fork, call.from, call.args.to);
    let created = to.is_none().then(|| create_address(from, nonce));
    let excluded = move |address: &Address| {
        *address == from
            || Some(*address) == to
            || Some(*address) == created
            || is_precompile(address, fork)
    };
    let mut list = Accesses::new();
    for item in given.iter().flat_map(|l| l.iter()) {
        merge(
            &mut list,
            item.address,
            item.storage_keys.iter().map(|k| (*k).into()),
            &excluded,
        );
    }
    for _ in 0..MAX_ROUNDS {
        call.args.access_list = Some(access_list(&list));
        let mut tracer = AccessTracer::default();
        let out = match call.run(&overlay, gas, &mut tracer)? {
            Ok(out) => out,
            Err(invalid) => {
                let hash = call.transaction(gas)?.hash();
                return Err(RpcError::server(format!(
                    "failed to apply transaction: {hash} err: {}",
                    invalid_message(&invalid, call.from)
                )));
            }
        };
        let mut next = list.clone();
        for (address, slots) in tracer.accounts {
            merge(&mut next, address, slots.into_iter(), &excluded);
        }
        if next == list {
            let mut result = json!({
                "accessList": access_list(&list),
                "gasUsed": format!("{:#x}", out.result.gas_used),
            });
            if let (Some(error), Some(map)) = (failure_message(&out.result), result.as_object_mut())
            {
                map.insert("error".into(), Value::String(error));
            }
            return Ok(result);
        }
        list = next;
    }
    Err(RpcError::server(format!(
        "access list did not settle after {MAX_ROUNDS} runs"
    )))
}

/// Adds an account reached (unless excluded and without slots) and its slots.
fn merge(
    list: &mut Accesses,
    address: Address,
    slots: impl Iterator<Item = U256>,
    excluded: &impl Fn(&Address) -> bool,
) {
    let slots: BTreeSet<U256> = slots.collect();
    if slots.is_empty() && excluded(&address) {
        return;
    }
    list.entry(address).or_default().extend(slots);
}

/// The list in address and slot order.
fn access_list(list: &Accesses) -> AccessList {
    AccessList(
        list.iter()
            .map(|(address, slots)| AccessListItem {
                address: *address,
                storage_keys: slots.iter().map(|s| B256::from(*s)).collect(),
            })
            .collect(),
    )
}
