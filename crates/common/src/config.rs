//! Chain configuration: chain id, the fork schedule and the per-fork blob schedule.
//!
//! Forks up to Gray Glacier activate by block number, the merge by total difficulty (or the
//! `mergeNetsplitBlock`), Shanghai onwards by timestamp. [`ChainConfig::fork_at`] answers "which
//! rules apply to a block with this number and timestamp". A config built through
//! [`ChainConfig::from_genesis_config`] has its schedule checked: forks activate in order.

use std::collections::BTreeMap;

use alloy_primitives::{Address, U256};
use serde::{Deserialize, Serialize};

use crate::{CommonError, Fork, Result};

/// When a fork activates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    /// At this block number.
    Block(u64),
    /// When the chain's total difficulty reaches this value (the merge).
    TotalDifficulty(U256),
    /// At the first block whose timestamp is at least this value.
    Timestamp(u64),
}

/// Blob gas parameters of one fork (EIP-4844, EIP-7691, EIP-7840).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BlobParams {
    /// Target number of blobs per block.
    pub target: u64,
    /// Maximum number of blobs per block.
    pub max: u64,
    /// Denominator of the blob base fee update (`BLOB_BASE_FEE_UPDATE_FRACTION`).
    pub base_fee_update_fraction: u64,
}

impl BlobParams {
    /// Cancun's parameters (EIP-4844).
    pub const CANCUN: BlobParams = BlobParams {
        target: 3,
        max: 6,
        base_fee_update_fraction: 3_338_477,
    };
    /// Prague's parameters (EIP-7691), which Osaka keeps.
    pub const PRAGUE: BlobParams = BlobParams {
        target: 6,
        max: 9,
        base_fee_update_fraction: 5_007_716,
    };
}

/// The chain's parameters: which forks activate when, and their blob schedule.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChainConfig {
    pub chain_id: u64,
    pub homestead_block: Option<u64>,
    pub dao_fork_block: Option<u64>,
    pub dao_fork_support: bool,
    pub eip150_block: Option<u64>,
    pub eip155_block: Option<u64>,
    pub eip158_block: Option<u64>,
    pub byzantium_block: Option<u64>,
    pub constantinople_block: Option<u64>,
    pub petersburg_block: Option<u64>,
    pub istanbul_block: Option<u64>,
    pub muir_glacier_block: Option<u64>,
    pub berlin_block: Option<u64>,
    pub london_block: Option<u64>,
    pub arrow_glacier_block: Option<u64>,
    pub gray_glacier_block: Option<u64>,
    pub merge_netsplit_block: Option<u64>,
    pub terminal_total_difficulty: Option<U256>,
    pub terminal_total_difficulty_passed: bool,
    pub shanghai_time: Option<u64>,
    pub cancun_time: Option<u64>,
    pub prague_time: Option<u64>,
    pub osaka_time: Option<u64>,
    pub bpo1_time: Option<u64>,
    pub bpo2_time: Option<u64>,
    pub bpo3_time: Option<u64>,
    pub bpo4_time: Option<u64>,
    pub bpo5_time: Option<u64>,
    /// Blob parameters by fork, as the genesis `blobSchedule` gives them.
    pub blob_schedule: BTreeMap<Fork, BlobParams>,
    pub deposit_contract_address: Option<Address>,
}

