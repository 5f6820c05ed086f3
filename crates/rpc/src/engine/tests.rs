//! Spec cases of the Engine API, one per rule, over an in-memory chain whose genesis is at Paris
//! and whose later forks activate by timestamp: Shanghai at 100, Cancun at 200, Prague at 300,
//! Osaka at 400. Blocks are produced the way a consensus client does it (forkchoiceUpdated with
//! attributes → getPayload → newPayload → forkchoiceUpdated).

use std::sync::{Arc, Mutex};

use alloy_primitives::{Address, B256, Bytes, U256};
use ethrex_blockchain::{Blockchain, mempool::Mempool, sync::SyncHandoff};
use ethrex_common::{Fork, Genesis, types::Transaction};
use ethrex_crypto::kzg;
use ethrex_storage::Store;
use ethrex_test_utils::{GenesisBuilder, tx::TxBuilder};
use serde_json::{Value, json};

use super::codes;
use crate::{RpcContext, RpcError};

const SHANGHAI: u64 = 100;
const CANCUN: u64 = 200;
const PRAGUE: u64 = 300;
const OSAKA: u64 = 400;

/// A sync hand-off that records what it is given.
#[derive(Debug, Default)]
struct RecordingSync {
    heads: Mutex<Vec<B256>>,
    syncing: bool,
}

impl SyncHandoff for RecordingSync {
    fn sync_to(&self, head: B256) {
        self.heads.lock().unwrap().push(head);
    }
    fn is_syncing(&self) -> bool {
        self.syncing
    }
}

fn genesis() -> Genesis {
    let mut json = GenesisBuilder::new(Fork::Osaka).json();
    let config = json["config"].as_object_mut().unwrap();
    for (key, time) in [
        ("shanghaiTime", SHANGHAI),
        ("cancunTime", CANCUN),
        ("pragueTime", PRAGUE),
        ("osakaTime", OSAKA),
    ] {
        config.insert(key.into(), json!(time));
    }
    Genesis::from_json(&json.to_string()).unwrap()
}

struct Cl {
    ctx: RpcContext,
    genesis: B256,
}

impl Cl {
    fn new() -> Self {
        let store = Store::in_memory();
        store.init_genesis(&genesis()).unwrap();
        let genesis = store.head_header().unwrap().unwrap().hash_slow();
        let chain = Arc::new(Blockchain::new(store).unwrap());
        let ctx = RpcContext::new(chain, Arc::new(Mempool::new(64)), "ethrex/v0.1.0/x".into());
        Self { ctx, genesis }
    }

    fn call(&self, method: &str, params: Value) -> Result<Value, RpcError> {
        super::call(&self.ctx, method, params)
    }

    fn ok(&self, method: &str, params: Value) -> Value {
        self.call(method, params)
            .unwrap_or_else(|e| panic!("{method}: {e}"))
    }

    fn code(&self, method: &str, params: Value) -> i64 {
        match self.call(method, params) {
            Err(e) => e.code,
            Ok(v) => panic!("{method}: expected an error, got {v}"),
        }
    }

    fn head(&self) -> B256 {
        self.ctx.store.head_hash().unwrap().unwrap()
    }

    fn fcu(&self, head: B256, attributes: Option<Value>) -> Value {
        let timestamp = attributes.as_ref().map_or(0, |a| {
            u64::from_str_radix(
                a["timestamp"].as_str().unwrap().trim_start_matches("0x"),
                16,
            )
            .unwrap()
        });
        let version = fcu_version(timestamp.max(self.header(head).map_or(0, |h| h.timestamp)));
        self.ok(
            &format!("engine_forkchoiceUpdatedV{version}"),
            json!([state(head, B256::ZERO, B256::ZERO), attributes]),
        )
    }

    fn header(&self, hash: B256) -> Option<ethrex_common::types::Header> {
        self.ctx.store.header_by_hash(&hash).unwrap()
    }

    /// Builds a payload at `timestamp` on `parent` (fee recipient `recipient`): returns the
    /// getPayload envelope (for V1, the payload itself wrapped as `executionPayload`).
    fn build(&self, parent: B256, timestamp: u64, recipient: u8) -> Value {
        let response = self.fcu(parent, Some(attributes(timestamp, recipient)));
        assert_eq!(response["payloadStatus"]["status"], "VALID", "{response}");
        let id = response["payloadId"].clone();
        assert!(id.is_string(), "{response}");
        let version = get_payload_version(timestamp);
        let got = self.ok(&format!("engine_getPayloadV{version}"), json!([id]));
        if version == 1 {
            json!({ "executionPayload": got })
        } else {
            got
        }
    }

    /// newPayload of the version of `envelope`'s timestamp, with its params.
    fn new_payload(&self, envelope: &Value) -> Result<Value, RpcError> {
        let (method, params) = new_payload_params(envelope);
        self.call(&method, params)
    }

    /// Builds, sends and makes head a block at `timestamp` on the head; returns its hash.
    fn produce(&self, timestamp: u64) -> B256 {
        let envelope = self.build(self.head(), timestamp, 0xfe);
        let status = self.new_payload(&envelope).unwrap();
        assert_eq!(status["status"], "VALID", "{status}");
        let hash: B256 =
            serde_json::from_value(envelope["executionPayload"]["blockHash"].clone()).unwrap();
        let response = self.fcu(hash, None);
        assert_eq!(response["payloadStatus"]["status"], "VALID", "{response}");
        hash
    }
}

fn fcu_version(timestamp: u64) -> u8 {
    match timestamp {
        t if t < SHANGHAI => 1,
        t if t < CANCUN => 2,
        _ => 3,
    }
}

fn get_payload_version(timestamp: u64) -> u8 {
    match timestamp {
        t if t < SHANGHAI => 1,
        t if t < CANCUN => 2,
        t if t < PRAGUE => 3,
        t if t < OSAKA => 4,
        _ => 5,
    }
}

