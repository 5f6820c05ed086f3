//! Snap-sync range proofs: [`verify_range`], with the semantics of geth's
//! `trie.VerifyRangeProof`.
//!
//! A peer sends consecutive leaves `keys[..]` of a trie of known root, plus the proofs of the
//! left edge (`first_key`, which may be absent from the trie) and of the last key. Verification
//! rebuilds a partial trie from the two edge paths, removes everything strictly between them
//! (which the leaves must fill in again), inserts the leaves, and compares the root. If it
//! matches, no leaf between the edges was left out or altered. It also reports whether the
//! trie has entries right of the last key.
//!
//! Edge paths are nibbles followed by a terminator (16), as in geth, so that comparing a
//! leaf's path (also terminated) with an edge path orders them exactly as geth does. Opening the
//! edges and checking for entries right of the last key live here; clearing the inside of the
//! range lives in `range/unset.rs`.

mod unset;

use std::sync::Arc;

use alloy_primitives::B256;

use crate::{
    InMemoryTrieDB, Nibbles, Result, Trie, TrieBuilder, TrieError,
    node::{Child, NodeKind},
    proof::ProofNodes,
};
use unset::{Parent, unset_internal};

/// Terminator nibble ending an edge path and a leaf's path.
const TERMINATOR: u8 = 16;

/// Verifies that `keys`/`values` are all the entries of the trie of `root` from `first_key`
/// up to the last key, given `proof` (the union of the proofs of `first_key` and of the last
/// key). An empty `proof` means the entries are the whole trie. Returns whether the trie has
/// more entries right of the last key.
pub fn verify_range(
    root: B256,
    first_key: &B256,
    keys: &[B256],
    values: &[Vec<u8>],
    proof: &[Vec<u8>],
) -> Result<bool> {
    if keys.len() != values.len() {
        return Err(invalid(format!(
            "{} keys but {} values",
            keys.len(),
            values.len()
        )));
    }
    if let Some(i) = keys.windows(2).position(|pair| pair[0] >= pair[1]) {
        return Err(invalid(format!(
            "key {} does not follow key {i} in order",
            i + 1
        )));
    }
    if let Some(i) = values.iter().position(Vec::is_empty) {
        return Err(invalid(format!("value {i} is empty (a deletion)")));
    }
    if proof.is_empty() {
        let mut builder = TrieBuilder::new();
        for (key, value) in keys.iter().zip(values) {
            builder.push(key.as_slice(), value);
        }
        return check_root(root, builder.root()).map(|()| false);
    }
    let nodes = ProofNodes::new(proof);
    let first = edge_path(first_key);
    let mut trie_root = Child::Hash(root);
    let Some(last_key) = keys.last() else {
        let value = proof_to_path(&mut trie_root, &first, 0, &nodes, true)?;
        if value.is_some() || has_right_element(&trie_root, &first)? {
            return Err(invalid(format!(
                "no entries given, but the trie has some from {first_key}"
            )));
        }
        return Ok(false);
    };
    let last = edge_path(last_key);
    if keys.len() == 1 && first_key == last_key {
        let value = proof_to_path(&mut trie_root, &first, 0, &nodes, false)?;
        if value.as_deref() != Some(values[0].as_slice()) {
            return Err(invalid(format!(
                "the proof holds another value for {first_key}"
            )));
        }
        return has_right_element(&trie_root, &first);
    }
    if first_key >= last_key {
        return Err(invalid(format!(
            "first key {first_key} is not before last key {last_key}"
        )));
    }
    proof_to_path(&mut trie_root, &first, 0, &nodes, true)?;
    proof_to_path(&mut trie_root, &last, 0, &nodes, true)?;
    if unset_internal(&mut trie_root, Parent::Root, 0, &first, &last)? {
        trie_root = Child::Empty;
    }
    let mut trie = Trie::from_root(trie_root, Arc::new(InMemoryTrieDB::default()));
    for (key, value) in keys.iter().zip(values) {
        trie.insert(key.as_slice(), value.clone())
            .map_err(|err| match err {
                TrieError::MissingNode { .. } => {
                    invalid(format!("key {key} is outside the proven edges"))
                }
                other => other,
            })?;
    }
    check_root(root, trie.root_hash())?;
    has_right_element(&trie.root, &last)
}

fn invalid(message: impl Into<String>) -> TrieError {
    TrieError::InvalidRange(message.into())
}

fn check_root(expected: B256, got: B256) -> Result<()> {
    if expected == got {
        Ok(())
    } else {
        Err(TrieError::RootMismatch { expected, got })
    }
}

