//! The `ethrex` binary under test: run as a command ([`Binary::run`]) or started as a node
//! ([`Node`], killed when dropped), with plain HTTP/1.1 clients ([`http_post`], [`http_get`]) so
//! the tests do not depend on an HTTP client crate's behaviour, and Engine API tokens
//! ([`jwt_token`], [`Node::engine_call`]).
//!
//! A [`Node`] reads its servers' addresses from the log lines `HTTP JSON-RPC on http://ADDR`,
//! `WebSocket JSON-RPC on ws://ADDR` and `Engine API on http://ADDR`, matched by prefix.
//!
//! The binary's path comes from the test: `env!("CARGO_BIN_EXE_ethrex")` exists only in the
//! `ethrex` package's own tests.

use std::{
    ffi::OsStr,
    io::{BufRead, Read, Write},
    net::{SocketAddr, TcpStream},
    path::{Path, PathBuf},
    process::{Child, Command, ExitStatus, Output, Stdio},
    sync::{Arc, Mutex, mpsc},
    time::{Duration, Instant},
};

use serde_json::{Value, json};

/// The log line prefixes carrying the servers' addresses.
const HTTP_LINE: &str = "HTTP JSON-RPC on http://";
const WS_LINE: &str = "WebSocket JSON-RPC on ws://";
const AUTH_LINE: &str = "Engine API on http://";

/// How long a node may take to log its servers' addresses.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a node may take to exit after SIGTERM.
const STOP_TIMEOUT: Duration = Duration::from_secs(30);
/// Read timeout of the HTTP clients.
const READ_TIMEOUT: Duration = Duration::from_secs(30);

/// A binary to run, by path (`Binary::new(env!("CARGO_BIN_EXE_ethrex"))`), always with an empty
/// environment so that no `ETHREX_*` variable of the caller leaks in.
#[derive(Debug, Clone, Copy)]
pub struct Binary(&'static str);

impl Binary {
    pub const fn new(path: &'static str) -> Self {
        Binary(path)
    }

    pub fn path(&self) -> &'static Path {
        Path::new(self.0)
    }

    /// A command running the binary, with an empty environment.
    pub fn command(&self) -> Command {
        let mut command = Command::new(self.0);
        command.env_clear();
        command
    }

    /// Runs the binary with `args` to completion.
    pub fn run<S: AsRef<OsStr>>(&self, args: impl IntoIterator<Item = S>) -> Output {
        self.command()
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("run {}: {e}", self.0))
    }

    /// Starts the binary as a node (see [`Node::start`]).
    pub fn start(&self, args: &[&str]) -> Node {
        Node::start(self.path(), args)
    }
}

/// A finished command's standard output, lossily decoded.
pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A finished command's standard error, lossily decoded.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A running `ethrex` node, killed when dropped.
pub struct Node {
    pub child: Child,
    pub http: SocketAddr,
    pub ws: Option<SocketAddr>,
    /// The authenticated Engine API server.
    pub auth: SocketAddr,
    /// The JWT secret file the node uses.
    pub jwt_secret_path: PathBuf,
    /// The JWT secret, as read from [`Node::jwt_secret_path`] once the node started.
    pub jwt_secret: [u8; 32],
    /// Everything the node logged so far (stderr), line by line.
    pub log: Arc<Mutex<Vec<String>>>,
    /// Holds the JWT secret file when the node's arguments did not name one.
    _secret_dir: Option<tempfile::TempDir>,
}

