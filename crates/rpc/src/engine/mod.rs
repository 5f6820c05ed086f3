//! The Engine API (execution-apis `src/engine`): the `engine_*` methods a consensus client
//! drives the node with, served only on the authenticated port.

use serde_json::Value;

use crate::{RpcContext, RpcError};

/// The Engine API's state between calls: payload build processes, blocks found invalid, the
/// sync hand-off.
#[derive(Debug, Default)]
pub struct Engine {}

/// Runs the Engine API method `method` (`engine_*`) with `params` (a JSON array).
pub fn call(_ctx: &RpcContext, method: &str, _params: Value) -> Result<Value, RpcError> {
    Err(RpcError::method_not_found(method))
}
