//! The public networks ethrex knows by name, and genesis files given by path.
//!
//! The presets' genesis files and bootnodes are compiled into the binary (from
//! `crates/common/networks/`), so `--network hoodi` needs no file on disk.

use std::{fmt, path::PathBuf, str::FromStr};

use crate::{CommonError, Genesis, Result};

/// A network: a built-in preset or a genesis file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Network {
    Mainnet,
    Sepolia,
    Holesky,
    Hoodi,
    /// A geth-style genesis JSON file.
    GenesisFile(PathBuf),
}

impl Network {
    /// The built-in presets.
    pub const PRESETS: [Network; 4] = [
        Network::Mainnet,
        Network::Sepolia,
        Network::Holesky,
        Network::Hoodi,
    ];

    /// The genesis of this network.
    pub fn genesis(&self) -> Result<Genesis> {
        match self {
            Network::Mainnet => Genesis::from_json(include_str!("../networks/mainnet.json")),
            Network::Sepolia => Genesis::from_json(include_str!("../networks/sepolia.json")),
            Network::Holesky => Genesis::from_json(include_str!("../networks/holesky.json")),
            Network::Hoodi => Genesis::from_json(include_str!("../networks/hoodi.json")),
            Network::GenesisFile(path) => Genesis::from_file(path),
        }
    }

    /// The network's bootnodes as `enode://` URLs (empty for genesis files): the `- enode://…`
    /// entries of `networks/<name>-enodes.yaml`, a trailing `# comment` left out. Discovery
    /// bonds with them when `--bootnodes` is not given.
    pub fn bootnodes(&self) -> Vec<String> {
        let yaml = match self {
            Network::Mainnet => include_str!("../networks/mainnet-enodes.yaml"),
            Network::Sepolia => include_str!("../networks/sepolia-enodes.yaml"),
            Network::Holesky => include_str!("../networks/holesky-enodes.yaml"),
            Network::Hoodi => include_str!("../networks/hoodi-enodes.yaml"),
            Network::GenesisFile(_) => "",
        };
        yaml.lines()
            .filter_map(|line| line.trim().strip_prefix("- "))
            .filter_map(|entry| entry.split('#').next())
            .map(|entry| entry.trim().to_string())
            .filter(|entry| entry.starts_with("enode://"))
            .collect()
    }
}

impl FromStr for Network {
    type Err = CommonError;

    /// A preset name (case-insensitive) or the path of an existing genesis file.
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "mainnet" => Ok(Network::Mainnet),
            "sepolia" => Ok(Network::Sepolia),
            "holesky" => Ok(Network::Holesky),
            "hoodi" => Ok(Network::Hoodi),
            _ if std::path::Path::new(s).is_file() => Ok(Network::GenesisFile(PathBuf::from(s))),
            _ => Err(CommonError::UnknownNetwork(s.to_string())),
        }
    }
}

impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Network::Mainnet => f.write_str("mainnet"),
            Network::Sepolia => f.write_str("sepolia"),
            Network::Holesky => f.write_str("holesky"),
            Network::Hoodi => f.write_str("hoodi"),
            Network::GenesisFile(path) => write!(f, "{}", path.display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{B256, b256};

    /// Genesis block hashes published for each network (shared/fixtures/README.md).
    const KNOWN_HASHES: [(Network, B256); 4] = [
        (
            Network::Mainnet,
            b256!("d4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3"),
        ),
        (
            Network::Sepolia,
            b256!("25a5cc106eea7138acab33231d7160d69cb777ee0c2c553fcddf5138993e6dd9"),
        ),
        (
            Network::Holesky,
            b256!("b5f7f912443c940f21fd611f12828d75b534364ed9e95ca4e307729a4661bde4"),
        ),
        (
            Network::Hoodi,
            b256!("bbe312868b376a3001692a646dd2d7d1e4406380dfd86b98aa8a34d1557c971b"),
        ),
    ];

    #[test]
    fn preset_genesis_block_hashes_match_the_published_ones() {
        for (network, hash) in KNOWN_HASHES {
            let block = network.genesis().unwrap().block().unwrap();
            assert_eq!(block.header.hash_slow(), hash, "{network}");
        }
    }

    #[test]
    fn preset_chain_ids() {
        let ids: Vec<u64> = Network::PRESETS
            .iter()
            .map(|n| n.genesis().unwrap().config().chain_id)
            .collect();
        assert_eq!(ids, [1, 11_155_111, 17_000, 560_048]);
    }

    /// The URLs' syntax is checked by the binary's test, which parses them as enodes (this
    /// crate does not depend on ethrex-p2p).
    #[test]
    fn every_preset_has_bootnodes_without_their_comments() {
        for network in Network::PRESETS {
            let nodes = network.bootnodes();
            assert!(nodes.len() >= 3, "{network}: {nodes:?}");
            for node in &nodes {
                assert!(node.starts_with("enode://"), "{network}: {node}");
                assert!(!node.contains([' ', '#']), "{network}: {node}");
            }
        }
        let genesis_file = Network::GenesisFile(PathBuf::from("genesis.json"));
        assert!(genesis_file.bootnodes().is_empty());
    }

    #[test]
    fn unknown_network_is_a_clear_error() {
        let err = "goerli".parse::<Network>().unwrap_err().to_string();
        assert!(err.contains("unknown network \"goerli\""), "{err}");
        assert_eq!("Hoodi".parse::<Network>().unwrap(), Network::Hoodi);
    }
}
