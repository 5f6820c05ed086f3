//! Two `ethrex` nodes driven by the CL mock (node 0 builds, both import): deep and side-chain
//! reorgs, a transaction re-orged out and back in, building after an invalid payload, blob
//! bundles checked with c-kzg; every scenario ends with both nodes at the same head and state
//! root. Also the `cl-mock` binary against a running node, versions probed.

use std::{process::Command, time::Duration};

use alloy_primitives::B256;
use cl_mock::{Attributes, ClMock, Head};
use ethrex_common::Fork;
use ethrex_test_utils::{GenesisBuilder, dev_address};
use serde_json::json;

use crate::{Chain, blob_tx, canonical_hash, hash, send, transaction, transfer, tx_hashes};

/// `count` blocks on `parent`, each imported by every node; made the head only when `canonical`
/// (otherwise node 0, the builder, ends on the branch's last parent and the others where they
/// were). Returns the branch's heads.
fn branch(mock: &mut ClMock, parent: Head, count: usize, salt: u8, canonical: bool) -> Vec<Head> {
    let mut heads = Vec::new();
    let mut parent = parent;
    for _ in 0..count {
        let attrs = Attributes::after(&parent, 12, salt);
        let built = if canonical {
            mock.build_on(&parent, &attrs).unwrap()
        } else {
            let built = mock.build(0, &parent, &attrs).unwrap();
            mock.import(&built).unwrap();
            built
        };
        heads.push(built.head);
        parent = built.head;
    }
    heads
}

#[test]
fn ten_deep_reorg_and_back() {
    let chain = Chain::start(GenesisBuilder::new(Fork::Prague), 2);
    let mut mock = chain.mock();
    mock.produce_next().unwrap();
    let fork_point = mock.produce_next().unwrap().head;
    send(&chain.nodes[0].public(), &transfer(0, 0, 1_000));
    let a = branch(&mut mock, fork_point, 10, 1, true);
    let b = branch(&mut mock, fork_point, 10, 2, false);
    assert_ne!(a[9].hash, b[9].hash);
    // Node 1 never had branch B as its chain: a 10-deep reorg onto blocks only imported.
    mock.reorg_to(&b[9]).unwrap();
    chain.assert_heads(b[9].hash);
    for node in &chain.nodes {
        assert_eq!(canonical_hash(&node.public(), b[4].number), b[4].hash);
    }
    mock.reorg_to(&mock.head_of(a[9].hash).unwrap()).unwrap();
    let root = chain.assert_heads(a[9].hash);
    for node in &chain.nodes {
        assert_eq!(canonical_hash(&node.public(), a[0].number), a[0].hash);
        assert_eq!(canonical_hash(&node.public(), a[4].number), a[4].hash);
    }
    // The chain goes on from A's head.
    let next = mock.produce_next().unwrap();
    assert_eq!(next.head.number, a[9].number + 1);
    assert_ne!(chain.assert_heads(next.head.hash), B256::ZERO);
    assert_ne!(root, B256::ZERO);
}

#[test]
fn side_chain_reorg_to_a_sibling_and_back() {
    let chain = Chain::start(GenesisBuilder::new(Fork::Prague), 2);
    let mut mock = chain.mock();
    let parent = mock.produce_next().unwrap().head;
    send(&chain.nodes[0].public(), &transfer(1, 0, 5));
    let head = mock.produce_next().unwrap();
    assert_eq!(head.transactions().len(), 1);
    let sibling = mock
        .build(0, &parent, &Attributes::after(&parent, 12, 9))
        .unwrap();
    mock.import(&sibling).unwrap();
    assert_eq!(sibling.head.number, head.head.number);
    assert_ne!(sibling.head.hash, head.head.hash);

    mock.reorg_to(&sibling.head).unwrap();
    let sibling_root = chain.assert_heads(sibling.head.hash);
    mock.reorg_to(&head.head).unwrap();
    let head_root = chain.assert_heads(head.head.hash);
    assert_ne!(sibling_root, head_root, "the transfer changes the state");
    let next = mock.produce_next().unwrap();
    chain.assert_heads(next.head.hash);
}

