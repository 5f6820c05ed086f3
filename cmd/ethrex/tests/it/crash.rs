//! Crash safety of `ethrex import`: an import killed with SIGKILL at random moments restarts,
//! resumes, and ends at the same head and state root as an uninterrupted import.

use std::{
    path::Path,
    process::{Command, Stdio},
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use ethrex_test_utils::node::{stderr, stdout};

use crate::ETHREX;

/// How many times the import is killed.
const KILLS: usize = 5;

fn import_command(datadir: &Path, chain: &Path) -> Command {
    let mut command = ETHREX.command();
    command
        .arg("--datadir")
        .arg(datadir)
        .arg("--network")
        .arg(chain.join("genesis.json"))
        .arg("import")
        .arg("--batch-size")
        .arg("8")
        .arg(chain.join("chain.rlp"));
    command
}

/// The `head #N HASH, state root ROOT` part of a finished import's last line.
fn final_head(out: &std::process::Output) -> String {
    assert!(out.status.success(), "{}\n{}", stdout(out), stderr(out));
    let text = stdout(out);
    let line = text.lines().last().expect("a summary line");
    line.split_once("; ")
        .map(|(_, head)| head.to_string())
        .expect("summary has a head")
}

/// A deterministic pseudo-random sequence (xorshift), seeded from the clock and printed.
struct Rng(u64);
impl Rng {
    fn below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % bound.max(1)
    }
}

#[test]
fn import_killed_at_random_points_resumes_to_the_same_head_and_state() {
    let dir = tempfile::tempdir().expect("temp dir");
    let chain = dir.path().join("chain");
    // 300 blocks of ~45 transfers: long enough that the diff-layer window (128) flattens.
    let params = ethrex_chaingen::ChainParams {
        senders: 200,
        gas_limit: 2_000_000,
        erc20_share: 50,
        seed: 7,
    };
    let summary =
        ethrex_chaingen::write_chain(&params, 300, &chain, |_| {}).expect("generate the chain");
    assert_eq!(summary.blocks, 300);

    let reference_dir = dir.path().join("reference");
    let started = Instant::now();
    let reference = final_head(
        &import_command(&reference_dir, &chain)
            .output()
            .expect("run ethrex"),
    );
    let full = started.elapsed();
    assert!(reference.starts_with("head #300 "), "{reference}");

    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(1, |d| d.as_nanos() as u64)
        | 1;
    eprintln!("kill seed {seed}, uninterrupted import {full:?}");
    let mut rng = Rng(seed);
    let datadir = dir.path().join("killed");
    let mut killed = 0;
    for round in 0..KILLS {
        let delay = Duration::from_millis(20 + rng.below(full.as_millis() as u64 * 2 / 3));
        let mut child = import_command(&datadir, &chain)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn ethrex");
        std::thread::sleep(delay);
        let finished = child.try_wait().expect("poll ethrex").is_some();
        if !finished {
            child.kill().expect("SIGKILL ethrex");
            killed += 1;
        }
        let status = child.wait().expect("reap ethrex");
        eprintln!("round {round}: killed after {delay:?}: {}", !finished);
        assert!(
            finished || !status.success(),
            "a killed import did not succeed"
        );
    }
    assert!(
        killed > 0,
        "no import was killed (each finished within its delay)"
    );
    let resumed = import_command(&datadir, &chain)
        .output()
        .expect("run ethrex");
    assert_eq!(final_head(&resumed), reference);
}