/// The nibbles of `key` followed by the terminator.
fn edge_path(key: &B256) -> Vec<u8> {
    let mut path = Nibbles::from_bytes(key.as_slice()).as_slice().to_vec();
    path.push(TERMINATOR);
    path
}

/// A leaf's or extension's path as geth compares it: a leaf's ends with the terminator.
/// `None` for a branch.
fn short_key(kind: &NodeKind) -> Option<Vec<u8>> {
    match kind {
        NodeKind::Leaf { path, .. } => Some(
            path.as_slice()
                .iter()
                .copied()
                .chain([TERMINATOR])
                .collect(),
        ),
        NodeKind::Extension { path, .. } => Some(path.as_slice().to_vec()),
        NodeKind::Branch { .. } => None,
    }
}

/// The child index of a branch on `path` at `pos`; an error if the path ends there.
fn branch_nibble(path: &[u8], pos: usize) -> Result<usize> {
    match path.get(pos) {
        Some(&nibble) if nibble < TERMINATOR => Ok(usize::from(nibble)),
        _ => Err(invalid("an edge path ends inside a branch")),
    }
}

/// Opens the nodes along `path` (from `pos`, below `child`) with the proof's nodes; returns the
/// value at the end of the path. A path leaving the trie is an error unless `allow_absent`.
fn proof_to_path(
    child: &mut Child,
    path: &[u8],
    pos: usize,
    nodes: &ProofNodes<'_>,
    allow_absent: bool,
) -> Result<Option<Vec<u8>>> {
    if let Child::Hash(hash) = *child {
        *child = Child::Node(Box::new(nodes.node(hash)?));
    }
    let absent = || {
        if allow_absent {
            Ok(None)
        } else {
            Err(invalid("the proof shows the key is absent"))
        }
    };
    let Child::Node(node) = child else {
        return absent();
    };
    let rest = &path[pos..];
    match &mut node.kind {
        NodeKind::Leaf { path: leaf, value }
            if rest.split_last().map(|r| r.1) == Some(leaf.as_slice()) =>
        {
            Ok(Some(value.clone()))
        }
        NodeKind::Extension {
            path: prefix,
            child,
        } if rest.starts_with(prefix.as_slice()) => {
            proof_to_path(child, path, pos + prefix.len(), nodes, allow_absent)
        }
        NodeKind::Branch { children, value } => match rest.first() {
            Some(&nibble) if nibble < TERMINATOR => proof_to_path(
                &mut children[usize::from(nibble)],
                path,
                pos + 1,
                nodes,
                allow_absent,
            ),
            _ => value.clone().map_or_else(absent, |value| Ok(Some(value))),
        },
        NodeKind::Leaf { .. } | NodeKind::Extension { .. } => absent(),
    }
}

