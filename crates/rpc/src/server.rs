//! The HTTP and WebSocket servers (axum on tokio). HTTP: `POST /` with a JSON-RPC body (one
//! request or a batch), bodies above [`MAX_BODY`] refused with 413, CORS for the configured
//! origins. WebSocket: the same methods, plus `eth_subscribe`/`eth_unsubscribe` (`ws.rs`).
//! Both serve the public namespace ([`Namespace::Public`]: no `engine_*`).
//!
//! The Engine API server ([`start_auth`]) listens on its own port: `POST /` as above, no CORS,
//! and every request must carry a valid JWT (`auth/`) — checked before the body is read, a
//! refusal is HTTP 401 with the reason as plain text. It serves [`Namespace::Auth`].
//!
//! Methods run off the async scheduler ([`run_blocking`]: they read the database).

use std::{net::SocketAddr, sync::Arc};

use axum::{
    Router,
    body::Bytes,
    extract::{DefaultBodyLimit, Request, State, WebSocketUpgrade},
    http::{HeaderValue, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use tokio::net::TcpListener;
use tower_http::cors::{AllowOrigin, Any, CorsLayer};

use crate::{
    RpcContext, ServerError,
    auth::{JwtSecret, now_secs},
    dispatch::{self, Namespace},
    ws,
};

/// Largest request body accepted (geth's limit).
pub const MAX_BODY: usize = 5 * 1024 * 1024;

/// Where to serve.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub http: SocketAddr,
    /// The WebSocket address, when enabled.
    pub ws: Option<SocketAddr>,
    /// Allowed CORS origins (`*` for any); empty: no CORS headers.
    pub cors_origins: Vec<String>,
}

/// Where to serve the Engine API, and the secret its tokens are signed with.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    pub addr: SocketAddr,
    pub secret: JwtSecret,
}

/// The running servers' bound addresses (the ports chosen when 0 was asked).
#[derive(Debug, Clone, Copy)]
pub struct RunningServers {
    pub http: SocketAddr,
    pub ws: Option<SocketAddr>,
}

/// Binds the servers and serves them on the current tokio runtime until it shuts down.
pub async fn start(ctx: RpcContext, config: ServerConfig) -> Result<RunningServers, ServerError> {
    let ctx = Arc::new(ctx);
    let http_app = Router::new()
        .route("/", post(http_handler))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(cors(&config.cors_origins))
        .with_state(Arc::clone(&ctx));
    let http = bind(config.http).await?;
    let http_addr = http.local_addr()?;
    tokio::spawn(async move {
        if let Err(e) = axum::serve(http, http_app).await {
            tracing::error!("HTTP server stopped: {e}");
        }
    });
    let ws_addr = match config.ws {
        None => None,
        Some(addr) => {
            let app = Router::new()
                .route("/", get(ws_handler))
                .with_state(Arc::clone(&ctx));
            let listener = bind(addr).await?;
            let bound = listener.local_addr()?;
            tokio::spawn(async move {
                if let Err(e) = axum::serve(listener, app).await {
                    tracing::error!("WebSocket server stopped: {e}");
                }
            });
            Some(bound)
        }
    };
    Ok(RunningServers {
        http: http_addr,
        ws: ws_addr,
    })
}

/// Binds the authenticated Engine API server and serves it on the current tokio runtime until
/// it shuts down; returns its bound address. `ctx` may be a clone of the one given to
/// [`start`]: the two servers then share the node's state.
pub async fn start_auth(ctx: RpcContext, config: AuthConfig) -> Result<SocketAddr, ServerError> {
    let app = Router::new()
        .route("/", post(auth_handler))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(middleware::from_fn_with_state(
            Arc::new(config.secret),
            require_jwt,
        ))
        .with_state(Arc::new(ctx));
    let listener = bind(config.addr).await?;
    let bound = listener.local_addr()?;
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!("Engine API server stopped: {e}");
        }
    });
    Ok(bound)
}

async fn bind(addr: SocketAddr) -> Result<TcpListener, ServerError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| ServerError::Bind { addr, source })
}

fn cors(origins: &[String]) -> CorsLayer {
    let layer = CorsLayer::new()
        .allow_methods([axum::http::Method::POST, axum::http::Method::GET])
        .allow_headers([header::CONTENT_TYPE]);
    if origins.iter().any(|o| o == "*") {
        return layer.allow_origin(Any);
    }
    let list: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    layer.allow_origin(AllowOrigin::list(list))
}

/// Lets a request through only with a valid `Authorization: Bearer <JWT>` header; otherwise
/// answers 401 with the reason.
async fn require_jwt(
    State(secret): State<Arc<JwtSecret>>,
    request: Request,
    next: Next,
) -> Response {
    let header = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok());
    match secret.check_authorization(header, now_secs()) {
        Ok(()) => next.run(request).await,
        Err(e) => (StatusCode::UNAUTHORIZED, e.to_string()).into_response(),
    }
}

async fn http_handler(State(ctx): State<Arc<RpcContext>>, body: Bytes) -> Response {
    answer(ctx, Namespace::Public, body).await
}

async fn auth_handler(State(ctx): State<Arc<RpcContext>>, body: Bytes) -> Response {
    answer(ctx, Namespace::Auth, body).await
}

/// The HTTP response to a JSON-RPC `body` on a port serving `namespace`.
async fn answer(ctx: Arc<RpcContext>, namespace: Namespace, body: Bytes) -> Response {
    // The response is serialized on the blocking pool too (an `eth_getLogs` answer can be
    // megabytes).
    let result = run_blocking(move || {
        dispatch::handle_body_in(&ctx, namespace, &body).map(|reply| reply.to_bytes())
    })
    .await;
    match result {
        Ok(Some(json)) => ([(header::CONTENT_TYPE, "application/json")], json).into_response(),
        Ok(None) => StatusCode::OK.into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

async fn ws_handler(State(ctx): State<Arc<RpcContext>>, upgrade: WebSocketUpgrade) -> Response {
    upgrade
        .max_message_size(MAX_BODY)
        .on_upgrade(move |socket| ws::serve(ctx, socket))
}

/// Runs `job` — a request: usually microseconds, at worst a long call or trace — without
/// stalling the async scheduler. On the multi-threaded runtime (the node's) the current worker
/// runs it in place and hands its other tasks to another thread, so no thread switch lies on
/// the request's path (measured: `eth_call` round trips 15% shorter than through the blocking
/// pool); on any other runtime it goes to the blocking pool.
pub(crate) async fn run_blocking<T, F>(job: F) -> Result<T, tokio::task::JoinError>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    match tokio::runtime::Handle::current().runtime_flavor() {
        tokio::runtime::RuntimeFlavor::MultiThread => Ok(tokio::task::block_in_place(job)),
        _ => tokio::task::spawn_blocking(job).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runtime(multi_thread: bool) -> tokio::runtime::Runtime {
        let mut builder = if multi_thread {
            tokio::runtime::Builder::new_multi_thread()
        } else {
            tokio::runtime::Builder::new_current_thread()
        };
        builder.enable_all().build().unwrap()
    }

    #[test]
    fn run_blocking_runs_the_job_on_either_runtime_flavor() {
        for multi_thread in [true, false] {
            let got = runtime(multi_thread).block_on(async {
                // Inside a spawned task, as a request handler runs.
                tokio::spawn(run_blocking(|| 6 * 7)).await.unwrap()
            });
            assert_eq!(got.unwrap(), 42, "multi_thread: {multi_thread}");
        }
    }
}
