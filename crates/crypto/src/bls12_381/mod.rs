//! The BLS12-381 operations of EIP-2537 (precompiles 0x0b–0x11), on top of `blst`.
//!
//! Encodings, all big-endian:
//! - a base-field element `Fp` is 64 bytes: 16 zero bytes, then the 48-byte value, below `p`;
//! - an `Fp2` element `c0 + c1·u` is `c0 || c1` (128 bytes);
//! - a G1 point is `x || y` (128 bytes), a G2 point `x || y` with `Fp2` coordinates (256 bytes);
//!   all zeros is the point at infinity;
//! - a scalar is 32 bytes and need not be below the group order.
//!
//! Every decoded point must be on its curve. The multi-scalar multiplications and the pairing
//! also require points in the prime-order subgroup; addition does not (EIP-2537). Lengths are
//! checked here too, so each function accepts exactly the precompile's input.

mod blst_ops;

use blst::{blst_fp, blst_fp2, blst_p1_affine, blst_p2_affine};

use self::blst_ops::{Group, fp_from_be, fp_to_be, msm, pairing_product_is_one};
use crate::{CryptoError, Result};

/// Bytes of an encoded base-field element.
pub const FP_LEN: usize = 64;
/// Bytes of an encoded G1 point.
pub const G1_LEN: usize = 2 * FP_LEN;
/// Bytes of an encoded G2 point.
pub const G2_LEN: usize = 4 * FP_LEN;
/// Bytes of an encoded scalar.
pub const SCALAR_LEN: usize = 32;
/// Bytes of one `(point, scalar)` pair of the G1 multi-scalar multiplication.
pub const G1_MSM_PAIR_LEN: usize = G1_LEN + SCALAR_LEN;
/// Bytes of one `(point, scalar)` pair of the G2 multi-scalar multiplication.
pub const G2_MSM_PAIR_LEN: usize = G2_LEN + SCALAR_LEN;
/// Bytes of one `(G1, G2)` pair of the pairing check.
pub const PAIRING_PAIR_LEN: usize = G1_LEN + G2_LEN;

/// Whether subgroup membership of a decoded point is required.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Subgroup {
    Check,
    Skip,
}

/// `p + q` for `input = p || q` (two G1 points, 256 bytes).
pub fn bls12_g1_add(input: &[u8]) -> Result<[u8; G1_LEN]> {
    let input = exact::<{ 2 * G1_LEN }>(input, "BLS12-381 G1 addition input")?;
    let (p, q) = input.split_at(G1_LEN);
    let sum = Group::add(&read_g1(p, Subgroup::Skip)?, &read_g1(q, Subgroup::Skip)?);
    Ok(write_g1(&sum))
}

/// `p + q` for `input = p || q` (two G2 points, 512 bytes).
pub fn bls12_g2_add(input: &[u8]) -> Result<[u8; G2_LEN]> {
    let input = exact::<{ 2 * G2_LEN }>(input, "BLS12-381 G2 addition input")?;
    let (p, q) = input.split_at(G2_LEN);
    let sum = Group::add(&read_g2(p, Subgroup::Skip)?, &read_g2(q, Subgroup::Skip)?);
    Ok(write_g2(&sum))
}

/// `sum(k_i * p_i)` for `input` a non-empty concatenation of `p_i || k_i` (160 bytes each).
pub fn bls12_g1_msm(input: &[u8]) -> Result<[u8; G1_LEN]> {
    let (points, scalars) = read_msm(input, G1_LEN, "BLS12-381 G1 MSM input", read_g1)?;
    Ok(write_g1(&msm(&points, &scalars)))
}

/// `sum(k_i * p_i)` for `input` a non-empty concatenation of `p_i || k_i` (288 bytes each).
pub fn bls12_g2_msm(input: &[u8]) -> Result<[u8; G2_LEN]> {
    let (points, scalars) = read_msm(input, G2_LEN, "BLS12-381 G2 MSM input", read_g2)?;
    Ok(write_g2(&msm(&points, &scalars)))
}

