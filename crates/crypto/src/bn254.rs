//! The BN254 ("alt_bn128") curve operations of EIP-196 (add, scalar multiplication) and EIP-197
//! (pairing check), on top of arkworks' `ark-bn254`.
//!
//! Encodings (all big-endian, 32 bytes per base-field element):
//! - a G1 point is `x || y` (64 bytes); `(0, 0)` is the point at infinity;
//! - a G2 point is `x_imaginary || x_real || y_imaginary || y_real` (128 bytes), the imaginary
//!   part first as EIP-197 specifies; all zeros is the point at infinity.
//!
//! Every coordinate must be below the field modulus and every point on its curve; G2 points must
//! also be in the prime-order subgroup (G1 has cofactor 1, so every G1 point on the curve is).
//! Scalars are 256-bit and need not be reduced.

use ark_bn254::{Bn254, Fq, Fq2, G1Affine, G2Affine};
use ark_ec::{AffineRepr, CurveGroup, pairing::Pairing};
use ark_ff::{BigInt, BigInteger, One, PrimeField, Zero};

use crate::{CryptoError, Result};

/// Bytes of one encoded G1 point.
pub const G1_LEN: usize = 64;
/// Bytes of one encoded G2 point.
pub const G2_LEN: usize = 128;
/// Bytes of one `(G1, G2)` pair of the pairing check.
pub const PAIR_LEN: usize = G1_LEN + G2_LEN;

/// `p + q` for the two G1 points `input = p || q`; the sum is encoded as a G1 point.
pub fn bn254_add(input: &[u8; 2 * G1_LEN]) -> Result<[u8; G1_LEN]> {
    let (p, q) = input.split_at(G1_LEN);
    let sum = read_g1(p)?.into_group() + read_g1(q)?;
    Ok(write_g1(&sum.into_affine()))
}

/// `k * p` for `input = p || k`, with `k` a 32-byte big-endian scalar.
pub fn bn254_mul(input: &[u8; G1_LEN + 32]) -> Result<[u8; G1_LEN]> {
    let (p, k) = input.split_at(G1_LEN);
    let product = read_g1(p)?.mul_bigint(be_limbs(k));
    Ok(write_g1(&product.into_affine()))
}

/// Whether `e(p_1, q_1) * ... * e(p_k, q_k) == 1` for `input` the concatenation of the
/// `p_i || q_i` pairs (`k = 0` gives `true`). The length must be a multiple of 192.
pub fn bn254_pairing_check(input: &[u8]) -> Result<bool> {
    if !input.len().is_multiple_of(PAIR_LEN) {
        return Err(CryptoError::InvalidLength {
            what: "BN254 pairing input (a multiple of)",
            expected: PAIR_LEN,
            got: input.len(),
        });
    }
    let mut g1s = Vec::with_capacity(input.len() / PAIR_LEN);
    let mut g2s = Vec::with_capacity(input.len() / PAIR_LEN);
    for pair in input.chunks_exact(PAIR_LEN) {
        let (p, q) = pair.split_at(G1_LEN);
        let (p, q) = (read_g1(p)?, read_g2(q)?);
        // A pair with a point at infinity contributes a factor of 1.
        if !p.is_zero() && !q.is_zero() {
            g1s.push(p);
            g2s.push(q);
        }
    }
    if g1s.is_empty() {
        return Ok(true);
    }
    // The final exponentiation is `None` only for a zero Miller-loop value, which valid points
    // never produce; it could not be 1 anyway.
    let product = Bn254::final_exponentiation(Bn254::multi_miller_loop(g1s, g2s));
    Ok(product.is_some_and(|p| p.0.is_one()))
}

/// Decodes a base-field element, rejecting values not below the modulus.
fn read_fq(bytes: &[u8]) -> Result<Fq> {
    Fq::from_bigint(BigInt::new(be_limbs(bytes))).ok_or(CryptoError::InvalidFieldElement("BN254"))
}

/// Decodes a G1 point (64 bytes) and checks it is on the curve.
fn read_g1(bytes: &[u8]) -> Result<G1Affine> {
    let (x, y) = bytes.split_at(32);
    let (x, y) = (read_fq(x)?, read_fq(y)?);
    if x.is_zero() && y.is_zero() {
        return Ok(G1Affine::identity());
    }
    let point = G1Affine::new_unchecked(x, y);
    if !point.is_on_curve() {
        return Err(CryptoError::PointNotOnCurve("BN254 G1"));
    }
    Ok(point)
}

