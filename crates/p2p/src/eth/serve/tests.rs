//! Serving over an in-memory store with a few blocks: headers by number and hash, skip and
//! reverse, bodies, receipts in both shapes, pooled transactions, unknown items, limits.

use ethrex_common::types::{Block, Header};

use super::*;
use crate::eth::{HeadersQuery, test_chain};

fn headers(store: &Store, origin: HashOrNumber, amount: u64, skip: u64, reverse: bool) -> Vec<u64> {
    let request = GetBlockHeaders {
        request_id: 42,
        query: HeadersQuery {
            origin,
            amount,
            skip,
            reverse,
        },
    };
    let answer = serve_headers(store, &request).unwrap();
    assert_eq!(answer.request_id, 42);
    answer.headers.iter().map(|h| h.number).collect()
}

fn hash(chain: &[Block], n: usize) -> B256 {
    chain[n].header.hash_slow()
}

#[test]
fn headers_by_number_and_hash_with_skip_and_reverse() {
    let (store, chain) = test_chain::chain(10);
    use HashOrNumber::{Hash, Number};
    let cases: Vec<(HashOrNumber, u64, u64, bool, Vec<u64>)> = vec![
        (Number(0), 3, 0, false, vec![0, 1, 2]),
        (Number(8), 5, 0, false, vec![8, 9, 10]),
        (Number(2), 4, 2, false, vec![2, 5, 8]),
        (Number(10), 4, 0, true, vec![10, 9, 8, 7]),
        (Number(10), 10, 3, true, vec![10, 6, 2]),
        (Number(1), 5, 0, true, vec![1, 0]),
        (Number(11), 5, 0, false, vec![]),
        (Number(3), 0, 0, false, vec![]),
        (Number(0), 5, u64::MAX, false, vec![0]),
        (Hash(hash(&chain, 4)), 3, 0, false, vec![4, 5, 6]),
        (Hash(hash(&chain, 4)), 3, 0, true, vec![4, 3, 2]),
        (Hash(hash(&chain, 9)), 3, 1, true, vec![9, 7, 5]),
        (Hash(B256::repeat_byte(0xee)), 3, 0, false, vec![]),
    ];
    for (origin, amount, skip, reverse, expected) in cases {
        assert_eq!(
            headers(&store, origin, amount, skip, reverse),
            expected,
            "origin {origin:?} amount {amount} skip {skip} reverse {reverse}"
        );
    }
    // The headers are the stored ones, byte for byte.
    let request = GetBlockHeaders {
        request_id: 1,
        query: HeadersQuery {
            origin: Number(1),
            amount: 2,
            skip: 0,
            reverse: false,
        },
    };
    let served = serve_headers(&store, &request).unwrap().headers;
    let stored: Vec<Header> = chain[1..3].iter().map(|b| b.header.clone()).collect();
    assert_eq!(served, stored);
}

#[test]
fn header_answers_are_capped_at_1024() {
    let (store, _) = test_chain::chain(2);
    // Only three blocks exist: the cap does not apply, the answer ends at the head.
    assert_eq!(
        headers(&store, HashOrNumber::Number(0), u64::MAX, 0, false).len(),
        3
    );
    // Many requests of one block each would never exceed it; the cap itself is checked on a
    // budget: 1024 items exhaust it, and so do 2 MiB.
    let mut budget = Budget::new();
    for _ in 0..MAX_ITEMS - 1 {
        budget.add(10);
    }
    assert!(!budget.exhausted());
    budget.add(10);
    assert!(budget.exhausted());
    let mut budget = Budget::new();
    budget.add(SOFT_RESPONSE_LIMIT - 1);
    assert!(!budget.exhausted());
    budget.add(1);
    assert!(budget.exhausted());
}

#[test]
fn bodies_in_request_order_without_unknown_blocks() {
    let (store, chain) = test_chain::chain(4);
    let request = HashesRequest {
        request_id: 5,
        hashes: vec![
            hash(&chain, 3),
            B256::repeat_byte(0xee),
            hash(&chain, 1),
            hash(&chain, 0),
        ],
    };
    let answer = serve_bodies(&store, &request).unwrap();
    assert_eq!(answer.request_id, 5);
    assert_eq!(
        answer.bodies,
        vec![
            chain[3].body.clone(),
            chain[1].body.clone(),
            chain[0].body.clone()
        ]
    );
}

#[test]
fn bodies_are_capped_at_1024() {
    let (store, chain) = test_chain::chain(1);
    // 1,500 hashes of a known block: capped at 1024 items.
    let request = HashesRequest {
        request_id: 1,
        hashes: vec![hash(&chain, 1); 1500],
    };
    assert_eq!(
        serve_bodies(&store, &request).unwrap().bodies.len(),
        MAX_ITEMS
    );
}

