//! One `ethrex` process per test: started on a genesis file with in-memory storage, both RPC
//! ports on 127.0.0.1 chosen by the system, and killed when its [`Node`] is dropped (also while
//! unwinding from a panic), so no test leaves a process behind.
//!
//! The addresses come from the node's log (`HTTP JSON-RPC on http://ADDR`, `Engine API on
//! http://ADDR`), read from its standard error by a thread that also keeps the last lines for
//! failure messages. Starting is bounded by [`START_TIMEOUT`].

use std::{
    collections::VecDeque,
    io::BufRead,
    net::SocketAddr,
    path::Path,
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex, mpsc},
    time::{Duration, Instant},
};

/// How long a node may take to log both servers' addresses.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How many log lines a node keeps for failure messages.
const LOG_TAIL: usize = 200;

/// A running node, killed on drop.
#[derive(Debug)]
pub(super) struct Node {
    child: Child,
    pub(super) http: SocketAddr,
    pub(super) auth: SocketAddr,
    log: Arc<Mutex<VecDeque<String>>>,
}

impl Node {
    /// Starts `ethrex` on `genesis` with the JWT secret file `jwt_secret` and waits for its
    /// servers' addresses.
    pub(super) fn start(ethrex: &Path, genesis: &Path, jwt_secret: &Path) -> Result<Node, String> {
        let mut child = Command::new(ethrex)
            .arg("--network")
            .arg(genesis)
            .args(["--datadir", "memory"])
            .args(["--http.addr", "127.0.0.1", "--http.port", "0"])
            .args(["--authrpc.addr", "127.0.0.1", "--authrpc.port", "0"])
            // No discovery: nothing but loopback traffic.
            .arg("--p2p.disabled")
            .arg("--authrpc.jwtsecret")
            .arg(jwt_secret)
            .args(["--log.color", "never"])
            .env_clear()
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", ethrex.display()))?;
        let log = Arc::new(Mutex::new(VecDeque::with_capacity(LOG_TAIL)));
        let (lines_tx, lines) = mpsc::channel();
        if let Some(stderr) = child.stderr.take() {
            let sink = Arc::clone(&log);
            std::thread::spawn(move || {
                for line in std::io::BufReader::new(stderr)
                    .lines()
                    .map_while(Result::ok)
                {
                    let _ = lines_tx.send(line.clone());
                    if let Ok(mut tail) = sink.lock() {
                        if tail.len() == LOG_TAIL {
                            tail.pop_front();
                        }
                        tail.push_back(line);
                    }
                }
            });
        }
        // From here on, dropping `starting` kills the child.
        let mut starting = Node {
            child,
            http: SocketAddr::from(([0, 0, 0, 0], 0)),
            auth: SocketAddr::from(([0, 0, 0, 0], 0)),
            log,
        };
        let (mut http, mut auth) = (None, None);
        let deadline = Instant::now() + START_TIMEOUT;
        while http.is_none() || auth.is_none() {
            let left = deadline.saturating_duration_since(Instant::now());
            let Ok(line) = lines.recv_timeout(left) else {
                return Err(format!(
                    "the node did not log its addresses within {START_TIMEOUT:?}{}",
                    starting.tail(20)
                ));
            };
            if let Some(addr) = address_after(&line, "HTTP JSON-RPC on http://") {
                http = Some(addr);
            }
            if let Some(addr) = address_after(&line, "Engine API on http://") {
                auth = Some(addr);
            }
        }
        if let (Some(http), Some(auth)) = (http, auth) {
            starting.http = http;
            starting.auth = auth;
        }
        Ok(starting)
    }

    /// The last `n` log lines, each on its own indented line (empty if there are none).
    pub(super) fn tail(&self, n: usize) -> String {
        let Ok(log) = self.log.lock() else {
            return String::new();
        };
        let skip = log.len().saturating_sub(n);
        let lines: Vec<&str> = log.iter().skip(skip).map(String::as_str).collect();
        if lines.is_empty() {
            String::new()
        } else {
            format!("\n  node log:\n    {}", lines.join("\n    "))
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The socket address following `marker` in a log line.
fn address_after(line: &str, marker: &str) -> Option<SocketAddr> {
    let rest = line.split(marker).nth(1)?;
    rest.split_whitespace()
        .next()?
        .trim_end_matches('/')
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_read_from_log_lines() {
        let line = "2025-01-01T00:00:00Z  INFO ethrex: Engine API on http://127.0.0.1:43211";
        assert_eq!(
            address_after(line, "Engine API on http://"),
            Some(SocketAddr::from(([127, 0, 0, 1], 43211)))
        );
        assert_eq!(address_after(line, "HTTP JSON-RPC on http://"), None);
    }
}
