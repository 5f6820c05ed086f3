//! The values programs push: "interesting" words (boundaries of signed and unsigned arithmetic,
//! addresses of existing and missing accounts), memory offsets and lengths that are usually
//! small and sometimes huge (to reach out-of-gas on memory expansion), storage keys from a small
//! set (so slots are written, read back and reset), and block numbers around `BLOCKHASH`'s window.

use alloy_primitives::{Address, U256};
use rand::{Rng, rngs::StdRng};

/// Picks one element of a non-empty slice (the first when empty slices are a caller bug).
pub fn pick<T: Copy + Default>(rng: &mut StdRng, items: &[T]) -> T {
    if items.is_empty() {
        return T::default();
    }
    items[rng.random_range(0..items.len())]
}

/// A word as a program would use it for arithmetic.
pub fn word(rng: &mut StdRng, addresses: &[Address]) -> U256 {
    let one = U256::from(1);
    match rng.random_range(0..20) {
        0..=3 => U256::from(rng.random_range(0..4u64)),
        4 => U256::from(pick(rng, &[31u64, 32, 33, 64, 255, 256, 257])),
        5 => (one << 255) - one,
        6 => one << 255,
        7 => U256::MAX,
        8 => U256::MAX - one,
        9 => (one << 64) - one,
        10 => one << 128,
        11 => U256::from(rng.random::<u64>()),
        12 | 13 => U256::from_be_bytes(rng.random::<[u8; 32]>()),
        14 | 15 => address_word(pick(rng, addresses)),
        16 => U256::from(rng.random_range(0..40u64)),
        17 => U256::from(rng.random::<u8>()) << pick(rng, &[8usize, 64, 160, 248]),
        // A random value of random width: every PUSH size.
        18 => U256::from_be_bytes(rng.random::<[u8; 32]>()) >> (8 * rng.random_range(0..32)),
        _ => U256::from(rng.random_range(0..1_000_000u64)),
    }
}

/// An address as a stack word.
pub fn address_word(address: Address) -> U256 {
    U256::from_be_slice(address.as_slice())
}

/// A memory offset: usually within the first few hundred bytes, sometimes far, rarely huge.
pub fn offset(rng: &mut StdRng) -> U256 {
    match rng.random_range(0..1000) {
        0..=939 => U256::from(rng.random_range(0..288u64)),
        940..=984 => U256::from(rng.random_range(0..0x4000u64)),
        985..=994 => U256::from(rng.random_range(0..0x10_0000u64)),
        995 | 996 => U256::from(u64::from(u32::MAX)),
        997 | 998 => U256::from(u64::MAX),
        _ => U256::MAX,
    }
}

/// A length of memory to read or copy: usually short, sometimes zero, rarely huge.
pub fn length(rng: &mut StdRng) -> U256 {
    match rng.random_range(0..1000) {
        0..=149 => U256::ZERO,
        150..=849 => U256::from(rng.random_range(1..70u64)),
        850..=984 => U256::from(rng.random_range(0..600u64)),
        985..=994 => U256::from(rng.random_range(0..0x10_0000u64)),
        995..=997 => U256::from(u64::MAX),
        _ => U256::MAX,
    }
}

/// A storage key (transient or persistent): mostly one of five, so slots are reused.
pub fn key(rng: &mut StdRng) -> U256 {
    match rng.random_range(0..20) {
        0..=17 => U256::from(rng.random_range(0..5u64)),
        18 => U256::MAX,
        _ => U256::from(rng.random::<u64>()),
    }
}

/// A value to store: zero, one, or something else, so every EIP-2200 transition occurs.
pub fn stored(rng: &mut StdRng) -> U256 {
    match rng.random_range(0..10) {
        0..=3 => U256::ZERO,
        4..=6 => U256::from(1),
        7 => U256::from(2),
        _ => U256::from(rng.random::<u64>()),
    }
}

/// A block number for `BLOCKHASH`: around the edges of the 256-block window.
pub fn block_number(rng: &mut StdRng, current: u64) -> U256 {
    let n = match rng.random_range(0..8) {
        0 => current,
        1 => current.saturating_sub(1),
        2 => current.saturating_sub(256),
        3 => current.saturating_sub(257),
        4 => current.saturating_sub(rng.random_range(1..300)),
        5 => current + 1,
        6 => 0,
        _ => return U256::MAX,
    };
    U256::from(n)
}

/// A call's value: mostly zero, sometimes more than any balance (the call then fails).
pub fn call_value(rng: &mut StdRng) -> U256 {
    match rng.random_range(0..10) {
        0..=5 => U256::ZERO,
        6 => U256::from(1),
        7 => U256::from(rng.random_range(0..1_000_000u64)),
        8 => U256::from(10u64.pow(18)),
        _ => U256::MAX,
    }
}
