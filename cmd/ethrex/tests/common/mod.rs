//! Helpers shared by the binary's integration tests: run `ethrex`, read its output, find the
//! execution-apis fixtures.

#![allow(dead_code, reason = "each test binary uses a different subset")]
#![allow(clippy::panic, reason = "test helpers: a failed step aborts the test")]

use std::process::{Command, Output};

pub fn ethrex(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ethrex"))
        .args(args)
        .env_clear()
        .output()
        .expect("run the ethrex binary")
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn execution_apis(file: &str) -> String {
    format!(
        "{}/../../../shared/fixtures/execution-apis/tests/{file}",
        env!("CARGO_MANIFEST_DIR")
    )
}

pub fn import(datadir: &str, file: &str) -> Output {
    ethrex(&[
        "--datadir",
        datadir,
        "--network",
        &execution_apis("genesis.json"),
        "import",
        file,
    ])
}

/// A running `ethrex` node, killed when dropped.
pub struct Node {
    pub child: std::process::Child,
    pub http: std::net::SocketAddr,
    pub ws: Option<std::net::SocketAddr>,
    /// Everything the node logged so far (stderr), line by line.
    pub log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Node {
    /// Starts `ethrex <args> --http.port 0 [--ws.port 0]` and waits (at most 60 s) for its
    /// servers' addresses in the log.
    pub fn start(args: &[&str]) -> Node {
        use std::io::BufRead;
        let mut child = Command::new(env!("CARGO_BIN_EXE_ethrex"))
            .args(args)
            .args(["--http.addr", "127.0.0.1", "--http.port", "0"])
            .args([
                "--ws.addr",
                "127.0.0.1",
                "--ws.port",
                "0",
                "--log.color",
                "never",
            ])
            .env_clear()
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn ethrex");
        let stderr = child.stderr.take().expect("piped stderr");
        let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let sink = std::sync::Arc::clone(&log);
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr)
                .lines()
                .map_while(Result::ok)
            {
                let _ = tx.send(line.clone());
                sink.lock().expect("log lock").push(line);
            }
        });
        let wants_ws = args.contains(&"--ws.enabled");
        let (mut http, mut ws) = (None, None);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while http.is_none() || (wants_ws && ws.is_none()) {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let line = match rx.recv_timeout(left) {
                Ok(line) => line,
                Err(_) => {
                    let _ = child.kill();
                    panic!("the node did not start: {:?}", log.lock().expect("log"));
                }
            };
            if let Some(addr) = line.split("http://").nth(1) {
                http = addr.trim().parse().ok();
            }
            if let Some(addr) = line.split("ws://").nth(1) {
                ws = addr.trim().parse().ok();
            }
        }
        Node {
            child,
            http: http.expect("http address"),
            ws,
            log,
        }
    }

    /// Posts `body` to the HTTP server; returns the status code and the response body.
    pub fn post(&self, body: &str) -> (u16, String) {
        http_post(self.http, body)
    }

    /// Calls `method` with `params` and returns the response JSON.
    pub fn call(&self, method: &str, params: serde_json::Value) -> serde_json::Value {
        let body =
            serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let (status, text) = self.post(&body.to_string());
        assert_eq!(status, 200, "{text}");
        serde_json::from_str(&text).expect("JSON response")
    }

    /// The result of a call that must succeed.
    pub fn result(&self, method: &str, params: serde_json::Value) -> serde_json::Value {
        let response = self.call(method, params);
        assert!(response["error"].is_null(), "{method}: {response}");
        response["result"].clone()
    }

    /// The metrics endpoint's address, from the `metrics on http://ADDR/metrics` log line
    /// (logged before the RPC servers' lines, so already read when `start` returns).
    pub fn metrics_addr(&self) -> std::net::SocketAddr {
        let log = self.log.lock().expect("log");
        log.iter()
            .find_map(|line| {
                let rest = line.split("metrics on http://").nth(1)?;
                rest.trim().trim_end_matches("/metrics").parse().ok()
            })
            .unwrap_or_else(|| panic!("no metrics address in the log: {log:?}"))
    }

    /// Sends SIGTERM and waits (at most 30 s) for the exit status.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().expect("poll node") {
                return status;
            }
            if std::time::Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("the node did not stop on SIGTERM");
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A minimal HTTP/1.1 POST (tests must not depend on an HTTP client crate's behaviour).
pub fn http_post(addr: std::net::SocketAddr, body: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .expect("timeout");
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    // The server may answer (413) and close before reading an oversized body.
    let _ = stream.write_all(request.as_bytes());
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    status_and_body(&response)
}

/// The status code (0 if none) and the body of an HTTP/1.1 response.
fn status_and_body(response: &str) -> (u16, String) {
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

/// A transfer of `value` wei from dev account 0 to `0xaa…aa` (fee cap 2 gwei, tip 1 gwei),
/// signed, as `eth_sendRawTransaction` takes it.
pub fn dev_transfer(nonce: u64, value: u64) -> String {
    use alloy_primitives::{Address, TxKind, U256};
    use ethrex_common::types::{Eip1559Tx, Transaction};
    const GWEI: u64 = 1_000_000_000;
    let mut tx = Transaction::Eip1559(Eip1559Tx {
        chain_id: ethrex_common::dev::DEV_CHAIN_ID,
        nonce,
        max_priority_fee_per_gas: U256::from(GWEI),
        max_fee_per_gas: U256::from(2 * GWEI),
        gas_limit: 21_000,
        to: TxKind::Call(Address::repeat_byte(0xaa)),
        value: U256::from(value),
        ..Default::default()
    });
    let secret = ethrex_common::dev::dev_accounts().expect("dev keys")[0].secret;
    let sig = ethrex_crypto::sign_hash(&tx.signature_hash(), &secret).expect("sign");
    if let Transaction::Eip1559(t) = &mut tx {
        (t.r, t.s, t.y_parity) = (sig.r, sig.s, sig.y_parity);
    }
    format!("0x{}", alloy_primitives::hex::encode(tx.encode_network()))
}

/// A minimal HTTP/1.1 GET of `path`; returns the status code and the response body.
pub fn http_get(addr: std::net::SocketAddr, path: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .expect("timeout");
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .expect("send the request");
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .expect("read the response");
    status_and_body(&response)
}

/// A WebSocket connection to a node (`tungstenite`'s blocking client).
pub type WsClient =
    tungstenite::WebSocket<tungstenite::stream::MaybeTlsStream<std::net::TcpStream>>;

/// Connects to the WebSocket server at `addr`; reads time out after 30 s.
pub fn ws_connect(addr: std::net::SocketAddr) -> WsClient {
    let (socket, _) = tungstenite::connect(format!("ws://{addr}")).expect("WebSocket handshake");
    if let tungstenite::stream::MaybeTlsStream::Plain(stream) = socket.get_ref() {
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(30)))
            .expect("timeout");
    }
    socket
}

/// Sends `request` and returns the next message that is not a subscription notification.
pub fn ws_call(socket: &mut WsClient, request: serde_json::Value) -> serde_json::Value {
    socket
        .send(tungstenite::Message::text(request.to_string()))
        .expect("send over WebSocket");
    loop {
        let message = ws_next(socket);
        if message["method"] != "eth_subscription" {
            return message;
        }
    }
}

/// The next JSON message of `socket` (panics after the 30 s read timeout).
pub fn ws_next(socket: &mut WsClient) -> serde_json::Value {
    loop {
        match socket.read().expect("read from WebSocket") {
            tungstenite::Message::Text(text) => {
                return serde_json::from_str(text.as_str()).expect("JSON message");
            }
            tungstenite::Message::Close(_) => panic!("the WebSocket closed"),
            _ => continue,
        }
    }
}

/// Calls `check` every 50 ms until it returns `Some`, for at most `timeout`.
pub fn wait_for<T>(
    timeout: std::time::Duration,
    what: &str,
    mut check: impl FnMut() -> Option<T>,
) -> T {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        if let Some(value) = check() {
            return value;
        }
        if std::time::Instant::now() > deadline {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}
