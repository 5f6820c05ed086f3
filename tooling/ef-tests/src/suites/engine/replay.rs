//! One blockchain test replayed against a fresh `ethrex` process through the Engine API.
//!
//! The checks, in order (the first one that fails fails the test, with the node's last log
//! lines):
//! 1. the node's genesis block (`eth_getBlockByNumber 0x0` on the public port) has the
//!    fixture's hash, and `forkchoiceUpdated(genesis)` is VALID;
//! 2. each valid block: `newPayload` is VALID with `latestValidHash` = the block, then
//!    `forkchoiceUpdated` with head = the block (safe and finalized stay at genesis, so nothing
//!    is ever finalized past what the test could still reorganise) is VALID;
//! 3. each decodable invalid block (`expectException`): `newPayload` is INVALID with
//!    `latestValidHash` = its parent and a non-null `validationError`; the head is not moved
//!    to it. A block the payload cannot carry unchanged (the hash of the header rebuilt from the
//!    payload differs: ommers, a wrong transactions root, a missing fork field) fails the
//!    payload's block hash check instead: INVALID (INVALID_BLOCK_HASH also taken under V1) with
//!    a null `latestValidHash`, as the spec says. Undecodable invalid blocks cannot be sent and
//!    are only counted;
//! 4. at the end `eth_getBlockByNumber latest` on the authenticated port has the hash
//!    `lastblockhash` and the state root of that block's header.

use std::{collections::HashMap, path::Path};

use alloy_primitives::B256;
use ethrex_blockchain::header::fork_of;
use ethrex_common::{
    ChainConfig, Fork,
    types::{Block, Header, decode_block},
};
use serde_json::{Value, json};

use super::{
    client::AuthClient,
    genesis::genesis_json,
    node::Node,
    payload::{Versions, forkchoice, new_payload, versions},
    requests::{LocalChain, needs_executor, requests_for},
};
use crate::{fixtures::hex_bytes, suites::blockchain::BlockchainTest};

/// What a test's replay ended with.
#[derive(Debug)]
pub(super) enum Outcome {
    Passed(Tally),
    Failed(String),
    Skipped(String),
}

/// What a passed test sent, beyond its valid blocks.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Tally {
    pub(super) valid_blocks: usize,
    /// Invalid blocks sent as payloads.
    pub(super) invalid_sent: usize,
    /// Of those, the ones a payload cannot carry unchanged.
    pub(super) invalid_reshaped: usize,
    /// Invalid blocks whose RLP does not decode: not sent.
    pub(super) invalid_undecodable: usize,
}

impl std::ops::AddAssign for Tally {
    fn add_assign(&mut self, other: Tally) {
        self.valid_blocks += other.valid_blocks;
        self.invalid_sent += other.invalid_sent;
        self.invalid_reshaped += other.invalid_reshaped;
        self.invalid_undecodable += other.invalid_undecodable;
    }
}

/// What every replay of a run shares.
#[derive(Debug)]
pub(super) struct Setup<'a> {
    pub(super) ethrex: &'a Path,
    pub(super) jwt_file: &'a Path,
    pub(super) secret: [u8; 32],
    /// A directory of this worker's own, for the genesis file.
    pub(super) scratch: &'a Path,
}

