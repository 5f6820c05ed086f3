//! [`ClMock`]: a consensus client reduced to its Engine API calls, over one or more execution
//! clients (the "nodes").
//!
//! One block is: `forkchoiceUpdated(parent, attributes)` on the builder → wait
//! [`ClMock::build_time`] → `getPayload` (the version of the block's fork) → the blobs bundle
//! checked with c-kzg → `newPayload` to every node → `forkchoiceUpdated(block)` to every node.
//! Every step must answer `VALID`; anything else is an [`Error`] naming the node and the call.
//!
//! The method versions come from the chain's fork schedule ([`Schedule::Known`]) or, when the
//! mock does not know it, by trying the newest first ([`Schedule::Probe`]: an "unsupported fork",
//! "method not found" or "invalid params" answer moves on to the previous version).
//! Safe and finalized hashes are always zero ("not yet finalized"), so any block may become the
//! head again.

use std::time::Duration;

use alloy_primitives::B256;
use ethrex_common::ChainConfig;
use serde_json::{Value, json};

use crate::{
    Attributes, Built, Error, Head, PayloadStatus, Result, RpcClient, Versions, payload::quantity,
};

/// The JSON-RPC codes after which a probing mock tries an older method version.
const OLDER_VERSION_CODES: [i64; 3] = [-38005, -32601, -32602];

/// How long a builder gets between the build's start and `getPayload` unless told otherwise.
pub const DEFAULT_BUILD_TIME: Duration = Duration::from_millis(200);

/// How the mock picks method versions.
#[derive(Debug, Clone)]
pub enum Schedule {
    /// From the chain's fork schedule (the genesis the nodes run).
    Known(Box<ChainConfig>),
    /// Newest first, falling back on an unsupported-fork answer.
    Probe,
}

/// A mock consensus client driving `engines` (the nodes' Engine API ports).
#[derive(Debug)]
pub struct ClMock {
    engines: Vec<RpcClient>,
    schedule: Schedule,
    /// The node that builds the blocks of [`ClMock::produce_block`] and [`ClMock::build_on`].
    pub builder: usize,
    /// The time between the start of a build and `getPayload`.
    pub build_time: Duration,
    head: Head,
}

impl ClMock {
    /// A mock over `engines`, its head the latest block of the first one.
    pub fn new(engines: Vec<RpcClient>, schedule: Schedule) -> Result<Self> {
        let first = engines
            .first()
            .ok_or_else(|| Error::Endpoint("(no engine endpoint)".into()))?;
        let block = first.block_by_number("latest")?;
        let head = Head::from_block(&block).ok_or_else(|| Error::Unexpected {
            endpoint: first.addr().to_string(),
            method: "eth_getBlockByNumber".into(),
            reason: "no hash, number or timestamp".into(),
            answer: block.clone(),
        })?;
        Ok(ClMock {
            engines,
            schedule,
            builder: 0,
            build_time: DEFAULT_BUILD_TIME,
            head,
        })
    }

    pub fn engines(&self) -> &[RpcClient] {
        &self.engines
    }

    /// The block the mock last made the head of every node.
    pub fn head(&self) -> Head {
        self.head
    }

    /// The identity of block `hash` as node 0 knows it (`eth_getBlockByHash`), to build on it or
    /// make it the head ([`ClMock::reorg_to`]).
    pub fn head_of(&self, hash: B256) -> Result<Head> {
        let engine = self.engine(0)?;
        let block = engine.block_by_hash(hash)?;
        Head::from_block(&block)
            .ok_or_else(|| unexpected(engine, "eth_getBlockByHash", "no such block", &block))
    }

    /// Attributes for a child of the head, 12 seconds later (see [`Attributes::after`]).
    pub fn next_attributes(&self) -> Attributes {
        Attributes::after(&self.head, 12, 0)
    }

