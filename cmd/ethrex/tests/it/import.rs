//! `ethrex import` on bad input: a block with a wrong state root, a block whose parent is
//! unknown, a corrupted file. Each must fail with an error naming the block, keep every block
//! before it, and let a later import of the good file resume.

use std::path::Path;

use alloy_rlp::Decodable;
use ethrex_common::types::Block;
use ethrex_test_utils::{
    fixtures::EXECUTION_APIS,
    node::{stderr, stdout},
    require_fixture,
};

use crate::{import, import_chain};

/// The blocks of the execution-apis chain.
fn blocks(apis: &Path) -> Vec<Block> {
    let bytes = std::fs::read(apis.join("chain.rlp")).expect("read chain.rlp");
    let mut buf = bytes.as_slice();
    let mut blocks = Vec::new();
    while !buf.is_empty() {
        blocks.push(Block::decode(&mut buf).expect("chain.rlp decodes"));
    }
    blocks
}

fn write_chain(path: &std::path::Path, blocks: &[Block]) {
    let mut bytes = Vec::new();
    for block in blocks {
        bytes.extend(alloy_rlp::encode(block));
    }
    std::fs::write(path, bytes).expect("write the chain file");
}

/// Imports `blocks` into a fresh datadir; checks the failure names `expected` and that the head
/// is block #9; then the good chain resumes from there.
fn assert_fails_at_block_10(apis: &Path, blocks: &[Block], expected: &[&str]) {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("bad.rlp");
    write_chain(&file, blocks);
    let datadir = dir.path().join("db");
    let datadir = datadir.to_str().expect("utf-8 path");
    let out = import(datadir, apis, &file);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(!err.contains("panicked"), "{err}");
    for part in expected {
        assert!(err.contains(part), "expected {part:?} in: {err}");
    }
    assert!(err.contains("every block before it is imported"), "{err}");
    let resumed = import_chain(datadir, apis);
    assert!(resumed.status.success(), "{}", stderr(&resumed));
    assert!(
        stdout(&resumed).starts_with("imported 45 blocks (9 already present)"),
        "blocks 1..=9 were kept: {}",
        stdout(&resumed)
    );
}

#[test]
fn a_wrong_state_root_names_the_block_and_keeps_the_ones_before() {
    let apis = require_fixture!(EXECUTION_APIS);
    let mut blocks = blocks(&apis);
    let wrong = alloy_primitives::B256::repeat_byte(0xab);
    blocks[9].header.state_root = wrong;
    let hash = blocks[9].header.hash_slow().to_string();
    assert_fails_at_block_10(
        &apis,
        &blocks,
        &[
            &format!("block #10 {hash}"),
            &format!("state root {wrong} in the header"),
        ],
    );
}

#[test]
fn an_unknown_parent_names_the_block_and_keeps_the_ones_before() {
    let apis = require_fixture!(EXECUTION_APIS);
    let mut blocks = blocks(&apis);
    let missing = blocks.remove(9);
    let orphan = blocks[9].header.hash_slow().to_string();
    assert_fails_at_block_10(
        &apis,
        &blocks,
        &[
            &format!("block #11 {orphan}"),
            &format!("parent {} is unknown", missing.header.hash_slow()),
        ],
    );
}

#[test]
fn a_corrupted_block_is_a_decode_error_naming_it() {
    let apis = require_fixture!(EXECUTION_APIS);
    let blocks = blocks(&apis);
    let dir = tempfile::tempdir().expect("temp dir");
    let good = dir.path().join("good.rlp");
    write_chain(&good, &blocks[..9]);
    let mut bytes = std::fs::read(&good).expect("read");
    let offset = bytes.len();
    // Block 10 (file index 9) with its list header claiming more bytes than the file holds.
    let mut tenth = alloy_rlp::encode(&blocks[9]);
    tenth[1] = 0xff;
    bytes.extend(tenth);
    let bad = dir.path().join("bad.rlp");
    std::fs::write(&bad, bytes).expect("write");
    let datadir = dir.path().join("db");
    let datadir = datadir.to_str().expect("utf-8 path");
    let out = import(datadir, &apis, &bad);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        err.contains(&format!(
            "block 10 of the file (at byte {offset}, after block #9) is malformed RLP"
        )),
        "{err}"
    );
    let resumed = import_chain(datadir, &apis);
    assert!(
        stdout(&resumed).starts_with("imported 45 blocks (9 already present)"),
        "{}",
        stdout(&resumed)
    );
}