/// Replays `test` (whose chain config is `config`) against a new node.
pub(super) fn replay(test: &BlockchainTest, config: &ChainConfig, setup: &Setup<'_>) -> Outcome {
    let genesis = match hex_bytes(&test.genesis_rlp)
        .map_err(|e| e.to_string())
        .and_then(|b| decode_block(&b).map_err(|e| e.to_string()))
    {
        Ok(genesis) => genesis,
        Err(e) => return Outcome::Failed(format!("genesis RLP: {e}")),
    };
    let json = match genesis_json(config, &genesis.header, &test.pre) {
        Ok(json) => json,
        Err(reason) => return Outcome::Skipped(reason),
    };
    let blocks: Vec<Option<Block>> = test
        .blocks
        .iter()
        .map(|b| hex_bytes(&b.rlp).ok().and_then(|b| decode_block(&b).ok()))
        .collect();
    let local = if needs_executor(&blocks) {
        match LocalChain::new(test, &genesis, config) {
            Ok(local) => Some(local),
            Err(e) => return Outcome::Failed(e),
        }
    } else {
        None
    };
    let genesis_file = setup.scratch.join("genesis.json");
    if let Err(e) = std::fs::write(&genesis_file, json) {
        return Outcome::Failed(format!("write {}: {e}", genesis_file.display()));
    }
    let node = match Node::start(setup.ethrex, &genesis_file, setup.jwt_file) {
        Ok(node) => node,
        Err(e) => return Outcome::Failed(e),
    };
    let replay = Replay {
        config,
        genesis: genesis.header,
        auth: AuthClient {
            addr: node.auth,
            secret: setup.secret,
        },
        public: AuthClient {
            addr: node.http,
            secret: setup.secret,
        },
        local,
    };
    match replay.run(test, &blocks) {
        Ok(tally) => Outcome::Passed(tally),
        Err(e) => Outcome::Failed(format!("{e}{}", node.tail(8))),
    }
}

struct Replay<'a> {
    config: &'a ChainConfig,
    genesis: Header,
    auth: AuthClient,
    public: AuthClient,
    local: Option<LocalChain>,
}

