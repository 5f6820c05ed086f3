//! Blocks on [`Store`]: adding blocks with their receipts (one batch per call, canonical), and
//! reading headers, bodies, blocks, receipts and transaction locations by hash or number.

use std::ops::ControlFlow;

use alloy_eips::eip2718::{Decodable2718, Encodable2718};
use alloy_primitives::B256;
use ethrex_common::types::{Block, BlockBody, Header, Receipt};

use crate::{
    Result, Store, StoreError,
    backend::WriteBatch,
    codec,
    tables::{ChainDataKey, Table, hash_index_key},
};

/// Where a transaction is: its block and its index in that block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TxLocation {
    pub block_hash: B256,
    pub index: u64,
}

/// Whether blocks being added become the canonical chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Placement {
    /// Canonical, the last one the head; canonical entries above it are dropped.
    Canonical,
    /// Stored only: not canonical, no transaction locations (see [`Store::set_canonical_head`]).
    Side,
}

impl Store {
    /// Stores each block with its receipts, makes each the canonical block of its number and the
    /// last one the head (dropping canonical entries above it), all in one atomic write.
    ///
    /// Blocks are expected in chain order, the first one's parent canonical (chain import, sync);
    /// for anything else store with [`Store::add_side_blocks`] and move the chain with
    /// [`Store::set_canonical_head`]. Nothing is written if any block's receipt count differs
    /// from its transaction count.
    ///
    /// The head's branch keeps at most the window of diff layers; older ones are written to disk
    /// in the same batch.
    pub fn add_blocks(&self, blocks: &[(Block, Vec<Receipt>)]) -> Result<()> {
        let batch = self.blocks_batch(blocks, Placement::Canonical)?;
        let head = blocks
            .last()
            .map(|(block, _)| (block.header.state_root, block.header.number));
        self.write_with_head(batch, head)
    }

    /// Stores each block with its receipts without touching the canonical chain (a payload not
    /// yet chosen by fork choice), in one atomic write.
    pub fn add_side_blocks(&self, blocks: &[(Block, Vec<Receipt>)]) -> Result<()> {
        self.backend
            .write(self.blocks_batch(blocks, Placement::Side)?)
    }

    /// Makes the stored block `head` the head of the canonical chain, in one atomic write: it
    /// and its ancestors become canonical (with their transaction locations) down to the first
    /// one that already is, and canonical entries above `head` are dropped.
    pub fn set_canonical_head(&self, head: B256) -> Result<()> {
        let (batch, header) = self.canonical_head_batch(head)?;
        self.write_with_head(batch, Some((header.state_root, header.number)))
    }

    /// The writes of [`Store::set_canonical_head`], and the head's header.
    pub(crate) fn canonical_head_batch(&self, head: B256) -> Result<(WriteBatch, Header)> {
        let mut header = self
            .header_by_hash(&head)?
            .ok_or(StoreError::BlockNotFound(head))?;
        let head_header = header.clone();
        let mut batch = WriteBatch::new();
        self.drop_canonical_above(header.number, &mut batch)?;
        let mut hash = head;
        while self.canonical_hash(header.number)? != Some(hash) {
            batch.put(
                Table::CanonicalHashes,
                header.number.to_be_bytes(),
                hash.as_slice(),
            );
            let body = self
                .body_by_hash(&hash)?
                .ok_or(StoreError::BlockNotFound(hash))?;
            for (index, tx) in (0u64..).zip(&body.transactions) {
                batch.put(
                    Table::TxLocations,
                    tx.hash().as_slice(),
                    hash_index_key(&hash, index),
                );
            }
            if header.number == 0 {
                break;
            }
            hash = header.parent_hash;
            header = self
                .header_by_hash(&hash)?
                .ok_or(StoreError::BlockNotFound(hash))?;
        }
        batch.put(
            Table::ChainData,
            ChainDataKey::HeadHash.key(),
            head.as_slice(),
        );
        Ok((batch, head_header))
    }

