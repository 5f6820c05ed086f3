//! Exec proving speed (the benchmark line "exec proving s/batch, Mgas/s"): measured
//! and printed, not asserted (the dev profile and a shared machine say little about speed).

use std::time::Instant;

use alloy_primitives::Address;
use ethrex_l2_prover::execute_batch;

use crate::batch::{FEES, input_of, produce, rollup_chain, transfer};

#[test]
fn exec_proving_time_per_batch_and_mgas_per_second() {
    const BLOCKS: usize = 8;
    const TRANSFERS: usize = 50;
    let chain = rollup_chain();
    let blocks: Vec<_> = (0..BLOCKS)
        .map(|b| {
            let txs = (0..TRANSFERS)
                .map(|i| transfer(i, b as u64, Address::repeat_byte(0x50), 1))
                .collect();
            produce(&chain, txs, FEES)
        })
        .collect();
    let gas: u64 = blocks.iter().map(|b| b.header.gas_used).sum();
    let input = input_of(&chain, &blocks);
    let started = Instant::now();
    let public = execute_batch(&input).unwrap();
    let seconds = started.elapsed().as_secs_f64();
    assert_eq!(
        public.final_state_root,
        blocks[BLOCKS - 1].header.state_root
    );
    println!(
        "exec proving: {BLOCKS} blocks, {} transfers, {gas} gas in {seconds:.3} s/batch, {:.2} Mgas/s",
        BLOCKS * TRANSFERS,
        gas as f64 / seconds / 1e6
    );
}
