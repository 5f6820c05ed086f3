//! `ethrex-bench trie`: the root of N random leaves computed three ways on the same input:
//! `ethrex_trie::TrieBuilder` (streaming, sorted input), `alloy_trie::HashBuilder` (the
//! reference streaming builder), and `ethrex_trie::Trie` (insert every leaf, then `root_hash`).
//!
//! Input: N random 32-byte keys (seeded, sorted, distinct), each with a random 32..=100-byte
//! value, generated before any timing. Each contender runs `--runs` times and its best time is
//! reported; the three roots must be equal, else the command fails.

use std::{
    hint::black_box,
    time::{Duration, Instant},
};

use alloy_primitives::B256;
use clap::Args;
use rand::{Rng, SeedableRng, rngs::StdRng};

/// Flags of `ethrex-bench trie`.
#[derive(Args)]
pub struct TrieArgs {
    /// Number of random leaves.
    #[arg(long, default_value_t = 1_000_000)]
    leaves: usize,
    /// Seed of the random input.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Runs per contender; the best is reported.
    #[arg(long, default_value_t = 3)]
    runs: usize,
}

/// Sorted, distinct keys with their values.
struct Leaves {
    keys: Vec<B256>,
    values: Vec<Vec<u8>>,
}

fn generate(count: usize, seed: u64) -> Leaves {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut keys: Vec<B256> = (0..count)
        .map(|_| B256::from(rng.random::<[u8; 32]>()))
        .collect();
    keys.sort_unstable();
    keys.dedup();
    let values = keys
        .iter()
        .map(|_| {
            let mut value = vec![0; rng.random_range(32..=100)];
            rng.fill(value.as_mut_slice());
            value
        })
        .collect();
    Leaves { keys, values }
}

fn ethrex_builder(leaves: &Leaves) -> Result<B256, String> {
    let mut builder = ethrex_trie::TrieBuilder::new();
    for (key, value) in leaves.keys.iter().zip(&leaves.values) {
        builder
            .add(key.as_slice(), value)
            .map_err(|err| err.to_string())?;
    }
    Ok(builder.root())
}

fn alloy_hash_builder(leaves: &Leaves) -> Result<B256, String> {
    let mut builder = alloy_trie::HashBuilder::default();
    for (key, value) in leaves.keys.iter().zip(&leaves.values) {
        builder.add_leaf(alloy_trie::Nibbles::unpack(key), value);
    }
    Ok(builder.root())
}

fn ethrex_trie(leaves: &Leaves) -> Result<B256, String> {
    let mut trie = ethrex_trie::Trie::new_in_memory();
    for (key, value) in leaves.keys.iter().zip(&leaves.values) {
        trie.insert(key.as_slice(), value.clone())
            .map_err(|err| err.to_string())?;
    }
    Ok(trie.root_hash())
}

/// Best time of `runs` runs of `compute`, and the root it returned (the same every run).
fn best_of(
    runs: usize,
    leaves: &Leaves,
    compute: fn(&Leaves) -> Result<B256, String>,
) -> Result<(B256, Duration), String> {
    let mut best: Option<(B256, Duration)> = None;
    for _ in 0..runs.max(1) {
        let start = Instant::now();
        let root = black_box(compute(black_box(leaves))?);
        let elapsed = start.elapsed();
        match best {
            Some((first, _)) if first != root => {
                return Err(format!("root changed between runs: {first} then {root}"));
            }
            Some((_, time)) if time <= elapsed => {}
            _ => best = Some((root, elapsed)),
        }
    }
    best.ok_or_else(|| "no run".to_string())
}

/// Runs the benchmark and prints one line of results.
pub fn run(args: &TrieArgs) -> Result<(), String> {
    let leaves = generate(args.leaves, args.seed);
    let (builder_root, builder_time) = best_of(args.runs, &leaves, ethrex_builder)?;
    let (alloy_root, alloy_time) = best_of(args.runs, &leaves, alloy_hash_builder)?;
    let (trie_root, trie_time) = best_of(args.runs, &leaves, ethrex_trie)?;
    if builder_root != alloy_root || trie_root != alloy_root {
        return Err(format!(
            "roots differ: TrieBuilder {builder_root}, alloy HashBuilder {alloy_root}, Trie {trie_root}"
        ));
    }
    let ratio = builder_time.as_secs_f64() / alloy_time.as_secs_f64();
    println!(
        "{} leaves  root {alloy_root}\nTrieBuilder {:.3}s  alloy HashBuilder {:.3}s  ratio {ratio:.2}x  Trie insert+root_hash {:.3}s",
        leaves.keys.len(),
        builder_time.as_secs_f64(),
        alloy_time.as_secs_f64(),
        trie_time.as_secs_f64(),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_contenders_agree_on_a_small_input() {
        let leaves = generate(2_000, 7);
        let root = alloy_hash_builder(&leaves).unwrap();
        assert_eq!(ethrex_builder(&leaves).unwrap(), root);
        assert_eq!(ethrex_trie(&leaves).unwrap(), root);
    }

    #[test]
    fn generated_keys_are_sorted_and_distinct() {
        let leaves = generate(1_000, 3);
        assert!(leaves.keys.windows(2).all(|pair| pair[0] < pair[1]));
        assert!(leaves.values.iter().all(|v| (32..=100).contains(&v.len())));
    }
}