/// Whether `e(p_1, q_1) * ... * e(p_k, q_k) == 1` for `input` a non-empty concatenation of
/// `p_i || q_i` (a G1 and a G2 point, 384 bytes each).
pub fn bls12_pairing_check(input: &[u8]) -> Result<bool> {
    check_multiple(input, PAIRING_PAIR_LEN, "BLS12-381 pairing input")?;
    let pairs = input
        .chunks_exact(PAIRING_PAIR_LEN)
        .map(|pair| {
            let (p, q) = pair.split_at(G1_LEN);
            Ok((read_g1(p, Subgroup::Check)?, read_g2(q, Subgroup::Check)?))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(pairing_product_is_one(&pairs))
}

/// Maps a base-field element (64 bytes) to G1 (RFC 9380 SSWU map, then cofactor clearing).
pub fn bls12_map_fp_to_g1(input: &[u8]) -> Result<[u8; G1_LEN]> {
    let input = exact::<FP_LEN>(input, "BLS12-381 map-to-G1 input")?;
    Ok(write_g1(&<blst_p1_affine as Group>::map_to_curve(
        &read_fp(input)?,
    )))
}

/// Maps an `Fp2` element (128 bytes) to G2 (RFC 9380 SSWU map, then cofactor clearing).
pub fn bls12_map_fp2_to_g2(input: &[u8]) -> Result<[u8; G2_LEN]> {
    let input = exact::<{ 2 * FP_LEN }>(input, "BLS12-381 map-to-G2 input")?;
    Ok(write_g2(&<blst_p2_affine as Group>::map_to_curve(
        &read_fp2(input)?,
    )))
}

/// `input` as an array of exactly `N` bytes.
fn exact<'a, const N: usize>(input: &'a [u8], what: &'static str) -> Result<&'a [u8; N]> {
    input.try_into().map_err(|_| CryptoError::InvalidLength {
        what,
        expected: N,
        got: input.len(),
    })
}

/// Checks that `input` is a non-empty multiple of `unit` bytes.
fn check_multiple(input: &[u8], unit: usize, what: &'static str) -> Result<()> {
    if input.is_empty() || !input.len().is_multiple_of(unit) {
        return Err(CryptoError::InvalidLength {
            what,
            expected: unit,
            got: input.len(),
        });
    }
    Ok(())
}

/// Decodes the `(point, scalar)` pairs of a multi-scalar multiplication; points must be in the
/// subgroup.
fn read_msm<G>(
    input: &[u8],
    point_len: usize,
    what: &'static str,
    read_point: fn(&[u8], Subgroup) -> Result<G>,
) -> Result<(Vec<G>, Vec<[u8; SCALAR_LEN]>)> {
    let pair_len = point_len + SCALAR_LEN;
    check_multiple(input, pair_len, what)?;
    let n = input.len() / pair_len;
    let (mut points, mut scalars) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for pair in input.chunks_exact(pair_len) {
        let (point, scalar) = pair.split_at(point_len);
        points.push(read_point(point, Subgroup::Check)?);
        let mut k = [0u8; SCALAR_LEN];
        k.copy_from_slice(scalar);
        scalars.push(k);
    }
    Ok((points, scalars))
}

/// Decodes a 64-byte base-field element: 16 zero bytes, then a value below `p`.
fn read_fp(bytes: &[u8]) -> Result<blst_fp> {
    let (padding, value) = bytes.split_at(FP_LEN - 48);
    let value: &[u8; 48] = value
        .try_into()
        .map_err(|_| CryptoError::InvalidFieldElement("BLS12-381"))?;
    if padding.iter().any(|&b| b != 0) {
        return Err(CryptoError::InvalidFieldElement("BLS12-381"));
    }
    fp_from_be(value).ok_or(CryptoError::InvalidFieldElement("BLS12-381"))
}

/// Decodes a 128-byte `Fp2` element `c0 || c1`.
fn read_fp2(bytes: &[u8]) -> Result<blst_fp2> {
    let (c0, c1) = bytes.split_at(FP_LEN);
    Ok(blst_fp2 {
        fp: [read_fp(c0)?, read_fp(c1)?],
    })
}

fn read_g1(bytes: &[u8], subgroup: Subgroup) -> Result<blst_p1_affine> {
    let (x, y) = bytes.split_at(FP_LEN);
    checked_point(blst_p1_affine::from_xy(read_fp(x)?, read_fp(y)?), subgroup)
}

fn read_g2(bytes: &[u8], subgroup: Subgroup) -> Result<blst_p2_affine> {
    let (x, y) = bytes.split_at(2 * FP_LEN);
    checked_point(
        blst_p2_affine::from_xy(read_fp2(x)?, read_fp2(y)?),
        subgroup,
    )
}

/// Checks a decoded point is infinity or on the curve (and in the subgroup if required).
fn checked_point<G: Group>(point: G, subgroup: Subgroup) -> Result<G> {
    if point.is_infinity() {
        return Ok(point);
    }
    if !point.is_on_curve() {
        return Err(CryptoError::PointNotOnCurve(G::NAME));
    }
    if subgroup == Subgroup::Check && !point.is_in_subgroup() {
        return Err(CryptoError::PointNotInSubgroup(G::NAME));
    }
    Ok(point)
}

/// Writes a base-field element as 64 bytes (16 zero bytes, then the value).
fn write_fp(out: &mut [u8], fp: &blst_fp) {
    if let Some(value) = out.get_mut(FP_LEN - 48..FP_LEN) {
        value.copy_from_slice(&fp_to_be(fp));
    }
}

fn write_g1(point: &blst_p1_affine) -> [u8; G1_LEN] {
    let mut out = [0u8; G1_LEN];
    if !point.is_infinity() {
        let (x, y) = point.xy();
        let (out_x, out_y) = out.split_at_mut(FP_LEN);
        write_fp(out_x, x);
        write_fp(out_y, y);
    }
    out
}

fn write_g2(point: &blst_p2_affine) -> [u8; G2_LEN] {
    let mut out = [0u8; G2_LEN];
    if !point.is_infinity() {
        let (x, y) = point.xy();
        for (chunk, fp) in out.chunks_exact_mut(FP_LEN).zip(x.fp.iter().chain(&y.fp)) {
            write_fp(chunk, fp);
        }
    }
    out
}

#[cfg(test)]
mod tests;
