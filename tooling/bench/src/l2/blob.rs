//! Transfers per full blob: the blocks the L2 produced for the transfers (`debug_getRawBlock`,
//! with each block's recorded fee parameters from the `ethrex_get*` methods) packed in order
//! into one batch blob with [`BatchSizer`], the first block that no longer fits cut to the
//! longest prefix of its transactions that does (same header). The result is checked with
//! [`encode_batch`]: it encodes into one blob, and one more transaction would not fit.

use alloy_primitives::hex;
use ethrex_common::types::{Block, FeeConfig, Transaction, decode_block};
use ethrex_l2_common::{
    blob::{BatchSizer, MAX_PAYLOAD_BYTES},
    encode_batch,
};
use serde_json::{Value, json};

use crate::dev::rpc::Client;

/// A block of the L2 with the fee parameters it was built with.
pub struct L2Block {
    pub block: Block,
    pub fee_config: FeeConfig,
}

/// Blocks `first..=last` of the L2 that hold transactions.
pub fn fetch(client: &mut Client, first: u64, last: u64) -> Result<Vec<L2Block>, String> {
    let mut blocks = Vec::new();
    for number in first..=last {
        let raw = client.call("debug_getRawBlock", json!([format!("{number:#x}")]))?;
        let bytes = raw
            .as_str()
            .and_then(|s| hex::decode(s).ok())
            .ok_or_else(|| format!("debug_getRawBlock({number}): not hex: {raw:.80}"))?;
        let block = decode_block(&bytes).map_err(|e| format!("block #{number}: {e}"))?;
        if block.body.transactions.is_empty() {
            continue;
        }
        let at = json!([{ "block_number": number }]);
        let address = |value: Value| -> Result<_, String> {
            serde_json::from_value(value).map_err(|e| format!("block #{number} fee vault: {e}"))
        };
        let number_of = |value: Value| {
            value
                .as_u64()
                .ok_or_else(|| format!("block #{number}: fee parameter {value} not a number"))
        };
        let fee_config = FeeConfig {
            base_fee_vault: address(client.call("ethrex_getBaseFeeVaultAddress", at.clone())?)?,
            operator_fee_vault: address(
                client.call("ethrex_getOperatorFeeVaultAddress", at.clone())?,
            )?,
            operator_fee_per_gas: number_of(client.call("ethrex_getOperatorFee", at.clone())?)?,
            l1_fee_vault: None,
            l1_fee_per_blob_gas: number_of(client.call("ethrex_getL1BlobBaseFee", at)?)?,
        };
        blocks.push(L2Block { block, fee_config });
    }
    Ok(blocks)
}

/// What [`per_full_blob`] found.
pub struct BlobFill {
    /// Transfers in one blob filled with the run's blocks.
    pub transfers: usize,
    /// Whole blocks in it, plus the cut one.
    pub whole_blocks: usize,
    /// Its payload (of [`MAX_PAYLOAD_BYTES`]).
    pub payload_bytes: usize,
    /// Whether the run's blocks filled the blob (otherwise `transfers` is all of them).
    pub full: bool,
}

