//! The two nodes of `ethrex-bench dev`: finding their binaries (installing anvil from npm when
//! it is not on `PATH`), starting each on a free 127.0.0.1 port, waiting until it answers
//! `eth_chainId`, and killing it when its [`Node`] is dropped, on success and on every error.

use std::{
    env,
    net::{SocketAddr, TcpListener},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    thread,
    time::{Duration, Instant},
};

use serde_json::json;

use super::rpc::Client;

/// The anvil release installed when none is on `PATH`.
const ANVIL_NPM_PACKAGE: &str = "@foundry-rs/anvil@1.7.1";

/// How long a node may take to answer its first request.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);

/// A running node; killed (and reaped) on drop.
pub struct Node {
    pub name: &'static str,
    pub addr: SocketAddr,
    pub chain_id: u64,
    child: Child,
}

impl Node {
    /// `ethrex --dev` with an in-memory chain.
    pub fn start_ethrex(binary: &Path) -> Result<Node, String> {
        Node::start_ethrex_with(binary, &[])
    }

    /// `ethrex --dev` with an in-memory chain and `extra` flags (e.g. `--dev.block-time`).
    pub fn start_ethrex_with(binary: &Path, extra: &[&str]) -> Result<Node, String> {
        let port = free_port()?;
        let mut command = Command::new(binary);
        command.args(["--dev", "--datadir", "memory", "--http.addr", "127.0.0.1"]);
        command.args(["--http.port", &port.to_string(), "--log.level", "warn"]);
        // The Engine API on any free port, its secret in the temporary directory.
        let secret = env::temp_dir().join(format!("ethrex-bench-jwt-{}.hex", std::process::id()));
        command
            .args(["--authrpc.port", "0"])
            .arg("--authrpc.jwtsecret")
            .arg(secret)
            .args(extra);
        Node::start("ethrex", command, port)
    }

    /// anvil with its defaults (automine: a block per transaction).
    pub fn start_anvil(binary: &Path) -> Result<Node, String> {
        let port = free_port()?;
        let mut command = Command::new(binary);
        command.args([
            "--host",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--silent",
        ]);
        Node::start("anvil", command, port)
    }

    /// Spawns `command` (its output discarded, warnings and errors shown) and waits until the
    /// node answers `eth_chainId` on `port`.
    fn start(name: &'static str, command: Command, port: u16) -> Result<Node, String> {
        Node::start_logging(name, command, port, Stdio::inherit())
    }

    /// [`Node::start`] with the node's stderr sent to `stderr` (e.g. a log file).
    pub fn start_logging(
        name: &'static str,
        mut command: Command,
        port: u16,
        stderr: Stdio,
    ) -> Result<Node, String> {
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .map_err(|e| format!("cannot start {name} ({:?}): {e}", command.get_program()))?;
        let mut node = Node {
            name,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            chain_id: 0,
            child,
        };
        node.chain_id = node.wait_ready()?;
        Ok(node)
    }

    /// Polls `eth_chainId` until it answers (its chain id), the process exits or time is up.
    fn wait_ready(&mut self) -> Result<u64, String> {
        let started = Instant::now();
        let mut last_error = String::new();
        while started.elapsed() < STARTUP_TIMEOUT {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("{} exited at start-up ({status})", self.name));
            }
            match Client::connect(self.addr).and_then(|mut c| c.call("eth_chainId", json!([]))) {
                Ok(id) => return super::cases::quantity(&id),
                Err(e) => last_error = e,
            }
            thread::sleep(Duration::from_millis(100));
        }
        Err(format!(
            "{} did not answer eth_chainId within {STARTUP_TIMEOUT:?}: {last_error}",
            self.name
        ))
    }

    /// A new connection to the node.
    pub fn client(&self) -> Result<Client, String> {
        Client::connect(self.addr)
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        // Already gone is fine: nothing else to clean up.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port nothing listens on now (the OS's choice for port 0).
pub fn free_port() -> Result<u16, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .map_err(|e| format!("no free port: {e}"))
}

/// The ethrex binary: `explicit`, else `ethrex` next to this executable (the same profile's
/// build, `cargo build --release -p ethrex`).
pub fn ethrex_binary(explicit: Option<&Path>) -> Result<PathBuf, String> {
    if let Some(path) = explicit {
        return Ok(path.to_path_buf());
    }
    let exe = env::current_exe().map_err(|e| format!("own path: {e}"))?;
    let candidate = exe.with_file_name(format!("ethrex{}", env::consts::EXE_SUFFIX));
    if candidate.is_file() {
        Ok(candidate)
    } else {
        Err(format!(
            "no ethrex binary at {}: run `cargo build --release -p ethrex` or pass --ethrex PATH",
            candidate.display()
        ))
    }
}

/// The anvil binary: `explicit`, else `anvil` on `PATH`, else the one npm installs under
/// `<repo>/target/bench-tools` (installed on first use).
pub fn anvil_binary(explicit: Option<&Path>) -> Result<PathBuf, String> {
    if let Some(path) = explicit {
        return Ok(path.to_path_buf());
    }
    if let Some(found) = on_path("anvil") {
        return Ok(found);
    }
    // This crate is `<repo>/tooling/bench`.
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let repo = manifest.ancestors().nth(2).unwrap_or(manifest);
    let tools = repo.join("target/bench-tools");
    if let Some(found) = npm_anvil(&tools) {
        return Ok(found);
    }
    eprintln!(
        "dev: installing anvil ({ANVIL_NPM_PACKAGE}) into {}",
        tools.display()
    );
    let status = Command::new("npm")
        .args(["install", "--no-audit", "--no-fund", "--silent", "--prefix"])
        .arg(&tools)
        .arg(ANVIL_NPM_PACKAGE)
        .stdout(Stdio::null())
        .status()
        .map_err(|e| format!("cannot run npm to install anvil: {e}"))?;
    if !status.success() {
        return Err(format!("npm install {ANVIL_NPM_PACKAGE} failed ({status})"));
    }
    npm_anvil(&tools).ok_or_else(|| format!("npm installed no anvil under {}", tools.display()))
}

/// The anvil npm installed under `tools`. The native binary of the platform package is
/// preferred to `node_modules/.bin/anvil`, a node wrapper that spawns it: killing the wrapper
/// would leave the node running, and it adds a process between the bench and the node.
fn npm_anvil(tools: &Path) -> Option<PathBuf> {
    let scope = tools.join("node_modules/@foundry-rs");
    let native = std::fs::read_dir(&scope)
        .ok()?
        .filter_map(Result::ok)
        .filter(|entry| entry.file_name().to_string_lossy().starts_with("anvil-"))
        .map(|entry| entry.path().join("bin/anvil"))
        .find(|path| path.is_file());
    native.or_else(|| Some(tools.join("node_modules/.bin/anvil")).filter(|path| path.is_file()))
}

/// `name` in a directory of `PATH`.
fn on_path(name: &str) -> Option<PathBuf> {
    env::split_paths(&env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|path| path.is_file())
}
