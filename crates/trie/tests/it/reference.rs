//! A naive trie root written straight from the Yellow Paper (appendix D), as the oracle for
//! property tests: `TRIE(J) = KEC(RLP(c(J, 0)))`, with the structural composition `c` and the
//! node reference `n` (inline below 32 bytes, else the hash), recomputed from scratch each time.

use std::collections::BTreeMap;

use alloy_primitives::{B256, keccak256};
use alloy_rlp::{Encodable, Header};

/// Root of the trie holding `entries` (keys as bytes, values non-empty).
pub fn root(entries: &BTreeMap<Vec<u8>, Vec<u8>>) -> B256 {
    if entries.is_empty() {
        return keccak256(string(&[]));
    }
    let items: Vec<(Vec<u8>, &[u8])> = entries
        .iter()
        .map(|(key, value)| (nibbles(key), value.as_slice()))
        .collect();
    keccak256(composition(&items, 0))
}

fn nibbles(key: &[u8]) -> Vec<u8> {
    key.iter()
        .flat_map(|byte| [byte >> 4, byte & 0x0f])
        .collect()
}

/// HP(x, t): hex-prefix encoding of nibbles `x` with terminator flag `t`.
fn hex_prefix(path: &[u8], leaf: bool) -> Vec<u8> {
    let flag = if leaf { 2 } else { 0 } + path.len() as u8 % 2;
    let (first, rest) = if path.len() % 2 == 1 {
        (path[0], &path[1..])
    } else {
        (0, path)
    };
    let mut out = vec![(flag << 4) | first];
    out.extend(rest.chunks(2).map(|pair| (pair[0] << 4) | pair[1]));
    out
}

fn string(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    bytes.encode(&mut out);
    out
}

fn list(items: &[Vec<u8>]) -> Vec<u8> {
    let payload: Vec<u8> = items.concat();
    let mut out = Vec::new();
    Header {
        list: true,
        payload_length: payload.len(),
    }
    .encode(&mut out);
    out.extend(payload);
    out
}

/// RLP of c(J, i) for items whose keys agree on their first `i` nibbles.
fn composition(items: &[(Vec<u8>, &[u8])], i: usize) -> Vec<u8> {
    if let [(key, value)] = items {
        return list(&[string(&hex_prefix(&key[i..], true)), string(value)]);
    }
    let first = &items[0].0;
    let shared = (i..first.len())
        .take_while(|&j| items.iter().all(|(key, _)| key.get(j) == Some(&first[j])))
        .count();
    if shared > 0 {
        let j = i + shared;
        return list(&[
            string(&hex_prefix(&first[i..j], false)),
            reference(items, j),
        ]);
    }
    let mut slots: Vec<Vec<u8>> = (0..16u8)
        .map(|nibble| {
            let below: Vec<_> = items
                .iter()
                .filter(|(key, _)| key.get(i) == Some(&nibble))
                .cloned()
                .collect();
            reference(&below, i + 1)
        })
        .collect();
    let value = items
        .iter()
        .find(|(key, _)| key.len() == i)
        .map_or(&[][..], |(_, v)| v);
    slots.push(string(value));
    list(&slots)
}

/// n(J, i): empty string for no items, the composition inline if short, else its hash.
fn reference(items: &[(Vec<u8>, &[u8])], i: usize) -> Vec<u8> {
    if items.is_empty() {
        return string(&[]);
    }
    let node = composition(items, i);
    if node.len() < 32 {
        node
    } else {
        string(keccak256(&node).as_slice())
    }
}

#[test]
fn reference_reproduces_the_dogs_vector() {
    let entries = [
        ("doe", "reindeer"),
        ("dog", "puppy"),
        ("dogglesworth", "cat"),
    ]
    .map(|(k, v)| (k.as_bytes().to_vec(), v.as_bytes().to_vec()));
    let expected: B256 = "0x8aad789dff2f538bca5d8ea56e8abe10f4c7ba3a5dea95fea4cd6e7c3a1168d3"
        .parse()
        .unwrap();
    assert_eq!(root(&entries.into_iter().collect()), expected);
}
