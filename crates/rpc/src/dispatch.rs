//! JSON-RPC 2.0 framing: parses a body (one request or a batch), runs each request through
//! [`crate::methods::call`] and builds the response body. Notifications (no `id`) get no
//! response; an empty batch is an invalid request, as the spec says. Every call is counted and
//! timed per method (`ethrex-metrics`); calls to unknown methods share one label.

use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use crate::{RpcContext, RpcError, methods};

/// Most requests in one batch.
pub const MAX_BATCH: usize = 1000;

/// JSON-RPC's "method not found" code ([`RpcError::method_not_found`]).
const METHOD_NOT_FOUND: i64 = -32601;

/// The response body for `body`, or `None` when nothing is to be sent (only notifications).
pub fn handle_body(ctx: &RpcContext, body: &[u8]) -> Option<Value> {
    let parsed: Value = match serde_json::from_slice(body) {
        Ok(value) => value,
        Err(e) => {
            return Some(error_response(
                Value::Null,
                &RpcError::parse(format!("parse error: {e}")),
            ));
        }
    };
    match parsed {
        Value::Array(requests) => {
            if requests.is_empty() {
                return Some(error_response(
                    Value::Null,
                    &RpcError::invalid_request("empty batch"),
                ));
            }
            if requests.len() > MAX_BATCH {
                return Some(error_response(
                    Value::Null,
                    &RpcError::invalid_request(format!(
                        "batch of {} requests exceeds the limit of {MAX_BATCH}",
                        requests.len()
                    )),
                ));
            }
            let responses: Vec<Value> = requests
                .into_iter()
                .filter_map(|request| handle_request(ctx, request))
                .collect();
            (!responses.is_empty()).then_some(Value::Array(responses))
        }
        request => handle_request(ctx, request),
    }
}

/// Runs one request; `None` for a notification.
pub fn handle_request(ctx: &RpcContext, request: Value) -> Option<Value> {
    let Value::Object(object) = request else {
        return Some(error_response(
            Value::Null,
            &RpcError::invalid_request("a request must be a JSON object"),
        ));
    };
    let id = object.get("id").cloned();
    let result = parse(&object).and_then(|(method, params)| {
        let start = Instant::now();
        let result = methods::call(ctx, method, params);
        record(method, start.elapsed(), &result);
        result
    });
    let id = id?;
    Some(match result {
        Ok(result) => serde_json::json!({ "jsonrpc": "2.0", "id": id, "result": result }),
        Err(error) => error_response(id, &error),
    })
}

fn parse(object: &Map<String, Value>) -> Result<(&str, Value), RpcError> {
    if object.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Err(RpcError::invalid_request(
            "invalid request: \"jsonrpc\" must be \"2.0\"",
        ));
    }
    let method = object
        .get("method")
        .and_then(Value::as_str)
        .ok_or_else(|| RpcError::invalid_request("invalid request: no method name"))?;
    let params = match object.get("params") {
        None | Some(Value::Null) => Value::Array(Vec::new()),
        Some(params @ Value::Array(_)) => params.clone(),
        Some(_) => {
            return Err(RpcError::invalid_params(
                "non-array params are not supported",
            ));
        }
    };
    Ok((method, params))
}

/// Records a call in the metrics, under [`ethrex_metrics::definitions::UNKNOWN_METHOD`] when
/// the method does not exist (clients choose those names: they must not become labels).
fn record(method: &str, elapsed: Duration, result: &Result<Value, RpcError>) {
    let unknown = matches!(result, Err(e) if e.code == METHOD_NOT_FOUND);
    let label = if unknown {
        ethrex_metrics::definitions::UNKNOWN_METHOD
    } else {
        method
    };
    ethrex_metrics::record_rpc(label, elapsed, result.is_err());
}

/// A response carrying `error`.
pub fn error_response(id: Value, error: &RpcError) -> Value {
    serde_json::json!({ "jsonrpc": "2.0", "id": id, "error": error.to_json() })
}