/// A transfer included in A1, then re-orged out by a head on B1 (a sibling imported before the
/// transfer existed, so it cannot hold it). Returns the chain, the mock, the transfer's hash
/// and B1.
fn reorged_out_transfer() -> (Chain, ClMock, B256, Head) {
    let chain = Chain::start(GenesisBuilder::new(Fork::Osaka), 2);
    let mut mock = chain.mock();
    let fork_point = mock.produce_next().unwrap().head;
    let b1 = branch(&mut mock, fork_point, 1, 2, false)[0];
    let tx_hash = send(&chain.nodes[0].public(), &transfer(2, 0, 12_345));
    let a1 = mock
        .build_on(&fork_point, &Attributes::after(&fork_point, 12, 1))
        .unwrap();
    assert_eq!(tx_hashes(&a1), vec![tx_hash], "A1 includes the transaction");
    for node in &chain.nodes {
        assert_eq!(
            hash(&transaction(&node.public(), tx_hash)["blockHash"]),
            a1.head.hash
        );
    }
    mock.reorg_to(&b1).unwrap();
    chain.assert_heads(b1.hash);
    (chain, mock, tx_hash, b1)
}

#[test]
fn transaction_reorged_out_and_back_in() {
    let (chain, mut mock, tx_hash, b1) = reorged_out_transfer();
    // Re-orged out: pending again, on the node that had it in its pool and on the other.
    for (i, node) in chain.nodes.iter().enumerate() {
        let pool = node.public().call("txpool_content", json!([])).unwrap();
        let sender = format!("{:?}", dev_address(2));
        let pending = pool["pending"]
            .as_object()
            .and_then(|p| p.iter().find(|(k, _)| k.eq_ignore_ascii_case(&sender)))
            .map(|(_, by_nonce)| by_nonce["0"].clone())
            .unwrap_or_default();
        assert_eq!(hash(&pending["hash"]), tx_hash, "node {i}: {pool}");
        assert!(pending["blockHash"].is_null(), "node {i}: {pending}");
    }
    // Back in: the next block on B includes it.
    let b2 = mock.build_on(&b1, &Attributes::after(&b1, 12, 2)).unwrap();
    assert_eq!(tx_hashes(&b2), vec![tx_hash], "B2 includes the transaction");
    chain.assert_heads(b2.head.hash);
    for node in &chain.nodes {
        assert_eq!(
            hash(&transaction(&node.public(), tx_hash)["blockHash"]),
            b2.head.hash
        );
    }
}

/// `eth_getTransactionByHash` of a re-orged-out transaction must answer it as pending (no
/// block), not in the block that left the canonical chain.
#[test]
fn reorged_out_transaction_is_looked_up_as_pending() {
    let (chain, _mock, tx_hash, _b1) = reorged_out_transfer();
    for (i, node) in chain.nodes.iter().enumerate() {
        let found = transaction(&node.public(), tx_hash);
        assert_eq!(hash(&found["hash"]), tx_hash, "node {i}");
        assert!(found["blockHash"].is_null(), "node {i}: {found}");
    }
}

