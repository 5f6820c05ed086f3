//! One module per fixture format. Each `run_file` reads one fixture file, runs every case in
//! it, and records each case's outcome in the report.

pub mod blockchain;
pub mod difficulty;
pub mod engine;
pub mod rlp;
pub mod state;
pub mod transaction;
pub mod trie;
