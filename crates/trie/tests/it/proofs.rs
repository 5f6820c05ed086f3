//! Property tests of proofs: every key's proof verifies to its value (or absence) and a tampered
//! proof is rejected; range proofs accept every exact range of a trie (with the right "more"
//! flag) and reject a tampered value or a missing key.

use std::collections::BTreeMap;

use alloy_primitives::{B256, U256};
use ethrex_trie::{Trie, verify_proof, verify_range};
use proptest::{prelude::*, sample::Index};

use crate::properties::{key, key32, value};

fn trie_of<K: AsRef<[u8]>>(entries: &BTreeMap<K, Vec<u8>>) -> Trie {
    let mut trie = Trie::new_in_memory();
    for (k, v) in entries {
        trie.insert(k.as_ref(), v.clone()).unwrap();
    }
    trie
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn proofs_verify_present_and_absent_keys(
        entries in prop::collection::btree_map(key(), value(), 0..24),
        probes in prop::collection::vec(key(), 0..8),
    ) {
        let mut trie = trie_of(&entries);
        let root = trie.root_hash();
        for k in entries.keys().chain(&probes) {
            let proof = trie.get_proof(k).unwrap();
            prop_assert_eq!(verify_proof(root, k, &proof).unwrap(), entries.get(k).cloned());
        }
    }

    #[test]
    fn tampered_proofs_are_rejected(
        entries in prop::collection::btree_map(key32(), value(), 1..32),
        which in any::<Index>(),
        node in any::<Index>(),
        byte in any::<Index>(),
    ) {
        let mut trie = trie_of(&entries);
        let root = trie.root_hash();
        let key = *which.get(&entries.keys().collect::<Vec<_>>());
        let mut proof = trie.get_proof(key.as_slice()).unwrap();
        let tampered = node.index(proof.len());
        let at = byte.index(proof[tampered].len());
        proof[tampered][at] ^= 1;
        prop_assert!(verify_proof(root, key.as_slice(), &proof).is_err());
    }

    #[test]
    fn range_proofs_accept_exact_ranges_and_reject_tampering(
        entries in prop::collection::btree_map(key32(), value(), 1..48),
        start in any::<Index>(),
        end in any::<Index>(),
        absent_left_edge in any::<bool>(),
        tampered in any::<Index>(),
    ) {
        let (keys, values): (Vec<B256>, Vec<Vec<u8>>) = entries.clone().into_iter().unzip();
        let mut trie = trie_of(&entries);
        let root = trie.root_hash();
        let (a, b) = {
            let (x, y) = (start.index(keys.len()), end.index(keys.len()));
            (x.min(y), x.max(y))
        };
        // The left edge may be a key just before keys[a] that the trie does not hold.
        let before = U256::from_be_bytes(keys[a].0).checked_sub(U256::from(1)).map(B256::from);
        let first = match before {
            Some(before) if absent_left_edge && (a == 0 || before > keys[a - 1]) => before,
            _ => keys[a],
        };
        let mut proof = trie.get_proof(first.as_slice()).unwrap();
        proof.extend(trie.get_proof(keys[b].as_slice()).unwrap());
        let (range_keys, range_values) = (&keys[a..=b], &values[a..=b]);

        let more = verify_range(root, &first, range_keys, range_values, &proof).unwrap();
        prop_assert_eq!(more, b + 1 < keys.len());

        let mut bad_values = range_values.to_vec();
        let i = tampered.index(bad_values.len());
        bad_values[i].push(0x55);
        prop_assert!(verify_range(root, &first, range_keys, &bad_values, &proof).is_err());

        if b > a {
            // Drop any key but the last (the last is the right edge the proof is for).
            let missing = a + tampered.index(b - a);
            let mut gap_keys = range_keys.to_vec();
            let mut gap_values = range_values.to_vec();
            gap_keys.remove(missing - a);
            gap_values.remove(missing - a);
            prop_assert!(verify_range(root, &first, &gap_keys, &gap_values, &proof).is_err());
        }

        prop_assert!(!verify_range(root, &B256::ZERO, &keys, &values, &[]).unwrap());
    }
}
