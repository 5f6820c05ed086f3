//! BLS12-381 precompiles (0x0b–0x11, Prague, EIP-2537): G1/G2 addition, G1/G2 multi-scalar
//! multiplication (MSM), the pairing check, and the maps from field elements to G1/G2.
//!
//! Gas (the final EIP-2537 schedule): G1ADD 375, G2ADD 600, MAP_FP_TO_G1 5500,
//! MAP_FP2_TO_G2 23 800, PAIRING `32 600 k + 37 700`, and the MSMs
//! `k * mul_cost * discount(k) / 1000` with `mul_cost` 12 000 (G1) or 22 500 (G2) and the
//! per-`k` discount tables below (capped at their last entry for `k > 128`).
//!
//! Every input length is exact (or a positive multiple of the pair length); a wrong length is an
//! error before any gas is charged, as in the specification. Encodings and the checks on points
//! are `ethrex_crypto::bls12_381`'s.

use alloy_primitives::B256;
use ethrex_common::Fork;
use ethrex_crypto::{
    CryptoError,
    bls12_381::{self, G1_MSM_PAIR_LEN, G2_MSM_PAIR_LEN, PAIRING_PAIR_LEN},
};

use super::{PrecompileResult, charge, success};

const G1_ADD_GAS: u64 = 375;
const G2_ADD_GAS: u64 = 600;
const G1_MUL_GAS: u64 = 12_000;
const G2_MUL_GAS: u64 = 22_500;
const MAP_FP_TO_G1_GAS: u64 = 5_500;
const MAP_FP2_TO_G2_GAS: u64 = 23_800;
const PAIRING_BASE_GAS: u64 = 37_700;
const PAIRING_PER_PAIR_GAS: u64 = 32_600;
/// The MSM discounts are per mille.
const DISCOUNT_MULTIPLIER: u64 = 1_000;

/// G1 MSM discount for `k = 1..=128` pairs (index `k - 1`).
const G1_MSM_DISCOUNT: [u16; 128] = [
    1000, 949, 848, 797, 764, 750, 738, 728, 719, 712, 705, 698, 692, 687, 682, 677, 673, 669, 665,
    661, 658, 654, 651, 648, 645, 642, 640, 637, 635, 632, 630, 627, 625, 623, 621, 619, 617, 615,
    613, 611, 609, 608, 606, 604, 603, 601, 599, 598, 596, 595, 593, 592, 591, 589, 588, 586, 585,
    584, 582, 581, 580, 579, 577, 576, 575, 574, 573, 572, 570, 569, 568, 567, 566, 565, 564, 563,
    562, 561, 560, 559, 558, 557, 556, 555, 554, 553, 552, 551, 550, 549, 548, 547, 547, 546, 545,
    544, 543, 542, 541, 540, 540, 539, 538, 537, 536, 536, 535, 534, 533, 532, 532, 531, 530, 529,
    528, 528, 527, 526, 525, 525, 524, 523, 522, 522, 521, 520, 520, 519,
];

/// G2 MSM discount for `k = 1..=128` pairs (index `k - 1`).
const G2_MSM_DISCOUNT: [u16; 128] = [
    1000, 1000, 923, 884, 855, 832, 812, 796, 782, 770, 759, 749, 740, 732, 724, 717, 711, 704,
    699, 693, 688, 683, 679, 674, 670, 666, 663, 659, 655, 652, 649, 646, 643, 640, 637, 634, 632,
    629, 627, 624, 622, 620, 618, 615, 613, 611, 609, 607, 606, 604, 602, 600, 598, 597, 595, 593,
    592, 590, 589, 587, 586, 584, 583, 582, 580, 579, 578, 576, 575, 574, 573, 571, 570, 569, 568,
    567, 566, 565, 563, 562, 561, 560, 559, 558, 557, 556, 555, 554, 553, 552, 552, 551, 550, 549,
    548, 547, 546, 545, 545, 544, 543, 542, 541, 541, 540, 539, 538, 537, 537, 536, 535, 535, 534,
    533, 532, 532, 531, 530, 530, 529, 528, 528, 527, 526, 526, 525, 524, 524,
];

pub(super) fn g1_add(input: &[u8], gas_limit: u64, _fork: Fork) -> PrecompileResult {
    check_length(input, 2 * bls12_381::G1_LEN, "BLS12-381 G1 addition input")?;
    let gas = charge(G1_ADD_GAS, gas_limit)?;
    success(gas, bls12_381::bls12_g1_add(input)?.to_vec())
}

pub(super) fn g2_add(input: &[u8], gas_limit: u64, _fork: Fork) -> PrecompileResult {
    check_length(input, 2 * bls12_381::G2_LEN, "BLS12-381 G2 addition input")?;
    let gas = charge(G2_ADD_GAS, gas_limit)?;
    success(gas, bls12_381::bls12_g2_add(input)?.to_vec())
}

