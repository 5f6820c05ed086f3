//! `ethrex removedb [--force]`: deletes the data directory, asking first unless `--force`.

use std::io::{BufRead, Write};

use super::{CliError, import::expand_home};

/// Removes `datadir` (nothing to do for `memory` or a missing directory).
pub fn run(datadir: &str, force: bool) -> Result<(), CliError> {
    if datadir == "memory" {
        println!("the in-memory store has nothing to remove");
        return Ok(());
    }
    let path = expand_home(datadir);
    if !path.exists() {
        println!("{} does not exist; nothing to remove", path.display());
        return Ok(());
    }
    if !force {
        print!("Remove the database at {}? [y/N] ", path.display());
        std::io::stdout()
            .flush()
            .map_err(|e| CliError::Io(e.to_string()))?;
        let mut answer = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut answer)
            .map_err(|e| CliError::Io(e.to_string()))?;
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            println!("not removed");
            return Ok(());
        }
    }
    std::fs::remove_dir_all(&path)
        .map_err(|e| CliError::Io(format!("cannot remove {}: {e}", path.display())))?;
    println!("removed {}", path.display());
    Ok(())
}
