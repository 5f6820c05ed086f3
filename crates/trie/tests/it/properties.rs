//! Property tests of [`Trie`] and [`TrieBuilder`] against the Yellow Paper reference: any
//! sequence of inserts, removals and commits gives the reference root and lookups; the builder
//! gives the reference root for any sorted input; key navigation follows sorted order.

use std::{collections::BTreeMap, ops::Bound};

use alloy_primitives::B256;
use ethrex_trie::{Trie, TrieBuilder};
use proptest::prelude::*;

use crate::reference;

/// Keys over a small alphabet, so they share prefixes and some are prefixes of others.
pub fn key() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop::sample::select(vec![0x00u8, 0x01, 0x10, 0x11, 0x1f, 0xff]),
        0..4,
    )
}

/// Values short enough to make inline nodes, and long enough (56+) for long RLP strings.
pub fn value() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 1..80)
}

/// 32-byte keys, either spread (shared first nibbles only) or dense (sharing 31 bytes, which
/// makes deep branches whose leaves are inline).
pub fn key32() -> impl Strategy<Value = B256> {
    prop_oneof![
        (
            prop::sample::select(vec![0x00u8, 0x01, 0x80, 0xff]),
            any::<[u8; 31]>()
        )
            .prop_map(|(first, rest)| {
                let mut key = [first; 32];
                key[1..].copy_from_slice(&rest);
                B256::from(key)
            }),
        (prop::sample::select(vec![0x00u8, 0x01]), any::<u8>()).prop_map(|(fill, last)| {
            let mut key = [fill; 32];
            key[31] = last;
            B256::from(key)
        }),
    ]
}

#[derive(Debug, Clone)]
enum Op {
    Insert(Vec<u8>, Vec<u8>),
    Remove(Vec<u8>),
    /// Commit, after which the trie reads its nodes back from the database.
    Commit,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (key(), value()).prop_map(|(k, v)| Op::Insert(k, v)),
        3 => key().prop_map(Op::Remove),
        1 => Just(Op::Commit),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn trie_matches_reference_under_inserts_removals_and_commits(
        ops in prop::collection::vec(op(), 0..40),
    ) {
        let mut trie = Trie::new_in_memory();
        let mut model = BTreeMap::new();
        for op in &ops {
            match op {
                Op::Insert(k, v) => {
                    trie.insert(k, v.clone()).unwrap();
                    model.insert(k.clone(), v.clone());
                }
                Op::Remove(k) => prop_assert_eq!(trie.remove(k).unwrap(), model.remove(k)),
                Op::Commit => prop_assert_eq!(trie.commit().unwrap(), reference::root(&model)),
            }
        }
        prop_assert_eq!(trie.root_hash(), reference::root(&model));
        for op in &ops {
            if let Op::Insert(k, _) | Op::Remove(k) = op {
                prop_assert_eq!(trie.get(k).unwrap(), model.get(k).cloned());
            }
        }
    }

    #[test]
    fn builder_matches_reference(entries in prop::collection::btree_map(key(), value(), 0..24)) {
        let mut builder = TrieBuilder::new();
        for (k, v) in &entries {
            builder.add(k, v).unwrap();
        }
        prop_assert_eq!(builder.root(), reference::root(&entries));
    }

    #[test]
    fn trie_and_builder_agree_on_32_byte_keys(
        entries in prop::collection::btree_map(key32(), value(), 0..64),
    ) {
        let mut trie = Trie::new_in_memory();
        let mut builder = TrieBuilder::new();
        // Insert in reverse to exercise an order unlike the builder's.
        for (k, v) in entries.iter().rev() {
            trie.insert(k.as_slice(), v.clone()).unwrap();
        }
        for (k, v) in &entries {
            builder.add(k.as_slice(), v).unwrap();
        }
        let model: BTreeMap<Vec<u8>, Vec<u8>> =
            entries.iter().map(|(k, v)| (k.to_vec(), v.clone())).collect();
        let expected = reference::root(&model);
        prop_assert_eq!(trie.root_hash(), expected);
        prop_assert_eq!(builder.root(), expected);
    }

    #[test]
    fn next_and_prev_keys_follow_sorted_order(
        entries in prop::collection::btree_map(key(), value(), 0..24),
        probes in prop::collection::vec(key(), 0..8),
    ) {
        let mut trie = Trie::new_in_memory();
        for (k, v) in &entries {
            trie.insert(k, v.clone()).unwrap();
        }
        for probe in entries.keys().chain(&probes) {
            let after = (Bound::Excluded(probe), Bound::Unbounded);
            let next = entries.range::<Vec<u8>, _>(after).next().map(|(k, _)| k.clone());
            let prev = entries.range::<Vec<u8>, _>(..probe).next_back().map(|(k, _)| k.clone());
            prop_assert_eq!(trie.next_key(probe).unwrap(), next);
            prop_assert_eq!(trie.prev_key(probe).unwrap(), prev);
        }
    }
}
