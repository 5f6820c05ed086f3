//! Known roots from the Ethereum `TrieTests` fixtures (copied in, not read from disk), the
//! fixture conventions kept: `0x`-prefixed strings are hex, others raw bytes; `None` deletes;
//! secure variants hash keys with keccak256.

use alloy_primitives::{B256, hex, keccak256};
use ethrex_trie::{Trie, TrieBuilder};

/// One fixture update: key, and value (`None` deletes).
type Update<'a> = (&'a str, Option<&'a str>);

fn bytes(s: &str) -> Vec<u8> {
    match s.strip_prefix("0x") {
        Some(digits) => hex::decode(digits).unwrap(),
        None => s.as_bytes().to_vec(),
    }
}

/// Applies the updates in order and checks the root; for vectors inserting distinct keys only,
/// every rotation of the order and the sorted builder give the same root.
fn check(name: &str, updates: &[Update<'_>], root: &str, secure: bool) {
    let key = |k: &str| {
        if secure {
            keccak256(bytes(k)).to_vec()
        } else {
            bytes(k)
        }
    };
    let expected: B256 = root.parse().unwrap();
    let apply = |order: &[Update<'_>]| {
        let mut trie = Trie::new_in_memory();
        for (k, v) in order {
            trie.insert(&key(k), v.map(bytes).unwrap_or_default())
                .unwrap();
        }
        trie.root_hash()
    };
    assert_eq!(apply(updates), expected, "{name}");
    let distinct: std::collections::BTreeSet<&str> = updates.iter().map(|(k, _)| *k).collect();
    if updates.iter().all(|(_, v)| v.is_some()) && distinct.len() == updates.len() {
        let mut rotated = updates.to_vec();
        for _ in 0..updates.len() {
            rotated.rotate_left(1);
            assert_eq!(apply(&rotated), expected, "{name} rotated");
        }
        let mut sorted: Vec<(Vec<u8>, Vec<u8>)> = updates
            .iter()
            .map(|(k, v)| (key(k), bytes(v.unwrap_or_default())))
            .collect();
        sorted.sort();
        let mut builder = TrieBuilder::new();
        for (k, v) in &sorted {
            builder.add(k, v).unwrap();
        }
        assert_eq!(builder.root(), expected, "{name} builder");
    }
}

#[test]
fn any_order_vectors_have_known_roots() {
    let cases: &[(&str, &[Update<'_>], &str)] = &[
        (
            "singleItem",
            &[(
                "A",
                Some("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
            )],
            "0xd23786fb4a010da3ce639d66d5e904a11dbc02746d1ce25029e53290cabf28ab",
        ),
        (
            "dogs",
            &[
                ("doe", Some("reindeer")),
                ("dog", Some("puppy")),
                ("dogglesworth", Some("cat")),
            ],
            "0x8aad789dff2f538bca5d8ea56e8abe10f4c7ba3a5dea95fea4cd6e7c3a1168d3",
        ),
        (
            "puppy",
            &[
                ("do", Some("verb")),
                ("horse", Some("stallion")),
                ("doge", Some("coin")),
                ("dog", Some("puppy")),
            ],
            "0x5991bb8c6514148a29db676a14ac506cd2cd5775ace63c30a4fe457715e9ac84",
        ),
        (
            "foo",
            &[("foo", Some("bar")), ("food", Some("bass"))],
            "0x17beaa1648bafa633cda809c90c04af50fc8aed3cb40d16efbddee6fdf63c4c3",
        ),
        (
            "smallValues",
            &[
                ("be", Some("e")),
                ("dog", Some("puppy")),
                ("bed", Some("d")),
            ],
            "0x3f67c7a47520f79faa29255d2d3c084a7a6df0453116ed7232ff10277a8be68b",
        ),
        (
            "testy",
            &[("test", Some("test")), ("te", Some("testy"))],
            "0x8452568af70d8d140f58d941338542f645fcca50094b20f3c3d8c3df49337928",
        ),
        (
            "hex",
            &[
                ("0x0045", Some("0x0123456789")),
                ("0x4500", Some("0x9876543210")),
            ],
            "0x285505fcabe84badc8aa310e2aae17eddc7d120aabec8a476902c8184b3a3503",
        ),
    ];
    for (name, updates, root) in cases {
        check(name, updates, root, false);
    }
}

#[test]
fn secure_vectors_hash_their_keys() {
    check(
        "secure dogs",
        &[
            ("doe", Some("reindeer")),
            ("dog", Some("puppy")),
            ("dogglesworth", Some("cat")),
        ],
        "0xd4cd937e4a4368d7931a9cf51686b7e10abb3dce38a39000fd7902a092b64585",
        true,
    );
    check(
        "secure hex",
        &[
            ("0x0045", Some("0x0123456789")),
            ("0x4500", Some("0x9876543210")),
        ],
        "0xbc11c02c8ab456db0c4d2728b6a2a6210d06f26a2ace4f7d8bdfc72ddf2630ab",
        true,
    );
}

#[test]
fn ordered_vectors_with_updates_and_deletions_have_known_roots() {
    check(
        "emptyValues",
        &[
            ("do", Some("verb")),
            ("ether", Some("wookiedoo")),
            ("horse", Some("stallion")),
            ("shaman", Some("horse")),
            ("doge", Some("coin")),
            ("ether", None),
            ("dog", Some("puppy")),
            ("shaman", None),
        ],
        "0x5991bb8c6514148a29db676a14ac506cd2cd5775ace63c30a4fe457715e9ac84",
        false,
    );
    check(
        "insert-middle-leaf",
        &[
            (
                "key1aa",
                Some("0123456789012345678901234567890123456789xxx"),
            ),
            (
                "key1",
                Some("0123456789012345678901234567890123456789Very_Long"),
            ),
            ("key2bb", Some("aval3")),
            ("key2", Some("short")),
            ("key3cc", Some("aval3")),
            ("key3", Some("1234567890123456789012345678901")),
        ],
        "0xcb65032e2f76c48b82b5c24b3db8f670ce73982869d38cd39a624f23d62a9e89",
        false,
    );
    check(
        "branch-value-update",
        &[
            ("abc", Some("123")),
            ("abcd", Some("abcd")),
            ("abc", Some("abc")),
        ],
        "0x7a320748f780ad9ad5b0837302075ce0eeba6c26e3d8562c67ccc0f1b273298a",
        false,
    );
    let jeff: &[Update<'_>] = &[
        (
            "0x0000000000000000000000000000000000000000000000000000000000000045",
            Some("0x22b224a1420a802ab51d326e29fa98e34c4f24ea"),
        ),
        (
            "0x0000000000000000000000000000000000000000000000000000000000000046",
            Some("0x67706c2076330000000000000000000000000000000000000000000000000000"),
        ),
        (
            "0x0000000000000000000000000000000000000000000000000000001234567890",
            Some("0x697c7b8c961b56f675d570498424ac8de1a918f6"),
        ),
        (
            "0x000000000000000000000000697c7b8c961b56f675d570498424ac8de1a918f6",
            Some("0x1234567890"),
        ),
        (
            "0x0000000000000000000000007ef9e639e2733cb34e4dfc576d4b23f72db776b2",
            Some("0x4655474156000000000000000000000000000000000000000000000000000000"),
        ),
        (
            "0x000000000000000000000000ec4f34c97e43fbb2816cfd95e388353c7181dab1",
            Some("0x4e616d6552656700000000000000000000000000000000000000000000000000"),
        ),
        (
            "0x4655474156000000000000000000000000000000000000000000000000000000",
            Some("0x7ef9e639e2733cb34e4dfc576d4b23f72db776b2"),
        ),
        (
            "0x4e616d6552656700000000000000000000000000000000000000000000000000",
            Some("0xec4f34c97e43fbb2816cfd95e388353c7181dab1"),
        ),
        (
            "0x0000000000000000000000000000000000000000000000000000001234567890",
            None,
        ),
        (
            "0x000000000000000000000000697c7b8c961b56f675d570498424ac8de1a918f6",
            Some("0x6f6f6f6820736f2067726561742c207265616c6c6c793f000000000000000000"),
        ),
        (
            "0x6f6f6f6820736f2067726561742c207265616c6c6c793f000000000000000000",
            Some("0x697c7b8c961b56f675d570498424ac8de1a918f6"),
        ),
    ];
    check(
        "jeff",
        jeff,
        "0x9f6221ebb8efe7cff60a716ecb886e67dd042014be444669f0159d8e68b42100",
        false,
    );
}
