//! A minimal JSON-RPC 2.0 client over HTTP/1.1 on one keep-alive `TcpStream`, the same code for
//! both nodes: `POST /` with a `Content-Length` body, a response read by `Content-Length` or
//! chunked encoding. Single requests ([`Client::call`]) and batches ([`Client::batch`], the
//! results in request order whatever order the node answers in).
//!
//! Requests are sent one at a time, head and body in one write: each waits for its response, so
//! [`Client::timed_call`] measures one round trip through the node's HTTP stack and method.

use std::{
    io::{BufRead, BufReader, Write},
    net::{SocketAddr, TcpStream},
    time::{Duration, Instant},
};

use serde_json::{Value, json};

/// How long a response may take before the request fails.
const READ_TIMEOUT: Duration = Duration::from_secs(120);

/// A connection to one node's HTTP JSON-RPC endpoint.
pub struct Client {
    addr: SocketAddr,
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    next_id: u64,
    /// The Engine API's JWT secret: each request then carries a fresh HS256 token.
    jwt_secret: Option<[u8; 32]>,
}

impl Client {
    /// Opens a connection to `addr`.
    pub fn connect(addr: SocketAddr) -> Result<Client, String> {
        let writer = TcpStream::connect(addr).map_err(|e| format!("connect to {addr}: {e}"))?;
        writer
            .set_nodelay(true)
            .and_then(|()| writer.set_read_timeout(Some(READ_TIMEOUT)))
            .map_err(|e| format!("configure socket to {addr}: {e}"))?;
        let reader = writer
            .try_clone()
            .map_err(|e| format!("clone socket to {addr}: {e}"))?;
        Ok(Client {
            addr,
            reader: BufReader::new(reader),
            writer,
            next_id: 1,
            jwt_secret: None,
        })
    }

    /// Sends `Authorization: Bearer <token>` with each request, the token signed with `secret`
    /// and issued at the time of the request (the Engine API's port).
    pub fn with_jwt(mut self, secret: [u8; 32]) -> Client {
        self.jwt_secret = Some(secret);
        self
    }

    /// Calls `method` with `params`; its result, or the node's error as a message.
    pub fn call(&mut self, method: &str, params: Value) -> Result<Value, String> {
        self.timed_call(method, params).map(|(result, _)| result)
    }

    /// [`Client::call`], with the time from sending the request to having the whole response
    /// body: the node's time plus the transfer, without this client's encoding and parsing.
    pub fn timed_call(&mut self, method: &str, params: Value) -> Result<(Value, Duration), String> {
        let id = self.next_id;
        self.next_id += 1;
        let request = json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params });
        let (response, elapsed) = self.post(&request)?;
        Ok((result_of(method, response)?, elapsed))
    }

    /// Calls `method` once per entry of `params` in one batch; the results in that order. Fails
    /// on the first error response.
    pub fn batch(&mut self, method: &str, params: Vec<Value>) -> Result<Vec<Value>, String> {
        let first_id = self.next_id;
        let count = params.len();
        let requests: Vec<Value> = params
            .into_iter()
            .enumerate()
            .map(|(i, params)| {
                let id = first_id + i as u64;
                json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params })
            })
            .collect();
        self.next_id += count as u64;
        let (Value::Array(responses), _) = self.post(&Value::Array(requests))? else {
            return Err(format!("{method}: a batch was not answered with an array"));
        };
        let mut results = vec![Value::Null; count];
        for response in responses {
            let index = response
                .get("id")
                .and_then(Value::as_u64)
                .and_then(|id| id.checked_sub(first_id))
                .and_then(|i| usize::try_from(i).ok())
                .filter(|&i| i < count)
                .ok_or_else(|| {
                    format!("{method}: batch response with an unknown id: {response}")
                })?;
            results[index] = result_of(method, response)?;
        }
        Ok(results)
    }

    /// Sends one HTTP request with `body`; the parsed response body, and the time from the
    /// first byte sent to the last byte received.
    fn post(&mut self, body: &Value) -> Result<(Value, Duration), String> {
        let body = body.to_string();
        let auth = match &self.jwt_secret {
            Some(secret) => format!("Authorization: Bearer {}\r\n", jwt_token(secret)?),
            None => String::new(),
        };
        let mut request = format!(
            "POST / HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n{auth}Content-Length: {}\r\n\r\n",
            self.addr,
            body.len()
        );
        request.push_str(&body);
        let addr = self.addr;
        let started = Instant::now();
        self.writer
            .write_all(request.as_bytes())
            .map_err(|e| format!("HTTP to {addr}: {e}"))?;
        let response = read_response(&mut self.reader).map_err(|e| format!("{addr}: {e}"))?;
        let elapsed = started.elapsed();
        let value = serde_json::from_slice(&response).map_err(|e| {
            let text = String::from_utf8_lossy(&response);
            format!("{addr}: response is not JSON ({e}): {text:.200}")
        })?;
        Ok((value, elapsed))
    }
}

