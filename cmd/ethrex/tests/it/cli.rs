//! The commands of the `ethrex` binary: `compute-state-root`, `--version`, `--help`,
//! `l2 deploy --help` and `l2 prover --help` (against docs/CLI.md), `l2 prover` with an absent
//! backend, `import` of the execution-apis chain, `removedb` and `export`.

use std::{path::Path, process::Output};

use ethrex_common::Network;
use ethrex_test_utils::{
    fixtures::EXECUTION_APIS,
    node::{stderr, stdout},
    require_fixture,
};

use crate::{ethrex, import, import_chain};

#[test]
fn compute_state_root_prints_each_preset_genesis_state_root() {
    for network in Network::PRESETS {
        let name = network.to_string();
        let out = ethrex(&["compute-state-root", "--network", &name]);
        assert!(out.status.success(), "{name}: {}", stderr(&out));
        // The genesis header (whose hash the common crate checks against the published hash)
        // commits to this state root.
        let expected = network.genesis().unwrap().header().unwrap().state_root;
        assert_eq!(stdout(&out).trim(), expected.to_string(), "{name}");
    }
}

#[test]
fn compute_state_root_of_mainnet_is_the_known_root() {
    let out = ethrex(&["compute-state-root", "--network", "mainnet"]);
    assert_eq!(
        stdout(&out).trim(),
        "0xd7f8974fb5ac78d9ac099b9ad5018bedc2ce0a72dad1827a1709da30580f0544"
    );
}

