//! Inputs for the BLS12-381 precompiles (EIP-2537, 0x0b–0x11) that reach their corner cases:
//! points at infinity, the generators, points on the curve outside the prime-order subgroup
//! (which addition must accept and the MSMs and the pairing must refuse), a point whose `x` is
//! within 2^157 of the modulus, the field elements `0`, `1`, `p - 1` (the largest valid one) and
//! `p` (the smallest invalid one), non-zero padding, and off-curve points. The points were
//! computed with plain affine arithmetic in Python, independently of both EVMs.

use alloy_primitives::{U256, hex};
use rand::{Rng, rngs::StdRng};

/// The base-field modulus `p`, big-endian.
const P: [u8; 48] = hex!(
    "1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaaab"
);

/// G1 points as `x || y` (48 bytes each, unpadded).
const G1_POINTS: [[u8; 96]; 4] = [
    // The generator.
    hex!(
        "17f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeffb3af00adb22c6bb"
        "08b3f481e3aaa0f1a09e30ed741d8ae4fcf5e095d5d00af600db18cb2c04b3edd03cc744a2888ae40caa232946c5e7e1"
    ),
    // (4, y): on the curve, not in the subgroup.
    hex!(
        "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000004"
        "0a989badd40d6212b33cffc3f3763e9bc760f988c9926b26da9dd85e928483446346b8ed00e1de5d5ea93e354abe706c"
    ),
    // (5, y): on the curve, not in the subgroup.
    hex!(
        "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000005"
        "0d3c6da1211ebe797bc0790f1e6e7d669b180a8e59196825506d2bb2185f53715df092c8a7ceb64843ea7df67dbad60d"
    ),
    // (p - 3, y): on the curve, not in the subgroup, x near the modulus.
    hex!(
        "1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaaa8"
        "0963d0cce692ef96d010fbf28e5fba2e7d1701f0fb5a88b00972e73c52ba49928552d797695fd01f4253a9849d045ba1"
    ),
];

/// G2 points as `x.c0 || x.c1 || y.c0 || y.c1` (48 bytes each, unpadded).
const G2_POINTS: [[u8; 192]; 2] = [
    // The generator.
    hex!(
        "024aa2b2f08f0a91260805272dc51051c6e47ad4fa403b02b4510b647ae3d1770bac0326a805bbefd48056c8c121bdb8"
        "13e02b6052719f607dacd3a088274f65596bd0d09920b61ab5da61bbdc7f5049334cf11213945d57e5ac7d055d042b7e"
        "0ce5d527727d6e118cc9cdc6da2e351aadfd9baa8cbdd3a76d429a695160d12c923ac9cc3baca289e193548608b82801"
        "0606c4a02ea734cc32acd2b02bc28b99cb3e287e85a763af267492ab572e99ab3f370d275cec1da1aaa9075ff05f79be"
    ),
    // (1 + u, y): on the curve, not in the subgroup.
    hex!(
        "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000001"
        "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000001"
        "17faa6201231304f270b858dad9462089f2a5b83388e4b10773abc1eef6d193b9fce4e8ea2d9d28e3c3a315aa7de14ca"
        "00cc12449be6ac4e7f367e7242250427c4fb4c39325d3164ad397c1837a90f0ea1a534757df374dd6569345eb41ed76e"
    ),
];

/// The input of BLS precompile `0x0b..=0x11` (`last`, the address's last byte) as 32-byte words,
/// and its length in bytes.
pub fn input(rng: &mut StdRng, last: u8) -> (Vec<Option<U256>>, u64) {
    let pairs = rng.random_range(1..=3);
    let bytes: Vec<u8> = match last {
        0x0b => [g1(rng), g1(rng)].concat(),
        0x0c => (0..pairs)
            .flat_map(|_| [g1(rng), scalar(rng)].concat())
            .collect(),
        0x0d => [g2(rng), g2(rng)].concat(),
        0x0e => (0..pairs)
            .flat_map(|_| [g2(rng), scalar(rng)].concat())
            .collect(),
        0x0f => (0..pairs)
            .flat_map(|_| [g1(rng), g2(rng)].concat())
            .collect(),
        0x10 => field_element(rng),
        _ => [field_element(rng), field_element(rng)].concat(),
    };
    let len = bytes.len() as u64;
    let words = bytes
        .chunks(32)
        .map(|chunk| {
            let mut word = [0u8; 32];
            word[..chunk.len()].copy_from_slice(chunk);
            Some(U256::from_be_bytes(word))
        })
        .collect();
    (words, len)
}

