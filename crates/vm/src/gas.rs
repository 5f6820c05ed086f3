//! Gas costs and their fork rules, one function per rule (named after what it prices).
//!
//! Sources: the Yellow Paper (Frontier), EIP-150 (Tangerine Whistle), EIP-160 (EXP), EIP-1884
//! and EIP-2200 (Istanbul), EIP-1283 (Constantinople), EIP-2929 (Berlin access lists),
//! EIP-3529 (London refunds), EIP-3860 (Shanghai initcode).

use alloy_primitives::U256;
use ethrex_common::Fork;

pub const ZERO: u64 = 0;
pub const BASE: u64 = 2;
pub const VERYLOW: u64 = 3;
pub const LOW: u64 = 5;
pub const MID: u64 = 8;
pub const HIGH: u64 = 10;
pub const JUMPDEST: u64 = 1;
pub const KECCAK: u64 = 30;
pub const KECCAK_WORD: u64 = 6;
pub const COPY_WORD: u64 = 3;
pub const LOG: u64 = 375;
pub const LOG_TOPIC: u64 = 375;
pub const LOG_DATA: u64 = 8;
pub const CREATE: u64 = 32_000;
pub const CALL_VALUE: u64 = 9_000;
pub const CALL_STIPEND: u64 = 2_300;
pub const NEW_ACCOUNT: u64 = 25_000;
pub const CODE_DEPOSIT: u64 = 200;
pub const BLOCKHASH: u64 = 20;
pub const WARM_ACCESS: u64 = 100;
pub const COLD_ACCOUNT_ACCESS: u64 = 2_600;
pub const COLD_SLOAD: u64 = 2_100;
pub const SSTORE_SET: u64 = 20_000;
pub const SSTORE_RESET_FRONTIER: u64 = 5_000;
pub const SSTORE_REFUND_FRONTIER: i64 = 15_000;
pub const SELFDESTRUCT_REFUND: i64 = 24_000;
pub const TLOAD_TSTORE: u64 = 100;
pub const BLOBHASH: u64 = 3;
/// EIP-2200: SSTORE fails when no more than this is left.
pub const SSTORE_SENTRY: u64 = 2_300;

/// Words of `len` bytes, rounded up.
pub fn words(len: usize) -> u64 {
    u64::try_from(len).unwrap_or(u64::MAX).div_ceil(32)
}

/// Cost of copying `len` bytes (CALLDATACOPY, CODECOPY, ...), memory not included.
pub fn copy_cost(len: usize) -> u64 {
    words(len).saturating_mul(COPY_WORD)
}

/// EXP's per-byte cost of the exponent (EIP-160 raised it at Spurious Dragon).
pub fn exp_cost(fork: Fork, exponent: U256) -> u64 {
    let bytes = u64::try_from(exponent.byte_len()).unwrap_or(u64::MAX);
    let per_byte: u64 = if fork >= Fork::SpuriousDragon { 50 } else { 10 };
    // At most 32 bytes: far from saturating.
    HIGH.saturating_add(per_byte.saturating_mul(bytes))
}

/// SLOAD (cold/warm from Berlin).
pub fn sload_cost(fork: Fork, cold: bool) -> u64 {
    match fork {
        f if f >= Fork::Berlin => {
            if cold {
                COLD_SLOAD
            } else {
                WARM_ACCESS
            }
        }
        f if f >= Fork::Istanbul => 800,
        f if f >= Fork::Tangerine => 200,
        _ => 50,
    }
}

/// BALANCE.
pub fn balance_cost(fork: Fork, cold: bool) -> u64 {
    match fork {
        f if f >= Fork::Berlin => account_access_cost(cold),
        f if f >= Fork::Istanbul => 700,
        f if f >= Fork::Tangerine => 400,
        _ => 20,
    }
}

/// EXTCODESIZE and EXTCODECOPY (without the copy).
pub fn extcode_cost(fork: Fork, cold: bool) -> u64 {
    match fork {
        f if f >= Fork::Berlin => account_access_cost(cold),
        f if f >= Fork::Tangerine => 700,
        _ => 20,
    }
}

/// EXTCODEHASH (Constantinople).
pub fn extcodehash_cost(fork: Fork, cold: bool) -> u64 {
    match fork {
        f if f >= Fork::Berlin => account_access_cost(cold),
        f if f >= Fork::Istanbul => 700,
        _ => 400,
    }
}

/// EIP-2929 account access.
pub fn account_access_cost(cold: bool) -> u64 {
    if cold {
        COLD_ACCOUNT_ACCESS
    } else {
        WARM_ACCESS
    }
}

/// The base of the CALL family (access included from Berlin).
pub fn call_base_cost(fork: Fork, cold: bool) -> u64 {
    match fork {
        f if f >= Fork::Berlin => account_access_cost(cold),
        f if f >= Fork::Tangerine => 700,
        _ => 40,
    }
}

/// SELFDESTRUCT's base cost (EIP-150), without the new-account and cold surcharges.
pub fn selfdestruct_base_cost(fork: Fork) -> u64 {
    if fork >= Fork::Tangerine { 5_000 } else { 0 }
}

