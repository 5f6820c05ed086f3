//! The reference node of the headers+bodies benchmark: geth, pinned at [`GETH_VERSION`] in
//! `target/tools/bin` as `tooling/cl-mock/clients.sh` installs it (`go install`, once), with the
//! same chain imported (`geth init`, `geth import`) into a temporary datadir, listening for RLPx
//! on 127.0.0.1 only (a config file's `ListenAddr`), without discovery. [`Geth`] kills the node
//! by its PID when dropped, whatever happened in between.

use std::{
    net::{SocketAddr, TcpListener},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::Instant,
};

use alloy_primitives::{B256, B512};

/// The geth release installed and compared against.
pub const GETH_VERSION: &str = "v1.17.10";

/// geth at `path`, installed there with `go install` if it is missing or another version; the
/// reason otherwise (the reference is then skipped).
pub fn find_or_install(path: &Path) -> Result<PathBuf, String> {
    let wanted = format!("Version: {}-stable", &GETH_VERSION[1..]);
    let version = |bin: &Path| {
        Command::new(bin)
            .arg("version")
            .output()
            .map(|out| String::from_utf8_lossy(&out.stdout).contains(&wanted))
            .unwrap_or(false)
    };
    if version(path) {
        return Ok(path.to_path_buf());
    }
    let Some(bin_dir) = path.parent() else {
        return Err(format!("{} has no directory", path.display()));
    };
    let bin_dir = std::path::absolute(bin_dir).map_err(|e| e.to_string())?;
    println!(
        "installing geth {GETH_VERSION} into {} (go install, a few minutes)",
        bin_dir.display()
    );
    let status = Command::new("go")
        .args([
            "install",
            &format!("github.com/ethereum/go-ethereum/cmd/geth@{GETH_VERSION}"),
        ])
        .env("GOBIN", &bin_dir)
        .env("GOFLAGS", "-mod=mod")
        .status()
        .map_err(|e| format!("no Go toolchain on PATH ({e})"))?;
    if !status.success() || !version(path) {
        return Err(format!("go install geth@{GETH_VERSION} failed ({status})"));
    }
    Ok(path.to_path_buf())
}

/// A running geth, killed (and reaped) on drop.
pub struct Geth {
    child: Child,
    /// Its RLPx address.
    pub addr: SocketAddr,
    /// Its node id (public key).
    pub id: B512,
    pub log: PathBuf,
}

impl Drop for Geth {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Imports `chain` over `genesis` into a datadir under `work`, then starts geth serving it.
pub fn start(
    bin: &Path,
    genesis: &Path,
    chain: &Path,
    network_id: u64,
    key: (B256, B512),
    work: &Path,
) -> Result<Geth, String> {
    let datadir = work.join("geth");
    let log = work.join("geth.log");
    let run = |args: &[&std::ffi::OsStr], what: &str| -> Result<(), String> {
        let out = Command::new(bin)
            .arg("--datadir")
            .arg(&datadir)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run {}: {e}", bin.display()))?;
        if !out.status.success() {
            return Err(format!(
                "geth {what} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(())
    };
    run(&["init".as_ref(), genesis.as_os_str()], "init")?;
    let started = Instant::now();
    run(&["import".as_ref(), chain.as_os_str()], "import")?;
    println!(
        "  geth {GETH_VERSION}: imported the chain in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let port = free_port()?;
    let config = work.join("geth.toml");
    let toml = format!(
        "[Node.P2P]\nListenAddr = \"127.0.0.1:{port}\"\nNoDiscovery = true\nMaxPeers = 50\n"
    );
    std::fs::write(&config, toml).map_err(|e| e.to_string())?;
    let log_file = std::fs::File::create(&log).map_err(|e| e.to_string())?;
    let child = Command::new(bin)
        .arg("--datadir")
        .arg(&datadir)
        .arg("--config")
        .arg(&config)
        .args([
            "--nat",
            "none",
            "--nodiscover",
            "--maxpeers",
            "50",
            "--ipcdisable",
        ])
        .args(["--networkid", &network_id.to_string()])
        .args(["--nodekeyhex", &alloy_primitives::hex::encode(key.0)])
        .args(["--authrpc.addr", "127.0.0.1", "--authrpc.port"])
        .arg(free_port()?.to_string())
        .args(["--verbosity", "2"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log_file)
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
    Ok(Geth {
        child,
        addr: SocketAddr::from(([127, 0, 0, 1], port)),
        id: key.1,
        log,
    })
}

fn free_port() -> Result<u16, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}