impl Replay<'_> {
    fn run(&self, test: &BlockchainTest, blocks: &[Option<Block>]) -> Result<Tally, String> {
        let genesis_hash = self.genesis.hash_slow();
        let node_genesis = self
            .public
            .call("eth_getBlockByNumber", json!(["0x0", false]))
            .map_err(|e| format!("genesis: eth_getBlockByNumber: {e}"))?;
        if node_genesis["hash"] != json!(genesis_hash) {
            return Err(format!(
                "genesis: the node's hash is {}, the fixture's {genesis_hash}",
                node_genesis["hash"]
            ));
        }
        let fork = fork_of(self.config, &self.genesis).max(Fork::Paris);
        self.forkchoice(versions(fork), genesis_hash)
            .map_err(|e| format!("genesis: {e}"))?;

        let mut tally = Tally::default();
        let mut valid: HashMap<B256, Header> =
            HashMap::from([(genesis_hash, self.genesis.clone())]);
        for (index, (fixture, block)) in test.blocks.iter().zip(blocks).enumerate() {
            let expected = fixture.expect_exception.as_deref();
            let Some(block) = block else {
                if expected.is_none() {
                    return Err(format!(
                        "block {index}: a valid block whose RLP does not decode"
                    ));
                }
                tally.invalid_undecodable += 1;
                continue;
            };
            let hash = block.header.hash_slow();
            let context = match expected {
                None => format!("block {index} ({hash})"),
                Some(exception) => format!("block {index} ({hash}, expected {exception})"),
            };
            match expected {
                None => {
                    self.valid_block(block, hash)
                        .map_err(|e| format!("{context}: {e}"))?;
                    tally.valid_blocks += 1;
                    valid.insert(hash, block.header.clone());
                }
                Some(_) => {
                    let reshaped = self
                        .invalid_block(block, hash)
                        .map_err(|e| format!("{context}: {e}"))?;
                    tally.invalid_sent += 1;
                    tally.invalid_reshaped += usize::from(reshaped);
                }
            }
        }

        let expected_root = valid
            .get(&test.lastblockhash)
            .map(|h| h.state_root)
            .ok_or_else(|| {
                format!(
                    "lastblockhash {} is none of the valid blocks",
                    test.lastblockhash
                )
            })?;
        let latest = self
            .auth
            .call("eth_getBlockByNumber", json!(["latest", false]))
            .map_err(|e| format!("final head: eth_getBlockByNumber: {e}"))?;
        if latest["hash"] != json!(test.lastblockhash) {
            return Err(format!(
                "final head: the node's is {} (block {}), expected lastblockhash {}",
                latest["hash"], latest["number"], test.lastblockhash
            ));
        }
        if latest["stateRoot"] != json!(expected_root) {
            return Err(format!(
                "final head: state root {}, expected {expected_root}",
                latest["stateRoot"]
            ));
        }
        Ok(tally)
    }

    /// Sends a valid block: VALID with itself as latest valid hash, then made the head.
    fn valid_block(&self, block: &Block, hash: B256) -> Result<(), String> {
        let versions = self.versions(block);
        let (requests, problem) = self.requests(block, versions);
        let call = new_payload(block, versions, &requests);
        let status = self
            .auth
            .call(&call.method, call.params)
            .map_err(|e| format!("{}: {e}", call.method))?;
        if status["status"] != "VALID" || status["latestValidHash"] != json!(hash) {
            let note = problem.map_or(String::new(), |p| format!(" (requests: {p})"));
            return Err(format!(
                "{}: {}, expected VALID with latestValidHash {hash}{note}",
                call.method,
                describe(&status)
            ));
        }
        self.forkchoice(versions, hash)?;
        if let Some(local) = &self.local {
            local.import(block)?;
        }
        Ok(())
    }

    /// Sends an invalid block; returns whether the payload had to differ from the block.
    fn invalid_block(&self, block: &Block, hash: B256) -> Result<bool, String> {
        let versions = self.versions(block);
        let (requests, _) = self.requests(block, versions);
        let call = new_payload(block, versions, &requests);
        let reshaped = call.rebuilt_hash != hash;
        let status = self
            .auth
            .call(&call.method, call.params)
            .map_err(|e| format!("{}: {e}", call.method))?;
        let parent = block.header.parent_hash;
        // A payload whose fields do not hash to its blockHash is refused before execution:
        // INVALID with no latest valid hash (INVALID_BLOCK_HASH under V1, deprecated since V2).
        let (ok, expected) = if reshaped {
            let refused = status["status"] == "INVALID"
                || (versions.new_payload == 1 && status["status"] == "INVALID_BLOCK_HASH");
            (
                refused && status["latestValidHash"].is_null(),
                "INVALID with latestValidHash null (the payload's fields do not hash to the \
                 block's hash)"
                    .to_string(),
            )
        } else {
            (
                status["status"] == "INVALID"
                    && status["latestValidHash"] == json!(parent)
                    && status["validationError"].is_string(),
                format!("INVALID with latestValidHash {parent} and a validationError"),
            )
        };
        if !ok {
            return Err(format!(
                "{}: {}, expected {expected}",
                call.method,
                describe(&status)
            ));
        }
        Ok(reshaped)
    }

    /// Makes `head` the head (safe and finalized: genesis); the status must be VALID.
    fn forkchoice(&self, versions: Versions, head: B256) -> Result<(), String> {
        let genesis = self.genesis.hash_slow();
        let (method, params) = forkchoice(versions, head, genesis, genesis);
        let result = self
            .auth
            .call(&method, params)
            .map_err(|e| format!("{method}: {e}"))?;
        if result["payloadStatus"]["status"] != "VALID" {
            return Err(format!(
                "{method}(head {head}): {}, expected VALID",
                describe(&result["payloadStatus"])
            ));
        }
        Ok(())
    }

    fn versions(&self, block: &Block) -> Versions {
        versions(fork_of(self.config, &block.header).max(Fork::Paris))
    }

    fn requests(
        &self,
        block: &Block,
        versions: Versions,
    ) -> (Vec<alloy_primitives::Bytes>, Option<String>) {
        if versions.new_payload >= 4 {
            requests_for(block, self.local.as_ref())
        } else {
            (vec![], None)
        }
    }
}

/// A payload status in one line.
fn describe(status: &Value) -> String {
    format!(
        "status {}, latestValidHash {}, validationError {}",
        status["status"], status["latestValidHash"], status["validationError"]
    )
}