/// How many of the transfers in `blocks` (in order) fit one batch blob; see the module docs.
/// Every transaction must be a plain (non-privileged) one.
pub fn per_full_blob(blocks: &[L2Block]) -> Result<BlobFill, String> {
    let mut sizer = BatchSizer::new();
    let mut packed: Vec<Block> = Vec::new();
    let mut fees: Vec<FeeConfig> = Vec::new();
    let (mut transfers, mut whole_blocks) = (0, 0);
    let mut full = false;
    for L2Block { block, fee_config } in blocks {
        if let Some(tx) = block
            .body
            .transactions
            .iter()
            .find(|tx| matches!(tx, Transaction::Privileged(_)))
        {
            return Err(format!(
                "block #{} holds a privileged transaction {} among the transfers",
                block.header.number,
                tx.hash()
            ));
        }
        if sizer.fits(block, fee_config) {
            sizer
                .try_push(block, fee_config)
                .map_err(|e| e.to_string())?;
            transfers += block.body.transactions.len();
            whole_blocks += 1;
            packed.push(block.clone());
            fees.push(*fee_config);
            continue;
        }
        // The longest prefix of this block's transactions that still fits.
        let cut = |k: usize| {
            let mut cut = block.clone();
            cut.body.transactions.truncate(k);
            cut
        };
        let (mut fits, mut too_many) = (0, block.body.transactions.len());
        while too_many - fits > 1 {
            let middle = (fits + too_many) / 2;
            if sizer.fits(&cut(middle), fee_config) {
                fits = middle;
            } else {
                too_many = middle;
            }
        }
        if fits > 0 {
            let block = cut(fits);
            sizer
                .try_push(&block, fee_config)
                .map_err(|e| e.to_string())?;
            packed.push(block);
            fees.push(*fee_config);
        }
        transfers += fits;
        full = true;
        break;
    }
    if packed.is_empty() {
        return Err("no L2 block with transfers to fill a blob with".into());
    }
    // The check: the packed blocks encode into one blob.
    encode_batch(&packed, &fees).map_err(|e| format!("the filled blob does not encode: {e}"))?;
    Ok(BlobFill {
        transfers,
        whole_blocks,
        payload_bytes: sizer.payload_length(),
        full,
    })
}

/// The blob's payload capacity, for the report.
pub const CAPACITY: usize = MAX_PAYLOAD_BYTES;

#[cfg(test)]
mod tests {
    use ethrex_common::{
        dev::dev_accounts,
        types::{BlockBody, Header},
    };

    use super::*;
    use crate::dev::txs::{Call, Sender, fresh_address, sign};

    /// A block of `count` signed transfers from dev account #0.
    fn block(number: u64, first_nonce: u64, count: u64) -> L2Block {
        let account = dev_accounts().unwrap()[0];
        let sender = Sender {
            secret: account.secret,
            address: account.address,
        };
        let transactions = (first_nonce..first_nonce + count)
            .map(|nonce| {
                sign(
                    65_536_999,
                    &sender,
                    nonce,
                    Call::transfer(fresh_address(0, nonce)),
                )
                .unwrap()
            })
            .collect();
        let header = Header {
            number,
            gas_limit: 30_000_000,
            ..Default::default()
        };
        let body = BlockBody {
            transactions,
            ..Default::default()
        };
        L2Block {
            block: Block::new(header, body),
            fee_config: FeeConfig::default(),
        }
    }

    #[test]
    fn a_blob_is_filled_to_the_last_transfer_that_fits() {
        let blocks = [block(1, 0, 600), block(2, 600, 600)];
        let fill = per_full_blob(&blocks).unwrap();
        assert!(fill.full);
        assert_eq!(fill.whole_blocks, 1);
        assert!(fill.transfers > 600 && fill.transfers < 1200);
        assert!(fill.payload_bytes <= CAPACITY);
        // One more transfer of the second block would not fit.
        let mut sizer = BatchSizer::new();
        sizer
            .try_push(&blocks[0].block, &blocks[0].fee_config)
            .unwrap();
        let mut more = blocks[1].block.clone();
        more.body.transactions.truncate(fill.transfers - 600 + 1);
        assert!(!sizer.fits(&more, &blocks[1].fee_config));
        more.body.transactions.pop();
        assert!(sizer.fits(&more, &blocks[1].fee_config));
    }

    #[test]
    fn blocks_that_do_not_fill_a_blob_say_so() {
        let fill = per_full_blob(&[block(1, 0, 10)]).unwrap();
        assert!(!fill.full);
        assert_eq!((fill.transfers, fill.whole_blocks), (10, 1));
        assert!(per_full_blob(&[]).is_err());
    }
}
