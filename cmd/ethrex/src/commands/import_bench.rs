//! `ethrex import-bench <file.rlp>`: imports a chain file into a fresh database (RocksDB in a
//! temporary directory, deleted afterwards, or in memory) and reports gas per second, split into
//! execution, merkleization and storage.

use std::{path::PathBuf, time::Instant};

use ethrex_blockchain::{Blockchain, ImportStats};
use ethrex_common::Network;
use ethrex_storage::Store;

use super::{CliError, import::import_files};

/// Runs the benchmark on `file` over `network`'s genesis.
pub fn run(
    network: &str,
    file: &PathBuf,
    in_memory: bool,
    batch_size: usize,
) -> Result<(), CliError> {
    let genesis = network.parse::<Network>()?.genesis()?;
    let dir = tempfile::Builder::new()
        .prefix("ethrex-import-bench-")
        .tempdir()
        .map_err(|e| CliError::Io(format!("cannot create a temporary directory: {e}")))?;
    let store = if in_memory {
        Store::in_memory()
    } else {
        Store::open(dir.path())?
    };
    store.init_genesis(&genesis)?;
    let chain = Blockchain::new(store)?;
    let started = Instant::now();
    let (mut stats, _) = import_files(&chain, std::slice::from_ref(file), batch_size)?;
    let persist = Instant::now();
    chain.store().persist_state()?;
    stats.timings.storage += persist.elapsed();
    let wall = started.elapsed();
    print!("{}", report(&stats, wall.as_secs_f64(), in_memory));
    Ok(())
}

/// The benchmark's report.
fn report(stats: &ImportStats, wall_secs: f64, in_memory: bool) -> String {
    let t = stats.timings;
    let parts = [
        ("execution", t.execution.as_secs_f64()),
        ("merkleization", t.merkleization.as_secs_f64()),
        ("storage", t.storage.as_secs_f64()),
    ];
    let busy: f64 = parts.iter().map(|(_, s)| s).sum();
    let mgas = stats.gas as f64 / 1e6;
    let rate = |secs: f64| if secs > 0.0 { mgas / secs } else { 0.0 };
    let mut out = format!(
        "import-bench ({}): {} blocks, {} transactions, {:.1} Mgas in {wall_secs:.2} s\n\
         throughput: {:.1} Mgas/s ({:.1} Mgas/s of processing time)\n",
        if in_memory { "in-memory" } else { "RocksDB" },
        stats.blocks,
        stats.transactions,
        mgas,
        rate(wall_secs),
        rate(busy),
    );
    for (name, secs) in parts {
        let share = if busy > 0.0 { secs / busy * 100.0 } else { 0.0 };
        out.push_str(&format!(
            "  {name:<14} {secs:>8.2} s  {share:>5.1}%  {:>8.1} Mgas/s\n",
            rate(secs)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use ethrex_blockchain::Timings;

    use super::*;

    #[test]
    fn report_splits_time_and_rates() {
        let stats = ImportStats {
            blocks: 10,
            transactions: 100,
            gas: 300_000_000,
            timings: Timings {
                execution: Duration::from_secs(2),
                merkleization: Duration::from_secs(1),
                storage: Duration::from_secs(1),
            },
        };
        let text = report(&stats, 5.0, false);
        assert!(
            text.contains("10 blocks, 100 transactions, 300.0 Mgas in 5.00 s"),
            "{text}"
        );
        assert!(
            text.contains("throughput: 60.0 Mgas/s (75.0 Mgas/s of processing time)"),
            "{text}"
        );
        assert!(
            text.contains("execution          2.00 s   50.0%     150.0 Mgas/s"),
            "{text}"
        );
        assert!(
            text.contains("storage            1.00 s   25.0%     300.0 Mgas/s"),
            "{text}"
        );
    }
}
