//! The differential test of the ethrex EVM against revm: thousands of generated cases (random
//! programs over random pre-states, one to three transactions, on every covered fork) run
//! through both EVMs, every consensus-visible difference reported with the case's seed and code.
//!
//! Environment: `DIFF_SEED` (master seed, default fixed) and `DIFF_CASES` (default 10 000) explore
//! further; `DIFF_CASE=<case seed>` runs one case, printing both outcomes.

use std::collections::BTreeMap;

use alloy_primitives::U256;
use ethrex_differential::{
    Case, Outcome, Status, case::TxType, compare, ethrex_runner, generate, revm_runner,
};

/// Cases whose mismatch is a known, reported ethrex bug: (case seed, the bug). Keep empty
/// unless a bug is waiting for its fix.
const KNOWN_BUGS: &[(u64, &str)] = &[];

/// Once listed in [`KNOWN_BUGS`] (found with `DIFF_SEED=7 DIFF_CASES=100000`): Spurious Dragon,
/// an empty pre-state account at 0x03 (RIPEMD-160), two transactions that both halt. In the
/// second, a helper's SELFDESTRUCT to 0x03 runs out of gas. revm touches the beneficiary before
/// charging the 25,000 new-account gas and keeps that touch (the RIPEMD-160 exception) through
/// the transaction's failure, so it deleted 0x03. execution-specs (`spurious_dragon`): the
/// SELFDESTRUCT charges its gas first (`vm/instructions/system.py`), and even a touch would be
/// dropped: `process_message_call` (`vm/interpreter.py`) empties `touched_accounts` when the
/// transaction's frame fails. 0x03 stays; the revm runner corrects the second point, ethrex
/// follows the spec.
const RIPEMD_TOUCH_CASE: u64 = 8415676948297494684;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The seed of case `index` under `master` (SplitMix64, so neighbouring cases differ).
fn case_seed(master: u64, index: u64) -> u64 {
    let mut z = master.wrapping_add(index.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// What running one case gave.
struct Ran {
    case: Case,
    ethrex: Outcome,
    diffs: Vec<String>,
}

fn run(seed: u64) -> Ran {
    let case = generate::case(seed);
    let ethrex = ethrex_runner::run(&case);
    let revm = revm_runner::run(&case);
    let diffs = compare(&ethrex, &revm);
    Ran {
        case,
        ethrex,
        diffs,
    }
}

/// Runs `cases` cases from `master` on all cores.
fn run_all(master: u64, cases: u64) -> Vec<Ran> {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get().min(4));
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads as u64)
            .map(|t| {
                s.spawn(move || {
                    (t..cases)
                        .step_by(threads)
                        .map(|i| run(case_seed(master, i)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

/// Counts of a key over all transactions run.
#[derive(Default)]
struct Tally(BTreeMap<String, usize>);

impl Tally {
    fn add(&mut self, key: impl Into<String>) {
        *self.0.entry(key.into()).or_default() += 1;
    }

    fn get(&self, key: &str) -> usize {
        self.0.get(key).copied().unwrap_or(0)
    }

    fn total(&self) -> usize {
        self.0.values().sum()
    }
}

impl std::fmt::Display for Tally {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut entries: Vec<_> = self.0.iter().collect();
        entries.sort_by(|a, b| b.1.cmp(a.1));
        let shown: Vec<String> = entries.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        f.write_str(&shown.join(", "))
    }
}

#[test]
fn ethrex_agrees_with_revm_on_random_programs() {
    if let Ok(seed) = std::env::var("DIFF_CASE") {
        let seed = seed.parse().expect("DIFF_CASE is a case seed");
        let case = generate::case(seed);
        println!("{}", case.describe());
        println!("ethrex: {:#?}", ethrex_runner::run(&case));
        println!("revm: {:#?}", revm_runner::run(&case));
        let ran = run(seed);
        assert!(ran.diffs.is_empty(), "{}", ran.diffs.join("\n"));
        return;
    }
    let master = env_u64("DIFF_SEED", 0xe7e5);
    let cases = env_u64("DIFF_CASES", 10_000);
    let started = std::time::Instant::now();
    let results = run_all(master, cases);

    let (mut statuses, mut details, mut forks, mut types) = (
        Tally::default(),
        Tally::default(),
        Tally::default(),
        Tally::default(),
    );
    let mut failures = Vec::new();
    for ran in &results {
        forks.add(ran.case.fork.to_string());
        for (tx, outcome) in ran.case.txs.iter().zip(&ran.ethrex.txs) {
            statuses.add(format!("{:?}", outcome.status));
            types.add(format!("{:?}", tx.ty));
            // The error kind, without the numbers.
            let kind: String = outcome
                .detail
                .chars()
                .take_while(|c| !c.is_ascii_digit())
                .collect();
            if !kind.is_empty() {
                details.add(kind);
            }
        }
        if ran.diffs.is_empty() {
            continue;
        }
        if let Some((_, bug)) = KNOWN_BUGS.iter().find(|(s, _)| *s == ran.case.seed) {
            println!("known bug in case {}: {bug}", ran.case.seed);
            continue;
        }
        failures.push(ran);
    }
    println!(
        "DIFF_SEED={master} DIFF_CASES={cases}: {} cases, {} transactions in {:.1?}; {} mismatches",
        results.len(),
        statuses.total(),
        started.elapsed(),
        failures.len()
    );
    println!(
        "statuses: {statuses}\ntypes: {types}\nforks: {forks}\nethrex halts and refusals: {details}"
    );
    for ran in failures.iter().take(5) {
        println!(
            "\nMISMATCH (rerun with DIFF_CASE={}):\n{}{}",
            ran.case.seed,
            ran.case.describe(),
            ran.diffs.join("\n")
        );
    }
    assert!(failures.is_empty(), "{} mismatches", failures.len());

    // The generator must keep exercising every kind of ending, or the test proves little.
    let share = |s: Status| statuses.get(&format!("{s:?}")) * 100 / statuses.total().max(1);
    assert!(share(Status::Success) >= 30, "{statuses}");
    assert!(share(Status::Halt) >= 10, "{statuses}");
    assert!(share(Status::Revert) >= 2, "{statuses}");
    assert!(share(Status::Invalid) >= 1, "{statuses}");
}

#[test]
fn an_empty_ripemd160_account_survives_failed_transactions() {
    let case = generate::case(RIPEMD_TOUCH_CASE);
    let ripemd = alloy_primitives::Address::with_last_byte(3);
    assert_eq!(case.fork, ethrex_common::Fork::SpuriousDragon);
    assert!(case.pre.get(&ripemd).is_some(), "0x03 is in the pre-state");
    let ethrex = ethrex_runner::run(&case);
    assert!(ethrex.txs.iter().all(|tx| tx.status == Status::Halt));
    assert!(ethrex.post.get(&ripemd).is_some(), "0x03 is kept");
    let revm = revm_runner::run(&case);
    assert_eq!(compare(&ethrex, &revm), Vec::<String>::new());
}

#[test]
fn a_wrong_post_state_is_reported() {
    let case = (0..)
        .map(|i| generate::case(case_seed(1, i)))
        .find(|c| c.txs[0].to == Some(generate::MAIN))
        .expect("some case calls the program");
    let ethrex = ethrex_runner::run(&case);
    let mut wrong = revm_runner::run(&case);
    assert!(compare(&ethrex, &wrong).is_empty());
    let sender = wrong.post.accounts.get_mut(&case.txs[0].sender).unwrap();
    sender.balance += U256::from(1);
    let diffs = compare(&ethrex, &wrong);
    assert_eq!(diffs.len(), 1, "{diffs:?}");
    assert!(diffs[0].contains("balance"), "{diffs:?}");
}

#[test]
fn a_simple_program_runs_the_same_and_stores_its_result() {
    let mut case = generate::case(case_seed(2, 0));
    case.fork = ethrex_common::Fork::Cancun;
    // PUSH1 2 PUSH1 3 ADD PUSH1 0 SSTORE STOP
    let main = case.pre.accounts.get_mut(&generate::MAIN).unwrap();
    main.code = vec![0x60, 2, 0x60, 3, 0x01, 0x60, 0, 0x55, 0x00].into();
    case.txs.truncate(1);
    let tx = &mut case.txs[0];
    tx.sender = generate::SENDER;
    tx.nonce = case.pre.accounts[&generate::SENDER].nonce;
    tx.to = Some(generate::MAIN);
    tx.gas_limit = 100_000;
    tx.ty = TxType::Legacy { eip155: false };
    tx.max_fee = u128::from(case.block.base_fee) + 1;
    tx.value = U256::ZERO;
    tx.access_list.clear();
    tx.blob_hashes.clear();
    tx.authorizations.clear();
    tx.data = Default::default();
    let ethrex = ethrex_runner::run(&case);
    let revm = revm_runner::run(&case);
    assert_eq!(compare(&ethrex, &revm), Vec::<String>::new());
    assert_eq!(
        ethrex.txs[0].status,
        Status::Success,
        "{}",
        ethrex.txs[0].detail
    );
    let slot = ethrex.post.accounts[&generate::MAIN]
        .storage
        .get(&U256::ZERO);
    assert_eq!(slot, Some(&U256::from(5)));
}
