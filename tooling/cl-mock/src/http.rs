//! A blocking JSON-RPC client over HTTP/1.1: one `TcpStream` per call (`Connection: close`), a
//! fresh JWT in `Authorization: Bearer` when the endpoint is authenticated, the response body
//! read by `Content-Length`, chunked transfer coding (geth's large answers) or to the end.
//!
//! No HTTP crate: the few lines here are all the CL mock needs, and every call is bounded by
//! the client's timeout (connect, write and each read).

use std::{
    io::{Read, Write},
    net::{SocketAddr, TcpStream, ToSocketAddrs},
    time::Duration,
};

use serde_json::{Value, json};

use crate::{Error, JwtSecret, Result};

/// How long one call may take unless told otherwise (a full block on a debug build included).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// A JSON-RPC endpoint: a node's public port (no secret) or its Engine API port.
#[derive(Debug, Clone)]
pub struct RpcClient {
    addr: SocketAddr,
    secret: Option<JwtSecret>,
    timeout: Duration,
}

impl RpcClient {
    /// A client of an unauthenticated port.
    pub fn new(addr: SocketAddr) -> Self {
        RpcClient {
            addr,
            secret: None,
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// A client of an authenticated (Engine API) port.
    pub fn authenticated(addr: SocketAddr, secret: JwtSecret) -> Self {
        RpcClient {
            secret: Some(secret),
            ..Self::new(addr)
        }
    }

    /// A client of `url` (`http://HOST:PORT`, a trailing `/` allowed).
    pub fn from_url(url: &str, secret: Option<JwtSecret>) -> Result<Self> {
        let addr = parse_url(url)?;
        Ok(RpcClient {
            secret,
            ..Self::new(addr)
        })
    }

    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Calls `method` with `params` (a JSON array) and returns its `result`.
    pub fn call(&self, method: &str, params: Value) -> Result<Value> {
        let transport = |reason: String| Error::Transport {
            endpoint: self.addr.to_string(),
            method: method.to_string(),
            reason,
        };
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let token = self.secret.map(|s| s.token_now()).transpose()?;
        let (status, text) = post(self.addr, &body.to_string(), token.as_deref(), self.timeout)
            .map_err(|e| transport(e.to_string()))?;
        let mut response: Value = serde_json::from_str(&text)
            .map_err(|e| transport(format!("HTTP {status}, not JSON ({e}): {text}")))?;
        let error = response["error"].take();
        if !error.is_null() {
            return Err(Error::Rpc {
                endpoint: self.addr.to_string(),
                method: method.to_string(),
                code: error["code"].as_i64().unwrap_or(0),
                message: error["message"].as_str().unwrap_or_default().to_string(),
            });
        }
        if status != 200 {
            return Err(transport(format!("HTTP {status}: {text}")));
        }
        Ok(response["result"].take())
    }

    /// `eth_sendRawTransaction` of `raw` (`0x`-hex, the network encoding); returns the hash.
    pub fn send_raw_transaction(&self, raw: &str) -> Result<Value> {
        self.call("eth_sendRawTransaction", json!([raw]))
    }

    /// `eth_getBlockByNumber(tag, false)`: `tag` is `latest`, `0x..` or another block tag.
    pub fn block_by_number(&self, tag: &str) -> Result<Value> {
        self.call("eth_getBlockByNumber", json!([tag, false]))
    }

    /// `eth_getBlockByHash(hash, false)`.
    pub fn block_by_hash(&self, hash: alloy_primitives::B256) -> Result<Value> {
        self.call("eth_getBlockByHash", json!([hash, false]))
    }
}

/// The socket address of `http://HOST:PORT` (the first address `HOST` resolves to).
pub fn parse_url(url: &str) -> Result<SocketAddr> {
    let bad = || Error::Endpoint(url.to_string());
    let rest = url.strip_prefix("http://").ok_or_else(bad)?;
    let host_port = rest.trim_end_matches('/');
    host_port
        .to_socket_addrs()
        .map_err(|_| bad())?
        .next()
        .ok_or_else(bad)
}

/// Posts `body` (JSON) to `/`; returns the HTTP status and the response body.
fn post(
    addr: SocketAddr,
    body: &str,
    token: Option<&str>,
    timeout: Duration,
) -> std::io::Result<(u16, String)> {
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\n{auth}Content-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut stream = TcpStream::connect_timeout(&addr, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    stream.write_all(request.as_bytes())?;
    let mut response = Vec::new();
    // A server may close without a clean shutdown after a complete response: keep what came.
    if let Err(e) = stream.read_to_end(&mut response)
        && response.is_empty()
    {
        return Err(e);
    }
    parse_response(&response)
}

/// The status and the body of a complete HTTP/1.1 response.
fn parse_response(response: &[u8]) -> std::io::Result<(u16, String)> {
    let bad = |what: &str| std::io::Error::other(format!("{what}: {:?}", lossy_head(response)));
    let split = find(response, b"\r\n\r\n").ok_or_else(|| bad("no end of headers"))?;
    let head = String::from_utf8_lossy(&response[..split]);
    let raw_body = &response[split + 4..];
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad("no status"))?;
    let header = |name: &str| {
        head.lines().skip(1).find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then(|| value.trim().to_ascii_lowercase())
        })
    };
    let body = if header("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
        dechunk(raw_body).ok_or_else(|| bad("malformed chunked body"))?
    } else if let Some(length) = header("content-length").and_then(|v| v.parse::<usize>().ok()) {
        raw_body
            .get(..length)
            .ok_or_else(|| bad("body shorter than its Content-Length"))?
            .to_vec()
    } else {
        raw_body.to_vec()
    };
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}

/// The body of a chunked transfer coding (chunk extensions and trailers ignored).
fn dechunk(mut raw: &[u8]) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line_end = find(raw, b"\r\n")?;
        let size_text = String::from_utf8_lossy(&raw[..line_end]);
        let size_text = size_text.split(';').next()?.trim();
        let size = usize::from_str_radix(size_text, 16).ok()?;
        raw = &raw[line_end + 2..];
        if size == 0 {
            return Some(body);
        }
        body.extend_from_slice(raw.get(..size)?);
        raw = raw.get(size + 2..)?;
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn lossy_head(response: &[u8]) -> String {
    String::from_utf8_lossy(&response[..response.len().min(200)]).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn responses_are_read_by_length_by_chunks_or_to_the_end() {
        let by_length = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokXX";
        assert_eq!(parse_response(by_length).unwrap(), (200, "ok".into()));
        let chunked =
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n";
        assert_eq!(parse_response(chunked).unwrap(), (200, "abcde".into()));
        let to_end = b"HTTP/1.1 401 Unauthorized\r\n\r\nno token";
        assert_eq!(parse_response(to_end).unwrap(), (401, "no token".into()));
        assert!(parse_response(b"HTTP/1.1 200 OK\r\n").is_err());
        assert!(parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nshort").is_err());
    }

    #[test]
    fn urls_are_http_host_port() {
        assert_eq!(
            parse_url("http://127.0.0.1:8551/").unwrap(),
            "127.0.0.1:8551".parse().unwrap()
        );
        assert!(parse_url("localhost:8551").is_err());
        assert!(parse_url("http://127.0.0.1").is_err());
    }
}
