//! `ethrex-bench evm`: the same transactions on the same pre-state, executed by ethrex's VM and
//! by revm, timed side by side.
//!
//! Each case (see [`cases`]) is one call into a contract of `contracts/`. One run of one side is
//! "build a fresh EVM over the unchanged pre-state, execute the transaction, drop everything":
//! no decoding or signature recovery, and every run starts from the same state, so storage
//! writes cost the same each time. Per case: one checking run per side (the two must agree on
//! success, gas used and output), a calibration run, then N runs alternating ethrex and revm so
//! load changes on a shared machine hit both alike; the median of each side is reported.
//! Disagreements are listed after the table and make the command fail.

mod cases;
mod ethrex_runner;
mod revm_runner;

use std::{
    hint::black_box,
    time::{Duration, Instant},
};

use alloy_primitives::Bytes;
use clap::Args;

use self::{cases::Case, ethrex_runner::EthrexState, revm_runner::RevmState};
use crate::stats::{format_time, geomean, median};

/// Flags of `ethrex-bench evm`.
#[derive(Args)]
pub struct EvmArgs {
    /// Run only the cases whose name contains this substring.
    #[arg(long)]
    filter: Option<String>,
    /// Timed runs per side and case (default: as many as fit in `--seconds`, at least 10).
    #[arg(long)]
    runs: Option<usize>,
    /// Time budget per case, both sides together, when `--runs` is not given.
    #[arg(long, default_value_t = 1.0)]
    seconds: f64,
}

/// What both VMs must agree on.
#[derive(Debug, PartialEq, Eq)]
pub struct Outcome {
    pub success: bool,
    pub gas_used: u64,
    pub output: Bytes,
}

/// Timed runs of one case.
struct Row {
    name: &'static str,
    gas_used: u64,
    runs: usize,
    ethrex: Duration,
    revm: Duration,
}

impl Row {
    fn ratio(&self) -> f64 {
        self.ethrex.as_secs_f64() / self.revm.as_secs_f64().max(f64::MIN_POSITIVE)
    }
}

/// One case, ready to run on both sides.
struct Prepared<'a> {
    case: &'a Case,
    ethrex_tx: ethrex_common::types::Transaction,
    revm_tx: revm::context::TxEnv,
}

impl Prepared<'_> {
    fn ethrex(&self, state: &EthrexState) -> Result<(Outcome, Duration), String> {
        let start = Instant::now();
        let outcome = black_box(state.execute(black_box(&self.ethrex_tx))?);
        Ok((outcome, start.elapsed()))
    }

    fn revm(&self, state: &RevmState) -> Result<(Outcome, Duration), String> {
        let start = Instant::now();
        let outcome = black_box(state.execute(black_box(&self.revm_tx))?);
        Ok((outcome, start.elapsed()))
    }
}

/// Why the two sides disagree on a case, if they do.
fn disagreement(name: &str, ethrex: &Outcome, revm: &Outcome) -> Option<String> {
    if ethrex == revm {
        return None;
    }
    Some(format!(
        "{name}: ethrex success={} gas={} output=0x{} | revm success={} gas={} output=0x{}",
        ethrex.success,
        ethrex.gas_used,
        short_hex(&ethrex.output),
        revm.success,
        revm.gas_used,
        short_hex(&revm.output),
    ))
}

fn short_hex(bytes: &Bytes) -> String {
    let hex = alloy_primitives::hex::encode(bytes);
    if hex.len() > 80 {
        format!("{}…({} bytes)", &hex[..80], bytes.len())
    } else {
        hex
    }
}

/// What became of one case.
enum Measured {
    Timed(Row),
    /// The sides disagree, or the transaction failed on both: why.
    Failed(String),
}