    /// The writes of [`Store::add_blocks`] / [`Store::add_side_blocks`].
    pub(crate) fn blocks_batch(
        &self,
        blocks: &[(Block, Vec<Receipt>)],
        placement: Placement,
    ) -> Result<WriteBatch> {
        let mut batch = WriteBatch::new();
        let mut head = None;
        for (block, receipts) in blocks {
            let hash = block.header.hash_slow();
            let number = block.header.number;
            if receipts.len() != block.body.transactions.len() {
                return Err(StoreError::ReceiptCountMismatch {
                    number,
                    hash,
                    transactions: block.body.transactions.len(),
                    receipts: receipts.len(),
                });
            }
            batch.put(
                Table::Headers,
                hash.as_slice(),
                alloy_rlp::encode(&block.header),
            );
            batch.put(
                Table::Bodies,
                hash.as_slice(),
                alloy_rlp::encode(&block.body),
            );
            batch.put(Table::BlockNumbers, hash.as_slice(), number.to_be_bytes());
            let tx_hashes: Vec<B256> = block.body.transactions.iter().map(|tx| tx.hash()).collect();
            for ((index, receipt), tx_hash) in (0u64..).zip(receipts).zip(&tx_hashes) {
                let mut value = Vec::with_capacity(32 + receipt.encode_2718_len());
                value.extend_from_slice(tx_hash.as_slice());
                receipt.encode_2718(&mut value);
                batch.put(Table::Receipts, hash_index_key(&hash, index), value);
            }
            if placement == Placement::Canonical {
                batch.put(
                    Table::CanonicalHashes,
                    number.to_be_bytes(),
                    hash.as_slice(),
                );
                for (index, tx_hash) in (0u64..).zip(&tx_hashes) {
                    batch.put(
                        Table::TxLocations,
                        tx_hash.as_slice(),
                        hash_index_key(&hash, index),
                    );
                }
                head = Some((hash, number));
            }
        }
        if let Some((hash, number)) = head {
            self.drop_canonical_above(number, &mut batch)?;
            batch.put(
                Table::ChainData,
                ChainDataKey::HeadHash.key(),
                hash.as_slice(),
            );
        }
        Ok(batch)
    }

    /// Adds to `batch` the deletion of every canonical entry above `number`.
    fn drop_canonical_above(&self, number: u64, batch: &mut WriteBatch) -> Result<()> {
        let Some(start) = number.checked_add(1) else {
            return Ok(());
        };
        self.backend.for_each_from(
            Table::CanonicalHashes,
            &start.to_be_bytes(),
            &mut |key, _| {
                batch.delete(Table::CanonicalHashes, key);
                Ok(ControlFlow::Continue(()))
            },
        )
    }

    /// The hash of the canonical block with this number.
    pub fn canonical_hash(&self, number: u64) -> Result<Option<B256>> {
        let key = number.to_be_bytes();
        self.backend
            .get(Table::CanonicalHashes, &key)?
            .map(|bytes| codec::hash(Table::CanonicalHashes, &key, &bytes))
            .transpose()
    }

    /// The number of the stored block with this hash.
    pub fn block_number(&self, hash: &B256) -> Result<Option<u64>> {
        self.backend
            .get(Table::BlockNumbers, hash.as_slice())?
            .map(|bytes| codec::u64_be(Table::BlockNumbers, hash.as_slice(), &bytes))
            .transpose()
    }

    pub fn header_by_hash(&self, hash: &B256) -> Result<Option<Header>> {
        self.get_rlp(Table::Headers, hash.as_slice())
    }

    pub fn body_by_hash(&self, hash: &B256) -> Result<Option<BlockBody>> {
        self.get_rlp(Table::Bodies, hash.as_slice())
    }

    /// The block (header and body) with this hash; `None` if either is missing.
    pub fn block_by_hash(&self, hash: &B256) -> Result<Option<Block>> {
        let Some(header) = self.header_by_hash(hash)? else {
            return Ok(None);
        };
        Ok(self
            .body_by_hash(hash)?
            .map(|body| Block::new(header, body)))
    }

    /// The canonical header with this number.
    pub fn header_by_number(&self, number: u64) -> Result<Option<Header>> {
        match self.canonical_hash(number)? {
            Some(hash) => self.header_by_hash(&hash),
            None => Ok(None),
        }
    }

    /// The canonical body with this number.
    pub fn body_by_number(&self, number: u64) -> Result<Option<BlockBody>> {
        match self.canonical_hash(number)? {
            Some(hash) => self.body_by_hash(&hash),
            None => Ok(None),
        }
    }

    /// The canonical block with this number.
    pub fn block_by_number(&self, number: u64) -> Result<Option<Block>> {
        match self.canonical_hash(number)? {
            Some(hash) => self.block_by_hash(&hash),
            None => Ok(None),
        }
    }

    /// The receipt of the transaction at `index` in block `block_hash`.
    pub fn receipt(&self, block_hash: &B256, index: u64) -> Result<Option<Receipt>> {
        let key = hash_index_key(block_hash, index);
        self.backend
            .get(Table::Receipts, &key)?
            .map(|bytes| decode_receipt(&key, &bytes).map(|(_, receipt)| receipt))
            .transpose()
    }