#[test]
fn payload_building_after_an_invalid_payload() {
    let chain = Chain::start(GenesisBuilder::new(Fork::Prague), 2);
    let mut mock = chain.mock();
    send(&chain.nodes[0].public(), &transfer(0, 0, 7));
    let head = mock.produce_next().unwrap().head;
    let valid = mock
        .build(0, &head, &Attributes::after(&head, 12, 3))
        .unwrap();
    assert_eq!(valid.computed_hash().unwrap(), valid.head.hash);
    let invalid = valid.with_state_root(B256::repeat_byte(0xee)).unwrap();
    for node in 0..chain.nodes.len() {
        let status = mock.new_payload(node, &invalid).unwrap();
        assert_eq!(status.status, "INVALID", "node {node}: {status:?}");
        assert_eq!(status.latest_valid_hash, Some(head.hash), "node {node}");
        // A head on the invalid block is refused the same way.
        let (status, _) = mock
            .forkchoice_updated(node, 3, invalid.head.hash, None)
            .unwrap();
        assert_eq!(status.status, "INVALID", "node {node}: fcU {status:?}");
        assert_eq!(status.latest_valid_hash, Some(head.hash), "node {node}");
    }
    chain.assert_heads(head.hash);
    // Building goes on: a valid block on the same parent, accepted by both nodes.
    send(&chain.nodes[0].public(), &transfer(0, 1, 8));
    let next = mock.produce_next().unwrap();
    assert_eq!(next.head.number, head.number + 1);
    assert_eq!(next.transactions().len(), 1);
    chain.assert_heads(next.head.hash);
}

/// Two blob transactions into one block on `fork`: the bundle's commitments give the
/// transactions' versioned hashes and its proofs verify (checked by the mock with c-kzg).
fn blob_bundle(fork: Fork, get_payload: u8, proofs_per_blob: usize) {
    let chain = Chain::start(GenesisBuilder::new(fork), 2);
    let mut mock = chain.mock();
    mock.build_time = Duration::from_millis(600);
    let public = chain.nodes[0].public();
    let txs = [blob_tx(1, 0, fork), blob_tx(2, 0, fork)];
    let hashes: Vec<B256> = txs.iter().map(|tx| send(&public, tx)).collect();
    let built = mock.produce_next().unwrap();
    assert_eq!(built.versions.get_payload, get_payload);
    let mut included = tx_hashes(&built);
    included.sort();
    let mut sent = hashes.clone();
    sent.sort();
    assert_eq!(included, sent, "both blob transactions included");
    assert_eq!(built.check_blobs().unwrap(), 2);
    let expected: Vec<B256> = built.transaction_blob_hashes().unwrap();
    assert_eq!(built.versioned_hashes().unwrap(), expected);
    let bundle = built.blobs_bundle.as_ref().unwrap();
    assert_eq!(
        bundle["proofs"].as_array().unwrap().len(),
        2 * proofs_per_blob
    );
    assert_eq!(built.payload["blobGasUsed"], json!("0x40000"));
    chain.assert_heads(built.head.hash);
}

#[test]
fn blob_bundle_on_prague_has_blob_proofs() {
    blob_bundle(Fork::Prague, 4, 1);
}

#[test]
fn blob_bundle_on_osaka_has_cell_proofs() {
    blob_bundle(Fork::Osaka, 5, ethrex_crypto::kzg::CELLS_PER_EXT_BLOB);
}

#[test]
fn the_binary_drives_a_running_node_with_probed_versions() {
    // Osaka: the newest versions answer; Prague: getPayloadV5 is refused (-38005), V4 taken.
    for (fork, versions) in [
        (Fork::Osaka, "getPayloadV5, newPayloadV4"),
        (Fork::Prague, "getPayloadV4, newPayloadV4"),
    ] {
        let chain = Chain::start(GenesisBuilder::new(fork), 1);
        let node = &chain.nodes[0];
        let out = Command::new(env!("CARGO_BIN_EXE_cl-mock"))
            .args(["--engine", &format!("http://{}", node.auth)])
            .arg("--jwt-secret")
            .arg(&chain.jwt_path)
            .args(["--blocks", "3", "--interval-ms", "50", "--build-ms", "50"])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{fork}: {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(stdout.matches(versions).count(), 3, "{fork}: {stdout}");
        let latest = node.public().block_by_number("latest").unwrap();
        assert_eq!(latest["number"], "0x3", "{fork}");
    }
}
