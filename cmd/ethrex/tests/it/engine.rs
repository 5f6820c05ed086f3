//! Bad input on the Engine API port of a real node: malformed JSON, wrong hex lengths, unknown
//! payload ids, undecodable transactions and forged block hashes each get the spec's error or
//! an `INVALID` status with a precise message; the node keeps serving and stores nothing until
//! a valid payload comes.

use ethrex_test_utils::node::{jwt_token, now_secs};
use serde_json::{Value, json};

use crate::ETHREX;

fn error_code(answer: &Value) -> i64 {
    answer["error"]["code"]
        .as_i64()
        .unwrap_or_else(|| panic!("no error: {answer}"))
}

#[test]
fn bad_engine_input_is_refused_precisely_and_nothing_is_stored() {
    // --dev: every fork through Osaka from genesis; no transactions, so the dev producer idles.
    let node = ETHREX.start(&["--dev", "--datadir", "memory"]);
    let token = jwt_token(&node.jwt_secret, now_secs());
    let (status, text) = node.auth_post(Some(&token), "{\"jsonrpc\": \"2.0\", \"method\": ");
    assert_eq!(status, 200, "{text}");
    let answer: Value = serde_json::from_str(&text).expect("a JSON error");
    assert_eq!(error_code(&answer), -32700, "{answer}");

    let genesis = node.result("eth_getBlockByNumber", json!(["0x0", false]))["hash"].clone();
    let attributes = json!({
        "timestamp": "0x1000",
        "prevRandao": format!("0x{}", "11".repeat(32)),
        "suggestedFeeRecipient": format!("0x{}", "22".repeat(20)),
        "withdrawals": [],
        "parentBeaconBlockRoot": format!("0x{}", "33".repeat(32)),
    });
    let state =
        json!({"headBlockHash": genesis, "safeBlockHash": genesis, "finalizedBlockHash": genesis});
    let answer = node.engine_call("engine_forkchoiceUpdatedV3", json!([state, attributes]));
    assert_eq!(
        answer["result"]["payloadStatus"]["status"], "VALID",
        "{answer}"
    );
    let id = answer["result"]["payloadId"].clone();
    let unknown = node.engine_call("engine_getPayloadV5", json!(["0x0102030405060708"]));
    assert_eq!(error_code(&unknown), -38001, "{unknown}");
    let envelope = node.engine_call("engine_getPayloadV5", json!([id]))["result"].clone();
    let payload = envelope["executionPayload"].clone();
    let root = attributes["parentBeaconBlockRoot"].clone();
    let new_payload =
        |payload: &Value| node.engine_call("engine_newPayloadV4", json!([payload, [], root, []]));

    let mut short_hash = payload.clone();
    short_hash["parentHash"] = json!("0x1234");
    let answer = new_payload(&short_hash);
    assert_eq!(error_code(&answer), -32602, "{answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("invalid"),
        "{answer}"
    );

    let mut garbled = payload.clone();
    garbled["transactions"] = json!(["0x02c0"]);
    let answer = new_payload(&garbled)["result"].clone();
    assert_eq!(answer["status"], "INVALID", "{answer}");
    assert_eq!(answer["latestValidHash"], Value::Null);
    assert!(
        answer["validationError"]
            .as_str()
            .unwrap()
            .contains("transaction 0 cannot be decoded"),
        "{answer}"
    );

    let mut forged = payload.clone();
    forged["blockHash"] = json!(format!("0x{}", "ee".repeat(32)));
    let answer = new_payload(&forged)["result"].clone();
    assert_eq!(answer["status"], "INVALID", "{answer}");
    assert!(
        answer["validationError"]
            .as_str()
            .unwrap()
            .contains("block hash mismatch"),
        "{answer}"
    );

    // Nothing was stored, and the node still serves.
    assert_eq!(
        node.result("eth_getBlockByNumber", json!(["0x1", false])),
        Value::Null
    );
    assert_eq!(node.result("eth_blockNumber", json!([])), "0x0");

    // The valid payload is accepted and becomes the head.
    let answer = new_payload(&payload)["result"].clone();
    assert_eq!(answer["status"], "VALID", "{answer}");
    let head = payload["blockHash"].clone();
    let state =
        json!({"headBlockHash": head, "safeBlockHash": head, "finalizedBlockHash": genesis});
    let answer = node.engine_call("engine_forkchoiceUpdatedV3", json!([state, null]));
    assert_eq!(
        answer["result"]["payloadStatus"]["status"], "VALID",
        "{answer}"
    );
    assert_eq!(node.result("eth_blockNumber", json!([])), "0x1");
    assert_eq!(
        node.result("eth_getBlockByNumber", json!(["safe", false]))["hash"],
        head
    );
}
