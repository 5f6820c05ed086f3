//! [`RpcError`]: a JSON-RPC error object (code, message, optional data), with the codes geth
//! uses; and the crate's internal error type for server setup.

use serde_json::Value;

/// A JSON-RPC 2.0 error, as sent to the client.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message} (code {code})")]
pub struct RpcError {
    pub code: i64,
    pub message: String,
    pub data: Option<Value>,
}

impl RpcError {
    /// -32700: the body is not JSON.
    pub fn parse(message: impl Into<String>) -> Self {
        Self::new(-32700, message)
    }
    /// -32600: JSON, but not a JSON-RPC request.
    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self::new(-32600, message)
    }
    /// -32601: no such method.
    pub fn method_not_found(method: &str) -> Self {
        Self::new(
            -32601,
            format!("the method {method} does not exist/is not available"),
        )
    }
    /// -32602: wrong parameters.
    pub fn invalid_params(message: impl Into<String>) -> Self {
        Self::new(-32602, message)
    }
    /// -32000: the request was understood but cannot be served (geth's generic server error).
    pub fn server(message: impl Into<String>) -> Self {
        Self::new(-32000, message)
    }
    /// -32603: a failure inside the node.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(-32603, message)
    }
    /// 3: execution reverted, with the revert data.
    pub fn reverted(message: impl Into<String>, data: alloy_primitives::Bytes) -> Self {
        Self {
            code: 3,
            message: message.into(),
            data: Some(Value::String(data.to_string())),
        }
    }

    pub fn new(code: i64, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            data: None,
        }
    }

    /// The error object's JSON.
    pub fn to_json(&self) -> Value {
        let mut object = serde_json::json!({ "code": self.code, "message": self.message });
        if let (Some(data), Some(map)) = (&self.data, object.as_object_mut()) {
            map.insert("data".into(), data.clone());
        }
        object
    }
}

impl From<ethrex_storage::StoreError> for RpcError {
    fn from(e: ethrex_storage::StoreError) -> Self {
        RpcError::internal(e.to_string())
    }
}

/// Errors starting or running the servers.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("server error: {0}")]
    Io(#[from] std::io::Error),
}
