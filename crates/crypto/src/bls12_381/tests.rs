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

/// A 64-byte field element or a point from its hex (unpadded coordinates are padded already).
fn bytes(hex_str: &str) -> Vec<u8> {
    hex::decode(hex_str).unwrap()
}

/// The base-field modulus derived from the curve parameter `x = -0xd201000000010000`:
/// `p = (x - 1)^2 (x^4 - x^2 + 1) / 3 + x`, written with `z = -x` so every term is positive.
#[test]
fn modulus_is_derived_from_the_curve_parameter() {
    type U512 = alloy_primitives::Uint<512, 8>;
    let z = U512::from(0xd201_0000_0001_0000_u64);
    let z2 = z * z;
    let p = (z + U512::from(1u8)) * (z + U512::from(1u8)) * (z2 * z2 - z2 + U512::from(1u8))
        / U512::from(3u8)
        - z;
    let mut expected = [0u8; 64];
    expected[16..].copy_from_slice(&P);
    assert_eq!(p.to_be_bytes::<64>(), expected);
}

/// `p - 1` is the largest field element: the maps take it (EIP-2537 only asks `< p`).
#[test]
fn the_largest_field_element_is_accepted() {
    let mut p_minus_1 = P;
    p_minus_1[47] -= 1;
    let fp = [&PAD[..], &p_minus_1].concat();
    assert!(bls12_map_fp_to_g1(&fp).is_ok());
    assert!(bls12_map_fp2_to_g2(&[fp.clone(), fp.clone()].concat()).is_ok());
    assert!(bls12_map_fp2_to_g2(&[vec![0; FP_LEN], fp].concat()).is_ok());
}

/// Points on the curve outside the prime-order subgroup add like any other (EIP-2537 asks no
/// subgroup check for addition). Expected sums computed with plain affine formulas in Python,
/// independently of blst.
#[test]
fn g1_points_outside_the_subgroup_add() {
    // (4, y) and (5, y'): on y^2 = x^3 + 4, r * P != O.
    let p = bytes(
        "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000004000000000000000000000000000000000a989badd40d6212b33cffc3f3763e9bc760f988c9926b26da9dd85e928483446346b8ed00e1de5d5ea93e354abe706c",
    );
    let q = bytes(
        "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000005000000000000000000000000000000000d3c6da1211ebe797bc0790f1e6e7d669b180a8e59196825506d2bb2185f53715df092c8a7ceb64843ea7df67dbad60d",
    );
    // (p - 3, y''): its x is within 2^157 of p.
    let near_p = bytes(
        "000000000000000000000000000000001a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaaa8000000000000000000000000000000000963d0cce692ef96d010fbf28e5fba2e7d1701f0fb5a88b00972e73c52ba49928552d797695fd01f4253a9849d045ba1",
    );
    let cases = [
        (
            &p,
            &q,
            "0000000000000000000000000000000019b37d2f64582ab39854a265602665b8c5cd35e8d9ce59f337b0d7b307a67a32c83032f68fda8c0df0e56f5e2c21903100000000000000000000000000000000154a06654ca170b761c2ca4427da4ca2508bf264a5273b539e65f23c840e70d7ad5d1589ad7434878c7eb5b098896f1c",
        ),
        (
            &p,
            &p,
            "00000000000000000000000000000000061e5e9176f0eaf720bb36853d02bf41bd493ef21b2e5ec39fcf409e5829a353cafb4b4afc8c3c3c2bc38787878773740000000000000000000000000000000003dce838b58d784d9e663fdf809f630c630692751c8af8af9b42d50ff90694b2e211bc0c19a333160a1ee6891b38838e",
        ),
        (
            &p,
            &g1(),
            "0000000000000000000000000000000017bcbbfdd2442c328150f65465bd7b9c4ff36e35261ad3549222e532758a1cf0945ba133ec513517b4ea9de098a037f90000000000000000000000000000000006d1d4f6580f49b4e0a98509ffd18f24afcada36fd0d44e9fc9e5f0c19df3ec01474eefc659d57d149b97ca899010a5d",
        ),
        (
            &near_p,
            &near_p,
            "000000000000000000000000000000000b0604cfd006ea1a735149e0bdeb35ca9cad0167aa038abae09d0b600f883bd21821f4de0df44de99f8ab4de9bd356410000000000000000000000000000000011444f26e9b497016c11a909d1c336888542572e3a2f2f09e951ff93bf8ca6c74bde69510a63489017c1a74c8bd7b783",
        ),
        (
            &near_p,
            &g1(),
            "000000000000000000000000000000000db87de409351778bb932c0717c9fec577dd04475401194476c9434541fc87f0207016a09266faae29a7fde638c376ca000000000000000000000000000000000bfe97521d9fc43a556b8661fac00e9120776c50e65a6b059fb97da0b2cc0108c50ca609e18e444d4e9d518fdeb81f44",
        ),
    ];
    for (a, b, sum) in cases {
        assert_eq!(
            hex::encode(bls12_g1_add(&[a.clone(), b.clone()].concat()).unwrap()),
            sum
        );
    }
    for point in [&p, &near_p] {
        assert_eq!(
            bls12_g1_msm(&[point.clone(), scalar(1).to_vec()].concat()),
            Err(CryptoError::PointNotInSubgroup("BLS12-381 G1"))
        );
    }
}

