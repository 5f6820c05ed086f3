//! # ethrex-chaingen
//!
//! Generates chains for benchmarking block import: a `genesis.json` (geth format, as
//! `ethrex --network <file>` reads it) and a `chain.rlp` (blocks 1 to N, RLP-encoded and
//! concatenated, as `ethrex import` reads them) of blocks full of signed ETH and ERC20
//! transfers from many senders. The same parameters always give the same bytes.
//!
//! Where to start reading: [`write_chain`] (the files), `generator.rs` ([`Generator`]: genesis,
//! then block after block through `ethrex_blockchain::build_block`), `workload.rs` (which
//! transactions, from whom, how much gas), `genesis.rs` (the allocation and chain config),
//! `state.rs` (the in-memory state and its incremental state root), `erc20.rs` (the token) and
//! `system_contracts.rs` (the Prague system contracts, from `ethrex-common`).

mod erc20;
mod generator;
mod genesis;
mod state;
mod system_contracts;
mod workload;

use std::{
    fs::File,
    io::{BufWriter, Write},
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

pub use generator::{FEE_RECIPIENT, Generator};
pub use genesis::{CHAIN_ID, FORK};
pub use workload::sender_secret;

/// The shape of the generated chain.
#[derive(Debug, Clone, clap::Args)]
pub struct ChainParams {
    /// Number of funded senders; they take turns, so each one's nonces are sequential.
    #[arg(long, default_value_t = 1000)]
    pub senders: usize,
    /// Gas limit of every block. Transactions fill each block to the EIP-1559 gas target
    /// (half the limit), which keeps the base fee from growing block after block.
    #[arg(long, default_value_t = 30_000_000)]
    pub gas_limit: u64,
    /// Percentage of ERC20 transfers among the transactions (the rest are ETH transfers).
    #[arg(long, default_value_t = 50)]
    pub erc20_share: u8,
    /// Seed of the sender keys, recipients and amounts.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

/// Errors of the generator.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid parameters: {0}")]
    Params(String),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Genesis(#[from] ethrex_common::CommonError),
    #[error(transparent)]
    Crypto(#[from] ethrex_crypto::CryptoError),
    #[error("state trie: {0}")]
    Trie(#[from] ethrex_trie::TrieError),
    #[error("building a block: {0}")]
    Block(#[from] ethrex_blockchain::BlockError),
    #[error("block #{number}: the builder left out {count} generated transactions, first: {first}")]
    Skipped {
        number: u64,
        count: usize,
        first: String,
    },
    #[error("internal error: {0}")]
    Internal(String),
}

/// Result alias of this crate.
pub type Result<T> = std::result::Result<T, Error>;

/// Where a generation stands, after each block.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    /// The number of the block just written.
    pub block: u64,
    /// Transactions written so far.
    pub transactions: u64,
    /// Gas used by the blocks so far.
    pub gas_used: u64,
    /// Time since the start.
    pub elapsed: Duration,
}

/// What [`write_chain`] wrote.
#[derive(Debug, Clone)]
pub struct Summary {
    pub blocks: u64,
    pub transactions: u64,
    pub gas_used: u64,
    pub genesis: PathBuf,
    pub chain: PathBuf,
    pub elapsed: Duration,
}

/// Writes `genesis.json` and `chain.rlp` of `blocks` blocks into `out` (created if missing),
/// calling `progress` after each block.
pub fn write_chain(
    params: &ChainParams,
    blocks: u64,
    out: &Path,
    mut progress: impl FnMut(&Progress),
) -> Result<Summary> {
    let start = Instant::now();
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Io { path, source }
    };
    std::fs::create_dir_all(out).map_err(io(out))?;
    let mut generator = Generator::new(params)?;
    let genesis = out.join("genesis.json");
    std::fs::write(&genesis, format!("{}\n", generator.genesis_json())).map_err(io(&genesis))?;

    let chain = out.join("chain.rlp");
    let mut writer = BufWriter::new(File::create(&chain).map_err(io(&chain))?);
    let mut done = Progress {
        block: 0,
        transactions: 0,
        gas_used: 0,
        elapsed: Duration::ZERO,
    };
    for _ in 0..blocks {
        let built = generator.next_block()?;
        let block = &built.block;
        writer
            .write_all(&alloy_rlp::encode(block))
            .map_err(io(&chain))?;
        done.block = block.header.number;
        done.transactions += block.body.transactions.len() as u64;
        done.gas_used += block.header.gas_used;
        done.elapsed = start.elapsed();
        progress(&done);
    }
    writer.flush().map_err(io(&chain))?;
    Ok(Summary {
        blocks,
        transactions: done.transactions,
        gas_used: done.gas_used,
        genesis,
        chain,
        elapsed: start.elapsed(),
    })
}

#[cfg(test)]
mod tests {
    use ethrex_common::types::decode_block;

    use super::*;

    fn params(seed: u64) -> ChainParams {
        ChainParams {
            senders: 20,
            gas_limit: 2_000_000,
            erc20_share: 50,
            seed,
        }
    }

    fn generate(dir: &Path, seed: u64) -> (Vec<u8>, Vec<u8>) {
        let mut calls = 0;
        let summary = write_chain(&params(seed), 3, dir, |_| calls += 1).unwrap();
        assert_eq!((summary.blocks, calls), (3, 3));
        let genesis = std::fs::read(&summary.genesis).unwrap();
        let chain = std::fs::read(&summary.chain).unwrap();
        (genesis, chain)
    }

    #[test]
    fn generating_twice_gives_identical_bytes() {
        let (a, b, c) = (
            tempfile::tempdir().unwrap(),
            tempfile::tempdir().unwrap(),
            tempfile::tempdir().unwrap(),
        );
        let first = generate(a.path(), 1);
        assert_eq!(generate(b.path(), 1), first);
        let other_seed = generate(c.path(), 2);
        assert_ne!(other_seed.0, first.0);
        assert_ne!(other_seed.1, first.1);
    }

    #[test]
    fn chain_file_holds_consecutive_blocks_from_one() {
        let dir = tempfile::tempdir().unwrap();
        let (genesis, chain) = generate(dir.path(), 3);
        let genesis = std::str::from_utf8(&genesis).unwrap();
        let genesis = ethrex_common::Genesis::from_json(genesis).unwrap();
        let mut parent = genesis.header().unwrap();
        let mut rest = chain.as_slice();
        while !rest.is_empty() {
            let block = <ethrex_common::types::Block as alloy_rlp::Decodable>::decode(&mut rest);
            let block = block.unwrap();
            assert_eq!(block.header.number, parent.number + 1);
            assert_eq!(block.header.parent_hash, parent.hash_slow());
            assert_eq!(decode_block(&alloy_rlp::encode(&block)).unwrap(), block);
            parent = block.header;
        }
        assert_eq!(parent.number, 3);
    }
}
