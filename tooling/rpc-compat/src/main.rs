//! `rpc-compat`: runs the execution-apis JSON-RPC conformance suite against the `ethrex` binary.
//!
//! Usage: `rpc-compat <tests-dir> [--ethrex <path>] [--filter <text>]`. It builds nothing: it
//! imports `<tests-dir>/chain.rlp` into a temporary datadir, applies `headfcu.json`, starts the
//! node, sends every request of every `*.io` file under the method directories and compares the
//! responses. Prints one line per failure (file and a compact diff), every skipped exchange with
//! its reason, and `N passed, M failed, K skipped`; exits 1 on any failure, 2 on a setup error.
//!
//! Where to start reading: [`io_file`] (the fixture format), [`compare`] (what passing means),
//! [`node`] (preparing and running the node).

mod compare;
mod io_file;
mod node;

use std::{
    path::{Path, PathBuf},
    process::ExitCode,
};

use clap::Parser;
use serde_json::Value;

use compare::Check;
use node::Node;

/// Runs the execution-apis JSON-RPC tests against ethrex.
#[derive(Debug, Parser)]
#[command(name = "rpc-compat", version, about)]
struct Args {
    /// The suite's `tests` directory (genesis.json, chain.rlp, headfcu.json, one directory per
    /// method).
    tests: PathBuf,
    /// The ethrex binary (default: `ethrex` next to this executable).
    #[arg(long, value_name = "PATH")]
    ethrex: Option<PathBuf>,
    /// Run only the files whose path (relative to the tests directory) contains this text.
    #[arg(long, value_name = "TEXT")]
    filter: Option<String>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(report) => {
            report.print();
            if report.failures.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(message) => {
            eprintln!("rpc-compat: {message}");
            ExitCode::from(2)
        }
    }
}

/// Outcome of a run.
#[derive(Debug, Default)]
struct Report {
    passed: usize,
    /// (case, what differs)
    failures: Vec<(String, String)>,
    /// (case, why it was not run)
    skips: Vec<(String, String)>,
}

impl Report {
    fn print(&self) {
        for (case, reason) in &self.skips {
            println!("SKIP {case}: {reason}");
        }
        for (case, reason) in &self.failures {
            println!("FAIL {case}: {reason}");
        }
        println!(
            "{} passed, {} failed, {} skipped",
            self.passed,
            self.failures.len(),
            self.skips.len()
        );
    }
}

fn run(args: &Args) -> Result<Report, String> {
    let files = io_files(&args.tests, args.filter.as_deref())?;
    let ethrex = node::ethrex_binary(args.ethrex.clone()).map_err(|e| e.to_string())?;
    let dir = tempfile::tempdir().map_err(|e| format!("creating a temporary directory: {e}"))?;
    let datadir = dir.path().join("db");
    eprintln!("importing {} ...", args.tests.join("chain.rlp").display());
    node::prepare_datadir(&ethrex, &args.tests, &datadir).map_err(|e| e.to_string())?;
    let node = Node::start(&ethrex, &args.tests, &datadir).map_err(|e| e.to_string())?;
    eprintln!(
        "node serving on http://{}; running {} files",
        node.http,
        files.len()
    );
    let mut report = Report::default();
    for (path, name) in &files {
        run_file(&node, path, name, &mut report)?;
    }
    Ok(report)
}

/// Every `*.io` file under the method directories of `tests`, sorted, with its relative name.
fn io_files(tests: &Path, filter: Option<&str>) -> Result<Vec<(PathBuf, String)>, String> {
    let mut files = Vec::new();
    let mut dirs = vec![tests.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let entries =
            std::fs::read_dir(&dir).map_err(|e| format!("reading {}: {e}", dir.display()))?;
        for entry in entries {
            let path = entry
                .map_err(|e| format!("reading {}: {e}", dir.display()))?
                .path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|ext| ext == "io") {
                let name = path
                    .strip_prefix(tests)
                    .unwrap_or(&path)
                    .display()
                    .to_string();
                if filter.is_none_or(|f| name.contains(f)) {
                    files.push((path, name));
                }
            }
        }
    }
    if files.is_empty() {
        return Err(format!("no .io files under {}", tests.display()));
    }
    files.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(files)
}

/// Why an exchange cannot be run over HTTP, if it cannot.
fn skip_reason(method: Option<&str>) -> Option<&'static str> {
    match method {
        Some("eth_subscribe" | "eth_unsubscribe") => {
            Some("subscriptions need a WebSocket connection; this runner speaks HTTP")
        }
        _ => None,
    }
}

/// Runs the exchanges of one file (a malformed file is one failure); an error only when the
/// node cannot be reached.
fn run_file(node: &Node, path: &Path, name: &str, report: &mut Report) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("reading {name}: {e}"))?;
    let file = match io_file::parse(&text) {
        Ok(file) => file,
        Err(e) => {
            report
                .failures
                .push((name.to_string(), format!("malformed: {e}")));
            return Ok(());
        }
    };
    let how = if file.spec_only {
        Check::Shape
    } else {
        Check::Exact
    };
    let count = file.exchanges.len();
    for exchange in &file.exchanges {
        let case = if count > 1 {
            format!("{name}:{}", exchange.line)
        } else {
            name.to_string()
        };
        if let Some(reason) = skip_reason(exchange.method.as_deref()) {
            report.skips.push((case, reason.to_string()));
            continue;
        }
        let body = node.post(&exchange.request).map_err(|e| e.to_string())?;
        let outcome = match serde_json::from_str::<Value>(&body) {
            Ok(got) => compare::check(&exchange.expected, &got, how),
            Err(e) => Err(format!("the response is not JSON ({e}): {body:.200}")),
        };
        match outcome {
            Ok(()) => report.passed += 1,
            Err(reason) => report.failures.push((case, reason)),
        }
    }
    Ok(())
}
