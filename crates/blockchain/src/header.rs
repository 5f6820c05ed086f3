//! Header rules: each checks a header against its parent under the fork of the header.
//!
//! EIP-1559 base fee, gas limit bounds, EIP-4844/7691/7918 excess blob gas with the fork's blob
//! schedule, the fields each fork requires, the proof-of-work difficulty, the DAO fork's extra
//! data (`dao.rs`), and the merge's constant fields. The proof-of-work seal is not checked.

use alloy_primitives::{B64, U256};
use ethrex_common::{
    BlobParams, ChainConfig, Fork, HeaderFields,
    constants::{EMPTY_OMMERS_HASH, INITIAL_BASE_FEE},
    eip4844::{GAS_PER_BLOB, blob_base_fee},
    types::Header,
};

use crate::{BlockError, Result};

/// EIP-1559 elasticity multiplier.
const ELASTICITY: u64 = 2;
/// EIP-1559 base fee change denominator.
const BASE_FEE_DENOMINATOR: u64 = 8;
/// Gas limit change bound divisor.
const GAS_LIMIT_DIVISOR: u64 = 1024;
/// Minimum gas limit.
const MIN_GAS_LIMIT: u64 = 5000;
/// Maximum gas limit (EIP-1985: a signed 64-bit value).
const MAX_GAS_LIMIT: u64 = (1 << 63) - 1;
/// Maximum extra data (bytes).
const MAX_EXTRA_DATA: usize = 32;
/// EIP-7918 (Osaka): blob base cost relative to execution gas.
const BLOB_BASE_COST: u64 = 1 << 13;

fn invalid(msg: String) -> BlockError {
    BlockError::InvalidHeader(msg)
}

/// The fork of `header` (block number and timestamp; the merge by its constant difficulty).
pub fn fork_of(config: &ChainConfig, header: &Header) -> Fork {
    let td = if header.difficulty.is_zero() {
        Some(U256::MAX)
    } else {
        None
    };
    config.fork_at_td(header.number, header.timestamp, td)
}

/// The EIP-1559 base fee of the child of `parent` under `fork`.
pub fn next_base_fee(parent: &Header, parent_fork: Fork) -> u64 {
    let Some(parent_base_fee) = parent
        .base_fee_per_gas
        .filter(|_| parent_fork >= Fork::London)
    else {
        return INITIAL_BASE_FEE;
    };
    let target = parent.gas_limit / ELASTICITY;
    let (fee, used) = (u128::from(parent_base_fee), u128::from(parent.gas_used));
    let target128 = u128::from(target.max(1));
    let next = if used == target128 {
        fee
    } else if used > target128 {
        let delta =
            (fee * (used - target128) / target128 / u128::from(BASE_FEE_DENOMINATOR)).max(1);
        fee + delta
    } else {
        let delta = fee * (target128 - used) / target128 / u128::from(BASE_FEE_DENOMINATOR);
        fee.saturating_sub(delta)
    };
    u64::try_from(next).unwrap_or(u64::MAX)
}

/// The excess blob gas of a block whose parent is `parent`, under the child's blob parameters.
pub fn next_excess_blob_gas(parent: &Header, params: BlobParams, fork: Fork) -> u64 {
    let excess = parent.excess_blob_gas.unwrap_or(0);
    let used = parent.blob_gas_used.unwrap_or(0);
    let target = params.target * GAS_PER_BLOB;
    if excess + used < target {
        return 0;
    }
    if fork >= Fork::Osaka {
        let base_fee = U256::from(parent.base_fee_per_gas.unwrap_or(0));
        let blob_base_fee = blob_base_fee(excess, params.base_fee_update_fraction);
        if U256::from(BLOB_BASE_COST) * base_fee > U256::from(GAS_PER_BLOB) * blob_base_fee {
            return excess + used * (params.max - params.target) / params.max;
        }
    }
    excess + used - target
}

/// Minimum difficulty of a proof-of-work block.
const MIN_DIFFICULTY: u64 = 131_072;

/// How far each fork delays the difficulty bomb (EIP-649, EIP-1234, EIP-2384, EIP-3554,
/// EIP-4345, EIP-5133), in blocks.
fn bomb_delay(fork: Fork) -> u64 {
    match fork {
        f if f >= Fork::GrayGlacier => 11_400_000,
        f if f >= Fork::ArrowGlacier => 10_700_000,
        f if f >= Fork::London => 9_700_000,
        f if f >= Fork::MuirGlacier => 9_000_000,
        f if f >= Fork::Constantinople => 5_000_000,
        f if f >= Fork::Byzantium => 3_000_000,
        _ => 0,
    }
}

