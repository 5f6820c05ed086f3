//! EIP-2124 fork identifiers: `FORK_HASH` (CRC32 of the genesis hash and every passed fork) and
//! `FORK_NEXT` (the next scheduled fork, or 0).
//!
//! The fork list is gathered as geth does: every block-number fork of the config (the DAO fork
//! block included), then every timestamp fork; sorted, deduplicated, and without forks at
//! genesis (block 0, or a timestamp not after the genesis timestamp).
//!
//! [`ForkFilter`] decides whether a peer's fork identifier is compatible with ours, by EIP-2124's
//! four validation rules (block forks checked before timestamp forks, EIP-6122).

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

/// Why a peer's fork identifier is incompatible with ours (EIP-2124's rejections).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ForkIdError {
    /// The peer is on a subset of our passed forks but does not announce the next one we passed:
    /// it needs a software update (rule 2 failed).
    #[error("remote fork id {remote:?} is stale: it lacks a fork we passed")]
    RemoteStale { remote: ForkId },
    /// The peer's fork state is neither ours, a subset nor a superset that our future forks
    /// complete, or it announces a next fork we passed without it (rules 1a and 4).
    #[error("remote fork id {remote:?} is incompatible with our chain (or we need an update)")]
    LocalIncompatibleOrStale { remote: ForkId },
}

/// A `FORK_NEXT` above this value is read as a timestamp (mainnet's genesis time, 2015-07-30):
/// no chain reaches such a block number, and no timestamp fork is scheduled before it.
pub const TIMESTAMP_THRESHOLD: u64 = 1_438_269_973;

/// Our fork list and its checksums, to validate peers' fork identifiers (EIP-2124).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForkFilter {
    /// Block forks then timestamp forks, each with whether it is a timestamp.
    forks: Vec<(u64, bool)>,
    /// `sums[k]`: the fork hash after the first `k` forks (`sums[0]`: the genesis hash alone).
    sums: Vec<FixedBytes<4>>,
}

impl ForkFilter {
    /// The filter of a chain: its config, genesis hash and genesis timestamp.
    pub fn new(config: &ChainConfig, genesis_hash: B256, genesis_timestamp: u64) -> Self {
        let (blocks, times) = fork_activations(config, genesis_timestamp);
        let forks: Vec<(u64, bool)> = blocks
            .into_iter()
            .map(|b| (b, false))
            .chain(times.into_iter().map(|t| (t, true)))
            .collect();
        let mut hasher = crc32fast::Hasher::new();
        hasher.update(genesis_hash.as_slice());
        let mut sums = vec![FixedBytes(hasher.clone().finalize().to_be_bytes())];
        for (fork, _) in &forks {
            hasher.update(&fork.to_be_bytes());
            sums.push(FixedBytes(hasher.clone().finalize().to_be_bytes()));
        }
        Self { forks, sums }
    }

