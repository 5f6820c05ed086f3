//! Test helper: a context over the execution-apis test chain (`chain.rlp` over `genesis.json`
//! of the shared fixtures, Frontier to Osaka/BPO2), imported in memory up to a chosen block.
//!
//! Tests take it through [`test_chain!`], which skips the test (saying so) when the shared
//! fixtures are absent, as on a bare clone.

use std::{path::Path, sync::Arc};

use alloy_rlp::Decodable;
use ethrex_blockchain::{Blockchain, mempool::Mempool};
use ethrex_common::{Genesis, types::Block};
use ethrex_storage::Store;
use serde_json::Value;

use crate::{RpcContext, RpcError};

/// The test chain imported up to block `head` (`u64::MAX`: all of it); when the execution-apis
/// fixtures are absent, prints `skipping <test>: <path> not found` and returns from the test.
macro_rules! test_chain {
    ($head:expr) => {{
        let fixtures =
            ethrex_test_utils::require_fixture!(ethrex_test_utils::fixtures::EXECUTION_APIS);
        $crate::methods::test_chain::TestChain::load(&fixtures, $head)
    }};
}
pub(crate) use test_chain;

/// The test chain imported up to block `head`, and the blocks after it.
pub(crate) struct TestChain {
    pub ctx: RpcContext,
    pub rest: Vec<Block>,
}

impl TestChain {
    /// The chain of the execution-apis fixtures in `fixtures`, imported up to block `head`.
    pub fn load(fixtures: &Path, head: u64) -> TestChain {
        let genesis = Genesis::from_file(&fixtures.join("genesis.json")).unwrap();
        let store = Store::in_memory();
        store.init_genesis(&genesis).unwrap();
        let bytes = std::fs::read(fixtures.join("chain.rlp")).unwrap();
        let mut buf = bytes.as_slice();
        let mut blocks = Vec::new();
        while !buf.is_empty() {
            blocks.push(Block::decode(&mut buf).unwrap());
        }
        blocks.retain(|b| b.header.number > 0);
        let rest = blocks.split_off(blocks.partition_point(|b| b.header.number <= head));
        let chain = Arc::new(Blockchain::new(store).unwrap());
        chain.import_blocks(&blocks).unwrap();
        let ctx = RpcContext::new(chain, Arc::new(Mempool::new(16)), "test".into());
        TestChain { ctx, rest }
    }

    /// Imports the remaining blocks.
    pub fn import_rest(&mut self) {
        let rest = std::mem::take(&mut self.rest);
        self.ctx.chain.import_blocks(&rest).unwrap();
    }

    pub fn call(&self, method: &str, params: Value) -> Result<Value, RpcError> {
        crate::methods::call(&self.ctx, method, params)?.into_value()
    }

    /// The result of a call that must succeed.
    pub fn ok(&self, method: &str, params: Value) -> Value {
        self.call(method, params)
            .unwrap_or_else(|e| panic!("{method}: {e}"))
    }
}