    /// The receipts of block `block_hash`, in transaction order (empty if none are stored).
    pub fn receipts(&self, block_hash: &B256) -> Result<Vec<Receipt>> {
        let receipts = self.receipts_with_tx_hashes(block_hash)?;
        Ok(receipts.into_iter().map(|(_, receipt)| receipt).collect())
    }

    /// The receipts of block `block_hash` with their transactions' hashes, in transaction order
    /// (what log queries need, without reading or hashing the block's body).
    pub fn receipts_with_tx_hashes(&self, block_hash: &B256) -> Result<Vec<(B256, Receipt)>> {
        let mut receipts = Vec::new();
        self.backend.for_each_with_prefix(
            Table::Receipts,
            block_hash.as_slice(),
            &mut |key, value| {
                receipts.push(decode_receipt(key, value)?);
                Ok(ControlFlow::Continue(()))
            },
        )?;
        Ok(receipts)
    }

    /// Where the transaction with this hash sits in the canonical chain. `None` when no
    /// canonical block holds it — also when the block that did left the canonical chain in a
    /// reorg (its entry is kept until a canonical block includes the transaction again, so it is
    /// checked against the canonical hashes here).
    pub fn tx_location(&self, tx_hash: &B256) -> Result<Option<TxLocation>> {
        let key = tx_hash.as_slice();
        let Some(bytes) = self.backend.get(Table::TxLocations, key)? else {
            return Ok(None);
        };
        let (block_hash, index) = codec::hash_index(Table::TxLocations, key, &bytes)?;
        let Some(number) = self.block_number(&block_hash)? else {
            return Ok(None);
        };
        if self.canonical_hash(number)? != Some(block_hash) {
            return Ok(None);
        }
        Ok(Some(TxLocation { block_hash, index }))
    }

    /// The head block's header.
    pub fn head_header(&self) -> Result<Option<Header>> {
        match self.head_hash()? {
            Some(hash) => self.header_by_hash(&hash),
            None => Ok(None),
        }
    }

    fn get_rlp<T: alloy_rlp::Decodable>(&self, table: Table, key: &[u8]) -> Result<Option<T>> {
        self.backend
            .get(table, key)?
            .map(|bytes| codec::rlp(table, key, &bytes))
            .transpose()
    }
}