    /// Checks a peer's fork identifier against our chain at head `head_number`/`head_time`:
    /// 1. same fork hash: compatible unless the peer's next fork already passed for us (1a);
    /// 2. the hash of a subset of our passed forks: compatible if its next fork is the one we
    ///    passed after that subset (the peer is syncing), else the peer is stale;
    /// 3. the hash of a superset our future forks complete: compatible (we are syncing);
    /// 4. anything else: incompatible.
    pub fn validate(
        &self,
        remote: ForkId,
        head_number: u64,
        head_time: u64,
    ) -> Result<(), ForkIdError> {
        let passed_at = |value: u64, is_time: bool| {
            if is_time {
                value <= head_time
            } else {
                value <= head_number
            }
        };
        let passed = self
            .forks
            .iter()
            .take_while(|&&(fork, is_time)| passed_at(fork, is_time))
            .count();
        let incompatible = Err(ForkIdError::LocalIncompatibleOrStale { remote });
        // Rule 1.
        if self.sums.get(passed) == Some(&remote.hash) {
            let next_passed =
                remote.next > 0 && passed_at(remote.next, remote.next > TIMESTAMP_THRESHOLD);
            return if next_passed { incompatible } else { Ok(()) };
        }
        // Rule 2: the peer is on an older fork state of ours.
        for (j, sum) in self.sums.iter().enumerate().take(passed) {
            if *sum == remote.hash {
                return match self.forks.get(j) {
                    Some(&(fork, _)) if fork == remote.next => Ok(()),
                    _ => Err(ForkIdError::RemoteStale { remote }),
                };
            }
        }
        // Rule 3: the peer is ahead of us on our own schedule.
        if self
            .sums
            .iter()
            .skip(passed + 1)
            .any(|sum| *sum == remote.hash)
        {
            return Ok(());
        }
        incompatible
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

#[cfg(test)]
mod validation_tests {
    use super::*;
    use crate::Network;
    use alloy_primitives::b256;

    const MAINNET_GENESIS: B256 =
        b256!("d4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3");

    fn id(hash: u32, next: u64) -> ForkId {
        ForkId {
            hash: FixedBytes(hash.to_be_bytes()),
            next,
        }
    }

    /// Mainnet as EIP-2124's validation table sees it: every fork up to Petersburg, none later.
    fn mainnet_petersburg() -> ForkFilter {
        let mut config = Network::Mainnet.genesis().unwrap().config().clone();
        config.istanbul_block = None;
        config.muir_glacier_block = None;
        config.berlin_block = None;
        config.london_block = None;
        config.arrow_glacier_block = None;
        config.gray_glacier_block = None;
        config.merge_netsplit_block = None;
        config.shanghai_time = None;
        config.cancun_time = None;
        config.prague_time = None;
        config.osaka_time = None;
        config.bpo1_time = None;
        config.bpo2_time = None;
        config.bpo3_time = None;
        config.bpo4_time = None;
        config.bpo5_time = None;
        ForkFilter::new(&config, MAINNET_GENESIS, 0)
    }

    #[test]
    fn eip2124_validation_verdicts_on_mainnet_petersburg() {
        use ForkIdError::*;
        let filter = mainnet_petersburg();
        let stale = |remote| Err(RemoteStale { remote });
        let incompatible = |remote| Err(LocalIncompatibleOrStale { remote });
        // (local head, remote id, verdict): EIP-2124's table, in its order.
        let cases: Vec<(u64, ForkId, Result<(), ForkIdError>)> = vec![
            (7_987_396, id(0x668db0af, 0), Ok(())),
            (7_987_396, id(0x668db0af, u64::MAX), Ok(())),
            (7_279_999, id(0xa00bc324, 0), Ok(())),
            (7_279_999, id(0xa00bc324, 7_280_000), Ok(())),
            (7_279_999, id(0xa00bc324, u64::MAX), Ok(())),
            (7_987_396, id(0xa00bc324, 7_280_000), Ok(())),
            (7_987_396, id(0x3edd5b10, 4_370_000), Ok(())),
            (7_279_999, id(0x668db0af, 0), Ok(())),
            (4_369_999, id(0xa00bc324, 0), Ok(())),
            (7_987_396, id(0xa00bc324, 0), stale(id(0xa00bc324, 0))),
            (
                7_987_396,
                id(0x5cddc0e1, 0),
                incompatible(id(0x5cddc0e1, 0)),
            ),
            (
                7_279_999,
                id(0x5cddc0e1, 0),
                incompatible(id(0x5cddc0e1, 0)),
            ),
            (
                7_987_396,
                id(0xafec6b27, 0),
                incompatible(id(0xafec6b27, 0)),
            ),
            (
                88_888_888,
                id(0x668db0af, 88_888_888),
                incompatible(id(0x668db0af, 88_888_888)),
            ),
            (
                7_279_999,
                id(0xa00bc324, 7_279_999),
                incompatible(id(0xa00bc324, 7_279_999)),
            ),
        ];
        for (head, remote, verdict) in cases {
            assert_eq!(
                filter.validate(remote, head, 0),
                verdict,
                "local head {head}, remote {remote:?}"
            );
        }
    }

    #[test]
    fn timestamp_forks_validate_after_block_forks() {
        let config = Network::Mainnet.genesis().unwrap().config().clone();
        let filter = ForkFilter::new(&config, MAINNET_GENESIS, 0);
        let (cancun, prague) = (1_710_338_135, 1_746_612_311);
        // Our head is in Prague; the peer is in Cancun and knows Prague: syncing, accepted.
        assert_eq!(
            filter.validate(id(0x9f3d2254, prague), 22_000_000, prague + 1),
            Ok(())
        );
        // The peer is in Cancun and knows no later fork: stale.
        assert_eq!(
            filter.validate(id(0x9f3d2254, 0), 22_000_000, prague + 1),
            Err(ForkIdError::RemoteStale {
                remote: id(0x9f3d2254, 0)
            })
        );
        // We are in Cancun, the peer in Prague: we are syncing, accepted.
        assert_eq!(
            filter.validate(id(0xc376cf8b, 1_764_798_551), 20_000_000, cancun + 1),
            Ok(())
        );
        // Same fork state, but the peer's next fork (a timestamp) passed for us: rejected.
        let remote = id(0x9f3d2254, prague - 10);
        assert_eq!(
            filter.validate(remote, 20_000_000, prague - 5),
            Err(ForkIdError::LocalIncompatibleOrStale { remote })
        );
        // Every id ForkId::new computes for our own heads is accepted.
        for (block, time) in [
            (0, 0),
            (15_050_000, 0),
            (20_000_000, cancun),
            (30_000_000, prague),
        ] {
            let ours = ForkId::new(&config, MAINNET_GENESIS, 0, block, time);
            assert_eq!(filter.validate(ours, block, time), Ok(()), "{block} {time}");
        }
    }
}
