//! `engine_forkchoiceUpdatedV1..V3`: the forkchoice state, then the payload attributes.
//!
//! The state: a zero head is -38002; a head known invalid is `INVALID` with its last valid
//! ancestor; an unknown head goes to the sync hand-off and is `SYNCING`; a canonical head below
//! the finalized block is `VALID` with nothing changed and no build; safe and finalized must be
//! known blocks on the head's chain (-38002 otherwise); then head, safe and finalized move in one
//! write ([`ethrex_blockchain::Blockchain::set_fork_choice`]), and a head whose state the store
//! can no longer rebuild is -38006. After a head change the mempool drops what the new chain
//! included and takes back the transactions of blocks that left the canonical chain, and
//! `newHeads` subscribers hear of the new head.
//!
//! The attributes are checked only once the state is applied, and their failure does not roll
//! it back: the wrong structure for the version or a timestamp not after the head's is -38003, a
//! timestamp outside the version's forks -38005.

use std::sync::Arc;

use alloy_primitives::B256;
use alloy_rpc_types_engine::{ForkchoiceState, PayloadAttributes};
use ethrex_blockchain::{BlockAttributes, ChainError, payload::next_gas_limit};
use ethrex_common::{Fork, types::Header};
use ethrex_storage::ForkChoice;
use serde_json::{Value, json};

use super::{Status, check_fork, codes, engine_error, fork_at};
use crate::{
    NewHead, RpcContext, RpcError,
    methods::{params::Params, testing::BUILDER_GAS_CEILING},
};

/// Extra data of the blocks built here.
const EXTRA_DATA: &[u8] = b"ethrex";
/// How far back a reorg looks for transactions to return to the mempool.
const MAX_REINJECT_DEPTH: u64 = 128;

/// `engine_forkchoiceUpdatedV{version}`.
pub(super) fn forkchoice_updated(
    ctx: &RpcContext,
    p: &Params,
    version: u8,
) -> Result<Value, RpcError> {
    p.at_most(2)?;
    let state: ForkchoiceState = p.required(0)?;
    let attributes = p.raw(1).filter(|v| !v.is_null()).cloned();
    let (status, head) = {
        let _chain = ctx.engine.lock_chain();
        apply(ctx, &state)?
    };
    let (Some(head), Some(raw)) = (head, attributes) else {
        return Ok(response(&status, None));
    };
    let attributes = parse_attributes(ctx, version, &raw, &head)?;
    let id = ctx.engine.jobs.start(ctx, head, attributes)?;
    Ok(response(&status, Some(id)))
}

fn response(status: &Status, id: Option<super::building::PayloadId>) -> Value {
    json!({ "payloadStatus": status.to_json(), "payloadId": id })
}

/// Applies the forkchoice state; the head's header when it is `VALID` and applied (so a build
/// may start).
fn apply(ctx: &RpcContext, state: &ForkchoiceState) -> Result<(Status, Option<Header>), RpcError> {
    let store = &ctx.store;
    let head_hash = state.head_block_hash;
    if head_hash.is_zero() {
        return Err(engine_error(
            codes::INVALID_FORKCHOICE_STATE,
            "the head block hash is zero",
        ));
    }
    if let Some((latest_valid, reason)) = ctx.engine.invalid_ancestor(&head_hash) {
        return Ok((Status::invalid(Some(latest_valid), reason), None));
    }
    let Some(head) = store.header_by_hash(&head_hash)? else {
        tracing::info!("engine: head {head_hash} is unknown; handed to sync");
        ctx.engine.sync().sync_to(head_hash);
        return Ok((Status::syncing(), None));
    };
    if store.canonical_hash(head.number)? == Some(head_hash)
        && let Some(finalized) = store.finalized_hash()?
        && let Some(finalized_number) = store.block_number(&finalized)?
        && head.number < finalized_number
    {
        return Ok((Status::valid(head_hash), None));
    }
    let safe = non_zero(state.safe_block_hash);
    let finalized = non_zero(state.finalized_block_hash);
    for (name, hash) in [("finalized", finalized), ("safe", safe)] {
        if let Some(hash) = hash {
            check_on_chain(ctx, &head, head_hash, name, hash)?;
        }
    }
    let old_head = store.head_hash()?;
    match ctx.chain.set_fork_choice(ForkChoice {
        head: head_hash,
        safe,
        finalized,
    }) {
        Ok(()) => {}
        Err(ChainError::HeadStateUnavailable { number, .. }) => {
            return Err(engine_error(
                codes::TOO_DEEP_REORG,
                format!("the state of block #{number} {head_hash} is no longer held"),
            ));
        }
        Err(e) => return Err(RpcError::internal(format!("fork choice failed: {e}"))),
    }
    if old_head != Some(head_hash) {
        on_head_change(ctx, old_head, head_hash);
    }
    Ok((Status::valid(head_hash), Some(head)))
}

fn non_zero(hash: B256) -> Option<B256> {
    (!hash.is_zero()).then_some(hash)
}

