//! Safe wrappers over the few `blst` C functions the BLS12-381 precompiles need: field element
//! conversion, curve and subgroup checks, addition, multi-scalar multiplication, mapping to the
//! curve and the pairing product check.
//!
//! This is the only place in ethrex-crypto with `unsafe` code. Every call passes references to
//! live, initialised values of the exact `#[repr(C)]` types the C signature expects (or a null
//! pointer where blst documents one as "absent"), and blst neither keeps the pointers nor reads
//! past the sizes given. Points here are affine `blst` points; the all-zero value is the point at
//! infinity, as in blst's own affine encoding and in EIP-2537.
#![expect(
    unsafe_code,
    reason = "blst exposes point arithmetic only through its C API; see the module docs for why each call is sound"
)]

use blst::{
    blst_bendian_from_fp, blst_final_exp, blst_fp, blst_fp_from_bendian, blst_fp2, blst_fp12,
    blst_fp12_is_one, blst_fp12_mul, blst_map_to_g1, blst_map_to_g2, blst_miller_loop, blst_p1,
    blst_p1_add_or_double_affine, blst_p1_affine, blst_p1_affine_in_g1, blst_p1_affine_is_inf,
    blst_p1_affine_on_curve, blst_p1_from_affine, blst_p1_mult, blst_p1_to_affine,
    blst_p1s_mult_pippenger, blst_p1s_mult_pippenger_scratch_sizeof, blst_p2,
    blst_p2_add_or_double_affine, blst_p2_affine, blst_p2_affine_in_g2, blst_p2_affine_is_inf,
    blst_p2_affine_on_curve, blst_p2_from_affine, blst_p2_mult, blst_p2_to_affine,
    blst_p2s_mult_pippenger, blst_p2s_mult_pippenger_scratch_sizeof, limb_t,
};

/// Bits of an EIP-2537 scalar (32 bytes, not reduced modulo the group order).
const SCALAR_BITS: usize = 256;

/// The base-field modulus `p`, big-endian (a test derives it from the curve parameter `x`).
pub(super) const MODULUS: [u8; 48] = [
    0x1a, 0x01, 0x11, 0xea, 0x39, 0x7f, 0xe6, 0x9a, 0x4b, 0x1b, 0xa7, 0xb6, 0x43, 0x4b, 0xac, 0xd7,
    0x64, 0x77, 0x4b, 0x84, 0xf3, 0x85, 0x12, 0xbf, 0x67, 0x30, 0xd2, 0xa0, 0xf6, 0xb0, 0xf6, 0x24,
    0x1e, 0xab, 0xff, 0xfe, 0xb1, 0x53, 0xff, 0xff, 0xb9, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xaa, 0xab,
];

/// The base-field element encoded by 48 big-endian bytes, or `None` if it is not below `p`.
pub(super) fn fp_from_be(bytes: &[u8; 48]) -> Option<blst_fp> {
    // blst does not check the range; equal-length big-endian arrays compare as numbers.
    if *bytes >= MODULUS {
        return None;
    }
    let mut fp = blst_fp::default();
    // SAFETY: `fp` is a valid out-pointer; blst reads exactly 48 bytes from `bytes`.
    unsafe { blst_fp_from_bendian(&mut fp, bytes.as_ptr()) };
    Some(fp)
}

/// The 48 big-endian bytes of a base-field element.
pub(super) fn fp_to_be(fp: &blst_fp) -> [u8; 48] {
    let mut out = [0u8; 48];
    // SAFETY: blst writes exactly 48 bytes to `out` and reads one `blst_fp`.
    unsafe { blst_bendian_from_fp(out.as_mut_ptr(), fp) };
    out
}

/// The group operations shared by G1 and G2, implemented once per group below.
pub(super) trait Group: Sized + Copy + Default {
    /// The field of the coordinates (`blst_fp` or `blst_fp2`).
    type Coordinate;
    /// The group's name, for errors.
    const NAME: &'static str;

