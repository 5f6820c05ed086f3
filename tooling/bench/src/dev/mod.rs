//! `ethrex-bench dev`: `ethrex --dev` against anvil, two local dev nodes, driven over JSON-RPC
//! by the same client code and timed side by side.
//!
//! Start-up ([`node`]): both nodes on free 127.0.0.1 ports, in memory; the benchmark's senders
//! (the first dev accounts of `dev-keys.txt`, prefunded in ethrex's dev genesis) get the same
//! balance on anvil through `anvil_setBalance`, before any timing. Then each case ([`cases`]) runs
//! on ethrex, then on anvil (the request latencies alternate between the two, request by
//! request); transactions are signed ([`txs`]) before the clock starts, with each node's own
//! chain id. The nodes are killed when the command ends, on errors too.
//!
//! Figures: a rate (transfers per second) or a median time; the ratio is always ethrex's cost
//! over anvil's (time over time, or anvil's rate over ethrex's), so below 1 ethrex is faster,
//! and the last line is the geometric mean of the ratios.
//!
//! Where to start reading: [`run`], then [`cases`].

pub(crate) mod cases;
pub(crate) mod node;
pub(crate) mod rpc;
pub(crate) mod txs;

use std::{path::PathBuf, time::Duration};

use alloy_primitives::Address;
use clap::Args;
use ethrex_common::dev::{DEV_BALANCE, dev_accounts};

use self::{node::Node, txs::Sender};
use crate::stats::{format_time, geomean};

/// Flags of `ethrex-bench dev`.
#[derive(Args)]
pub struct DevArgs {
    /// The ethrex binary (default: `ethrex` next to this executable).
    #[arg(long)]
    ethrex: Option<PathBuf>,
    /// The anvil binary (default: `anvil` on PATH, else installed from npm into target/bench-tools).
    #[arg(long)]
    anvil: Option<PathBuf>,
    /// Senders of the `transfers` case.
    #[arg(long, default_value_t = 50)]
    senders: usize,
    /// Transfers per sender.
    #[arg(long, default_value_t = 100)]
    per_sender: u64,
    /// Most transfers sent and not yet mined: sending waits above it. (anvil's automine drops
    /// the notifications of ready transactions past 2,048 queued, which then wait for the next
    /// transaction: a larger window can leave it stalled.)
    #[arg(long, default_value_t = 1_000)]
    window: usize,
    /// Timed `eth_call`s.
    #[arg(long, default_value_t = 2_000)]
    calls: usize,
    /// Blocks with a log, each made by one transaction, for `eth_getLogs`.
    #[arg(long, default_value_t = 1_000)]
    log_blocks: u64,
    /// Timed `eth_getLogs` over those blocks.
    #[arg(long, default_value_t = 20)]
    get_logs: usize,
}

/// One side's figure for a case: a time (lower is better) or a rate (higher is better).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Figure {
    Time(Duration),
    PerSecond(f64),
}

impl Figure {
    /// Seconds per unit of work: what the ratio compares.
    fn cost(self) -> f64 {
        match self {
            Figure::Time(time) => time.as_secs_f64(),
            Figure::PerSecond(rate) => 1.0 / rate,
        }
    }

    fn display(self) -> String {
        match self {
            Figure::Time(time) => format_time(time),
            Figure::PerSecond(rate) => format!("{rate:.0} tx/s"),
        }
    }
}

/// A case's figures on both nodes.
struct Row {
    case: String,
    ethrex: Figure,
    anvil: Figure,
}

impl Row {
    /// ethrex's cost over anvil's: ethrex time / anvil time, or anvil rate / ethrex rate. Below
    /// 1 ethrex is faster.
    fn ratio(&self) -> f64 {
        self.ethrex.cost() / self.anvil.cost().max(f64::MIN_POSITIVE)
    }
}

/// The accounts the cases send from, the same on both nodes.
struct Accounts {
    transfer_senders: Vec<Sender>,
    deployer: Sender,
    logger: Sender,
}

impl Accounts {
    /// The first `senders` dev accounts send transfers; the next two deploy and call the probe.
    fn new(senders: usize) -> Result<Accounts, String> {
        let mut all = dev_accounts()
            .map_err(|e| e.to_string())?
            .into_iter()
            .map(|account| Sender {
                secret: account.secret,
                address: account.address,
            });
        let transfer_senders: Vec<Sender> = all.by_ref().take(senders).collect();
        let (Some(deployer), Some(logger)) = (all.next(), all.next()) else {
            return Err(format!(
                "--senders {senders}: at most {} dev accounts can send (two more are needed)",
                dev_accounts().map_or(0, |a| a.len()).saturating_sub(2)
            ));
        };
        Ok(Accounts {
            transfer_senders,
            deployer,
            logger,
        })
    }

    fn addresses(&self) -> Vec<Address> {
        let rest = [self.deployer.address, self.logger.address];
        let senders = self.transfer_senders.iter().map(|s| s.address);
        senders.chain(rest).collect()
    }
}