/// The proof-of-work difficulty of a block at `number`/`timestamp` whose parent has
/// `parent_difficulty`, `parent_timestamp` and (for EIP-100) ommers or not, under `fork`.
pub fn calc_difficulty(
    fork: Fork,
    number: u64,
    timestamp: u64,
    parent_difficulty: U256,
    parent_timestamp: u64,
    parent_has_ommers: bool,
) -> U256 {
    let step = parent_difficulty / U256::from(2048);
    let elapsed = timestamp.saturating_sub(parent_timestamp);
    // The adjustment factor, kept as (sign, magnitude).
    let factor: i64 = if fork >= Fork::Byzantium {
        let y = if parent_has_ommers { 2 } else { 1 };
        (y - i64::try_from(elapsed / 9).unwrap_or(i64::MAX)).max(-99)
    } else if fork >= Fork::Homestead {
        (1 - i64::try_from(elapsed / 10).unwrap_or(i64::MAX)).max(-99)
    } else if elapsed < 13 {
        1
    } else {
        -1
    };
    let adjustment = step * U256::from(factor.unsigned_abs());
    let mut difficulty = if factor >= 0 {
        parent_difficulty.saturating_add(adjustment)
    } else {
        parent_difficulty.saturating_sub(adjustment)
    };
    let fake_number = number.saturating_sub(bomb_delay(fork));
    let period = fake_number / 100_000;
    if period >= 2 {
        difficulty = difficulty
            .saturating_add(U256::from(1) << usize::try_from(period - 2).unwrap_or(255).min(255));
    }
    difficulty.max(U256::from(MIN_DIFFICULTY))
}

/// Checks `header` against `parent`.
pub fn validate_header(config: &ChainConfig, header: &Header, parent: &Header) -> Result<()> {
    let fork = fork_of(config, header);
    let parent_fork = fork_of(config, parent);
    if header.number != parent.number + 1 {
        return Err(invalid(format!(
            "number {} does not follow parent {}",
            header.number, parent.number
        )));
    }
    if header.parent_hash != parent.hash_slow() {
        return Err(invalid("parent hash does not match the parent".into()));
    }
    if header.timestamp <= parent.timestamp {
        return Err(invalid(format!(
            "timestamp {} not after parent's {}",
            header.timestamp, parent.timestamp
        )));
    }
    if header.extra_data.len() > MAX_EXTRA_DATA {
        return Err(invalid(format!(
            "extra data of {} bytes exceeds {MAX_EXTRA_DATA}",
            header.extra_data.len()
        )));
    }
    crate::dao::validate_extra_data(config, header)?;
    if header.gas_limit > MAX_GAS_LIMIT {
        return Err(invalid(format!(
            "gas limit {} above 2^63-1 (EIP-1985)",
            header.gas_limit
        )));
    }
    if header.gas_used > header.gas_limit {
        return Err(invalid(format!(
            "gas used {} above gas limit {}",
            header.gas_used, header.gas_limit
        )));
    }
    let parent_limit = if fork >= Fork::London && parent_fork < Fork::London {
        parent.gas_limit * ELASTICITY
    } else {
        parent.gas_limit
    };
    let bound = parent_limit / GAS_LIMIT_DIVISOR;
    if header.gas_limit.abs_diff(parent_limit) >= bound || header.gas_limit < MIN_GAS_LIMIT {
        return Err(invalid(format!(
            "gas limit {} out of bounds of parent's {parent_limit}",
            header.gas_limit
        )));
    }
    check_presence(fork, header)?;
    if fork >= Fork::London {
        let expected = next_base_fee(parent, parent_fork);
        if header.base_fee_per_gas != Some(expected) {
            return Err(invalid(format!(
                "base fee {:?}, expected {expected}",
                header.base_fee_per_gas
            )));
        }
    }
    if fork >= Fork::Paris {
        if !header.difficulty.is_zero()
            || header.nonce != B64::ZERO
            || header.ommers_hash != EMPTY_OMMERS_HASH
        {
            return Err(invalid(
                "post-merge difficulty, nonce and ommers must be empty".into(),
            ));
        }
    } else {
        let expected = calc_difficulty(
            fork,
            header.number,
            header.timestamp,
            parent.difficulty,
            parent.timestamp,
            parent.ommers_hash != EMPTY_OMMERS_HASH,
        );
        if header.difficulty != expected {
            return Err(invalid(format!(
                "difficulty {}, expected {expected}",
                header.difficulty
            )));
        }
    }
    if fork >= Fork::Cancun {
        let params = config
            .blob_params(fork)
            .ok_or_else(|| invalid("no blob parameters".into()))?;
        let parent_for_excess = if parent_fork < Fork::Cancun {
            &Header::default()
        } else {
            parent
        };
        let expected = next_excess_blob_gas(parent_for_excess, params, fork);
        if header.excess_blob_gas != Some(expected) {
            return Err(invalid(format!(
                "excess blob gas {:?}, expected {expected}",
                header.excess_blob_gas
            )));
        }
    }
    Ok(())
}

