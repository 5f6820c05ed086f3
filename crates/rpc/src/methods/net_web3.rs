//! `web3_*`, `net_*` and the chain identity (`eth_chainId`).

use alloy_primitives::{Bytes, keccak256};
use serde_json::Value;

use super::params::Params;
use crate::{RpcContext, RpcError};

pub fn client_version(ctx: &RpcContext) -> Result<Value, RpcError> {
    Ok(Value::String(ctx.client_version.clone()))
}

pub fn sha3(p: &Params) -> Result<Value, RpcError> {
    let data: Bytes = p.required(0)?;
    Ok(Value::String(keccak256(&data).to_string()))
}

pub fn net_version(ctx: &RpcContext) -> Result<Value, RpcError> {
    Ok(Value::String(ctx.chain.config().chain_id.to_string()))
}

pub fn chain_id(ctx: &RpcContext) -> Result<Value, RpcError> {
    Ok(Value::String(format!("{:#x}", ctx.chain.config().chain_id)))
}

/// `eth_syncing`: `false`, or geth's object (`startingBlock`, `currentBlock`, `highestBlock`,
/// hex) plus ours: `syncMode`, `phase`, `headersDownloaded`, `blocksImported`,
/// `stateItemsDownloaded`, `trieNodesHealed`.
pub fn syncing(ctx: &RpcContext) -> Value {
    let Some(report) = ctx.sync.as_ref().and_then(|sync| sync.report()) else {
        return Value::Bool(false);
    };
    serde_json::json!({
        "startingBlock": format!("{:#x}", report.starting_block),
        "currentBlock": format!("{:#x}", report.current_block),
        "highestBlock": format!("{:#x}", report.highest_block),
        "syncMode": report.sync_mode,
        "phase": report.phase,
        "headersDownloaded": format!("{:#x}", report.headers_downloaded),
        "blocksImported": format!("{:#x}", report.blocks_imported),
        "stateItemsDownloaded": format!("{:#x}", report.state_items),
        "trieNodesHealed": format!("{:#x}", report.trie_nodes_healed),
    })
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use ethrex_blockchain::{Blockchain, mempool::Mempool};
    use ethrex_common::Fork;
    use ethrex_storage::Store;
    use ethrex_test_utils::GenesisBuilder;
    use serde_json::json;

    use super::*;
    use crate::{SyncReport, SyncView};

    struct FixedSync(Mutex<Option<SyncReport>>);

    impl SyncView for FixedSync {
        fn report(&self) -> Option<SyncReport> {
            self.0.lock().unwrap().clone()
        }
    }

    #[test]
    fn eth_syncing_is_false_unless_a_sync_runs_then_reports_its_progress() {
        let store = Store::in_memory();
        store
            .init_genesis(&GenesisBuilder::new(Fork::Prague).build())
            .unwrap();
        let chain = Arc::new(Blockchain::new(store).unwrap());
        let mut ctx = RpcContext::new(chain, Arc::new(Mempool::new(4)), "test".into());
        assert_eq!(syncing(&ctx), json!(false), "no syncer");
        let sync = Arc::new(FixedSync(Mutex::new(None)));
        ctx.sync = Some(Arc::clone(&sync) as Arc<dyn SyncView>);
        assert_eq!(syncing(&ctx), json!(false), "a syncer, idle");
        *sync.0.lock().unwrap() = Some(SyncReport {
            starting_block: 10,
            current_block: 300,
            highest_block: 3000,
            sync_mode: "snap",
            phase: "healing",
            headers_downloaded: 2990,
            blocks_imported: 290,
            state_items: 5000,
            trie_nodes_healed: 255,
        });
        assert_eq!(
            syncing(&ctx),
            json!({
                "startingBlock": "0xa",
                "currentBlock": "0x12c",
                "highestBlock": "0xbb8",
                "syncMode": "snap",
                "phase": "healing",
                "headersDownloaded": "0xbae",
                "blocksImported": "0x122",
                "stateItemsDownloaded": "0x1388",
                "trieNodesHealed": "0xff",
            })
        );
    }
}
