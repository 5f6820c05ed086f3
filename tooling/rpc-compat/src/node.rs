//! The node under test: a datadir prepared as the suite expects (`chain.rlp` imported over
//! `genesis.json`, then `headfcu.json`'s fork choice applied through the storage library, there
//! being no Engine API yet), then `ethrex` serving it over HTTP on a free port. [`Node`] kills
//! the process when dropped, so every exit path stops it.

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::{SocketAddr, TcpStream},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

use alloy_primitives::B256;
use ethrex_storage::{ForkChoice, Store};
use serde_json::Value;

/// How long the node may take to print its HTTP address.
const START_TIMEOUT: Duration = Duration::from_secs(120);
/// How long one request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// A setup or transport failure (not a test failure).
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    #[error(
        "the ethrex binary is not at {0}: build it with `cargo build -p ethrex` (same profile), \
         or pass --ethrex <path>"
    )]
    MissingBinary(PathBuf),
    #[error("{what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
    #[error("`ethrex import` failed ({status}):\n{stderr}")]
    Import { status: String, stderr: String },
    #[error("headfcu.json: {0}")]
    HeadFcu(String),
    #[error("applying the fork choice: {0}")]
    Store(#[from] ethrex_storage::StoreError),
    #[error("the node did not print its HTTP address within {seconds} s; its log:\n{log}")]
    NoAddress { seconds: u64, log: String },
    #[error("request to {addr}: {message}")]
    Http { addr: SocketAddr, message: String },
}

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> NodeError {
    let what = what.into();
    move |source| NodeError::Io { what, source }
}

/// The `ethrex` binary to run: `explicit`, or the one next to this runner's executable (cargo
/// builds both into `$CARGO_TARGET_DIR/<profile>/`).
pub fn ethrex_binary(explicit: Option<PathBuf>) -> Result<PathBuf, NodeError> {
    let path = match explicit {
        Some(path) => path,
        None => {
            let exe = std::env::current_exe().map_err(io("locating the runner's executable"))?;
            exe.parent()
                .map(|dir| dir.join("ethrex"))
                .unwrap_or_else(|| PathBuf::from("ethrex"))
        }
    };
    if path.is_file() {
        Ok(path)
    } else {
        Err(NodeError::MissingBinary(path))
    }
}

/// Imports `<tests>/chain.rlp` into a new datadir at `datadir` and applies `headfcu.json`.
pub fn prepare_datadir(ethrex: &Path, tests: &Path, datadir: &Path) -> Result<(), NodeError> {
    let output = Command::new(ethrex)
        .arg("--datadir")
        .arg(datadir)
        .arg("--network")
        .arg(tests.join("genesis.json"))
        .arg("import")
        .arg(tests.join("chain.rlp"))
        .stdin(Stdio::null())
        .output()
        .map_err(io(format!("running {}", ethrex.display())))?;
    if !output.status.success() {
        return Err(NodeError::Import {
            status: output.status.to_string(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        });
    }
    let choice = read_head_fcu(&tests.join("headfcu.json"))?;
    let store = Store::open(datadir)?;
    store.set_fork_choice(choice)?;
    Ok(())
}

/// The fork choice of a `headfcu.json` (an `engine_forkchoiceUpdated` request).
fn read_head_fcu(path: &Path) -> Result<ForkChoice, NodeError> {
    let text = std::fs::read_to_string(path).map_err(io(format!("reading {}", path.display())))?;
    let request: Value =
        serde_json::from_str(&text).map_err(|e| NodeError::HeadFcu(e.to_string()))?;
    let state = &request["params"][0];
    let hash = |field: &str| -> Result<Option<B256>, NodeError> {
        match &state[field] {
            Value::Null => Ok(None),
            value => serde_json::from_value(value.clone())
                .map(Some)
                .map_err(|e| NodeError::HeadFcu(format!("{field}: {e}"))),
        }
    };
    Ok(ForkChoice {
        head: hash("headBlockHash")?
            .ok_or_else(|| NodeError::HeadFcu("no headBlockHash".into()))?,
        safe: hash("safeBlockHash")?,
        finalized: hash("finalizedBlockHash")?,
    })
}

/// A running `ethrex` node, killed when dropped.
pub struct Node {
    child: Child,
    pub http: SocketAddr,
}

impl Node {
    /// Starts `ethrex` on `datadir` with an HTTP server on a free port of 127.0.0.1 and waits for
    /// the address it logs.
    pub fn start(ethrex: &Path, tests: &Path, datadir: &Path) -> Result<Node, NodeError> {
        let mut child = Command::new(ethrex)
            .arg("--datadir")
            .arg(datadir)
            .arg("--network")
            .arg(tests.join("genesis.json"))
            .args(["--http.addr", "127.0.0.1", "--http.port", "0"])
            // The Engine API port too: any free one (its secret goes to the datadir).
            .args(["--authrpc.addr", "127.0.0.1", "--authrpc.port", "0"])
            // No discovery: nothing but loopback traffic.
            .arg("--p2p.disabled")
            .args(["--log.color", "never"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(io(format!("starting {}", ethrex.display())))?;
        let Some(stderr) = child.stderr.take() else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(NodeError::NoAddress {
                seconds: 0,
                log: "(no stderr pipe)".into(),
            });
        };
        // The node is owned (and killed on drop) from here on.
        let mut node = Node {
            child,
            http: SocketAddr::from(([127, 0, 0, 1], 0)),
        };
        let (lines_tx, lines_rx) = mpsc::channel();
        std::thread::spawn(move || {
            // Keeps draining the log so the node never blocks on a full pipe.
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = lines_tx.send(line);
            }
        });
        let deadline = Instant::now() + START_TIMEOUT;
        let mut log = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let Ok(line) = lines_rx.recv_timeout(left) else {
                return Err(NodeError::NoAddress {
                    seconds: START_TIMEOUT.as_secs(),
                    log: log.join("\n"),
                });
            };
            let address = line
                .split("http://")
                .nth(1)
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|addr| addr.parse().ok());
            log.push(line);
            if let Some(address) = address {
                node.http = address;
                return Ok(node);
            }
        }
    }

    /// Posts `body` and returns the response body.
    pub fn post(&self, body: &str) -> Result<String, NodeError> {
        http_post(self.http, body)
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A minimal HTTP/1.1 POST of a JSON body (`Connection: close`, the body read to the end).
fn http_post(addr: SocketAddr, body: &str) -> Result<String, NodeError> {
    let fail = |message: String| NodeError::Http { addr, message };
    let mut stream = TcpStream::connect(addr).map_err(|e| fail(format!("connect: {e}")))?;
    stream
        .set_read_timeout(Some(REQUEST_TIMEOUT))
        .map_err(|e| fail(e.to_string()))?;
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream
        .write_all(request.as_bytes())
        .map_err(|e| fail(format!("write: {e}")))?;
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .map_err(|e| fail(format!("read: {e}")))?;
    let (head, body) = response
        .split_once("\r\n\r\n")
        .ok_or_else(|| fail(format!("malformed HTTP response: {response:.200}")))?;
    let status = head.split_whitespace().nth(1).unwrap_or_default();
    if status != "200" {
        return Err(fail(format!("HTTP status {status}: {body:.200}")));
    }
    Ok(body.to_string())
}
