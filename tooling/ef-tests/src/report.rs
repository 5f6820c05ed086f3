//! Counting and printing results: per fork passed/failed/skipped, every failure and skip with
//! its reason, and the closing `N passed, M failed, K skipped` line.

use std::collections::BTreeMap;

/// The group of cases that belong to no fork (trie and RLP fixtures).
pub const NO_FORK: &str = "-";

#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    passed: usize,
    failed: usize,
    skipped: usize,
}

/// Results of a run.
#[derive(Debug, Default)]
pub struct Report {
    per_fork: BTreeMap<String, Counts>,
    failures: Vec<(String, String)>,
    skips: Vec<(String, String)>,
}

impl Report {
    pub fn pass(&mut self, fork: &str) {
        self.entry(fork).passed += 1;
    }

    pub fn fail(&mut self, fork: &str, case: &str, reason: String) {
        self.entry(fork).failed += 1;
        self.failures.push((format!("{case} [{fork}]"), reason));
    }

    pub fn skip(&mut self, fork: &str, case: &str, reason: String) {
        self.entry(fork).skipped += 1;
        self.skips.push((format!("{case} [{fork}]"), reason));
    }

    /// Records `outcome` of a case: `Ok` passes, `Err` fails with the reason.
    pub fn record(&mut self, fork: &str, case: &str, outcome: Result<(), String>) {
        match outcome {
            Ok(()) => self.pass(fork),
            Err(reason) => self.fail(fork, case, reason),
        }
    }

    pub fn failed(&self) -> usize {
        self.failures.len()
    }

    fn entry(&mut self, fork: &str) -> &mut Counts {
        self.per_fork.entry(fork.to_string()).or_default()
    }

    /// Prints the per-fork table, the failures and skips, and the closing line.
    pub fn print(&self, files: usize, quiet: bool) {
        println!("ran {files} fixture files");
        println!(
            "{:<26} {:>8} {:>8} {:>8}",
            "fork", "passed", "failed", "skipped"
        );
        let mut total = Counts::default();
        for (fork, c) in &self.per_fork {
            println!(
                "{fork:<26} {:>8} {:>8} {:>8}",
                c.passed, c.failed, c.skipped
            );
            total.passed += c.passed;
            total.failed += c.failed;
            total.skipped += c.skipped;
        }
        if !quiet {
            for (case, reason) in &self.skips {
                println!("SKIP {case}: {reason}");
            }
            for (case, reason) in &self.failures {
                println!("FAIL {case}: {reason}");
            }
        }
        println!(
            "{} passed, {} failed, {} skipped",
            total.passed, total.failed, total.skipped
        );
    }
}
