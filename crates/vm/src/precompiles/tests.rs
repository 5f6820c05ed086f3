//! Tests of the precompile layer: go-ethereum's precompile vectors (kept as JSON in
//! `crates/vm/tests/precompiles/`, each with `Input`, `Expected` or `ExpectedError`, `Gas`,
//! `Name`), EIP-2537's own vectors for every BLS12-381 precompile (same format, in
//! `tests/precompiles/eip-2537/`), activation and gas per fork. Property tests are in
//! `proptests.rs`.

use alloy_primitives::{Address, B256, Bytes, hex};
use ethrex_common::Fork;
use serde::Deserialize;

use super::*;

/// One vector of go-ethereum's `core/vm/testdata/precompiles`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Vector {
    name: String,
    input: String,
    expected: Option<String>,
    expected_error: Option<String>,
    gas: Option<u64>,
}

/// Runs every vector of `json` against precompile `address` under `fork`. A passing vector must
/// give the expected output for exactly its gas, and run out of gas with one less; a failing
/// vector must be an invalid input even with unlimited gas. Returns how many vectors ran.
fn run_vectors(json: &str, address: u16, fork: Fork) -> usize {
    let vectors: Vec<Vector> = serde_json::from_str(json).unwrap();
    let address = precompile_address(address);
    for v in &vectors {
        let input = hex::decode(&v.input).unwrap();
        match (&v.expected, &v.expected_error, v.gas) {
            (Some(expected), None, Some(gas)) => {
                let out = execute_precompile(&address, &input, gas, fork)
                    .unwrap()
                    .unwrap_or_else(|e| panic!("{}: {e}", v.name));
                assert_eq!(hex::encode(&out.output), *expected, "{}", v.name);
                assert_eq!(out.gas_used, gas, "{}", v.name);
                if gas > 0 {
                    let short = execute_precompile(&address, &input, gas - 1, fork).unwrap();
                    assert_eq!(short, Err(PrecompileError::OutOfGas), "{}", v.name);
                }
            }
            (None, Some(error), _) => {
                let result = execute_precompile(&address, &input, u64::MAX, fork).unwrap();
                assert!(
                    matches!(result, Err(PrecompileError::InvalidInput(_))),
                    "{} (expected {error}): {result:?}",
                    v.name
                );
            }
            _ => panic!("{}: malformed vector", v.name),
        }
    }
    assert!(!vectors.is_empty());
    vectors.len()
}

macro_rules! vectors {
    ($($test:ident: $file:literal at $address:literal under $fork:ident;)*) => {$(
        #[test]
        fn $test() {
            let json = include_str!(concat!("../../tests/precompiles/", $file));
            let passed = run_vectors(json, $address, Fork::$fork);
            println!("{}: {passed} vectors passed", $file);
        }
    )*};
}

vectors! {
    ecrecover_vectors: "ecRecover.json" at 0x01 under Frontier;
    modexp_byzantium_vectors: "modexp.json" at 0x05 under Byzantium;
    modexp_eip2565_vectors: "modexp_eip2565.json" at 0x05 under Berlin;
    modexp_eip7883_vectors: "modexp_eip7883.json" at 0x05 under Osaka;
    bn254_add_vectors: "bn256Add.json" at 0x06 under Istanbul;
    bn254_mul_vectors: "bn256ScalarMul.json" at 0x07 under Istanbul;
    bn254_pairing_vectors: "bn256Pairing.json" at 0x08 under Istanbul;
    blake2f_vectors: "blake2F.json" at 0x09 under Istanbul;
    blake2f_failing_vectors: "fail-blake2f.json" at 0x09 under Istanbul;
    point_evaluation_vectors: "pointEvaluation.json" at 0x0a under Cancun;
    bls_g1_add_vectors: "blsG1Add.json" at 0x0b under Prague;
    bls_g1_add_failing_vectors: "fail-blsG1Add.json" at 0x0b under Prague;
    bls_g1_mul_vectors: "blsG1Mul.json" at 0x0c under Prague;
    bls_g1_mul_failing_vectors: "fail-blsG1Mul.json" at 0x0c under Prague;
    bls_g1_msm_vectors: "blsG1MultiExp.json" at 0x0c under Prague;
    bls_g1_msm_failing_vectors: "fail-blsG1MultiExp.json" at 0x0c under Prague;
    bls_g2_add_vectors: "blsG2Add.json" at 0x0d under Prague;
    bls_g2_add_failing_vectors: "fail-blsG2Add.json" at 0x0d under Prague;
    bls_g2_mul_vectors: "blsG2Mul.json" at 0x0e under Prague;
    bls_g2_mul_failing_vectors: "fail-blsG2Mul.json" at 0x0e under Prague;
    bls_g2_msm_vectors: "blsG2MultiExp.json" at 0x0e under Prague;
    bls_g2_msm_failing_vectors: "fail-blsG2MultiExp.json" at 0x0e under Prague;
    bls_pairing_vectors: "blsPairing.json" at 0x0f under Prague;
    bls_pairing_failing_vectors: "fail-blsPairing.json" at 0x0f under Prague;
    bls_map_fp_to_g1_vectors: "blsMapG1.json" at 0x10 under Prague;
    bls_map_fp_to_g1_failing_vectors: "fail-blsMapG1.json" at 0x10 under Prague;
    bls_map_fp2_to_g2_vectors: "blsMapG2.json" at 0x11 under Prague;
    bls_map_fp2_to_g2_failing_vectors: "fail-blsMapG2.json" at 0x11 under Prague;
    p256verify_vectors: "p256Verify.json" at 0x100 under Osaka;
}