/// Runs every case on both nodes and prints the table; fails on any error or failed check.
pub fn run(args: &DevArgs) -> Result<(), String> {
    let accounts = Accounts::new(args.senders)?;
    let ethrex_binary = node::ethrex_binary(args.ethrex.as_deref())?;
    let anvil_binary = node::anvil_binary(args.anvil.as_deref())?;
    let ethrex = Node::start_ethrex(&ethrex_binary)?;
    let anvil = Node::start_anvil(&anvil_binary)?;
    cases::fund_on_anvil(&anvil, &accounts.addresses(), DEV_BALANCE)?;
    let nodes = [&ethrex, &anvil];
    let mut rows = Vec::new();
    let mut notes = Vec::new();

    let [on_ethrex, on_anvil] = on_both(nodes, [(); 2], |node, ()| {
        let plan = cases::TransferPlan {
            per_sender: args.per_sender,
            window: args.window,
        };
        cases::transfers(node, &accounts.transfer_senders, plan)
    })?;
    rows.push(Row {
        case: format!("transfers ({} txs)", on_ethrex.count),
        ethrex: Figure::PerSecond(on_ethrex.per_second()),
        anvil: Figure::PerSecond(on_anvil.per_second()),
    });
    notes.push(format!(
        "transfers: ethrex {} blocks in {}, anvil {} blocks in {}",
        on_ethrex.blocks,
        format_time(on_ethrex.elapsed),
        on_anvil.blocks,
        format_time(on_anvil.elapsed)
    ));

    let probes = on_both(nodes, [(); 2], |node, ()| {
        cases::deploy_probe(node, &accounts.deployer)
    })?;
    let [on_ethrex, on_anvil] = cases::eth_call(nodes, probes, args.calls)?;
    rows.push(Row {
        case: "eth_call (median)".into(),
        ethrex: Figure::Time(on_ethrex),
        anvil: Figure::Time(on_anvil),
    });

    let log_blocks = on_both(nodes, probes, |node, probe| {
        cases::log_blocks(node, probe, &accounts.logger, args.log_blocks)
    })?;
    for (node, blocks) in nodes.iter().zip(&log_blocks) {
        notes.push(format!(
            "log blocks: {} logs in blocks {}..={} of {}",
            blocks.logs, blocks.first, blocks.last, node.name
        ));
    }
    let [on_ethrex, on_anvil] = cases::get_logs(
        nodes,
        probes,
        [&log_blocks[0], &log_blocks[1]],
        args.get_logs,
    )?;
    let span = log_blocks[0].last.saturating_sub(log_blocks[0].first) + 1;
    rows.push(Row {
        case: format!("eth_getLogs ({span} blocks)"),
        ethrex: Figure::Time(on_ethrex),
        anvil: Figure::Time(on_anvil),
    });
    rows.push(Row {
        case: "send→receipt (median)".into(),
        ethrex: Figure::Time(log_blocks[0].mined_latency),
        anvil: Figure::Time(log_blocks[1].mined_latency),
    });

    print_table(&rows);
    for note in &notes {
        println!("{note}");
    }
    Ok(())
}

/// `case` on each node (ethrex first) with that node's entry of `inputs`; an error names the
/// node.
fn on_both<I, T>(
    nodes: [&Node; 2],
    inputs: [I; 2],
    mut case: impl FnMut(&Node, I) -> Result<T, String>,
) -> Result<[T; 2], String> {
    let [ethrex_input, anvil_input] = inputs;
    let mut on = |node: &Node, input| case(node, input).map_err(|e| format!("{}: {e}", node.name));
    Ok([on(nodes[0], ethrex_input)?, on(nodes[1], anvil_input)?])
}

fn print_table(rows: &[Row]) {
    println!(
        "{:<26} {:>14} {:>14} {:>13}",
        "case", "ethrex", "anvil", "ethrex/anvil"
    );
    for row in rows {
        println!(
            "{:<26} {:>14} {:>14} {:>13.2}",
            row.case,
            row.ethrex.display(),
            row.anvil.display(),
            row.ratio()
        );
    }
    let ratios: Vec<f64> = rows.iter().map(Row::ratio).collect();
    println!("geomean ratio ethrex/anvil: {:.2}", geomean(&ratios));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(ethrex: Figure, anvil: Figure) -> Row {
        Row {
            case: "test".into(),
            ethrex,
            anvil,
        }
    }

    #[test]
    fn a_ratio_below_one_means_ethrex_is_faster_for_times_and_rates() {
        let ms = |n| Figure::Time(Duration::from_millis(n));
        assert!((row(ms(2), ms(4)).ratio() - 0.5).abs() < 1e-12);
        assert!((row(ms(6), ms(2)).ratio() - 3.0).abs() < 1e-12);
        // 2,000 tx/s against 1,000 tx/s: ethrex takes half the time per transaction.
        let rate = Figure::PerSecond;
        assert!((row(rate(2_000.0), rate(1_000.0)).ratio() - 0.5).abs() < 1e-12);
        assert!((row(rate(500.0), rate(1_000.0)).ratio() - 2.0).abs() < 1e-12);
    }

    #[test]
    fn the_geomean_of_ratios_cancels_a_twice_slower_and_a_twice_faster_case() {
        let ms = |n| Figure::Time(Duration::from_millis(n));
        let rows = [
            row(ms(2), ms(1)),
            row(Figure::PerSecond(200.0), Figure::PerSecond(100.0)),
        ];
        let ratios: Vec<f64> = rows.iter().map(Row::ratio).collect();
        assert!((geomean(&ratios) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn accounts_are_distinct_dev_accounts() {
        let accounts = Accounts::new(50).unwrap();
        let mut addresses = accounts.addresses();
        assert_eq!(addresses.len(), 52);
        addresses.sort_unstable();
        addresses.dedup();
        assert_eq!(addresses.len(), 52);
        assert!(Accounts::new(191).is_err());
    }
}
