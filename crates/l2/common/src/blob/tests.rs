//! The batch blob codec on blocks of signed transactions over a real genesis header: round
//! trips, the exact-fit boundary, the packing layout and padding rules, every decoding error,
//! and random or mutated blobs (never a panic; whatever decodes re-encodes to the same blob).
//! Expected bytes and sizes come from `alloy_rlp::encode` of the parts, not from the codec.

use alloy_primitives::Address;
use alloy_rlp::Encodable;
use ethrex_common::{
    Fork,
    constants::EMPTY_OMMERS_HASH,
    types::{BlockBody, Header, Transaction, transactions_root},
};
use ethrex_test_utils::{GenesisBuilder, TxBuilder, dev_secret};
use proptest::prelude::*;

use super::*;

const L2_CHAIN_ID: u64 = 65_536_999;

/// A child of `parent` holding `transactions` (not executed: the codec does not look at state).
fn child(parent: &Header, transactions: Vec<Transaction>) -> Block {
    let header = Header {
        parent_hash: parent.hash_slow(),
        number: parent.number + 1,
        timestamp: parent.timestamp + 5,
        gas_used: transactions.iter().map(Transaction::gas_limit).sum(),
        transactions_root: transactions_root(&transactions),
        ommers_hash: EMPTY_OMMERS_HASH,
        base_fee_per_gas: Some(7),
        ..parent.clone()
    };
    Block::new(
        header,
        BlockBody {
            transactions,
            ommers: vec![],
            withdrawals: Some(Default::default()),
        },
    )
}

fn genesis_header() -> Header {
    GenesisBuilder::new(Fork::Osaka)
        .chain_id(L2_CHAIN_ID)
        .build()
        .header()
        .unwrap()
}

/// `count` signed L2 transfers of `value` wei from dev account `sender`, nonces from `nonce`.
fn transfers(sender: usize, nonce: u64, count: u64) -> Vec<Transaction> {
    (nonce..nonce + count)
        .map(|n| {
            TxBuilder::new()
                .chain_id(L2_CHAIN_ID)
                .signer(dev_secret(sender))
                .nonce(n)
                .to(Address::repeat_byte(0x11u8.wrapping_add(n as u8)))
                .value(1_000_000_000_000 + n)
                .eip1559()
        })
        .collect()
}

fn vaults(rate: u64) -> FeeConfig {
    FeeConfig {
        base_fee_vault: Some(Address::repeat_byte(0xb0)),
        operator_fee_vault: Some(Address::repeat_byte(0x0f)),
        operator_fee_per_gas: rate,
        l1_fee_vault: Some(Address::repeat_byte(0x11)),
        l1_fee_per_blob_gas: 3,
    }
}

/// Three blocks: transfers of two senders and every other kind, an empty block.
fn sample_batch() -> (Vec<Block>, Vec<FeeConfig>) {
    let genesis = genesis_header();
    let mut first = transfers(0, 0, 3);
    first.push(TxBuilder::new().chain_id(L2_CHAIN_ID).nonce(3).legacy());
    first.push(
        TxBuilder::new()
            .chain_id(L2_CHAIN_ID)
            .nonce(4)
            .create()
            .data(vec![0x60, 0x00, 0x60, 0x00, 0xf3])
            .gas_limit(100_000)
            .eip2930(),
    );
    let b1 = child(&genesis, first);
    let b2 = child(&b1.header, transfers(1, 0, 5));
    let b3 = child(&b2.header, vec![]);
    let fees = vec![vaults(1), FeeConfig::default(), vaults(u64::MAX)];
    (vec![b1, b2, b3], fees)
}

/// rlp([[blocks], [fee_configs]]) through alloy's `Vec` encoding.
fn expected_rlp(blocks: &[Block], fees: &[FeeConfig]) -> Vec<u8> {
    let inner = [
        alloy_rlp::encode(blocks.to_vec()),
        alloy_rlp::encode(fees.to_vec()),
    ]
    .concat();
    let mut out = Vec::new();
    alloy_rlp::Header {
        list: true,
        payload_length: inner.len(),
    }
    .encode(&mut out);
    out.extend_from_slice(&inner);
    out
}

/// The blob layout: field element i is 0x00 followed by payload bytes 31i..31i+31, then zeros.
fn assert_layout(blob: &[u8], payload: &[u8]) {
    assert_eq!(blob.len(), 131_072);
    for (i, element) in blob.chunks(32).enumerate() {
        assert_eq!(element[0], 0, "field element {i} high byte");
        for (j, byte) in element[1..].iter().enumerate() {
            let expected = payload.get(i * 31 + j).copied().unwrap_or(0);
            assert_eq!(*byte, expected, "field element {i} byte {j}");
        }
    }
}

