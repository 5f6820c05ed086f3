//! `EthClient` against scripted servers: each kind of failure is its own error, naming the URL
//! or the method; the tip falls back to `eth_gasPrice` less the base fee; waits are bounded.

use std::time::{Duration, Instant};

use alloy_primitives::{B256, U256};
use ethrex_l2_sdk::{EthClient, SdkError};
use serde_json::json;

use crate::server::{result, serve};

#[test]
fn a_refused_connection_names_the_url() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let err = EthClient::new(&url).unwrap().chain_id().unwrap_err();
    assert!(matches!(err, SdkError::Transport { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains(&url), "{message}");
    assert!(message.contains("connection refused"), "{message}");
}

#[test]
fn urls_without_an_http_scheme_are_refused() {
    for url in ["localhost:8545", "ws://127.0.0.1:8546", ""] {
        let err = EthClient::new(url).unwrap_err();
        assert!(matches!(err, SdkError::InvalidInput(_)), "{url}: {err:?}");
    }
}

#[test]
fn a_json_rpc_error_keeps_its_code_message_and_data() {
    let url = serve(|_| {
        Some((
            200,
            json!({"jsonrpc": "2.0", "id": 1, "error": {"code": 3, "message": "execution reverted", "data": "0x08c379a0"}})
                .to_string(),
        ))
    });
    let err = EthClient::new(&url).unwrap().block_number().unwrap_err();
    match &err {
        SdkError::Rpc {
            method,
            code,
            message,
            data,
        } => {
            assert_eq!(method, "eth_blockNumber");
            assert_eq!(*code, 3);
            assert_eq!(message, "execution reverted");
            assert_eq!(data.as_deref(), Some("0x08c379a0"));
        }
        other => panic!("expected an RPC error, got {other:?}"),
    }
    assert!(
        err.to_string().contains("error 3: execution reverted"),
        "{err}"
    );
}

#[test]
fn a_revert_reason_is_decoded_in_the_message() {
    // `Error("nope")`, ABI-encoded.
    let data = "0x08c379a0\
        0000000000000000000000000000000000000000000000000000000000000020\
        0000000000000000000000000000000000000000000000000000000000000004\
        6e6f706500000000000000000000000000000000000000000000000000000000";
    let answer = json!({"jsonrpc": "2.0", "id": 1, "error": {"code": 3, "message": "execution reverted", "data": data}})
        .to_string();
    let url = serve(move |_| Some((200, answer.clone())));
    let err = EthClient::new(&url).unwrap().block_number().unwrap_err();
    assert!(
        err.to_string()
            .ends_with("execution reverted (reverted: nope)"),
        "{err}"
    );
}

#[test]
fn https_urls_are_accepted_with_the_https_feature() {
    assert!(EthClient::new("https://127.0.0.1:1").is_ok());
}

#[test]
fn malformed_answers_name_the_method() {
    let answers = [
        (200, "not json".to_string()),
        (200, json!({"jsonrpc": "2.0", "id": 1}).to_string()),
        (
            200,
            json!({"jsonrpc": "2.0", "id": 1, "result": "0xzz"}).to_string(),
        ),
        (
            200,
            json!({"jsonrpc": "2.0", "id": 1, "result": ["0x1"]}).to_string(),
        ),
        (
            200,
            json!({"jsonrpc": "2.0", "id": 1, "error": {"message": "no code"}}).to_string(),
        ),
    ];
    for (status, body) in answers {
        let answer = body.clone();
        let url = serve(move |_| Some((status, answer.clone())));
        let err = EthClient::new(&url).unwrap().chain_id().unwrap_err();
        match &err {
            SdkError::Malformed { method, .. } => assert_eq!(method, "eth_chainId", "{body}"),
            other => panic!("{body}: expected a malformed answer, got {other:?}"),
        }
    }
}

#[test]
fn an_http_error_without_json_is_a_transport_error() {
    let url = serve(|_| Some((503, "service unavailable".into())));
    let err = EthClient::new(&url).unwrap().chain_id().unwrap_err();
    assert!(matches!(err, SdkError::Transport { .. }), "{err:?}");
    assert!(err.to_string().contains("HTTP status 503"), "{err}");
}

#[test]
fn a_silent_node_times_out_within_the_request_bound() {
    let url = serve(|_| None);
    let client = EthClient::new(&url)
        .unwrap()
        .with_timeout(Duration::from_millis(300));
    let started = Instant::now();
    let err = client.chain_id().unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert!(matches!(err, SdkError::Transport { .. }), "{err:?}");
    assert!(err.to_string().contains("timed out"), "{err}");
}

#[test]
fn waiting_for_a_receipt_that_never_comes_times_out() {
    let url = serve(|_| result(serde_json::Value::Null));
    let client = EthClient::new(&url).unwrap();
    let started = Instant::now();
    let err = client
        .wait_for_receipt(B256::repeat_byte(7), Duration::from_millis(700))
        .unwrap_err();
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(700) && waited < Duration::from_secs(3),
        "{waited:?}"
    );
    assert!(matches!(err, SdkError::Timeout { .. }), "{err:?}");
}

#[test]
fn the_tip_falls_back_to_the_gas_price_less_the_base_fee() {
    let url = serve(|method| {
        match method {
        "eth_getBlockByNumber" => result(json!({"number": "0x5", "baseFeePerGas": "0x64"})),
        "eth_gasPrice" => result(json!("0x6e")),
        _ => Some((
            200,
            json!({"jsonrpc": "2.0", "id": 1, "error": {"code": -32601, "message": "method not found"}})
                .to_string(),
        )),
    }
    });
    let fees = EthClient::new(&url).unwrap().fee_suggestion().unwrap();
    assert_eq!(fees.base_fee, U256::from(100));
    assert_eq!(fees.max_priority_fee_per_gas, U256::from(10));
    assert_eq!(fees.max_fee_per_gas, U256::from(210));
}

#[test]
fn the_tip_comes_from_max_priority_fee_per_gas_when_the_node_has_it() {
    let url = serve(|method| match method {
        "eth_getBlockByNumber" => result(json!({"number": "0x5", "baseFeePerGas": "0x64"})),
        "eth_maxPriorityFeePerGas" => result(json!("0x3")),
        _ => result(json!("0x999999")),
    });
    let fees = EthClient::new(&url).unwrap().fee_suggestion().unwrap();
    assert_eq!(fees.max_priority_fee_per_gas, U256::from(3));
    assert_eq!(fees.max_fee_per_gas, U256::from(203));
}