impl Node {
    /// Starts `<binary> <args> --http.port 0 --ws.port 0` on 127.0.0.1 and waits (at most 60 s)
    /// for its servers' addresses in the log (the WebSocket one when `args` hold
    /// `--ws.enabled`). Unless `args` set them, also passes `--authrpc.port 0` and
    /// `--authrpc.jwtsecret` with a path in a temporary directory the node owns (the binary
    /// creates the secret there), and `--p2p.disabled` unless `args` configure discovery (tests
    /// never contact public bootnodes).
    pub fn start(binary: &Path, args: &[&str]) -> Node {
        let has = |flag: &str| {
            args.iter()
                .any(|arg| *arg == flag || arg.starts_with(&format!("{flag}=")))
        };
        let mut command = Command::new(binary);
        command
            .args(args)
            .args(["--http.addr", "127.0.0.1", "--http.port", "0"])
            .args(["--ws.addr", "127.0.0.1", "--ws.port", "0"])
            .args(["--log.color", "never"]);
        if !has("--authrpc.port") {
            command.args(["--authrpc.port", "0"]);
        }
        // Tests send no traffic beyond loopback: no discovery (which would contact a preset's
        // public bootnodes) unless the test configures it.
        let discovery = ["--p2p.disabled", "--dev", "--discovery.port", "--bootnodes"];
        if !discovery.iter().any(|flag| has(flag)) {
            command.arg("--p2p.disabled");
        }
        let named_secret = args.iter().enumerate().find_map(|(i, arg)| match *arg {
            "--authrpc.jwtsecret" => args.get(i + 1).copied(),
            _ => arg.strip_prefix("--authrpc.jwtsecret="),
        });
        let (secret_dir, jwt_secret_path) = if let Some(path) = named_secret {
            (None, PathBuf::from(path))
        } else {
            let dir = tempfile::tempdir().expect("temp dir for the JWT secret");
            let path = dir.path().join("jwt.hex");
            command.arg("--authrpc.jwtsecret").arg(&path);
            (Some(dir), path)
        };
        let mut child = command
            .env_clear()
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {}: {e}", binary.display()));
        let stderr = child.stderr.take().expect("piped stderr");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel();
        let sink = Arc::clone(&log);
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
        let (mut http, mut ws, mut auth) = (None, None, None);
        let deadline = Instant::now() + START_TIMEOUT;
        while http.is_none() || auth.is_none() || (wants_ws && ws.is_none()) {
            let left = deadline.saturating_duration_since(Instant::now());
            let Ok(line) = rx.recv_timeout(left) else {
                let _ = child.kill();
                panic!("the node did not start: {:?}", log.lock().expect("log"));
            };
            http = http.or_else(|| address_after(&line, HTTP_LINE));
            ws = ws.or_else(|| address_after(&line, WS_LINE));
            auth = auth.or_else(|| address_after(&line, AUTH_LINE));
        }
        let jwt_secret = read_jwt_secret(&jwt_secret_path);
        Node {
            child,
            http: http.expect("http address"),
            ws,
            auth: auth.expect("Engine API address"),
            jwt_secret_path,
            jwt_secret,
            log,
            _secret_dir: secret_dir,
        }
    }

    /// A fresh Engine API token (`iat` now) signed with the node's secret.
    pub fn jwt_token(&self) -> String {
        jwt_token(&self.jwt_secret, now_secs())
    }

    /// Posts `body` to the Engine API server with `Authorization: Bearer <token>` (no header
    /// when `token` is `None`); returns the status code and the response body.
    pub fn auth_post(&self, token: Option<&str>, body: &str) -> (u16, String) {
        match token {
            Some(token) => {
                let bearer = format!("Bearer {token}");
                http_post_with_headers(self.auth, &[("Authorization", &bearer)], body)
            }
            None => http_post(self.auth, body),
        }
    }

    /// Calls `method` with `params` on the Engine API server with a freshly minted token and
    /// returns the response JSON (result or error).
    pub fn engine_call(&self, method: &str, params: Value) -> Value {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let (status, text) = self.auth_post(Some(&self.jwt_token()), &body.to_string());
        assert_eq!(status, 200, "{text}");
        serde_json::from_str(&text).expect("JSON response")
    }

    /// Posts `body` to the HTTP server; returns the status code and the response body.
    pub fn post(&self, body: &str) -> (u16, String) {
        http_post(self.http, body)
    }

    /// Calls `method` with `params` and returns the response JSON (result or error).
    pub fn call(&self, method: &str, params: Value) -> Value {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let (status, text) = self.post(&body.to_string());
        assert_eq!(status, 200, "{text}");
        serde_json::from_str(&text).expect("JSON response")
    }

    /// The result of a call that must succeed.
    pub fn result(&self, method: &str, params: Value) -> Value {
        let response = self.call(method, params);
        assert!(response["error"].is_null(), "{method}: {response}");
        response["result"].clone()
    }

    /// The metrics endpoint's address, from the `metrics on http://ADDR/metrics` log line
    /// (logged before the RPC servers' lines, so already read when `start` returns).
    pub fn metrics_addr(&self) -> SocketAddr {
        let log = self.log.lock().expect("log");
        log.iter()
            .find_map(|line| {
                let rest = line.split("metrics on http://").nth(1)?;
                rest.trim().trim_end_matches("/metrics").parse().ok()
            })
            .unwrap_or_else(|| panic!("no metrics address in the log: {log:?}"))
    }