fn state(head: B256, safe: B256, finalized: B256) -> Value {
    json!({ "headBlockHash": head, "safeBlockHash": safe, "finalizedBlockHash": finalized })
}

fn attributes(timestamp: u64, recipient: u8) -> Value {
    let mut a = json!({
        "timestamp": format!("{timestamp:#x}"),
        "prevRandao": B256::repeat_byte(7),
        "suggestedFeeRecipient": Address::repeat_byte(recipient),
    });
    if timestamp >= SHANGHAI {
        a["withdrawals"] = json!([]);
    }
    if timestamp >= CANCUN {
        a["parentBeaconBlockRoot"] = json!(B256::repeat_byte(9));
    }
    a
}

fn timestamp_of(payload: &Value) -> u64 {
    u64::from_str_radix(
        payload["timestamp"]
            .as_str()
            .unwrap()
            .trim_start_matches("0x"),
        16,
    )
    .unwrap()
}

/// The newPayload method and params for a getPayload envelope.
fn new_payload_params(envelope: &Value) -> (String, Value) {
    let payload = envelope["executionPayload"].clone();
    let timestamp = timestamp_of(&payload);
    match timestamp {
        t if t < SHANGHAI => ("engine_newPayloadV1".into(), json!([payload])),
        t if t < CANCUN => ("engine_newPayloadV2".into(), json!([payload])),
        t => {
            let hashes = blob_hashes(envelope);
            let root = B256::repeat_byte(9);
            if t < PRAGUE {
                ("engine_newPayloadV3".into(), json!([payload, hashes, root]))
            } else {
                let requests = envelope["executionRequests"].clone();
                (
                    "engine_newPayloadV4".into(),
                    json!([payload, hashes, root, requests]),
                )
            }
        }
    }
}

