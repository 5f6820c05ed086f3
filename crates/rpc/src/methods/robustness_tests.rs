//! Every method of the dispatch table, called with malformed params: each answers an error with
//! a JSON-RPC code (never "method not found" for a listed method) or a result, and none panics.
//! The method names are read from `mod.rs` itself, so a method added there is covered here.

use std::panic::{AssertUnwindSafe, catch_unwind};

use serde_json::{Value, json};

use super::test_chain::test_chain;

/// The names the dispatch table of `mod.rs` matches (`"name" =>` arms).
fn dispatched_methods() -> Vec<String> {
    let source = include_str!("mod.rs");
    source
        .lines()
        .filter_map(|line| {
            let line = line.trim_start();
            let rest = line.strip_prefix('"')?;
            let (name, tail) = rest.split_once('"')?;
            tail.trim_start()
                .starts_with("=>")
                .then(|| name.to_string())
        })
        .collect()
}

/// Params of every wrong kind: missing, null, wrong types, bad hex, too many, huge numbers.
fn malformed_params() -> Vec<Value> {
    vec![
        json!([]),
        json!([null]),
        json!(["0xzz"]),
        json!([{}]),
        json!([{"from": 5, "to": "nope", "data": "0x0"}]),
        json!([[], [], []]),
        json!([true, false]),
        json!(["0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"]),
        json!([-1, "latest"]),
        json!(["0x01", "0x01", "0x01", "0x01", "0x01", "0x01"]),
        json!([{"blockHash": "0x00", "fromBlock": "0x1"}]),
        json!(["0x", {"tracer": "noSuchTracer"}]),
    ]
}

#[test]
fn every_method_answers_malformed_params_without_panicking() {
    let methods = dispatched_methods();
    assert!(methods.len() > 60, "parsed only {methods:?}");
    for must in [
        "eth_call",
        "eth_getLogs",
        "debug_executionWitness",
        "admin_nodeInfo",
    ] {
        assert!(methods.iter().any(|m| m == must), "{must} not parsed");
    }
    let chain = test_chain!(10);
    let mut errors = 0;
    for method in &methods {
        for params in malformed_params() {
            let outcome = catch_unwind(AssertUnwindSafe(|| chain.call(method, params.clone())));
            match outcome {
                Err(_) => panic!("{method} panicked on {params}"),
                Ok(Err(e)) => {
                    errors += 1;
                    assert_ne!(e.code, -32601, "{method} is listed but not found");
                    assert!(
                        (-32700..=-32000).contains(&e.code) || e.code == 3,
                        "{method} {params}: unexpected code {}",
                        e.code
                    );
                    assert!(!e.message.is_empty(), "{method} {params}: empty message");
                }
                Ok(Ok(_)) => {}
            }
        }
    }
    // Most of these calls are wrong: a method that accepted all of them would be suspicious.
    assert!(errors > methods.len() * 6, "only {errors} errors");
}