/// As above for G2: `(1 + u, y)` and `(2 + u, y')` on `y^2 = x^3 + 4(1 + u)`, outside the
/// subgroup; sums computed in Python over `Fp2`.
#[test]
fn g2_points_outside_the_subgroup_add() {
    let p = bytes(
        "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000001000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000010000000000000000000000000000000017faa6201231304f270b858dad9462089f2a5b83388e4b10773abc1eef6d193b9fce4e8ea2d9d28e3c3a315aa7de14ca0000000000000000000000000000000000cc12449be6ac4e7f367e7242250427c4fb4c39325d3164ad397c1837a90f0ea1a534757df374dd6569345eb41ed76e",
    );
    let q = bytes(
        "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000020000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000100000000000000000000000000000000082b95a5b7241be6e2b581a2d5d91c5c67b197400602914879aef30a565535825c3bbc70165b18a65e1252d7b98e580d00000000000000000000000000000000004f0e2be2f9d6956e890a15fcc71632cc8ee88bdd387daeddf980ef9b8597131762c3997c36f0d8f5ed079e44e35044",
    );
    let cases = [
        (
            &p,
            &q,
            "0000000000000000000000000000000018688cd4da5e75ca56bcdb72799627ee1306bc0e66fd830f39745845e6ff074dcecc97c3788f98e28bc42aba7235177a000000000000000000000000000000000fa2f575073baec5a72fe0204214df26e0bfa22e38e2ef74579ac02e8fe3b9f306c01ac4be7129a3c6b8baaf1616f32f00000000000000000000000000000000054897d476c8ca305ec3b23f1457edb332e6a529183497d6af870abd7bc61280b719ccdcdb6ce10f20ed605c566ed01800000000000000000000000000000000053aca382136a69e7c05039242fafa151b144ee7a4e173dc33683c837301f839b3c29be02b3ae96718a8605221b55c4b",
        ),
        (
            &p,
            &p,
            "000000000000000000000000000000000919f97860ecc3e933e3477fcac0e2e4fcc35a6e886e935c97511685232456263def6665f143ccccb44c7333333315530000000000000000000000000000000018b4376b50398178fa8d78ed2654b0ffd2a487be4dbe6b69086e61b283f4e9d58389cccb8edc99995718a6666666155500000000000000000000000000000000026898f699c4b07a405ab4183a10b47f923d1c0fda1018682dd2ccc88968c1b90d44534d6b9270cf57f8dc6d4891678a0000000000000000000000000000000003270414330ead5ec92219a03a24dfa059dbcbe610868be1851cc13dac447f60b40d41113fd007d3307b19add4b0f061",
        ),
        (
            &p,
            &g2(),
            "000000000000000000000000000000001852c4c7fd27d91c598d3638b5a58481d53b078c1f38a267c42fed57910a8f93dc4bffc23ef95f371995f0ee9555908a00000000000000000000000000000000042dd9d74ed49068d10bea59e8853dc0868e1939070547ee48403ece51043461ae1cb5e61823080904866dc9f4fa2b300000000000000000000000000000000002561b0bd20285ca3f761f9c8af159b267c63591bcbf4333df8d1a68c63c9ad90d7415c22b9f1bcb640321214d73821f000000000000000000000000000000000b29960a0f513de6d2bb9e197a61d4f0ebb82e54828b55acb2fb761100085a2a4868813449cf91181b7b47a8bf8866e8",
        ),
    ];
    for (a, b, sum) in cases {
        assert_eq!(
            hex::encode(bls12_g2_add(&[a.clone(), b.clone()].concat()).unwrap()),
            sum
        );
    }
    assert_eq!(
        bls12_g2_msm(&[p, scalar(1).to_vec()].concat()),
        Err(CryptoError::PointNotInSubgroup("BLS12-381 G2"))
    );
}
