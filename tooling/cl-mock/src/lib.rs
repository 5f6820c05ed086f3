//! A consensus-layer mock: drives execution clients (ethrex, geth, ethereumjs) through the
//! Engine API as a beacon node would — `forkchoiceUpdated` with payload attributes →
//! `getPayload` → `newPayload` → `forkchoiceUpdated` — with nothing of a beacon chain but the
//! attributes, for tests, cross-client checks and driving a local node by hand (`cl-mock`).
//!
//! Where to start reading: [`ClMock`] (`mock.rs`: the block cycle, reorgs, method versions),
//! then [`Built`] and [`Attributes`] (`payload.rs`: what the calls carry), [`blobs`] (the c-kzg
//! checks of a blobs bundle), [`RpcClient`] (`http.rs`: blocking JSON-RPC over HTTP/1.1) and
//! [`JwtSecret`] (`jwt.rs`).
//!
//! Invariants: every call is bounded in time (the client's timeout); every error names the
//! node's address and the method; payloads travel as the JSON the builder returned.

pub mod blobs;
mod error;
mod http;
mod jwt;
mod mock;
mod payload;

pub use error::{Error, Result};
pub use http::{DEFAULT_TIMEOUT, RpcClient, parse_url};
pub use jwt::{JwtSecret, now_secs};
pub use mock::{ClMock, DEFAULT_BUILD_TIME, Schedule};
pub use payload::{Attributes, Built, Head, PayloadStatus, Versions, quantity};
