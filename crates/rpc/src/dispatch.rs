//! JSON-RPC 2.0 framing: parses a body (one request or a batch), routes each request by the
//! port's [`Namespace`] and builds the response body. Notifications (no `id`) get no response;
//! an empty batch is an invalid request, as the spec says. Every call is counted and timed per
//! method (`ethrex-metrics`); calls to unknown methods share one label.
//!
//! Routing: the public ports (HTTP, WebSocket) serve [`crate::methods::call`] and never an
//! `engine_*` method; the authenticated port serves `engine_*` through [`crate::engine::call`]
//! and, of the rest, only the `eth_` methods of [`AUTH_ETH_METHODS`]. Anything else is -32601.
//!
//! A [`Reply`] writes the response text itself: results a method already wrote as JSON text
//! ([`Output::Text`]) are copied in, not parsed back.

use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use crate::{RpcContext, RpcError, engine, methods, methods::Output};

/// Most requests in one batch.
pub const MAX_BATCH: usize = 1000;

/// JSON-RPC's "method not found" code ([`RpcError::method_not_found`]).
const METHOD_NOT_FOUND: i64 = -32601;

/// The `eth_` methods the authenticated port serves besides `engine_*` (execution-apis
/// `src/engine/common.md`, "Underlying protocol").
pub const AUTH_ETH_METHODS: [&str; 9] = [
    "eth_blockNumber",
    "eth_call",
    "eth_chainId",
    "eth_getCode",
    "eth_getBlockByHash",
    "eth_getBlockByNumber",
    "eth_getLogs",
    "eth_sendRawTransaction",
    "eth_syncing",
];

/// Which methods a port serves (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Namespace {
    /// The JSON-RPC ports: everything but `engine_*`.
    Public,
    /// The JWT-authenticated Engine API port: `engine_*` and [`AUTH_ETH_METHODS`].
    Auth,
}

impl Namespace {
    /// Runs `method` as this port serves it.
    fn call(self, ctx: &RpcContext, method: &str, params: Value) -> Result<Output, RpcError> {
        let engine = method.starts_with("engine_");
        match self {
            Namespace::Public if !engine => methods::call(ctx, method, params),
            Namespace::Auth if engine => engine::call(ctx, method, params).map(Output::Value),
            Namespace::Auth if AUTH_ETH_METHODS.contains(&method) => {
                methods::call(ctx, method, params)
            }
            Namespace::Public | Namespace::Auth => Err(RpcError::method_not_found(method)),
        }
    }
}

/// What answers a body: one response, or a batch's.
#[derive(Debug)]
pub enum Reply {
    One(Response),
    Batch(Vec<Response>),
}

impl Reply {
    /// The reply's JSON text, as bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        match self {
            Reply::One(response) => response.write(&mut out),
            Reply::Batch(responses) => {
                out.push(b'[');
                for (i, response) in responses.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    response.write(&mut out);
                }
                out.push(b']');
            }
        }
        out
    }

    /// The reply's JSON text.
    pub fn to_text(&self) -> String {
        let bytes = self.to_bytes();
        // Only JSON text serde_json wrote goes into a reply: always UTF-8.
        String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into())
    }
}

/// One JSON-RPC response: the request's id, and its result or error.
#[derive(Debug)]
pub struct Response {
    id: Value,
    outcome: Result<Output, RpcError>,
}

impl Response {
    fn error(id: Value, error: RpcError) -> Self {
        Self {
            id,
            outcome: Err(error),
        }
    }

