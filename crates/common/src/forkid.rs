//! EIP-2124 fork identifiers: `FORK_HASH` (CRC32 of the genesis hash and every passed fork) and
//! `FORK_NEXT` (the next scheduled fork, or 0).
//!
//! The fork list is gathered as geth does: every block-number fork of the config (the DAO fork
//! block included), then every timestamp fork; sorted, deduplicated, and without forks at
//! genesis (block 0, or a timestamp not after the genesis timestamp).

use alloy_primitives::{B256, FixedBytes};
use alloy_rlp::{RlpDecodable, RlpEncodable};

use crate::ChainConfig;

/// An EIP-2124 fork identifier, as exchanged in the eth `Status` message and the ENR `eth` entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct ForkId {
    /// CRC32 checksum of the genesis hash and the passed fork activations.
    pub hash: FixedBytes<4>,
    /// Block number or timestamp of the next fork; 0 if none is known.
    pub next: u64,
}

/// The block-number and timestamp activations that enter the fork identifier, in order.
pub fn fork_activations(config: &ChainConfig, genesis_timestamp: u64) -> (Vec<u64>, Vec<u64>) {
    let mut blocks: Vec<u64> = [
        config.homestead_block,
        config.dao_fork_block,
        config.eip150_block,
        config.eip155_block,
        config.eip158_block,
        config.byzantium_block,
        config.constantinople_block,
        config.petersburg_block,
        config.istanbul_block,
        config.muir_glacier_block,
        config.berlin_block,
        config.london_block,
        config.arrow_glacier_block,
        config.gray_glacier_block,
        config.merge_netsplit_block,
    ]
    .into_iter()
    .flatten()
    .filter(|b| *b != 0)
    .collect();
    blocks.sort_unstable();
    blocks.dedup();
    let mut times: Vec<u64> = [
        config.shanghai_time,
        config.cancun_time,
        config.prague_time,
        config.osaka_time,
        config.bpo1_time,
        config.bpo2_time,
        config.bpo3_time,
        config.bpo4_time,
        config.bpo5_time,
    ]
    .into_iter()
    .flatten()
    .filter(|t| *t > genesis_timestamp)
    .collect();
    times.sort_unstable();
    times.dedup();
    (blocks, times)
}

impl ForkId {
    /// The fork identifier of a chain whose head has this number and timestamp.
    pub fn new(
        config: &ChainConfig,
        genesis_hash: B256,
        genesis_timestamp: u64,
        head_number: u64,
        head_timestamp: u64,
    ) -> ForkId {
        let (blocks, times) = fork_activations(config, genesis_timestamp);
        let mut hasher = crc32fast::Hasher::new();
        hasher.update(genesis_hash.as_slice());
        let passed =
            |hasher: &crc32fast::Hasher| FixedBytes(hasher.clone().finalize().to_be_bytes());
        for (forks, head) in [(blocks, head_number), (times, head_timestamp)] {
            for fork in forks {
                if fork > head {
                    return ForkId {
                        hash: passed(&hasher),
                        next: fork,
                    };
                }
                hasher.update(&fork.to_be_bytes());
            }
        }
        ForkId {
            hash: passed(&hasher),
            next: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Network;
    use alloy_primitives::b256;

    const MAINNET_GENESIS: B256 =
        b256!("d4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3");

    #[test]
    fn mainnet_fork_ids_match_eip2124_and_geth_vectors() {
        let genesis = Network::Mainnet.genesis().unwrap();
        let config = genesis.config();
        // (head block, head time, fork hash, next): EIP-2124's mainnet vectors, then geth's
        // table for the later forks (params/forkid tests of go-ethereum).
        let vectors: &[(u64, u64, u32, u64)] = &[
            (0, 0, 0xfc64ec04, 1_150_000),
            (1_149_999, 0, 0xfc64ec04, 1_150_000),
            (1_150_000, 0, 0x97c2c34c, 1_920_000),
            (1_919_999, 0, 0x97c2c34c, 1_920_000),
            (1_920_000, 0, 0x91d1f948, 2_463_000),
            (2_462_999, 0, 0x91d1f948, 2_463_000),
            (2_463_000, 0, 0x7a64da13, 2_675_000),
            (2_675_000, 0, 0x3edd5b10, 4_370_000),
            (4_370_000, 0, 0xa00bc324, 7_280_000),
            (7_280_000, 0, 0x668db0af, 9_069_000),
            (9_069_000, 0, 0x879d6e30, 9_200_000),
            (9_200_000, 0, 0xe029e991, 12_244_000),
            (12_244_000, 0, 0x0eb440f6, 12_965_000),
            (12_965_000, 0, 0xb715077d, 13_773_000),
            (13_773_000, 0, 0x20c327fc, 15_050_000),
            (15_050_000, 0, 0xf0afd0e3, 1_681_338_455),
            (20_000_000, 1_681_338_454, 0xf0afd0e3, 1_681_338_455),
            (20_000_000, 1_681_338_455, 0xdce96c2d, 1_710_338_135),
            (30_000_000, 1_710_338_135, 0x9f3d2254, 1_746_612_311),
            (30_000_000, 1_746_612_311, 0xc376cf8b, 1_764_798_551),
            (30_000_000, 1_764_798_551, 0x5167e2a6, 1_765_290_071),
            (30_000_000, 1_765_290_071, 0xcba2a1c0, 1_767_747_671),
            (30_000_000, 1_767_747_671, 0x07c9462e, 0),
            (50_000_000, 2_000_000_000, 0x07c9462e, 0),
        ];
        for &(block, time, hash, next) in vectors {
            let id = ForkId::new(config, MAINNET_GENESIS, 0, block, time);
            assert_eq!(
                id,
                ForkId {
                    hash: FixedBytes(hash.to_be_bytes()),
                    next
                },
                "head block {block} time {time}"
            );
        }
    }

    #[test]
    fn fork_id_rlp_matches_eip2124_vectors() {
        for (id, encoded) in [
            (
                ForkId {
                    hash: FixedBytes([0; 4]),
                    next: 0,
                },
                "c6840000000080",
            ),
            (
                ForkId {
                    hash: FixedBytes([0xde, 0xad, 0xbe, 0xef]),
                    next: 0xbaddcafe,
                },
                "ca84deadbeef84baddcafe",
            ),
        ] {
            let bytes = alloy_rlp::encode(id);
            assert_eq!(alloy_primitives::hex::encode(&bytes), encoded);
            assert_eq!(alloy_rlp::decode_exact::<ForkId>(&bytes).unwrap(), id);
        }
    }
}