/// Gas a call may forward: all but one 64th of what is left (EIP-150), or what was asked for
/// before Tangerine Whistle (where asking for more than is left is out of gas).
pub fn call_gas(fork: Fork, requested: U256, available: u64) -> Option<u64> {
    if fork >= Fork::Tangerine {
        let cap = available.saturating_sub(available / 64);
        Some(u64::try_from(requested).map_or(cap, |r| r.min(cap)))
    } else {
        u64::try_from(requested).ok().filter(|r| *r <= available)
    }
}

/// SSTORE's gas and refund change. `cold` only matters from Berlin.
pub fn sstore_cost(fork: Fork, original: U256, current: U256, new: U256, cold: bool) -> (u64, i64) {
    let net_metering = fork >= Fork::Istanbul || fork == Fork::Constantinople;
    if !net_metering {
        let cost = if current.is_zero() && !new.is_zero() {
            SSTORE_SET
        } else {
            SSTORE_RESET_FRONTIER
        };
        let refund = if !current.is_zero() && new.is_zero() {
            SSTORE_REFUND_FRONTIER
        } else {
            0
        };
        return (cost, refund);
    }
    let (noop, reset, clears) = match fork {
        f if f >= Fork::London => (WARM_ACCESS, SSTORE_RESET_FRONTIER - COLD_SLOAD, 4_800i64),
        f if f >= Fork::Berlin => (WARM_ACCESS, SSTORE_RESET_FRONTIER - COLD_SLOAD, 15_000),
        f if f >= Fork::Istanbul => (800, SSTORE_RESET_FRONTIER, 15_000),
        _ => (200, SSTORE_RESET_FRONTIER, 15_000), // Constantinople (EIP-1283)
    };
    let cold_cost = if fork >= Fork::Berlin && cold {
        COLD_SLOAD
    } else {
        0
    };
    // Every term below is a few tens of thousands: the saturating operations never saturate.
    let mut refund = 0i64;
    let cost = if current == new {
        noop
    } else if original == current {
        if original.is_zero() {
            SSTORE_SET
        } else {
            if new.is_zero() {
                refund = refund.saturating_add(clears);
            }
            reset
        }
    } else {
        if !original.is_zero() {
            if current.is_zero() {
                refund = refund.saturating_sub(clears);
            } else if new.is_zero() {
                refund = refund.saturating_add(clears);
            }
        }
        if original == new {
            let restored = if original.is_zero() {
                SSTORE_SET
            } else {
                reset
            };
            let restored_refund = i64::try_from(restored.saturating_sub(noop)).unwrap_or(0);
            refund = refund.saturating_add(restored_refund);
        }
        noop
    };
    (cost.saturating_add(cold_cost), refund)
}

/// The largest refund a transaction may get: a half of the gas used, a fifth from London.
pub fn max_refund(fork: Fork, gas_used: u64) -> u64 {
    if fork >= Fork::London {
        gas_used / 5
    } else {
        gas_used / 2
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(v: u64) -> U256 {
        U256::from(v)
    }

    #[test]
    fn sstore_eip2200_table_rows() {
        // (original, current, new) -> (gas, refund) from the EIP-2200 test table (Istanbul).
        let rows = [
            ((0, 0, 0), (800, 0)),
            ((0, 0, 1), (20_000, 0)),
            ((1, 1, 0), (5_000, 15_000)),
            ((1, 1, 2), (5_000, 0)),
            ((1, 2, 1), (800, 4_200)),
            ((0, 1, 0), (800, 19_200)),
            ((1, 0, 1), (800, -15_000 + 4_200)),
            ((1, 2, 0), (800, 15_000)),
        ];
        for ((o, c, n), expected) in rows {
            assert_eq!(
                sstore_cost(Fork::Istanbul, u(o), u(c), u(n), false),
                expected,
                "{o} {c} {n}"
            );
        }
    }

    #[test]
    fn sstore_london_refunds_and_berlin_cold_surcharge() {
        assert_eq!(
            sstore_cost(Fork::London, u(1), u(1), u(0), false),
            (2_900, 4_800)
        );
        assert_eq!(
            sstore_cost(Fork::Berlin, u(1), u(1), u(0), true),
            (5_000, 15_000)
        );
        assert_eq!(
            sstore_cost(Fork::Petersburg, u(0), u(0), u(1), false),
            (20_000, 0)
        );
        assert_eq!(
            sstore_cost(Fork::Petersburg, u(1), u(1), u(0), false),
            (5_000, 15_000)
        );
    }

    #[test]
    fn call_gas_keeps_a_64th_from_tangerine() {
        assert_eq!(call_gas(Fork::Tangerine, U256::MAX, 6_400), Some(6_300));
        assert_eq!(call_gas(Fork::Tangerine, u(10), 6_400), Some(10));
        assert_eq!(call_gas(Fork::Frontier, u(6_401), 6_400), None);
        assert_eq!(call_gas(Fork::Frontier, u(6_400), 6_400), Some(6_400));
    }

    #[test]
    fn exp_byte_cost_rose_at_spurious_dragon() {
        assert_eq!(exp_cost(Fork::Frontier, u(256)), 10 + 2 * 10);
        assert_eq!(exp_cost(Fork::SpuriousDragon, u(256)), 10 + 2 * 50);
        assert_eq!(exp_cost(Fork::London, U256::ZERO), 10);
    }
}