    /// Appends the response's JSON text to `out`.
    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(br#"{"jsonrpc":"2.0","id":"#);
        write_json(out, &self.id);
        match &self.outcome {
            Ok(Output::Value(result)) => {
                out.extend_from_slice(br#","result":"#);
                write_json(out, result);
            }
            Ok(Output::Text(text)) => {
                out.extend_from_slice(br#","result":"#);
                out.extend_from_slice(text.as_bytes());
            }
            Err(error) => {
                out.extend_from_slice(br#","error":"#);
                write_json(out, &error.to_json());
            }
        }
        out.push(b'}');
    }
}

/// Appends `value`'s JSON text to `out` (writing a `Value` into a `Vec` cannot fail: its map
/// keys are strings and there is no I/O; `null` stands in should it ever).
fn write_json(out: &mut Vec<u8>, value: &Value) {
    let len = out.len();
    if serde_json::to_writer(&mut *out, value).is_err() {
        out.truncate(len);
        out.extend_from_slice(b"null");
    }
}

/// The response for `body` on a public port, or `None` when nothing is to be sent (only
/// notifications).
pub fn handle_body(ctx: &RpcContext, body: &[u8]) -> Option<Reply> {
    handle_body_in(ctx, Namespace::Public, body)
}

/// The response for `body` on a port serving `namespace`, or `None` when nothing is to be sent
/// (only notifications).
pub fn handle_body_in(ctx: &RpcContext, namespace: Namespace, body: &[u8]) -> Option<Reply> {
    let parsed: Value = match serde_json::from_slice(body) {
        Ok(value) => value,
        Err(e) => {
            let error = RpcError::parse(format!("parse error: {e}"));
            return Some(Reply::One(Response::error(Value::Null, error)));
        }
    };
    match parsed {
        Value::Array(requests) => {
            if requests.is_empty() {
                let error = RpcError::invalid_request("empty batch");
                return Some(Reply::One(Response::error(Value::Null, error)));
            }
            if requests.len() > MAX_BATCH {
                let error = RpcError::invalid_request(format!(
                    "batch of {} requests exceeds the limit of {MAX_BATCH}",
                    requests.len()
                ));
                return Some(Reply::One(Response::error(Value::Null, error)));
            }
            let responses: Vec<Response> = requests
                .into_iter()
                .filter_map(|request| handle_request(ctx, namespace, request))
                .collect();
            (!responses.is_empty()).then_some(Reply::Batch(responses))
        }
        request => handle_request(ctx, namespace, request).map(Reply::One),
    }
}

/// Runs one request on a port serving `namespace`; `None` for a notification.
pub fn handle_request(ctx: &RpcContext, namespace: Namespace, request: Value) -> Option<Response> {
    let Value::Object(object) = request else {
        let error = RpcError::invalid_request("a request must be a JSON object");
        return Some(Response::error(Value::Null, error));
    };
    let id = object.get("id").cloned();
    let outcome = parse(&object).and_then(|(method, params)| {
        let start = Instant::now();
        let result = namespace.call(ctx, method, params);
        record(method, start.elapsed(), &result);
        result
    });
    Some(Response { id: id?, outcome })
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
fn record(method: &str, elapsed: Duration, result: &Result<Output, RpcError>) {
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::methods::test_chain::{TestChain, test_chain};

    fn reply(chain: &TestChain, body: Value) -> Option<Value> {
        reply_in(chain, Namespace::Public, body)
    }

    fn reply_in(chain: &TestChain, namespace: Namespace, body: Value) -> Option<Value> {
        let reply = handle_body_in(&chain.ctx, namespace, body.to_string().as_bytes())?;
        let text = reply.to_text();
        assert_eq!(reply.to_bytes(), text.as_bytes());
        Some(serde_json::from_str(&text).expect("a reply is JSON"))
    }

    #[test]
    fn a_batch_answers_each_request_in_order_with_text_and_value_results() {
        let chain = test_chain!(10);
        let logs_filter = json!({"fromBlock": "0x0", "toBlock": "0xa"});
        let batch = json!([
            {"jsonrpc": "2.0", "id": 1, "method": "eth_getLogs", "params": [logs_filter]},
            {"jsonrpc": "2.0", "method": "eth_blockNumber"},
            {"jsonrpc": "2.0", "id": "b", "method": "eth_blockNumber"},
            {"jsonrpc": "2.0", "id": 3, "method": "no_such_method"},
        ]);
        let got = reply(&chain, batch).expect("a batch with requests is answered");
        let expected_logs = chain.ok("eth_getLogs", json!([logs_filter]));
        assert!(!expected_logs.as_array().unwrap().is_empty());
        assert_eq!(
            got,
            json!([
                {"jsonrpc": "2.0", "id": 1, "result": expected_logs},
                {"jsonrpc": "2.0", "id": "b", "result": "0xa"},
                {"jsonrpc": "2.0", "id": 3, "error": {
                    "code": -32601,
                    "message": "the method no_such_method does not exist/is not available"
                }},
            ])
        );
    }

    #[test]
    fn notifications_alone_get_no_reply_and_bad_bodies_a_null_id_error() {
        let chain = test_chain!(1);
        let only_notification = json!({"jsonrpc": "2.0", "method": "eth_chainId"});
        assert_eq!(reply(&chain, only_notification), None);
        let got = handle_body(&chain.ctx, b"{not json").map(|r| r.to_text());
        let got: Value = serde_json::from_str(&got.expect("a parse error is answered")).unwrap();
        assert_eq!(got["id"], Value::Null);
        assert_eq!(got["error"]["code"], -32700);
        let got = reply(&chain, json!([])).expect("an empty batch is answered");
        assert_eq!(got["error"]["code"], -32600);
    }

    fn request(id: u64, method: &str, params: Value) -> Value {
        json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})
    }

    #[test]
    fn the_public_ports_never_serve_engine_methods() {
        let chain = test_chain!(1);
        for method in [
            "engine_exchangeCapabilities",
            "engine_forkchoiceUpdatedV3",
            "engine_foo",
        ] {
            let got = reply(&chain, request(1, method, json!([]))).unwrap();
            assert_eq!(got["error"]["code"], METHOD_NOT_FOUND, "{method}: {got}");
        }
    }

    #[test]
    fn the_auth_port_serves_engine_methods_and_only_the_eth_subset() {
        let chain = test_chain!(3);
        // Every method of the subset answers as on the public port (its params may be wrong:
        // what matters is that it is not "method not found").
        for method in AUTH_ETH_METHODS {
            let got = reply_in(&chain, Namespace::Auth, request(1, method, json!([]))).unwrap();
            assert_ne!(got["error"]["code"], METHOD_NOT_FOUND, "{method}: {got}");
        }
        let got = reply_in(
            &chain,
            Namespace::Auth,
            request(1, "eth_chainId", json!([])),
        );
        let chain_id = chain.ok("eth_chainId", json!([]));
        assert_eq!(got.unwrap()["result"], chain_id);
        for method in [
            "eth_getBalance",
            "debug_traceBlockByNumber",
            "admin_nodeInfo",
            "nope",
        ] {
            let got = reply_in(&chain, Namespace::Auth, request(1, method, json!([]))).unwrap();
            assert_eq!(got["error"]["code"], METHOD_NOT_FOUND, "{method}: {got}");
        }
        // engine_* goes to the engine router: the same answer as calling it directly, a
        // result (not "method not found").
        let params = json!([["engine_newPayloadV4"]]);
        let direct = engine::call(&chain.ctx, "engine_exchangeCapabilities", params.clone());
        let routed = reply_in(
            &chain,
            Namespace::Auth,
            request(1, "engine_exchangeCapabilities", params),
        )
        .unwrap();
        assert_eq!(routed["result"], direct.unwrap(), "{routed}");
    }

    #[test]
    fn a_batch_on_the_auth_port_routes_each_request() {
        let chain = test_chain!(3);
        let batch = json!([
            request(1, "eth_blockNumber", json!([])),
            request(2, "eth_getBalance", json!(["0x00", "latest"])),
        ]);
        let got = reply_in(&chain, Namespace::Auth, batch).unwrap();
        assert_eq!(got[0]["result"], "0x3", "{got}");
        assert_eq!(got[1]["error"]["code"], METHOD_NOT_FOUND, "{got}");
    }
}