    /// The affine point `(x, y)`, unchecked.
    fn from_xy(x: Self::Coordinate, y: Self::Coordinate) -> Self;
    /// The affine coordinates.
    fn xy(&self) -> (&Self::Coordinate, &Self::Coordinate);
    /// Whether this is the point at infinity.
    fn is_infinity(&self) -> bool;
    /// Whether the point satisfies the curve equation (infinity does).
    fn is_on_curve(&self) -> bool;
    /// Whether the point is in the prime-order subgroup (infinity is).
    fn is_in_subgroup(&self) -> bool;
    /// `a + b`.
    fn add(a: &Self, b: &Self) -> Self;
    /// `k * p` for `k` little-endian.
    fn mul(p: &Self, scalar_le: &[u8; 32]) -> Self;
    /// `sum(k_i * p_i)` by Pippenger's method, for at least two finite points.
    fn pippenger(points: &[Self], scalars_le: &[[u8; 32]]) -> Self;
    /// The SSWU map of a field element to the curve followed by cofactor clearing (RFC 9380).
    fn map_to_curve(u: &Self::Coordinate) -> Self;
}

/// `sum(k_i * p_i)`, with `scalars_be` big-endian 32-byte scalars, one per point.
pub(super) fn msm<G: Group>(points: &[G], scalars_be: &[[u8; 32]]) -> G {
    let mut kept_points = Vec::with_capacity(points.len());
    let mut kept_scalars = Vec::with_capacity(points.len());
    for (point, scalar) in points.iter().zip(scalars_be) {
        // Zero terms add nothing, and blst's Pippenger does not accept the point at infinity.
        if point.is_infinity() || scalar.iter().all(|&b| b == 0) {
            continue;
        }
        let mut le = *scalar;
        le.reverse();
        kept_points.push(*point);
        kept_scalars.push(le);
    }
    match (kept_points.as_slice(), kept_scalars.as_slice()) {
        ([], _) => G::default(),
        ([point], [scalar]) => G::mul(point, scalar),
        (points, scalars) => G::pippenger(points, scalars),
    }
}

/// Whether `e(p_1, q_1) * ... * e(p_k, q_k) == 1`.
pub(super) fn pairing_product_is_one(pairs: &[(blst_p1_affine, blst_p2_affine)]) -> bool {
    let mut product: Option<blst_fp12> = None;
    for (p, q) in pairs {
        // e(O, q) = e(p, O) = 1.
        if p.is_infinity() || q.is_infinity() {
            continue;
        }
        let mut term = blst_fp12::default();
        // SAFETY: out-pointer and two point references of the declared types.
        unsafe { blst_miller_loop(&mut term, q, p) };
        product = Some(match product {
            None => term,
            Some(previous) => {
                let mut next = blst_fp12::default();
                // SAFETY: out-pointer and two `blst_fp12` references.
                unsafe { blst_fp12_mul(&mut next, &previous, &term) };
                next
            }
        });
    }
    let Some(product) = product else {
        return true;
    };
    let mut result = blst_fp12::default();
    // SAFETY: out-pointer and one `blst_fp12` reference.
    unsafe { blst_final_exp(&mut result, &product) };
    // SAFETY: reads one `blst_fp12`.
    unsafe { blst_fp12_is_one(&result) }
}