/// Checks, calibrates and times one case.
fn measure(
    args: &EvmArgs,
    prepared: &Prepared,
    ethrex_state: &EthrexState,
    revm_state: &RevmState,
) -> Result<Measured, String> {
    let name = prepared.case.name;
    let (ethrex_outcome, revm_outcome) =
        match (prepared.ethrex(ethrex_state), prepared.revm(revm_state)) {
            (Ok((ethrex, _)), Ok((revm, _))) => (ethrex, revm),
            (Err(err), _) | (_, Err(err)) => return Ok(Measured::Failed(format!("{name}: {err}"))),
        };
    if let Some(diff) = disagreement(name, &ethrex_outcome, &revm_outcome) {
        return Ok(Measured::Failed(diff));
    }
    if !ethrex_outcome.success {
        return Ok(Measured::Failed(format!(
            "{name}: failed on both sides (output 0x{})",
            short_hex(&ethrex_outcome.output)
        )));
    }
    let runs = match args.runs {
        Some(runs) => runs.max(1),
        None => {
            let (_, ethrex_time) = prepared.ethrex(ethrex_state)?;
            let (_, revm_time) = prepared.revm(revm_state)?;
            let per_pair = (ethrex_time + revm_time).as_secs_f64().max(1e-9);
            ((args.seconds / per_pair) as usize).clamp(10, 100_000)
        }
    };
    let (mut ethrex_times, mut revm_times) = (Vec::with_capacity(runs), Vec::with_capacity(runs));
    for _ in 0..runs {
        ethrex_times.push(prepared.ethrex(ethrex_state)?.1);
        revm_times.push(prepared.revm(revm_state)?.1);
    }
    Ok(Measured::Timed(Row {
        name,
        gas_used: ethrex_outcome.gas_used,
        runs,
        ethrex: median(ethrex_times),
        revm: median(revm_times),
    }))
}

fn print_header() {
    println!(
        "{:<22} {:>11} {:>12} {:>12} {:>12} {:>8} {:>6}",
        "case", "gas", "ethrex", "revm", "ethrex/revm", "Mgas/s", "runs"
    );
}

fn print_row(row: &Row) {
    let mgas_per_s = row.gas_used as f64 / row.ethrex.as_secs_f64().max(1e-12) / 1e6;
    println!(
        "{:<22} {:>11} {:>12} {:>12} {:>12.2} {:>8.0} {:>6}",
        row.name,
        row.gas_used,
        format_time(row.ethrex),
        format_time(row.revm),
        row.ratio(),
        mgas_per_s,
        row.runs,
    );
}

