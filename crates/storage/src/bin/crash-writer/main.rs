//! The writer process of the storage crash test (`tests/it/crash.rs`): opens the RocksDB store
//! at the directory given as its only argument and commits [`batches::batch`] 0, 1, 2, ... until
//! it is killed, or 30 s pass. Built for that test only (not a tool, not installed).

mod batches;

use std::time::{Duration, Instant};

use ethrex_storage::Store;

/// How long the writer writes when nobody kills it.
const MAX_RUN: Duration = Duration::from_secs(30);

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args()
        .nth(1)
        .ok_or("usage: ethrex-storage-crash-writer <store directory>")?;
    let store = Store::open(&dir)?;
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < MAX_RUN {
        store.backend().write(batches::batch(n))?;
        n += 1;
    }
    Ok(())
}