/// Implements [`Group`] for one of blst's affine point types from its C functions.
macro_rules! impl_group {
    (
        $affine:ty, $projective:ty, $coordinate:ty, $name:literal,
        is_inf: $is_inf:ident, on_curve: $on_curve:ident, in_group: $in_group:ident,
        from_affine: $from_affine:ident, to_affine: $to_affine:ident,
        add: $add:ident, mult: $mult:ident,
        pippenger: $pippenger:ident, scratch: $scratch:ident, map: $map:ident
    ) => {
        impl Group for $affine {
            type Coordinate = $coordinate;
            const NAME: &'static str = $name;

            fn from_xy(x: $coordinate, y: $coordinate) -> Self {
                Self { x, y }
            }

            fn xy(&self) -> (&$coordinate, &$coordinate) {
                (&self.x, &self.y)
            }

            fn is_infinity(&self) -> bool {
                // SAFETY: reads one affine point.
                unsafe { $is_inf(self) }
            }

            fn is_on_curve(&self) -> bool {
                // SAFETY: reads one affine point.
                unsafe { $on_curve(self) }
            }

            fn is_in_subgroup(&self) -> bool {
                // SAFETY: reads one affine point.
                unsafe { $in_group(self) }
            }

            fn add(a: &Self, b: &Self) -> Self {
                let mut a_projective = <$projective>::default();
                let mut sum = <$projective>::default();
                // SAFETY: out-pointers and inputs of the declared types; blst handles infinity
                // and doubling (`add_or_double`).
                unsafe {
                    $from_affine(&mut a_projective, a);
                    $add(&mut sum, &a_projective, b);
                }
                to_affine(&sum)
            }

            fn mul(p: &Self, scalar_le: &[u8; 32]) -> Self {
                let mut p_projective = <$projective>::default();
                let mut product = <$projective>::default();
                // SAFETY: out-pointers and inputs of the declared types; blst reads
                // `SCALAR_BITS / 8 = 32` bytes of the scalar.
                unsafe {
                    $from_affine(&mut p_projective, p);
                    $mult(&mut product, &p_projective, scalar_le.as_ptr(), SCALAR_BITS);
                }
                to_affine(&product)
            }

            fn pippenger(points: &[Self], scalars_le: &[[u8; 32]]) -> Self {
                let n = points.len().min(scalars_le.len());
                // A null second pointer tells blst the first one is a flat array of `n` items.
                let point_ptrs: [*const Self; 2] = [points.as_ptr(), std::ptr::null()];
                let scalar_ptrs: [*const u8; 2] = [scalars_le.as_ptr().cast(), std::ptr::null()];
                // SAFETY: pure function of `n`.
                let scratch_bytes = unsafe { $scratch(n) };
                let mut scratch: Vec<limb_t> =
                    vec![0; scratch_bytes.div_ceil(std::mem::size_of::<limb_t>())];
                let mut sum = <$projective>::default();
                // SAFETY: `points` and `scalars_le` hold at least `n` items (32 bytes per
                // scalar, `SCALAR_BITS` bits read from each), and `scratch` has the size blst
                // asked for.
                unsafe {
                    $pippenger(
                        &mut sum,
                        point_ptrs.as_ptr(),
                        n,
                        scalar_ptrs.as_ptr(),
                        SCALAR_BITS,
                        scratch.as_mut_ptr(),
                    )
                };
                to_affine(&sum)
            }

            fn map_to_curve(u: &$coordinate) -> Self {
                let mut point = <$projective>::default();
                // SAFETY: out-pointer and one coordinate; the null `v` is blst's documented
                // "single element" form (map, then clear the cofactor).
                unsafe { $map(&mut point, u, std::ptr::null()) };
                to_affine(&point)
            }
        }

        impl ToAffine for $projective {
            type Affine = $affine;

            fn to_affine(&self) -> $affine {
                let mut affine = <$affine>::default();
                // SAFETY: out-pointer and one projective point; infinity maps to all zeros.
                unsafe { $to_affine(&mut affine, self) };
                affine
            }
        }
    };
}

/// Conversion of a projective point to affine coordinates.
trait ToAffine {
    type Affine;
    fn to_affine(&self) -> Self::Affine;
}

fn to_affine<P: ToAffine>(point: &P) -> P::Affine {
    point.to_affine()
}

impl_group!(
    blst_p1_affine, blst_p1, blst_fp, "BLS12-381 G1",
    is_inf: blst_p1_affine_is_inf, on_curve: blst_p1_affine_on_curve,
    in_group: blst_p1_affine_in_g1, from_affine: blst_p1_from_affine,
    to_affine: blst_p1_to_affine, add: blst_p1_add_or_double_affine, mult: blst_p1_mult,
    pippenger: blst_p1s_mult_pippenger, scratch: blst_p1s_mult_pippenger_scratch_sizeof,
    map: blst_map_to_g1
);

impl_group!(
    blst_p2_affine, blst_p2, blst_fp2, "BLS12-381 G2",
    is_inf: blst_p2_affine_is_inf, on_curve: blst_p2_affine_on_curve,
    in_group: blst_p2_affine_in_g2, from_affine: blst_p2_from_affine,
    to_affine: blst_p2_to_affine, add: blst_p2_add_or_double_affine, mult: blst_p2_mult,
    pippenger: blst_p2s_mult_pippenger, scratch: blst_p2s_mult_pippenger_scratch_sizeof,
    map: blst_map_to_g2
);