#[test]
fn a_batch_round_trips_and_is_laid_out_31_bytes_per_field_element() {
    let (blocks, fees) = sample_batch();
    let blob = encode_batch(&blocks, &fees).unwrap();
    assert_layout(blob.as_bytes(), &expected_rlp(&blocks, &fees));
    let (decoded_blocks, decoded_fees) = decode_batch(blob.as_bytes()).unwrap();
    assert_eq!(decoded_blocks, blocks);
    assert_eq!(decoded_fees, fees);
    let hashes: Vec<_> = decoded_blocks
        .iter()
        .map(|b| b.header.hash_slow())
        .collect();
    assert_eq!(hashes[1], decoded_blocks[2].header.parent_hash);
    assert_eq!(
        decoded_blocks[0].body.transactions[4].hash(),
        blocks[0].body.transactions[4].hash()
    );
}

#[test]
fn sizer_tracks_the_payload_block_by_block() {
    let (blocks, fees) = sample_batch();
    let mut sizer = BatchSizer::new();
    assert_eq!(sizer.payload_length(), expected_rlp(&[], &[]).len());
    for n in 1..=blocks.len() {
        let expected = expected_rlp(&blocks[..n], &fees[..n]).len();
        assert_eq!(
            sizer.payload_length_with(&blocks[n - 1], &fees[n - 1]),
            expected
        );
        assert!(sizer.fits(&blocks[n - 1], &fees[n - 1]));
        sizer.try_push(&blocks[n - 1], &fees[n - 1]).unwrap();
        assert_eq!(sizer.payload_length(), expected, "after {n} blocks");
        assert_eq!(sizer.blocks(), n);
    }
}

/// A one-block batch whose only transaction carries `data_len` bytes of calldata.
fn batch_with_calldata(data_len: usize) -> (Vec<Block>, Vec<FeeConfig>) {
    let tx = TxBuilder::new()
        .chain_id(L2_CHAIN_ID)
        .data(vec![0xab; data_len])
        .gas_limit(30_000_000)
        .eip1559();
    (vec![child(&genesis_header(), vec![tx])], vec![vaults(2)])
}