/// Runs the benchmark and prints the table; fails if a case fails or the VMs disagree.
pub fn run(args: &EvmArgs) -> Result<(), String> {
    let ethrex_state = EthrexState::new()?;
    let revm_state = RevmState::new()?;
    let cases: Vec<Case> = cases::all()?
        .into_iter()
        .filter(|case| args.filter.as_ref().is_none_or(|f| case.name.contains(f)))
        .collect();
    if cases.is_empty() {
        let filter = args.filter.as_deref().unwrap_or_default();
        return Err(format!("no case name contains {filter:?}"));
    }
    print_header();
    let (mut ratios, mut failures) = (Vec::new(), Vec::new());
    for case in &cases {
        let prepared = Prepared {
            case,
            ethrex_tx: EthrexState::transaction(case),
            revm_tx: RevmState::transaction(case)?,
        };
        match measure(args, &prepared, &ethrex_state, &revm_state)? {
            Measured::Timed(row) => {
                print_row(&row);
                ratios.push(row.ratio());
            }
            Measured::Failed(failure) => {
                println!("{:<22} FAILED (see below)", case.name);
                failures.push(failure);
            }
        }
    }
    for failure in &failures {
        println!("{failure}");
    }
    println!("geomean ratio ethrex/revm: {:.2}", geomean(&ratios));
    if failures.is_empty() {
        Ok(())
    } else {
        Err(format!("{} case(s) failed or disagree", failures.len()))
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::U256;

    use super::*;

    /// Every case, run once on each side: both succeed and agree (the benchmark's own check).
    #[test]
    fn ethrex_and_revm_agree_on_every_case() {
        let ethrex_state = EthrexState::new().unwrap();
        let revm_state = RevmState::new().unwrap();
        for case in cases::all().unwrap() {
            let ethrex = ethrex_state
                .execute(&EthrexState::transaction(&case))
                .unwrap();
            let revm = revm_state
                .execute(&RevmState::transaction(&case).unwrap())
                .unwrap();
            assert_eq!(disagreement(case.name, &ethrex, &revm), None);
            assert!(ethrex.success, "{} failed", case.name);
        }
    }

    fn ethrex_call(contract: cases::Contract, signature: &str, args: &[u64]) -> Vec<U256> {
        let args: Vec<_> = args
            .iter()
            .map(|a| cases::Arg::Word(U256::from(*a)))
            .collect();
        let case = Case {
            name: "test",
            to: contract.address(),
            calldata: cases::encode_call(signature, &args),
        };
        let state = EthrexState::new().unwrap();
        let outcome = state.execute(&EthrexState::transaction(&case)).unwrap();
        assert!(outcome.success, "{signature} failed");
        outcome.output.chunks(32).map(U256::from_be_slice).collect()
    }

    /// The contracts compute what they claim, so the cases measure real work.
    #[test]
    fn contracts_compute_known_values() {
        use cases::Contract::*;
        let u = U256::from;
        assert_eq!(ethrex_call(Math, "factorial(uint256)", &[5]), [u(120)]);
        assert_eq!(
            ethrex_call(Math, "factorialRecursive(uint256,uint256)", &[5, 2]),
            [u(240)]
        );
        assert_eq!(ethrex_call(Math, "fibonacci(uint256)", &[10]), [u(55)]);
        assert_eq!(
            ethrex_call(Math, "fibonacciRecursive(uint256)", &[10]),
            [u(55)]
        );
        assert_eq!(ethrex_call(Erc20, "benchTransfer(uint256)", &[3]), [u(0)]);
        assert_eq!(ethrex_call(Erc20, "benchMint(uint256)", &[3]), [u(6)]);
        assert_eq!(ethrex_call(Erc20, "benchApprove(uint256)", &[3]), [u(3)]);
        assert_eq!(ethrex_call(Loops, "sstoreSame(uint256)", &[5]), [u(5)]);
        assert_eq!(ethrex_call(Loops, "sstoreFresh(uint256)", &[3]), [u(1)]);
        assert_eq!(ethrex_call(Loops, "mstoreLoop(uint256)", &[3]), [u(1)]);

        let h1 = alloy_primitives::keccak256([0u8; 64]);
        let mut preimage = [0u8; 64];
        preimage[..32].copy_from_slice(h1.as_slice());
        preimage[63] = 1;
        let h2 = alloy_primitives::keccak256(preimage);
        assert_eq!(
            ethrex_call(Keccak, "hashChain(uint256)", &[2]),
            [U256::from_be_bytes(h2.0)]
        );

        let mut seed = u(1);
        let mut values: Vec<U256> = (0..5)
            .map(|_| {
                seed = seed * u(6364136223846793005u64) + u(1442695040888963407u64);
                seed
            })
            .collect();
        values.sort_unstable();
        let expected = values[0] ^ values[4];
        assert_eq!(
            ethrex_call(BubbleSort, "sort(uint256,uint256)", &[5, 1]),
            [expected]
        );

        // 3G on secp256k1 (the last of 2G, 3G).
        let three_g = [
            "0xf9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f9",
            "0x388f7b0f632de8140fe337e62a37f3566500a99934c2231b6cb9fd7584b8e672",
        ]
        .map(|h| h.parse::<U256>().unwrap());
        assert_eq!(
            ethrex_call(EcMul, "bench(uint256,uint256)", &[2, 2]),
            three_g
        );
    }
}