// EIP-2537's own vectors (ethereum/EIPs `assets/eip-2537`, CC0; see the folder's README). The
// single-point multiplications run through the MSM precompiles, as the EIP says. Its
// `msm_G2_bls.json` (6.5 MB) is not committed: the README says why.
vectors! {
    eip2537_g1_add: "eip-2537/add_G1_bls.json" at 0x0b under Prague;
    eip2537_g1_add_failing: "eip-2537/fail-add_G1_bls.json" at 0x0b under Prague;
    eip2537_g1_mul: "eip-2537/mul_G1_bls.json" at 0x0c under Prague;
    eip2537_g1_mul_failing: "eip-2537/fail-mul_G1_bls.json" at 0x0c under Prague;
    eip2537_g1_msm: "eip-2537/msm_G1_bls.json" at 0x0c under Prague;
    eip2537_g1_msm_failing: "eip-2537/fail-msm_G1_bls.json" at 0x0c under Prague;
    eip2537_g2_add: "eip-2537/add_G2_bls.json" at 0x0d under Prague;
    eip2537_g2_add_failing: "eip-2537/fail-add_G2_bls.json" at 0x0d under Prague;
    eip2537_g2_mul: "eip-2537/mul_G2_bls.json" at 0x0e under Prague;
    eip2537_g2_mul_failing: "eip-2537/fail-mul_G2_bls.json" at 0x0e under Prague;
    eip2537_g2_msm_failing: "eip-2537/fail-msm_G2_bls.json" at 0x0e under Prague;
    eip2537_pairing: "eip-2537/pairing_check_bls.json" at 0x0f under Prague;
    eip2537_pairing_failing: "eip-2537/fail-pairing_check_bls.json" at 0x0f under Prague;
    eip2537_map_fp_to_g1: "eip-2537/map_fp_to_G1_bls.json" at 0x10 under Prague;
    eip2537_map_fp_to_g1_failing: "eip-2537/fail-map_fp_to_G1_bls.json" at 0x10 under Prague;
    eip2537_map_fp2_to_g2: "eip-2537/map_fp2_to_G2_bls.json" at 0x11 under Prague;
    eip2537_map_fp2_to_g2_failing: "eip-2537/fail-map_fp2_to_G2_bls.json" at 0x11 under Prague;
}

pub(super) fn call(address: u16, input: &[u8], gas_limit: u64, fork: Fork) -> PrecompileResult {
    execute_precompile(&precompile_address(address), input, gas_limit, fork)
        .unwrap_or_else(|| panic!("{address:#x} is not a precompile under {fork}"))
}

fn gas(address: u16, input: &[u8], fork: Fork) -> u64 {
    call(address, input, u64::MAX, fork).unwrap().gas_used
}

#[test]
fn each_fork_activates_its_precompiles() {
    for (fork, count, last) in [
        (Fork::Frontier, 4, 0x04),
        (Fork::SpuriousDragon, 4, 0x04),
        (Fork::Byzantium, 8, 0x08),
        (Fork::Petersburg, 8, 0x08),
        (Fork::Istanbul, 9, 0x09),
        (Fork::Shanghai, 9, 0x09),
        (Fork::Cancun, 10, 0x0a),
        (Fork::Prague, 17, 0x11),
        (Fork::Osaka, 18, 0x100),
        (Fork::Bpo5, 18, 0x100),
    ] {
        let active = active_precompiles(fork);
        assert_eq!(active.len(), count, "{fork}");
        assert_eq!(active.last(), Some(&precompile_address(last)), "{fork}");
        for address in active {
            assert!(is_precompile(address, fork), "{address} under {fork}");
        }
        let next = precompile_address(if last == 0x11 { 0x100 } else { last + 1 });
        assert!(!is_precompile(&next, fork), "{next} under {fork}");
        assert!(execute_precompile(&next, &[], u64::MAX, fork).is_none());
    }
}