/// An HS256 token with `iat` = now, signed with `secret`.
fn jwt_token(secret: &[u8; 32]) -> Result<String, String> {
    let iat = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|e| e.to_string())?
        .as_secs();
    let key = jsonwebtoken::EncodingKey::from_secret(secret).map_err(|e| e.to_string())?;
    let header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    jsonwebtoken::encode(&header, &json!({ "iat": iat }), &key).map_err(|e| e.to_string())
}

/// The `result` of a response, or its `error` as a message.
fn result_of(method: &str, mut response: Value) -> Result<Value, String> {
    if let Some(error) = response.get("error") {
        return Err(format!("{method}: {error}"));
    }
    match response.get_mut("result") {
        Some(result) => Ok(result.take()),
        None => Err(format!("{method}: response without result: {response}")),
    }
}

/// Reads one HTTP/1.1 response and returns its body; fails on a status other than 200.
fn read_response(reader: &mut impl BufRead) -> Result<Vec<u8>, String> {
    let mut line = String::new();
    let io = |e: std::io::Error| e.to_string();
    if reader.read_line(&mut line).map_err(io)? == 0 {
        return Err("connection closed before a response".into());
    }
    let status = line.trim_end().to_string();
    if status.split_whitespace().nth(1) != Some("200") {
        return Err(format!("HTTP status {status:?}"));
    }
    let (mut length, mut chunked) = (None, false);
    loop {
        line.clear();
        reader.read_line(&mut line).map_err(io)?;
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        let Some((name, value)) = header.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            length = Some(value.parse::<usize>().map_err(|e| e.to_string())?);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = value.eq_ignore_ascii_case("chunked");
        }
    }
    if chunked {
        return read_chunked(reader);
    }
    let length = length.ok_or("response without Content-Length")?;
    let mut body = vec![0; length];
    reader.read_exact(&mut body).map_err(io)?;
    Ok(body)
}

/// Reads a chunked body: hexadecimal sizes, each chunk followed by CRLF, ending at size 0.
fn read_chunked(reader: &mut impl BufRead) -> Result<Vec<u8>, String> {
    let io = |e: std::io::Error| e.to_string();
    let mut body = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        reader.read_line(&mut line).map_err(io)?;
        let size = line.trim_end().split(';').next().unwrap_or_default();
        let size = usize::from_str_radix(size, 16).map_err(|e| format!("chunk size: {e}"))?;
        if size == 0 {
            // Trailers, if any, end with an empty line.
            loop {
                line.clear();
                if reader.read_line(&mut line).map_err(io)? == 0 || line.trim_end().is_empty() {
                    return Ok(body);
                }
            }
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader.read_exact(&mut body[start..]).map_err(io)?;
        line.clear();
        reader.read_line(&mut line).map_err(io)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_content_length_and_a_chunked_response() {
        let plain = b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello";
        assert_eq!(read_response(&mut &plain[..]).unwrap(), b"hello");
        let chunked =
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhel\r\n2\r\nlo\r\n0\r\n\r\n";
        assert_eq!(read_response(&mut &chunked[..]).unwrap(), b"hello");
        let refused = b"HTTP/1.1 413 Payload Too Large\r\ncontent-length: 0\r\n\r\n";
        assert!(read_response(&mut &refused[..]).is_err());
    }

    #[test]
    fn an_error_response_is_an_error_and_a_result_is_taken() {
        let ok = json!({ "jsonrpc": "2.0", "id": 1, "result": "0x539" });
        assert_eq!(result_of("eth_chainId", ok).unwrap(), json!("0x539"));
        let err = json!({ "jsonrpc": "2.0", "id": 1, "error": { "code": -32000, "message": "x" } });
        assert!(
            result_of("eth_chainId", err)
                .unwrap_err()
                .contains("-32000")
        );
    }
}
