//! `ethrex import <file.rlp>...`: imports files of consecutive RLP-encoded blocks, in batches
//! (`--batch-size`, default 1024 blocks, and at most [`MAX_BATCH_GAS`] of gas; one database
//! write each). An interrupted import keeps every batch
//! written before the interruption; a rerun skips the blocks already stored (and the node
//! re-executes, at open, the few blocks whose state was still in memory).

use std::{
    path::{Path, PathBuf},
    time::Instant,
};

use alloy_rlp::Decodable;
use ethrex_blockchain::{Blockchain, ImportStats};
use ethrex_common::{Genesis, Network, types::Block};
use ethrex_storage::Store;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::CliError;

/// A batch is written once its blocks used this much gas (heavy blocks: the batch's states are
/// held in memory until then; measured best on `import-bench` around 4 Ggas, ~130 blocks of
/// 30M gas).
pub const MAX_BATCH_GAS: u64 = 4_000_000_000;

/// Opens the store at `datadir` (`memory` for an in-memory one), creating it with `network`'s
/// genesis if new.
pub fn open_store(datadir: &str, network: &str) -> Result<Store, CliError> {
    open_store_with(datadir, &network.parse::<Network>()?.genesis()?)
}

/// Opens the store at `datadir` (`memory` for an in-memory one), creating it with `genesis` if
/// new.
pub fn open_store_with(datadir: &str, genesis: &Genesis) -> Result<Store, CliError> {
    let store = if datadir == "memory" {
        Store::in_memory()
    } else {
        let path = expand_home(datadir);
        std::fs::create_dir_all(&path)
            .map_err(|e| CliError::Io(format!("cannot create {}: {e}", path.display())))?;
        Store::open(&path)?
    };
    store.init_genesis(genesis)?;
    Ok(store)
}

/// `~/...` relative to `$HOME`.
pub fn expand_home(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => Path::new(&home).join(rest),
        _ => PathBuf::from(path),
    }
}

/// Imports every block of `files` in order.
pub fn run(
    datadir: &str,
    network: &str,
    files: &[PathBuf],
    batch_size: usize,
) -> Result<(), CliError> {
    let chain = open_chain(datadir, network)?;
    let started = Instant::now();
    let (stats, skipped) = import_files(&chain, files, batch_size)?;
    // The recent states (the head's among them) go to the diff-layer journal: the next start
    // loads them instead of re-executing, and RPC can read the last blocks' states.
    chain.store().journal_layers()?;
    let head = chain
        .store()
        .head_header()?
        .ok_or_else(|| CliError::Import("the store has no head".into()))?;
    if !chain.store().has_state(&head.state_root) {
        return Err(CliError::Import(format!(
            "the state of head #{} ({}) is not held after the import",
            head.number, head.state_root
        )));
    }
    println!(
        "imported {} blocks ({skipped} already present) in {:.1} s; head #{} {}, state root {}",
        stats.blocks,
        started.elapsed().as_secs_f64(),
        head.number,
        head.hash_slow(),
        head.state_root
    );
    Ok(())
}

/// The chain of the store at `datadir`, its head state recovered if needed.
pub fn open_chain(datadir: &str, network: &str) -> Result<Blockchain, CliError> {
    let chain = Blockchain::new(open_store(datadir, network)?)?;
    if chain.recovered_blocks() > 0 {
        eprintln!(
            "re-executed {} blocks above the last stored state",
            chain.recovered_blocks()
        );
    }
    Ok(chain)
}

/// Imports the blocks of `files` not yet stored, in batches; returns the import's statistics
/// and how many blocks were already stored.
pub fn import_files(
    chain: &Blockchain,
    files: &[PathBuf],
    batch_size: usize,
) -> Result<(ImportStats, u64), CliError> {
    let mut total = ImportStats::default();
    let mut skipped = 0u64;
    for file in files {
        let bytes = std::fs::read(file)
            .map_err(|e| CliError::Io(format!("cannot read {}: {e}", file.display())))?;
        let progress = progress_bar(bytes.len() as u64, file);
        let mut buf = bytes.as_slice();
        let mut index = 0usize;
        let mut batch = Vec::with_capacity(batch_size);
        let mut batch_gas = 0u64;
        let mut decode_error = None;
        let mut last_number = None;
        while !buf.is_empty() || !batch.is_empty() {
            let full = batch.len() >= batch_size || batch_gas >= MAX_BATCH_GAS;
            if !buf.is_empty() && !full && decode_error.is_none() {
                let offset = bytes.len() - buf.len();
                match Block::decode(&mut buf) {
                    Ok(block) => {
                        last_number = Some(block.header.number);
                        if chain.contains(&block.header.hash_slow())? {
                            skipped += 1;
                        } else {
                            batch_gas += block.header.gas_used;
                            batch.push(block);
                        }
                        index += 1;
                    }
                    Err(e) => {
                        let after = last_number
                            .map(|n| format!(", after block #{n}"))
                            .unwrap_or_default();
                        decode_error = Some(format!(
                            "{}: block {} of the file (at byte {offset}{after}) is malformed \
                             RLP: {e}",
                            file.display(),
                            index + 1
                        ));
                        buf = &[];
                    }
                }
                if !buf.is_empty() && batch.len() < batch_size && batch_gas < MAX_BATCH_GAS {
                    continue;
                }
            }
            if batch.is_empty() {
                break;
            }
            let result = chain.import_blocks(&batch);
            let stats = match &result {
                Ok(stats) => *stats,
                Err(e) => e.stats,
            };
            total += stats;
            report_progress(&progress, bytes.len() - buf.len(), &batch, stats, total);
            batch.clear();
            batch_gas = 0;
            if let Err(e) = result {
                progress.abandon();
                return Err(CliError::Import(format!(
                    "{}: {} (every block before it is imported)",
                    file.display(),
                    e.source
                )));
            }
        }
        progress.finish_and_clear();
        if let Some(message) = decode_error {
            return Err(CliError::Import(format!(
                "{message} (every block before it is imported)"
            )));
        }
    }
    Ok((total, skipped))
}

fn progress_bar(len: u64, file: &Path) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(
        "{prefix} [{bar:30}] {binary_bytes}/{binary_total_bytes} {msg} (eta {eta})",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_prefix(
        file.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    );
    bar
}

/// Moves the bar; without a terminal (logs, CI), prints one line per batch instead.
fn report_progress(
    bar: &ProgressBar,
    position: usize,
    batch: &[Block],
    stats: ImportStats,
    total: ImportStats,
) {
    let Some(last) = batch.get(stats.blocks.saturating_sub(1) as usize) else {
        return;
    };
    let busy = total.timings.execution + total.timings.merkleization + total.timings.storage;
    let mgas = total.gas as f64 / 1e6 / busy.as_secs_f64().max(1e-9);
    let message = format!(
        "#{} ({} blocks, {mgas:.1} Mgas/s)",
        last.header.number, total.blocks
    );
    bar.set_position(position as u64);
    if bar.is_hidden() {
        eprintln!("imported {message}");
    } else {
        bar.set_message(message);
    }
}
