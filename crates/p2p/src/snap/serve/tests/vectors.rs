//! Range-proof vectors for the cross-check with an independent verifier (`make
//! mpt-cross-check`: `@ethereumjs/mpt`'s `verifyMerkleRangeProof`): account and storage ranges
//! as this node serves them (whole, cut at the byte limit, from an origin between two keys, to
//! the end), each also tampered (a value changed, an inner item dropped, a proof node dropped,
//! a key of another range), with what `ethrex_trie::verify_range` says of each. Written as JSON
//! to `$ETHREX_RANGE_VECTORS` when set; the test itself checks our verifier's verdicts.

use std::fmt::Write as _;

use alloy_primitives::hex;

use super::*;

/// One range as a verifier receives it.
struct Vector {
    name: String,
    root: B256,
    first: B256,
    keys: Vec<B256>,
    values: Vec<Vec<u8>>,
    proof: Vec<Vec<u8>>,
}

impl Vector {
    /// Our verdict: `Some(more)` when the range verifies, `None` when it does not.
    fn verdict(&self) -> Option<bool> {
        verify_range(
            self.root,
            &self.first,
            &self.keys,
            &self.values,
            &self.proof,
        )
        .ok()
    }

    fn tampered(&self, what: &str, edit: impl FnOnce(&mut Vector)) -> Vector {
        let mut copy = Vector {
            name: format!("{} ({what})", self.name),
            root: self.root,
            first: self.first,
            keys: self.keys.clone(),
            values: self.values.clone(),
            proof: self.proof.clone(),
        };
        edit(&mut copy);
        copy
    }

    fn json(&self, valid: bool, more: bool) -> String {
        let list = |items: &mut dyn Iterator<Item = String>| {
            let quoted: Vec<String> = items.map(|s| format!("\"{s}\"")).collect();
            format!("[{}]", quoted.join(","))
        };
        let proof = if self.proof.is_empty() {
            "null".to_string()
        } else {
            list(&mut self.proof.iter().map(hex::encode_prefixed))
        };
        let last = self
            .keys
            .last()
            .map_or("null".to_string(), |k| format!("\"{k}\""));
        format!(
            "{{\"name\":\"{}\",\"root\":\"{}\",\"first\":\"{}\",\"last\":{last},\"keys\":{},\"values\":{},\"proof\":{proof},\"valid\":{valid},\"more\":{more}}}",
            self.name,
            self.root,
            self.first,
            list(&mut self.keys.iter().map(|k| k.to_string())),
            list(&mut self.values.iter().map(hex::encode_prefixed)),
        )
    }
}

fn account_vector(name: &str, store: &Store, root: B256, origin: B256, bytes: u64) -> Vector {
    let answer = account_range(store, root, origin, MAX_HASH, bytes);
    Vector {
        name: name.into(),
        root,
        first: origin,
        keys: answer.accounts.iter().map(|a| a.hash).collect(),
        values: answer
            .accounts
            .iter()
            .map(|a| alloy_rlp::encode(a.account.0))
            .collect(),
        proof: answer.proof.iter().map(|n| n.to_vec()).collect(),
    }
}

fn storage_vector(name: &str, store: &Store, root: B256, account: u64, bytes: u64) -> Vector {
    let answer = storage_ranges(store, root, &[account], Bytes::new(), bytes);
    let storage_root = store
        .state_at(root)
        .unwrap()
        .account_by_hash(&keccak256(address(account)))
        .unwrap()
        .unwrap()
        .storage_root;
    let slots = &answer.slots[0];
    Vector {
        name: name.into(),
        root: storage_root,
        first: B256::ZERO,
        keys: slots.iter().map(|s| s.hash).collect(),
        values: slots.iter().map(|s| s.data.to_vec()).collect(),
        proof: answer.proof.iter().map(|n| n.to_vec()).collect(),
    }
}

#[test]
fn served_ranges_and_tampered_ones_make_cross_check_vectors() {
    let (store, root) = store();
    let hashes = sorted_hashes();
    let between = B256::from(U256::from_be_bytes(hashes[99].0) + U256::from(1));
    let served = [
        account_vector("accounts: whole trie", &store, root, B256::ZERO, 10 << 20),
        account_vector("accounts: first, cut", &store, root, B256::ZERO, 2_000),
        account_vector(
            "accounts: from between two keys, cut",
            &store,
            root,
            between,
            3_000,
        ),
        account_vector(
            "accounts: from a key, cut",
            &store,
            root,
            hashes[150],
            1_500,
        ),
        account_vector("accounts: to the end", &store, root, hashes[280], 10 << 20),
        account_vector("accounts: one", &store, root, hashes[7], 0),
        storage_vector("storage: whole (40 slots)", &store, root, 39, 10 << 20),
        storage_vector("storage: cut", &store, root, 39, 500),
    ];
    let mut vectors = Vec::new();
    for vector in &served {
        let more = vector
            .verdict()
            .unwrap_or_else(|| panic!("{} must verify", vector.name));
        vectors.push(vector.json(true, more));
        if vector.keys.len() < 3 || vector.proof.is_empty() {
            continue;
        }
        let mid = vector.keys.len() / 2;
        let bad = [
            vector.tampered("a value changed", |v| v.values[mid][0] ^= 1),
            vector.tampered("an inner item dropped", |v| {
                v.keys.remove(mid);
                v.values.remove(mid);
            }),
            vector.tampered("a proof node dropped", |v| {
                v.proof.remove(0);
            }),
            vector.tampered("a key replaced", |v| v.keys[mid] = B256::repeat_byte(0x77)),
        ];
        for tampered in bad {
            assert_eq!(
                tampered.verdict(),
                None,
                "{} must not verify",
                tampered.name
            );
            vectors.push(tampered.json(false, false));
        }
    }
    assert!(vectors.len() >= 20, "{} vectors", vectors.len());
    if let Some(path) = std::env::var_os("ETHREX_RANGE_VECTORS") {
        let mut out = String::from("[\n");
        for (i, v) in vectors.iter().enumerate() {
            let sep = if i + 1 < vectors.len() { "," } else { "" };
            writeln!(out, "{v}{sep}").unwrap();
        }
        out.push_str("]\n");
        std::fs::write(&path, out).unwrap();
    }
}