/// -38002 unless the block `hash` is known and on the chain of `head` (or is `head`).
fn check_on_chain(
    ctx: &RpcContext,
    head: &Header,
    head_hash: B256,
    name: &str,
    hash: B256,
) -> Result<(), RpcError> {
    let store = &ctx.store;
    let Some(target) = store.block_number(&hash)? else {
        return Err(engine_error(
            codes::INVALID_FORKCHOICE_STATE,
            format!("the {name} block {hash} is unknown"),
        ));
    };
    let not_on_chain = || {
        engine_error(
            codes::INVALID_FORKCHOICE_STATE,
            format!("the {name} block {hash} is not an ancestor of the head"),
        )
    };
    let (mut number, mut current) = (head.number, head_hash);
    loop {
        if number == target {
            return if current == hash {
                Ok(())
            } else {
                Err(not_on_chain())
            };
        }
        if number < target {
            return Err(not_on_chain());
        }
        if store.canonical_hash(number)? == Some(current) {
            // From here down the head's chain is the canonical one.
            return if store.canonical_hash(target)? == Some(hash) {
                Ok(())
            } else {
                Err(not_on_chain())
            };
        }
        let header = store
            .header_by_hash(&current)?
            .ok_or_else(|| RpcError::internal(format!("block {current} has no header")))?;
        current = header.parent_hash;
        number -= 1;
    }
}

/// After the head moved from `old_head` to `hash`: the mempool and the `newHeads` subscribers.
fn on_head_change(ctx: &RpcContext, old_head: Option<B256>, hash: B256) {
    let block = match ctx.store.block_by_hash(&hash) {
        Ok(Some(block)) => block,
        _ => return,
    };
    if let Err(e) = ctx.mempool.on_new_head(&ctx.chain, &block) {
        tracing::warn!("mempool update after the new head failed: {e}");
    }
    if let Some(old) = old_head {
        reinject_orphaned(ctx, old);
    }
    let receipts = ctx.store.receipts(&hash).unwrap_or_default();
    // No subscriber is not an error.
    let _ = ctx.events.new_heads.send(NewHead {
        block: Arc::new(block),
        receipts: Arc::new(receipts),
    });
}

/// Puts back into the mempool the transactions of the blocks between `old_head` and the point
/// where its branch meets the new canonical chain (blob transactions only if the pool still
/// knew their sidecars: blocks do not carry them).
fn reinject_orphaned(ctx: &RpcContext, old_head: B256) {
    let store = &ctx.store;
    let mut current = old_head;
    let Ok(Some(mut number)) = store.block_number(&old_head) else {
        return;
    };
    for _ in 0..MAX_REINJECT_DEPTH {
        if matches!(store.canonical_hash(number), Ok(Some(h)) if h == current) {
            return;
        }
        let Ok(Some(block)) = store.block_by_hash(&current) else {
            return;
        };
        for tx in block.body.transactions {
            if matches!(tx, ethrex_common::types::Transaction::Eip4844(_, None)) {
                continue;
            }
            // Transactions the new chain already holds fail its nonce check: that is intended.
            let _ = ctx.mempool.add_transaction(&ctx.chain, tx);
        }
        current = block.header.parent_hash;
        let Some(parent_number) = number.checked_sub(1) else {
            return;
        };
        number = parent_number;
    }
}

/// The attributes of version `version` over `head`, as the builder takes them.
fn parse_attributes(
    ctx: &RpcContext,
    version: u8,
    raw: &Value,
    head: &Header,
) -> Result<BlockAttributes, RpcError> {
    let attributes: PayloadAttributes = serde_json::from_value(raw.clone())
        .map_err(|e| engine_error(codes::INVALID_PAYLOAD_ATTRIBUTES, e))?;
    let method = format!("engine_forkchoiceUpdatedV{version}");
    let fork = fork_at(ctx, head.number + 1, attributes.timestamp);
    let has_withdrawals = attributes.withdrawals.is_some();
    let has_beacon_root = attributes.parent_beacon_block_root.is_some();
    let wrong = |what: &str| {
        Err(engine_error(
            codes::INVALID_PAYLOAD_ATTRIBUTES,
            format!("{what} for {method}"),
        ))
    };
    match version {
        1 => {
            if has_withdrawals || has_beacon_root {
                return wrong("PayloadAttributesV1 has no withdrawals or beacon root");
            }
            check_fork(&method, fork, Fork::Paris, Some(Fork::Shanghai))?;
        }
        2 => {
            check_fork(&method, fork, Fork::Paris, Some(Fork::Cancun))?;
            if has_beacon_root {
                return wrong("a parent beacon block root is not a V2 attribute");
            }
            if has_withdrawals != (fork >= Fork::Shanghai) {
                return wrong("withdrawals must be given exactly from Shanghai on");
            }
        }
        _ => {
            if !has_withdrawals || !has_beacon_root {
                return wrong("PayloadAttributesV3 needs withdrawals and parentBeaconBlockRoot");
            }
            check_fork(&method, fork, Fork::Cancun, None)?;
        }
    }
    if attributes.timestamp <= head.timestamp {
        return Err(engine_error(
            codes::INVALID_PAYLOAD_ATTRIBUTES,
            format!(
                "timestamp {} is not after the head's {}",
                attributes.timestamp, head.timestamp
            ),
        ));
    }
    Ok(BlockAttributes {
        timestamp: attributes.timestamp,
        fee_recipient: attributes.suggested_fee_recipient,
        prev_randao: attributes.prev_randao,
        gas_limit: next_gas_limit(head.gas_limit, BUILDER_GAS_CEILING),
        extra_data: EXTRA_DATA.to_vec().into(),
        withdrawals: attributes.withdrawals,
        parent_beacon_block_root: attributes.parent_beacon_block_root,
    })
}
