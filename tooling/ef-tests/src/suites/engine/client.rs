//! A JSON-RPC client for the node's authenticated port: HTTP/1.1 over one `TcpStream` per call
//! (`Connection: close`, the body read to the end), each request carrying a fresh HS256 JWT
//! (`{"iat": now}`, as the Engine API's authentication requires) in `Authorization: Bearer`.
//!
//! The JWT is built here (HMAC-SHA256 over ethrex-crypto's SHA-256, base64url without padding)
//! so that the runner needs no HTTP or JWT crate. Every call is bounded by [`CALL_TIMEOUT`].

use std::{
    io::{Read, Write},
    net::{SocketAddr, TcpStream},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use ethrex_crypto::hash::sha256;
use serde_json::{Value, json};

/// How long one call may take (a block of 30M gas on a debug build included).
const CALL_TIMEOUT: Duration = Duration::from_secs(120);

/// What a call can end with besides a result.
#[derive(Debug)]
pub(super) enum CallError {
    /// The node answered with a JSON-RPC error object.
    Rpc(Value),
    /// No JSON-RPC answer: connection, HTTP status or JSON problem.
    Transport(String),
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallError::Rpc(error) => write!(f, "JSON-RPC error {error}"),
            CallError::Transport(reason) => f.write_str(reason),
        }
    }
}

/// A client of one node's authenticated port.
#[derive(Debug, Clone)]
pub(super) struct AuthClient {
    pub(super) addr: SocketAddr,
    pub(super) secret: [u8; 32],
}

impl AuthClient {
    /// Calls `method` with `params` (a JSON array) and returns its `result`.
    pub(super) fn call(&self, method: &str, params: Value) -> Result<Value, CallError> {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let token = jwt(&self.secret, now_secs());
        let (status, text) = post(self.addr, &body.to_string(), &token)
            .map_err(|e| CallError::Transport(format!("{method}: {e}")))?;
        let mut response: Value = serde_json::from_str(&text).map_err(|e| {
            CallError::Transport(format!("{method}: HTTP {status}, not JSON ({e}): {text}"))
        })?;
        if !response["error"].is_null() {
            return Err(CallError::Rpc(response["error"].take()));
        }
        if status != 200 {
            return Err(CallError::Transport(format!(
                "{method}: HTTP {status}: {text}"
            )));
        }
        Ok(response["result"].take())
    }
}

/// Posts `body` with the bearer `token`; returns the HTTP status and the response body.
fn post(addr: SocketAddr, body: &str, token: &str) -> std::io::Result<(u16, String)> {
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut stream = TcpStream::connect_timeout(&addr, CALL_TIMEOUT)?;
    stream.set_read_timeout(Some(CALL_TIMEOUT))?;
    stream.set_write_timeout(Some(CALL_TIMEOUT))?;
    stream.write_all(request.as_bytes())?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let response = String::from_utf8_lossy(&response);
    let (head, body) = response
        .split_once("\r\n\r\n")
        .ok_or_else(|| std::io::Error::other(format!("not an HTTP response: {response:?}")))?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    Ok((status, body.to_string()))
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// An HS256 JWT whose only claim is `iat`.
pub(super) fn jwt(secret: &[u8], iat: u64) -> String {
    let header = base64url(br#"{"alg":"HS256","typ":"JWT"}"#);
    let claims = base64url(format!(r#"{{"iat":{iat}}}"#).as_bytes());
    let signing_input = format!("{header}.{claims}");
    let signature = base64url(&hmac_sha256(secret, signing_input.as_bytes()));
    format!("{signing_input}.{signature}")
}

/// HMAC-SHA256 (RFC 2104) of `message` under `key`.
fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut block_key = [0u8; BLOCK];
    if key.len() > BLOCK {
        block_key[..32].copy_from_slice(&sha256(key));
    } else {
        block_key[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block_key.iter().map(move |k| k ^ byte);
    let mut inner: Vec<u8> = pad(0x36).collect();
    inner.extend_from_slice(message);
    let mut outer: Vec<u8> = pad(0x5c).collect();
    outer.extend_from_slice(&sha256(&inner));
    sha256(&outer)
}

/// Base64url without padding (RFC 4648 §5), as JWTs use.
fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        // A chunk of k bytes gives k + 1 six-bit digits.
        for digit in 0..=chunk.len() {
            let index = (n >> (18 - 6 * digit)) & 0x3f;
            out.push(char::from(ALPHABET[index as usize]));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_sha256_matches_rfc_4231() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            alloy_primitives::hex::encode(mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // A key longer than the block is hashed first (RFC 4231 case 6).
        let mac = hmac_sha256(
            &[0xaa; 131],
            b"Test Using Larger Than Block-Size Key - Hash Key First",
        );
        assert_eq!(
            alloy_primitives::hex::encode(mac),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn base64url_has_no_padding() {
        assert_eq!(base64url(b""), "");
        assert_eq!(base64url(b"f"), "Zg");
        assert_eq!(base64url(b"fo"), "Zm8");
        assert_eq!(base64url(b"foo"), "Zm9v");
        assert_eq!(base64url(&[0xfb, 0xff]), "-_8");
    }

    #[test]
    fn jwt_has_the_hs256_header_and_the_iat_claim() {
        let token = jwt(&[7; 32], 1_700_000_000);
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[0], base64url(br#"{"alg":"HS256","typ":"JWT"}"#));
        assert_eq!(parts[1], base64url(br#"{"iat":1700000000}"#));
        let signed = format!("{}.{}", parts[0], parts[1]);
        assert_eq!(
            parts[2],
            base64url(&hmac_sha256(&[7; 32], signed.as_bytes()))
        );
    }
}