#[test]
fn receipts_in_both_shapes_and_without_unknown_blocks() {
    let (store, chain) = test_chain::chain(3);
    let request = ReceiptsRequest {
        request_id: 6,
        first_block_receipt_index: 0,
        hashes: vec![
            hash(&chain, 2),
            B256::repeat_byte(0xee),
            hash(&chain, 0),
            hash(&chain, 3),
        ],
    };
    for version in [EthVersion::Eth68, EthVersion::Eth69, EthVersion::Eth70] {
        let answer = serve_receipts(&store, &request, version).unwrap();
        assert_eq!(answer.request_id, 6);
        let expected = vec![
            test_chain::receipts(&chain[2].body.transactions),
            vec![],
            test_chain::receipts(&chain[3].body.transactions),
        ];
        assert_eq!(answer.receipts, expected, "{version}");
        // Through the wire and back, in this version's shape.
        let message = crate::eth::EthMessage::Receipts(answer);
        let decoded =
            crate::eth::EthMessage::decode(version, message.id(), &message.encode(version));
        assert_eq!(decoded.unwrap(), message, "{version}");
    }
    // eth/69's answer is smaller: no blooms.
    let r68 = block_receipts_len(
        &test_chain::receipts(&chain[1].body.transactions),
        EthVersion::Eth68,
    );
    let r69 = block_receipts_len(
        &test_chain::receipts(&chain[1].body.transactions),
        EthVersion::Eth69,
    );
    assert!(r69 + 3 * 256 <= r68, "{r69} vs {r68}");
}

#[test]
fn pooled_transactions_in_request_order_with_blob_sidecars() {
    let blob = test_chain::blob_transaction();
    let plain = test_chain::transactions(1).remove(2);
    let pool = [(blob.hash(), blob.clone()), (plain.hash(), plain.clone())];
    let lookup = |h: &B256| pool.iter().find(|(k, _)| k == h).map(|(_, tx)| tx.clone());
    let request = HashesRequest {
        request_id: 3,
        hashes: vec![plain.hash(), B256::repeat_byte(0xee), blob.hash()],
    };
    let answer = serve_pooled_transactions(lookup, &request);
    assert_eq!(answer.request_id, 3);
    assert_eq!(answer.transactions, vec![plain, blob.clone()]);
    // The blob transaction goes out in its network form, sidecar included.
    let message = crate::eth::EthMessage::PooledTransactions(answer);
    let payload = message.encode(EthVersion::Eth68);
    assert!(payload.len() > 131_072, "{}", payload.len());
    let decoded =
        crate::eth::EthMessage::decode(EthVersion::Eth68, message.id(), &payload).unwrap();
    assert_eq!(decoded, message);
    // Large blob transactions stop the answer at 2 MiB (each is ~128 KiB): 16 or 17 of 40.
    let many = HashesRequest {
        request_id: 4,
        hashes: vec![blob.hash(); 40],
    };
    let answer = serve_pooled_transactions(|_| Some(blob.clone()), &many);
    let each = blob.encode_network().len();
    assert_eq!(
        answer.transactions.len(),
        SOFT_RESPONSE_LIMIT.div_ceil(each + 4)
    );
    // The mempool's lookup serves nothing it does not hold.
    let mempool = Mempool::new(10);
    assert!(
        serve_from_mempool(&mempool, &request)
            .transactions
            .is_empty()
    );
}

#[test]
fn eth70_cuts_a_block_whose_receipts_do_not_fit_and_resumes_from_the_index() {
    let (store, chain) = test_chain::chain(1);
    let (block, receipts) = test_chain::big_receipts_block(&store, &chain[1].header);
    let big = block.header.hash_slow();
    let small = hash(&chain, 1);
    let first = serve_receipts(
        &store,
        &ReceiptsRequest {
            request_id: 1,
            first_block_receipt_index: 0,
            hashes: vec![small, big, small],
        },
        EthVersion::Eth70,
    )
    .unwrap();
    assert!(first.last_block_incomplete);
    assert_eq!(
        first.receipts.len(),
        2,
        "the small block, then the big one cut"
    );
    assert_eq!(first.receipts[1], receipts[..2].to_vec());
    let rest = serve_receipts(
        &store,
        &ReceiptsRequest {
            request_id: 2,
            first_block_receipt_index: 2,
            hashes: vec![big, small],
        },
        EthVersion::Eth70,
    )
    .unwrap();
    assert!(!rest.last_block_incomplete);
    assert_eq!(rest.receipts[0], receipts[2..].to_vec());
    assert_eq!(
        rest.receipts[1],
        test_chain::receipts(&chain[1].body.transactions)
    );
    // An index past the end still answers the block, empty.
    let past = serve_receipts(
        &store,
        &ReceiptsRequest {
            request_id: 3,
            first_block_receipt_index: 9,
            hashes: vec![big],
        },
        EthVersion::Eth70,
    )
    .unwrap();
    assert_eq!(
        past.receipts,
        vec![Vec::<ethrex_common::types::Receipt>::new()]
    );
    // eth/69 cannot cut: the whole block comes (the peer's own limit decides).
    let whole = serve_receipts(
        &store,
        &ReceiptsRequest {
            request_id: 4,
            first_block_receipt_index: 0,
            hashes: vec![big],
        },
        EthVersion::Eth69,
    )
    .unwrap();
    assert_eq!(whole.receipts, vec![receipts]);
}
