//! `ethrex export <file.rlp> [--first N] [--last M]`: writes canonical blocks as consecutive
//! RLP-encoded blocks, the format `ethrex import` reads, so exporting an imported file gives back
//! its bytes.
//!
//! The blocks go to a temporary file in the output's directory, renamed to the output at the end:
//! a failed export leaves no file behind, and never a half-written one. An existing output is
//! refused unless `--force`. The data directory must exist (`memory` is allowed; it holds only
//! the genesis block).

use std::{
    fs::File,
    io::{BufWriter, Write},
    path::{Path, PathBuf},
};

use alloy_rlp::Encodable;
use ethrex_storage::Store;

use super::{
    CliError,
    import::{expand_home, open_store},
};
use crate::cli::{ExportArgs, NodeOptions};

/// A progress line goes to stderr after every this many blocks.
const PROGRESS_EVERY: u64 = 10_000;

/// Exports the canonical blocks `args.first..=args.last` of the store at `node.datadir`.
pub fn run(node: &NodeOptions, args: &ExportArgs) -> Result<(), CliError> {
    if node.datadir != "memory" {
        let path = expand_home(&node.datadir);
        if !path.exists() {
            return Err(CliError::NoDatabase(path));
        }
    }
    if !node.force && args.file.exists() {
        return Err(CliError::OutputExists(args.file.clone()));
    }
    let store = open_store(&node.datadir, &node.network)?;
    let head = store
        .head_header()?
        .ok_or_else(|| CliError::NoDatabase(expand_home(&node.datadir)))?
        .number;
    let (first, last) = block_range(args.first, args.last, head)?;

    let temp = TempFile::create_next_to(&args.file)?;
    let bytes = write_blocks(&store, first, last, &temp)?;
    if !node.force && args.file.exists() {
        return Err(CliError::OutputExists(args.file.clone()));
    }
    temp.rename_to(&args.file)?;
    println!(
        "exported blocks {first}..={last} ({} blocks, {bytes} bytes) to {}",
        last - first + 1,
        args.file.display()
    );
    Ok(())
}

/// The range to export: `first` defaults to 1 and `last` to `head`; `first <= last <= head`.
fn block_range(first: Option<u64>, last: Option<u64>, head: u64) -> Result<(u64, u64), CliError> {
    if head == 0 && first.is_none() && last.is_none() {
        return Err(CliError::NothingToExport);
    }
    let (first, last) = (first.unwrap_or(1), last.unwrap_or(head));
    if last > head {
        return Err(CliError::ExportPastHead { last, head });
    }
    if first > last {
        return Err(CliError::ExportRange { first, last });
    }
    Ok((first, last))
}

/// Writes blocks `first..=last` to `temp`, flushed and synced; returns the number of bytes.
fn write_blocks(store: &Store, first: u64, last: u64, temp: &TempFile) -> Result<u64, CliError> {
    let file = File::create(&temp.path).map_err(|e| temp.io_error("create", e))?;
    let mut out = BufWriter::new(file);
    let mut encoded = Vec::new();
    let mut bytes = 0u64;
    for number in first..=last {
        let block = store
            .block_by_number(number)?
            .ok_or(CliError::MissingBlock(number))?;
        encoded.clear();
        block.encode(&mut encoded);
        out.write_all(&encoded)
            .map_err(|e| temp.io_error("write", e))?;
        bytes += encoded.len() as u64;
        let done = number - first + 1;
        if done.is_multiple_of(PROGRESS_EVERY) {
            eprintln!("exported {done} blocks, at #{number}");
        }
    }
    let file = out
        .into_inner()
        .map_err(|e| temp.io_error("write", e.into_error()))?;
    file.sync_all().map_err(|e| temp.io_error("sync", e))?;
    Ok(bytes)
}

/// A file path next to the output, removed on drop unless renamed to the output.
struct TempFile {
    path: PathBuf,
    renamed: bool,
}

impl TempFile {
    /// `.<name>.<pid>.tmp` in `output`'s directory (the file is created by the writer).
    fn create_next_to(output: &Path) -> Result<Self, CliError> {
        let name = output
            .file_name()
            .ok_or_else(|| CliError::Io(format!("{} is not a file name", output.display())))?;
        let mut temp_name = std::ffi::OsString::from(".");
        temp_name.push(name);
        temp_name.push(format!(".{}.tmp", std::process::id()));
        Ok(Self {
            path: output.with_file_name(temp_name),
            renamed: false,
        })
    }

    fn rename_to(mut self, output: &Path) -> Result<(), CliError> {
        std::fs::rename(&self.path, output).map_err(|e| {
            CliError::Io(format!(
                "cannot rename {} to {}: {e}",
                self.path.display(),
                output.display()
            ))
        })?;
        self.renamed = true;
        Ok(())
    }

    fn io_error(&self, action: &str, err: std::io::Error) -> CliError {
        CliError::Io(format!("cannot {action} {}: {err}", self.path.display()))
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.renamed {
            // It may not exist (creation failed); nothing else to do about a failed removal.
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_defaults_to_block_one_through_the_head() {
        assert_eq!(block_range(None, None, 54).unwrap(), (1, 54));
        assert_eq!(block_range(Some(10), None, 54).unwrap(), (10, 54));
        assert_eq!(block_range(None, Some(20), 54).unwrap(), (1, 20));
        assert_eq!(block_range(Some(0), Some(0), 0).unwrap(), (0, 0));
    }

    #[test]
    fn range_errors_name_the_numbers() {
        let cases = [
            (
                Some(20),
                Some(10),
                54,
                "--first 20 is greater than --last 10",
            ),
            (None, Some(55), 54, "--last 55 is past the head, block #54"),
            (Some(60), None, 54, "--first 60 is greater than --last 54"),
            (None, None, 0, "the chain has only the genesis block"),
            (Some(1), None, 0, "--first 1 is greater than --last 0"),
        ];
        for (first, last, head, expected) in cases {
            let err = block_range(first, last, head).unwrap_err().to_string();
            assert!(err.contains(expected), "{first:?} {last:?} {head}: {err}");
        }
    }

    #[test]
    fn missing_canonical_block_names_it_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let temp = TempFile::create_next_to(&dir.path().join("out.rlp")).unwrap();
        // An empty store has no canonical block, not even the genesis.
        let err = write_blocks(&Store::in_memory(), 0, 3, &temp).unwrap_err();
        assert_eq!(
            err.to_string(),
            "canonical block #0 is missing from the database"
        );
        drop(temp);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn temp_file_is_hidden_next_to_the_output_and_removed_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let output = dir.path().join("chain.rlp");
        let temp = TempFile::create_next_to(&output).unwrap();
        assert_eq!(temp.path.parent(), Some(dir.path()));
        let name = temp
            .path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        assert!(
            name.starts_with(".chain.rlp.") && name.ends_with(".tmp"),
            "{name}"
        );
        std::fs::write(&temp.path, b"partial").unwrap();
        let path = temp.path.clone();
        drop(temp);
        assert!(!path.exists());
    }
}
