//! TrieTests: insert (or, for a `null` value, remove) each `in` pair into an ethrex trie and
//! compare the root with `root`. Files named `*secureTrie*`/`*securetrie*` hash keys with
//! keccak-256 first. `in` is a list of pairs (applied in order) or a map (any order).
//! `trietestnextprev.json` checks, for each probe key, its neighbours in key order.

use std::path::Path;

use alloy_primitives::{B256, keccak256};
use ethrex_trie::Trie;
use serde::Deserialize;
use serde_json::Value;

use crate::{
    fixtures::{FixtureError, hex_or_utf8, read_json},
    report::{NO_FORK, Report},
};

#[derive(Debug, Deserialize)]
struct RootCase {
    #[serde(rename = "in")]
    input: Value,
    root: B256,
}

#[derive(Debug, Deserialize)]
struct NextPrevCase {
    #[serde(rename = "in")]
    input: Vec<String>,
    tests: Vec<[String; 3]>,
}

pub fn run_file(path: &Path, report: &mut Report) -> Result<(), FixtureError> {
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    if file_name.contains("nextprev") {
        let cases: std::collections::BTreeMap<String, NextPrevCase> = read_json(path)?;
        for (name, case) in cases {
            let id = format!("{}::{name}", path.display());
            report.record(NO_FORK, &id, run_next_prev(&case));
        }
        return Ok(());
    }
    let secure = file_name.contains("securetrie");
    let cases: std::collections::BTreeMap<String, RootCase> = read_json(path)?;
    for (name, case) in cases {
        let id = format!("{}::{name}", path.display());
        report.record(NO_FORK, &id, run_root_case(&case, secure));
    }
    Ok(())
}

fn pairs(input: &Value) -> Result<Vec<(String, Option<String>)>, String> {
    let as_pair = |k: &str, v: &Value| match v {
        Value::Null => Ok((k.to_string(), None)),
        Value::String(s) => Ok((k.to_string(), Some(s.clone()))),
        other => Err(format!("unsupported value {other}")),
    };
    match input {
        Value::Object(map) => map.iter().map(|(k, v)| as_pair(k, v)).collect(),
        Value::Array(list) => list
            .iter()
            .map(|pair| match pair.as_array().map(Vec::as_slice) {
                Some([Value::String(k), v]) => as_pair(k, v),
                _ => Err(format!("unsupported pair {pair}")),
            })
            .collect(),
        other => Err(format!("unsupported input {other}")),
    }
}

fn run_root_case(case: &RootCase, secure: bool) -> Result<(), String> {
    let mut trie = Trie::new_in_memory();
    for (key, value) in pairs(&case.input)? {
        let mut key = hex_or_utf8(&key).map_err(|e| e.to_string())?;
        if secure {
            key = keccak256(&key).to_vec();
        }
        match value {
            Some(v) => {
                let v = hex_or_utf8(&v).map_err(|e| e.to_string())?;
                trie.insert(&key, v).map_err(|e| e.to_string())?;
            }
            None => {
                trie.remove(&key).map_err(|e| e.to_string())?;
            }
        }
    }
    let root = trie.root_hash();
    if root == case.root {
        Ok(())
    } else {
        Err(format!("root: expected {}, got {root}", case.root))
    }
}

fn run_next_prev(case: &NextPrevCase) -> Result<(), String> {
    let mut trie = Trie::new_in_memory();
    for key in &case.input {
        trie.insert(key.as_bytes(), key.as_bytes().to_vec())
            .map_err(|e| e.to_string())?;
    }
    for [probe, prev, next] in &case.tests {
        let got_prev = trie
            .prev_key(probe.as_bytes())
            .map_err(|e| e.to_string())?
            .unwrap_or_default();
        let got_next = trie
            .next_key(probe.as_bytes())
            .map_err(|e| e.to_string())?
            .unwrap_or_default();
        if got_prev != prev.as_bytes() || got_next != next.as_bytes() {
            return Err(format!(
                "key {probe:?}: expected prev {prev:?} next {next:?}, got prev {:?} next {:?}",
                String::from_utf8_lossy(&got_prev),
                String::from_utf8_lossy(&got_next)
            ));
        }
    }
    Ok(())
}