/// A `receipts` value: the transaction's hash, then its EIP-2718 receipt.
fn decode_receipt(key: &[u8], bytes: &[u8]) -> Result<(B256, Receipt)> {
    let Some((tx_hash, mut buf)) = bytes.split_first_chunk::<32>() else {
        return Err(StoreError::corrupt(
            Table::Receipts,
            key,
            format!("{} bytes, shorter than a transaction hash", bytes.len()),
        ));
    };
    let receipt = Receipt::decode_2718(&mut buf)
        .map_err(|e| StoreError::corrupt(Table::Receipts, key, format!("invalid receipt: {e}")))?;
    if !buf.is_empty() {
        return Err(StoreError::corrupt(
            Table::Receipts,
            key,
            format!("{} trailing bytes after the receipt", buf.len()),
        ));
    }
    Ok((B256::from(*tx_hash), receipt))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_utils::{Harness, backend_tests, chain, receipt};

    fn blocks_read_back_by_hash_and_number(h: &Harness) {
        let store = h.open();
        let blocks = chain(8, 0);
        store.add_blocks(&blocks).unwrap();
        for (block, _) in &blocks {
            let hash = block.header.hash_slow();
            let number = block.header.number;
            assert_eq!(store.canonical_hash(number).unwrap(), Some(hash));
            assert_eq!(store.block_number(&hash).unwrap(), Some(number));
            assert_eq!(
                store.header_by_hash(&hash).unwrap().as_ref(),
                Some(&block.header)
            );
            assert_eq!(
                store.header_by_number(number).unwrap().as_ref(),
                Some(&block.header)
            );
            assert_eq!(
                store.body_by_hash(&hash).unwrap().as_ref(),
                Some(&block.body)
            );
            assert_eq!(
                store.body_by_number(number).unwrap().as_ref(),
                Some(&block.body)
            );
            assert_eq!(store.block_by_hash(&hash).unwrap().as_ref(), Some(block));
            assert_eq!(store.block_by_number(number).unwrap().as_ref(), Some(block));
        }
        let last = blocks[7].0.header.hash_slow();
        assert_eq!(store.head_hash().unwrap(), Some(last));
        assert_eq!(store.head_header().unwrap().map(|h| h.number), Some(7));
        assert_eq!(store.canonical_hash(8).unwrap(), None);
        assert_eq!(store.block_by_number(8).unwrap(), None);
        assert_eq!(store.block_by_hash(&B256::repeat_byte(9)).unwrap(), None);
    }

    fn receipts_and_tx_locations_read_back(h: &Harness) {
        let store = h.open();
        let blocks = chain(6, 0);
        store.add_blocks(&blocks).unwrap();
        for (block, receipts) in &blocks {
            let hash = block.header.hash_slow();
            assert_eq!(&store.receipts(&hash).unwrap(), receipts);
            let with_hashes = store.receipts_with_tx_hashes(&hash).unwrap();
            let tx_hashes: Vec<B256> = block.body.transactions.iter().map(|tx| tx.hash()).collect();
            assert_eq!(
                with_hashes.iter().map(|(h, _)| *h).collect::<Vec<_>>(),
                tx_hashes
            );
            for (i, tx) in block.body.transactions.iter().enumerate() {
                let index = i as u64;
                assert_eq!(
                    store.receipt(&hash, index).unwrap().as_ref(),
                    Some(&receipts[i])
                );
                let location = store.tx_location(&tx.hash()).unwrap();
                assert_eq!(
                    location,
                    Some(TxLocation {
                        block_hash: hash,
                        index
                    })
                );
            }
            let count = block.body.transactions.len() as u64;
            assert_eq!(store.receipt(&hash, count).unwrap(), None);
        }
        assert_eq!(store.tx_location(&B256::repeat_byte(7)).unwrap(), None);
    }

    fn a_fork_block_replaces_the_canonical_one(h: &Harness) {
        let store = h.open();
        let main = chain(4, 0);
        let fork = chain(4, 1);
        store.add_blocks(&main).unwrap();
        store.add_blocks(&fork[..3]).unwrap();
        let fork_hash = fork[2].0.header.hash_slow();
        let main_hash = main[2].0.header.hash_slow();
        assert_eq!(store.canonical_hash(2).unwrap(), Some(fork_hash));
        assert_eq!(store.head_hash().unwrap(), Some(fork_hash));
        assert_eq!(
            store.block_by_hash(&main_hash).unwrap().as_ref(),
            Some(&main[2].0),
            "non-canonical blocks stay readable"
        );
        assert_eq!(
            store.canonical_hash(3).unwrap(),
            None,
            "entries above the new head are dropped"
        );
    }

    fn side_blocks_become_canonical_on_set_canonical_head(h: &Harness) {
        let store = h.open();
        let main = chain(6, 0);
        let mut fork = chain(6, 1);
        // The fork shares blocks 0..=1 with the main chain.
        fork.splice(..2, main[..2].iter().cloned());
        let mut parent = main[1].0.header.hash_slow();
        for (block, _) in &mut fork[2..] {
            block.header.parent_hash = parent;
            parent = block.header.hash_slow();
        }
        store.add_blocks(&main).unwrap();
        store.add_side_blocks(&fork[2..5]).unwrap();
        let fork_tip = fork[4].0.header.hash_slow();
        assert_eq!(
            store.canonical_hash(4).unwrap(),
            Some(main[4].0.header.hash_slow()),
            "side blocks are not canonical"
        );
        assert_eq!(
            store.head_hash().unwrap(),
            Some(main[5].0.header.hash_slow())
        );
        let fork_tx = fork[4].0.body.transactions[0].hash();
        assert_eq!(
            store.tx_location(&fork_tx).unwrap(),
            None,
            "side blocks get no tx locations"
        );
        assert_eq!(
            store.receipts(&fork_tip).unwrap(),
            fork[4].1,
            "side blocks have receipts"
        );

        store.set_canonical_head(fork_tip).unwrap();
        for (number, (block, _)) in fork[..5].iter().enumerate() {
            assert_eq!(
                store.canonical_hash(number as u64).unwrap(),
                Some(block.header.hash_slow()),
                "#{number}"
            );
        }
        assert_eq!(store.canonical_hash(5).unwrap(), None);
        assert_eq!(store.head_hash().unwrap(), Some(fork_tip));
        assert_eq!(
            store.tx_location(&fork_tx).unwrap(),
            Some(TxLocation {
                block_hash: fork_tip,
                index: 0
            })
        );

        // And back to the main chain's tip.
        let main_tip = main[5].0.header.hash_slow();
        store.set_canonical_head(main_tip).unwrap();
        for (number, (block, _)) in main.iter().enumerate() {
            assert_eq!(
                store.canonical_hash(number as u64).unwrap(),
                Some(block.header.hash_slow()),
                "#{number}"
            );
        }
        assert_eq!(
            store.tx_location(&fork_tx).unwrap(),
            None,
            "a transaction of a block re-orged out has no location"
        );
        let err = store.set_canonical_head(B256::repeat_byte(4)).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("block {} not found", B256::repeat_byte(4))
        );
    }

    fn receipt_mismatch_writes_nothing(h: &Harness) {
        let store = h.open();
        let mut blocks = chain(5, 0);
        blocks[4].1.push(receipt(9));
        let err = store.add_blocks(&blocks).unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::ReceiptCountMismatch {
                    number: 4,
                    transactions: 1,
                    receipts: 2,
                    ..
                }
            ),
            "{err}"
        );
        for (block, _) in &blocks {
            assert_eq!(
                store.header_by_hash(&block.header.hash_slow()).unwrap(),
                None
            );
        }
        assert_eq!(store.canonical_hash(0).unwrap(), None);
        assert_eq!(store.head_hash().unwrap(), None);
    }

    fn blocks_persist_across_reopen(h: &Harness) {
        let blocks = chain(5, 0);
        {
            let store = h.open();
            store.add_blocks(&blocks).unwrap();
        }
        let store = h.open();
        let (block, receipts) = &blocks[4];
        assert_eq!(store.block_by_number(4).unwrap().as_ref(), Some(block));
        assert_eq!(
            &store.receipts(&block.header.hash_slow()).unwrap(),
            receipts
        );
        assert_eq!(store.head_hash().unwrap(), Some(block.header.hash_slow()));
    }

    fn corrupt_values_name_table_and_key(h: &Harness) {
        let store = h.open();
        let blocks = chain(3, 0);
        store.add_blocks(&blocks).unwrap();
        let hash = blocks[2].0.header.hash_slow();
        let hex = alloy_primitives::hex::encode(hash);

        let mut batch = WriteBatch::new();
        batch.put(Table::Headers, hash.as_slice(), vec![0xf9, 0x01]);
        batch.put(Table::Bodies, hash.as_slice(), {
            let mut body = alloy_rlp::encode(&blocks[2].0.body);
            body.push(0x80);
            body
        });
        let mut bad_receipt = B256::repeat_byte(5).to_vec();
        bad_receipt.extend_from_slice(&[0x02, 0xc1]);
        batch.put(Table::Receipts, hash_index_key(&hash, 1), bad_receipt);
        batch.put(Table::Receipts, hash_index_key(&hash, 2), vec![0xaa; 31]);
        batch.put(Table::CanonicalHashes, 2u64.to_be_bytes(), vec![1, 2, 3]);
        store.backend().write(batch).unwrap();

        let msg = store.header_by_hash(&hash).unwrap_err().to_string();
        assert!(
            msg.starts_with(&format!(
                "corrupt value in table headers at key 0x{hex}: invalid RLP"
            )),
            "{msg}"
        );
        let msg = store.body_by_hash(&hash).unwrap_err().to_string();
        assert_eq!(
            msg,
            format!(
                "corrupt value in table bodies at key 0x{hex}: 1 trailing bytes after the RLP value"
            )
        );
        let msg = store.receipts(&hash).unwrap_err().to_string();
        assert!(
            msg.starts_with(&format!(
                "corrupt value in table receipts at key 0x{hex}0000000000000001: invalid receipt"
            )),
            "{msg}"
        );
        let msg = store.receipt(&hash, 2).unwrap_err().to_string();
        assert_eq!(
            msg,
            format!(
                "corrupt value in table receipts at key 0x{hex}0000000000000002: 31 bytes, shorter than a transaction hash"
            )
        );
        let msg = store.block_by_number(2).unwrap_err().to_string();
        assert_eq!(
            msg,
            "corrupt value in table canonical_hashes at key 0x0000000000000002: expected a 32-byte hash, found 3 bytes"
        );
    }

    backend_tests!(
        blocks_read_back_by_hash_and_number,
        receipts_and_tx_locations_read_back,
        a_fork_block_replaces_the_canonical_one,
        side_blocks_become_canonical_on_set_canonical_head,
        receipt_mismatch_writes_nothing,
        blocks_persist_across_reopen,
        corrupt_values_name_table_and_key,
    );
}