/// Whether the trie below `child` has an entry right of `path`; the path must be open.
fn has_right_element(child: &Child, path: &[u8]) -> Result<bool> {
    let (mut current, mut pos) = (child, 0);
    loop {
        let node = match current {
            Child::Empty => return Ok(false),
            Child::Hash(_) => return Err(invalid("the edge path crosses an unopened node")),
            Child::Node(node) => node,
        };
        let rest = &path[pos..];
        match &node.kind {
            NodeKind::Branch { children, .. } => {
                let Ok(nibble) = branch_nibble(path, pos) else {
                    return Ok(false);
                };
                if children[nibble + 1..].iter().any(|c| !c.is_empty()) {
                    return Ok(true);
                }
                (current, pos) = (&children[nibble], pos + 1);
            }
            kind => {
                let short = short_key(kind).unwrap_or_default();
                if !rest.starts_with(&short) {
                    return Ok(short.as_slice() > rest);
                }
                match kind {
                    NodeKind::Extension { child, .. } => {
                        (current, pos) = (child, pos + short.len())
                    }
                    _ => return Ok(false),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A trie of `n` keys `keccak(i)`-like spread keys, with their sorted entries.
    fn sample(n: u8) -> (Trie, Vec<(B256, Vec<u8>)>) {
        let mut entries: Vec<(B256, Vec<u8>)> = (0..n)
            .map(|i| {
                (
                    alloy_primitives::keccak256([i]),
                    vec![i + 1; 1 + usize::from(i % 40)],
                )
            })
            .collect();
        entries.sort();
        let mut trie = Trie::new_in_memory();
        for (key, value) in &entries {
            trie.insert(key.as_slice(), value.clone()).unwrap();
        }
        (trie, entries)
    }

    fn range_proof(trie: &mut Trie, first: &B256, last: &B256) -> Vec<Vec<u8>> {
        let mut proof = trie.get_proof(first.as_slice()).unwrap();
        proof.extend(trie.get_proof(last.as_slice()).unwrap());
        proof
    }

    fn split(entries: &[(B256, Vec<u8>)]) -> (Vec<B256>, Vec<Vec<u8>>) {
        entries.iter().cloned().unzip()
    }

    #[test]
    fn middle_range_verifies_and_reports_more() {
        let (mut trie, entries) = sample(100);
        let root = trie.root_hash();
        let (keys, values) = split(&entries[10..30]);
        let proof = range_proof(&mut trie, &keys[0], &keys[19]);
        assert!(verify_range(root, &keys[0], &keys, &values, &proof).unwrap());
    }

    #[test]
    fn range_to_the_end_reports_no_more() {
        let (mut trie, entries) = sample(100);
        let root = trie.root_hash();
        let (keys, values) = split(&entries[90..]);
        let proof = range_proof(&mut trie, &keys[0], &keys[9]);
        assert!(!verify_range(root, &keys[0], &keys, &values, &proof).unwrap());
    }

    #[test]
    fn whole_trie_without_proof_verifies() {
        let (mut trie, entries) = sample(50);
        let (keys, values) = split(&entries);
        assert!(!verify_range(trie.root_hash(), &B256::ZERO, &keys, &values, &[]).unwrap());
        let err = verify_range(trie.root_hash(), &B256::ZERO, &keys[1..], &values[1..], &[]);
        assert!(matches!(err, Err(TrieError::RootMismatch { .. })));
    }

    #[test]
    fn left_edge_may_be_an_absent_key() {
        let (mut trie, entries) = sample(100);
        let root = trie.root_hash();
        let (keys, values) = split(&entries[40..60]);
        let first = B256::from(
            alloy_primitives::U256::from_be_bytes(keys[0].0) - alloy_primitives::U256::from(1),
        );
        let proof = range_proof(&mut trie, &first, &keys[19]);
        assert!(verify_range(root, &first, &keys, &values, &proof).unwrap());
    }

    #[test]
    fn single_key_range_verifies() {
        let (mut trie, entries) = sample(30);
        let root = trie.root_hash();
        let (keys, values) = split(&entries[29..]);
        let proof = trie.get_proof(keys[0].as_slice()).unwrap();
        assert!(!verify_range(root, &keys[0], &keys, &values, &proof).unwrap());
        let (keys, values) = split(&entries[3..4]);
        let proof = trie.get_proof(keys[0].as_slice()).unwrap();
        assert!(verify_range(root, &keys[0], &keys, &values, &proof).unwrap());
    }

    #[test]
    fn empty_range_past_the_last_key_verifies() {
        let (mut trie, entries) = sample(30);
        let root = trie.root_hash();
        let past = B256::repeat_byte(0xff);
        assert!(entries.iter().all(|(key, _)| *key < past));
        let proof = trie.get_proof(past.as_slice()).unwrap();
        assert!(!verify_range(root, &past, &[], &[], &proof).unwrap());
        let first = entries[5].0;
        let proof = trie.get_proof(first.as_slice()).unwrap();
        assert!(
            verify_range(root, &first, &[], &[], &proof).is_err(),
            "entries remain"
        );
    }

    #[test]
    fn tampered_value_or_missing_key_is_rejected() {
        let (mut trie, entries) = sample(100);
        let root = trie.root_hash();
        let (keys, mut values) = split(&entries[10..30]);
        let proof = range_proof(&mut trie, &keys[0], &keys[19]);
        values[5].push(0);
        assert!(verify_range(root, &keys[0], &keys, &values, &proof).is_err());
        values[5].pop();
        let (mut gap_keys, mut gap_values) = (keys.clone(), values.clone());
        gap_keys.remove(7);
        gap_values.remove(7);
        assert!(verify_range(root, &keys[0], &gap_keys, &gap_values, &proof).is_err());
        values[19].push(1);
        assert!(
            verify_range(root, &keys[0], &keys, &values, &proof).is_err(),
            "last edge value"
        );
    }

    #[test]
    fn malformed_input_is_rejected() {
        let (mut trie, entries) = sample(20);
        let root = trie.root_hash();
        let (keys, values) = split(&entries[2..6]);
        let proof = range_proof(&mut trie, &keys[0], &keys[3]);
        assert!(verify_range(root, &keys[0], &keys, &values[..3], &proof).is_err());
        let mut unordered = keys.clone();
        unordered.swap(1, 2);
        assert!(verify_range(root, &keys[0], &unordered, &values, &proof).is_err());
        let mut with_deletion = values.clone();
        with_deletion[1].clear();
        assert!(verify_range(root, &keys[0], &keys, &with_deletion, &proof).is_err());
        assert!(
            verify_range(root, &keys[3], &keys, &values, &proof).is_err(),
            "first after last"
        );
    }
}
