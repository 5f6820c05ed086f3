//! Uncles (ommers, before the merge): `eth_getUncleCountByBlockHash`/`ByBlockNumber` and
//! `eth_getUncleByBlockHashAndIndex`/`ByBlockNumberAndIndex`. An uncle is shown as a block of
//! its header alone (no transactions, no uncles), as geth does; unknown blocks answer `null`.

#[cfg(test)]
use alloy_primitives::B256;
use alloy_primitives::U64;
use alloy_rpc_types_eth::BlockId;
use ethrex_common::types::{Block, BlockBody};
use serde_json::Value;

use super::{params::Params, transactions::block};
use crate::{RpcContext, RpcError, types::block_json};

pub fn count_by_hash(ctx: &RpcContext, p: &Params) -> Result<Value, RpcError> {
    count(ctx, p.only_block(true)?)
}

pub fn count_by_number(ctx: &RpcContext, p: &Params) -> Result<Value, RpcError> {
    count(ctx, p.only_block(false)?)
}

pub fn by_hash_and_index(ctx: &RpcContext, p: &Params) -> Result<Value, RpcError> {
    let (id, index) = p.block_and_index(true)?;
    uncle(ctx, id, index)
}

pub fn by_number_and_index(ctx: &RpcContext, p: &Params) -> Result<Value, RpcError> {
    let (id, index) = p.block_and_index(false)?;
    uncle(ctx, id, index)
}

fn count(ctx: &RpcContext, id: BlockId) -> Result<Value, RpcError> {
    Ok(match block(ctx, id)? {
        Some(block) => Value::String(format!("{:#x}", block.body.ommers.len())),
        None => Value::Null,
    })
}

fn uncle(ctx: &RpcContext, id: BlockId, index: U64) -> Result<Value, RpcError> {
    let Some(block) = block(ctx, id)? else {
        return Ok(Value::Null);
    };
    let Some(header) = usize::try_from(index.to::<u64>())
        .ok()
        .and_then(|i| block.body.ommers.get(i))
    else {
        return Ok(Value::Null);
    };
    let body = BlockBody {
        transactions: Vec::new(),
        ommers: Vec::new(),
        withdrawals: None,
    };
    Ok(block_json(&Block::new(header.clone(), body), false))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::methods::test_chain::test_chain;

    #[test]
    fn uncles_are_counted_and_shown_as_header_only_blocks() {
        let chain = test_chain!(3);
        let store = &chain.ctx.store;
        let head = store.head_header().unwrap().unwrap();
        let ommer = store.header_by_number(1).unwrap().unwrap();
        let header = ethrex_common::types::Header {
            parent_hash: head.hash_slow(),
            number: head.number + 1,
            ..head.clone()
        };
        let body = BlockBody {
            transactions: Vec::new(),
            ommers: vec![ommer.clone()],
            withdrawals: None,
        };
        let block = Block::new(header, body);
        let hash = block.header.hash_slow();
        store.add_side_blocks(&[(block, Vec::new())]).unwrap();

        assert_eq!(
            chain.ok("eth_getUncleCountByBlockHash", json!([hash])),
            "0x1"
        );
        assert_eq!(
            chain.ok("eth_getUncleCountByBlockNumber", json!(["0x1"])),
            "0x0"
        );
        let uncle = chain.ok("eth_getUncleByBlockHashAndIndex", json!([hash, "0x0"]));
        assert_eq!(uncle["hash"], json!(ommer.hash_slow()));
        assert_eq!(uncle["number"], "0x1");
        assert_eq!(uncle["transactions"], json!([]));
        assert_eq!(uncle["uncles"], json!([]));
        let none = Value::Null;
        assert_eq!(
            chain.ok("eth_getUncleByBlockHashAndIndex", json!([hash, "0x1"])),
            none
        );
        assert_eq!(
            chain.ok("eth_getUncleByBlockNumberAndIndex", json!(["0x1", "0x0"])),
            none
        );
        let unknown = B256::repeat_byte(3);
        assert_eq!(
            chain.ok("eth_getUncleCountByBlockHash", json!([unknown])),
            none
        );
    }
}
