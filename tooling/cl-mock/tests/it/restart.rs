//! A node on RocksDB killed with SIGKILL restarts at its head, without a resync: the head's
//! state (held in diff layers while the node ran) is readable and a further block builds on it.

use alloy_primitives::B256;
use ethrex_common::Fork;
use ethrex_test_utils::GenesisBuilder;
use serde_json::json;

use crate::{Chain, EthrexNode, hash, send, transfer};

/// How many blocks the node gets before the kill.
const BLOCKS: u64 = 20;

#[test]
fn head_survives_sigkill_and_the_chain_goes_on() {
    let mut chain = Chain::files(GenesisBuilder::new(Fork::Osaka));
    let datadir = chain.dir.path().join("db");
    let datadir = datadir.to_str().unwrap().to_string();
    chain.nodes.push(EthrexNode::start(
        &chain.genesis_path,
        &datadir,
        &chain.jwt_path,
    ));
    let mut mock = chain.mock();
    for nonce in 0..BLOCKS {
        send(&chain.nodes[0].public(), &transfer(1, nonce, 1_000 + nonce));
        let built = mock.produce_next().unwrap();
        assert_eq!(built.transactions().len(), 1, "block {}", built.head.number);
    }
    let before = chain.nodes[0].public().block_by_number("latest").unwrap();
    let balance = |chain: &Chain| {
        chain.nodes[0]
            .public()
            .call(
                "eth_getBalance",
                json!([
                    format!("{:?}", alloy_primitives::Address::repeat_byte(0x77)),
                    "latest"
                ]),
            )
            .unwrap()
    };
    let balance_before = balance(&chain);

    chain.nodes[0].kill();
    chain.nodes.clear();
    chain.nodes.push(EthrexNode::start(
        &chain.genesis_path,
        &datadir,
        &chain.jwt_path,
    ));
    let public = chain.nodes[0].public();
    let number = public.call("eth_blockNumber", json!([])).unwrap();
    assert_eq!(
        number,
        json!(format!("{BLOCKS:#x}")),
        "{:?}",
        chain.nodes[0].log_tail()
    );
    let after = public.block_by_number("latest").unwrap();
    assert_eq!(hash(&after["hash"]), hash(&before["hash"]));
    assert_eq!(hash(&after["stateRoot"]), hash(&before["stateRoot"]));
    assert_eq!(
        balance(&chain),
        balance_before,
        "the head state is readable"
    );

    // A fresh mock (a restarted beacon node) builds on the restarted head, with a transaction
    // validated against the head's state (the sender's nonce is BLOCKS).
    let mut mock = chain.mock();
    assert_eq!(mock.head().hash, hash(&before["hash"]));
    send(&public, &transfer(1, BLOCKS, 1));
    let next = mock.produce_next().unwrap();
    assert_eq!(next.head.number, BLOCKS + 1);
    assert_eq!(next.transactions().len(), 1);
    assert_ne!(chain.assert_heads(next.head.hash), B256::ZERO);
}