#[test]
fn compute_state_root_reads_a_genesis_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("genesis.json");
    // One account with balance 1 at address 0x..01: a root any client computes the same way.
    std::fs::write(
        &path,
        r#"{"config":{"chainId":7},"alloc":{"0x0000000000000000000000000000000000000001":{"balance":"0x1"}},"gasLimit":"0x1000","difficulty":"0x1"}"#,
    )
    .unwrap();
    let out = ethrex(&["compute-state-root", "--network", path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let expected = Network::GenesisFile(path.clone())
        .genesis()
        .unwrap()
        .state_root()
        .unwrap();
    assert_eq!(stdout(&out).trim(), expected.to_string());
    assert_ne!(expected, ethrex_common::constants::EMPTY_TRIE_ROOT);
}

#[test]
fn malformed_genesis_file_is_a_clear_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.json");
    std::fs::write(
        &path,
        r#"{"config":{"chainId":7},"alloc":{"0x01":{"balance":"0x1"}}"#,
    )
    .unwrap();
    let out = ethrex(&["compute-state-root", "--network", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.starts_with("error: invalid genesis: "), "{err}");
    assert!(err.contains("broken.json"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn unknown_network_is_a_clear_error() {
    let out = ethrex(&["compute-state-root", "--network", "goerli"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("unknown network \"goerli\""),
        "{}",
        stderr(&out)
    );
}

#[test]
fn version_flag_prints_the_version() {
    let out = ethrex(&["--version"]);
    assert!(out.status.success());
    assert_eq!(
        stdout(&out).trim(),
        format!("ethrex {}", env!("CARGO_PKG_VERSION"))
    );
}

/// `ethrex l2 prover` with a backend this build lacks exits non-zero saying so, before any
/// connection (the coordinator URL names a closed port).
#[test]
fn l2_prover_refuses_a_backend_this_build_lacks() {
    for backend in ["sp1", "risc0", "tdx"] {
        let out = ethrex(&[
            "l2",
            "prover",
            "--backend",
            backend,
            "--proof-coordinators",
            "tcp://127.0.0.1:1",
        ]);
        assert!(!out.status.success(), "{backend}");
        let err = stderr(&out);
        assert!(
            err.contains(&format!("{backend} is not available in this build")),
            "{backend}: {err}"
        );
    }
}

/// docs/CLI.md is generated from `--help` (`make cli-docs`); this fails when they drift. Its
/// ```text blocks are, in order, `ethrex --help`, `ethrex l2 --help`, `ethrex l2 deploy --help`
/// and `ethrex l2 prover --help`.
#[test]
fn cli_reference_matches_help_output() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/CLI.md");
    let doc = std::fs::read_to_string(path).expect("read docs/CLI.md");
    let blocks: Vec<&str> = doc
        .split("```text\n")
        .skip(1)
        .filter_map(|rest| rest.split("```").next())
        .collect();
    let commands: [&[&str]; 4] = [
        &["--help"],
        &["l2", "--help"],
        &["l2", "deploy", "--help"],
        &["l2", "prover", "--help"],
    ];
    assert_eq!(
        blocks.len(),
        commands.len(),
        "docs/CLI.md: one ```text block per command"
    );
    for (args, block) in commands.iter().zip(blocks) {
        let help = stdout(&ethrex(args));
        assert_eq!(
            block.trim_end(),
            help.trim_end(),
            "docs/CLI.md is stale for `ethrex {}`: run `make cli-docs`",
            args.join(" ")
        );
    }
}

/// The execution-apis test chain (Frontier → Osaka) and its genesis, from the shared fixtures.
#[test]
fn import_of_the_execution_apis_chain_ends_at_the_forkchoice_head() {
    let apis = require_fixture!(EXECUTION_APIS);
    let fcu: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(apis.join("headfcu.json")).unwrap()).unwrap();
    let head = fcu["params"][0]["headBlockHash"]
        .as_str()
        .unwrap()
        .to_string();
    let dir = tempfile::tempdir().unwrap();
    let datadir = dir.path().to_str().unwrap();
    let out = import_chain(datadir, &apis);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains(&format!("head #54 {head}, state root 0x")),
        "{}",
        stdout(&out)
    );
    // A second import finds every block stored (RocksDB persisted them) and imports none.
    let again = import_chain(datadir, &apis);
    assert!(
        stdout(&again).starts_with("imported 0 blocks (54 already present)"),
        "{}",
        stdout(&again)
    );
}

#[test]
fn truncated_import_names_the_block_and_keeps_the_ones_before() {
    let apis = require_fixture!(EXECUTION_APIS);
    let dir = tempfile::tempdir().unwrap();
    let chain = std::fs::read(apis.join("chain.rlp")).unwrap();
    let truncated = dir.path().join("truncated.rlp");
    std::fs::write(&truncated, &chain[..3000]).unwrap();
    let datadir = dir.path().join("db");
    let datadir = datadir.to_str().unwrap();
    let out = import(datadir, &apis, &truncated);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("block 2 of the file (at byte")
            && err.contains("after block #1) is malformed RLP"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    let resumed = import_chain(datadir, &apis);
    assert!(
        stdout(&resumed).starts_with("imported 53 blocks (1 already present)"),
        "{}",
        stdout(&resumed)
    );
}

#[test]
fn removedb_deletes_the_datadir_only_when_told() {
    let apis = require_fixture!(EXECUTION_APIS);
    let dir = tempfile::tempdir().unwrap();
    let datadir = dir.path().join("db");
    let datadir = datadir.to_str().unwrap();
    assert!(import_chain(datadir, &apis).status.success());
    // Without --force it asks; no answer (stdin closed) keeps the database.
    let kept = ethrex(&["--datadir", datadir, "removedb"]);
    assert!(kept.status.success());
    assert!(stdout(&kept).contains("not removed"), "{}", stdout(&kept));
    assert!(std::path::Path::new(datadir).exists());
    let removed = ethrex(&["--datadir", datadir, "removedb", "--force"]);
    assert!(removed.status.success(), "{}", stderr(&removed));
    assert!(!std::path::Path::new(datadir).exists());
}

/// `ethrex --datadir <datadir> --network <apis>/genesis.json export <args>`.
fn export(datadir: &str, apis: &Path, args: &[&str]) -> Output {
    let network = apis.join("genesis.json");
    let network = network.to_str().expect("utf-8 path");
    let mut all = vec!["--datadir", datadir, "--network", network, "export"];
    all.extend_from_slice(args);
    ethrex(&all)
}

/// A temp dir holding `db`, a data directory with the execution-apis chain imported.
fn imported_chain(apis: &Path) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("create a temp dir");
    let datadir = dir
        .path()
        .join("db")
        .to_str()
        .expect("utf-8 path")
        .to_string();
    let out = import_chain(&datadir, apis);
    assert!(out.status.success(), "{}", stderr(&out));
    (dir, datadir)
}

/// The names in `dir`, sorted.
fn entries(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read the dir")
        .map(|entry| {
            entry
                .expect("read a dir entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

#[test]
fn export_of_an_imported_chain_gives_back_the_same_bytes() {
    let apis = require_fixture!(EXECUTION_APIS);
    let (dir, datadir) = imported_chain(&apis);
    let chain = std::fs::read(apis.join("chain.rlp")).unwrap();
    let file = dir.path().join("out.rlp");
    let out = export(&datadir, &apis, &[file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out).trim(),
        format!(
            "exported blocks 1..=54 (54 blocks, {} bytes) to {}",
            chain.len(),
            file.display()
        )
    );
    assert!(std::fs::read(&file).unwrap() == chain, "bytes differ");
    assert_eq!(entries(dir.path()), ["db", "out.rlp"]);
}

#[test]
fn export_of_a_range_is_those_blocks_of_the_imported_file() {
    let apis = require_fixture!(EXECUTION_APIS);
    let (dir, datadir) = imported_chain(&apis);
    // Split chain.rlp into its blocks' raw encodings, by number, independently of the exporter.
    let chain = std::fs::read(apis.join("chain.rlp")).unwrap();
    let mut rest = chain.as_slice();
    let mut expected = Vec::new();
    while !rest.is_empty() {
        let mut item = rest;
        let header = alloy_rlp::Header::decode(&mut item).unwrap();
        let len = rest.len() - item.len() + header.payload_length;
        let (raw, tail) = rest.split_at(len);
        let block: ethrex_common::types::Block = alloy_rlp::decode_exact(raw).unwrap();
        if (10..=20).contains(&block.header.number) {
            expected.extend_from_slice(raw);
        }
        rest = tail;
    }
    let file = dir.path().join("range.rlp");
    let out = export(
        &datadir,
        &apis,
        &[file.to_str().unwrap(), "--first", "10", "--last", "20"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with("exported blocks 10..=20 (11 blocks, "),
        "{}",
        stdout(&out)
    );
    assert!(std::fs::read(&file).unwrap() == expected, "bytes differ");
}

#[test]
fn export_refuses_bad_ranges_and_existing_files_and_leaves_no_file() {
    let apis = require_fixture!(EXECUTION_APIS);
    let (dir, datadir) = imported_chain(&apis);
    let file = dir.path().join("out.rlp");
    let path = file.to_str().unwrap();
    let refused = [
        (
            vec![path, "--first", "20", "--last", "10"],
            "--first 20 is greater than --last 10",
        ),
        (
            vec![path, "--last", "55"],
            "--last 55 is past the head, block #54",
        ),
        (
            vec![path, "--first", "60"],
            "--first 60 is greater than --last 54",
        ),
    ];
    for (args, message) in refused {
        let out = export(&datadir, &apis, &args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(stderr(&out).contains(message), "{args:?}: {}", stderr(&out));
        assert_eq!(entries(dir.path()), ["db"], "{args:?}");
    }

    // An existing file is kept unless --force.
    std::fs::write(&file, b"keep me").unwrap();
    let out = export(&datadir, &apis, &[path]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("already exists (use --force"),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read(&file).unwrap(), b"keep me");
    let out = export(&datadir, &apis, &[path, "--last", "1", "--force"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_ne!(std::fs::read(&file).unwrap(), b"keep me");
    assert_eq!(entries(dir.path()), ["db", "out.rlp"]);

    // A failure after writing (the rename onto a directory) removes the temp file.
    let subdir = dir.path().join("dir.rlp");
    std::fs::create_dir(&subdir).unwrap();
    std::fs::write(subdir.join("inside"), b"x").unwrap();
    let out = export(&datadir, &apis, &[subdir.to_str().unwrap(), "--force"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("cannot rename"), "{}", stderr(&out));
    assert_eq!(entries(dir.path()), ["db", "dir.rlp", "out.rlp"]);
}

#[test]
fn export_without_a_database_neither_creates_one_nor_a_file() {
    let apis = require_fixture!(EXECUTION_APIS);
    let dir = tempfile::tempdir().unwrap();
    let datadir = dir.path().join("missing");
    let file = dir.path().join("out.rlp");
    let out = export(datadir.to_str().unwrap(), &apis, &[file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains(&format!("no database at {}", datadir.display())),
        "{}",
        stderr(&out)
    );
    assert!(entries(dir.path()).is_empty());

    // The in-memory store holds only the genesis block.
    let out = export("memory", &apis, &[file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("nothing to export: the chain has only the genesis block"),
        "{}",
        stderr(&out)
    );
    assert!(entries(dir.path()).is_empty());
}
