//! Crash safety of the RocksDB store: a writer process (the `ethrex-storage-crash-writer` bin)
//! is killed mid-stream, and the reopened database holds every batch up to some point and
//! nothing of the later ones.

use std::{
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use ethrex_storage::{Store, Table};

#[path = "../../src/bin/crash-writer/batches.rs"]
#[expect(
    dead_code,
    reason = "the writer builds the batches; this test only reads them"
)]
mod batches;

use batches::{KEYS_PER_BATCH, LAST, TABLES, key};

#[test]
fn kill_during_writes_leaves_whole_batches() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ethrex-storage-crash-writer"))
        .arg(dir.path())
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
    assert!(
        child.try_wait().unwrap().is_none(),
        "the writer exited before it was killed"
    );
    child.kill().unwrap();
    child.wait().unwrap();

    let store = Store::open(dir.path()).unwrap();
    let last = store
        .backend()
        .get(Table::Misc, LAST)
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