/// Decodes a G2 point (128 bytes, imaginary parts first) and checks curve and subgroup.
fn read_g2(bytes: &[u8]) -> Result<G2Affine> {
    let (x, y) = bytes.split_at(64);
    let (x_im, x_re) = x.split_at(32);
    let (y_im, y_re) = y.split_at(32);
    let x = Fq2::new(read_fq(x_re)?, read_fq(x_im)?);
    let y = Fq2::new(read_fq(y_re)?, read_fq(y_im)?);
    if x.is_zero() && y.is_zero() {
        return Ok(G2Affine::identity());
    }
    let point = G2Affine::new_unchecked(x, y);
    if !point.is_on_curve() {
        return Err(CryptoError::PointNotOnCurve("BN254 G2"));
    }
    if !point.is_in_correct_subgroup_assuming_on_curve() {
        return Err(CryptoError::PointNotInSubgroup("BN254 G2"));
    }
    Ok(point)
}

/// Encodes a G1 point; the point at infinity is all zeros.
fn write_g1(point: &G1Affine) -> [u8; G1_LEN] {
    let mut out = [0u8; G1_LEN];
    if let Some((x, y)) = point.xy() {
        let (out_x, out_y) = out.split_at_mut(32);
        out_x.copy_from_slice(&x.into_bigint().to_bytes_be());
        out_y.copy_from_slice(&y.into_bigint().to_bytes_be());
    }
    out
}

/// The four little-endian 64-bit limbs of a 32-byte big-endian number.
fn be_limbs(bytes: &[u8]) -> [u64; 4] {
    let mut limbs = [0u64; 4];
    for (limb, chunk) in limbs.iter_mut().zip(bytes.rchunks_exact(8)) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        *limb = u64::from_be_bytes(word);
    }
    limbs
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::hex;

    const G1_GENERATOR: [u8; 64] = hex!(
        "0000000000000000000000000000000000000000000000000000000000000001"
        "0000000000000000000000000000000000000000000000000000000000000002"
    );
    // 2 * G1 generator.
    const G1_DOUBLE: [u8; 64] = hex!(
        "030644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd3"
        "15ed738c0e0a7c92e7845f96b2ae9c0a68a6a449e3538fc7ff3ebf7a5a18a2c4"
    );
    // The G2 generator, imaginary parts first.
    const G2_GENERATOR: [u8; 128] = hex!(
        "198e9393920d483a7260bfb731fb5d25f1aa493335a9e71297e485b7aef312c2"
        "1800deef121f1e76426a00665e5c4479674322d4f75edadd46debd5cd992f6ed"
        "090689d0585ff075ec9e99ad690c3395bc4b313370b38ef355acdadcd122975b"
        "12c85ea5db8c6deb4aab71808dcb408fe3d1e7690c43d37b4ce6cc0166fa7daa"
    );

    fn concat<const N: usize>(parts: &[&[u8]]) -> [u8; N] {
        parts.concat().try_into().unwrap()
    }

    #[test]
    fn generator_plus_itself_is_its_double() {
        assert_eq!(
            bn254_add(&concat(&[&G1_GENERATOR, &G1_GENERATOR])).unwrap(),
            G1_DOUBLE
        );
        assert_eq!(
            bn254_mul(&concat(&[&G1_GENERATOR, &[0; 31], &[2]])).unwrap(),
            G1_DOUBLE
        );
    }

    #[test]
    fn infinity_is_the_neutral_element_and_encodes_as_zeros() {
        assert_eq!(
            bn254_add(&concat(&[&G1_GENERATOR, &[0; 64]])).unwrap(),
            G1_GENERATOR
        );
        assert_eq!(
            bn254_mul(&concat(&[&G1_GENERATOR, &[0; 32]])).unwrap(),
            [0; 64]
        );
    }

    #[test]
    fn invalid_points_are_rejected() {
        let mut not_on_curve = G1_GENERATOR;
        not_on_curve[63] = 3;
        assert_eq!(
            bn254_add(&concat(&[&not_on_curve, &G1_GENERATOR])),
            Err(CryptoError::PointNotOnCurve("BN254 G1"))
        );
        let too_big = [0xff; 64];
        assert_eq!(
            bn254_mul(&concat(&[&too_big, &[1; 32]])),
            Err(CryptoError::InvalidFieldElement("BN254"))
        );
    }

    #[test]
    fn pairing_of_p_and_minus_p_cancels() {
        // e(G1, G2) * e(-G1, G2) = 1, with -G1 = (1, p - 2).
        let minus_g1 = hex!(
            "0000000000000000000000000000000000000000000000000000000000000001"
            "30644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd45"
        );
        let input = [&G1_GENERATOR[..], &G2_GENERATOR, &minus_g1, &G2_GENERATOR].concat();
        assert!(bn254_pairing_check(&input).unwrap());
        assert!(!bn254_pairing_check(&input[..PAIR_LEN]).unwrap());
        assert!(bn254_pairing_check(&[]).unwrap());
        assert!(matches!(
            bn254_pairing_check(&input[..100]),
            Err(CryptoError::InvalidLength { .. })
        ));
    }
}