    /// The versions to try for a block at `number` and `timestamp`.
    fn candidates(&self, number: u64, timestamp: u64) -> Vec<Versions> {
        match &self.schedule {
            Schedule::Known(config) => vec![Versions::of(config.fork_at(number, timestamp))],
            Schedule::Probe => Versions::PROBE.to_vec(),
        }
    }

    fn probing(&self) -> bool {
        matches!(self.schedule, Schedule::Probe)
    }

    fn engine(&self, node: usize) -> Result<&RpcClient> {
        self.engines
            .get(node)
            .ok_or_else(|| Error::Endpoint(format!("(no engine endpoint #{node})")))
    }

    /// Has node `builder` build a child of `parent` with `attrs`; returns the payload after
    /// [`ClMock::build_time`], its blobs bundle checked. Node `builder`'s head becomes `parent`;
    /// no other node is called.
    pub fn build(&self, builder: usize, parent: &Head, attrs: &Attributes) -> Result<Built> {
        let candidates = self.candidates(parent.number.saturating_add(1), attrs.timestamp);
        let mut forkchoice_versions: Vec<u8> = candidates.iter().map(|v| v.forkchoice).collect();
        forkchoice_versions.dedup();
        let engine = self.engine(builder)?;
        let mut started = None;
        let mut last_error = None;
        for version in forkchoice_versions {
            match self.forkchoice_updated(builder, version, parent.hash, Some(attrs)) {
                Ok((status, id)) => {
                    let method = format!("engine_forkchoiceUpdatedV{version}");
                    require_valid(status, engine, &method)?;
                    let id = id
                        .ok_or_else(|| unexpected(engine, &method, "no payloadId", &Value::Null))?;
                    started = Some((version, id));
                    break;
                }
                Err(e) if self.probing() && older_version_code(&e) => last_error = Some(e),
                Err(e) => return Err(e),
            }
        }
        let Some((forkchoice, id)) = started else {
            return Err(last_error.unwrap_or_else(|| Error::Endpoint("no method version".into())));
        };
        std::thread::sleep(self.build_time);
        for versions in candidates.iter().filter(|v| v.forkchoice == forkchoice) {
            match self.get_payload(builder, *versions, &id, attrs.beacon_root) {
                Ok(built) => {
                    built.check_blobs()?;
                    return Ok(built);
                }
                Err(e) if self.probing() && older_version_code(&e) => last_error = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last_error.unwrap_or_else(|| Error::Endpoint("no getPayload version".into())))
    }

    /// `engine_forkchoiceUpdatedV{version}` on node `node`: head `head`, safe and finalized
    /// zero, optionally starting a build; returns the payload status and the payload id.
    pub fn forkchoice_updated(
        &self,
        node: usize,
        version: u8,
        head: B256,
        attrs: Option<&Attributes>,
    ) -> Result<(PayloadStatus, Option<String>)> {
        let engine = self.engine(node)?;
        let method = format!("engine_forkchoiceUpdatedV{version}");
        let state = json!({
            "headBlockHash": head,
            "safeBlockHash": B256::ZERO,
            "finalizedBlockHash": B256::ZERO,
        });
        let attrs = attrs.map_or(Value::Null, |a| a.to_json(version));
        let response = engine.call(&method, json!([state, attrs]))?;
        let status = PayloadStatus::from_json(&response["payloadStatus"])
            .ok_or_else(|| unexpected(engine, &method, "no payloadStatus", &response))?;
        let id = response["payloadId"].as_str().map(str::to_string);
        Ok((status, id))
    }

    /// `engine_getPayloadV{versions.get_payload}` of `id` on node `node`.
    pub fn get_payload(
        &self,
        node: usize,
        versions: Versions,
        id: &str,
        beacon_root: B256,
    ) -> Result<Built> {
        let engine = self.engine(node)?;
        let method = format!("engine_getPayloadV{}", versions.get_payload);
        let response = engine.call(&method, json!([id]))?;
        Built::from_response(versions, response.clone(), beacon_root)
            .ok_or_else(|| unexpected(engine, &method, "not a payload envelope", &response))
    }

    /// `engine_newPayloadV{n}` of `built` on node `node`; the status as answered.
    pub fn new_payload(&self, node: usize, built: &Built) -> Result<PayloadStatus> {
        let engine = self.engine(node)?;
        let method = format!("engine_newPayloadV{}", built.versions.new_payload);
        let response = engine.call(&method, built.new_payload_params()?)?;
        PayloadStatus::from_json(&response)
            .ok_or_else(|| unexpected(engine, &method, "not a payload status", &response))
    }

    /// `newPayload` of `built` on every node, each of which must answer `VALID`.
    pub fn import(&self, built: &Built) -> Result<()> {
        for (node, engine) in self.engines.iter().enumerate() {
            let status = self.new_payload(node, built)?;
            require_valid(status, engine, "newPayload")?;
        }
        Ok(())
    }

    /// Makes `head` the head of every node (`forkchoiceUpdated` without attributes, `VALID`
    /// required), then of the mock.
    pub fn reorg_to(&mut self, head: &Head) -> Result<()> {
        let version = self
            .candidates(head.number, head.timestamp)
            .first()
            .map_or(3, |v| v.forkchoice);
        for (node, engine) in self.engines.iter().enumerate() {
            let status = self.forkchoice_call(node, version, head.hash)?;
            require_valid(status, engine, "forkchoiceUpdated")?;
        }
        self.head = *head;
        Ok(())
    }

    /// A head-only `forkchoiceUpdated`, trying older versions when probing.
    fn forkchoice_call(&self, node: usize, version: u8, head: B256) -> Result<PayloadStatus> {
        let mut result = self.forkchoice_updated(node, version, head, None);
        let mut older = version;
        while self.probing() && older > 1 && result.as_ref().is_err_and(older_version_code) {
            older -= 1;
            result = self.forkchoice_updated(node, older, head, None);
        }
        result.map(|(status, _)| status)
    }

    /// Builds a child of `parent` on the builder node, imports it into every node and makes it
    /// their head: a new block on any known block (a side chain when `parent` is not the head).
    pub fn build_on(&mut self, parent: &Head, attrs: &Attributes) -> Result<Built> {
        let built = self.build(self.builder, parent, attrs)?;
        self.import(&built)?;
        self.reorg_to(&built.head)?;
        Ok(built)
    }

    /// A child of the head with `attrs` (see [`ClMock::build_on`]).
    pub fn produce_block(&mut self, attrs: &Attributes) -> Result<Built> {
        let head = self.head;
        self.build_on(&head, attrs)
    }

    /// A child of the head with [`ClMock::next_attributes`].
    pub fn produce_next(&mut self) -> Result<Built> {
        let attrs = self.next_attributes();
        self.produce_block(&attrs)
    }

    /// Node `node`'s latest block number (`eth_blockNumber` on its Engine API port).
    pub fn block_number(&self, node: usize) -> Result<u64> {
        let engine = self.engine(node)?;
        let answer = engine.call("eth_blockNumber", json!([]))?;
        quantity(&answer)
            .ok_or_else(|| unexpected(engine, "eth_blockNumber", "not a quantity", &answer))
    }
}

/// Whether `error` is an answer after which an older method version may work.
fn older_version_code(error: &Error) -> bool {
    error
        .rpc_code()
        .is_some_and(|code| OLDER_VERSION_CODES.contains(&code))
}

fn unexpected(engine: &RpcClient, method: &str, reason: &str, answer: &Value) -> Error {
    Error::Unexpected {
        endpoint: engine.addr().to_string(),
        method: method.to_string(),
        reason: reason.to_string(),
        answer: answer.clone(),
    }
}

/// `Ok` for `VALID`, the status as an [`Error::Status`] otherwise.
fn require_valid(status: PayloadStatus, engine: &RpcClient, method: &str) -> Result<()> {
    if status.is_valid() {
        return Ok(());
    }
    Err(Error::Status {
        endpoint: engine.addr().to_string(),
        method: method.to_string(),
        status: Box::new(status),
    })
}
