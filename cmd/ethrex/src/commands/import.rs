//! `ethrex import <file.rlp>...`: imports a file of consecutive RLP-encoded blocks. Each block
//! is committed with its state in one batch, so an interrupted import keeps every block before
//! the interruption and a rerun skips the blocks already stored.

use std::path::{Path, PathBuf};

use alloy_rlp::Decodable;
use ethrex_blockchain::Blockchain;
use ethrex_common::{Network, types::Block};
use ethrex_storage::Store;

use super::CliError;

/// Opens the store at `datadir` (`memory` for an in-memory one), creating it with `network`'s
/// genesis if new.
pub fn open_store(datadir: &str, network: &str) -> Result<Store, CliError> {
    let genesis = network.parse::<Network>()?.genesis()?;
    let store = if datadir == "memory" {
        Store::in_memory()
    } else {
        let path = expand_home(datadir);
        std::fs::create_dir_all(&path)
            .map_err(|e| CliError::Io(format!("cannot create {}: {e}", path.display())))?;
        Store::open(&path)?
    };
    store.init_genesis(&genesis)?;
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
pub fn run(datadir: &str, network: &str, files: &[PathBuf]) -> Result<(), CliError> {
    let chain = Blockchain::new(open_store(datadir, network)?)?;
    let (mut imported, mut skipped) = (0u64, 0u64);
    for file in files {
        let bytes = std::fs::read(file)
            .map_err(|e| CliError::Io(format!("cannot read {}: {e}", file.display())))?;
        let mut buf = bytes.as_slice();
        let mut index = 0usize;
        while !buf.is_empty() {
            let offset = bytes.len() - buf.len();
            let block = Block::decode(&mut buf).map_err(|e| {
                CliError::Import(format!(
                    "{}: block {index} at byte {offset} is malformed RLP: {e}",
                    file.display()
                ))
            })?;
            if chain.contains(&block.header.hash_slow())? {
                skipped += 1;
            } else {
                chain.add_block(&block)?;
                imported += 1;
                if imported % 1000 == 0 {
                    eprintln!("imported {imported} blocks, at #{}", block.header.number);
                }
            }
            index += 1;
        }
    }
    let head = chain
        .store()
        .head_header()?
        .ok_or_else(|| CliError::Import("the store has no head".into()))?;
    println!(
        "imported {imported} blocks ({skipped} already present); head #{} {}",
        head.number,
        head.hash_slow()
    );
    Ok(())
}