pub(super) fn g1_msm(input: &[u8], gas_limit: u64, _fork: Fork) -> PrecompileResult {
    let k = pair_count(input, G1_MSM_PAIR_LEN, "BLS12-381 G1 MSM input")?;
    let gas = charge(msm_cost(k, G1_MUL_GAS, &G1_MSM_DISCOUNT), gas_limit)?;
    success(gas, bls12_381::bls12_g1_msm(input)?.to_vec())
}

pub(super) fn g2_msm(input: &[u8], gas_limit: u64, _fork: Fork) -> PrecompileResult {
    let k = pair_count(input, G2_MSM_PAIR_LEN, "BLS12-381 G2 MSM input")?;
    let gas = charge(msm_cost(k, G2_MUL_GAS, &G2_MSM_DISCOUNT), gas_limit)?;
    success(gas, bls12_381::bls12_g2_msm(input)?.to_vec())
}

pub(super) fn pairing(input: &[u8], gas_limit: u64, _fork: Fork) -> PrecompileResult {
    let k = pair_count(input, PAIRING_PAIR_LEN, "BLS12-381 pairing input")?;
    let cost = k
        .saturating_mul(PAIRING_PER_PAIR_GAS)
        .saturating_add(PAIRING_BASE_GAS);
    let gas = charge(cost, gas_limit)?;
    let holds = bls12_381::bls12_pairing_check(input)?;
    success(gas, B256::with_last_byte(u8::from(holds)).to_vec())
}

pub(super) fn map_fp_to_g1(input: &[u8], gas_limit: u64, _fork: Fork) -> PrecompileResult {
    check_length(input, bls12_381::FP_LEN, "BLS12-381 map-to-G1 input")?;
    let gas = charge(MAP_FP_TO_G1_GAS, gas_limit)?;
    success(gas, bls12_381::bls12_map_fp_to_g1(input)?.to_vec())
}

pub(super) fn map_fp2_to_g2(input: &[u8], gas_limit: u64, _fork: Fork) -> PrecompileResult {
    check_length(input, 2 * bls12_381::FP_LEN, "BLS12-381 map-to-G2 input")?;
    let gas = charge(MAP_FP2_TO_G2_GAS, gas_limit)?;
    success(gas, bls12_381::bls12_map_fp2_to_g2(input)?.to_vec())
}

/// `k * mul_cost * discount(k) / 1000`, the discount capped at the table's last entry.
fn msm_cost(k: u64, mul_cost: u64, discounts: &[u16; 128]) -> u64 {
    let index = usize::try_from(k.saturating_sub(1)).unwrap_or(usize::MAX);
    let discount = discounts
        .get(index)
        .or(discounts.last())
        .copied()
        .map_or(0, u64::from);
    k.saturating_mul(mul_cost)
        .saturating_mul(discount)
        .checked_div(DISCOUNT_MULTIPLIER)
        .unwrap_or(u64::MAX)
}

fn check_length(input: &[u8], expected: usize, what: &'static str) -> Result<(), CryptoError> {
    if input.len() != expected {
        return Err(CryptoError::InvalidLength {
            what,
            expected,
            got: input.len(),
        });
    }
    Ok(())
}

/// `k` for an input of `k > 0` pairs of `pair_len` bytes, or an error.
fn pair_count(input: &[u8], pair_len: usize, what: &'static str) -> Result<u64, CryptoError> {
    let k = input.len().checked_div(pair_len).unwrap_or(0);
    if k == 0 || !input.len().is_multiple_of(pair_len) {
        return Err(CryptoError::InvalidLength {
            what,
            expected: pair_len,
            got: input.len(),
        });
    }
    Ok(u64::try_from(k).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn msm_discount_applies_per_pair_count_and_caps_after_128() {
        assert_eq!(msm_cost(1, G1_MUL_GAS, &G1_MSM_DISCOUNT), 12_000);
        assert_eq!(
            msm_cost(2, G1_MUL_GAS, &G1_MSM_DISCOUNT),
            2 * 12_000 * 949 / 1000
        );
        assert_eq!(msm_cost(2, G2_MUL_GAS, &G2_MSM_DISCOUNT), 2 * 22_500);
        assert_eq!(
            msm_cost(128, G1_MUL_GAS, &G1_MSM_DISCOUNT),
            128 * 12_000 * 519 / 1000
        );
        assert_eq!(
            msm_cost(1000, G1_MUL_GAS, &G1_MSM_DISCOUNT),
            1000 * 12_000 * 519 / 1000
        );
        assert_eq!(
            msm_cost(1000, G2_MUL_GAS, &G2_MSM_DISCOUNT),
            1000 * 22_500 * 524 / 1000
        );
    }
}