impl ChainConfig {
    /// Builds and checks a config from the `config` object of a geth-style genesis file.
    pub fn from_genesis_config(raw: &alloy_genesis::ChainConfig) -> Result<Self> {
        let mut blob_schedule = BTreeMap::new();
        for (key, params) in &raw.blob_schedule {
            let fork = Fork::ALL
                .into_iter()
                .find(|f| f.blob_schedule_key() == Some(key.as_str()))
                .ok_or_else(|| {
                    CommonError::InvalidChainConfig(format!("unknown fork {key:?} in blobSchedule"))
                })?;
            let fraction = u64::try_from(params.update_fraction).map_err(|_| {
                CommonError::InvalidChainConfig(format!(
                    "blobSchedule.{key}.baseFeeUpdateFraction {} does not fit in 64 bits",
                    params.update_fraction
                ))
            })?;
            blob_schedule.insert(
                fork,
                BlobParams {
                    target: params.target_blob_count,
                    max: params.max_blob_count,
                    base_fee_update_fraction: fraction,
                },
            );
        }
        let config = ChainConfig {
            chain_id: raw.chain_id,
            homestead_block: raw.homestead_block,
            dao_fork_block: raw.dao_fork_block,
            dao_fork_support: raw.dao_fork_support,
            eip150_block: raw.eip150_block,
            eip155_block: raw.eip155_block,
            eip158_block: raw.eip158_block,
            byzantium_block: raw.byzantium_block,
            constantinople_block: raw.constantinople_block,
            // As geth: a genesis without a Petersburg block gets it with Constantinople.
            petersburg_block: raw.petersburg_block.or(raw.constantinople_block),
            istanbul_block: raw.istanbul_block,
            muir_glacier_block: raw.muir_glacier_block,
            berlin_block: raw.berlin_block,
            london_block: raw.london_block,
            arrow_glacier_block: raw.arrow_glacier_block,
            gray_glacier_block: raw.gray_glacier_block,
            merge_netsplit_block: raw.merge_netsplit_block,
            terminal_total_difficulty: raw.terminal_total_difficulty,
            terminal_total_difficulty_passed: raw.terminal_total_difficulty_passed,
            shanghai_time: raw.shanghai_time,
            cancun_time: raw.cancun_time,
            prague_time: raw.prague_time,
            osaka_time: raw.osaka_time,
            bpo1_time: raw.bpo1_time,
            bpo2_time: raw.bpo2_time,
            bpo3_time: raw.bpo3_time,
            bpo4_time: raw.bpo4_time,
            bpo5_time: raw.bpo5_time,
            blob_schedule,
            deposit_contract_address: raw.deposit_contract_address,
        };
        config.check_fork_order()?;
        Ok(config)
    }

    /// A config with every fork up to and including `fork` active from genesis (as test
    /// fixtures use), and the default blob schedule.
    pub fn all_active_up_to(chain_id: u64, fork: Fork) -> Self {
        let mut config = ChainConfig {
            chain_id,
            ..Default::default()
        };
        // The DAO fork is an irregular state change, not a rule set: test chains skip it.
        for f in Fork::ALL
            .into_iter()
            .filter(|f| *f <= fork && *f != Fork::DaoFork)
        {
            config.schedule(f, 0);
        }
        if fork >= Fork::Cancun {
            config
                .blob_schedule
                .insert(Fork::Cancun, BlobParams::CANCUN);
        }
        if fork >= Fork::Prague {
            config
                .blob_schedule
                .insert(Fork::Prague, BlobParams::PRAGUE);
        }
        config
    }

    /// Schedules `fork` at block `at` (forks up to the merge) or timestamp `at` (Shanghai on);
    /// the merge at `at` is by netsplit block with a terminal total difficulty of zero.
    pub fn schedule(&mut self, fork: Fork, at: u64) {
        let at = Some(at);
        match fork {
            Fork::Frontier => {}
            Fork::Homestead => self.homestead_block = at,
            Fork::DaoFork => (self.dao_fork_block, self.dao_fork_support) = (at, true),
            Fork::Tangerine => self.eip150_block = at,
            Fork::SpuriousDragon => (self.eip155_block, self.eip158_block) = (at, at),
            Fork::Byzantium => self.byzantium_block = at,
            Fork::Constantinople => self.constantinople_block = at,
            Fork::Petersburg => self.petersburg_block = at,
            Fork::Istanbul => self.istanbul_block = at,
            Fork::MuirGlacier => self.muir_glacier_block = at,
            Fork::Berlin => self.berlin_block = at,
            Fork::London => self.london_block = at,
            Fork::ArrowGlacier => self.arrow_glacier_block = at,
            Fork::GrayGlacier => self.gray_glacier_block = at,
            Fork::Paris => {
                self.merge_netsplit_block = at;
                self.terminal_total_difficulty = Some(U256::ZERO);
                self.terminal_total_difficulty_passed = true;
            }
            Fork::Shanghai => self.shanghai_time = at,
            Fork::Cancun => self.cancun_time = at,
            Fork::Prague => self.prague_time = at,
            Fork::Osaka => self.osaka_time = at,
            Fork::Bpo1 => self.bpo1_time = at,
            Fork::Bpo2 => self.bpo2_time = at,
            Fork::Bpo3 => self.bpo3_time = at,
            Fork::Bpo4 => self.bpo4_time = at,
            Fork::Bpo5 => self.bpo5_time = at,
        }
    }

