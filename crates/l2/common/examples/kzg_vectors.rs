//! Writes a few batch blobs made by our encoder, with our KZG commitment, versioned hash, blob
//! proof and 128 cell proofs, as hex in a JSON file: the input of `make l2-kzg-check`
//! (`tests/l2/kzg_check.py`), which recomputes them with PyPI `ckzg` and compares byte for byte.
//!
//! Usage: `cargo run -p ethrex-l2-common --example kzg_vectors -- <out.json>`

use std::error::Error;

use alloy_primitives::{Address, hex};
use ethrex_common::{
    Fork,
    constants::EMPTY_OMMERS_HASH,
    types::{Block, BlockBody, FeeConfig, Header, Transaction, transactions_root},
};
use ethrex_l2_common::{
    BatchBlob, BlobProofs, SidecarVersion,
    blob::{BatchSizer, encode_batch},
};
use ethrex_test_utils::{GenesisBuilder, TxBuilder, dev_secret};
use serde_json::{Value, json};

const L2_CHAIN_ID: u64 = 65_536_999;

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
    let body = BlockBody {
        transactions,
        ommers: vec![],
        withdrawals: Some(Default::default()),
    };
    Block::new(header, body)
}

fn transfer(sender: usize, nonce: u64) -> Transaction {
    TxBuilder::new()
        .chain_id(L2_CHAIN_ID)
        .signer(dev_secret(sender))
        .nonce(nonce)
        .to(Address::repeat_byte(0x20 + sender as u8))
        .value(1_000_000_000 * (nonce + 1))
        .eip1559()
}

/// Calldata that looks random (a xorshift stream), so that the blob has no structure.
fn noise(len: usize) -> Vec<u8> {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state.to_be_bytes()[0]
        })
        .collect()
}

/// A named batch: its blocks and their fee configs.
type Batch = (&'static str, Vec<Block>, Vec<FeeConfig>);

/// The batches: several blocks of transfers, one empty block, one block filling the blob.
fn batches(genesis: &Header) -> Vec<Batch> {
    let vaults = FeeConfig {
        base_fee_vault: Some(Address::repeat_byte(0xb0)),
        operator_fee_vault: Some(Address::repeat_byte(0x0f)),
        operator_fee_per_gas: 1_000,
        l1_fee_vault: Some(Address::repeat_byte(0x11)),
        l1_fee_per_blob_gas: 3,
    };
    let b1 = child(genesis, (0..4).map(|n| transfer(0, n)).collect());
    let b2 = child(
        &b1.header,
        (0..60)
            .map(|n| transfer(1 + n as usize % 3, n / 3))
            .collect(),
    );
    let b3 = child(&b2.header, vec![]);
    let empty = child(genesis, vec![]);

    // The largest calldata that still fits, found with the sizer and checked by the encoder.
    let with_data = |len: usize| {
        let tx = TxBuilder::new()
            .chain_id(L2_CHAIN_ID)
            .data(noise(len))
            .gas_limit(30_000_000)
            .eip1559();
        child(genesis, vec![tx])
    };
    let mut len = 126_000;
    while BatchSizer::new().fits(&with_data(len + 1), &vaults) {
        len += 1;
    }
    while !BatchSizer::new().fits(&with_data(len), &vaults) {
        len -= 1;
    }
    vec![
        (
            "three blocks of transfers",
            vec![b1, b2, b3],
            vec![vaults, FeeConfig::default(), vaults],
        ),
        ("one empty block", vec![empty], vec![FeeConfig::default()]),
        (
            "a full blob of calldata",
            vec![with_data(len)],
            vec![vaults],
        ),
    ]
}

fn main() -> Result<(), Box<dyn Error>> {
    let out = std::env::args()
        .nth(1)
        .ok_or("usage: kzg_vectors <out.json>")?;
    let genesis = GenesisBuilder::new(Fork::Osaka)
        .chain_id(L2_CHAIN_ID)
        .build()
        .header()?;
    let mut cases: Vec<Value> = Vec::new();
    for (name, blocks, fee_configs) in batches(&genesis) {
        let payload_length = {
            let mut sizer = BatchSizer::new();
            for (block, fee) in blocks.iter().zip(&fee_configs) {
                sizer.try_push(block, fee)?;
            }
            sizer.payload_length()
        };
        let blob = encode_batch(&blocks, &fee_configs)?;
        let with_proof = BatchBlob::new(blob.clone(), SidecarVersion::BlobProof)?;
        let with_cells = BatchBlob::new(blob, SidecarVersion::CellProofs)?;
        let (BlobProofs::Blob(proof), BlobProofs::Cells(cell_proofs)) =
            (&with_proof.proofs, &with_cells.proofs)
        else {
            return Err("unexpected proof kinds".into());
        };
        if !with_proof.verify()? || !with_cells.verify()? {
            return Err(format!("{name}: our own proofs do not verify").into());
        }
        cases.push(json!({
            "name": name,
            "blocks": blocks.len(),
            "payload_length": payload_length,
            "blob": hex::encode(with_proof.blob.as_bytes()),
            "commitment": hex::encode(with_proof.commitment),
            "versioned_hash": hex::encode(with_proof.versioned_hash),
            "blob_proof": hex::encode(proof),
            "cell_proofs": cell_proofs.iter().map(hex::encode).collect::<Vec<_>>(),
        }));
        eprintln!("kzg_vectors: {name}: {payload_length} payload bytes");
    }
    std::fs::write(&out, serde_json::to_string(&cases)?)?;
    eprintln!("kzg_vectors: {} blobs written to {out}", cases.len());
    Ok(())
}