    /// The first log line holding `prefix`, from `prefix` on (e.g. `discovery on udp://…`):
    /// polls the log every 50 ms for at most `timeout`, then panics with the log.
    pub fn wait_for_log(&self, prefix: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            {
                let log = self.log.lock().expect("log");
                let found = log
                    .iter()
                    .find_map(|line| line.find(prefix).map(|at| line[at..].to_string()));
                if let Some(line) = found {
                    return line;
                }
                if Instant::now() > deadline {
                    panic!("no log line with {prefix:?} after {timeout:?}: {log:?}");
                }
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Sends SIGTERM and waits (at most 30 s) for the exit status.
    pub fn terminate(mut self) -> ExitStatus {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + STOP_TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().expect("poll node") {
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("the node did not stop on SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A minimal HTTP/1.1 POST of a JSON `body` to `/`; returns the status code and the body.
pub fn http_post(addr: SocketAddr, body: &str) -> (u16, String) {
    http_post_with_headers(addr, &[], body)
}

/// [`http_post`] with extra `headers` (name, value).
pub fn http_post_with_headers(
    addr: SocketAddr,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String) {
    let extra: String = headers
        .iter()
        .map(|(name, value)| format!("{name}: {value}\r\n"))
        .collect();
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{extra}Connection: close\r\n\r\n{body}",
        body.len()
    );
    exchange(addr, &request)
}

/// An Engine API token: HS256 over `{"iat": iat}` with `secret`, as a consensus client sends it.
pub fn jwt_token(secret: &[u8; 32], iat: u64) -> String {
    let key = jsonwebtoken::EncodingKey::from_secret(secret).expect("an HMAC key");
    let header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    jsonwebtoken::encode(&header, &json!({ "iat": iat }), &key).expect("sign a token")
}

/// The current Unix time in seconds.
pub fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("a clock after 1970")
        .as_secs()
}

/// The address after `prefix` in a log `line` that contains it.
fn address_after(line: &str, prefix: &str) -> Option<SocketAddr> {
    let rest = line.split(prefix).nth(1)?;
    rest.split_whitespace().next()?.parse().ok()
}

/// The 32-byte secret of a JWT secret file (64 hex digits, `0x` optional).
fn read_jwt_secret(path: &Path) -> [u8; 32] {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("read the JWT secret {}: {e}", path.display()));
    let digits = text.trim();
    let digits = digits.strip_prefix("0x").unwrap_or(digits);
    let bytes = alloy_primitives::hex::decode(digits)
        .unwrap_or_else(|e| panic!("JWT secret {}: {e}", path.display()));
    bytes
        .try_into()
        .unwrap_or_else(|_| panic!("JWT secret {}: not 32 bytes", path.display()))
}

/// A minimal HTTP/1.1 GET of `path`; returns the status code and the response body.
pub fn http_get(addr: SocketAddr, path: &str) -> (u16, String) {
    exchange(
        addr,
        &format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"),
    )
}

/// Sends `request` and reads the response to the end (the server closes).
fn exchange(addr: SocketAddr, request: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(READ_TIMEOUT))
        .expect("timeout");
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

/// Calls `check` every 50 ms until it returns `Some`, for at most `timeout`.
pub fn wait_for<T>(timeout: Duration, what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = check() {
            return value;
        }
        if Instant::now() > deadline {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_read_from_their_own_lines_only() {
        let engine = "INFO ethrex::commands::node: Engine API on http://127.0.0.1:8551";
        let http = "INFO ethrex::commands::node: HTTP JSON-RPC on http://127.0.0.1:8545";
        let metrics = "INFO metrics on http://127.0.0.1:9090/metrics";
        let expected: SocketAddr = "127.0.0.1:8551".parse().unwrap();
        assert_eq!(address_after(engine, AUTH_LINE), Some(expected));
        for line in [engine, metrics] {
            assert_eq!(address_after(line, HTTP_LINE), None, "{line}");
        }
        assert_eq!(address_after(http, AUTH_LINE), None);
        assert_eq!(
            address_after(http, HTTP_LINE),
            Some("127.0.0.1:8545".parse().unwrap())
        );
    }

    #[test]
    fn status_and_body_split_a_response() {
        let response = "HTTP/1.1 413 Payload Too Large\r\ncontent-length: 2\r\n\r\nno";
        assert_eq!(status_and_body(response), (413, "no".to_string()));
        assert_eq!(status_and_body(""), (0, String::new()));
    }
}
