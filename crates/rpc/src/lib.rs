//! # ethrex-rpc
//!
//! JSON-RPC 2.0 for ethrex over HTTP and WebSocket, geth-compatible JSON.
//!
//! Where to start reading: `server.rs` (the axum servers, limits, CORS, the authenticated
//! Engine API port), `auth/` (its JWT secret and tokens), `dispatch.rs` (request/batch framing,
//! which port serves which methods, error objects), `methods/mod.rs` (the method table; one
//! module per theme), `context.rs` ([`RpcContext`]: store, chain, mempool, event channels),
//! `types.rs` and `logs.rs` (the JSON of blocks, transactions, logs), `ws.rs` (subscriptions).
//!
//! Guarantees: every request gets a JSON-RPC answer with geth's error codes (-32700 parse,
//! -32600 invalid request, -32601 unknown method, -32602 invalid params, -32000 server, 3
//! reverted); a bad request never stops the server. The public ports never serve `engine_*`;
//! the Engine API port serves nothing without a valid JWT (HTTP 401).

pub mod auth;
pub mod context;
pub mod dispatch;
pub mod engine;
mod error;
pub mod logs;
pub mod methods;
pub mod server;
pub mod types;
mod ws;

pub use auth::{JwtError, JwtSecret, SecretOrigin};
pub use context::{
    Events, ExtraMethods, NewHead, NodeIdentity, PeerInfo, PeerView, RpcContext, SyncReport,
    SyncView,
};
pub use error::{RpcError, ServerError};
pub use server::{AuthConfig, RunningServers, ServerConfig, start, start_auth};
