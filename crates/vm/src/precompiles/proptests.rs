//! Property tests of the precompile layer: random and structured malformed inputs never panic,
//! never charge more than the gas limit, and MODEXP always answers on `mod_len` bytes.

use alloy_primitives::{Address, B256};
use ethrex_common::Fork;
use proptest::prelude::*;

use super::{active_precompiles, execute_precompile, is_precompile, tests::call};

/// Every precompile under the latest fork, with its address.
fn all_addresses() -> impl Strategy<Value = Address> {
    prop::sample::select(active_precompiles(Fork::Bpo5).to_vec())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_input_never_panics_and_respects_the_gas_limit(
        address in all_addresses(),
        input in prop::collection::vec(any::<u8>(), 0..800),
        gas_limit in 0u64..2_000_000,
        fork in prop::sample::select(vec![Fork::Byzantium, Fork::Istanbul, Fork::Berlin, Fork::Osaka]),
    ) {
        let fork = if is_precompile(&address, fork) { fork } else { Fork::Osaka };
        if let Some(Ok(out)) = execute_precompile(&address, &input, gas_limit, fork) {
            prop_assert!(out.gas_used <= gas_limit);
        }
    }

    #[test]
    fn modexp_with_small_lengths_returns_modulus_length_output(
        base_len in 0usize..80,
        exp_len in 0usize..40,
        mod_len in 0usize..80,
        data in prop::collection::vec(any::<u8>(), 0..200),
        fork in prop::sample::select(vec![Fork::Byzantium, Fork::Berlin, Fork::Osaka]),
    ) {
        let mut input = Vec::new();
        for len in [base_len, exp_len, mod_len] {
            input.extend_from_slice(B256::left_padding_from(&len.to_be_bytes()).as_slice());
        }
        input.extend_from_slice(&data);
        let out = call(0x05, &input, u64::MAX, fork).unwrap();
        prop_assert_eq!(out.output.len(), mod_len);
    }

    #[test]
    fn structured_curve_inputs_never_panic(
        words in prop::collection::vec(
            prop_oneof![
                Just([0u8; 32]),
                Just([0xff; 32]),
                Just(B256::with_last_byte(1).0),
                Just(B256::with_last_byte(2).0),
                any::<[u8; 32]>(),
            ],
            0..24,
        ),
        address in prop::sample::select(vec![0x06u16, 0x07, 0x08, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11]),
    ) {
        let input: Vec<u8> = words.concat();
        let _ = call(address, &input, 10_000_000, Fork::Osaka);
    }
}
