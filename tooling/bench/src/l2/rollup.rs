//! The `ethrex l2 --dev` of the benchmark: started on free 127.0.0.1 ports (L2 RPC, in-process
//! L1, proof coordinator) with its logs in a file of a temporary directory, waited for until it
//! logs `sequencer started`, killed when dropped. The log file is where the prover's timings
//! (`batch proved and submitted … proving_s=… gas_used=…`) and the sequencer's complaints are
//! read from.

use std::{
    fs::File,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    thread,
    time::{Duration, Instant},
};

use alloy_primitives::Address;

use crate::dev::node::{Node, free_port};

/// How long `ethrex l2 --dev` may take to deploy its contracts and start the sequencer.
const START_TIMEOUT: Duration = Duration::from_secs(180);

/// A running `ethrex l2 --dev` (killed on drop, through its [`Node`]).
pub struct Rollup {
    /// The L2 JSON-RPC endpoint.
    pub l2: Node,
    /// `http://127.0.0.1:<port>` of the in-process L1.
    pub l1_url: String,
    pub bridge: Address,
    pub proposer: Address,
    log_path: PathBuf,
    _dir: tempfile::TempDir,
}

impl Rollup {
    /// `ethrex l2 --dev` on its dev defaults (block time 1000 ms, commit 5000, watch 1000,
    /// block delay 0, send interval 1000, in-process exec prover), the ports chosen here and
    /// `extra` flags added.
    pub fn start(binary: &Path, extra: &[&str]) -> Result<Rollup, String> {
        let dir = tempfile::tempdir().map_err(|e| format!("temporary directory: {e}"))?;
        let env_file = dir.path().join(".env");
        let log_path = dir.path().join("ethrex-l2.log");
        let log = File::create(&log_path).map_err(|e| format!("{}: {e}", log_path.display()))?;
        let (l2_port, l1_port, coordinator_port) = (free_port()?, free_port()?, free_port()?);
        let mut command = Command::new(binary);
        command
            .args(["--log.color", "never", "l2", "--dev"])
            .args(["--http.addr", "127.0.0.1"])
            .args(["--http.port", &l2_port.to_string()])
            .args(["--dev.l1-http-port", &l1_port.to_string()])
            .args(["--proof-coordinator.port", &coordinator_port.to_string()])
            .arg("--env-file-path")
            .arg(&env_file)
            .args(extra)
            // Only the flags above: no ETHREX_* from the caller's environment.
            .env_clear();
        let l2 = Node::start_logging("ethrex l2", command, l2_port, Stdio::from(log))?;
        let mut rollup = Rollup {
            l2,
            l1_url: format!("http://127.0.0.1:{l1_port}"),
            bridge: Address::ZERO,
            proposer: Address::ZERO,
            log_path,
            _dir: dir,
        };
        let started = Instant::now();
        while !rollup.log()?.contains("sequencer started") {
            if started.elapsed() > START_TIMEOUT {
                return Err(format!(
                    "ethrex l2 --dev did not log `sequencer started` within {START_TIMEOUT:?}; \
                     its log ends with:\n{}",
                    rollup.log_tail(20)
                ));
            }
            thread::sleep(Duration::from_millis(100));
        }
        let env = std::fs::read_to_string(&env_file)
            .map_err(|e| format!("deploy env file {}: {e}", env_file.display()))?;
        rollup.bridge = env_address(&env, "ETHREX_WATCHER_BRIDGE_ADDRESS=")?;
        rollup.proposer = env_address(&env, "ETHREX_COMMITTER_ON_CHAIN_PROPOSER_ADDRESS=")?;
        Ok(rollup)
    }

    /// The whole log so far.
    pub fn log(&self) -> Result<String, String> {
        std::fs::read_to_string(&self.log_path)
            .map_err(|e| format!("{}: {e}", self.log_path.display()))
    }

    /// The last `lines` lines of the log at WARN or ERROR, else the last lines; for error
    /// messages.
    pub fn log_tail(&self, lines: usize) -> String {
        let log = self.log().unwrap_or_default();
        let mut complaints: Vec<&str> = log
            .lines()
            .filter(|l| l.contains(" WARN ") || l.contains(" ERROR "))
            .collect();
        if complaints.is_empty() {
            complaints = log.lines().collect();
        }
        let skip = complaints.len().saturating_sub(lines);
        complaints[skip..].join("\n")
    }
}

fn env_address(env: &str, key: &str) -> Result<Address, String> {
    env.lines()
        .find_map(|line| line.strip_prefix(key))
        .ok_or_else(|| format!("no {key} in the deploy env file: {env}"))?
        .trim()
        .parse()
        .map_err(|e| format!("{key}: {e}"))
}

/// One `batch proved and submitted` line of the in-process prover.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Proved {
    pub batch: u64,
    pub seconds: f64,
    pub gas_used: u64,
}

/// Every `batch proved and submitted` line of `log`, in order.
pub fn proved_batches(log: &str) -> Vec<Proved> {
    log.lines()
        .filter(|line| line.contains("batch proved and submitted"))
        .filter_map(|line| {
            Some(Proved {
                batch: field(line, "batch_number")?.parse().ok()?,
                seconds: field(line, "proving_s")?.parse().ok()?,
                gas_used: field(line, "gas_used")?.parse().ok()?,
            })
        })
        .collect()
}

/// The value of `name=value` in a tracing line.
fn field<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    line.split_whitespace()
        .find_map(|word| word.strip_prefix(name)?.strip_prefix('='))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_provers_lines() {
        let log = "2026-12-07T05:00:00Z  INFO ethrex_l2_prover::client: batch proved and \
                   submitted batch_number=3 coordinator=tcp://127.0.0.1:1 proving_s=0.25 \
                   gas_used=21000000 mgas_per_s=84\n\
                   2026-12-07T05:00:01Z  INFO ethrex_l2_prover::client: proving batch \
                   batch_number=4\n";
        assert_eq!(
            proved_batches(log),
            [Proved {
                batch: 3,
                seconds: 0.25,
                gas_used: 21_000_000
            }]
        );
    }
}
