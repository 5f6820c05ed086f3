//! `ethrex-l2-genesis [FILE]`: writes the L2 genesis (`ethrex_l2_sdk::genesis`) to FILE, or to
//! standard output without one. `make l2-genesis` runs it on `fixtures/genesis/l2.json`.

use std::process::ExitCode;

fn main() -> ExitCode {
    let json = match ethrex_l2_sdk::genesis::l2_genesis_json() {
        Ok(json) => json,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::FAILURE;
        }
    };
    match std::env::args_os().nth(1) {
        Some(path) => {
            if let Err(err) = std::fs::write(&path, json) {
                eprintln!("error: {}: {err}", path.to_string_lossy());
                return ExitCode::FAILURE;
            }
        }
        None => print!("{json}"),
    }
    ExitCode::SUCCESS
}
