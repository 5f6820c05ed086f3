//! Helpers shared by the binary's integration tests: run `ethrex`, read its output, find the
//! execution-apis fixtures.

#![allow(dead_code, reason = "each test binary uses a different subset")]

use std::process::{Command, Output};

pub fn ethrex(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ethrex"))
        .args(args)
        .env_clear()
        .output()
        .expect("run the ethrex binary")
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn execution_apis(file: &str) -> String {
    format!(
        "{}/../../../shared/fixtures/execution-apis/tests/{file}",
        env!("CARGO_MANIFEST_DIR")
    )
}

pub fn import(datadir: &str, file: &str) -> Output {
    ethrex(&[
        "--datadir",
        datadir,
        "--network",
        &execution_apis("genesis.json"),
        "import",
        file,
    ])
}