    /// When `fork` activates on this chain, or `None` if it is not scheduled.
    pub fn activation(&self, fork: Fork) -> Option<Activation> {
        use Activation::{Block, Timestamp};
        match fork {
            Fork::Frontier => Some(Block(0)),
            Fork::Homestead => self.homestead_block.map(Block),
            Fork::DaoFork => self
                .dao_fork_block
                .filter(|_| self.dao_fork_support)
                .map(Block),
            Fork::Tangerine => self.eip150_block.map(Block),
            Fork::SpuriousDragon => self.eip158_block.or(self.eip155_block).map(Block),
            Fork::Byzantium => self.byzantium_block.map(Block),
            Fork::Constantinople => self.constantinople_block.map(Block),
            Fork::Petersburg => self.petersburg_block.map(Block),
            Fork::Istanbul => self.istanbul_block.map(Block),
            Fork::MuirGlacier => self.muir_glacier_block.map(Block),
            Fork::Berlin => self.berlin_block.map(Block),
            Fork::London => self.london_block.map(Block),
            Fork::ArrowGlacier => self.arrow_glacier_block.map(Block),
            Fork::GrayGlacier => self.gray_glacier_block.map(Block),
            Fork::Paris => match (self.merge_netsplit_block, self.terminal_total_difficulty) {
                (Some(block), _) => Some(Block(block)),
                (None, Some(ttd)) => Some(Activation::TotalDifficulty(ttd)),
                (None, None) => None,
            },
            Fork::Shanghai => self.shanghai_time.map(Timestamp),
            Fork::Cancun => self.cancun_time.map(Timestamp),
            Fork::Prague => self.prague_time.map(Timestamp),
            Fork::Osaka => self.osaka_time.map(Timestamp),
            Fork::Bpo1 => self.bpo1_time.map(Timestamp),
            Fork::Bpo2 => self.bpo2_time.map(Timestamp),
            Fork::Bpo3 => self.bpo3_time.map(Timestamp),
            Fork::Bpo4 => self.bpo4_time.map(Timestamp),
            Fork::Bpo5 => self.bpo5_time.map(Timestamp),
        }
    }

    /// The fork whose rules apply to a block with this number and timestamp.
    ///
    /// The merge is taken as active when its netsplit block is reached, when the terminal total
    /// difficulty is zero, or when a later (timestamp) fork is active; otherwise use
    /// [`ChainConfig::fork_at_td`] with the chain's total difficulty.
    pub fn fork_at(&self, block: u64, timestamp: u64) -> Fork {
        self.fork_at_td(block, timestamp, None)
    }

    /// As [`ChainConfig::fork_at`], deciding the merge from the parent's total difficulty too.
    pub fn fork_at_td(&self, block: u64, timestamp: u64, total_difficulty: Option<U256>) -> Fork {
        let mut current = Fork::Frontier;
        for fork in Fork::ALL {
            let active = match self.activation(fork) {
                Some(Activation::Block(n)) => block >= n,
                Some(Activation::Timestamp(t)) => timestamp >= t,
                Some(Activation::TotalDifficulty(ttd)) => {
                    ttd.is_zero() || total_difficulty.is_some_and(|td| td >= ttd)
                }
                None => false,
            };
            // An inactive merge does not stop the search: a later timestamp fork implies it.
            if active {
                current = fork;
            }
        }
        current
    }