#[test]
fn exactly_126976_payload_bytes_fit_and_one_more_does_not() {
    // Find the calldata length whose batch RLP is exactly 126,976 bytes (each step corrects by
    // the difference; a signature one byte shorter or longer can take another step).
    let mut data_len = 126_000;
    for _ in 0..10 {
        let size = expected_rlp_len(data_len);
        if size == 126_976 {
            break;
        }
        data_len = data_len + 126_976 - size;
    }
    assert_eq!(expected_rlp_len(data_len), 126_976);

    let (blocks, fees) = batch_with_calldata(data_len);
    let blob = encode_batch(&blocks, &fees).unwrap();
    // Every field element is full: the last payload byte is the last byte of the blob.
    let payload = expected_rlp(&blocks, &fees);
    assert_layout(blob.as_bytes(), &payload);
    assert_eq!(blob.as_bytes()[131_071], payload[126_975]);
    assert_eq!(decode_batch(blob.as_bytes()).unwrap().0, blocks);
    assert!(BatchSizer::new().fits(&blocks[0], &fees[0]));

    let (blocks, fees) = batch_with_calldata(data_len + 1);
    let err = encode_batch(&blocks, &fees).unwrap_err();
    assert!(
        matches!(
            err,
            Error::PayloadTooLarge {
                size: 126_977,
                max: 126_976,
                excess: 1
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "batch payload is 126977 bytes, 1 more than the 126976 bytes one blob holds"
    );
    let mut sizer = BatchSizer::new();
    assert!(!sizer.fits(&blocks[0], &fees[0]));
    assert!(sizer.try_push(&blocks[0], &fees[0]).is_err());
    assert_eq!(sizer.blocks(), 0, "a refused block is not added");
}

fn expected_rlp_len(data_len: usize) -> usize {
    let (blocks, fees) = batch_with_calldata(data_len);
    expected_rlp(&blocks, &fees).len()
}

#[test]
fn encoding_refuses_mismatched_counts_and_empty_batches() {
    let (blocks, fees) = sample_batch();
    let err = encode_batch(&blocks, &fees[..2]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "3 blocks but 2 fee configs: a batch has one fee config per block"
    );
    assert!(matches!(encode_batch(&[], &[]), Err(Error::EmptyBatch)));
}

/// A blob holding `payload` (packed by hand, not by the codec).
fn blob_of(payload: &[u8]) -> Vec<u8> {
    let mut blob = vec![0u8; 131_072];
    for (i, chunk) in payload.chunks(31).enumerate() {
        blob[i * 32 + 1..i * 32 + 1 + chunk.len()].copy_from_slice(chunk);
    }
    blob
}

fn list(items: &[&[u8]]) -> Vec<u8> {
    let payload = items.concat();
    let mut out = Vec::new();
    alloy_rlp::Header {
        list: true,
        payload_length: payload.len(),
    }
    .encode(&mut out);
    out.extend_from_slice(&payload);
    out
}

#[test]
fn decoding_checks_length_high_bytes_and_padding() {
    let (blocks, fees) = sample_batch();
    let good = encode_batch(&blocks, &fees).unwrap().into_bytes().to_vec();
    let end = expected_rlp(&blocks, &fees).len();

    assert!(matches!(
        decode_batch(&good[..131_071]),
        Err(Error::BlobLength {
            got: 131_071,
            expected: 131_072
        })
    ));
    let mut high = good.clone();
    high[4095 * 32] = 1;
    assert!(matches!(
        decode_batch(&high),
        Err(Error::FieldElementHighByte {
            index: 4095,
            byte: 1
        })
    ));
    // A non-zero byte right after the RLP, and at the very end of the blob.
    let after_end = (end / 31) * 32 + 1 + end % 31;
    for (position, payload_offset) in [(after_end, end), (131_071, 126_975)] {
        let mut padded = good.clone();
        padded[position] = 9;
        let err = decode_batch(&padded).unwrap_err();
        assert!(
            matches!(err, Error::NonZeroPadding { offset, byte: 9, end: e } if offset == payload_offset && e == end),
            "{err:?}"
        );
    }
    // An all-zero blob is no batch (0x00 is a string, not a list).
    assert!(matches!(
        decode_batch(&[0; 131_072]),
        Err(Error::Rlp {
            what: "batch list",
            ..
        })
    ));
}

#[test]
fn decoding_checks_the_structure_and_counts() {
    let (blocks, fees) = sample_batch();
    let b: Vec<Vec<u8>> = blocks.iter().map(alloy_rlp::encode).collect();
    let f: Vec<Vec<u8>> = fees.iter().map(alloy_rlp::encode).collect();

    let two_blocks_one_fee = list(&[&list(&[&b[0], &b[1]]), &list(&[&f[0]])]);
    assert!(matches!(
        decode_batch(&blob_of(&two_blocks_one_fee)),
        Err(Error::CountMismatch {
            blocks: 2,
            fee_configs: 1
        })
    ));
    let empty = list(&[&list(&[]), &list(&[])]);
    assert!(matches!(
        decode_batch(&blob_of(&empty)),
        Err(Error::EmptyBatch)
    ));
    let three_items = list(&[&list(&[&b[0]]), &list(&[&f[0]]), &list(&[])]);
    let err = decode_batch(&blob_of(&three_items)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid batch RLP (batch list): more than two items"
    );
    let garbage_block = list(&[&list(&[&[0xc1, 0x80]]), &list(&[&f[0]])]);
    assert!(matches!(
        decode_batch(&blob_of(&garbage_block)),
        Err(Error::Rlp { what: "block", .. })
    ));
    let bad_fee = list(&[&list(&[&b[0]]), &list(&[&[0xc4, 0x80, 0x80, 0x80, 0x80]])]);
    assert!(matches!(
        decode_batch(&blob_of(&bad_fee)),
        Err(Error::Rlp {
            what: "fee config",
            ..
        })
    ));
    let string_not_list = [&[0xb9, 0x01, 0x00][..], &[0x01; 256]].concat();
    assert!(matches!(
        decode_batch(&blob_of(&string_not_list)),
        Err(Error::Rlp {
            what: "batch list",
            ..
        })
    ));
    // The outer list claims more bytes than a blob holds.
    let too_long = [0xfa, 0x02, 0x00, 0x00, 0xc0];
    assert!(matches!(
        decode_batch(&blob_of(&too_long)),
        Err(Error::Rlp {
            what: "batch list",
            ..
        })
    ));
}

#[test]
fn decoding_refuses_non_canonical_rlp() {
    let (blocks, _) = sample_batch();
    let b = alloy_rlp::encode(&blocks[2]);
    let f = alloy_rlp::encode(FeeConfig::default());
    assert!(f.len() < 56, "a short fee config");
    let canonical = list(&[&list(&[&b]), &list(&[&f])]);
    assert!(decode_batch(&blob_of(&canonical)).is_ok());
    // The same batch with the fee config list's header in the long form (0xf8 0x07 for 7 bytes).
    let long_fee_list = [&[0xf8, f.len() as u8][..], &f].concat();
    let payload = list(&[&list(&[&b]), &long_fee_list]);
    let err = decode_batch(&blob_of(&payload)).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Rlp {
                what: "fee config list",
                source: alloy_rlp::Error::NonCanonicalSize
            }
        ),
        "{err:?}"
    );
    // The fee config itself with a long-form header.
    let long_fee = [&[0xf8, f.len() as u8 - 1][..], &f[1..]].concat();
    let payload = list(&[&list(&[&b]), &list(&[&long_fee])]);
    let err = decode_batch(&blob_of(&payload)).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Rlp {
                what: "fee config",
                ..
            } | Error::NonCanonical
        ),
        "{err:?}"
    );
}