#[test]
fn non_precompile_addresses_are_never_precompiles() {
    for address in [
        Address::ZERO,
        precompile_address(0x12),
        precompile_address(0x101),
        Address::with_last_byte(0xff),
        Address::repeat_byte(0x01),
    ] {
        assert!(!is_precompile(&address, Fork::Bpo5), "{address}");
    }
}

#[test]
fn precompiles_are_listed_in_activation_order() {
    assert!(PRECOMPILES.windows(2).all(|w| w[0].since <= w[1].since));
    assert!(PRECOMPILES.windows(2).all(|w| w[0].address < w[1].address));
}

#[test]
fn data_precompiles_charge_base_plus_per_word() {
    for (address, base, per_word) in [(0x02, 60, 12), (0x03, 600, 120), (0x04, 15, 3)] {
        for (len, words) in [(0, 0), (1, 1), (32, 1), (33, 2), (64, 2), (1000, 32)] {
            let cost = gas(address, &vec![0xab; len], Fork::Frontier);
            assert_eq!(cost, base + per_word * words, "{address:#x}, {len} bytes");
        }
    }
}

#[test]
fn data_precompiles_return_known_outputs() {
    let sha = call(0x02, b"abc", 1000, Fork::Frontier).unwrap().output;
    assert_eq!(
        sha[..],
        hex!("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    );
    let ripemd = call(0x03, b"abc", 1000, Fork::Frontier).unwrap().output;
    assert_eq!(
        ripemd[..],
        hex!("0000000000000000000000008eb208f7e05d987a9b044a8e98c6b087f15a0bfc")
    );
    let identity = call(0x04, b"ethrex", 1000, Fork::Frontier).unwrap().output;
    assert_eq!(identity, Bytes::from_static(b"ethrex"));
}

#[test]
fn ecrecover_rejects_bad_v_and_pads_short_input() {
    // hash || v || r || s of go-ethereum's "ValidKey" vector.
    let valid = hex!(
        "18c547e4f7b0f325ad1e56f57e26c745b09a3e503d86e00e5255ff7f715d3d1c"
        "000000000000000000000000000000000000000000000000000000000000001c"
        "73b1693892219d736caba55bdb67216e485557ea6b6af75f37096c9aa6a5a75f"
        "eeb940b1d03b21e36b0e47e79769f095fe2ab855bd91e3a38756b7d75a9c4549"
    );
    let signer = hex!("000000000000000000000000a94f5374fce5edbc8e2a8697c15331677e6ebf0b");
    assert_eq!(
        call(0x01, &valid, 3000, Fork::Frontier).unwrap().output[..],
        signer
    );
    // Trailing bytes are ignored.
    let longer = [&valid[..], &[0xff; 10]].concat();
    assert_eq!(
        call(0x01, &longer, 3000, Fork::Frontier).unwrap().output[..],
        signer
    );
    for v in [0u8, 1, 26, 29] {
        let mut bad = valid;
        bad[63] = v;
        assert!(
            call(0x01, &bad, 3000, Fork::Frontier)
                .unwrap()
                .output
                .is_empty(),
            "v={v}"
        );
    }
    // A truncated s is zero-padded into another (invalid) signature: empty output, no error.
    let short = call(0x01, &valid[..100], 3000, Fork::Frontier).unwrap();
    assert_ne!(short.output[..], signer);
    assert!(
        call(0x01, &[], 3000, Fork::Frontier)
            .unwrap()
            .output
            .is_empty()
    );
    assert_eq!(
        call(0x01, &valid, 2999, Fork::Frontier),
        Err(PrecompileError::OutOfGas)
    );
}

#[test]
fn bn254_is_repriced_in_istanbul() {
    let pair = [0u8; 192];
    for (fork, add, mul, pairing_empty, pairing_one) in [
        (Fork::Byzantium, 500, 40_000, 100_000, 180_000),
        (Fork::Petersburg, 500, 40_000, 100_000, 180_000),
        (Fork::Istanbul, 150, 6_000, 45_000, 79_000),
        (Fork::Osaka, 150, 6_000, 45_000, 79_000),
    ] {
        assert_eq!(gas(0x06, &[], fork), add, "{fork}");
        assert_eq!(gas(0x07, &[], fork), mul, "{fork}");
        assert_eq!(gas(0x08, &[], fork), pairing_empty, "{fork}");
        assert_eq!(gas(0x08, &pair, fork), pairing_one, "{fork}");
    }
}

#[test]
fn bn254_pads_short_input_and_checks_pairing_length() {
    // Empty input: infinity + infinity, infinity * 0, and an empty pairing product (true).
    assert_eq!(
        call(0x06, &[], 150, Fork::Istanbul).unwrap().output,
        Bytes::from(vec![0; 64])
    );
    assert_eq!(
        call(0x07, &[], 6000, Fork::Istanbul).unwrap().output,
        Bytes::from(vec![0; 64])
    );
    let one = B256::with_last_byte(1);
    assert_eq!(
        call(0x08, &[], 45_000, Fork::Istanbul).unwrap().output[..],
        one[..]
    );
    assert!(matches!(
        call(0x08, &[0; 191], u64::MAX, Fork::Istanbul),
        Err(PrecompileError::InvalidInput(_))
    ));
    // A point off the curve is an error, not an empty output.
    assert!(matches!(
        call(0x06, &[1; 128], u64::MAX, Fork::Istanbul),
        Err(PrecompileError::InvalidInput(_))
    ));
}

#[test]
fn blake2f_charges_one_gas_per_round_and_checks_the_flag_after_charging() {
    let mut input = [0u8; 213];
    input[..4].copy_from_slice(&1000u32.to_be_bytes());
    assert_eq!(gas(0x09, &input, Fork::Istanbul), 1000);
    assert_eq!(
        call(0x09, &input, 999, Fork::Istanbul),
        Err(PrecompileError::OutOfGas)
    );
    input[212] = 2;
    assert_eq!(
        call(0x09, &input, 999, Fork::Istanbul),
        Err(PrecompileError::OutOfGas)
    );
    assert!(matches!(
        call(0x09, &input, 1000, Fork::Istanbul),
        Err(PrecompileError::InvalidInput(_))
    ));
}

#[test]
fn point_evaluation_rejects_bad_length_and_mismatched_hash() {
    let vectors: Vec<Vector> =
        serde_json::from_str(include_str!("../../tests/precompiles/pointEvaluation.json")).unwrap();
    let valid = hex::decode(&vectors[0].input).unwrap();
    assert_eq!(gas(0x0a, &valid, Fork::Cancun), 50_000);
    let mut wrong_hash = valid.clone();
    wrong_hash[0] = 0x02; // a version other than KZG's
    let mut wrong_y = valid.clone();
    wrong_y[95] ^= 1;
    for bad in [&valid[..191], &wrong_hash[..], &wrong_y[..], &[][..]] {
        assert!(matches!(
            call(0x0a, bad, u64::MAX, Fork::Cancun),
            Err(PrecompileError::InvalidInput(_))
        ));
    }
}

#[test]
fn p256verify_costs_6900_and_returns_empty_on_any_invalid_input() {
    for input in [
        &[][..],
        &[0u8; 159][..],
        &[0u8; 160][..],
        &[0u8; 161][..],
        &[1u8; 160][..],
    ] {
        let out = call(0x100, input, 6900, Fork::Osaka).unwrap();
        assert_eq!(
            (out.gas_used, out.output.len()),
            (6900, 0),
            "{} bytes",
            input.len()
        );
    }
    assert_eq!(
        call(0x100, &[], 6899, Fork::Osaka),
        Err(PrecompileError::OutOfGas)
    );
}

#[test]
fn bls12_381_wrong_lengths_fail_whatever_the_gas() {
    for (address, len) in [
        (0x0b, 255),
        (0x0c, 0),
        (0x0c, 161),
        (0x0d, 511),
        (0x0e, 287),
        (0x0f, 0),
        (0x0f, 385),
        (0x10, 65),
        (0x11, 127),
    ] {
        assert!(
            matches!(
                call(address, &vec![0; len], u64::MAX, Fork::Prague),
                Err(PrecompileError::InvalidInput(_))
            ),
            "{address:#x} with {len} bytes"
        );
    }
}

#[test]
fn bls12_381_gas_matches_eip2537() {
    for (address, len, cost) in [
        (0x0b, 256, 375),
        (0x0d, 512, 600),
        (0x0c, 160, 12_000),
        (0x0c, 320, 2 * 12_000 * 949 / 1000),
        (0x0e, 288, 22_500),
        (0x0f, 384, 37_700 + 32_600),
        (0x0f, 768, 37_700 + 2 * 32_600),
        (0x10, 64, 5_500),
        (0x11, 128, 23_800),
    ] {
        // All-zero input: infinity points, zero scalars, the zero field element.
        assert_eq!(
            gas(address, &vec![0; len], Fork::Prague),
            cost,
            "{address:#x}"
        );
    }
}
