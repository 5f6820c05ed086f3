//! Crash safety of the RocksDB store: a writer process is killed mid-stream, and the reopened
//! database holds every batch up to some point and nothing of the later ones.
//!
//! The test re-runs this test binary as the writer (`kill_during_writes_leaves_whole_batches`
//! spawns `writer_until_killed` with `ETHREX_CRASH_DIR` set).

use std::{
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use ethrex_storage::{Store, Table, WriteBatch};

const DIR_VAR: &str = "ETHREX_CRASH_DIR";
const KEYS_PER_BATCH: u64 = 50;
const TABLES: [Table; 3] = [Table::Headers, Table::Bodies, Table::Receipts];

fn key(batch: u64, i: u64) -> Vec<u8> {
    [batch.to_be_bytes(), i.to_be_bytes()].concat()
}

/// The writer: commits batch after batch until killed (or 30 s pass). Does nothing when run
/// without `ETHREX_CRASH_DIR`.
#[test]
fn writer_until_killed() {
    let Ok(dir) = std::env::var(DIR_VAR) else {
        return;
    };
    let store = Store::open(&dir).unwrap();
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < Duration::from_secs(30) {
        let mut batch = WriteBatch::new();
        for i in 0..KEYS_PER_BATCH {
            for table in TABLES {
                batch.put(table, key(n, i), vec![n as u8; 200]);
            }
        }
        batch.put(Table::Misc, b"last".to_vec(), n.to_be_bytes());
        store.backend().write(batch).unwrap();
        n += 1;
    }
}

#[test]
fn kill_during_writes_leaves_whole_batches() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "writer_until_killed", "--test-threads=1"])
        .env(DIR_VAR, dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the writer has committed some batches, then kill it mid-stream.
    let started = Instant::now();
    while !dir.path().join("CURRENT").exists() && started.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(700));
    child.kill().unwrap();
    child.wait().unwrap();

    let store = Store::open(dir.path()).unwrap();
    let last = store
        .backend()
        .get(Table::Misc, b"last")
        .unwrap()
        .expect("some batch landed");
    let last = u64::from_be_bytes(last.try_into().unwrap());
    assert!(
        last > 0,
        "the writer committed several batches before the kill"
    );
    for n in 0..=last + 2 {
        for i in 0..KEYS_PER_BATCH {
            for table in TABLES {
                let present = store.backend().get(table, &key(n, i)).unwrap().is_some();
                assert_eq!(
                    present,
                    n <= last,
                    "batch {n} key {i} in {table} (last whole batch {last})"
                );
            }
        }
    }
}