    /// Whether `fork`'s rules apply at this block number and timestamp.
    pub fn is_active(&self, fork: Fork, block: u64, timestamp: u64) -> bool {
        self.fork_at(block, timestamp) >= fork
    }

    /// The blob parameters in force under `fork`: the schedule entry of the latest fork at or
    /// before it, defaulting to EIP-4844's and EIP-7691's values; `None` before Cancun.
    pub fn blob_params(&self, fork: Fork) -> Option<BlobParams> {
        if fork < Fork::Cancun {
            return None;
        }
        let default = if fork >= Fork::Prague {
            BlobParams::PRAGUE
        } else {
            BlobParams::CANCUN
        };
        match self.blob_schedule.range(..=fork).next_back() {
            // A Cancun entry does not carry over into Prague, which changed the defaults.
            Some((scheduled, params)) if fork < Fork::Prague || *scheduled >= Fork::Prague => {
                Some(*params)
            }
            _ => Some(default),
        }
    }

    /// Checks that forks of each kind are scheduled in order: no fork before its predecessor.
    fn check_fork_order(&self) -> Result<()> {
        let mut last_block: Option<(Fork, u64)> = None;
        let mut last_time: Option<(Fork, u64)> = None;
        for fork in Fork::ALL {
            let (slot, value) = match self.activation(fork) {
                Some(Activation::Block(n)) if fork != Fork::Paris && fork != Fork::DaoFork => {
                    (&mut last_block, n)
                }
                Some(Activation::Timestamp(t)) => (&mut last_time, t),
                _ => continue,
            };
            if let Some((prev, prev_value)) = *slot
                && value < prev_value
            {
                return Err(CommonError::InvalidChainConfig(format!(
                    "{fork} is scheduled at {value}, before {prev} at {prev_value}"
                )));
            }
            *slot = Some((fork, value));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mainnet_like() -> ChainConfig {
        ChainConfig {
            chain_id: 1,
            homestead_block: Some(1_150_000),
            dao_fork_block: Some(1_920_000),
            dao_fork_support: true,
            eip150_block: Some(2_463_000),
            eip155_block: Some(2_675_000),
            eip158_block: Some(2_675_000),
            byzantium_block: Some(4_370_000),
            constantinople_block: Some(7_280_000),
            petersburg_block: Some(7_280_000),
            istanbul_block: Some(9_069_000),
            muir_glacier_block: Some(9_200_000),
            berlin_block: Some(12_244_000),
            london_block: Some(12_965_000),
            arrow_glacier_block: Some(13_773_000),
            gray_glacier_block: Some(15_050_000),
            terminal_total_difficulty: Some(U256::from(58_750_000_000_000_000_000_000u128)),
            shanghai_time: Some(1_681_338_455),
            cancun_time: Some(1_710_338_135),
            prague_time: Some(1_746_612_311),
            osaka_time: Some(1_764_798_551),
            bpo1_time: Some(1_765_290_071),
            ..Default::default()
        }
    }

    #[test]
    fn fork_at_follows_block_then_timestamp_schedule() {
        let c = mainnet_like();
        assert_eq!(c.fork_at(0, 0), Fork::Frontier);
        assert_eq!(c.fork_at(1_149_999, 0), Fork::Frontier);
        assert_eq!(c.fork_at(1_150_000, 0), Fork::Homestead);
        assert_eq!(c.fork_at(2_675_000, 0), Fork::SpuriousDragon);
        assert_eq!(c.fork_at(7_280_000, 0), Fork::Petersburg);
        assert_eq!(c.fork_at(12_965_000, 0), Fork::London);
        assert_eq!(c.fork_at(15_050_000, 0), Fork::GrayGlacier);
        assert_eq!(c.fork_at(17_000_000, 1_681_338_455), Fork::Shanghai);
        assert_eq!(c.fork_at(20_000_000, 1_710_338_135), Fork::Cancun);
        assert_eq!(c.fork_at(22_000_000, 1_746_612_311), Fork::Prague);
        assert_eq!(c.fork_at(23_000_000, 1_764_798_551), Fork::Osaka);
        assert_eq!(c.fork_at(23_000_000, 1_765_290_071), Fork::Bpo1);
    }

    #[test]
    fn merge_needs_terminal_total_difficulty() {
        let c = mainnet_like();
        let ttd = U256::from(58_750_000_000_000_000_000_000u128);
        assert_eq!(
            c.fork_at_td(15_537_394, 1_663_224_179, Some(ttd - U256::from(1))),
            Fork::GrayGlacier
        );
        assert_eq!(
            c.fork_at_td(15_537_394, 1_663_224_179, Some(ttd)),
            Fork::Paris
        );
        assert!(
            c.is_active(Fork::Paris, 17_000_000, 1_681_338_455),
            "Shanghai implies the merge"
        );
    }

    #[test]
    fn all_active_up_to_stops_at_the_named_fork() {
        for fork in Fork::ALL {
            if fork == Fork::DaoFork {
                continue;
            }
            let c = ChainConfig::all_active_up_to(1, fork);
            assert_eq!(c.fork_at(0, 0), fork, "{fork}");
        }
    }

    #[test]
    fn blob_params_default_and_follow_schedule() {
        let mut c = ChainConfig::all_active_up_to(1, Fork::Osaka);
        assert_eq!(c.blob_params(Fork::London), None);
        assert_eq!(c.blob_params(Fork::Cancun), Some(BlobParams::CANCUN));
        assert_eq!(c.blob_params(Fork::Osaka), Some(BlobParams::PRAGUE));
        let bpo1 = BlobParams {
            target: 10,
            max: 15,
            base_fee_update_fraction: 8_346_193,
        };
        c.blob_schedule.insert(Fork::Bpo1, bpo1);
        assert_eq!(c.blob_params(Fork::Bpo1), Some(bpo1));
        assert_eq!(
            c.blob_params(Fork::Bpo2),
            Some(bpo1),
            "a BPO fork without entry keeps the last"
        );
    }

    #[test]
    fn dao_fork_support_is_read_from_genesis_and_defaults_to_false() {
        let parse = |json: &str| {
            let raw: alloy_genesis::ChainConfig = serde_json::from_str(json).unwrap();
            ChainConfig::from_genesis_config(&raw).unwrap()
        };
        let supporting =
            parse(r#"{"chainId":1,"homesteadBlock":0,"daoForkBlock":5,"daoForkSupport":true}"#);
        assert!(supporting.dao_fork_support);
        assert_eq!(supporting.fork_at(5, 0), Fork::DaoFork);
        // As geth: a genesis naming the block without `daoForkSupport` opposes the fork.
        let opposing = parse(r#"{"chainId":1,"homesteadBlock":0,"daoForkBlock":5}"#);
        assert!(!opposing.dao_fork_support);
        assert_eq!(opposing.fork_at(5, 0), Fork::Homestead);
        let mainnet = crate::Network::Mainnet.genesis().unwrap();
        assert_eq!(mainnet.config().dao_fork_block, Some(1_920_000));
        assert!(mainnet.config().dao_fork_support);
    }

    #[test]
    fn out_of_order_schedule_is_rejected() {
        let mut c = mainnet_like();
        c.berlin_block = Some(1);
        let err = c.check_fork_order().unwrap_err();
        assert!(
            err.to_string().contains("Berlin is scheduled at 1"),
            "{err}"
        );
    }
}