/// Each fork's optional fields must be present exactly from that fork on.
fn check_presence(fork: Fork, header: &Header) -> Result<()> {
    match HeaderFields::of(fork).first_mismatch(&HeaderFields::present_in(header)) {
        Some((field, present)) => Err(invalid(format!(
            "{field} is {} under {fork}",
            if present { "present" } else { "missing" }
        ))),
        None => Ok(()),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use alloy_primitives::{Address, Bytes, keccak256};
    use ethrex_common::{
        constants::EMPTY_TRIE_ROOT,
        types::{receipts_root, transactions_root},
    };

    use super::*;

    /// The beneficiary of [`homestead_child`] blocks.
    pub(crate) const MINER: Address = Address::repeat_byte(0xc0);

    /// A proof-of-work genesis header: empty state, empty body.
    pub(crate) fn homestead_genesis() -> Header {
        Header {
            difficulty: U256::from(MIN_DIFFICULTY),
            gas_limit: 5_000_000,
            state_root: EMPTY_TRIE_ROOT,
            ommers_hash: EMPTY_OMMERS_HASH,
            transactions_root: transactions_root(&[]),
            receipts_root: receipts_root(&[]),
            ..Default::default()
        }
    }

    /// A valid header of a child of `parent` without transactions naming `ommers`, under the
    /// Homestead difficulty rule (Homestead to Spurious Dragon); its state root is the parent's
    /// until the caller sets it.
    pub(crate) fn homestead_child(parent: &Header, extra_data: &[u8], ommers: &[Header]) -> Header {
        let (number, timestamp) = (parent.number + 1, parent.timestamp + 15);
        Header {
            parent_hash: parent.hash_slow(),
            number,
            timestamp,
            beneficiary: MINER,
            difficulty: calc_difficulty(
                Fork::Homestead,
                number,
                timestamp,
                parent.difficulty,
                parent.timestamp,
                false,
            ),
            extra_data: Bytes::copy_from_slice(extra_data),
            ommers_hash: keccak256(alloy_rlp::encode(ommers.to_vec())),
            state_root: parent.state_root,
            ..homestead_genesis()
        }
    }

    fn parent(gas_limit: u64, gas_used: u64, base_fee: u64) -> Header {
        Header {
            gas_limit,
            gas_used,
            base_fee_per_gas: Some(base_fee),
            ..Default::default()
        }
    }

    #[test]
    fn base_fee_follows_eip1559() {
        // At target: unchanged; full block: +12.5%; empty block: -12.5%.
        assert_eq!(
            next_base_fee(&parent(30_000_000, 15_000_000, 1_000_000_000), Fork::London),
            1_000_000_000
        );
        assert_eq!(
            next_base_fee(&parent(30_000_000, 30_000_000, 1_000_000_000), Fork::London),
            1_125_000_000
        );
        assert_eq!(
            next_base_fee(&parent(30_000_000, 0, 1_000_000_000), Fork::London),
            875_000_000
        );
        // A tiny increase is at least 1 wei.
        assert_eq!(
            next_base_fee(&parent(30_000_000, 15_000_001, 7), Fork::London),
            8
        );
        // The first London block starts at the initial base fee.
        assert_eq!(
            next_base_fee(&parent(30_000_000, 0, 0), Fork::Berlin),
            INITIAL_BASE_FEE
        );
    }

    #[test]
    fn excess_blob_gas_accumulates_above_target() {
        let params = BlobParams::CANCUN;
        let target = params.target * GAS_PER_BLOB;
        let header = |excess: u64, used: u64| Header {
            excess_blob_gas: Some(excess),
            blob_gas_used: Some(used),
            ..Default::default()
        };
        assert_eq!(
            next_excess_blob_gas(&header(0, target), params, Fork::Cancun),
            0
        );
        assert_eq!(
            next_excess_blob_gas(&header(0, target + GAS_PER_BLOB), params, Fork::Cancun),
            GAS_PER_BLOB
        );
        assert_eq!(
            next_excess_blob_gas(&header(GAS_PER_BLOB, 0), params, Fork::Cancun),
            0
        );
    }

    #[test]
    fn presence_of_fork_fields_is_checked() {
        let header = Header {
            base_fee_per_gas: Some(7),
            ..Default::default()
        };
        assert!(check_presence(Fork::London, &header).is_ok());
        let err = check_presence(Fork::Berlin, &header)
            .unwrap_err()
            .to_string();
        assert!(err.contains("base fee is present under Berlin"), "{err}");
        assert!(
            check_presence(Fork::Shanghai, &header)
                .unwrap_err()
                .to_string()
                .contains("withdrawals root is missing")
        );
    }
}
