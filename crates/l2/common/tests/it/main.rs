//! ethrex-l2-common on executed blocks: chains built by `ethrex-chaingen` (ETH and ERC20
//! transfers through the real block builder, with their receipts) go through the batch blob
//! and back unchanged, a committer filling a batch block by block stops where the blob is
//! full, and the receipts' logs of other contracts give no L1 message.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a failed step aborts the test that called it"
)]

use ethrex_chaingen::{ChainParams, Generator};
use ethrex_common::types::{Block, FeeConfig, Receipt, transactions_root};
use ethrex_l2_common::{
    BatchBlob, Error, SidecarVersion, blob, decode_batch, encode_batch, messages,
};

/// `count` executed blocks of `gas_limit` (transactions up to half of it), half ERC20.
fn executed_chain(count: usize, gas_limit: u64) -> Vec<(Block, Vec<Receipt>)> {
    let params = ChainParams {
        senders: 40,
        gas_limit,
        erc20_share: 50,
        seed: 7,
    };
    let mut generator = Generator::new(&params).unwrap();
    (0..count)
        .map(|_| {
            let built = generator.next_block().unwrap();
            (built.block, built.receipts)
        })
        .collect()
}

fn fee_config(i: usize) -> FeeConfig {
    FeeConfig {
        base_fee_vault: Some(alloy_primitives::Address::repeat_byte(1)),
        operator_fee_vault: i
            .is_multiple_of(2)
            .then(|| alloy_primitives::Address::repeat_byte(2)),
        operator_fee_per_gas: i as u64 * 10,
        l1_fee_vault: None,
        l1_fee_per_blob_gas: 1 + i as u64,
    }
}

/// rlp([[blocks], [fee_configs]]) through alloy's `Vec` encoding.
fn batch_rlp_length(blocks: &[Block], fees: &[FeeConfig]) -> usize {
    let inner = alloy_rlp::encode(blocks.to_vec()).len() + alloy_rlp::encode(fees.to_vec()).len();
    inner + alloy_rlp::length_of_length(inner)
}

#[test]
fn executed_blocks_round_trip_through_the_blob() {
    let chain = executed_chain(3, 2_000_000);
    let blocks: Vec<Block> = chain.iter().map(|(b, _)| b.clone()).collect();
    assert!(blocks.iter().all(|b| b.body.transactions.len() > 10));
    let fees: Vec<FeeConfig> = (0..blocks.len()).map(fee_config).collect();

    let batch = BatchBlob::from_batch(&blocks, &fees, SidecarVersion::CellProofs).unwrap();
    assert!(batch.verify().unwrap());
    let (decoded, decoded_fees) = decode_batch(batch.blob.as_bytes()).unwrap();
    assert_eq!(decoded, blocks);
    assert_eq!(decoded_fees, fees);
    for (got, want) in decoded.iter().zip(&blocks) {
        // The decoded blocks are the executed ones: same hashes, bodies matching the headers,
        // signatures recovering.
        assert_eq!(got.header.hash_slow(), want.header.hash_slow());
        assert_eq!(
            transactions_root(&got.body.transactions),
            got.header.transactions_root
        );
        assert!(got.body.transactions.iter().all(|tx| tx.sender().is_ok()));
    }
}

#[test]
fn a_committer_filling_block_by_block_stops_where_the_blob_is_full() {
    // About 11 kB per block: the blob fills after roughly ten.
    let chain = executed_chain(16, 4_000_000);
    let blocks: Vec<Block> = chain.into_iter().map(|(b, _)| b).collect();
    let fees: Vec<FeeConfig> = (0..blocks.len()).map(fee_config).collect();
    let mut sizer = blob::BatchSizer::new();
    let mut taken = 0;
    for (block, fee) in blocks.iter().zip(&fees) {
        if !sizer.fits(block, fee) {
            break;
        }
        sizer.try_push(block, fee).unwrap();
        taken += 1;
        assert_eq!(
            sizer.payload_length(),
            batch_rlp_length(&blocks[..taken], &fees[..taken])
        );
    }
    assert!(taken > 1 && taken < blocks.len(), "{taken} blocks taken");
    let one_more = batch_rlp_length(&blocks[..=taken], &fees[..=taken]);
    assert!(one_more > blob::MAX_PAYLOAD_BYTES);
    assert!(batch_rlp_length(&blocks[..taken], &fees[..taken]) <= blob::MAX_PAYLOAD_BYTES);

    let blob = encode_batch(&blocks[..taken], &fees[..taken]).unwrap();
    assert_eq!(decode_batch(blob.as_bytes()).unwrap().0.len(), taken);
    let err = encode_batch(&blocks[..=taken], &fees[..=taken]).unwrap_err();
    let Error::PayloadTooLarge { size, excess, .. } = err else {
        panic!("{err:?}");
    };
    assert_eq!(size, one_more);
    assert_eq!(excess, one_more - blob::MAX_PAYLOAD_BYTES);
    eprintln!(
        "committer: {taken} executed blocks of ~{} transactions fill one blob ({} bytes)",
        blocks[0].body.transactions.len(),
        sizer.payload_length()
    );
}

#[test]
fn token_transfer_logs_of_executed_blocks_are_no_l1_messages() {
    for (block, receipts) in executed_chain(2, 2_000_000) {
        let logs: usize = receipts.iter().map(|r| r.logs().len()).sum();
        assert!(logs > 0, "the ERC20 transfers log");
        let found = messages::block_l1_messages(&block, &receipts).unwrap();
        assert_eq!(found, messages::BlockMessages::default());
        let err = messages::block_l1_messages(&block, &receipts[1..]).unwrap_err();
        assert!(err.to_string().contains("receipts for"), "{err}");
    }
}