fn good_blob() -> &'static [u8] {
    static GOOD: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    GOOD.get_or_init(|| {
        let (blocks, fees) = sample_batch();
        encode_batch(&blocks, &fees).unwrap().into_bytes().to_vec()
    })
}

/// Whatever decodes must be exactly what encoding its result writes.
fn check_strict(blob: &[u8]) {
    if let Ok((blocks, fees)) = decode_batch(blob) {
        let again = encode_batch(&blocks, &fees).unwrap();
        assert_eq!(
            again.as_bytes(),
            blob,
            "a decoded blob re-encodes to itself"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn mutated_blobs_never_panic_and_decode_only_to_themselves(
        mutations in proptest::collection::vec((0usize..2_000, any::<u8>()), 1..4)
    ) {
        let mut blob = good_blob().to_vec();
        for (position, byte) in mutations {
            // Mostly inside the encoded batch (its first ~2,000 bytes), high bytes included.
            blob[position] = byte;
        }
        check_strict(&blob);
    }

    #[test]
    fn random_payloads_never_panic(payload in proptest::collection::vec(any::<u8>(), 0..600)) {
        check_strict(&blob_of(&payload));
        // The same bytes behind a valid list header.
        check_strict(&blob_of(&list(&[&payload])));
    }

    #[test]
    fn random_blobs_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200), len in 0usize..140_000) {
        let mut blob = bytes.clone();
        blob.resize(len, 0);
        check_strict(&blob);
    }
}

#[test]
fn decoding_never_panics_on_any_truncation_of_the_batch() {
    let (blocks, fees) = sample_batch();
    let payload = expected_rlp(&blocks, &fees);
    for cut in 0..payload.len() {
        assert!(
            decode_batch(&blob_of(&payload[..cut])).is_err(),
            "cut at {cut}"
        );
    }
}

#[test]
fn counts_simple_transfers_in_one_blob() {
    // One block of EIP-1559 ETH transfers (as `cast send --value` makes them) from 20 senders,
    // with a fee config naming all three vaults: the most that fit, by bisection.
    let genesis = genesis_header();
    let fee = vaults(1_000);
    let txs: Vec<Transaction> = (0..2_000u64)
        .map(|n| transfers((n % 20) as usize, n / 20, 1).remove(0))
        .collect();
    let fits = |n: usize| BatchSizer::new().fits(&child(&genesis, txs[..n].to_vec()), &fee);
    assert!(!fits(txs.len()), "2,000 transfers cannot fit 126,976 bytes");
    let (mut low, mut high) = (0, txs.len()); // fits(low), !fits(high)
    while high - low > 1 {
        let mid = (low + high) / 2;
        if fits(mid) { low = mid } else { high = mid }
    }
    let block = child(&genesis, txs[..low].to_vec());
    let size = expected_rlp(std::slice::from_ref(&block), &[fee]).len();
    assert!(size <= MAX_PAYLOAD_BYTES);
    let next = child(&genesis, txs[..=low].to_vec());
    assert!(expected_rlp(std::slice::from_ref(&next), &[fee]).len() > MAX_PAYLOAD_BYTES);
    let blob = encode_batch(std::slice::from_ref(&block), &[fee]).unwrap();
    assert_eq!(
        decode_batch(blob.as_bytes()).unwrap().0[0]
            .body
            .transactions
            .len(),
        low
    );
    eprintln!(
        "transfers per blob: {low} simple ETH transfers fit in one RLP-block blob ({size} of \
         {MAX_PAYLOAD_BYTES} payload bytes, {} bytes per transfer in the block body; ethrex \
         measured 965)",
        txs[0].length()
    );
}
