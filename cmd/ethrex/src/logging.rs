//! Logging setup: `tracing` to stderr with the `--log.level` filter (a level or a RUST_LOG-style
//! filter) and `--log.color`. (`--log.dir` is parsed; file output is not written yet.)

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::cli::{LogColor, LogOptions};

/// Installs the global subscriber (once; later calls do nothing).
pub fn init(options: &LogOptions) {
    let filter = EnvFilter::try_new(&options.level).unwrap_or_else(|_| EnvFilter::new("info"));
    let ansi = match options.color {
        LogColor::Always => true,
        LogColor::Never => false,
        LogColor::Auto => std::io::stderr().is_terminal(),
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_target(false)
        .with_writer(std::io::stderr)
        .try_init();
}
