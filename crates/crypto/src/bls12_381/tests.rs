//! Unit tests of the BLS12-381 operations on hand-built points; the full EIP-2537 vectors run in
//! ethrex-vm's precompile tests.

use super::{blst_ops::MODULUS as P, *};
use alloy_primitives::hex;

const PAD: [u8; 16] = [0; 16];
const G1_X: [u8; 48] = hex!(
    "17f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeffb3af00adb22c6bb"
);
const G1_Y: [u8; 48] = hex!(
    "08b3f481e3aaa0f1a09e30ed741d8ae4fcf5e095d5d00af600db18cb2c04b3edd03cc744a2888ae40caa232946c5e7e1"
);
const G2_COORDS: [[u8; 48]; 4] = [
    hex!(
        "024aa2b2f08f0a91260805272dc51051c6e47ad4fa403b02b4510b647ae3d1770bac0326a805bbefd48056c8c121bdb8"
    ),
    hex!(
        "13e02b6052719f607dacd3a088274f65596bd0d09920b61ab5da61bbdc7f5049334cf11213945d57e5ac7d055d042b7e"
    ),
    hex!(
        "0ce5d527727d6e118cc9cdc6da2e351aadfd9baa8cbdd3a76d429a695160d12c923ac9cc3baca289e193548608b82801"
    ),
    hex!(
        "0606c4a02ea734cc32acd2b02bc28b99cb3e287e85a763af267492ab572e99ab3f370d275cec1da1aaa9075ff05f79be"
    ),
];
/// The group order minus one: `(r - 1) * P = -P`.
const R_MINUS_1: [u8; 32] =
    hex!("73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000000");
fn g1() -> Vec<u8> {
    [&PAD[..], &G1_X, &PAD, &G1_Y].concat()
}

fn g2() -> Vec<u8> {
    G2_COORDS
        .iter()
        .flat_map(|c| [&PAD[..], c].concat())
        .collect()
}

fn scalar(k: u8) -> [u8; 32] {
    let mut s = [0u8; 32];
    s[31] = k;
    s
}

#[test]
fn adding_a_point_to_itself_equals_multiplying_by_two() {
    let doubled = bls12_g1_add(&[g1(), g1()].concat()).unwrap();
    assert_eq!(
        bls12_g1_msm(&[g1(), scalar(2).to_vec()].concat()).unwrap(),
        doubled
    );
    let doubled = bls12_g2_add(&[g2(), g2()].concat()).unwrap();
    assert_eq!(
        bls12_g2_msm(&[g2(), scalar(2).to_vec()].concat()).unwrap(),
        doubled
    );
}

#[test]
fn multi_scalar_multiplication_sums_the_products() {
    // 1*G + 2*G + 0*G + 3*inf = 3*G.
    let input = [
        g1(),
        scalar(1).to_vec(),
        g1(),
        scalar(2).to_vec(),
        g1(),
        scalar(0).to_vec(),
        vec![0; G1_LEN],
        scalar(3).to_vec(),
    ]
    .concat();
    let expected = bls12_g1_msm(&[g1(), scalar(3).to_vec()].concat()).unwrap();
    assert_eq!(bls12_g1_msm(&input).unwrap(), expected);
    // P + (r - 1) * P = infinity.
    let cancelling = [g2(), scalar(1).to_vec(), g2(), R_MINUS_1.to_vec()].concat();
    assert_eq!(bls12_g2_msm(&cancelling).unwrap(), [0; G2_LEN]);
}

#[test]
fn infinity_is_all_zeros_and_neutral() {
    let sum = bls12_g1_add(&[g1(), vec![0; G1_LEN]].concat()).unwrap();
    assert_eq!(sum.to_vec(), g1());
    assert_eq!(
        bls12_g1_msm(&[g1(), scalar(0).to_vec()].concat()).unwrap(),
        [0; G1_LEN]
    );
}

#[test]
fn pairing_of_p_and_minus_p_cancels() {
    let minus_g1 = bls12_g1_msm(&[g1(), R_MINUS_1.to_vec()].concat()).unwrap();
    let input = [g1(), g2(), minus_g1.to_vec(), g2()].concat();
    assert!(bls12_pairing_check(&input).unwrap());
    assert!(!bls12_pairing_check(&input[..PAIRING_PAIR_LEN]).unwrap());
    let with_infinity = [vec![0; G1_LEN], g2()].concat();
    assert!(bls12_pairing_check(&with_infinity).unwrap());
}

#[test]
fn malformed_field_elements_are_rejected() {
    let mut top_bytes = g1();
    top_bytes[0] = 1;
    let mut equal_to_modulus = g1();
    equal_to_modulus[16..64].copy_from_slice(&P);
    for bad in [top_bytes, equal_to_modulus] {
        assert_eq!(
            bls12_g1_add(&[bad.clone(), g1()].concat()),
            Err(CryptoError::InvalidFieldElement("BLS12-381"))
        );
        assert_eq!(
            bls12_map_fp_to_g1(&bad[..FP_LEN]),
            Err(CryptoError::InvalidFieldElement("BLS12-381"))
        );
    }
}

#[test]
fn points_off_the_curve_or_subgroup_are_rejected() {
    let mut off_curve = g1();
    off_curve[127] ^= 1;
    assert_eq!(
        bls12_g1_add(&[off_curve, g1()].concat()),
        Err(CryptoError::PointNotOnCurve("BLS12-381 G1"))
    );
    // (0, 2) is on y^2 = x^3 + 4 but outside the prime-order subgroup: addition accepts it,
    // the MSM and the pairing do not.
    let mut outside = vec![0u8; G1_LEN];
    outside[G1_LEN - 1] = 2;
    assert!(bls12_g1_add(&[outside.clone(), g1()].concat()).is_ok());
    assert_eq!(
        bls12_g1_msm(&[outside.clone(), scalar(1).to_vec()].concat()),
        Err(CryptoError::PointNotInSubgroup("BLS12-381 G1"))
    );
    assert_eq!(
        bls12_pairing_check(&[outside, g2()].concat()),
        Err(CryptoError::PointNotInSubgroup("BLS12-381 G1"))
    );
}

#[test]
fn wrong_lengths_are_rejected() {
    for result in [
        bls12_g1_add(&[0; 255]).map(|_| ()),
        bls12_g2_add(&[0; 513]).map(|_| ()),
        bls12_g1_msm(&[]).map(|_| ()),
        bls12_g2_msm(&[0; G2_MSM_PAIR_LEN + 1]).map(|_| ()),
        bls12_pairing_check(&[]).map(|_| ()),
        bls12_map_fp_to_g1(&[0; 63]).map(|_| ()),
        bls12_map_fp2_to_g2(&[0; 64]).map(|_| ()),
    ] {
        assert!(
            matches!(result, Err(CryptoError::InvalidLength { .. })),
            "{result:?}"
        );
    }
}

#[test]
fn mapped_points_are_in_the_subgroup() {
    let mut u = [0u8; FP_LEN];
    u[FP_LEN - 1] = 7;
    let g1_point = bls12_map_fp_to_g1(&u).unwrap();
    assert!(bls12_g1_msm(&[g1_point.to_vec(), scalar(1).to_vec()].concat()).is_ok());
    let g2_point = bls12_map_fp2_to_g2(&[0; 2 * FP_LEN]).unwrap();
    assert!(bls12_g2_msm(&[g2_point.to_vec(), scalar(1).to_vec()].concat()).is_ok());
}
