//! The decoder fuzz driver of the whole crate (test builds only): [`check`] runs one property
//! test, either for a number of cases or for a time budget.
//!
//! Every decoder property test (RLPx frames, handshake, p2p, discv4, eth, snap) runs through
//! [`check`] and lives in a `fuzz` module next to its decoder's tests, so that
//! `cargo nextest run -E 'test(/::fuzz::/)'` selects them all.
//!
//! - By default a test runs `PROPTEST_CASES` cases when that variable is set, else the test's
//!   own small count: `make test` stays at seconds.
//! - With `ETHREX_FUZZ_SECS=<n>` it runs fresh batches of random cases until `n` seconds have
//!   passed and prints how many cases it ran (`make fuzz-p2p`).
//!
//! A failing case is shrunk by proptest and the test panics with the minimal input.

use std::{
    sync::atomic::{AtomicU64, Ordering},
    time::{Duration, Instant},
};

use proptest::{
    strategy::Strategy,
    test_runner::{Config, TestCaseResult, TestRunner},
};

/// Cases per batch in time-budget mode: small enough to stop close to the deadline.
const BATCH: u32 = 256;

/// Runs `test` on values of `strategy`: `default_cases` cases (`PROPTEST_CASES` overrides), or
/// as many as fit in `ETHREX_FUZZ_SECS` seconds when that is set. Panics on a failing case.
pub(crate) fn check<S: Strategy>(
    name: &str,
    default_cases: u32,
    strategy: S,
    test: impl Fn(S::Value) -> TestCaseResult,
) {
    let ran = AtomicU64::new(0);
    let counted = |value| {
        ran.fetch_add(1, Ordering::Relaxed);
        test(value)
    };
    let started = Instant::now();
    match budget() {
        None => run(name, &strategy, cases(default_cases), &counted),
        Some(budget) => {
            while started.elapsed() < budget {
                run(name, &strategy, BATCH, &counted);
            }
            eprintln!(
                "fuzz {name}: {} cases in {:.1} s",
                ran.load(Ordering::Relaxed),
                started.elapsed().as_secs_f64()
            );
        }
    }
}

fn run<S: Strategy>(
    name: &str,
    strategy: &S,
    cases: u32,
    test: &impl Fn(S::Value) -> TestCaseResult,
) {
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    if let Err(error) = TestRunner::new(config).run(strategy, test) {
        panic!("{name}: {error}");
    }
}

/// `ETHREX_FUZZ_SECS` as a duration, when set.
fn budget() -> Option<Duration> {
    let secs = std::env::var("ETHREX_FUZZ_SECS").ok()?;
    match secs.parse() {
        Ok(secs) => Some(Duration::from_secs(secs)),
        Err(_) => panic!("ETHREX_FUZZ_SECS={secs:?} is not a number of seconds"),
    }
}

/// `PROPTEST_CASES` when set, else `default`.
fn cases(default: u32) -> u32 {
    match std::env::var("PROPTEST_CASES") {
        Ok(cases) => cases
            .parse()
            .unwrap_or_else(|_| panic!("PROPTEST_CASES={cases:?} is not a number")),
        Err(_) => default,
    }
}