/// A 64-byte field element: 16 zero bytes and 48 value bytes (usually valid).
fn padded(value: &[u8]) -> Vec<u8> {
    [&[0u8; 16][..], value].concat()
}

/// A field element: `0`, `1`, `p - 1`, `p`, a random value below `p`, or one with a non-zero
/// padding byte.
fn field_element(rng: &mut StdRng) -> Vec<u8> {
    let mut value = [0u8; 48];
    match rng.random_range(0..7) {
        0 => {}
        1 => value[47] = 1,
        2 | 3 => {
            value = P;
            value[47] -= 1;
        }
        4 => value = P,
        5 => {
            rng.fill(&mut value[1..]);
            value[0] = rng.random_range(0..0x1a);
        }
        _ => {
            let mut element = padded(&value);
            element[rng.random_range(0..16)] = 1;
            return element;
        }
    }
    padded(&value)
}

/// An encoded G1 point: infinity, one of [`G1_POINTS`], or (rarely) one made invalid.
fn g1(rng: &mut StdRng) -> Vec<u8> {
    if rng.random_bool(0.15) {
        return vec![0; 128];
    }
    let point = G1_POINTS[rng.random_range(0..G1_POINTS.len())];
    let mut encoded: Vec<u8> = point.chunks(48).flat_map(padded).collect();
    spoil(rng, &mut encoded);
    encoded
}

/// An encoded G2 point: infinity, one of [`G2_POINTS`], or (rarely) one made invalid.
fn g2(rng: &mut StdRng) -> Vec<u8> {
    if rng.random_bool(0.15) {
        return vec![0; 256];
    }
    let point = G2_POINTS[rng.random_range(0..G2_POINTS.len())];
    let mut encoded: Vec<u8> = point.chunks(48).flat_map(padded).collect();
    spoil(rng, &mut encoded);
    encoded
}

/// Now and then takes a point off the curve (its last byte changed) or gives it a coordinate
/// `p` or a non-zero padding byte.
fn spoil(rng: &mut StdRng, encoded: &mut [u8]) {
    match rng.random_range(0..20) {
        0 => {
            if let Some(last) = encoded.last_mut() {
                *last ^= 1;
            }
        }
        1 => encoded[16..64].copy_from_slice(&P),
        2 => encoded[rng.random_range(0..16)] = 1,
        _ => {}
    }
}

/// A 32-byte scalar: zero, one, the group order `r`, `r - 1`, all ones, or random.
fn scalar(rng: &mut StdRng) -> Vec<u8> {
    let r: [u8; 32] = hex!("73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001");
    let mut s = [0u8; 32];
    match rng.random_range(0..6) {
        0 => {}
        1 => s[31] = 1,
        2 => s = r,
        3 => {
            s = r;
            s[31] = 0;
        }
        4 => s = [0xff; 32],
        _ => rng.fill(&mut s[..]),
    }
    s.to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn inputs_have_each_precompiles_length() {
        let mut rng = StdRng::seed_from_u64(7);
        for _ in 0..50 {
            assert_eq!(input(&mut rng, 0x0b).1, 256);
            assert_eq!(input(&mut rng, 0x0d).1, 512);
            assert_eq!(input(&mut rng, 0x10).1, 64);
            assert_eq!(input(&mut rng, 0x11).1, 128);
            assert_eq!(input(&mut rng, 0x0c).1 % 160, 0);
            assert_eq!(input(&mut rng, 0x0e).1 % 288, 0);
            assert_eq!(input(&mut rng, 0x0f).1 % 384, 0);
        }
    }

    #[test]
    fn the_modulus_is_ethrex_cryptos_own() {
        // p - 1 maps, p does not: both implementations must agree on this boundary.
        let mut p_minus_1 = P;
        p_minus_1[47] -= 1;
        assert!(ethrex_crypto::bls12_381::bls12_map_fp_to_g1(&padded(&p_minus_1)).is_ok());
        assert!(ethrex_crypto::bls12_381::bls12_map_fp_to_g1(&padded(&P)).is_err());
    }
}