/// The versioned hashes of the envelope's blobs bundle commitments.
fn blob_hashes(envelope: &Value) -> Vec<B256> {
    envelope["blobsBundle"]["commitments"]
        .as_array()
        .map(|c| {
            c.iter()
                .map(|c| {
                    let bytes: Bytes = serde_json::from_value(c.clone()).unwrap();
                    kzg::kzg_commitment_to_versioned_hash(&bytes.as_ref().try_into().unwrap())
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A signed blob transaction from dev account `account` with one blob, its sidecar with blob
/// proofs or cell proofs.
fn blob_tx(account: usize, nonce: u64, cell_proofs: bool) -> Transaction {
    TxBuilder::new()
        .nonce(nonce)
        .to(Address::repeat_byte(0x42))
        .signer(ethrex_test_utils::tx::dev_secret(account))
        .eip4844_with_sidecar(&[42, account as u8], cell_proofs, 1_000_000_000)
}

/// `payload` with its block hash recomputed from its fields.
fn rehash(mut payload: Value) -> Value {
    let timestamp = timestamp_of(&payload);
    let input = super::payload::PayloadInput {
        payload: serde_json::from_value(payload.clone()).unwrap(),
        withdrawals: payload
            .get("withdrawals")
            .map(|w| serde_json::from_value(w.clone()).unwrap()),
        blob_gas: (timestamp >= CANCUN).then_some((0, 0)),
        parent_beacon_block_root: (timestamp >= CANCUN).then(|| B256::repeat_byte(9)),
        execution_requests: (timestamp >= PRAGUE).then(Vec::new),
    };
    if let Err(super::payload::InvalidPayload::BlockHash { computed, .. }) = input.into_block() {
        payload["blockHash"] = json!(computed);
    }
    payload
}

/// The envelope with another state root (and the block hash that goes with it).
fn with_state_root(envelope: &Value, root: B256) -> Value {
    let mut payload = envelope["executionPayload"].clone();
    payload["stateRoot"] = json!(root);
    json!({ "executionPayload": rehash(payload) })
}

/// An empty child of the envelope's block at `timestamp`.
fn child_of(envelope: &Value, timestamp: u64) -> Value {
    let parent = &envelope["executionPayload"];
    let mut payload = parent.clone();
    payload["parentHash"] = parent["blockHash"].clone();
    let number = u64::from_str_radix(
        parent["blockNumber"]
            .as_str()
            .unwrap()
            .trim_start_matches("0x"),
        16,
    )
    .unwrap();
    payload["blockNumber"] = json!(format!("{:#x}", number + 1));
    payload["timestamp"] = json!(format!("{timestamp:#x}"));
    payload["transactions"] = json!([]);
    json!({ "executionPayload": rehash(payload) })
}

fn transfer(account: usize, nonce: u64) -> Transaction {
    TxBuilder::new()
        .nonce(nonce)
        .to(Address::repeat_byte(0x42))
        .value(1)
        .signer(ethrex_test_utils::tx::dev_secret(account))
        .eip1559()
}

fn status_of(response: &Value) -> &str {
    response["status"].as_str().unwrap()
}

// --- capabilities and identification ---

#[test]
fn exchange_capabilities_lists_every_method_served() {
    let cl = Cl::new();
    let ours = cl.ok(
        "engine_exchangeCapabilities",
        json!([["engine_newPayloadV1"]]),
    );
    let ours: Vec<String> = serde_json::from_value(ours).unwrap();
    assert_eq!(ours.len(), super::CAPABILITIES.len());
    for method in ours {
        let answered = super::call(&cl.ctx, &method, json!([]));
        assert!(
            !matches!(answered, Err(ref e) if e.code == -32601),
            "{method} not served"
        );
    }
    assert_eq!(cl.code("engine_exchangeCapabilities", json!([42])), -32602);
}

#[test]
fn client_version_identifies_ethrex_with_code_ex() {
    let cl = Cl::new();
    let got = cl.ok(
        "engine_getClientVersionV1",
        json!([{"code": "LH", "name": "Lighthouse", "version": "v1", "commit": "0x01020304"}]),
    );
    assert_eq!(got[0]["code"], "EX");
    assert_eq!(got[0]["name"], "ethrex");
    assert_eq!(got[0]["version"], "v0.1.0");
}

// --- forkchoiceUpdated: the state ---

#[test]
fn fcu_on_genesis_is_valid_without_payload() {
    let cl = Cl::new();
    let got = cl.fcu(cl.genesis, None);
    assert_eq!(
        got,
        json!({"payloadStatus": {"status": "VALID", "latestValidHash": cl.genesis, "validationError": null}, "payloadId": null})
    );
}

#[test]
fn fcu_zero_head_is_an_invalid_forkchoice_state() {
    let cl = Cl::new();
    let code = cl.code(
        "engine_forkchoiceUpdatedV1",
        json!([state(B256::ZERO, B256::ZERO, B256::ZERO), null]),
    );
    assert_eq!(code, codes::INVALID_FORKCHOICE_STATE);
}

#[test]
fn fcu_unknown_head_is_syncing_and_handed_to_sync() {
    let cl = Cl::new();
    let sync = Arc::new(RecordingSync::default());
    cl.ctx.engine.set_sync(sync.clone());
    let unknown = B256::repeat_byte(0xab);
    let got = cl.fcu(unknown, Some(attributes(12, 1)));
    assert_eq!(got["payloadStatus"]["status"], "SYNCING");
    assert_eq!(got["payloadStatus"]["latestValidHash"], Value::Null);
    assert_eq!(got["payloadId"], Value::Null, "no build on a SYNCING head");
    assert_eq!(*sync.heads.lock().unwrap(), vec![unknown]);
    assert_eq!(cl.head(), cl.genesis, "the head did not move");
}

#[test]
fn fcu_unknown_finalized_or_safe_is_an_invalid_forkchoice_state() {
    let cl = Cl::new();
    let b1 = cl.produce(12);
    for (safe, finalized) in [
        (B256::ZERO, B256::repeat_byte(1)),
        (B256::repeat_byte(1), B256::ZERO),
    ] {
        let code = cl.code(
            "engine_forkchoiceUpdatedV1",
            json!([state(b1, safe, finalized), null]),
        );
        assert_eq!(code, codes::INVALID_FORKCHOICE_STATE);
    }
}

#[test]
fn fcu_finalized_off_the_heads_chain_is_an_invalid_forkchoice_state_and_changes_nothing() {
    let cl = Cl::new();
    let a1 = cl.produce(12);
    // A sibling of a1.
    let b1_env = cl.build(cl.genesis, 12, 0x0b);
    assert_eq!(status_of(&cl.new_payload(&b1_env).unwrap()), "VALID");
    let b1: B256 = serde_json::from_value(b1_env["executionPayload"]["blockHash"].clone()).unwrap();
    cl.fcu(a1, None);
    let finalized = cl.ctx.store.finalized_hash().unwrap();
    let code = cl.code("engine_forkchoiceUpdatedV1", json!([state(a1, b1, a1)]));
    assert_eq!(code, codes::INVALID_FORKCHOICE_STATE);
    let code = cl.code("engine_forkchoiceUpdatedV1", json!([state(a1, a1, b1)]));
    assert_eq!(code, codes::INVALID_FORKCHOICE_STATE);
    assert_eq!(cl.head(), a1);
    assert_eq!(cl.ctx.store.finalized_hash().unwrap(), finalized);
}

#[test]
fn fcu_sets_safe_and_finalized_served_as_block_tags() {
    let cl = Cl::new();
    let b1 = cl.produce(12);
    let b2 = cl.produce(24);
    cl.ok(
        "engine_forkchoiceUpdatedV1",
        json!([state(b2, b1, cl.genesis), null]),
    );
    let by_tag = |tag: &str| {
        crate::methods::call(&cl.ctx, "eth_getBlockByNumber", json!([tag, false]))
            .unwrap()
            .into_value()
            .unwrap()["hash"]
            .clone()
    };
    assert_eq!(by_tag("latest"), json!(b2));
    assert_eq!(by_tag("safe"), json!(b1));
    assert_eq!(by_tag("finalized"), json!(cl.genesis));
}

#[test]
fn fcu_reorgs_to_a_sibling_branch_and_back() {
    let cl = Cl::new();
    let a1 = cl.produce(12);
    let b1_env = cl.build(cl.genesis, 12, 0x0b);
    cl.new_payload(&b1_env).unwrap();
    let b1: B256 = serde_json::from_value(b1_env["executionPayload"]["blockHash"].clone()).unwrap();
    assert_eq!(cl.fcu(b1, None)["payloadStatus"]["status"], "VALID");
    assert_eq!(cl.head(), b1);
    assert_eq!(cl.ctx.store.canonical_hash(1).unwrap(), Some(b1));
    assert_eq!(cl.fcu(a1, None)["payloadStatus"]["status"], "VALID");
    assert_eq!(cl.ctx.store.canonical_hash(1).unwrap(), Some(a1));
}

#[test]
fn fcu_to_a_canonical_ancestor_below_finalized_is_valid_and_changes_nothing() {
    let cl = Cl::new();
    let b1 = cl.produce(12);
    let b2 = cl.produce(24);
    cl.ok(
        "engine_forkchoiceUpdatedV1",
        json!([state(b2, b2, b2), null]),
    );
    let got = cl.ok(
        "engine_forkchoiceUpdatedV1",
        json!([state(b1, B256::ZERO, B256::ZERO), attributes(36, 1)]),
    );
    assert_eq!(got["payloadStatus"]["status"], "VALID");
    assert_eq!(got["payloadStatus"]["latestValidHash"], json!(b1));
    assert_eq!(got["payloadId"], Value::Null, "no build below finalized");
    assert_eq!(cl.head(), b2);
}

#[test]
fn fcu_malformed_state_is_invalid_params() {
    let cl = Cl::new();
    let code = cl.code(
        "engine_forkchoiceUpdatedV3",
        json!([{"headBlockHash": cl.genesis}, null]),
    );
    assert_eq!(code, -32602);
    let code = cl.code("engine_forkchoiceUpdatedV3", json!([{"headBlockHash": "0x12", "safeBlockHash": cl.genesis, "finalizedBlockHash": cl.genesis}, null]));
    assert_eq!(code, -32602);
}

// --- forkchoiceUpdated: the attributes ---

#[test]
fn attributes_timestamp_not_after_the_head_is_invalid_attributes_and_the_state_is_kept() {
    let cl = Cl::new();
    let b1 = cl.produce(12);
    let b2_env = cl.build(b1, 24, 1);
    cl.new_payload(&b2_env).unwrap();
    let b2: B256 = serde_json::from_value(b2_env["executionPayload"]["blockHash"].clone()).unwrap();
    let code = cl.code(
        "engine_forkchoiceUpdatedV1",
        json!([state(b2, B256::ZERO, B256::ZERO), attributes(24, 1)]),
    );
    assert_eq!(code, codes::INVALID_PAYLOAD_ATTRIBUTES);
    assert_eq!(cl.head(), b2, "the forkchoice update is not rolled back");
}

#[test]
fn attributes_v1_with_withdrawals_are_invalid_attributes() {
    let cl = Cl::new();
    let mut a = attributes(12, 1);
    a["withdrawals"] = json!([]);
    let code = cl.code(
        "engine_forkchoiceUpdatedV1",
        json!([state(cl.genesis, B256::ZERO, B256::ZERO), a]),
    );
    assert_eq!(code, codes::INVALID_PAYLOAD_ATTRIBUTES);
}

#[test]
fn attributes_v1_at_a_shanghai_timestamp_are_an_unsupported_fork() {
    let cl = Cl::new();
    let code = cl.code(
        "engine_forkchoiceUpdatedV1",
        json!([
            state(cl.genesis, B256::ZERO, B256::ZERO),
            attributes(SHANGHAI, 1).as_object().map(|o| {
                let mut o = o.clone();
                o.remove("withdrawals");
                o
            })
        ]),
    );
    assert_eq!(code, codes::UNSUPPORTED_FORK);
}

#[test]
fn attributes_v2_at_shanghai_without_withdrawals_are_invalid_attributes() {
    let cl = Cl::new();
    let a = attributes(12, 1); // no withdrawals
    let mut a = a.clone();
    a["timestamp"] = json!(format!("{SHANGHAI:#x}"));
    let code = cl.code(
        "engine_forkchoiceUpdatedV2",
        json!([state(cl.genesis, B256::ZERO, B256::ZERO), a]),
    );
    assert_eq!(code, codes::INVALID_PAYLOAD_ATTRIBUTES);
}

#[test]
fn attributes_v2_before_shanghai_with_withdrawals_are_invalid_attributes() {
    let cl = Cl::new();
    let mut a = attributes(12, 1);
    a["withdrawals"] = json!([]);
    let code = cl.code(
        "engine_forkchoiceUpdatedV2",
        json!([state(cl.genesis, B256::ZERO, B256::ZERO), a]),
    );
    assert_eq!(code, codes::INVALID_PAYLOAD_ATTRIBUTES);
}

#[test]
fn attributes_v2_at_a_cancun_timestamp_are_an_unsupported_fork() {
    let cl = Cl::new();
    let mut a = attributes(CANCUN, 1);
    a.as_object_mut().unwrap().remove("parentBeaconBlockRoot");
    let code = cl.code(
        "engine_forkchoiceUpdatedV2",
        json!([state(cl.genesis, B256::ZERO, B256::ZERO), a]),
    );
    assert_eq!(code, codes::UNSUPPORTED_FORK);
}

#[test]
fn attributes_v3_without_beacon_root_are_invalid_attributes() {
    let cl = Cl::new();
    let mut a = attributes(CANCUN, 1);
    a.as_object_mut().unwrap().remove("parentBeaconBlockRoot");
    let code = cl.code(
        "engine_forkchoiceUpdatedV3",
        json!([state(cl.genesis, B256::ZERO, B256::ZERO), a]),
    );
    assert_eq!(code, codes::INVALID_PAYLOAD_ATTRIBUTES);
}

#[test]
fn attributes_v3_before_cancun_are_an_unsupported_fork() {
    let cl = Cl::new();
    let mut a = attributes(SHANGHAI, 1);
    a["parentBeaconBlockRoot"] = json!(B256::repeat_byte(9));
    let code = cl.code(
        "engine_forkchoiceUpdatedV3",
        json!([state(cl.genesis, B256::ZERO, B256::ZERO), a]),
    );
    assert_eq!(code, codes::UNSUPPORTED_FORK);
}

#[test]
fn identical_attributes_give_the_same_payload_id_and_different_ones_a_new_id() {
    let cl = Cl::new();
    let id =
        |recipient: u8| cl.fcu(cl.genesis, Some(attributes(12, recipient)))["payloadId"].clone();
    let first = id(1);
    assert!(first.is_string());
    assert_eq!(id(1), first);
    let other = id(2);
    assert!(other.is_string());
    assert_ne!(other, first);
}

// --- getPayload ---

#[test]
fn get_payload_of_an_unknown_id_is_unknown_payload() {
    let cl = Cl::new();
    assert_eq!(
        cl.code("engine_getPayloadV1", json!(["0x0000000000000001"])),
        codes::UNKNOWN_PAYLOAD
    );
    assert_eq!(
        cl.code("engine_getPayloadV3", json!(["0x0000000000000001"])),
        codes::UNKNOWN_PAYLOAD
    );
    assert_eq!(cl.code("engine_getPayloadV1", json!(["0x01"])), -32602);
}

#[test]
fn get_payload_outside_its_fork_window_is_an_unsupported_fork() {
    let cl = Cl::new();
    let id_at =
        |timestamp: u64| cl.fcu(cl.genesis, Some(attributes(timestamp, 1)))["payloadId"].clone();
    let shanghai = id_at(SHANGHAI);
    assert_eq!(
        cl.code("engine_getPayloadV1", json!([shanghai])),
        codes::UNSUPPORTED_FORK
    );
    assert_eq!(
        cl.code("engine_getPayloadV3", json!([shanghai])),
        codes::UNSUPPORTED_FORK
    );
    let cancun = id_at(CANCUN);
    assert_eq!(
        cl.code("engine_getPayloadV2", json!([cancun])),
        codes::UNSUPPORTED_FORK
    );
    assert_eq!(
        cl.code("engine_getPayloadV4", json!([cancun])),
        codes::UNSUPPORTED_FORK
    );
    let prague = id_at(PRAGUE);
    assert_eq!(
        cl.code("engine_getPayloadV3", json!([prague])),
        codes::UNSUPPORTED_FORK
    );
    assert_eq!(
        cl.code("engine_getPayloadV5", json!([prague])),
        codes::UNSUPPORTED_FORK
    );
    let osaka = id_at(OSAKA);
    assert_eq!(
        cl.code("engine_getPayloadV4", json!([osaka])),
        codes::UNSUPPORTED_FORK
    );
    cl.ok("engine_getPayloadV5", json!([osaka]));
}

#[test]
fn get_payload_v2_returns_a_v1_payload_before_shanghai_and_a_v2_payload_after() {
    let cl = Cl::new();
    let paris = cl.fcu(cl.genesis, Some(attributes(12, 1)))["payloadId"].clone();
    let got = cl.ok("engine_getPayloadV2", json!([paris]));
    assert!(
        got["executionPayload"].get("withdrawals").is_none(),
        "{got}"
    );
    assert_eq!(got["blockValue"], "0x0");
    let shanghai = cl.fcu(cl.genesis, Some(attributes(SHANGHAI, 1)))["payloadId"].clone();
    let got = cl.ok("engine_getPayloadV2", json!([shanghai]));
    assert_eq!(got["executionPayload"]["withdrawals"], json!([]));
}

#[test]
fn a_payload_includes_the_mempools_transactions_and_their_value() {
    let cl = Cl::new();
    cl.produce(12);
    for nonce in 0..3 {
        cl.ctx
            .mempool
            .add_transaction(&cl.ctx.chain, transfer(1, nonce))
            .unwrap();
    }
    let envelope = cl.build(cl.head(), SHANGHAI, 1);
    let txs = envelope["executionPayload"]["transactions"]
        .as_array()
        .unwrap();
    assert_eq!(txs.len(), 3);
    assert_ne!(envelope["blockValue"], "0x0");
    assert_eq!(status_of(&cl.new_payload(&envelope).unwrap()), "VALID");
}

// --- newPayload ---

#[test]
fn new_payload_valid_and_idempotent_on_resend() {
    let cl = Cl::new();
    let envelope = cl.build(cl.genesis, 12, 1);
    let first = cl.new_payload(&envelope).unwrap();
    assert_eq!(first["status"], "VALID");
    assert_eq!(
        first["latestValidHash"],
        envelope["executionPayload"]["blockHash"]
    );
    assert_eq!(cl.new_payload(&envelope).unwrap(), first);
    assert_eq!(cl.head(), cl.genesis, "newPayload does not move the head");
}

#[test]
fn new_payload_v1_with_a_forged_block_hash_is_invalid_block_hash() {
    let cl = Cl::new();
    let mut envelope = cl.build(cl.genesis, 12, 1);
    envelope["executionPayload"]["blockHash"] = json!(B256::repeat_byte(0xee));
    let got = cl.new_payload(&envelope).unwrap();
    assert_eq!(got["status"], "INVALID_BLOCK_HASH");
    assert_eq!(got["latestValidHash"], Value::Null);
    assert!(
        got["validationError"]
            .as_str()
            .unwrap()
            .contains("block hash mismatch")
    );
}

#[test]
fn new_payload_v2_and_later_with_a_forged_block_hash_is_invalid_without_latest_valid_hash() {
    let cl = Cl::new();
    for timestamp in [SHANGHAI, CANCUN, PRAGUE] {
        let mut envelope = cl.build(cl.genesis, timestamp, 1);
        envelope["executionPayload"]["gasUsed"] = json!("0x1");
        let got = cl.new_payload(&envelope).unwrap();
        assert_eq!(got["status"], "INVALID", "{timestamp}");
        assert_eq!(got["latestValidHash"], Value::Null);
        assert!(got["validationError"].is_string());
    }
    assert_eq!(
        cl.ctx.store.block_by_number(1).unwrap(),
        None,
        "nothing stored"
    );
}

#[test]
fn new_payload_with_an_empty_or_undecodable_transaction_is_invalid() {
    let cl = Cl::new();
    for bad in ["0x", "0x02c0"] {
        let mut envelope = cl.build(cl.genesis, 12, 1);
        envelope["executionPayload"]["transactions"] = json!([bad]);
        let got = cl.new_payload(&envelope).unwrap();
        assert_eq!(got["status"], "INVALID", "{bad}");
        assert_eq!(got["latestValidHash"], Value::Null);
        assert!(
            got["validationError"]
                .as_str()
                .unwrap()
                .contains("transaction 0")
        );
    }
}

#[test]
fn new_payload_with_an_unknown_parent_is_syncing() {
    let cl = Cl::new();
    let other = Cl::new();
    let b1 = other.produce(12);
    let b2 = other.build(b1, 24, 1);
    let got = cl.new_payload(&b2).unwrap();
    assert_eq!(
        got,
        json!({"status": "SYNCING", "latestValidHash": null, "validationError": null})
    );
}

#[test]
fn an_invalid_payload_names_its_parent_and_stays_invalid_with_its_descendants() {
    let cl = Cl::new();
    let b1 = cl.produce(12);
    // A block whose state root is wrong: re-hash after changing it.
    let envelope = cl.build(b1, 24, 1);
    let bad = with_state_root(&envelope, B256::repeat_byte(0x55));
    let got = cl.new_payload(&bad).unwrap();
    assert_eq!(got["status"], "INVALID");
    assert_eq!(got["latestValidHash"], json!(b1));
    assert!(got["validationError"].is_string());
    assert_eq!(cl.new_payload(&bad).unwrap(), got, "idempotent");
    let bad_hash: B256 =
        serde_json::from_value(bad["executionPayload"]["blockHash"].clone()).unwrap();
    // A child of the invalid block.
    let child = child_of(&bad, 36);
    let got = cl.new_payload(&child).unwrap();
    assert_eq!(got["status"], "INVALID");
    assert_eq!(got["latestValidHash"], json!(b1));
    // Forkchoice to it.
    let got = cl.fcu(bad_hash, None);
    assert_eq!(got["payloadStatus"]["status"], "INVALID");
    assert_eq!(got["payloadStatus"]["latestValidHash"], json!(b1));
    assert_eq!(cl.head(), b1);
    // The chain still builds after the invalid payload.
    assert_eq!(status_of(&cl.new_payload(&envelope).unwrap()), "VALID");
    cl.produce(48);
}

#[test]
fn new_payload_v1_at_shanghai_and_v2_at_cancun_are_unsupported_forks() {
    let cl = Cl::new();
    let shanghai = cl.build(cl.genesis, SHANGHAI, 1);
    let code = cl.code("engine_newPayloadV1", json!([shanghai["executionPayload"]]));
    assert_eq!(code, codes::UNSUPPORTED_FORK);
    let cancun = cl.build(cl.genesis, CANCUN, 1);
    let code = cl.code("engine_newPayloadV2", json!([cancun["executionPayload"]]));
    assert_eq!(code, codes::UNSUPPORTED_FORK);
}

#[test]
fn new_payload_v2_withdrawals_must_match_the_fork() {
    let cl = Cl::new();
    let paris = cl.build(cl.genesis, 12, 1);
    let mut with = paris["executionPayload"].clone();
    with["withdrawals"] = json!([]);
    assert_eq!(cl.code("engine_newPayloadV2", json!([with])), -32602);
    let shanghai = cl.build(cl.genesis, SHANGHAI, 1);
    let mut without = shanghai["executionPayload"].clone();
    without.as_object_mut().unwrap().remove("withdrawals");
    assert_eq!(cl.code("engine_newPayloadV2", json!([without])), -32602);
    let mut blob_fields = shanghai["executionPayload"].clone();
    blob_fields["blobGasUsed"] = json!("0x0");
    assert_eq!(cl.code("engine_newPayloadV2", json!([blob_fields])), -32602);
}

#[test]
fn new_payload_v3_shape_errors_come_before_the_fork_check() {
    let cl = Cl::new();
    // A Shanghai payload (no blob fields) to V3: the shape is wrong and the fork too.
    let shanghai = cl.build(cl.genesis, SHANGHAI, 1);
    let root = B256::repeat_byte(9);
    let code = cl.code(
        "engine_newPayloadV3",
        json!([shanghai["executionPayload"], [], root]),
    );
    assert_eq!(code, -32602);
    let cancun = cl.build(cl.genesis, CANCUN, 1);
    let payload = cancun["executionPayload"].clone();
    assert_eq!(
        cl.code("engine_newPayloadV3", json!([payload, null, root])),
        -32602
    );
    assert_eq!(
        cl.code("engine_newPayloadV3", json!([payload, [], null])),
        -32602
    );
    assert_eq!(cl.code("engine_newPayloadV3", json!([payload, []])), -32602);
    let mut shaped = shanghai["executionPayload"].clone();
    shaped["blobGasUsed"] = json!("0x0");
    shaped["excessBlobGas"] = json!("0x0");
    assert_eq!(
        cl.code("engine_newPayloadV3", json!([shaped, [], root])),
        codes::UNSUPPORTED_FORK
    );
}

#[test]
fn new_payload_v3_at_prague_and_v4_at_cancun_are_unsupported_forks() {
    let cl = Cl::new();
    let root = B256::repeat_byte(9);
    let prague = cl.build(cl.genesis, PRAGUE, 1);
    let code = cl.code(
        "engine_newPayloadV3",
        json!([prague["executionPayload"], [], root]),
    );
    assert_eq!(code, codes::UNSUPPORTED_FORK);
    let cancun = cl.build(cl.genesis, CANCUN, 1);
    let code = cl.code(
        "engine_newPayloadV4",
        json!([cancun["executionPayload"], [], root, []]),
    );
    assert_eq!(code, codes::UNSUPPORTED_FORK);
}

#[test]
fn new_payload_v3_with_wrong_versioned_hashes_is_invalid() {
    let cl = Cl::new();
    let cancun = cl.build(cl.genesis, CANCUN, 1);
    let root = B256::repeat_byte(9);
    let got = cl.ok(
        "engine_newPayloadV3",
        json!([cancun["executionPayload"], [B256::repeat_byte(1)], root]),
    );
    assert_eq!(got["status"], "INVALID");
    assert_eq!(got["latestValidHash"], Value::Null);
}

#[test]
fn new_payload_v4_execution_requests_are_checked() {
    let cl = Cl::new();
    let prague = cl.build(cl.genesis, PRAGUE, 1);
    assert_eq!(prague["executionRequests"], json!([]));
    let payload = prague["executionPayload"].clone();
    let root = B256::repeat_byte(9);
    for bad in [
        json!(null),
        json!(["0x01"]),
        json!(["0x0201", "0x0101"]),
        json!(["0x0101", "0x0102"]),
        json!(["0x"]),
    ] {
        let code = cl.code("engine_newPayloadV4", json!([payload, [], root, bad]));
        assert_eq!(code, -32602, "{bad}");
    }
    // Well-formed requests the header's hash does not commit to: a block hash mismatch.
    let got = cl.ok(
        "engine_newPayloadV4",
        json!([payload, [], root, ["0x0101"]]),
    );
    assert_eq!(got["status"], "INVALID");
    assert_eq!(got["latestValidHash"], Value::Null);
    let got = cl.ok("engine_newPayloadV4", json!([payload, [], root, []]));
    assert_eq!(got["status"], "VALID");
}

#[test]
fn a_transaction_reorged_out_returns_to_the_mempool() {
    let cl = Cl::new();
    cl.produce(12);
    let fork_point = cl.head();
    // A sibling branch built while the pool is empty: sent, not made head.
    let sibling = cl.build(fork_point, 24, 0x0c);
    assert!(
        sibling["executionPayload"]["transactions"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(status_of(&cl.new_payload(&sibling).unwrap()), "VALID");
    let sibling_hash: B256 =
        serde_json::from_value(sibling["executionPayload"]["blockHash"].clone()).unwrap();
    let tx = transfer(2, 0);
    let hash = tx.hash();
    cl.ctx.mempool.add_transaction(&cl.ctx.chain, tx).unwrap();
    let with_tx = cl.produce(24);
    assert!(!cl.ctx.mempool.contains(&hash), "included: out of the pool");
    assert_eq!(
        cl.ctx
            .store
            .block_by_hash(&with_tx)
            .unwrap()
            .unwrap()
            .body
            .transactions
            .len(),
        1
    );
    cl.fcu(sibling_hash, None);
    assert!(
        cl.ctx.mempool.contains(&hash),
        "re-orged out: back in the pool"
    );
    // And back in: the original branch again.
    cl.fcu(with_tx, None);
    assert!(!cl.ctx.mempool.contains(&hash));
}

// --- bodies and blobs ---

#[test]
fn bodies_by_hash_keep_the_order_with_null_for_unknown_blocks() {
    let cl = Cl::new();
    cl.ctx
        .mempool
        .add_transaction(&cl.ctx.chain, transfer(1, 0))
        .unwrap();
    let b1 = cl.produce(12);
    let b2 = cl.produce(SHANGHAI);
    let got = cl.ok(
        "engine_getPayloadBodiesByHashV1",
        json!([[b1, B256::repeat_byte(1), b2]]),
    );
    let bodies = got.as_array().unwrap();
    assert_eq!(bodies.len(), 3);
    assert_eq!(bodies[0]["transactions"].as_array().unwrap().len(), 1);
    assert_eq!(
        bodies[0]["withdrawals"],
        Value::Null,
        "pre-Shanghai: null withdrawals"
    );
    assert_eq!(bodies[1], Value::Null);
    assert_eq!(bodies[2]["withdrawals"], json!([]));
    let many = vec![B256::ZERO; super::bodies::MAX_BODIES + 1];
    assert_eq!(
        cl.code("engine_getPayloadBodiesByHashV1", json!([many])),
        codes::TOO_LARGE_REQUEST
    );
}

#[test]
fn bodies_by_range_check_bounds_and_trim_past_the_head() {
    let cl = Cl::new();
    cl.produce(12);
    cl.produce(24);
    assert_eq!(
        cl.code("engine_getPayloadBodiesByRangeV1", json!(["0x0", "0x1"])),
        -32602
    );
    assert_eq!(
        cl.code("engine_getPayloadBodiesByRangeV1", json!(["0x1", "0x0"])),
        -32602
    );
    assert_eq!(
        cl.code("engine_getPayloadBodiesByRangeV1", json!(["0x1", "0x401"])),
        codes::TOO_LARGE_REQUEST
    );
    let got = cl.ok("engine_getPayloadBodiesByRangeV1", json!(["0x1", "0x20"]));
    assert_eq!(got.as_array().unwrap().len(), 2, "no trailing nulls");
    let got = cl.ok("engine_getPayloadBodiesByRangeV1", json!(["0x5", "0x2"]));
    assert_eq!(got, json!([]));
}

#[test]
fn blobs_v1_and_v2_answer_null_for_unknown_blobs_and_refuse_large_requests() {
    let cl = Cl::new();
    let unknown = B256::repeat_byte(1);
    assert_eq!(
        cl.ok("engine_getBlobsV1", json!([[unknown]])),
        json!([null])
    );
    assert_eq!(cl.ok("engine_getBlobsV2", json!([[unknown]])), Value::Null);
    assert_eq!(
        cl.ok("engine_getBlobsV3", json!([[unknown]])),
        json!([null])
    );
    let many = vec![unknown; super::bodies::MAX_BLOBS + 1];
    assert_eq!(
        cl.code("engine_getBlobsV1", json!([many])),
        codes::TOO_LARGE_REQUEST
    );
    assert_eq!(
        cl.code("engine_getBlobsV2", json!([many])),
        codes::TOO_LARGE_REQUEST
    );
}

#[test]
fn blob_payloads_carry_a_verified_bundle_per_fork_and_get_blobs_serves_the_pool() {
    let cl = Cl::new();
    cl.produce(CANCUN);
    // Cancun: a version-0 sidecar; the V3 bundle carries blob proofs.
    let tx = blob_tx(3, 0, false);
    let Transaction::Eip4844(inner, _) = &tx else {
        unreachable!()
    };
    let versioned = inner.blob_versioned_hashes[0];
    cl.ctx
        .mempool
        .add_transaction(&cl.ctx.chain, tx.clone())
        .unwrap();
    let blobs = cl.ok("engine_getBlobsV1", json!([[versioned]]));
    assert!(blobs[0]["blob"].is_string() && blobs[0]["proof"].is_string());
    assert_eq!(
        cl.ok("engine_getBlobsV2", json!([[versioned]])),
        Value::Null,
        "blob proofs only"
    );
    let envelope = cl.build(cl.head(), CANCUN + 12, 1);
    verify_bundle(&envelope, false);
    assert_eq!(blob_hashes(&envelope), vec![versioned]);
    assert_eq!(status_of(&cl.new_payload(&envelope).unwrap()), "VALID");
    // Osaka: a version-1 sidecar; the V5 bundle carries 128 cell proofs per blob.
    cl.produce(OSAKA);
    let tx = blob_tx(3, 1, true);
    cl.ctx.mempool.add_transaction(&cl.ctx.chain, tx).unwrap();
    let envelope = cl.build(cl.head(), OSAKA + 12, 1);
    verify_bundle(&envelope, true);
    let hashes = blob_hashes(&envelope);
    assert_eq!(hashes.len(), 1);
    let blobs = cl.ok("engine_getBlobsV2", json!([hashes]));
    assert_eq!(
        blobs[0]["proofs"].as_array().unwrap().len(),
        kzg::CELLS_PER_EXT_BLOB
    );
    assert_eq!(
        cl.code("engine_getBlobsV1", json!([hashes])),
        codes::UNSUPPORTED_FORK
    );
    assert_eq!(status_of(&cl.new_payload(&envelope).unwrap()), "VALID");
}

/// The bundle's proofs verify with c-kzg: blob proofs, or cell proofs.
fn verify_bundle(envelope: &Value, cell_proofs: bool) {
    let bundle = &envelope["blobsBundle"];
    let bytes = |key: &str| -> Vec<Bytes> { serde_json::from_value(bundle[key].clone()).unwrap() };
    let (blobs, commitments, proofs) = (bytes("blobs"), bytes("commitments"), bytes("proofs"));
    assert_eq!(blobs.len(), 1, "{bundle}");
    let blobs: Vec<&[u8]> = blobs.iter().map(|b| b.as_ref()).collect();
    let commitments: Vec<[u8; 48]> = commitments
        .iter()
        .map(|c| c.as_ref().try_into().unwrap())
        .collect();
    let proofs: Vec<[u8; 48]> = proofs
        .iter()
        .map(|p| p.as_ref().try_into().unwrap())
        .collect();
    let verified = if cell_proofs {
        assert_eq!(proofs.len(), kzg::CELLS_PER_EXT_BLOB);
        kzg::verify_cell_proofs(&blobs, &commitments, &proofs).unwrap()
    } else {
        assert_eq!(proofs.len(), 1);
        kzg::verify_blob_proofs(&blobs, &commitments, &proofs).unwrap()
    };
    assert!(verified);
}

#[test]
fn bad_input_never_panics_and_gets_an_error() {
    let cl = Cl::new();
    for method in super::CAPABILITIES {
        for params in [
            json!([]),
            json!([null]),
            json!(["0x"]),
            json!([{}]),
            json!([[], [], [], [], []]),
            json!([1, 2]),
        ] {
            let _ = super::call(&cl.ctx, method, params);
        }
    }
    assert_eq!(cl.head(), cl.genesis);
    let _ = U256::ZERO;
}

// --- beyond the diff-layer window ---

/// 130 blocks, each with a transfer (so each has its own state): the states of the first ones
/// are flattened into the disk state and gone.
fn long_chain(cl: &Cl) -> Vec<B256> {
    (1..=130u64)
        .map(|n| {
            let tx = transfer(1, n - 1);
            cl.ctx.mempool.add_transaction(&cl.ctx.chain, tx).unwrap();
            cl.produce(n)
        })
        .collect()
}

#[test]
fn a_payload_on_a_known_parent_whose_state_is_gone_is_accepted_and_a_reorg_there_is_too_deep() {
    let cl = Cl::new();
    let hashes = long_chain(&cl);
    let b1 = hashes[0];
    // A sibling of block 2, built on block 1 in another node that still has block 1's state.
    let other = Cl::new();
    other
        .ctx
        .mempool
        .add_transaction(&other.ctx.chain, transfer(1, 0))
        .unwrap();
    let other_b1 = other.produce(1);
    assert_eq!(other_b1, b1, "the same chain");
    let sibling = other.build(b1, 3, 0x0d);
    let got = cl.new_payload(&sibling).unwrap();
    assert_eq!(
        got,
        json!({"status": "ACCEPTED", "latestValidHash": null, "validationError": null})
    );
    // A reorg back to block 1, whose state the store no longer holds: -38006, nothing changed.
    let head = cl.head();
    let code = cl.code(
        "engine_forkchoiceUpdatedV1",
        json!([state(b1, B256::ZERO, B256::ZERO), null]),
    );
    assert_eq!(code, codes::TOO_DEEP_REORG);
    assert_eq!(cl.head(), head);
    // While a sync runs, such a payload is SYNCING instead (never INVALID).
    cl.ctx.engine.set_sync(Arc::new(RecordingSync {
        heads: Mutex::default(),
        syncing: true,
    }));
    let sibling = other.build(b1, 4, 0x0e);
    assert_eq!(status_of(&cl.new_payload(&sibling).unwrap()), "SYNCING");
}
